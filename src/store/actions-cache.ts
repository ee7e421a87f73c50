/**
 * `store: actions-cache` — snapshots in the GitHub Actions cache, through @actions/cache.
 *
 * Layout: each snapshot is two cache entries, saved in this order:
 *   pizlix-stage/v1/<scope>/snapshot/<key>/<sha256>   the snapshot file (at a fixed staging path)
 *   pizlix-stage/v1/<scope>/meta/<key>/<sha256>       its meta.json
 * plus a small pointer `.../latest/<stage>/<time>` (a copy of meta.json) that `list(stage)` finds.
 * A lookup restores the newest meta entry under `.../meta/<key>/` (a prefix match: a few hundred
 * bytes) and then asks, without downloading, whether the snapshot entry it names exists. So:
 *   - an upload interrupted before its meta is saved leaves nothing a lookup returns;
 *   - a meta names its snapshot by checksum, so two jobs racing to publish one key can never pair
 *     one job's meta with the other's snapshot, and a rebuilt snapshot whose predecessor was evicted
 *     gets a new meta that shadows the stale one (entries are immutable; nothing can be overwritten);
 *   - lookups touch only the small entry, yet also confirm the large one was not evicted.
 * One entry holding both files would be atomic too, but reading its metadata would mean
 * downloading the whole snapshot.
 *
 * <scope> is `trusted` or `untrusted-<ref>`: trusted builds read only trusted entries; untrusted
 * builds read their own, then trusted ones. GitHub additionally scopes caches by branch.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as cache from '@actions/cache';
import { errorMessage, InputError } from '../util/errors.js';
import { formatBytes } from '../util/format.js';
import { log } from '../util/log.js';
import { ByteProgress } from '../util/progress.js';
import { PermanentError, withRetries, type RetryPolicy } from '../util/retry.js';
import { decodeMeta, describeSnapshot, encodeMeta } from './meta.js';
import { DEFAULT_RETRY, linkOrCopy, moveFile, RemoteStoreError, verifyDownload, watchPackageReports } from './remote-common.js';
import { CacheStaging, DEFAULT_CACHE_STAGING } from './remote-staging.js';
import { mayUse, readableScopeNames, writeScopeName } from './trust.js';
import type { FetchedSnapshot, PublishMeta, SnapshotMeta, SnapshotStore, StoreEntry, TrustScope } from './types.js';

const NAMESPACE = 'pizlix-stage/v1';
/** The repository's cache budget on github.com. */
export const ACTIONS_CACHE_BUDGET = 10 * 1024 ** 3;
/** Share of the budget above which one snapshot earns a warning. */
const BUDGET_WARNING_SHARE = 0.2;
const MAX_KEY_LENGTH = 300;

export interface ActionsCacheStoreOptions {
  /** Absolute staging directory; must be the same on every runner (it is part of each entry's version). */
  stagingDir?: string;
  /** A stalled 128 MiB download segment fails after this long instead of hanging (default 5 min). */
  segmentTimeoutMs?: number;
  retry?: RetryPolicy;
  /** The repository's cache size limit, for the budget warning. */
  budgetBytes?: number;
}

/** A warning for the job summary when one snapshot takes a large share of the cache budget. */
export function cacheBudgetWarning(sizeBytes: number, budgetBytes = ACTIONS_CACHE_BUDGET): string | undefined {
  const share = sizeBytes / budgetBytes;
  if (share < BUDGET_WARNING_SHARE) return undefined;
  return (
    `snapshot of ${formatBytes(sizeBytes)} is ${(100 * share).toFixed(0)}% of the repository's ` +
    `${formatBytes(budgetBytes)} Actions cache budget; GitHub evicts the least recently used entries beyond it ` +
    `(consider store: local on a shared disk, or store: artifact within one run)`
  );
}

export class ActionsCacheStore implements SnapshotStore {
  readonly kind = 'actions-cache';
  private readonly staging: CacheStaging;
  private readonly segmentTimeoutMs: number;
  private readonly retry: RetryPolicy;
  private readonly budgetBytes: number;
  /** Warnings meant for the job summary (the budget warning), collected as they arise. */
  readonly notices: string[] = [];

  constructor(
    readonly scope: TrustScope,
    options: ActionsCacheStoreOptions = {},
  ) {
    this.staging = new CacheStaging(options.stagingDir ?? DEFAULT_CACHE_STAGING);
    this.segmentTimeoutMs = options.segmentTimeoutMs ?? 5 * 60_000;
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.budgetBytes = options.budgetBytes ?? ACTIONS_CACHE_BUDGET;
  }

  async lookup(key: string): Promise<StoreEntry | undefined> {
    checkKey(key);
    return this.staging.exclusive(() => this.findEntry(key));
  }

