/**
 * What the two remote backends (Actions cache, artifacts) share: their error type, retries,
 * reading the failures the @actions packages only report as log lines, metadata parsing, and
 * moving large files without copying when the filesystem allows it.
 */
import { copyFile, constants as fsConstants, link, mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage } from '../util/errors.js';
import { formatBytes, formatRate } from '../util/format.js';
import { sha256File } from '../util/hash.js';
import { log } from '../util/log.js';
import { ByteProgress } from '../util/progress.js';
import { META_FORMAT, type PublishMeta, type SnapshotMeta, type TrustScope } from './types.js';

/** A remote store could not complete a transfer after its retries. */
export class RemoteStoreError extends Error {
  constructor(readonly store: string, readonly operation: string, readonly key: string, detail: string) {
    super(`${store}: ${operation} of '${key}' failed: ${detail}`);
    this.name = 'RemoteStoreError';
  }
}

export interface RetryPolicy {
  /** Attempts in total (the packages retry single requests themselves; this retries whole transfers). */
  attempts: number;
  /** Wait before the second attempt; doubles each time. */
  delayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 3, delayMs: 15_000 };

/** Runs `attempt` until it succeeds or the policy is used up; rethrows the last error. */
export async function withRetries<T>(what: string, policy: RetryPolicy, attempt: (n: number) => Promise<T>): Promise<T> {
  let delay = policy.delayMs;
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (err) {
      if (n >= policy.attempts || !isRetryable(err)) throw err;
      log.warning(`${what} failed (attempt ${n} of ${policy.attempts}): ${errorMessage(err)}; retrying in ${(delay / 1000).toFixed(1)} s`);
      await new Promise((r) => setTimeout(r, delay));
      delay *= 2;
    }
  }
}

/** Errors that another attempt cannot fix. */
export class PermanentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentError';
  }
}

function isRetryable(err: unknown): boolean {
  return !(err instanceof PermanentError);
}

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

/** Builds the full metadata of a file about to be published: measures size and sha256 itself. */
export async function describeSnapshot(file: string, meta: PublishMeta, scope: TrustScope): Promise<SnapshotMeta> {
  const { size } = await stat(file);
  const progress = new ByteProgress(`checksum ${path.basename(file)}`, size);
  const sha256 = await sha256File(file, progress);
  progress.finish();
  return { ...meta, format: META_FORMAT, size, sha256, created: new Date().toISOString(), trust: scope.trust, ref: scope.ref };
}

/** Reads and checks a meta.json that came back from a remote store (of `expectedKey`, when given). */
export async function readMetaFile(file: string, expectedKey?: string): Promise<SnapshotMeta> {
  const meta = JSON.parse(await readFile(file, 'utf8')) as Partial<SnapshotMeta>;
  const problems: string[] = [];
  if (meta.format !== META_FORMAT) problems.push(`format ${String(meta.format)} (expected ${META_FORMAT})`);
  if (typeof meta.key !== 'string' || (expectedKey !== undefined && meta.key !== expectedKey)) problems.push(`key '${String(meta.key)}' (expected '${expectedKey}')`);
  if (typeof meta.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(meta.sha256)) problems.push('sha256 missing or malformed');
  if (typeof meta.size !== 'number' || meta.size < 0) problems.push('size missing');
  if (typeof meta.stage !== 'string') problems.push('stage missing');
  if (meta.trust !== 'trusted' && meta.trust !== 'untrusted') problems.push('trust missing');
  if (problems.length > 0) throw new PermanentError(`metadata of '${expectedKey ?? meta.key}' is invalid: ${problems.join(', ')}`);
  return meta as SnapshotMeta;
}

/** Whether a scope may use an entry: trusted builds never use what an untrusted build published. */
export function mayUse(scope: TrustScope, meta: SnapshotMeta): boolean {
  return scope.trust === 'untrusted' || meta.trust === 'trusted';
}

/**
 * Verifies a downloaded snapshot against its metadata. A mismatch is logged as a warning (the
 * entry is corrupt) and the file removed; the caller treats it as a miss.
 */
export async function verifyDownload(store: string, file: string, meta: SnapshotMeta, started: number): Promise<boolean> {
  const { size } = await stat(file);
  const seconds = (Date.now() - started) / 1000;
  log.info(`${store}: fetched ${meta.key}: ${formatBytes(size)} at ${formatRate(size, seconds)}`);
  const progress = new ByteProgress(`verify ${meta.key}`, size);
  const sha256 = size === meta.size ? await sha256File(file, progress) : undefined;
  if (sha256 !== undefined) progress.finish();
  if (sha256 === meta.sha256) return true;
  log.warning(
    `${store}: snapshot '${meta.key}' is corrupt (${sha256 === undefined ? `size ${size}, expected ${meta.size}` : `sha256 ${sha256}, expected ${meta.sha256}`}); treating it as a miss`,
  );
  await rm(file, { force: true });
  return false;
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
