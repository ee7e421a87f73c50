/**
 * `store: s3` — snapshots in an S3-compatible bucket (AWS S3, MinIO, Ceph RGW, Cloudflare R2, Garage),
 * for fleets of runners without a shared disk. Layout (s3-layout.ts), per trust scope
 * (`trusted` or `untrusted/<ref>`):
 *
 *   <prefix>/<scope>/snapshots/<key>/<upload id>   the snapshot, one object per publish
 *   <prefix>/<scope>/meta/<key>.json               the commit record: the metadata (meta.ts), and in its
 *                                                  S3 user metadata `snapshot` the upload id it names
 *   <prefix>/<scope>/index/<stage>/<key>           empty; list(stage) lists these, and their
 *                                                  LastModified is the entry's last use
 *
 * Commit protocol — correct on servers that write objects in place and ignore conditions (s3rver),
 * atomic on those that honour `If-None-Match: *` (AWS S3 and most others):
 *   1. publish uploads the snapshot (multipart) to a name no other publish uses (its upload id),
 *      hashing the bytes as they go, then checks with HEAD that the server holds exactly that size;
 *   2. only then writes the metadata object, with `If-None-Match: *`. A killed upload therefore never
 *      leaves metadata: there is no metadata without a complete snapshot object, and a metadata
 *      object only ever names its own publisher's object, whose size and sha256 it records;
 *   3. when two jobs publish one key, the conditional write lets one win (the other gets 412, deletes
 *      its own object and returns the winner's entry). Where the server ignores the condition, the last
 *      write wins; each publisher reads the record back, and one that finds another's upload id deletes
 *      its own object and returns the winner's. Either way both succeed and one valid entry remains (at
 *      worst an orphaned snapshot object, which eviction removes after a day).
 * A lookup GETs the metadata object of each readable scope (no listing, no download) and HEADs the
 * object it names: gone or of another size is a miss. A fetch downloads by ranged parallel GETs and
 * checks size and sha256; a mismatch is a miss, and the entry is uncommitted (its metadata deleted,
 * where the credential may) so that the rebuilt snapshot can take its place.
 *
 * Trust: a build writes only its own scope; trusted builds read only `trusted/` and also refuse any
 * metadata that says an untrusted build published it (mayUse). Which credential may write `trusted/`
 * is the bucket's policy (README): that is where the separation is enforced.
 */
import { mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { errorMessage } from '../util/errors.js';
import { formatBytes } from '../util/format.js';
import { log } from '../util/log.js';
import { ByteProgress } from '../util/progress.js';
import type { RetryPolicy } from '../util/retry.js';
import { checkMeasured, completeMeta, decodeMeta, encodeMeta } from './meta.js';
import { DEFAULT_RETRY, RemoteStoreError } from './remote-common.js';
import { createS3Client, describeS3Error, isConditionalConflict, isNotFound, isNotImplemented, s3Step } from './s3-client.js';
import { checkNameSegment, newUploadId, parseObjectName, ScopeLayout, SCOPE_SEPARATOR, type S3Location } from './s3-layout.js';
import { DEFAULT_TUNING, downloadFile, uploadFile, type TransferTuning } from './s3-transfer.js';
import { mayUse, readableScopeNames, writeScopeName } from './trust.js';
import type { FetchedSnapshot, PublishMeta, SnapshotMeta, SnapshotStore, StoreEntry, TrustScope } from './types.js';

/** A snapshot object no metadata names is removed by eviction only after this long (it may be a publish in progress). */
const ORPHAN_AGE_MS = 24 * 3600_000;
/** Retries of each ranged GET of a download, on top of the SDK's request retries. */
const PART_RETRY: RetryPolicy = { attempts: 4, delayMs: 2_000 };
/** The user-metadata field of a commit record that names its snapshot object. */
const SNAPSHOT_FIELD = 'snapshot';

export interface S3StoreOptions {
  location: S3Location;
  /** Evict least-recently-used entries beyond this many bytes (after each publish). */
  maxBytes?: number;
  /** Whole steps: an upload, a commit, a small request. */
  retry?: RetryPolicy;
  /** Each part of a download. */
  partRetry?: RetryPolicy;
  tuning?: TransferTuning;
}

/** An entry as a lookup found it: where, and the object it names. */
interface FoundEntry {
  entry: StoreEntry;
  layout: ScopeLayout;
  uploadId: string;
  object: string;
}

interface ListedObject {
  name: string;
  size: number;
  modified: number;
}

export class S3Store implements SnapshotStore {
  readonly kind = 's3';
  private readonly client: S3Client;
  private readonly own: ScopeLayout;
  private readonly readable: ScopeLayout[];
  private readonly retry: RetryPolicy;
  private readonly partRetry: RetryPolicy;
  private readonly tuning: TransferTuning;
  /** Turned off when the server answers a conditional write with 501. */
  private conditionalWrites = true;

  constructor(
    readonly scope: TrustScope,
    private readonly options: S3StoreOptions,
  ) {
    const { prefix } = options.location;
    this.client = createS3Client(options.location);
    this.own = new ScopeLayout(prefix, writeScopeName(scope, SCOPE_SEPARATOR));
    this.readable = readableScopeNames(scope, SCOPE_SEPARATOR).map((name) => new ScopeLayout(prefix, name));
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.partRetry = options.partRetry ?? PART_RETRY;
    this.tuning = options.tuning ?? DEFAULT_TUNING;
  }

  private get bucket(): string {
    return this.options.location.bucket;
  }

  /** s3://bucket/prefix, for messages. */
  get where(): string {
    return `s3://${this.bucket}/${this.options.location.prefix}`;
  }

  async lookup(key: string): Promise<StoreEntry | undefined> {
    checkNameSegment('key', key);
    return (await this.findEntry(key))?.entry;
  }

  async fetch(key: string, workDir: string): Promise<FetchedSnapshot | undefined> {
    checkNameSegment('key', key);
    // A second look when the object vanished mid-download: a racing publisher replaced the entry.
    for (let look = 1; ; look++) {
      const found = await this.findEntry(key);
      if (!found) return undefined;
      const { meta } = found.entry;
      await mkdir(workDir, { recursive: true });
      const file = path.join(workDir, `${key}.snapshot`);
      const progress = new ByteProgress(`s3: download ${key}`, meta.size);
      let measured;
      try {
        measured = await downloadFile(this.client, { bucket: this.bucket, key: found.object }, meta.size, file, progress, this.partRetry, this.tuning);
      } catch (err) {
        await rm(file, { force: true });
        if (isNotFound(err) && look === 1) {
          log.info(`s3: ${found.object} went away while downloading; looking ${key} up again`);
          continue;
        }
        throw new RemoteStoreError(this.kind, 'fetch', key, describeS3Error(err));
      }
      progress.finish();
      try {
        checkMeasured(`s3://${this.bucket}/${found.object}`, measured, meta);
      } catch (err) {
        log.warning(`s3: snapshot '${key}' is corrupt (${errorMessage(err)}); treating it as a miss`);
        await rm(file, { force: true });
        await this.uncommit(found);
        return undefined;
      }
      await this.markUsed(found);
      return { file, meta };
    }
  }

  async publish(file: string, partial: PublishMeta): Promise<StoreEntry> {
    checkNameSegment('key', partial.key);
    checkNameSegment('stage', partial.stage);
    const existing = await this.readEntry(this.own, partial.key);
    if (existing) {
      log.info(`s3: ${partial.key} is already present (${existing.entry.location})`);
      return existing.entry;
    }
    const uploadId = newUploadId();
    const object = this.own.snapshot(partial.key, uploadId);
    const { size } = await stat(file);
    const measured = await s3Step('upload', partial.key, this.retry, async () => {
      const progress = new ByteProgress(`s3: upload ${partial.key}`, size);
      const sent = await uploadFile(this.client, { bucket: this.bucket, key: object }, file, progress, this.tuning);
      progress.finish();
      return sent;
    });
    const meta = completeMeta(partial, measured, this.scope);
    const stored = await this.head(object, partial.key);
    if (stored?.size !== meta.size) {
      await this.deleteQuietly(object);
      throw new RemoteStoreError(
        this.kind,
        'upload',
        partial.key,
        `the server holds ${stored ? `${stored.size} bytes` : 'nothing'} at ${object} after ${meta.size} were sent`,
      );
    }
    const entry = await this.commit(meta, uploadId, object);
    await this.writeIndexMarker(this.own, entry.meta);
    if (this.options.maxBytes !== undefined) await this.evict(this.options.maxBytes, entry.meta.key);
    return entry;
  }

  async list(stage?: string): Promise<StoreEntry[]> {
    if (stage) checkNameSegment('stage', stage);
    const entries: StoreEntry[] = [];
    for (const layout of this.readable) {
      const listed = await this.listObjects(stage ? layout.indexOf(stage) : layout.metas, stage ?? '*');
      const keys = listed.map((o) => path.posix.basename(o.name).replace(/\.json$/, ''));
      for (const key of new Set(keys)) {
        const found = await this.readEntry(layout, key);
        if (found && (!stage || found.entry.meta.stage === stage)) entries.push(found.entry);
      }
    }
    return entries.sort((a, b) => b.meta.created.localeCompare(a.meta.created));
  }

  /** The first readable scope's usable entry of `key`. */
  private async findEntry(key: string): Promise<FoundEntry | undefined> {
    for (const layout of this.readable) {
      const found = await this.readEntry(layout, key);
      if (found) return found;
    }
    return undefined;
  }

  /** GET the commit record, check it, HEAD the object it names. Anything wrong is a miss, reported. */
  private async readEntry(layout: ScopeLayout, key: string): Promise<FoundEntry | undefined> {
    const name = layout.meta(key);
    const record = await this.readRecord(name, key);
    if (!record) return undefined;
    let meta: SnapshotMeta;
    try {
      meta = decodeMeta(record.text, key);
    } catch (err) {
      log.warning(`s3: ignoring ${name}: ${errorMessage(err)}`);
      return undefined;
    }
    if (!mayUse(this.scope, meta)) {
      log.warning(`s3: ignoring ${name}: published by an untrusted build (${meta.ref})`);
      return undefined;
    }
    if (!record.uploadId || !/^[A-Za-z0-9-]+$/.test(record.uploadId)) {
      log.warning(`s3: ignoring ${name}: it names no snapshot object`);
      return undefined;
    }
    const object = layout.snapshot(key, record.uploadId);
    const stored = await this.head(object, key);
    if (!stored) {
      log.info(`s3: ${name} names ${object}, which is gone; treating it as a miss`);
      return undefined;
    }
    if (stored.size !== meta.size) {
      log.warning(`s3: ${object} has ${stored.size} bytes, its metadata says ${meta.size}: corrupt; treating it as a miss`);
      return undefined;
    }
    return { entry: { meta, location: `s3://${this.bucket}/${object}` }, layout, uploadId: record.uploadId, object };
  }

  private async readRecord(name: string, key: string): Promise<{ text: string; uploadId?: string } | undefined> {
    return s3Step('lookup', key, this.retry, async () => {
      try {
        const response = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: name }));
        return { text: (await response.Body?.transformToString()) ?? '', uploadId: response.Metadata?.[SNAPSHOT_FIELD] };
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    });
  }

  private async head(object: string, key: string): Promise<{ size: number } | undefined> {
    return s3Step('lookup', key, this.retry, async () => {
      try {
        const response = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: object }));
        return { size: response.ContentLength ?? -1 };
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    });
  }

  /** Step 2 and 3 of the protocol: the commit record, written last; the winner's entry when another publisher won. */
  private async commit(meta: SnapshotMeta, uploadId: string, object: string): Promise<StoreEntry> {
    const ours: StoreEntry = { meta, location: `s3://${this.bucket}/${object}` };
    const outcome = await this.writeRecord(meta, uploadId, this.conditionalWrites);
    if (outcome === 'written') {
      const record = await this.readRecord(this.own.meta(meta.key), meta.key);
      if (record?.uploadId === uploadId) return ours;
    }
    // Another publisher's record stands (a 412, or a later unconditional write over ours).
    const winner = await this.readEntry(this.own, meta.key);
    if (winner) {
      log.info(`s3: ${meta.key} was published concurrently by another job; keeping that entry (${winner.entry.location})`);
      await this.deleteQuietly(object);
      return winner.entry;
    }
    // The record that stands names no intact snapshot (its object expired or was deleted): replace it.
    log.info(`s3: the record of ${meta.key} names no intact snapshot; replacing it with this one`);
    await this.writeRecord(meta, uploadId, false);
    return ours;
  }

  private async writeRecord(meta: SnapshotMeta, uploadId: string, conditional: boolean): Promise<'written' | 'exists'> {
    const put = (ifNoneMatch: boolean) =>
      this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: this.own.meta(meta.key),
          Body: encodeMeta(meta),
          ContentType: 'application/json',
          Metadata: { [SNAPSHOT_FIELD]: uploadId },
          ...(ifNoneMatch ? { IfNoneMatch: '*' } : {}),
        }),
      );
    return s3Step('commit', meta.key, this.retry, async () => {
      try {
        await put(conditional);
        return 'written';
      } catch (err) {
        if (conditional && isNotImplemented(err)) {
          log.info(`s3: the server does not implement conditional writes; committing without (the record is read back instead)`);
          this.conditionalWrites = false;
          await put(false);
          return 'written';
        }
        if (conditional && isConditionalConflict(err)) return 'exists';
        throw err;
      }
    });
  }

  /** Removes the commit record of a corrupt entry (so a rebuild can take its place), then its object; best effort. */
  private async uncommit(found: FoundEntry): Promise<void> {
    const key = found.entry.meta.key;
    const name = found.layout.meta(key);
    try {
      const record = await this.readRecord(name, key);
      if (record?.uploadId !== found.uploadId) return; // replaced meanwhile: not ours to remove
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: name }));
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: found.object }));
      log.warning(`s3: removed the corrupt entry ${key} (${name}); the stage will be built and published again`);
    } catch (err) {
      log.warning(`s3: could not remove the corrupt entry ${name} (${describeS3Error(err)}); it stays a miss for this build`);
    }
  }

  /** The index marker: found by list(stage); written again on each use, its LastModified orders eviction. */
  private async writeIndexMarker(layout: ScopeLayout, meta: SnapshotMeta): Promise<void> {
    await this.client
      .send(new PutObjectCommand({ Bucket: this.bucket, Key: layout.indexMarker(meta.stage, meta.key), Body: '', ContentLength: 0 }))
      .catch((err: unknown) => log.debug(`s3: index marker of ${meta.key} not written: ${describeS3Error(err)}`));
  }

  private async markUsed(found: FoundEntry): Promise<void> {
    try {
      checkNameSegment('stage', found.entry.meta.stage);
    } catch {
      return;
    }
    // A pull request's credential may not write trusted/: its uses of trusted entries are not recorded.
    await this.writeIndexMarker(found.layout, found.entry.meta);
  }

  private async deleteQuietly(object: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: object })).catch(() => undefined);
  }

  private async listObjects(prefix: string, key: string): Promise<ListedObject[]> {
    const objects: ListedObject[] = [];
    let token: string | undefined;
    do {
      const page = await s3Step('list', key, this.retry, () =>
        this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token })),
      );
      for (const o of page.Contents ?? []) objects.push({ name: o.Key ?? '', size: o.Size ?? 0, modified: o.LastModified?.getTime() ?? 0 });
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return objects;
  }

  /**
   * Keeps the prefix under `maxBytes`: removes orphaned snapshot objects older than a day, then whole
   * entries, least recently used first (record first, so no reader sees an entry without its object).
   * Entries of every scope count; what this credential may not delete is reported and kept.
   */
  private async evict(maxBytes: number, keep: string): Promise<void> {
    try {
      const entries = await this.inventory();
      let total = [...entries.values()].reduce((sum, e) => sum + e.snapshots.reduce((s, o) => s + o.size, 0), 0);
      const now = Date.now();
      for (const entry of entries.values()) {
        const referenced = entry.record ? (await this.readRecord(entry.record.name, entry.key))?.uploadId : undefined;
        for (const snapshot of entry.snapshots) {
          if (snapshot.name.endsWith(`/${referenced}`) || now - snapshot.modified < ORPHAN_AGE_MS) continue;
          await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: snapshot.name }));
          total -= snapshot.size;
          entry.snapshots = entry.snapshots.filter((s) => s !== snapshot);
          log.info(`s3: removed ${snapshot.name} (${formatBytes(snapshot.size)}), a snapshot object no entry names`);
        }
      }
      const byUse = [...entries.values()].filter((e) => e.record).sort((a, b) => a.lastUsed - b.lastUsed);
      for (const entry of byUse) {
        if (total <= maxBytes) break;
        if (entry.key === keep && entry.scope === this.own.scope) continue;
        const size = entry.snapshots.reduce((s, o) => s + o.size, 0);
        for (const name of [entry.record!.name, ...entry.markers, ...entry.snapshots.map((s) => s.name)]) {
          await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: name }));
        }
        total -= size;
        log.info(
          `s3: evicted ${entry.scope}/${entry.key} (${formatBytes(size)}, last used ${new Date(entry.lastUsed).toISOString()}) to keep ${this.where} under ${formatBytes(maxBytes)}`,
        );
      }
    } catch (err) {
      log.warning(`s3: eviction stopped: ${describeS3Error(err)} (store-max-size is not enforced until a credential that may delete there runs it)`);
    }
  }

  /** Every entry under the prefix, from one listing: its record, index markers, snapshot objects and last use. */
  private async inventory(): Promise<Map<string, InventoryEntry>> {
    const entries = new Map<string, InventoryEntry>();
    const { prefix } = this.options.location;
    for (const object of await this.listObjects(`${prefix}/`, '*')) {
      const parsed = parseObjectName(prefix, object.name);
      if (!parsed) continue;
      const id = `${parsed.scope}\n${parsed.key}`;
      const entry = entries.get(id) ?? { scope: parsed.scope, key: parsed.key, snapshots: [], markers: [], lastUsed: 0 };
      entries.set(id, entry);
      if (parsed.kind === 'meta') entry.record = object;
      else if (parsed.kind === 'snapshot') entry.snapshots.push(object);
      else entry.markers.push(object.name);
      if (parsed.kind !== 'snapshot') entry.lastUsed = Math.max(entry.lastUsed, object.modified);
    }
    return entries;
  }
}

interface InventoryEntry {
  scope: string;
  key: string;
  record?: ListedObject;
  snapshots: ListedObject[];
  markers: string[];
  lastUsed: number;
}