  async fetch(key: string, workDir: string): Promise<FetchedSnapshot | undefined> {
    checkKey(key);
    return this.staging.exclusive(async () => {
      const entry = await this.findEntry(key);
      if (!entry) return undefined;
      const started = Date.now();
      const snapshotKey = entry.location;
      log.info(`actions-cache: restoring ${snapshotKey} (${formatBytes(entry.meta.size)})`);
      let restored: boolean;
      try {
        restored = await this.restore(this.staging.snapshotPath, snapshotKey, { segmentTimeoutInMs: this.segmentTimeoutMs });
      } catch (err) {
        if (err instanceof PermanentError) {
          log.warning(`actions-cache: snapshot '${key}' is corrupt (${err.message}); treating it as a miss`);
          return undefined;
        }
        throw new RemoteStoreError(this.kind, 'restore', key, errorMessage(err));
      }
      if (!restored) throw new RemoteStoreError(this.kind, 'restore', key, `entry ${snapshotKey} vanished between lookup and restore (evicted?)`);
      const file = path.join(workDir, `${path.basename(key)}.snapshot`);
      await moveFile(this.staging.snapshotPath, file);
      if (!(await verifyDownload(this.kind, file, entry.meta, started))) return undefined;
      return { file, meta: entry.meta };
    });
  }

  async publish(file: string, publishMeta: PublishMeta): Promise<StoreEntry> {
    checkKey(publishMeta.key);
    const meta = await describeSnapshot(file, publishMeta, this.scope);
    const entry = await this.staging.exclusive(async () => {
      const existing = await this.findEntry(meta.key);
      if (existing) {
        log.info(`actions-cache: ${meta.key} is already present (${existing.location})`);
        return existing;
      }
      const own = writeScopeName(this.scope);
      const snapshotKey = snapshotKeyOf(own, meta);
      const progress = new ByteProgress(`actions-cache: upload ${meta.key}`, meta.size);
      await linkOrCopy(file, this.staging.snapshotPath);
      await this.save(this.staging.snapshotPath, snapshotKey);
      progress.add(meta.size);
      progress.finish();
      // The meta entry goes last: until it exists, lookups do not see the snapshot.
      await mkdir(path.dirname(this.staging.metaPath), { recursive: true });
      await writeFile(this.staging.metaPath, encodeMeta(meta));
      await this.save(this.staging.metaPath, `${metaPrefixOf(own, meta.key)}${meta.sha256}`);
      await this.saveLatestPointer(own, meta);
      return { meta, location: snapshotKey };
    });
    const warning = cacheBudgetWarning(meta.size, this.budgetBytes);
    if (warning) {
      log.warning(`actions-cache: ${warning}`);
      this.notices.push(warning);
    }
    return entry;
  }

  /**
   * The cache service cannot list entries. With a stage, this returns the newest entry of that stage
   * in each scope this build may read (found through the `latest/<stage>/` pointer entries by
   * prefix), newest first — enough for `plan` and time estimates. Without a stage it returns [].
   */
  async list(stage?: string): Promise<StoreEntry[]> {
    if (!stage) return [];
    return this.staging.exclusive(async () => {
      const entries: StoreEntry[] = [];
      for (const scopeKey of readableScopeNames(this.scope)) {
        const prefix = `${NAMESPACE}/${scopeKey}/latest/${stage}/`;
        const matched = await this.restoreNewest(this.staging.metaPath, prefix, 'list');
        if (!matched?.startsWith(prefix)) continue;
        const meta = await this.readStagedMeta().catch(() => undefined);
        if (!meta || meta.stage !== stage || !mayUse(this.scope, meta)) continue;
        const snapshotKey = snapshotKeyOf(scopeKey, meta);
        if (await this.exists(this.staging.snapshotPath, snapshotKey)) entries.push({ meta, location: snapshotKey });
      }
      return entries.sort((a, b) => b.meta.created.localeCompare(a.meta.created));
    });
  }

  /** Reads the newest meta entry of `key` in each readable scope; the first whose snapshot exists wins. */
  private async findEntry(key: string): Promise<StoreEntry | undefined> {
    for (const scopeKey of readableScopeNames(this.scope)) {
      const prefix = metaPrefixOf(scopeKey, key);
      const matched = await this.restoreNewest(this.staging.metaPath, prefix, 'lookup');
      if (!matched?.startsWith(prefix)) continue;
      let meta: SnapshotMeta;
      try {
        meta = await this.readStagedMeta(key);
      } catch (err) {
        log.warning(`actions-cache: ignoring ${matched}: ${errorMessage(err)}`);
        continue;
      }
      if (!mayUse(this.scope, meta)) {
        log.warning(`actions-cache: ignoring ${matched}: published by an untrusted build (${meta.ref})`);
        continue;
      }
      const snapshotKey = snapshotKeyOf(scopeKey, meta);
      if (await this.exists(this.staging.snapshotPath, snapshotKey)) return { meta, location: snapshotKey };
      log.info(`actions-cache: ${matched} names ${snapshotKey}, which is gone (evicted); treating as a miss`);
    }
    return undefined;
  }

