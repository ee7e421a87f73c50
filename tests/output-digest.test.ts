/**
 * Output digests and keys that chain on them (issue 13): the digest of real trees archived by real GNU
 * tar, and the mini fixture built through runStage on a local and an S3 store.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { appendFile, chmod, chown, mkdir, readFile, rm, symlink, utimes, writeFile, link } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runStage, type StageResult } from '../src/build/run-stage.js';
import { DEFAULT_VOLATILE } from '../src/chain/manifest.js';
import { outputSummaryLines } from '../src/build/report.js';
import { OutputDigester, decodeOutputManifest, diffOutputs, type OutputDigest } from '../src/rootfs/output-digest.js';
import { digestArchive } from '../src/rootfs/archive.js';
import { nativeHasher, portableHasher, type ContentsHasher } from '../src/rootfs/contents-hash.js';
import { LocalStore } from '../src/store/local.js';
import { S3Store } from '../src/store/s3.js';
import { resolveS3Location } from '../src/store/s3-layout.js';
import type { SnapshotStore } from '../src/store/types.js';
import { startS3Server, type S3Server } from './harness/s3-server.js';
import { copyFixture, ensureLfsUser, makeTestDir, type TestDir } from './harness/workdir.js';

let dir: TestDir;

before(async () => {
  dir = await makeTestDir('output-digest');
});
after(async () => {
  await dir?.remove();
});

/** The digest of a directory tree, from `tar` as a stage would archive it (with xattrs, as tar --xattrs writes them). */
async function digestTree(root: string, volatile: string[] = [], contents?: ContentsHasher): Promise<OutputDigest> {
  const digester = contents ? new OutputDigester(volatile, contents) : await OutputDigester.create(volatile);
  const tar = spawn('tar', ['--xattrs', '--xattrs-include=*', '--format=posix', '-cpf', '-', '-C', root, '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
  for await (const chunk of tar.stdout) digester.push(chunk as Buffer);
  await new Promise<void>((resolve, reject) => tar.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`tar exited ${code}`)))));
  return digester.finish();
}

/** A small tree with every kind of member a root filesystem has. */
async function makeTree(name: string): Promise<string> {
  const root = path.join(dir.path, name);
  await mkdir(path.join(root, 'usr/bin'), { recursive: true });
  await mkdir(path.join(root, 'dev'));
  await mkdir(path.join(root, 'sources'));
  await writeFile(path.join(root, 'usr/bin/tool'), '#!/bin/sh\necho tool\n', { mode: 0o755 });
  await writeFile(path.join(root, 'usr/bin/ping'), 'ping binary\n', { mode: 0o755 });
  await writeFile(path.join(root, 'usr/bin/a'), 'shared inode\n');
  await link(path.join(root, 'usr/bin/a'), path.join(root, 'usr/bin/b'));
  await symlink('tool', path.join(root, 'usr/bin/alias'));
  await writeFile(path.join(root, 'sources/lfsbuildstate'), 'stage\n');
  assert.equal(spawnSync('mknod', ['-m', '0666', path.join(root, 'dev/null'), 'c', '1', '3']).status, 0);
  return root;
}

function copyTree(from: string, to: string): string {
  const dest = path.join(dir.path, to);
  assert.equal(spawnSync('cp', ['-a', from, dest]).status, 0);
  return dest;
}

