/**
 * The snapshot store: where stage snapshots live between jobs. Every backend (a local or shared
 * directory, the Actions cache, workflow artifacts) offers the same three verbs — lookup, fetch,
 * publish — and keeps the same metadata with each snapshot.
 */

export type Trust = 'trusted' | 'untrusted';

/** The store kinds a build may ask for; `auto` picks one from what is configured. */
export const STORE_KINDS = ['local', 's3', 'actions-cache', 'artifact', 'auto'] as const;

/** Who is reading or writing: builds of trusted refs never see entries that untrusted refs wrote. */
export interface TrustScope {
  trust: Trust;
  /** The git ref of the build, e.g. refs/heads/main or refs/pull/12/merge. */
  ref: string;
}

export const META_FORMAT = 1;

/** Travels with every snapshot, in every backend. */
export interface SnapshotMeta {
  format: typeof META_FORMAT;
  key: string;
  stage: string;
  parentKey: string | null;
  /** Output digest of the parent snapshot this one was built on (what the key hashes), null for the first stage. */
  parentDigest?: string | null;
  /**
   * Output digest of this snapshot (src/rootfs/output-digest.ts): equal digests mean equal trees, so the
   * later stages' keys, which hash it, stay the same.
   */
  outputDigest?: string;
  /** Per-path output manifest, gzip + base64 (encodeOutputManifest); for explanations only. */
  outputManifest?: string;
  /** The volatile globs the digest ignored. */
  volatile?: string[];
  /** Bytes of the snapshot file. */
  size: number;
  /** sha256 (hex) of the snapshot file. */
  sha256: string;
  /** How the snapshot file is compressed; every snapshot is a tar archive of the root filesystem. */
  compression: 'zstd' | 'gzip';
  /** ISO 8601 time of publishing. */
  created: string;
  /** Wall-clock seconds the stage took to build. */
  buildSeconds: number;
  /** Input manifest: checkout-relative path → "<mode> <git object id>". */
  inputs: Record<string, string>;
  /** Who published it. */
  trust: Trust;
  ref: string;
}

/** What a caller supplies when publishing; the store measures size and checksum itself. */
export type PublishMeta = Omit<SnapshotMeta, 'format' | 'size' | 'sha256' | 'created' | 'trust' | 'ref'>;

export interface StoreEntry {
  meta: SnapshotMeta;
  /** Backend-specific location, for logs (a directory, a cache key, an artifact id). */
  location: string;
}

export interface FetchedSnapshot {
  /** A local file holding the verified snapshot. Read it; do not modify or delete it. */
  file: string;
  meta: SnapshotMeta;
}

export interface SnapshotStore {
  /** Short name for logs and summaries: "local", "actions-cache", "artifact". */
  readonly kind: string;
  /** Who reads and writes through this store: decides which entries it returns and where it publishes. */
  readonly scope: TrustScope;
  /** Whether an entry exists and may be used by this scope. Downloads nothing. */
  lookup(key: string): Promise<StoreEntry | undefined>;
  /**
   * Brings the snapshot to a local file and verifies its sha256. A corrupt entry is reported,
   * quarantined where the backend allows it, and returned as a miss (undefined).
   * @param workDir where a download may be written
   */
  fetch(key: string, workDir: string): Promise<FetchedSnapshot | undefined>;
  /**
   * Publishes a snapshot file atomically: an interrupted publish leaves nothing that lookup returns.
   * Publishing a key that already exists succeeds and keeps one valid entry.
   */
  publish(file: string, meta: PublishMeta): Promise<StoreEntry>;
  /** Entries this scope may read, newest first; optionally only one stage's. For plan and explain. */
  list(stage?: string): Promise<StoreEntry[]>;
  /** Warnings a person should see in the job summary (e.g. a snapshot large for the cache budget). */
  readonly notices?: readonly string[];
  /** The directory on this machine that holds the entries, for a store that has one (a restore must never write there). */
  readonly directory?: string;
}
