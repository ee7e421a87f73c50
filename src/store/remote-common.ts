/**
 * What the remote backends share: their error type, the default retry policy, reading the failures
 * the @actions packages only report as log lines, verifying a download, and moving large files
 * without copying when the filesystem allows it.
 */
import { copyFile, constants as fsConstants, link, mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage } from '../util/errors.js';
import { formatBytes, formatRate } from '../util/format.js';
import { log } from '../util/log.js';
import type { RetryPolicy } from '../util/retry.js';
import { verifySnapshotFile } from './meta.js';
import type { SnapshotMeta } from './types.js';

/** A remote store could not complete a transfer after its retries. */
export class RemoteStoreError extends Error {
  constructor(
    readonly store: string,
    readonly operation: string,
    readonly key: string,
    detail: string,
  ) {
    super(`${store}: ${operation} of '${key}' failed: ${detail}`);
    this.name = 'RemoteStoreError';
  }
}

/** Whole transfers are retried on top of the packages' own request retries. */
export const DEFAULT_RETRY: RetryPolicy = { attempts: 3, delayMs: 15_000 };

/**
 * @actions/cache swallows most failures: saveCache returns -1 and restoreCache returns undefined,
 * reporting the cause only as a log line (a ::warning::/::error:: command or "Failed to ..." info).
 * Watching those lines while the call runs is the only way to tell "not there" from "could not ask".
 */
export async function watchPackageReports<T>(call: () => Promise<T>): Promise<{ value: T; reports: string[] }> {
  const reports: string[] = [];
  const original = process.stdout.write;
  const watcher = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]): boolean {
    const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString() : '';
    for (const line of text.split(/\r?\n/)) {
      const m = /^::(warning|error)[^:]*::(.*)$/.exec(line);
      if (m) reports.push(decodeCommandText(m[2]));
      else if (/^Failed to (save|restore):/.test(line)) reports.push(line);
    }
    return (original as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
  } as typeof process.stdout.write;
  process.stdout.write = watcher;
  try {
    return { value: await call(), reports };
  } finally {
    if (process.stdout.write === watcher) process.stdout.write = original;
  }
}

function decodeCommandText(text: string): string {
  return text.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
}

/**
 * Verifies a downloaded snapshot against its metadata. A mismatch is logged as a warning (the
 * entry is corrupt) and the file removed; the caller treats it as a miss.
 */
export async function verifyDownload(store: string, file: string, meta: SnapshotMeta, started: number): Promise<boolean> {
  const { size } = await stat(file);
  log.info(`${store}: fetched ${meta.key}: ${formatBytes(size)} at ${formatRate(size, (Date.now() - started) / 1000)}`);
  try {
    await verifySnapshotFile(file, meta);
    return true;
  } catch (err) {
    log.warning(`${store}: snapshot '${meta.key}' is corrupt (${errorMessage(err)}); treating it as a miss`);
    await rm(file, { force: true });
    return false;
  }
}

/** Places `source` at `target` by hard link when possible (no copy of gigabytes), else by copy. */
export async function linkOrCopy(source: string, target: string): Promise<void> {
  await mkdir(path.dirname(target), { recursive: true });
  await rm(target, { force: true });
  try {
    await link(source, target);
  } catch {
    await copyFile(source, target, fsConstants.COPYFILE_FICLONE);
  }
}

/** Moves a file, copying across filesystems. */
export async function moveFile(source: string, target: string): Promise<void> {
  await mkdir(path.dirname(target), { recursive: true });
  try {
    await rename(source, target);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    await copyFile(source, target);
    await rm(source, { force: true });
  }
}
