/**
 * The output digest taken while the stage script saves its snapshot: the gzip shim's tee writes the
 * uncompressed tar stream into a FIFO that this process reads and digests as it goes, so the tree is
 * read once (by the script's tar) and the digest costs hashing the stream, not another pass.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { run } from '../util/exec.js';
import { errorMessage } from '../util/errors.js';
import { log } from '../util/log.js';
import { OutputDigester, type OutputDigest } from '../rootfs/output-digest.js';
import { readFifo } from '../rootfs/fifo-reader.js';

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
  const digester = await OutputDigester.create(volatile);
  let failure: Error | undefined;
  // The stream is read to its end even after a parse error, so that tee (and the snapshot) never fails because
  // of the digest; a second archive written after the first one's end is read and ignored, as tar ignores it.
  const reader = readFifo(fifo, (chunk) => {
    if (failure) return;
    try {
      digester.push(chunk);
    } catch (err) {
      failure = err as Error;
    }
  });
  let finished: Promise<OutputDigest | undefined> | undefined;
  return {
    fifo,
    finish: () => (finished ??= finish()),
  };

  async function finish(): Promise<OutputDigest | undefined> {
    try {
      const { bytes, complete } = await reader.end();
      if (bytes === 0) return undefined;
      if (!complete) throw new Error('a writer kept the digest FIFO open after the script ended');
      if (failure) throw failure;
      return digester.finish();
    } catch (err) {
      log.warning(`the output digest of the saved snapshot failed (${errorMessage(err)}); it is taken from the snapshot file instead`);
      return undefined;
    } finally {
      await rm(fifo, { force: true });
    }
  }
}
