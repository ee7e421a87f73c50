/**
 * The s3 store through the real AWS SDK against a real S3 protocol server on loopback (s3rver, in its own
 * process) behind the fault proxy: the store contract, the commit protocol under races and killed
 * uploads, injected faults, trust, and eviction.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { CopyObjectCommand, DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { openStore } from '../src/store/index.js';
import { encodeMeta } from '../src/store/meta.js';
import { RemoteStoreError } from '../src/store/remote-common.js';
import { S3Store } from '../src/store/s3.js';
import { resolveS3Location } from '../src/store/s3-layout.js';
import type { PublishMeta, SnapshotMeta, StoreEntry, TrustScope } from '../src/store/types.js';
import { sha256File } from '../src/util/hash.js';
import { startS3Server, type S3Server } from './harness/s3-server.js';
import { makeTestDir, type TestDir } from './harness/workdir.js';
import { startStoreChild } from './results-service/run-store-child.js';

const TRUSTED: TrustScope = { trust: 'trusted', ref: 'refs/heads/main' };
const PR_12: TrustScope = { trust: 'untrusted', ref: 'refs/pull/12/merge' };
const PR_13: TrustScope = { trust: 'untrusted', ref: 'refs/pull/13/merge' };
const FAST_RETRY = { attempts: 3, delayMs: 200 };
const PREFIX = 'ci/pizlix';
const MiB = 1 << 20;

let dir: TestDir;
let server: S3Server;
let counter = 0;

before(async () => {
  dir = await makeTestDir('store-s3');
  server = await startS3Server(path.join(dir.path, 's3rver'));
  Object.assign(process.env, server.env);
});

afterEach(() => {
  server.faults.clear();
  server.faults.fired.splice(0);
});

after(async () => {
  await server?.stop();
  await dir?.remove();
});

function s3Store(scope: TrustScope = TRUSTED, options: { maxBytes?: number; prefix?: string } = {}): S3Store {
  const location = resolveS3Location({ ...server.location, prefix: options.prefix ?? PREFIX });
  // Small parts, so a few MiB already make a multipart upload and several ranged GETs.
  return new S3Store(scope, { location, maxBytes: options.maxBytes, retry: FAST_RETRY, partRetry: FAST_RETRY, tuning: { partBytes: 5 * MiB, parallel: 3 } });
}

async function snapshotFile(bytes = MiB): Promise<{ file: string; sha256: string; data: Buffer }> {
  const data = randomBytes(bytes);
  const file = path.join(dir.path, `input-${++counter}.tar.zst`);
  await writeFile(file, data);
  return { file, sha256: await sha256File(file), data };
}

function publishMeta(key: string, stage = 'stage1'): PublishMeta {
  return { key, stage, parentKey: null, compression: 'zstd', buildSeconds: 42, inputs: { 'stages/stage1.sh': '100644 abc' } };
}

async function workDir(): Promise<string> {
  const work = path.join(dir.path, `work-${++counter}`);
  await mkdir(work, { recursive: true });
  return work;
}

/** Object names under a prefix of the bucket, read directly (not through the store). */
async function objectsUnder(prefix: string): Promise<string[]> {
  const listed = await server.client().send(new ListObjectsV2Command({ Bucket: server.bucket, Prefix: prefix }));
  return (listed.Contents ?? []).map((o) => o.Key!).sort();
}

function objectOf(location: string): string {
  return location.replace(`s3://${server.bucket}/`, '');
}