describe('output digest of a tree', () => {
  let base: string;
  let digest: OutputDigest;
  before(async () => {
    base = await makeTree('base');
    digest = await digestTree(base);
  });

  test('covers every member, in path order, and is stable', async () => {
    assert.match(digest.digest, /^[0-9a-f]{64}$/);
    assert.deepEqual([...digest.manifest.keys()], [...digest.manifest.keys()].sort());
    for (const p of ['', 'usr/bin/tool', 'usr/bin/a', 'usr/bin/b', 'usr/bin/alias', 'dev/null']) assert.ok(digest.manifest.has(p), p);
    assert.equal((await digestTree(base)).digest, digest.digest);
  });

  test('a caller may reuse its buffer after each push: pax records and long names split across pushes are kept intact', async () => {
    const tree = copyTree(base, 'long-names');
    const deep = path.join(tree, 'usr/share', 'a-directory-name-long-enough-'.repeat(4), 'and-another-level-'.repeat(5));
    await mkdir(deep, { recursive: true });
    await writeFile(path.join(deep, 'file-with-a-long-name-'.repeat(6)), 'contents\n');
    const archive = spawnSync('tar', ['--format=posix', '-cpf', '-', '-C', tree, '.'], { maxBuffer: 1 << 28 }).stdout;
    const whole = await OutputDigester.create();
    whole.push(archive);
    // Pushed 37 bytes at a time through one buffer that is overwritten before the next push, as the FIFO reader does.
    const pieces = await OutputDigester.create();
    const reused = Buffer.alloc(37);
    for (let at = 0; at < archive.length; at += reused.length) {
      const n = archive.copy(reused, 0, at, at + reused.length);
      pieces.push(reused.subarray(0, n));
      reused.fill(0x58);
    }
    const [a, b] = [whole.finish(), pieces.finish()];
    assert.ok(
      [...a.manifest.keys()].some((p) => p.length > 200),
      'the archive holds a path longer than ustar can store',
    );
    assert.equal(b.digest, a.digest);
  });

  test('two digesters at once in one process, their pushes interleaved, each give the digest of their own archive', async () => {
    const other = copyTree(base, 'interleaved');
    await writeFile(path.join(other, 'usr/bin/tool'), '#!/bin/sh\necho another tool\n');
    const archives = [base, other].map((root) => spawnSync('tar', ['--format=posix', '-cpf', '-', '-C', root, '.'], { maxBuffer: 1 << 28 }).stdout);
    const digesters = await Promise.all(archives.map(() => OutputDigester.create()));
    for (let at = 0; at < Math.max(...archives.map((a) => a.length)); at += 100)
      archives.forEach((archive, i) => at < archive.length && digesters[i].push(archive.subarray(at, at + 100)));
    const [a, b] = digesters.map((d) => d.finish());
    assert.equal(a.digest, digest.digest);
    assert.equal(b.digest, (await digestTree(other)).digest);
    assert.notEqual(a.digest, b.digest);
  });

  test('does not change when only timestamps change', async () => {
    const touched = copyTree(base, 'touched');
    const past = new Date('2001-02-03T04:05:06Z');
    for (const p of ['usr/bin/tool', 'usr/bin/a', 'dev/null', 'usr/bin', '.']) await utimes(path.join(touched, p), past, past);
    assert.equal(spawnSync('touch', ['-h', '-d', '1999-01-01', path.join(touched, 'usr/bin/alias')]).status, 0);
    assert.equal((await digestTree(touched)).digest, digest.digest);
  });

  const variants: Array<[string, (root: string) => Promise<void>, string]> = [
    ['a mode', (r) => chmod(path.join(r, 'usr/bin/tool'), 0o750), '/usr/bin/tool'],
    ['a setuid bit', (r) => chmod(path.join(r, 'usr/bin/tool'), 0o4755), '/usr/bin/tool'],
    ['an owner', (r) => chown(path.join(r, 'usr/bin/tool'), 0, 12), '/usr/bin/tool'],
    [
      'a device number',
      async (r) => {
        await rm(path.join(r, 'dev/null'));
        assert.equal(spawnSync('mknod', ['-m', '0666', path.join(r, 'dev/null'), 'c', '1', '5']).status, 0);
      },
      '/dev/null',
    ],
    [
      'a symlink target',
      async (r) => {
        await rm(path.join(r, 'usr/bin/alias'));
        await symlink('ping', path.join(r, 'usr/bin/alias'));
      },
      '/usr/bin/alias',
    ],
    [
      'a capability (setcap)',
      async (r) => {
        const set = spawnSync('setcap', ['cap_net_raw+ep', path.join(r, 'usr/bin/ping')]);
        assert.equal(set.status, 0, set.stderr.toString());
      },
      '/usr/bin/ping',
    ],
    ['contents of the same size', (r) => writeFile(path.join(r, 'usr/bin/tool'), '#!/bin/sh\necho TOOL\n'), '/usr/bin/tool'],
  ];
  for (const [what, change, changedPath] of variants) {
    test(`changes when only ${what} changes, and the manifest names the path`, async () => {
      const copy = copyTree(base, `variant-${what.replace(/\W+/g, '-')}`);
      await change(copy);
      const changed = await digestTree(copy);
      assert.notEqual(changed.digest, digest.digest);
      assert.deepEqual(diffOutputs(digest.manifest, changed.manifest), { added: [], removed: [], changed: [changedPath] });
    });
  }

  test('a change to a hard-linked file shows under every name of the inode', async () => {
    const copy = copyTree(base, 'hardlinked');
    await appendFile(path.join(copy, 'usr/bin/a'), 'more\n');
    assert.deepEqual(diffOutputs(digest.manifest, (await digestTree(copy)).manifest).changed, ['/usr/bin/a', '/usr/bin/b']);
  });

  test('volatile paths are ignored: by default the build state file, and what the manifest lists', async () => {
    const copy = copyTree(base, 'volatile');
    await writeFile(path.join(copy, 'sources/lfsbuildstate'), 'other-part\n');
    await mkdir(path.join(copy, 'var/log'), { recursive: true });
    await writeFile(path.join(copy, 'var/log/build.log'), `built at ${Date.now()}\n`);
    const volatile = [...DEFAULT_VOLATILE, 'var/log/**'];
    const plain = await digestTree(base, volatile);
    const other = await digestTree(copy, volatile);
    assert.deepEqual(
      diffOutputs(plain.manifest, other.manifest),
      { added: ['/var'], removed: [], changed: [] },
      "only /var remains (a 'dir/**' glob covers the directory too)",
    );
    assert.notEqual((await digestTree(copy)).digest, digest.digest, 'without the patterns the log counts');
  });

  test('contents are BLAKE3: the native and the portable hasher agree with the reference vectors and on a tree, so a digest never depends on the runner', async () => {
    const native = await nativeHasher();
    const portable = await portableHasher();
    for (const hasher of [native, portable]) {
      hasher.begin();
      assert.equal(hasher.end(), 'af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262', `${hasher.implementation}: BLAKE3 of nothing`);
      hasher.begin();
      hasher.update(Buffer.from('ab'));
      hasher.update(Buffer.from('c'));
      assert.equal(hasher.end(), '6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85', `${hasher.implementation}: BLAKE3 of "abc"`);
    }
    // Files larger than one read of the stream, so that contents arrive in several chunks.
    const big = copyTree(base, 'big-contents');
    const bytes = Buffer.alloc(5 * (1 << 20) + 777);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 2654435761) >>> 24;
    await writeFile(path.join(big, 'usr/bin/large'), bytes);
    const [a, b] = [await digestTree(big, [], native), await digestTree(big, [], portable)];
    assert.equal(a.digest, b.digest);
    assert.deepEqual([...a.manifest], [...b.manifest]);
    assert.notEqual(a.digest, digest.digest);
  });

  test('an archive file digests as its stream does (gzip, through the decompressor)', async () => {
    const file = path.join(dir.path, 'base.tar.gz');
    assert.equal(spawnSync('tar', ['--xattrs', '--xattrs-include=*', '--format=posix', '-czpf', file, '-C', base, '.']).status, 0);
    assert.equal((await digestArchive(file)).digest, digest.digest);
  });
});

