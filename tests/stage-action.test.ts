/**
 * The stage action's bundle, run as the runner runs it, over the mini fixture: builds, hits, partial
 * rebuilds, ownership, and every fault the issue names.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFile, mkdir, readFile, readdir, stat, writeFile, open } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as tarStream from 'tar-stream';
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { mountsBelow } from '../src/rootfs/mounts.js';
import { LocalStore } from '../src/store/local.js';
import { chainKeys, computeKeys } from '../src/chain/keys.js';
import { readStoredMeta } from './harness/stored-meta.js';
import { loadManifest } from '../src/chain/manifest.js';
import { runAction, type ActionRun } from './harness/runner.js';
import { copyFixture, ensureLfsUser, makeTestDir, type TestDir } from './harness/workdir.js';

let dir: TestDir;
let checkout: string;
let store: string;
let lfs: string;
let runLog: string;
let job = 0;

function stageInputs(stage: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    stage,
    'pizlix-dir': path.join(checkout, 'pizlix'),
    manifest: path.join(checkout, 'stages.yml'),
    store: 'local',
    'store-path': store,
    lfs,
    ...extra,
  };
}

async function runStageAction(stage: string, extra: Record<string, string> = {}, env: Record<string, string> = {}): Promise<ActionRun> {
  const result = await runAction({
    action: '.',
    inputs: stageInputs(stage, extra),
    env: { FIXTURE_RUN_LOG: runLog, ...env },
    jobDir: path.join(dir.path, `job-${++job}`),
  });
  assert.equal(result.post?.exitCode, 0, `post step failed:\n${result.post?.stdout}${result.post?.stderr}`);
  assert.deepEqual(await mountsBelow(lfs), [], 'nothing stays mounted below $LFS after the job');
  return result;
}

function assertSucceeded(result: ActionRun): void {
  assert.equal(result.main.exitCode, 0, `main step failed:\n${result.main.stdout.slice(-3000)}\n${result.main.stderr.slice(-3000)}`);
}

async function scriptsRun(): Promise<string[]> {
  const text = await readFile(runLog, 'utf8').catch(() => '');
  await writeFile(runLog, '');
  return text.split('\n').filter(Boolean);
}

async function storeEntry(stage: string): Promise<string> {
  const manifest = loadManifest(path.join(checkout, 'stages.yml'));
  const own = await computeKeys(manifest, { pizlixDir: path.join(checkout, 'pizlix') });
  const chained = await chainKeys(own, (key) => readStoredMeta(store, key));
  return path.join(store, 'entries', 'trusted', chained.find((k) => k.stage === stage)!.key ?? '(key unknown: parent not stored)');
}

before(async () => {
  await ensureLfsUser();
  dir = await makeTestDir('stage-action');
  checkout = await copyFixture('mini', path.join(dir.path, 'checkout'));
  store = path.join(dir.path, 'store');
  lfs = path.join(dir.path, 'lfs');
  runLog = path.join(dir.path, 'runs.log');
  await mkdir(lfs);
});

after(async () => {
  await dir?.remove();
});

describe('stage action, runner-style', () => {
  test('first pass builds every stage and publishes its snapshot', async () => {
    for (const stage of ['s1', 's2', 's3']) {
      const result = await runStageAction(stage);
      assertSucceeded(result);
      assert.equal(result.outputs['cache-hit'], 'false');
      assert.equal(result.outputs.built, 'true');
      assert.match(result.outputs.key, new RegExp(`^pizlix-${stage}-[0-9a-f]{40}$`));
      assert.ok((await stat(result.outputs.snapshot)).size > 0);
      assert.ok(Number(result.outputs.duration) > 0);
      assert.match(result.summary, new RegExp(`<td>${stage}</td>.*<td>built</td>`, 's'));
      assert.match(await readFile(result.outputs.log, 'utf8'), /devpts mounted on/);
      assert.equal(result.state.lfs, lfs);
      assert.match(result.outputs['output-digest'], /^[0-9a-f]{64}$/);
      // The bundle carries BLAKE3's native binding for x86-64 Linux (Pizlix's only target), so its digest is fast.
      if (process.platform === 'linux' && process.arch === 'x64') assert.doesNotMatch(result.main.stdout + result.main.stderr, /native binding did not load/);
      assert.equal((await readFile(path.join(lfs, 'sources/lfsbuildstate'), 'utf8')).trim(), stage);
    }
    assert.deepEqual(await scriptsRun(), ['s1', 's2', 's3']);
    assert.equal(await readFile(path.join(lfs, 'usr/share/s3-payload'), 'utf8'), 'stage three payload\n');
  });

  test('second pass is all hits and runs no script', async () => {
    for (const stage of ['s1', 's2', 's3']) {
      const result = await runStageAction(stage);
      assertSucceeded(result);
      assert.equal(result.outputs['cache-hit'], 'true');
      assert.equal(result.outputs.built, 'false');
      assert.match(result.summary, /hit — restored/);
      assert.equal((await readFile(path.join(lfs, 'sources/lfsbuildstate'), 'utf8')).trim(), stage);
    }
    assert.deepEqual(await scriptsRun(), []);
    const lookup = await runStageAction('s3', { 'lookup-only': 'true' });
    assertSucceeded(lookup);
    assert.equal(lookup.outputs['cache-hit'], 'true');
    assert.equal(lookup.outputs.snapshot, '');
  });

  test("a hit whose snapshot $LFS already holds, untouched, skips the restore; any change, reuse-lfs false or a pull request's restore brings it back", async () => {
    // The second pass ended by restoring s3: $LFS holds it, with the record that restore wrote.
    const reused = await runStageAction('s3');
    assertSucceeded(reused);
    assert.match(reused.main.stdout, /skipping the restore of s3: .* already holds it/);
    assert.match(reused.summary, /hit — already in \$LFS/);
    assert.ok((await stat(reused.outputs.snapshot)).size > 0, 'the snapshot is still an output');

    await writeFile(path.join(lfs, 'usr/share/s3-payload'), 'edited on the runner\n');
    const changed = await runStageAction('s3');
    assertSucceeded(changed);
    assert.match(changed.main.stdout, /held s3 but has changed since/);
    assert.match(changed.summary, /hit — restored/);
    assert.equal(await readFile(path.join(lfs, 'usr/share/s3-payload'), 'utf8'), 'stage three payload\n');

    const off = await runStageAction('s3', { 'reuse-lfs': 'false' });
    assertSucceeded(off);
    assert.match(off.summary, /hit — restored/);

    // A pull request's job may reuse what a trusted job restored; after a change it restores s3 itself (from the
    // trusted scope it may read), and the trusted build after it restores again.
    const prEnv = { GITHUB_REF: 'refs/pull/7/merge', GITHUB_EVENT_NAME: 'pull_request' };
    const prReuses = await runStageAction('s3', {}, prEnv);
    assertSucceeded(prReuses);
    assert.match(prReuses.summary, /hit — already in \$LFS/);
    await writeFile(path.join(lfs, 'usr/share/s3-payload'), 'edited by a pull request\n');
    const pr = await runStageAction('s3', {}, prEnv);
    assertSucceeded(pr);
    assert.match(pr.summary, /hit — restored/);
    const afterPr = await runStageAction('s3');
    assertSucceeded(afterPr);
    assert.match(afterPr.main.stdout, /restored by a job of scope 'untrusted-refs_pull_7_merge', which this build does not trust/);
    assert.match(afterPr.summary, /hit — restored/);
    assert.deepEqual(await scriptsRun(), []);
  });

  test('a restore keeps numeric owners, modes, setuid bits, devices, hard links and symlinks', async () => {
    assertSucceeded(await runStageAction('s1'));
    const stats = async (p: string) => stat(path.join(lfs, p));
    assert.equal((await stats('usr/share/video-owned')).gid, 12, 'LFS video group id kept (the archive names it "video")');
    assert.equal((await stats('var/log/wtmp')).gid, 13);
    assert.equal((await stats('home/pizlo/.profile')).uid, 1000);
    assert.equal((await stats('bin/su-demo')).mode & 0o7777, 0o4755);
    assert.equal((await stats('bin/sg-demo')).mode & 0o7777, 0o2755);
    assert.ok((await stats('dev/null')).isCharacterDevice());
    assert.ok((await stats('dev/sda')).isBlockDevice());
    assert.equal((await stats('usr/share/hard-a')).ino, (await stats('usr/share/hard-b')).ino);
    const { readlink } = await import('node:fs/promises');
    assert.equal(await readlink(path.join(lfs, 'bin/ls')), '/bin/busybox');
    assert.deepEqual(await readdir(path.join(lfs, 'var/coredumps')), []);
    // The hazard is real: restoring by name, as `tar -xpf` does, gives Debian's video group (44).
    const byName = path.join(dir.path, 'by-name');
    await mkdir(byName);
    const tar = spawnSync('tar', ['-xpf', path.join(checkout, 'pizlix', 'lfs-s1.tar.gz'), '-C', byName, './usr/share/video-owned']);
    assert.equal(tar.status, 0, tar.stderr.toString());
    assert.notEqual((await stat(path.join(byName, 'usr/share/video-owned'))).gid, 12);
  });

  test('changing one input of stage 2 rebuilds stages 2 and 3 and nothing else', async () => {
    await appendFile(path.join(checkout, 'pizlix', 's2', 'payload.txt'), 'one more line\n');
    const results: Record<string, string> = {};
    const summaries: Record<string, string> = {};
    const snapshots: Record<string, string> = {};
    for (const stage of ['s1', 's2', 's3']) {
      const result = await runStageAction(stage);
      assertSucceeded(result);
      results[stage] = result.outputs['cache-hit'];
      summaries[stage] = result.summary;
      snapshots[stage] = result.outputs.snapshot;
    }
    assert.deepEqual(results, { s1: 'true', s2: 'false', s3: 'false' });
    assert.deepEqual(await scriptsRun(), ['s2', 's3']);
    // s2 built on the s1 tree that s1's job had just restored, without restoring it again; the record stayed out of its snapshot.
    assert.match(summaries.s2, /built \(on the parent already in \$LFS\)/);
    const listing = spawnSync('tar', ['-tf', snapshots.s2], { encoding: 'utf8' });
    assert.equal(listing.status, 0);
    assert.doesNotMatch(listing.stdout, /pizlix-stage-tree/);
    assert.match(await readFile(path.join(lfs, 'usr/share/s2-payload'), 'utf8'), /one more line/);
  });

  test('a failing stage script fails the step with the log tail, publishes nothing, leaves nothing mounted', async () => {
    await appendFile(path.join(checkout, 'pizlix', 's3', 'payload.txt'), 'change for the failure test\n');
    const result = await runStageAction('s3', {}, { FIXTURE_FAIL_STAGE: 's3' });
    assert.equal(result.main.exitCode, 1);
    assert.match(result.main.stdout, /::error::.*exited with status 3/);
    assert.match(result.summary, /injected failure in s3/);
    assert.equal(await stat(await storeEntry('s3')).catch(() => undefined), undefined);
  });

  test('a script that hangs past timeout-minutes is stopped with its whole process group', async () => {
    const started = Date.now();
    const result = await runStageAction('s3', { 'timeout-minutes': '0.05' }, { FIXTURE_HANG_STAGE: 's3' });
    assert.equal(result.main.exitCode, 1);
    assert.match(result.main.stdout, /did not finish within 3 s/);
    assert.ok(Date.now() - started < 60_000);
    const sleepers = spawnSync('pgrep', ['-f', 'sleep 3600']);
    assert.notEqual(sleepers.status, 0, `the hung script's children were left running: ${sleepers.stdout}`);
    assert.equal(await stat(await storeEntry('s3')).catch(() => undefined), undefined);
  });

  test('a corrupted store entry is reported, quarantined and rebuilt, never extracted', async () => {
    await scriptsRun();
    const entry = await storeEntry('s2');
    const file = path.join(entry, 'snapshot.tar.zst');
    const handle = await open(file, 'r+');
    const { size } = await handle.stat();
    const byte = Buffer.alloc(1);
    await handle.read(byte, 0, 1, Math.floor(size / 2));
    byte[0] ^= 0xff;
    await handle.write(byte, 0, 1, Math.floor(size / 2));
    await handle.close();
    const result = await runStageAction('s2');
    assertSucceeded(result);
    assert.match(result.main.stdout, /failed verification/);
    assert.equal(result.outputs['cache-hit'], 'false');
    assert.equal(result.outputs.built, 'true');
    assert.deepEqual(await scriptsRun(), ['s2']);
    const quarantined = await readdir(path.join(store, 'quarantine'));
    assert.equal(quarantined.length, 1);
    assert.ok(quarantined[0].startsWith(path.basename(entry)));
  });

  test('a bind mount of /dev left below $LFS by an earlier job is unmounted before the restore', async () => {
    await mkdir(path.join(lfs, 'dev'), { recursive: true });
    assert.equal(spawnSync('mount', ['--bind', '/dev', path.join(lfs, 'dev')]).status, 0);
    const result = await runStageAction('s2');
    assertSucceeded(result);
    assert.match(result.main.stdout, /unmounted what an earlier job left/);
    assert.ok((await stat('/dev/null')).isCharacterDevice(), "the host's /dev is intact");
    assert.ok((await stat(path.join(lfs, 'dev/null'))).isCharacterDevice());
  });

  test('a hostile snapshot is rejected before anything in $LFS is touched', async () => {
    const outside = path.join(dir.path, 'outside');
    await mkdir(outside);
    const hostile = path.join(dir.path, 'hostile.tar');
    const pack = tarStream.pack();
    const done = pipeline(pack, createWriteStream(hostile));
    pack.entry({ name: './sources/lfsbuildstate' }, 's2\n');
    pack.entry({ name: './escape', type: 'symlink', linkname: outside });
    pack.entry({ name: './escape/owned' }, 'written through a symlink\n');
    pack.finalize();
    await done;
    for (const variant of ['symlink', 'dotdot', 'absolute']) {
      let file = hostile;
      if (variant !== 'symlink') {
        file = path.join(dir.path, `hostile-${variant}.tar`);
        const p = tarStream.pack();
        const d = pipeline(p, createWriteStream(file));
        p.entry({ name: variant === 'dotdot' ? '../outside/owned' : `${outside}/owned` }, 'escaped\n');
        p.finalize();
        await d;
      }
      // Plant it in the store under stage s3's key, checksummed, as a compromised writer could.
      const key = path.basename(await storeEntry('s3'));
      const local = new LocalStore(store, { trust: 'trusted', ref: 'local' });
      await local.publish(file, { key, stage: 's3', parentKey: null, compression: 'gzip', buildSeconds: 1, inputs: {} }).catch(() => undefined);
      await writeFile(path.join(lfs, 'sentinel'), 'still here');
      const result = await runStageAction('s3');
      assert.equal(result.main.exitCode, 1, variant);
      assert.match(result.main.stdout, /refusing archive member/, variant);
      assert.deepEqual(await readdir(outside), [], `${variant}: nothing written outside`);
      assert.equal(await readFile(path.join(lfs, 'sentinel'), 'utf8'), 'still here', `${variant}: $LFS untouched`);
      await spawnSync('rm', ['-rf', path.join(store, 'entries', 'trusted', key)]);
    }
  });

  test('a restore replaces the old tree whole: nothing of it stays, nothing of the restore is left behind', async () => {
    await writeFile(path.join(lfs, 'left-by-an-earlier-job'), 'old tree\n');
    await mkdir(path.join(lfs, '.pizlix-stage-incoming', 'from-a-killed-restore'), { recursive: true });
    const result = await runStageAction('s2');
    assertSucceeded(result);
    assert.equal(result.outputs['cache-hit'], 'true');
    const top = await readdir(lfs);
    for (const gone of ['left-by-an-earlier-job', 'sentinel', '.pizlix-stage-incoming', '.pizlix-stage-restoring'])
      assert.ok(!top.includes(gone), `${gone} is gone`);
    assert.equal((await readFile(path.join(lfs, 'sources/lfsbuildstate'), 'utf8')).trim(), 's2');
    assert.ok((await stat(path.join(lfs, 'dev/null'))).isCharacterDevice());
  });

  test("pizlix-tarball: the default leaves the zstd snapshot under Pizlix's name, which tar -xpf reads; true writes real gzip", async () => {
    const tarball = path.join(checkout, 'pizlix', 'lfs-s1.tar.gz');
    const readBack = async () => {
      const target = path.join(dir.path, `read-back-${job}`);
      await mkdir(target);
      const tar = spawnSync('tar', ['-xpf', tarball, '-C', target, './sources/lfsbuildstate']);
      assert.equal(tar.status, 0, tar.stderr.toString());
      return readFile(path.join(target, 'sources/lfsbuildstate'), 'utf8');
    };
    const cheap = await runStageAction('s1', { 'key-extra': 'tarball-default' });
    assertSucceeded(cheap);
    assert.equal(cheap.outputs.built, 'true');
    const magic = (await readFile(tarball)).subarray(0, 4);
    assert.equal(magic.readUInt32LE(0), 0xfd2fb528, 'zstd, not gzip');
    assert.equal((await readBack()).trim(), 's1', "tar -xpf (build_recover.sh's command) reads it");

    const full = await runStageAction('s1', { 'key-extra': 'tarball-true', 'pizlix-tarball': 'true' });
    assertSucceeded(full);
    assert.equal(full.outputs.built, 'true');
    assert.equal(spawnSync('gzip', ['-t', tarball]).status, 0, 'a valid gzip file');
    assert.equal((await readBack()).trim(), 's1');
    assert.equal((await readFile(full.outputs.snapshot)).readUInt32LE(0), 0xfd2fb528, 'the store still gets zstd');
    await scriptsRun();
  });

  test('bad inputs are clear errors that name the input', async () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ stage: 'nope' }, /input 'stage': 'nope' is not a stage .*expected one of: s1, s2, s3/],
      [{ stage: 's1', lfs: '/' }, /input 'lfs': '\/' is a system directory/],
      [{ stage: 's1', lfs: 'relative/dir' }, /input 'lfs': 'relative\/dir' is not an absolute path/],
      [{ stage: 's1', store: 'nfs' }, /input 'store': 'nfs' is not supported; expected one of: local, s3, actions-cache, artifact, auto/],
      [{ stage: 's1', store: 's3' }, /input 's3-bucket': is required for store s3/],
      [{ stage: 's1', store: 'auto', 's3-bucket': 'Bad_Bucket' }, /input 's3-bucket': 'Bad_Bucket' is not a bucket name/],
      [{ stage: 's1', store: 's3', 's3-bucket': 'snapshots', 's3-endpoint': 'minio:9000' }, /input 's3-endpoint': 'minio:9000' is not an http\(s\) URL/],
      [{ stage: 's1', store: 's3', 's3-bucket': 'snapshots', 's3-force-path-style': 'sometimes' }, /input 's3-force-path-style': 'sometimes' is not a boolean/],
      [{ stage: 's1', 'timeout-minutes': 'soon' }, /input 'timeout-minutes': 'soon' is not a number/],
      [{ stage: 's1', 'lookup-only': 'maybe' }, /input 'lookup-only': 'maybe' is not a boolean/],
      [{ stage: 's1', 'pizlix-tarball': 'gzip' }, /input 'pizlix-tarball': 'gzip' is not a boolean/],
      [{ stage: 's1', 'compiler-cache': 'sccache' }, /input 'compiler-cache': 'sccache' is not supported; expected one of: auto, ccache, none/],
      [{ stage: 's1', 'compiler-cache-size': 'big' }, /input 'compiler-cache-size': 'big' is not a size; expected a size such as/],
      [{ stage: 's1', 'compiler-cache-size': '1M' }, /input 'compiler-cache-size': 1M is too small; expected at least 16M/],
    ];
    for (const [inputs, message] of cases) {
      const result = await runAction({ action: '.', inputs: { ...stageInputs('s1'), ...inputs }, jobDir: path.join(dir.path, `job-${++job}`) });
      assert.equal(result.main.exitCode, 1, JSON.stringify(inputs));
      assert.match(result.main.stdout, message);
    }
    const badManifest = path.join(dir.path, 'bad.yml');
    await writeFile(badManifest, 'version: 1\nstages:\n  - name: a\n    script: build_a.sh\n    snapshot: lfs-a.zip\n    inputs: [x]\n');
    const result = await runAction({ action: '.', inputs: { ...stageInputs('a'), manifest: badManifest }, jobDir: path.join(dir.path, `job-${++job}`) });
    assert.match(result.main.stdout, /input 'manifest': .*bad\.yml: field \/stages\/0\/snapshot must match pattern .*expected a tarball name/);
  });

  test('preflight lists everything missing at once, before any work', async () => {
    const bin = path.join(dir.path, 'few-tools');
    await mkdir(bin, { recursive: true });
    const { symlink, chmod } = await import('node:fs/promises');
    for (const tool of ['bash', 'getent', 'rm', 'mount', 'umount', 'mountpoint', 'chroot', 'id']) {
      const found = spawnSync('bash', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
      await symlink(found, path.join(bin, tool)).catch(() => undefined);
    }
    await appendFile(path.join(checkout, 'pizlix', 's3', 'payload.txt'), 'change for the preflight test\n');
    await chmod(path.join(checkout, 'pizlix', 'build_s3.sh'), 0o644);
    try {
      const result = await runStageAction('s3', {}, { PATH: bin });
      assert.equal(result.main.exitCode, 1);
      assert.match(result.main.stdout, /preflight failed/);
      assert.match(result.main.stdout, /build_s3\.sh is not executable/);
      assert.match(result.main.stdout, /required tool 'tar' is not on PATH/);
      assert.match(result.main.stdout, /required tool 'zstd' is not on PATH/);
      assert.deepEqual(await scriptsRun(), []);
    } finally {
      await chmod(path.join(checkout, 'pizlix', 'build_s3.sh'), 0o755);
    }
  });

  test('a cancelled job stops the script and the post step unmounts what it left', async () => {
    await appendFile(path.join(checkout, 'pizlix', 's3', 'payload.txt'), 'change for the cancel test\n');
    const result = await runAction({
      action: '.',
      inputs: stageInputs('s3'),
      env: { FIXTURE_HANG_STAGE: 's3' },
      jobDir: path.join(dir.path, `job-${++job}`),
      cancelAfterMs: 4000,
    });
    assert.notEqual(result.main.exitCode, 0);
    assert.equal(result.post?.exitCode, 0);
    assert.deepEqual(await mountsBelow(lfs), []);
    assert.notEqual(spawnSync('pgrep', ['-f', 'sleep 3600']).status, 0);
  });
});
