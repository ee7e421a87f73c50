/**
 * Runs one store operation in its own process, so tests can kill it mid-transfer, measure its peak
 * memory, or run two publishers at once. Job from PIZLIX_STORE_CHILD_JOB (JSON); prints `RESULT <json>` as its last line.
 */
import { ActionsCacheStore } from '../../src/store/actions-cache.js';
import { ArtifactStore, type ArtifactSource } from '../../src/store/artifact.js';
import { LocalStore } from '../../src/store/local.js';
import { S3Store } from '../../src/store/s3.js';
import { resolveS3Location, type S3StoreInputs } from '../../src/store/s3-layout.js';
import type { SnapshotStore } from '../../src/store/types.js';

export interface StoreChildResult {
  publishSeconds?: number;
  fetchSeconds?: number;
  fetched?: { file: string; sha256: string };
  maxRssBytes: number;
}

export interface StoreChildJob {
  backend: 'actions-cache' | 'artifact' | 'local' | 's3';
  /** Cache staging directory, artifact scratch directory, or the local store's root (unused by s3). */
  stagingDir: string;
  key: string;
  /** When given, publish this file under `key` first. */
  file?: string;
  /** When given, fetch `key` into this directory. */
  workDir?: string;
  /** Artifact backend: read another run's artifacts. */
  source?: ArtifactSource;
  /** s3 backend: the bucket (credentials come from the environment). */
  s3?: S3StoreInputs;
}

const job = JSON.parse(process.env.PIZLIX_STORE_CHILD_JOB ?? '{}') as StoreChildJob;
const scope = { trust: 'trusted' as const, ref: 'refs/heads/main' };
const retry = { attempts: 1, delayMs: 0 };
const store: SnapshotStore =
  job.backend === 'actions-cache'
    ? new ActionsCacheStore(scope, { stagingDir: job.stagingDir, retry })
    : job.backend === 'artifact'
      ? new ArtifactStore(scope, { tempDir: job.stagingDir, retry, source: job.source })
      : job.backend === 's3'
        ? new S3Store(scope, { location: resolveS3Location(job.s3 ?? {}), retry })
        : new LocalStore(job.stagingDir, scope);

let publishSeconds: number | undefined;
if (job.file) {
  const t0 = Date.now();
  await store.publish(job.file, { key: job.key, stage: 'child', parentKey: null, compression: 'zstd', buildSeconds: 1, inputs: {} });
  publishSeconds = (Date.now() - t0) / 1000;
}
let fetchSeconds: number | undefined;
let fetched: { file: string; sha256: string } | undefined;
if (job.workDir) {
  const t1 = Date.now();
  const result = await store.fetch(job.key, job.workDir);
  fetched = result && { file: result.file, sha256: result.meta.sha256 };
  fetchSeconds = (Date.now() - t1) / 1000;
}
// maxRSS is in kilobytes
process.stdout.write(`\nRESULT ${JSON.stringify({ publishSeconds, fetchSeconds, fetched, maxRssBytes: process.resourceUsage().maxRSS * 1024 })}\n`);