describe('s3: the store contract', () => {
  test('publish (multipart), a lookup that reads one small object and lists nothing, then a verified ranged fetch', async () => {
    const store = s3Store();
    const key = `roundtrip-${counter}`;
    const snapshot = await snapshotFile(12 * MiB + 12345);
    server.operations.splice(0);
    const published = await store.publish(snapshot.file, publishMeta(key));
    assert.equal(published.meta.sha256, snapshot.sha256);
    assert.equal(published.meta.size, snapshot.data.length);
    assert.equal(published.meta.trust, 'trusted');
    assert.match(published.location, new RegExp(`^s3://${server.bucket}/${PREFIX}/trusted/snapshots/${key}/`));
    const publishOps = server.operations.splice(0);
    assert.equal(publishOps.filter((o) => o === 'UploadPart').length, 3, `three parts of 5 MiB: ${publishOps.join(' ')}`);
    assert.ok(publishOps.indexOf('CompleteMultipartUpload') < publishOps.lastIndexOf('PutObject'), 'the snapshot is complete before the record is written');

    const downloaded = server.downloadedBytes();
    const found = await store.lookup(key);
    assert.ok(found);
    assert.deepEqual(found.meta, published.meta);
    assert.deepEqual(server.operations.splice(0), ['GetObject', 'HeadObject'], 'one GET of the record and one HEAD of the snapshot');
    assert.ok(server.downloadedBytes() - downloaded < 4096, 'the lookup downloaded no snapshot');

    const fetched = await store.fetch(key, await workDir());
    assert.ok(fetched);
    assert.deepEqual(fetched.meta, published.meta);
    assert.ok((await readFile(fetched.file)).equals(snapshot.data));
    assert.ok(server.operations.filter((o) => o === 'GetObject').length >= 4, 'the snapshot came in ranged parts');
    assert.equal((await objectsUnder(`${PREFIX}/trusted/index/stage1/${key}`)).length, 1, 'the index marker records the entry');
  });

  test('an unknown key is a miss', async () => {
    assert.equal(await s3Store().lookup('never-published'), undefined);
    assert.equal(await s3Store().fetch('never-published', await workDir()), undefined);
  });

  test('publishing a key that exists succeeds, keeps the one entry and uploads nothing', async () => {
    const key = `twice-${counter}`;
    const first = await s3Store().publish((await snapshotFile()).file, publishMeta(key));
    const uploaded = server.uploadedBytes();
    const second = await s3Store().publish((await snapshotFile()).file, publishMeta(key));
    assert.deepEqual(second.meta, first.meta);
    assert.ok(server.uploadedBytes() - uploaded < 4096);
    assert.equal((await objectsUnder(`${PREFIX}/trusted/snapshots/${key}/`)).length, 1);
  });

  test('list(stage) reads the stage index, newest first', async () => {
    const stage = `list${counter}`;
    const [older, newer] = [`list-a-${counter}`, `list-b-${counter}`];
    await s3Store().publish((await snapshotFile(1024)).file, publishMeta(older, stage));
    await new Promise((r) => setTimeout(r, 20));
    const newest = await s3Store().publish((await snapshotFile(1024)).file, publishMeta(newer, stage));
    server.operations.splice(0);
    const listed = await s3Store().list(stage);
    assert.deepEqual(
      listed.map((e) => e.meta.key),
      [newer, older],
    );
    assert.equal(server.operations.filter((o) => o === 'ListObjectsV2').length, 1, 'one listing of the stage index');
    assert.ok(
      (await s3Store().list()).some((e) => e.meta.key === newest.meta.key),
      'list() without a stage reads every record',
    );
  });

  test('a key that cannot name an object is refused before any request', async () => {
    server.operations.splice(0);
    await assert.rejects(s3Store().lookup('bad/key'), { name: 'InputError' });
    assert.deepEqual(server.operations, []);
  });

  test('bad locations are refused with the input named', async () => {
    assert.throws(() => resolveS3Location({}), /input 's3-bucket': is required/);
    assert.throws(() => resolveS3Location({ bucket: 'No_Such' }), /input 's3-bucket': 'No_Such' is not a bucket name/);
    assert.throws(() => resolveS3Location({ bucket: 'ok-bucket', endpoint: 'minio:9000' }), /input 's3-endpoint': 'minio:9000' is not an http\(s\) URL/);
    assert.throws(() => resolveS3Location({ bucket: 'ok-bucket', prefix: 'a//b c' }), /input 's3-prefix'/);
    assert.deepEqual(resolveS3Location({ bucket: 'ok-bucket', prefix: '/ci/x/' }, {}), {
      bucket: 'ok-bucket',
      prefix: 'ci/x',
      endpoint: undefined,
      region: 'us-east-1',
      forcePathStyle: false,
    });
    assert.equal(resolveS3Location({ bucket: 'ok-bucket' }, { AWS_REGION: 'eu-central-1' }).region, 'eu-central-1');
  });

  test('auto is s3 when a bucket is given, local when a path is, else the Actions cache', async () => {
    assert.equal((await openStore({ kind: 'auto', s3: { bucket: 'some-bucket' }, path: '/var/tmp/x', scope: TRUSTED })).kind, 's3');
    assert.equal((await openStore({ kind: 'auto', path: path.join(dir.path, 'local'), scope: TRUSTED })).kind, 'local');
    await assert.rejects(openStore({ kind: 'auto', scope: TRUSTED }), /'actions-cache' needs the Actions results service/);
    await assert.rejects(openStore({ kind: 's3', scope: TRUSTED }), /input 's3-bucket': is required for store s3/);
  });
});