  private async readStagedMeta(expectedKey?: string): Promise<SnapshotMeta> {
    return decodeMeta(await readFile(this.staging.metaPath, 'utf8'), expectedKey);
  }

  /** Whether an entry exists, without downloading it. */
  private async exists(cachePath: string, key: string): Promise<boolean> {
    try {
      return await this.restore(cachePath, key, { lookupOnly: true });
    } catch (err) {
      throw new RemoteStoreError(this.kind, 'lookup', key, errorMessage(err));
    }
  }

  /**
   * Restores exactly `key` (the service also matches keys by prefix; those do not count).
   * A failure the package only logged becomes an error: retried, then thrown. A corrupt archive
   * (tar or zstd refuse it) is a PermanentError, not retried.
   */
  private async restore(cachePath: string, key: string, options: cache.DownloadOptions): Promise<boolean> {
    return withRetries(`actions-cache: restore ${key}`, this.retry, async () => {
      const { value, reports } = await watchPackageReports(() => cache.restoreCache([cachePath], key, [], options));
      if (value !== undefined) return value === key;
      if (reports.length > 0) throwRestoreFailure(reports);
      return false;
    });
  }

  /** Restores the newest entry whose key starts with `prefix`; returns its key. A corrupt one is reported and skipped. */
  private async restoreNewest(cachePath: string, prefix: string, operation: string): Promise<string | undefined> {
    try {
      return await withRetries(`actions-cache: restore ${prefix}*`, this.retry, async () => {
        const { value, reports } = await watchPackageReports(() => cache.restoreCache([cachePath], prefix, [prefix]));
        if (value === undefined && reports.length > 0) throwRestoreFailure(reports);
        return value;
      });
    } catch (err) {
      if (err instanceof PermanentError) {
        log.warning(`actions-cache: the newest entry under ${prefix} is corrupt (${err.message}); treating it as a miss`);
        return undefined;
      }
      throw new RemoteStoreError(this.kind, operation, prefix, errorMessage(err));
    }
  }

  /**
   * Saves one path under `key`. saveCache returns -1 for most failures; then the entry may still
   * exist (saved by another job, or by an earlier attempt that failed later): that counts as saved.
   */
  private async save(cachePath: string, key: string): Promise<void> {
    try {
      await withRetries(`actions-cache: save ${key}`, this.retry, async () => {
        let outcome: { value: number; reports: string[] };
        try {
          outcome = await watchPackageReports(() => cache.saveCache([cachePath], key));
        } catch (err) {
          throw new PermanentError(errorMessage(err)); // only validation errors throw
        }
        if (outcome.value !== -1) return;
        if (await this.exists(cachePath, key)) {
          log.info(`actions-cache: ${key} already exists; keeping it`);
          return;
        }
        throw new Error(outcome.reports.join('; ') || 'saveCache returned -1');
      });
    } catch (err) {
      throw new RemoteStoreError(this.kind, 'save', key, errorMessage(err));
    }
  }

  /** Best effort: a missing pointer only makes `list` miss an entry. */
  private async saveLatestPointer(scopeKey: string, meta: SnapshotMeta): Promise<void> {
    const pointer = `${NAMESPACE}/${scopeKey}/latest/${meta.stage}/${String(Date.parse(meta.created)).padStart(15, '0')}`;
    try {
      await this.save(this.staging.metaPath, pointer);
    } catch (err) {
      log.warning(`actions-cache: could not save ${pointer} (list will not show this entry): ${errorMessage(err)}`);
    }
  }
}

/**
 * Turns what restoreCache only logged into an error: an archive tar or zstd refuse is corrupt
 * (PermanentError, not retried); anything else (service, network) is worth another attempt.
 */
function throwRestoreFailure(reports: string[]): never {
  const report = reports.join('; ');
  if (/\b(tar|zstd|unzstd|gzip)\b.*(fail|error)|exit code/i.test(report)) throw new PermanentError(report);
  throw new Error(report);
}

function metaPrefixOf(scopeKey: string, key: string): string {
  return `${NAMESPACE}/${scopeKey}/meta/${key}/`;
}

function snapshotKeyOf(scopeKey: string, meta: SnapshotMeta): string {
  return `${NAMESPACE}/${scopeKey}/snapshot/${meta.key}/${meta.sha256}`;
}

function checkKey(key: string): void {
  if (!key || key.length > MAX_KEY_LENGTH || /[,\s/]/.test(key)) {
    throw new InputError('key', `'${key}' cannot name an Actions cache entry`, `1 to ${MAX_KEY_LENGTH} characters without commas, spaces or slashes`);
  }
}
