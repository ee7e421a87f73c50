/** disk.img.zst: zstd on every core, fed by the image digest's single read of disk.img. */
import type { Writable } from 'node:stream';
import { spawnChild, tail, waitForExit } from '../util/exec.js';

export interface Compressor {
  stdin: Writable;
  /** Resolves once zstd has written and closed the output. */
  done: Promise<void>;
  kill(): void;
}

export function startZstd(output: string): Compressor {
  const args = ['-T0', '-3', '-q', '-f', '-o', output];
  const child = spawnChild('zstd', args, { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = waitForExit(child, `zstd ${args.join(' ')}`, () => tail(stderr, 20));
  return { stdin: child.stdin!, done, kill: () => child.kill('SIGKILL') };
}