describe('s3: the commit protocol', () => {
  test('an upload killed mid-transfer leaves no record a lookup sees; publishing again works', async () => {
    const key = `killed-${counter}`;
    const big = await snapshotFile(64 * MiB);
    const started = server.uploadedBytes();
    const child = startStoreChild(
      { backend: 's3', stagingDir: dir.path, file: big.file, key, s3: { ...server.location, prefix: PREFIX } },
      { ...process.env, ...server.env },
    );
    child.result.catch(() => undefined);
    const exited = new Promise((resolve) => child.process.once('exit', resolve));
    while (server.uploadedBytes() - started < 8 * MiB && child.process.exitCode === null) await new Promise((r) => setTimeout(r, 5));
    child.process.kill('SIGKILL');
    await exited;
    assert.ok(server.uploadedBytes() - started >= 8 * MiB, 'the child was killed mid-upload');
    assert.deepEqual(await objectsUnder(`${PREFIX}/trusted/meta/${key}`), [], 'no record was written');
    assert.equal(await s3Store().lookup(key), undefined);
    const republished = await s3Store().publish(big.file, publishMeta(key));
    assert.equal((await s3Store().fetch(key, await workDir()))?.meta.sha256, republished.meta.sha256);
  });

  test('two jobs publishing one key at once both succeed and leave one valid entry', async () => {
    const key = `race-${counter}`;
    const [a, b] = [await snapshotFile(9 * MiB), await snapshotFile(9 * MiB)];
    const env = { ...process.env, ...server.env };
    const job = (file: string) => startStoreChild({ backend: 's3', stagingDir: dir.path, file, key, s3: { ...server.location, prefix: PREFIX } }, env).result;
    await Promise.all([job(a.file), job(b.file)]);
    const fetched = await s3Store().fetch(key, await workDir());
    assert.ok(fetched, 'one valid entry');
    assert.ok([a.sha256, b.sha256].includes(fetched.meta.sha256));
    assert.equal(await sha256File(fetched.file), fetched.meta.sha256);
  });

  test('on a server without conditional writes, a publisher whose record was overwritten keeps the winner', async () => {
    const key = `race-lost-${counter}`;
    const [a, b] = [await snapshotFile(12 * MiB), await snapshotFile(12 * MiB)];
    // A and B both find no record and upload; A writes its record, then B overwrites it, then A reads back.
    // (Both snapshots go in parts, so each one's first PutObject is its record.)
    let bPublish: Promise<StoreEntry> | undefined;
    let bAtCommit!: () => void;
    let releaseB!: () => void;
    const bWaiting = new Promise<void>((resolve) => (bAtCommit = resolve));
    const bReleased = new Promise<void>((resolve) => (releaseB = resolve));
    server.faults.pauseBefore('PutObject', async () => {
      // A's record waits until B is at its own ...
      server.faults.pauseBefore('PutObject', async () => {
        // ... B's waits until A has written its record and is reading it back ...
        server.faults.pauseBefore('GetObject', async () => {
          // ... and A's read-back waits until B has committed.
          releaseB();
          await bPublish;
        });
        bAtCommit();
        await bReleased;
      });
      bPublish = s3Store().publish(b.file, publishMeta(key));
      await bWaiting;
    });
    const aEntry = await s3Store().publish(a.file, publishMeta(key));
    const bEntry = await bPublish!;
    assert.deepEqual(server.faults.fired.splice(0), ['PutObject-paused', 'PutObject-paused', 'GetObject-paused']);
    assert.equal(bEntry.meta.sha256, b.sha256);
    assert.equal(aEntry.meta.sha256, b.sha256, "A returns B's entry");
    assert.deepEqual(await objectsUnder(`${PREFIX}/trusted/snapshots/${key}/`), [objectOf(bEntry.location)], 'A deleted its own object');
    assert.equal((await s3Store().fetch(key, await workDir()))?.meta.sha256, b.sha256);
  });

  test('where the server honours If-None-Match (a 412), the loser keeps the winner and removes its own object', async () => {
    const key = `race-412-${counter}`;
    const [a, b] = [await snapshotFile(2 * MiB), await snapshotFile(12 * MiB)];
    let aEntry: StoreEntry | undefined;
    // B's upload completes while A publishes; then B's conditional commit meets A's record, as on AWS.
    server.faults.pauseBefore('CompleteMultipartUpload', async () => {
      aEntry = await s3Store().publish(a.file, publishMeta(key));
      server.faults.failBlob(412, 1, 'PutObject');
    });
    const bEntry = await s3Store().publish(b.file, publishMeta(key));
    assert.deepEqual(server.faults.fired.splice(0), ['CompleteMultipartUpload-paused', 'PutObject:412']);
    assert.equal(bEntry.meta.sha256, a.sha256);
    assert.deepEqual(await objectsUnder(`${PREFIX}/trusted/snapshots/${key}/`), [objectOf(aEntry!.location)]);
  });

  test('a server that does not implement conditional writes (501) gets the record without the condition', async () => {
    const key = `no-conditions-${counter}`;
    server.faults.failBlob(501, 1, 'PutObject');
    const published = await s3Store().publish((await snapshotFile(6 * MiB)).file, publishMeta(key));
    assert.deepEqual(server.faults.fired.splice(0), ['PutObject:501']);
    assert.equal((await s3Store().lookup(key))?.meta.sha256, published.meta.sha256);
  });

  test('a record whose snapshot object is gone (expired by a lifecycle rule) is a miss, and a new publish replaces it', async () => {
    const key = `expired-${counter}`;
    const first = await s3Store().publish((await snapshotFile(6 * MiB)).file, publishMeta(key));
    await server.client().send(new PutObjectCommand({ Bucket: server.bucket, Key: objectOf(first.location), Body: 'x' })); // a stand-in of another size
    assert.equal(await s3Store().lookup(key), undefined, 'an object of another size is a miss');
    await server.client().send(new DeleteObjectCommand({ Bucket: server.bucket, Key: objectOf(first.location) }));
    assert.equal(await s3Store().lookup(key), undefined, 'a missing object is a miss');
    server.faults.failBlob(412, 1, 'PutObject'); // as AWS answers: the stale record exists
    const rebuilt = await s3Store().publish((await snapshotFile(6 * MiB)).file, publishMeta(key));
    assert.deepEqual(server.faults.fired.splice(0), ['PutObject:412']);
    assert.equal((await s3Store().fetch(key, await workDir()))?.meta.sha256, rebuilt.meta.sha256);
  });
});