describe('keys chain on output digests (mini fixture)', () => {
  let server: S3Server;
  let runLog: string;
  before(async () => {
    await ensureLfsUser();
    server = await startS3Server(path.join(dir.path, 's3rver'));
    Object.assign(process.env, server.env);
    runLog = path.join(dir.path, 'runs.log');
    process.env.FIXTURE_RUN_LOG = runLog;
  });
  after(async () => {
    delete process.env.FIXTURE_RUN_LOG;
    await server?.stop();
  });

  async function scriptsRun(): Promise<string[]> {
    const text = await readFile(runLog, 'utf8').catch(() => '');
    await writeFile(runLog, '');
    return text.split('\n').filter(Boolean);
  }

  async function build(checkout: string, store: SnapshotStore, lfs: string, stages = ['s1', 's2', 's3']): Promise<Record<string, StageResult>> {
    await mkdir(lfs, { recursive: true });
    const results: Record<string, StageResult> = {};
    for (const stage of stages) {
      results[stage] = await runStage({
        stage,
        pizlixDir: path.join(checkout, 'pizlix'),
        manifestFile: path.join(checkout, 'stages.yml'),
        lfs,
        store,
        workDir: path.join(path.dirname(lfs), `work-${path.basename(lfs)}`),
      });
    }
    return results;
  }

  const outcome = (results: Record<string, StageResult>) =>
    Object.fromEntries(Object.entries(results).map(([s, r]) => [s, r.built ? 'built' : r.cacheHit ? 'hit' : 'miss']));

  test('an edit that leaves the output alone rebuilds one stage and reuses the rest; one that changes it rebuilds the rest; digests agree across checkouts and stores', async () => {
    const checkout = await copyFixture('mini', path.join(dir.path, 'checkout-a'));
    const local = new LocalStore(path.join(dir.path, 'store'), { trust: 'trusted', ref: 'refs/heads/main' });
    const lfs = path.join(dir.path, 'lfs-a');
    const first = await build(checkout, local, lfs);
    assert.deepEqual(outcome(first), { s1: 'built', s2: 'built', s3: 'built' });
    assert.deepEqual(await scriptsRun(), ['s1', 's2', 's3']);
    for (const r of Object.values(first)) assert.match(r.outputDigest ?? '', /^[0-9a-f]{64}$/);
    assert.equal(first.s2.parentDigest, first.s1.outputDigest, "s2's key was computed from s1's output digest");
    const stored = (await local.lookup(first.s2.key))!.meta;
    assert.equal(stored.outputDigest, first.s2.outputDigest);
    assert.ok(decodeOutputManifest(stored.outputManifest!).has('usr/share/s2-payload'));

    // A comment-only edit of s2's script: s2 is rebuilt, comes out identical, and s3 keeps its key.
    await appendFile(path.join(checkout, 'pizlix', 'build_s2.sh'), '# a comment that changes nothing the stage writes\n');
    const second = await build(checkout, local, lfs);
    assert.deepEqual(outcome(second), { s1: 'hit', s2: 'built', s3: 'hit' });
    assert.deepEqual(await scriptsRun(), ['s2'], "s3's script does not run");
    assert.notEqual(second.s2.key, first.s2.key);
    assert.equal(second.s2.outputDigest, first.s2.outputDigest);
    assert.equal(second.s3.key, first.s3.key);
    assert.match(outputSummaryLines(second.s2)[0], /^rebuilt s2: output identical to the previous build .*→ the later stages keep their keys/);

    // An edit that changes s2's output: s3's key changes, so s3 is rebuilt.
    await appendFile(path.join(checkout, 'pizlix', 's2', 'payload.txt'), 'a line that reaches the root filesystem\n');
    const third = await build(checkout, local, lfs);
    assert.deepEqual(outcome(third), { s1: 'hit', s2: 'built', s3: 'built' });
    assert.deepEqual(await scriptsRun(), ['s2', 's3']);
    assert.notEqual(third.s2.outputDigest, first.s2.outputDigest);
    assert.notEqual(third.s3.key, first.s3.key);
    const summary = outputSummaryLines(third.s2);
    assert.match(summary[0], /^rebuilt s2: output differs in 1 path: \/usr\/share\/s2-payload .*→ the later stages are rebuilt/);

    // The same sources in another directory, built at another time into an S3 store: the same digests and keys.
    const elsewhere = await copyFixture('mini', path.join(dir.path, 'elsewhere', 'checkout-b'));
    await appendFile(path.join(elsewhere, 'pizlix', 's2', 'payload.txt'), 'a line that reaches the root filesystem\n');
    const s3 = new S3Store({ trust: 'trusted', ref: 'refs/heads/main' }, { location: resolveS3Location({ ...server.location, prefix: 'digest-test' }) });
    const other = await build(elsewhere, s3, path.join(dir.path, 'lfs-b'));
    assert.deepEqual(await scriptsRun(), ['s1', 's2', 's3']);
    for (const stage of ['s1', 's2', 's3']) {
      assert.equal(other[stage].outputDigest, third[stage].outputDigest ?? first[stage].outputDigest, `${stage}: same output digest`);
    }
    assert.equal(other.s3.key, third.s3.key);
    assert.equal((await s3.lookup(other.s3.key))!.meta.outputDigest, third.s3.outputDigest);
  });

  test("the stage script gets SOURCE_DATE_EPOCH, the commit time of the checkout's HEAD; a malformed one in the environment is an input error", async () => {
    const checkout = await copyFixture('mini', path.join(dir.path, 'checkout-epoch'));
    const committed = '1700000123';
    const git = (...args: string[]) => {
      const r = spawnSync('git', ['-C', checkout, ...args], {
        encoding: 'utf8',
        env: { ...process.env, GIT_AUTHOR_DATE: `@${committed} +0000`, GIT_COMMITTER_DATE: `@${committed} +0000`, GIT_CONFIG_GLOBAL: '/dev/null' },
      });
      assert.equal(r.status, 0, r.stderr);
    };
    git('init', '-q');
    git('add', '-A');
    git('-c', 'user.name=t', '-c', 'user.email=t@example.org', 'commit', '-qm', 'fixture');
    const envLog = path.join(dir.path, 'env.log');
    process.env.FIXTURE_ENV_LOG = envLog;
    const store = new LocalStore(path.join(dir.path, 'store-epoch'), { trust: 'trusted', ref: 'refs/heads/main' });
    try {
      await build(checkout, store, path.join(dir.path, 'lfs-epoch'), ['s1']);
      assert.deepEqual((await readFile(envLog, 'utf8')).trim().split('\n'), [`s1 SOURCE_DATE_EPOCH=${committed}`]);
      process.env.SOURCE_DATE_EPOCH = 'yesterday';
      await appendFile(path.join(checkout, 'pizlix', 'build_s1.sh'), '# rebuild\n');
      await assert.rejects(
        build(checkout, store, path.join(dir.path, 'lfs-epoch'), ['s1']),
        /SOURCE_DATE_EPOCH \(environment\).*"yesterday" is not a Unix time/,
      );
      assert.equal((await readFile(envLog, 'utf8')).trim().split('\n').length, 1, 'the script did not run');
    } finally {
      delete process.env.FIXTURE_ENV_LOG;
      delete process.env.SOURCE_DATE_EPOCH;
      await scriptsRun();
    }
  });
});
