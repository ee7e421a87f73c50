/**
 * `store: artifact` — snapshots as workflow-run artifacts, through @actions/artifact.
 *
 * Each stage job uploads two artifacts, snapshot first, metadata last:
 *   <key>.snapshot-<sha256[0:16]>   zip (compression level 0: the snapshot is compressed already) of `snapshot`
 *   <key>.meta                      zip of meta.json
 * A later job of the same run lists the run's artifacts (one call, nothing downloaded), reads the
 * small meta artifact and fetches the snapshot it names, checking the artifact digest while
 * downloading and the snapshot's sha256 afterwards. An upload interrupted before its meta artifact
 * is finalized is invisible; the checksum in the snapshot's name keeps a meta from ever pairing
 * with another publisher's snapshot.
 *
 * With `source` (a token and a run id) lookups and fetches read another run's artifacts, e.g. a
 * release pipeline reusing a build run's snapshots; publishing always goes to the current run.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DefaultArtifactClient, type Artifact, type FindOptions } from '@actions/artifact';
import { errorMessage, InputError } from '../util/errors.js';
import { log } from '../util/log.js';
import { ByteProgress } from '../util/progress.js';
import { withRetries, type RetryPolicy } from '../util/retry.js';
import { decodeMeta, describeSnapshot, encodeMeta } from './meta.js';
import { DEFAULT_RETRY, linkOrCopy, moveFile, RemoteStoreError, verifyDownload } from './remote-common.js';
import { mayUse } from './trust.js';
import type { FetchedSnapshot, PublishMeta, SnapshotMeta, SnapshotStore, StoreEntry, TrustScope } from './types.js';

const META_SUFFIX = '.meta';
/** Characters @actions/artifact refuses in names. */
const FORBIDDEN_NAME_CHARS = /[":<>|*?\r\n\\/\s,]/;

/** Another workflow run to read snapshots from. */
export interface ArtifactSource {
  /** A token with actions:read on the repository. */
  token: string;
  workflowRunId: number;
  repositoryOwner: string;
  repositoryName: string;
}

export interface ArtifactStoreOptions {
  /** Read from this run instead of the current one. */
  source?: ArtifactSource;
  /** Scratch space for staging uploads and small downloads (default: $RUNNER_TEMP or the OS temp dir). */
  tempDir?: string;
  retry?: RetryPolicy;
}

interface Found {
  entry: StoreEntry;
  snapshot: Artifact;
}

export class ArtifactStore implements SnapshotStore {
  readonly kind = 'artifact';
  private readonly client = new DefaultArtifactClient();
  private readonly retry: RetryPolicy;
  private readonly find: FindOptions;
  private readonly tempRoot: string;

  constructor(
    readonly scope: TrustScope,
    private readonly options: ArtifactStoreOptions = {},
  ) {
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.find = options.source ? { findBy: options.source } : {};
    this.tempRoot = options.tempDir ?? process.env.RUNNER_TEMP ?? os.tmpdir();
  }

  async lookup(key: string): Promise<StoreEntry | undefined> {
    checkKey(key);
    return (await this.findEntry(key, await this.listRun('lookup', key)))?.entry;
  }

  async fetch(key: string, workDir: string): Promise<FetchedSnapshot | undefined> {
    checkKey(key);
    const found = await this.findEntry(key, await this.listRun('lookup', key));
    if (!found) return undefined;
    const { meta } = found.entry;
    const scratch = await this.scratchDir('fetch');
    try {
      const started = Date.now();
      log.info(`artifact: downloading ${found.snapshot.name} (artifact ${found.snapshot.id})`);
      const expectedHash = found.snapshot.digest ? withSha256Prefix(found.snapshot.digest) : undefined;
      const { digestMismatch } = await this.withRetries('download', key, () =>
        this.client.downloadArtifact(found.snapshot.id, { ...this.find, path: scratch, expectedHash }),
      );
      if (digestMismatch) {
        log.warning(`artifact: ${found.snapshot.name} does not match its digest ${expectedHash}: corrupt; treating it as a miss`);
        return undefined;
      }
      const file = path.join(workDir, `${key}.snapshot`);
      await moveFile(path.join(scratch, 'snapshot'), file);
      if (!(await verifyDownload(this.kind, file, meta, started))) return undefined;
      return { file, meta };
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }

  async publish(file: string, publishMeta: PublishMeta): Promise<StoreEntry> {
    checkKey(publishMeta.key);
    const meta = await describeSnapshot(file, publishMeta, this.scope);
    const existing = this.options.source ? undefined : await this.findEntry(meta.key, await this.listRun('publish', meta.key));
    if (existing) {
      log.info(`artifact: ${meta.key} is already present (${existing.entry.location})`);
      return existing.entry;
    }
    const scratch = await this.scratchDir('publish');
    try {
      const name = snapshotName(meta);
      await linkOrCopy(file, path.join(scratch, 'snapshot'));
      const progress = new ByteProgress(`artifact: upload ${name}`, meta.size);
      const snapshotId = await this.upload(name, path.join(scratch, 'snapshot'), scratch, 0);
      progress.add(meta.size);
      progress.finish();
      // The meta artifact goes last: until it exists, lookups do not see the snapshot.
      await writeFile(path.join(scratch, 'meta.json'), encodeMeta(meta));
      await this.upload(metaName(meta.key), path.join(scratch, 'meta.json'), scratch, 6);
      return { meta, location: `artifact ${snapshotId} '${name}'` };
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }

  /** Entries of the run (this one, or `source`), newest first; reads each small meta artifact. */
  async list(stage?: string): Promise<StoreEntry[]> {
    const artifacts = await this.listRun('list', stage ?? '*');
    const entries: StoreEntry[] = [];
    for (const artifact of artifacts) {
      if (!artifact.name.endsWith(META_SUFFIX)) continue;
      const key = artifact.name.slice(0, -META_SUFFIX.length);
      const found = await this.findEntry(key, artifacts);
      if (found && (!stage || found.entry.meta.stage === stage)) entries.push(found.entry);
    }
    return entries.sort((a, b) => b.meta.created.localeCompare(a.meta.created));
  }

  private async listRun(operation: string, key: string): Promise<Artifact[]> {
    const { artifacts } = await this.withRetries(operation, key, () => this.client.listArtifacts({ ...this.find, latest: true }));
    return artifacts;
  }

  private async findEntry(key: string, artifacts: Artifact[]): Promise<Found | undefined> {
    const metaArtifact = artifacts.find((a) => a.name === metaName(key));
    if (!metaArtifact) return undefined;
    const meta = await this.readMeta(metaArtifact, key);
    if (!meta) return undefined;
    if (!mayUse(this.scope, meta)) {
      log.warning(`artifact: ignoring ${metaArtifact.name}: published by an untrusted build (${meta.ref})`);
      return undefined;
    }
    const snapshot = artifacts.find((a) => a.name === snapshotName(meta));
    if (!snapshot) {
      log.warning(`artifact: ${metaArtifact.name} names ${snapshotName(meta)}, which is missing (expired?); treating as a miss`);
      return undefined;
    }
    return { entry: { meta, location: `artifact ${snapshot.id} '${snapshot.name}'` }, snapshot };
  }

  private async readMeta(metaArtifact: Artifact, key: string): Promise<SnapshotMeta | undefined> {
    const scratch = await this.scratchDir('meta');
    try {
      await this.withRetries('lookup', key, () => this.client.downloadArtifact(metaArtifact.id, { ...this.find, path: scratch }));
      return decodeMeta(await readFile(path.join(scratch, 'meta.json'), 'utf8'), key);
    } catch (err) {
      if (err instanceof RemoteStoreError) throw err;
      log.warning(`artifact: ignoring ${metaArtifact.name}: ${errorMessage(err)}`);
      return undefined;
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }

  /**
   * Uploads one file as an artifact. If an attempt fails after the service finalized the artifact,
   * the name is taken: an artifact of that name in this run counts as uploaded (its name carries
   * the checksum, or it is the meta of this very key).
   */
  private async upload(name: string, file: string, root: string, compressionLevel: number): Promise<number> {
    return this.withRetries('upload', name, async () => {
      try {
        const { id } = await this.client.uploadArtifact(name, [file], root, { compressionLevel });
        if (id === undefined) throw new Error('the service returned no artifact id');
        return id;
      } catch (err) {
        const { artifacts } = await this.client.listArtifacts({ latest: true }).catch(() => ({ artifacts: [] as Artifact[] }));
        const present = artifacts.find((a) => a.name === name);
        if (present) {
          log.info(`artifact: ${name} already exists (artifact ${present.id}); keeping it`);
          return present.id;
        }
        throw err;
      }
    });
  }

  private async withRetries<T>(operation: string, key: string, call: () => Promise<T>): Promise<T> {
    try {
      return await withRetries(`artifact: ${operation} ${key}`, this.retry, call);
    } catch (err) {
      throw new RemoteStoreError(this.kind, operation, key, errorMessage(err));
    }
  }

  private async scratchDir(purpose: string): Promise<string> {
    await mkdir(this.tempRoot, { recursive: true });
    return mkdtemp(path.join(this.tempRoot, `pizlix-artifact-${purpose}-`));
  }
}

function snapshotName(meta: SnapshotMeta): string {
  return `${meta.key}.snapshot-${meta.sha256.slice(0, 16)}`;
}

function metaName(key: string): string {
  return `${key}${META_SUFFIX}`;
}

/** Uploads report the digest as bare hex; downloads compare against "sha256:<hex>". */
function withSha256Prefix(digest: string): string {
  return digest.startsWith('sha256:') ? digest : `sha256:${digest}`;
}

function checkKey(key: string): void {
  if (!key || key.length > 200 || FORBIDDEN_NAME_CHARS.test(key)) {
    throw new InputError('key', `'${key}' cannot name an artifact`, '1 to 200 characters without " : < > | * ? \\ / commas or spaces');
  }
}
