/** disk.img.zst: the image compressed with zstd on every core, with progress over the raw bytes. */
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { tail, waitForExit } from '../util/exec.js';
import { ByteProgress } from '../util/progress.js';

export async function compressWithZstd(input: string, output: string): Promise<void> {
  const progress = new ByteProgress('compressing image with zstd', (await stat(input)).size);
  const args = ['-T0', '-3', '-q', '-f', '-o', output];
  const child = spawn('zstd', args, { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = waitForExit(child, `zstd ${args.join(' ')}`, () => tail(stderr, 20));
  await Promise.all([pipeline(createReadStream(input, { highWaterMark: 4 << 20 }), progress.stream(), child.stdin!), exited]);
  progress.finish();
}
