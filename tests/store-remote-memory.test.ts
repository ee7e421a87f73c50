/**
 * Moving a 2 GiB snapshot through each remote backend (publish, then fetch) in a child process
 * keeps its peak memory under a fixed bound: transfers stream, they are not buffered whole. The s3
 * store goes to s3rver in its own process.
 */
import assert from 'node:assert/strict';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { formatBytes } from '../src/util/format.js';
import { sha256File } from '../src/util/hash.js';
import { writeIncompressibleFile } from './results-service/big-file.js';
import { startS3Server, type S3Server } from './harness/s3-server.js';
import { startResultsService, type ResultsService } from './results-service/index.js';
import { startStoreChild } from './results-service/run-store-child.js';

const ROOT = `/var/tmp/pizlix-stage-tests/store-remote-memory-${process.pid}`;
const SNAPSHOT_BYTES = 2 * 1024 ** 3;
/**
 * Peak resident memory allowed for the process moving the snapshot: well under half the snapshot, so a
 * transfer that buffered it whole (2 GiB and more) fails. The bound is set by @actions/cache's own
 * restore on github.com's blob domain: the Azure SDK downloads 128 MiB segments into a buffer each
 * (measured: 420-520 MiB peak for 2 GiB, depending on when the garbage collector runs); everything else
 * streams (the artifact path: ~280 MiB).
 */
const PEAK_RSS_BOUND = 768 * 1024 ** 2;
/**
 * The s3 store holds at most its parts in flight: lib-storage's queue of 4 upload parts of 16 MiB (and
 * the one being filled), and on download a window of 8 ranged parts of 16 MiB waiting to be hashed in
 * order (measured: about 340 MiB peak with the SDK, Node and garbage not yet collected).
 */
const S3_PEAK_RSS_BOUND = 512 * 1024 ** 2;

let service: ResultsService;
let s3: S3Server;
let snapshot: string;
let sha256: string;

before(async () => {
  await rm(ROOT, { recursive: true, force: true });
  await mkdir(path.join(ROOT, 'workspace'), { recursive: true });
  service = await startResultsService({ dataDir: path.join(ROOT, 'service') });
  s3 = await startS3Server(path.join(ROOT, 's3rver'));
  snapshot = path.join(ROOT, 'snapshot.tar.zst');
  await writeIncompressibleFile(snapshot, SNAPSHOT_BYTES);
  sha256 = await sha256File(snapshot);
});

after(async () => {
  await service?.stop();
  await s3?.stop();
  await rm(ROOT, { recursive: true, force: true });
});

for (const backend of ['actions-cache', 'artifact', 's3'] as const) {
  const bound = backend === 's3' ? S3_PEAK_RSS_BOUND : PEAK_RSS_BOUND;
  test(`${backend}: a 2 GiB snapshot moves both ways in under ${formatBytes(bound)} of memory`, { timeout: 20 * 60_000 }, async () => {
    const workDir = path.join(ROOT, `fetched-${backend}`);
    await mkdir(workDir, { recursive: true });
    const env = { ...process.env, ...service.env, ...s3.env, GITHUB_WORKSPACE: path.join(ROOT, 'workspace'), RUNNER_TEMP: path.join(ROOT, 'runner-temp') };
    const job = { backend, stagingDir: path.join(ROOT, `staging-${backend}`), file: snapshot, key: `memory-${backend}`, workDir, s3: s3.location };
    const result = await startStoreChild(job, env).result;
    process.stdout.write(
      `${backend}: publish ${result.publishSeconds?.toFixed(1)} s, fetch ${result.fetchSeconds?.toFixed(1)} s, peak RSS ${formatBytes(result.maxRssBytes)}\n`,
    );
    assert.ok(result.fetched, 'the snapshot came back');
    assert.equal(result.fetched.sha256, sha256);
    assert.equal(await sha256File(result.fetched.file), sha256);
    assert.ok(result.maxRssBytes < bound, `peak RSS ${formatBytes(result.maxRssBytes)} exceeds ${formatBytes(bound)}`);
    await rm(workDir, { recursive: true, force: true });
  });
}
