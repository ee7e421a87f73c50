/**
 * The Actions cache and artifact backends, through the real @actions/cache and @actions/artifact,
 * against the loopback results service (Twirp JSON + azurite), with injected faults.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ActionsCacheStore, cacheBudgetWarning } from '../src/store/actions-cache.js';
import { ArtifactStore } from '../src/store/artifact.js';
import { RemoteStoreError } from '../src/store/remote-common.js';
import type { PublishMeta, SnapshotStore, TrustScope } from '../src/store/types.js';
import { sha256File } from '../src/util/hash.js';
import { startResultsService, type ResultsService } from './results-service/index.js';
import { startStoreChild } from './results-service/run-store-child.js';

const ROOT = `/var/tmp/pizlix-stage-tests/store-remote-${process.pid}`;
const STAGING = path.join(ROOT, 'cache-staging');
const TRUSTED: TrustScope = { trust: 'trusted', ref: 'refs/heads/main' };
const PR_12: TrustScope = { trust: 'untrusted', ref: 'refs/pull/12/merge' };
const PR_13: TrustScope = { trust: 'untrusted', ref: 'refs/pull/13/merge' };
const FAST_RETRY = { attempts: 3, delayMs: 200 };

let service: ResultsService;
let counter = 0;

before(async () => {
  await rm(ROOT, { recursive: true, force: true });
  await mkdir(path.join(ROOT, 'workspace'), { recursive: true });
  service = await startResultsService({ dataDir: path.join(ROOT, 'service') });
  Object.assign(process.env, service.env, {
    GITHUB_WORKSPACE: path.join(ROOT, 'workspace'),
    RUNNER_TEMP: path.join(ROOT, 'runner-temp'),
  });
});

after(async () => {
  await service?.stop();
  await rm(ROOT, { recursive: true, force: true });
});

async function snapshotFile(bytes = 1 << 20): Promise<{ file: string; sha256: string; data: Buffer }> {
  const data = randomBytes(bytes);
  const file = path.join(ROOT, `input-${++counter}.tar.zst`);
  await writeFile(file, data);
  return { file, sha256: await sha256File(file), data };
}

function publishMeta(key: string, stage = 'stage1'): PublishMeta {
  return { key, stage, parentKey: null, compression: 'zstd', buildSeconds: 42, inputs: { 'stages/stage1.sh': '100644 abc' } };
}

async function workDir(): Promise<string> {
  const dir = path.join(ROOT, `work-${++counter}`);
  await mkdir(dir, { recursive: true });
  return dir;
}

const cacheStore = (scope: TrustScope = TRUSTED) => new ActionsCacheStore(scope, { stagingDir: STAGING, retry: FAST_RETRY });
const artifactStore = (scope: TrustScope = TRUSTED) => new ArtifactStore(scope, { tempDir: path.join(ROOT, 'artifact-temp'), retry: FAST_RETRY });

/** The same contract on both backends. */
for (const [kind, open] of [
  ['actions-cache', cacheStore],
  ['artifact', artifactStore],
] as const) {
  describe(`${kind}: the store contract`, () => {
    test('publish, then a lookup that downloads no snapshot, then a verified fetch with its metadata', async () => {
      const store: SnapshotStore = open();
      const key = `${kind}-roundtrip-${counter}`;
      const snapshot = await snapshotFile(2 << 20);
      const published = await store.publish(snapshot.file, publishMeta(key));
      assert.equal(published.meta.sha256, snapshot.sha256);
      assert.equal(published.meta.size, snapshot.data.length);
      assert.equal(published.meta.trust, 'trusted');

      const before = service.downloadedBytes();
      const found = await store.lookup(key);
      assert.ok(found, 'lookup finds the published snapshot');
      assert.deepEqual(found.meta, published.meta);
      assert.ok(service.downloadedBytes() - before < 64 * 1024, `lookup downloaded ${service.downloadedBytes() - before} bytes`);

      const fetched = await store.fetch(key, await workDir());
      assert.ok(fetched);
      assert.deepEqual(fetched.meta, published.meta);
      assert.equal(fetched.meta.buildSeconds, 42);
      assert.deepEqual(fetched.meta.inputs, { 'stages/stage1.sh': '100644 abc' });
      assert.ok((await readFile(fetched.file)).equals(snapshot.data));
    });

    test('an unknown key is a miss', async () => {
      const store = open();
      assert.equal(await store.lookup(`${kind}-never-published`), undefined);
      assert.equal(await store.fetch(`${kind}-never-published`, await workDir()), undefined);
    });

    test('publishing a key that exists succeeds and keeps the one entry', async () => {
      const store = open();
      const key = `${kind}-twice-${counter}`;
      const first = await store.publish((await snapshotFile()).file, publishMeta(key));
      const entries = service.state.cache.length + service.state.artifacts.length;
      const second = await store.publish((await snapshotFile()).file, publishMeta(key));
      assert.deepEqual(second.meta, first.meta);
      assert.equal(service.state.cache.length + service.state.artifacts.length, entries, 'nothing new was stored');
    });

    test('list(stage) returns the newest entry of the stage', async () => {
      const store = open();
      const stage = `${kind.replace('-', '')}list${counter}`;
      await store.publish((await snapshotFile(1024)).file, publishMeta(`${kind}-list-a-${counter}`, stage));
      await new Promise((r) => setTimeout(r, 20));
      const newest = await store.publish((await snapshotFile(1024)).file, publishMeta(`${kind}-list-b-${counter}`, stage));
      const listed = await store.list(stage);
      assert.ok(listed.length >= 1);
      assert.equal(listed[0].meta.key, newest.meta.key);
      assert.ok(listed.every((e) => e.meta.stage === stage));
    });

    test('a key that cannot name an entry is refused before any transfer', async () => {
      await assert.rejects(open().lookup('bad,key with space'), { name: 'InputError' });
    });

    test('a corrupted blob is reported and treated as a miss', async () => {
      const store = open();
      const key = `${kind}-corrupt-${counter}`;
      const published = await store.publish((await snapshotFile(1 << 20)).file, publishMeta(key));
      if (kind === 'actions-cache') await service.corruptCacheEntry(published.location);
      else await service.corruptArtifact(1000, published.location.match(/'(.+)'/)![1]);
      assert.ok(await store.lookup(key), 'the entry is still listed');
      assert.equal(await store.fetch(key, await workDir()), undefined);
    });

    test('an upload killed mid-transfer leaves nothing a lookup returns; publishing again works', async () => {
      const key = `${kind}-killed-${counter}`;
      const big = await snapshotFile(48 << 20);
      const startBytes = service.uploadedBytes();
      const child = startStoreChild({ backend: kind, stagingDir: path.join(ROOT, `child-${counter}`), file: big.file, key }, process.env);
      child.result.catch(() => undefined);
      const exited = new Promise((resolve) => child.process.once('exit', resolve));
      while (service.uploadedBytes() - startBytes < 4 << 20 && child.process.exitCode === null) await new Promise((r) => setTimeout(r, 5));
      child.process.kill('SIGKILL');
      await exited;
      assert.ok(service.uploadedBytes() - startBytes >= 4 << 20, 'the child was killed mid-upload');
      const store = kind === 'actions-cache' ? new ActionsCacheStore(TRUSTED, { stagingDir: path.join(ROOT, `child-${counter}`), retry: FAST_RETRY }) : open();
      assert.equal(await store.lookup(key), undefined);
      const republished = await store.publish(big.file, publishMeta(key));
      assert.equal((await store.lookup(key))?.meta.sha256, republished.meta.sha256);
    });
  });
}

