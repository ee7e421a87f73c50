/**
 * The output digest taken while the stage script saves its snapshot: the gzip shim's tee writes the
 * uncompressed tar stream into a FIFO that this process reads and digests as it goes, so the tree is
 * read once (by the script's tar) and the digest costs sha256 of the stream, not another pass.
 */
import { constants, createReadStream } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import path from 'node:path';
import { run } from '../util/exec.js';
import { errorMessage } from '../util/errors.js';
import { log } from '../util/log.js';
import { OutputDigester, type OutputDigest } from '../rootfs/output-digest.js';

export interface OutputTap {
  /** The FIFO the shim's tee writes to. */
  fifo: string;
  /**
   * Once the script has ended: the digest of what came through the FIFO, or undefined when nothing did
   * (the script saved its snapshot some other way) or the stream could not be digested (logged).
   */
  finish(): Promise<OutputDigest | undefined>;
}

export async function openOutputTap(dir: string, volatile: readonly string[]): Promise<OutputTap> {
  const fifo = path.join(dir, 'output-digest.fifo');
  await rm(fifo, { force: true });
  await run('mkfifo', ['-m', '600', fifo]);
  const digester = new OutputDigester(volatile);
  let failure: Error | undefined;
  let received = 0;
  // The open blocks until a writer comes; the stream is drained to the end even after a parse error,
  // so that tee (and the snapshot) never fails because of the digest.
  const stream = createReadStream(fifo, { highWaterMark: 1 << 20 });
  const drained = new Promise<void>((resolve) => {
    stream.on('data', (chunk) => {
      const data = chunk as Buffer;
      received += data.length;
      if (failure) return;
      try {
        digester.push(data);
      } catch (err) {
        failure = err as Error;
      }
    });
    stream.on('error', (err) => {
      failure ??= err;
      resolve();
    });
    stream.on('end', resolve);
  });
  let finished: Promise<OutputDigest | undefined> | undefined;
  return {
    fifo,
    finish: () => (finished ??= finish()),
  };

  async function finish(): Promise<OutputDigest | undefined> {
      await releaseReader(fifo);
      await drained;
      await rm(fifo, { force: true });
      if (received === 0) return undefined;
      try {
        if (failure) throw failure;
        return digester.finish();
      } catch (err) {
        log.warning(`the output digest of the saved snapshot failed (${errorMessage(err)}); it is taken from the snapshot file instead`);
        return undefined;
      }
  }
}

/** A reader still waiting for a writer (nobody wrote the FIFO) gets one that closes at once: end of file. */
async function releaseReader(fifo: string): Promise<void> {
  const writer = await open(fifo, constants.O_WRONLY | constants.O_NONBLOCK).catch(() => undefined); // ENXIO: no reader left
  await writer?.close();
}
