/**
 * The output digest taken while the stage script saves its snapshot: the gzip shim's tee writes the
 * uncompressed tar stream into a FIFO that this process reads and digests as it goes, so the tree is
 * read once (by the script's tar) and the digest costs sha256 of the stream, not another pass.
 */
import { constants } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { open, rm } from 'node:fs/promises';
import path from 'node:path';
import { run, spawnChild } from '../util/exec.js';
import { errorMessage } from '../util/errors.js';
import { log } from '../util/log.js';
import { OutputDigester, type OutputDigest } from '../rootfs/output-digest.js';
import { pipeTeeProgram } from '../rootfs/pipe-tee.js';

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
  // Read through a child whose stdout is a pipe that the event loop reads as data arrives: reading the
  // FIFO itself goes through libuv's thread pool, one small read at a time, and slowed the save 3.5×.
  // The child blocks in open until the shim's tee opens the FIFO. The stream is drained to the end even after
  // a parse error, so that tee (and the snapshot) never fails because of the digest.
  // The pipe tee with no outputs: splice(2) from the FIFO into this pipe, both enlarged to 1 MiB (with 64 KiB
  // pipes the writer, the reader and the compressor ran in lockstep and context switches cost more than hashing).
  const reader = spawnChild('perl', ['-e', pipeTeeProgram(), '--', '-i', fifo], { stdio: ['ignore', 'pipe', 'ignore'] });
  const exited = new Promise<void>((resolve) => reader.on('close', () => resolve()));
  const drained = new Promise<void>((resolve) => {
    reader.stdout!.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (failure) return;
      try {
        digester.push(chunk);
      } catch (err) {
        failure = err as Error;
      }
    });
    reader.on('error', (err) => {
      failure ??= err;
      resolve();
    });
    reader.stdout!.on('end', resolve);
  });
  let finished: Promise<OutputDigest | undefined> | undefined;
  return {
    fifo,
    finish: () => (finished ??= finish()),
  };

  async function finish(): Promise<OutputDigest | undefined> {
    await releaseReader(fifo);
    // A reader that never got as far as opening the FIFO (it cannot have been written then) is stopped.
    if (await Promise.race([exited.then(() => false), delay(10_000, undefined, { ref: false }).then(() => true)])) reader.kill('SIGKILL');
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