describe('s3: faults', () => {
  test('500s on upload parts are retried', async () => {
    const key = `fault-500-${counter}`;
    server.faults.failBlob(500, 2, 'UploadPart');
    const published = await s3Store().publish((await snapshotFile(11 * MiB)).file, publishMeta(key));
    assert.deepEqual(server.faults.fired.splice(0), ['UploadPart:500', 'UploadPart:500']);
    assert.equal((await s3Store().fetch(key, await workDir()))?.meta.sha256, published.meta.sha256);
  });

  test('a 429 on the lookup is retried, not taken for a miss', async () => {
    const key = `fault-429-${counter}`;
    await s3Store().publish((await snapshotFile()).file, publishMeta(key));
    server.faults.failBlob(429, 1, 'GetObject');
    assert.ok(await s3Store().lookup(key));
    assert.deepEqual(server.faults.fired.splice(0), ['GetObject:429']);
  });

  test('a server that keeps failing the commit fails clearly after the retries, and leaves nothing a lookup returns', async () => {
    const key = `fault-forever-${counter}`;
    server.faults.failBlob(503, 100, 'PutObject');
    await assert.rejects(s3Store().publish((await snapshotFile(6 * MiB)).file, publishMeta(key)), (err: unknown) => {
      assert.ok(err instanceof RemoteStoreError);
      assert.match(err.message, /^s3: commit of 'fault-forever-\d+' failed: .*HTTP 503/);
      return true;
    });
    server.faults.clear();
    server.faults.fired.splice(0);
    assert.equal(await s3Store().lookup(key), undefined);
  });

  test('a connection dropped mid-part of an upload is retried', async () => {
    const key = `fault-drop-up-${counter}`;
    server.faults.dropUpload(MiB, 1, 'UploadPart');
    const published = await s3Store().publish((await snapshotFile(11 * MiB)).file, publishMeta(key));
    assert.deepEqual(server.faults.fired.splice(0), ['UploadPart-upload-dropped']);
    assert.equal((await s3Store().fetch(key, await workDir()))?.meta.sha256, published.meta.sha256);
  });

  test('a connection dropped mid-part of a download costs that part only', async () => {
    const key = `fault-drop-down-${counter}`;
    const snapshot = await snapshotFile(15 * MiB);
    await s3Store().publish(snapshot.file, publishMeta(key));
    const downloaded = server.downloadedBytes();
    server.faults.dropDownload(2 * MiB, 1, 'GetObject'); // a ranged GET of 5 MiB, not the small record
    const fetched = await s3Store().fetch(key, await workDir());
    assert.deepEqual(server.faults.fired.splice(0), ['GetObject-download-dropped']);
    assert.ok(fetched && (await readFile(fetched.file)).equals(snapshot.data));
    const moved = server.downloadedBytes() - downloaded;
    assert.ok(moved < snapshot.data.length + 5 * MiB, `${moved} bytes moved: the part was fetched again, not the whole snapshot`);
  });

  test('a corrupted object is reported, is a miss, and its entry is uncommitted so a rebuild can replace it', async () => {
    const key = `corrupt-${counter}`;
    const published = await s3Store().publish((await snapshotFile(3 * MiB)).file, publishMeta(key));
    await server.corruptObject(objectOf(published.location));
    assert.ok(await s3Store().lookup(key), 'the lookup (size only) still finds it');
    assert.equal(await s3Store().fetch(key, await workDir()), undefined);
    assert.equal(await s3Store().lookup(key), undefined, 'the corrupt entry is gone');
    const rebuilt = await s3Store().publish((await snapshotFile(3 * MiB)).file, publishMeta(key));
    assert.equal((await s3Store().fetch(key, await workDir()))?.meta.sha256, rebuilt.meta.sha256);
  });
});

