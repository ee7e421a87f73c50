/**
 * The local store: a directory on the runner or on a disk that several runners share.
 *
 *   <root>/entries/<scope>/<key>/snapshot.tar.<ext>, meta.json   published entries
 *   <root>/incoming/<random>/                                       publishes in progress
 *   <root>/quarantine/<key>-<time>/                                 entries that failed verification
 *
 * A publish writes and fsyncs everything under incoming/ and then renames the directory into
 * entries/ in one step, so a killed publish leaves nothing that lookup returns; when two jobs publish
 * one key, the first rename wins and the second job keeps the winner. <scope> is "trusted" or
 * "untrusted-<ref>": a trusted build reads only trusted entries, an untrusted one its own and trusted.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, stat, utimes } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage } from '../util/errors.js';
import { copyWithSha256, writeFileAtomic } from '../util/fsx.js';
import { formatBytes } from '../util/format.js';
import { log } from '../util/log.js';
import { ByteProgress } from '../util/progress.js';
import { completeMeta, decodeMeta, encodeMeta, snapshotFileName, verifySnapshotFile } from './meta.js';
import { readableScopeNames, writeScopeName } from './trust.js';
import type { FetchedSnapshot, PublishMeta, SnapshotMeta, SnapshotStore, StoreEntry, TrustScope } from './types.js';

const STALE_INCOMING_MS = 24 * 3600 * 1000;

export interface LocalStoreOptions {
  /** Evict least-recently-used entries beyond this many bytes. */
  maxBytes?: number;
}

export class LocalStore implements SnapshotStore {
  readonly kind = 'local';

  constructor(
    readonly root: string,
    readonly scope: TrustScope,
    private readonly options: LocalStoreOptions = {},
  ) {}

  /** This machine's directory of the entries: a restore must never write into it. */
  get directory(): string {
    return this.root;
  }

  private entryDir(scope: string, key: string): string {
    return path.join(this.root, 'entries', scope, key);
  }

  async lookup(key: string): Promise<StoreEntry | undefined> {
    for (const scope of readableScopeNames(this.scope)) {
      const dir = this.entryDir(scope, key);
      const meta = await readMeta(dir);
      if (meta && meta.key === key) return { meta, location: dir };
    }
    return undefined;
  }

  async fetch(key: string): Promise<FetchedSnapshot | undefined> {
    const entry = await this.lookup(key);
    if (!entry) return undefined;
    const file = path.join(entry.location, snapshotFileName(entry.meta));
    try {
      await verifySnapshotFile(file, entry.meta);
    } catch (err) {
      await this.quarantine(entry, errorMessage(err));
      return undefined;
    }
    const now = new Date();
    await utimes(entry.location, now, now).catch(() => undefined); // recency for eviction
    return { file, meta: entry.meta };
  }

  async publish(file: string, partial: PublishMeta): Promise<StoreEntry> {
    const incoming = path.join(this.root, 'incoming', randomUUID());
    await mkdir(incoming, { recursive: true });
    try {
      const target = path.join(incoming, snapshotFileName(partial));
      const progress = new ByteProgress(`publishing ${partial.stage} to the local store`, (await stat(file)).size);
      const { size, sha256 } = await copyWithSha256(file, target, progress);
      progress.finish();
      const meta = completeMeta(partial, { size, sha256 }, this.scope);
      await writeFileAtomic(path.join(incoming, 'meta.json'), encodeMeta(meta));
      const final = this.entryDir(writeScopeName(this.scope), meta.key);
      await mkdir(path.dirname(final), { recursive: true });
      try {
        await rename(incoming, final);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
        const existing = await readMeta(final);
        if (!existing) throw err;
        log.info(`store already holds ${meta.key} (published concurrently); keeping that entry`);
        await rm(incoming, { recursive: true, force: true });
        return { meta: existing, location: final };
      }
      await this.evict(meta.key);
      return { meta, location: final };
    } catch (err) {
      await rm(incoming, { recursive: true, force: true });
      throw err;
    } finally {
      await this.removeStaleIncoming();
    }
  }

  async list(stage?: string): Promise<StoreEntry[]> {
    const entries: StoreEntry[] = [];
    for (const scope of readableScopeNames(this.scope)) {
      const scopeDir = path.join(this.root, 'entries', scope);
      for (const key of await readdir(scopeDir).catch(() => [] as string[])) {
        const meta = await readMeta(path.join(scopeDir, key));
        if (meta && (!stage || meta.stage === stage)) entries.push({ meta, location: path.join(scopeDir, key) });
      }
    }
    return entries.sort((a, b) => b.meta.created.localeCompare(a.meta.created));
  }

  private async quarantine(entry: StoreEntry, reason: string): Promise<void> {
    const target = path.join(this.root, 'quarantine', `${entry.meta.key}-${Date.now()}`);
    await mkdir(path.dirname(target), { recursive: true });
    await rename(entry.location, target).catch(() => undefined);
    log.error(`store entry ${entry.meta.key} failed verification and was moved to ${target}: ${reason}. Treating it as a miss.`);
  }

  /** Removes least-recently-used entries (of every scope) until the store fits its cap. */
  private async evict(keep: string): Promise<void> {
    if (!this.options.maxBytes) return;
    const all: Array<{ dir: string; size: number; used: number; key: string }> = [];
    const entriesDir = path.join(this.root, 'entries');
    for (const scope of await readdir(entriesDir).catch(() => [] as string[])) {
      for (const key of await readdir(path.join(entriesDir, scope)).catch(() => [] as string[])) {
        const dir = path.join(entriesDir, scope, key);
        const meta = await readMeta(dir);
        const used = (await stat(dir).catch(() => undefined))?.mtimeMs ?? 0;
        all.push({ dir, size: meta?.size ?? 0, used, key });
      }
    }
    let total = all.reduce((sum, e) => sum + e.size, 0);
    for (const entry of all.sort((a, b) => a.used - b.used)) {
      if (total <= this.options.maxBytes) break;
      if (entry.key === keep) continue;
      // Rename first so that a reader never sees a half-deleted entry.
      const doomed = path.join(this.root, 'incoming', `evicted-${randomUUID()}`);
      if (
        await rename(entry.dir, doomed).then(
          () => true,
          () => false,
        )
      ) {
        await rm(doomed, { recursive: true, force: true });
        total -= entry.size;
        log.info(`evicted ${entry.key} (${formatBytes(entry.size)}) to keep the store under ${formatBytes(this.options.maxBytes)}`);
      }
    }
  }

  private async removeStaleIncoming(): Promise<void> {
    const incoming = path.join(this.root, 'incoming');
    for (const name of await readdir(incoming).catch(() => [] as string[])) {
      const dir = path.join(incoming, name);
      const info = await stat(dir).catch(() => undefined);
      if (info && Date.now() - info.mtimeMs > STALE_INCOMING_MS) await rm(dir, { recursive: true, force: true });
    }
  }
}

async function readMeta(dir: string): Promise<SnapshotMeta | undefined> {
  try {
    return decodeMeta(await readFile(path.join(dir, 'meta.json'), 'utf8'));
  } catch {
    return undefined; // no entry, or one from another format: not this store's to return
  }
}