describe('actions-cache: trust scopes', () => {
  test('what an untrusted ref publishes is never what a trusted build restores', async () => {
    const key = `trust-${counter}`;
    await cacheStore(PR_12).publish((await snapshotFile(1024)).file, publishMeta(key));
    assert.equal(await cacheStore(TRUSTED).lookup(key), undefined, 'trusted builds do not see PR entries');
    assert.equal(await cacheStore(PR_13).lookup(key), undefined, 'other pull requests do not see them either');
    assert.equal((await cacheStore(PR_12).lookup(key))?.meta.trust, 'untrusted', 'the PR sees its own');
  });

  test('untrusted builds read trusted entries', async () => {
    const key = `trust-shared-${counter}`;
    await cacheStore(TRUSTED).publish((await snapshotFile(1024)).file, publishMeta(key));
    assert.equal((await cacheStore(PR_13).lookup(key))?.meta.trust, 'trusted');
  });

  test('a snapshot rebuilt after its predecessor was evicted is found again', async () => {
    const key = `evicted-${counter}`;
    const first = await cacheStore().publish((await snapshotFile(1024)).file, publishMeta(key));
    service.evictCacheEntry(first.location);
    assert.equal(await cacheStore().lookup(key), undefined, 'a meta whose snapshot is gone is a miss');
    const rebuilt = await cacheStore().publish((await snapshotFile(1024)).file, publishMeta(key));
    assert.notEqual(rebuilt.meta.sha256, first.meta.sha256);
    assert.equal((await cacheStore().lookup(key))?.meta.sha256, rebuilt.meta.sha256);
  });

  test('a corrupt meta entry is reported and is a miss, not an error', async () => {
    const key = `corrupt-meta-${counter}`;
    const published = await cacheStore().publish((await snapshotFile(1024)).file, publishMeta(key));
    await service.corruptCacheEntry(published.location.replace('/snapshot/', '/meta/'));
    assert.equal(await cacheStore().lookup(key), undefined);
  });

  test('the cache budget warning names the share of the 10 GB budget', () => {
    assert.equal(cacheBudgetWarning(100 << 20), undefined);
    assert.match(cacheBudgetWarning(3 * 1024 ** 3) ?? '', /30% of the repository's 10.0 GiB/);
  });
});

describe('actions-cache: service faults', () => {
  test('500s from the service are retried', async () => {
    const key = `fault-500-${counter}`;
    service.faults.failTwirp('CreateCacheEntry', 500, 2);
    service.faults.failTwirp('GetCacheEntryDownloadURL', 500, 1);
    const published = await cacheStore().publish((await snapshotFile()).file, publishMeta(key));
    assert.deepEqual(service.faults.fired.splice(0), ['GetCacheEntryDownloadURL:500', 'CreateCacheEntry:500', 'CreateCacheEntry:500']);
    assert.equal((await cacheStore().lookup(key))?.meta.sha256, published.meta.sha256);
  });

  test('a 429 (which @actions/cache does not retry) is retried by the store', async () => {
    const key = `fault-429-${counter}`;
    await cacheStore().publish((await snapshotFile()).file, publishMeta(key));
    service.faults.failTwirp('GetCacheEntryDownloadURL', 429, 1);
    assert.ok(await cacheStore().lookup(key), 'the lookup was retried, not taken for a miss');
    assert.deepEqual(service.faults.fired.splice(0), ['GetCacheEntryDownloadURL:429']);
  });

  test('a service that keeps answering 429 fails clearly and leaves nothing behind', async () => {
    const key = `fault-429-forever-${counter}`;
    service.faults.failTwirp('CreateCacheEntry', 429, 100);
    await assert.rejects(cacheStore().publish((await snapshotFile()).file, publishMeta(key)), (err: unknown) => {
      assert.ok(err instanceof RemoteStoreError);
      assert.match(err.message, /actions-cache: save of '.*fault-429-forever.*' failed: .*429/);
      return true;
    });
    service.faults.clear();
    service.faults.fired.splice(0);
    assert.equal(await cacheStore().lookup(key), undefined);
  });

  test('a connection dropped mid-upload is retried', async () => {
    const key = `fault-drop-${counter}`;
    service.faults.dropUpload(256 * 1024, 1);
    const published = await cacheStore().publish((await snapshotFile(2 << 20)).file, publishMeta(key));
    assert.deepEqual(service.faults.fired.splice(0), ['blob-upload-dropped']);
    const fetched = await cacheStore().fetch(key, await workDir());
    assert.equal(fetched?.meta.sha256, published.meta.sha256);
  });

  test('a stalled download fails instead of hanging, and is retried', async () => {
    const key = `fault-stall-${counter}`;
    const published = await cacheStore().publish((await snapshotFile()).file, publishMeta(key));
    service.faults.stallDownload(1, 64 * 1024);
    const started = Date.now();
    const store = new ActionsCacheStore(TRUSTED, { stagingDir: STAGING, retry: FAST_RETRY, segmentTimeoutMs: 3000 });
    const fetched = await store.fetch(key, await workDir());
    assert.equal(fetched?.meta.sha256, published.meta.sha256);
    assert.deepEqual(service.faults.fired.splice(0), ['blob-download-stalled']);
    assert.ok(Date.now() - started < 25_000, `took ${Date.now() - started} ms`);
  });

  test('blob storage 500s are retried', async () => {
    const key = `fault-blob-500-${counter}`;
    service.faults.failBlob(500, 2);
    const published = await cacheStore().publish((await snapshotFile()).file, publishMeta(key));
    assert.deepEqual(service.faults.fired.splice(0), ['blob:500', 'blob:500']);
    assert.equal((await cacheStore().fetch(key, await workDir()))?.meta.sha256, published.meta.sha256);
  });
});

describe('artifact: runs and faults', () => {
  test('another run fetches by token and run id; the digest is checked', async () => {
    const key = `cross-run-${counter}`;
    const published = await artifactStore().publish((await snapshotFile()).file, publishMeta(key));
    // A separate process: @actions/github reads GITHUB_API_URL when it is first imported.
    const [owner, repo] = service.env.GITHUB_REPOSITORY.split('/');
    const source = { token: service.env.GITHUB_TOKEN, workflowRunId: 1000, repositoryOwner: owner, repositoryName: repo };
    const env = { ...process.env, ...service.envFor(2000) };
    const stagingDir = path.join(ROOT, 'cross-run');
    const ownRun = await startStoreChild({ backend: 'artifact', stagingDir, key, workDir: await workDir() }, env).result;
    assert.equal(ownRun.fetched, undefined, 'run 2000 has no such artifact of its own');
    const release = await startStoreChild({ backend: 'artifact', stagingDir, key, workDir: await workDir(), source }, env).result;
    assert.equal(release.fetched?.sha256, published.meta.sha256);
    const wrongToken = startStoreChild({ backend: 'artifact', stagingDir, key, workDir: await workDir(), source: { ...source, token: 'wrong' } }, env);
    await assert.rejects(wrongToken.result, /Bad credentials|401/);
  });

  test('a trusted build ignores what an untrusted run published', async () => {
    const key = `artifact-trust-${counter}`;
    await artifactStore(PR_12).publish((await snapshotFile(1024)).file, publishMeta(key));
    assert.equal(await artifactStore(TRUSTED).lookup(key), undefined);
    assert.ok(await artifactStore(PR_12).lookup(key));
  });

  test('service 500s and 429s are retried', async () => {
    const key = `artifact-faults-${counter}`;
    service.faults.failTwirp('CreateArtifact', 500, 1);
    service.faults.failTwirp('ListArtifacts', 429, 1);
    const published = await artifactStore().publish((await snapshotFile()).file, publishMeta(key));
    assert.deepEqual(service.faults.fired.splice(0).sort(), ['CreateArtifact:500', 'ListArtifacts:429']);
    assert.equal((await artifactStore().fetch(key, await workDir()))?.meta.sha256, published.meta.sha256);
  });

  test('a connection dropped mid-upload is retried', async () => {
    const key = `artifact-drop-${counter}`;
    service.faults.dropUpload(1 << 20, 1);
    const published = await artifactStore().publish((await snapshotFile(12 << 20)).file, publishMeta(key));
    assert.deepEqual(service.faults.fired.splice(0), ['blob-upload-dropped']);
    assert.equal((await artifactStore().fetch(key, await workDir()))?.meta.sha256, published.meta.sha256);
  });
});
