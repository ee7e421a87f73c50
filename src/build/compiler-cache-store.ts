/**
 * The compiler cache's directory, carried between jobs by the snapshot store — the same store, metadata and
 * trust scopes as the stage snapshots, through the same four verbs. Each save is an entry of its own (a new
 * key, immutable like every entry) of a pseudo-stage `compiler-cache.<format>.<stage>[.<key-extra hash>]`; a
 * restore takes the newest entry of that pseudo-stage the build may read (`store.list`, newest first, filtered
 * by trust: a pull request sees its own scope's and the trusted ones, a trusted build only trusted ones).
 * Older entries are left to the store's own least-recently-used eviction: the newest entry is the one every
 * later build restores, so the older ones are the least recently used.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { errorMessage } from '../util/errors.js';
import { spawnChild, tail, waitForExit } from '../util/exec.js';
import { ByteProgress } from '../util/progress.js';
import { sha256Text } from '../util/hash.js';
import { log } from '../util/log.js';
import { extractSnapshot } from '../rootfs/archive.js';
import type { SnapshotStore, Trust } from '../store/types.js';

/** The pseudo-stage whose entries hold a stage's compiler cache: per stage, cache format and key-extra (build host). */
export function cacheStageName(stage: string, format: string, keyExtra?: string): string {
  return `compiler-cache.${format}.${stage}${keyExtra ? `.${sha256Text(keyExtra).slice(0, 12)}` : ''}`;
}

/** A fresh key for one save: time first, so keys sort by age too. */
export function newCacheKey(cacheStage: string, now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${cacheStage}-${stamp}-${randomBytes(4).toString('hex')}`;
}

export interface RestoredCache {
  key: string;
  /** Who published it. */
  trust: Trust;
  ref: string;
  size: number;
}

/**
 * Restores the newest readable entry of `cacheStage` into `dir` (emptied first). Undefined when there is none;
 * an entry that fails verification is reported and the next older one tried.
 * @param scratch where a remote store may download the archive (removed afterwards)
 */
export async function restoreCacheDir(store: SnapshotStore, cacheStage: string, dir: string, scratch: string): Promise<RestoredCache | undefined> {
  const candidates = (await store.list(cacheStage)).filter((entry) => entry.meta.stage === cacheStage);
  if (candidates.length === 0) log.info(`compiler cache: the ${store.kind} store has no ${cacheStage} entry yet; starting empty`);
  try {
    for (const entry of candidates.slice(0, 2)) {
      const fetched = await store.fetch(entry.meta.key, scratch);
      if (!fetched) {
        log.warning(`compiler cache: ${entry.meta.key} failed verification; trying an older entry`);
        continue;
      }
      await emptyDir(dir);
      try {
        await extractSnapshot(fetched.file, dir, { label: `compiler cache ${entry.meta.key}` });
      } catch (err) {
        log.warning(`compiler cache: ${entry.meta.key} could not be extracted (${errorMessage(err)}); trying an older entry`);
        await emptyDir(dir);
        continue;
      }
      return { key: entry.meta.key, trust: entry.meta.trust, ref: entry.meta.ref, size: fetched.meta.size };
    }
    return undefined;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

export interface SavedCache {
  key: string;
  size: number;
}

/**
 * Archives `dir` (tar, zstd: ccache compresses its objects already, so the fastest level) without its
 * temporary files and job-specific configuration, and publishes it as a new entry of `cacheStage`, in the
 * build's own trust scope.
 */
export async function saveCacheDir(
  store: SnapshotStore,
  save: { cacheStage: string; dir: string; scratch: string; parentKey: string | null; buildSeconds: number },
): Promise<SavedCache> {
  await mkdir(save.scratch, { recursive: true });
  const archive = path.join(save.scratch, 'compiler-cache.tar.zst');
  try {
    await packDir(save.dir, archive, `packing compiler cache ${save.cacheStage}`);
    const key = newCacheKey(save.cacheStage);
    const entry = await store.publish(archive, {
      key,
      stage: save.cacheStage,
      parentKey: save.parentKey,
      compression: 'zstd',
      buildSeconds: save.buildSeconds,
      inputs: {},
    });
    return { key: entry.meta.key, size: entry.meta.size ?? (await stat(archive)).size };
  } finally {
    await rm(save.scratch, { recursive: true, force: true });
  }
}

/**
 * tar of `dir` (without ccache's temporary files and this job's configuration) through zstd at its fastest
 * level — ccache compresses its objects already — with the bytes tar writes shown as progress.
 */
async function packDir(dir: string, archive: string, label: string): Promise<void> {
  const tar = spawnChild('tar', ['-C', dir, '--exclude=./tmp', '--exclude=./ccache.conf', '-cf', '-', '.'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const zstd = spawnChild('zstd', ['-q', '-T0', '-1', '-f', '-o', archive], { stdio: ['pipe', 'ignore', 'pipe'] });
  const stderr = { tar: '', zstd: '' };
  tar.stderr!.on('data', (chunk: Buffer) => (stderr.tar = tail(stderr.tar + chunk.toString(), 20)));
  zstd.stderr!.on('data', (chunk: Buffer) => (stderr.zstd = tail(stderr.zstd + chunk.toString(), 20)));
  const progress = new ByteProgress(label);
  const results = await Promise.allSettled([
    pipeline(tar.stdout!, progress.stream(), zstd.stdin!),
    waitForExit(tar, 'tar (packing the compiler cache)', () => stderr.tar),
    waitForExit(zstd, 'zstd (packing the compiler cache)', () => stderr.zstd),
  ]);
  // The exit of a tool says more than the broken pipe it leaves behind.
  const failed = [results[1], results[2], results[0]].find((r) => r.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
  progress.finish();
}

async function emptyDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
}
