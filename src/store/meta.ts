/**
 * The one codec of snapshot metadata, for every store: building it for a publish, writing it, reading and
 * checking what a store hands back, and verifying a snapshot file against it. A store that skipped any of
 * these checks would be the weak one, so none of them lives in a backend.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { IntegrityError } from '../util/errors.js';
import { sha256File } from '../util/hash.js';
import { ByteProgress } from '../util/progress.js';
import { META_FORMAT, type PublishMeta, type SnapshotMeta, type TrustScope } from './types.js';

/** The full metadata of a snapshot about to be published by `scope`, from its measured size and sha256. */
export function completeMeta(partial: PublishMeta, measured: { size: number; sha256: string }, scope: TrustScope): SnapshotMeta {
  return {
    ...partial,
    format: META_FORMAT,
    size: measured.size,
    sha256: measured.sha256,
    created: new Date().toISOString(),
    trust: scope.trust,
    ref: scope.ref,
  };
}

/** Measures a file (one read, with progress) and completes its metadata. */
export async function describeSnapshot(file: string, partial: PublishMeta, scope: TrustScope): Promise<SnapshotMeta> {
  const { size } = await stat(file);
  const progress = new ByteProgress(`checksum ${path.basename(file)}`, size);
  const sha256 = await sha256File(file, progress);
  progress.finish();
  return completeMeta(partial, { size, sha256 }, scope);
}

export function encodeMeta(meta: SnapshotMeta): string {
  return `${JSON.stringify(meta, null, 2)}\n`;
}

/**
 * Reads metadata a store returned and checks every field a reader relies on (of `expectedKey`, when given).
 * Throws IntegrityError naming what is wrong: such an entry is corrupt and counts as a miss.
 */
export function decodeMeta(text: string, expectedKey?: string): SnapshotMeta {
  let meta: Partial<SnapshotMeta>;
  try {
    meta = JSON.parse(text) as Partial<SnapshotMeta>;
  } catch (err) {
    throw new IntegrityError(`metadata of '${expectedKey ?? '?'}' is not JSON: ${(err as Error).message}`);
  }
  const problems: string[] = [];
  if (meta.format !== META_FORMAT) problems.push(`format ${String(meta.format)} (expected ${META_FORMAT})`);
  if (typeof meta.key !== 'string' || (expectedKey !== undefined && meta.key !== expectedKey))
    problems.push(`key '${String(meta.key)}' (expected '${expectedKey}')`);
  if (typeof meta.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(meta.sha256)) problems.push('sha256 missing or malformed');
  if (typeof meta.size !== 'number' || !(meta.size >= 0)) problems.push('size missing');
  if (typeof meta.stage !== 'string') problems.push('stage missing');
  if (meta.compression !== 'zstd' && meta.compression !== 'gzip') problems.push('compression missing');
  if (typeof meta.created !== 'string') problems.push('created missing');
  if (meta.trust !== 'trusted' && meta.trust !== 'untrusted') problems.push('trust missing');
  if (typeof meta.inputs !== 'object' || meta.inputs === null) problems.push('inputs missing');
  // Output fields are optional (entries written before digests existed) but must be well-formed when present.
  if (meta.outputDigest !== undefined && !isHexDigest(meta.outputDigest)) problems.push('outputDigest malformed');
  if (meta.parentDigest !== undefined && meta.parentDigest !== null && !isHexDigest(meta.parentDigest)) problems.push('parentDigest malformed');
  if (meta.outputManifest !== undefined && (typeof meta.outputManifest !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(meta.outputManifest)))
    problems.push('outputManifest is not base64');
  if (meta.volatile !== undefined && !(Array.isArray(meta.volatile) && meta.volatile.every((v) => typeof v === 'string')))
    problems.push('volatile is not a list of globs');
  if (problems.length > 0) throw new IntegrityError(`metadata of '${expectedKey ?? meta.key}' is invalid: ${problems.join(', ')}`);
  return meta as SnapshotMeta;
}

function isHexDigest(value: unknown): boolean {
  return typeof value === 'string' && /^[0-9a-f]{64}$/.test(value);
}

/** Checks size and sha256 of a snapshot file against its metadata (with progress); throws IntegrityError. */
export async function verifySnapshotFile(file: string, meta: SnapshotMeta): Promise<void> {
  const info = await stat(file).catch(() => undefined);
  if (!info) throw new IntegrityError(`${file} is missing`);
  checkMeasured(file, { size: info.size }, meta);
  const progress = new ByteProgress(`verifying ${meta.stage} snapshot`, meta.size);
  const sha256 = await sha256File(file, progress);
  progress.finish();
  checkMeasured(file, { size: info.size, sha256 }, meta);
}

/**
 * Checks what was measured of a snapshot's bytes (size, and sha256 when known) against its metadata;
 * throws IntegrityError. For transfers that hash the bytes as they arrive instead of reading the file again.
 */
export function checkMeasured(what: string, measured: { size: number; sha256?: string }, meta: Pick<SnapshotMeta, 'size' | 'sha256'>): void {
  if (measured.size !== meta.size) throw new IntegrityError(`${what} has ${measured.size} bytes, its metadata says ${meta.size}`);
  if (measured.sha256 !== undefined && measured.sha256 !== meta.sha256)
    throw new IntegrityError(`sha256 of ${what} is ${measured.sha256}, expected ${meta.sha256}`);
}

/** The file name a snapshot has inside a store entry. */
export function snapshotFileName(meta: Pick<SnapshotMeta, 'compression'>): string {
  return meta.compression === 'zstd' ? 'snapshot.tar.zst' : 'snapshot.tar.gz';
}