describe('s3: trust', () => {
  test('what an untrusted ref publishes is never what a trusted build restores', async () => {
    const key = `trust-${counter}`;
    const published = await s3Store(PR_12).publish((await snapshotFile(1024)).file, publishMeta(key));
    assert.match(published.location, new RegExp(`/${PREFIX}/untrusted/refs_pull_12_merge/snapshots/`));
    assert.equal(await s3Store(TRUSTED).lookup(key), undefined, 'trusted builds do not see PR entries');
    assert.equal(await s3Store(PR_13).lookup(key), undefined, 'other pull requests do not see them either');
    assert.equal((await s3Store(PR_12).lookup(key))?.meta.trust, 'untrusted', 'the PR sees its own');
  });

  test('untrusted builds read trusted entries', async () => {
    const key = `trust-shared-${counter}`;
    await s3Store(TRUSTED).publish((await snapshotFile(1024)).file, publishMeta(key));
    assert.equal((await s3Store(PR_13).lookup(key))?.meta.trust, 'trusted');
  });

  test('where the credential does not stop a pull request writing trusted/, the metadata and the scope still decide', async () => {
    // s3rver enforces no policy: a misbehaving PR build copies its entry into trusted/ ...
    const key = `trust-forged-${counter}`;
    const pr = await s3Store(PR_12).publish((await snapshotFile(1024)).file, publishMeta(key));
    const raw = server.client();
    const prRecord = `${PREFIX}/untrusted/refs_pull_12_merge/meta/${key}.json`;
    const uploadId = path.posix.basename(objectOf(pr.location));
    await raw.send(
      new CopyObjectCommand({
        Bucket: server.bucket,
        CopySource: `${server.bucket}/${objectOf(pr.location)}`,
        Key: `${PREFIX}/trusted/snapshots/${key}/${uploadId}`,
      }),
    );
    await raw.send(new CopyObjectCommand({ Bucket: server.bucket, CopySource: `${server.bucket}/${prRecord}`, Key: `${PREFIX}/trusted/meta/${key}.json` }));
    assert.equal(await s3Store(TRUSTED).lookup(key), undefined, 'a record that says an untrusted build published it is refused in trusted/');
    // ... or forges trust: trusted in its own scope: trusted builds never read that scope.
    const forged: SnapshotMeta = { ...pr.meta, key: `${key}-b`, trust: 'trusted', ref: 'refs/heads/main' };
    await raw.send(
      new CopyObjectCommand({
        Bucket: server.bucket,
        CopySource: `${server.bucket}/${objectOf(pr.location)}`,
        Key: `${PREFIX}/untrusted/refs_pull_12_merge/snapshots/${key}-b/${uploadId}`,
      }),
    );
    await raw.send(
      new PutObjectCommand({
        Bucket: server.bucket,
        Key: `${PREFIX}/untrusted/refs_pull_12_merge/meta/${key}-b.json`,
        Body: encodeMeta(forged),
        Metadata: { snapshot: uploadId },
      }),
    );
    assert.equal(await s3Store(TRUSTED).lookup(`${key}-b`), undefined, 'trusted builds read only trusted/');
    assert.ok(await s3Store(PR_12).lookup(`${key}-b`), 'the forged record itself is well formed');
    const stored = await raw.send(new GetObjectCommand({ Bucket: server.bucket, Key: `${PREFIX}/trusted/meta/${key}.json` }));
    assert.equal(JSON.parse(await stored.Body!.transformToString()).trust, 'untrusted');
  });
});

describe('s3: eviction', () => {
  test('store-max-size evicts the least recently used entries of the prefix; a fetch counts as a use', async () => {
    const prefix = `evict-${counter}`;
    const store = (maxBytes?: number) => s3Store(TRUSTED, { prefix, maxBytes });
    const keys = ['old', 'used', 'newer'].map((k) => `${k}-${counter}`);
    for (const [i, key] of keys.entries()) {
      await store().publish((await snapshotFile(MiB)).file, publishMeta(key));
      await server.setModified(`${prefix}/trusted/index/stage1/${key}`, new Date(Date.now() - (10 - i) * 60_000));
      await server.setModified(`${prefix}/trusted/meta/${key}.json`, new Date(Date.now() - (10 - i) * 60_000));
    }
    assert.ok(await store().fetch(keys[1], await workDir()), 'the second entry is used now');
    // An orphaned object (a lost race, a killed commit) older than a day goes first.
    const orphan = `${prefix}/trusted/snapshots/orphan-${counter}/20200101T000000000Z-0123456789ab`;
    await server.client().send(new PutObjectCommand({ Bucket: server.bucket, Key: orphan, Body: randomBytes(MiB) }));
    await server.setModified(orphan, new Date(Date.now() - 2 * 24 * 3600_000));
    await store(3.5 * MiB).publish((await snapshotFile(MiB)).file, publishMeta(`newest-${counter}`));
    assert.equal(await store().lookup(keys[0]), undefined, 'the least recently used entry was evicted');
    assert.deepEqual(await objectsUnder(`${prefix}/trusted/snapshots/${keys[0]}/`), []);
    assert.deepEqual(await objectsUnder(orphan), [], 'the orphan was removed');
    for (const key of [keys[1], keys[2], `newest-${counter}`]) assert.ok(await store().lookup(key), `${key} stays`);
  });
});
