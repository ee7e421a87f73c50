/**
 * The fetch and publish-release actions, run as bundles the way the runner runs them, against a
 * loopback server that follows GitHub's documented release endpoints (latest, by tag, asset download
 * through a 302 to a signed URL on another host, uploads to upload_url). Hashes are checked with
 * sha256sum(1) and images made with zstd(1), independently of the code under test.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { run } from '../src/util/exec.js';
import { LocalStore } from '../src/store/local.js';
import { formatChecksums, parseChecksums } from '../src/release/checksums.js';
import { spawn } from 'node:child_process';
import { NODE, REPO_ROOT, runAction, type ActionRun } from './harness/runner.js';
import { makeTestDir, type TestDir } from './harness/workdir.js';
import { startGitHubApiServer, type GitHubApiServer } from './github-api/server.js';

const TOKEN = 'ghs_loopbacktoken0123456789';
const REPO = 'pizlonator/fil-c';
let dir: TestDir;
let server: GitHubApiServer;

interface ReleaseFiles {
  dir: string;
  /** name → bytes, as uploaded */
  assets: Record<string, Buffer>;
  /** sha256 of the uncompressed disk.img */
  imageSha256: string;
  imageSize: number;
}

/** A small sparse disk image with data in three places, its .zst, a vmdk stand-in, a snapshot, SHA256SUMS. */
async function makeReleaseFiles(name: string): Promise<ReleaseFiles> {
  const target = path.join(dir.path, name);
  await mkdir(target, { recursive: true });
  const image = path.join(target, 'disk.img');
  const imageSize = 24 << 20;
  const handle = await open(image, 'w');
  for (const offset of [0, 9 << 20, imageSize - (64 << 10)]) await handle.write(randomBytes(64 << 10), 0, 64 << 10, offset);
  await handle.truncate(imageSize);
  await handle.close();
  await run('zstd', ['-q', '-3', image, '-o', path.join(target, 'disk.img.zst')]);
  await writeFile(path.join(target, 'disk.vmdk'), Buffer.concat([Buffer.from('KDMV'), randomBytes(200_000)]));
  const root = path.join(target, 'root');
  await mkdir(path.join(root, 'etc'), { recursive: true });
  await writeFile(path.join(root, 'etc', 'os-release'), `NAME=Pizlix\nVERSION=${name}\n`);
  await run('tar', ['--zstd', '-cf', path.join(target, 'pizlix-postlc5.tar.zst'), '-C', root, '.']);
  const names = ['disk.img.zst', 'disk.vmdk', 'pizlix-postlc5.tar.zst'];
  await writeFile(path.join(target, 'SHA256SUMS'), await run('sha256sum', names, { cwd: target }));
  const assets: Record<string, Buffer> = {};
  for (const n of [...names, 'SHA256SUMS']) assets[n] = await readFile(path.join(target, n));
  return { dir: target, assets, imageSha256: await sha256sum(image), imageSize };
}

async function sha256sum(file: string): Promise<string> {
  return (await run('sha256sum', [file])).split(' ')[0];
}

function env(): Record<string, string> {
  return { GITHUB_API_URL: server.apiUrl, PIZLIX_STAGE_PROGRESS_MS: '0' };
}

async function fetchAction(name: string, inputs: Record<string, string>): Promise<ActionRun & { jobDir: string }> {
  const jobDir = path.join(dir.path, 'jobs', name);
  const result = await runAction({ action: 'fetch', inputs: { repository: REPO, token: TOKEN, ...inputs }, env: env(), jobDir });
  return { ...result, jobDir };
}

function failureText(r: ActionRun): string {
  return `${r.main.stdout}\n${r.main.stderr}`;
}

let v1: ReleaseFiles;
let v2: ReleaseFiles;

before(async () => {
  dir = await makeTestDir('release');
  server = await startGitHubApiServer({ token: TOKEN });
  v1 = await makeReleaseFiles('v1');
  v2 = await makeReleaseFiles('v2');
  server.addRelease(REPO, { tag: 'v1', assets: v1.assets });
  server.addRelease(REPO, { tag: 'v2', assets: v2.assets });
  // Newer, but a prerelease: GitHub's "latest" skips it.
  server.addRelease(REPO, { tag: 'v3-rc1', prerelease: true, assets: v1.assets });
});

after(async () => {
  await server?.close();
  await dir?.remove();
});

describe('SHA256SUMS', () => {
  test('reads what sha256sum writes, text and binary mode, and rejects other lines', () => {
    const hash = 'a'.repeat(64);
    const sums = parseChecksums(`${hash}  disk.img.zst\n${'B'.repeat(64)} *dir/disk.vmdk\n`);
    assert.deepEqual(
      [...sums],
      [
        ['disk.img.zst', hash],
        ['disk.vmdk', 'b'.repeat(64)],
      ],
    );
    assert.equal(formatChecksums(sums), `${hash}  disk.img.zst\n${'b'.repeat(64)}  disk.vmdk\n`);
    assert.throws(() => parseChecksums('not a checksum line\n'), /line 1 is not/);
  });
});

describe('fetch action (release)', () => {
  test('fetches the latest release through the 302 redirect, verifies it and unpacks a sparse disk.img', async () => {
    const r = await fetchAction('latest', {});
    assert.equal(r.main.exitCode, 0, failureText(r));
    assert.equal(r.outputs['release-tag'], 'v2', 'latest skips the newer prerelease');
    const directory = r.outputs.directory;
    assert.equal(directory, path.join(r.jobDir, 'runner-temp', 'pizlix-release'));
    assert.equal(r.outputs.image, path.join(directory, 'disk.img'));
    assert.equal(await sha256sum(r.outputs.image), v2.imageSha256);
    const info = await stat(r.outputs.image);
    assert.equal(info.size, v2.imageSize);
    assert.ok(info.blocks * 512 < info.size / 2, `disk.img is sparse (${info.blocks * 512} bytes allocated of ${info.size})`);
    await run('sha256sum', ['-c', 'SHA256SUMS', '--ignore-missing'], { cwd: directory });
    assert.equal(r.outputs.sha256sums, path.join(directory, 'SHA256SUMS'));
    assert.deepEqual((await readdir(directory)).sort(), ['SHA256SUMS', 'disk.img', 'disk.img.zst']);
    assert.equal(r.outputs.vmdk, '');
    // The token went to the API only; the signed storage URL was fetched without it.
    const storage = server.requests.filter((q) => q.host === 'storage');
    assert.ok(storage.length >= 2, 'downloads went through the redirect');
    assert.ok(storage.every((q) => q.authorization === undefined));
    assert.ok(server.requests.some((q) => q.host === 'api' && q.authorization === `Bearer ${TOKEN}`));
    // The runner masks the token (::add-mask::); no other line carries it.
    assert.ok(r.main.stdout.includes(`::add-mask::${TOKEN}`));
    assert.ok(!r.main.stdout.split('\n').some((line) => line.includes(TOKEN) && !line.startsWith('::add-mask::')), 'the token is never printed');
    assert.match(r.summary, /Pizlix release v2/);
  });

  test('fetches a release by tag: image, vmdk and snapshot by glob', async () => {
    const r = await fetchAction('by-tag', { tag: 'v1', files: 'disk.img.zst\ndisk.vmdk, *.tar.zst' });
    assert.equal(r.main.exitCode, 0, failureText(r));
    assert.equal(r.outputs['release-tag'], 'v1');
    assert.equal(await sha256sum(r.outputs.image), v1.imageSha256);
    assert.deepEqual(await readFile(r.outputs.vmdk), v1.assets['disk.vmdk']);
    assert.equal(path.basename(r.outputs.snapshot), 'pizlix-postlc5.tar.zst');
    assert.match(await run('tar', ['--zstd', '-xOf', r.outputs.snapshot, './etc/os-release']), /VERSION=v1/);
  });

  test('a re-run keeps files that already match and fetches nothing twice', async () => {
    const first = await fetchAction('rerun', { tag: 'v1' });
    assert.equal(first.main.exitCode, 0, failureText(first));
    const storageBefore = server.requests.filter((q) => q.host === 'storage').length;
    const second = await runAction({ action: 'fetch', inputs: { repository: REPO, token: TOKEN, tag: 'v1' }, env: env(), jobDir: first.jobDir });
    assert.equal(second.main.exitCode, 0, failureText(second));
    assert.match(second.main.stdout, /disk\.img\.zst is already here and matches SHA256SUMS/);
    assert.equal(server.requests.filter((q) => q.host === 'storage').length, storageBefore + 1, 'only SHA256SUMS was downloaded again');
  });

  test('a checksum mismatch fails, names the file and both hashes, and deletes the bad file', async () => {
    server.corrupted.add('disk.img.zst');
    try {
      const r = await fetchAction('corrupt', { tag: 'v2' });
      assert.equal(r.main.exitCode, 1);
      const expected = parseChecksums(v2.assets.SHA256SUMS.toString()).get('disk.img.zst')!;
      const message = failureText(r);
      assert.match(message, new RegExp(`disk\\.img\\.zst does not match SHA256SUMS: expected sha256 ${expected}, got [0-9a-f]{64}`));
      const directory = path.join(r.jobDir, 'runner-temp', 'pizlix-release');
      const left = existsSync(directory) ? await readdir(directory) : [];
      assert.ok(!left.some((f) => f.startsWith('disk.img')), `no disk.img* left behind: ${left.join(', ')}`);
      assert.equal(r.outputs.image, undefined);
      assert.match(r.summary, /Pizlix fetch failed/);
    } finally {
      server.corrupted.clear();
    }
  });

  test('a dropped download or a 503 from storage is tried again; the result is verified', async () => {
    server.storageFaults.cutOff = 1;
    server.storageFaults.unavailable = 1;
    const jobDir = path.join(dir.path, 'jobs', 'retry');
    const r = await runAction({
      action: 'fetch',
      inputs: { repository: REPO, token: TOKEN, tag: 'v2', files: 'disk.vmdk' },
      env: { ...env(), PIZLIX_STAGE_RETRY_DELAY_SCALE: '0.01' },
      jobDir,
    });
    assert.equal(r.main.exitCode, 0, failureText(r));
    assert.deepEqual(server.storageFaults, { unavailable: 0, cutOff: 0 });
    assert.equal([...r.main.stdout.matchAll(/downloading \S+ failed \(attempt \d of 3\): .*; retrying in/g)].length, 2, r.main.stdout);
    assert.deepEqual(await readFile(r.outputs.vmdk), v2.assets['disk.vmdk']);
  });

  test('clear failures: unknown tag (the API message), no matching asset, missing repository', async () => {
    const missing = await fetchAction('missing-tag', { tag: 'v9' });
    assert.equal(missing.main.exitCode, 1);
    assert.match(failureText(missing), /finding release v9 of pizlonator\/fil-c: GitHub answered 404 — Not Found/);

    const noAsset = await fetchAction('no-asset', { tag: 'v1', files: '*.qcow2' });
    assert.equal(noAsset.main.exitCode, 1);
    assert.match(failureText(noAsset), /input 'files': no asset of release v1 matches '\*\.qcow2'; expected names among: disk\.img\.zst, disk\.vmdk/);

    const noRepo = await fetchAction('no-repo', { repository: '' });
    assert.equal(noRepo.main.exitCode, 1);
    assert.match(failureText(noRepo), /input 'repository': is required but empty/);
    assert.ok(!server.requests.some((q) => q.path.includes('//')), 'nothing was asked with an empty repository');
  });

  test('works when the API streams the asset itself (200 instead of 302), anonymously', async () => {
    const direct = await startGitHubApiServer({ token: TOKEN, directDownload: true });
    try {
      direct.addRelease(REPO, { tag: 'v1', assets: v1.assets });
      const jobDir = path.join(dir.path, 'jobs', 'direct');
      const r = await runAction({ action: 'fetch', inputs: { repository: REPO, token: '' }, env: { ...env(), GITHUB_API_URL: direct.apiUrl }, jobDir });
      assert.equal(r.main.exitCode, 0, failureText(r));
      assert.equal(await sha256sum(r.outputs.image), v1.imageSha256);
      assert.ok(direct.requests.every((q) => q.host === 'api' && q.authorization === undefined));
    } finally {
      await direct.close();
    }
  });
});

describe('publish-release action', () => {
  async function publish(name: string, inputs: Record<string, string>, apiUrl = server.apiUrl): Promise<ActionRun> {
    const jobDir = path.join(dir.path, 'jobs', name);
    await mkdir(path.join(jobDir, 'workspace'), { recursive: true });
    return runAction({ action: 'publish-release', inputs: { repository: REPO, token: TOKEN, ...inputs }, env: { ...env(), GITHUB_API_URL: apiUrl }, jobDir });
  }

  test('publish then fetch round-trip; a re-run replaces only what changed', async () => {
    const files = await makeReleaseFiles('v4');
    const out = path.join(dir.path, 'v4-out');
    await mkdir(out);
    for (const n of ['disk.img.zst', 'disk.vmdk', 'pizlix-postlc5.tar.zst']) await writeFile(path.join(out, n), files.assets[n]);

    const first = await publish('publish-1', { tag: 'v4', name: 'Pizlix v4', files: `${out}/*.zst\n${out}/disk.vmdk` });
    assert.equal(first.main.exitCode, 0, failureText(first));
    assert.deepEqual(first.outputs.uploaded.split('\n').sort(), ['SHA256SUMS', 'disk.img.zst', 'disk.vmdk', 'pizlix-postlc5.tar.zst']);
    assert.equal(first.outputs.replaced, '');
    assert.equal(first.outputs.url, `https://github.com/${REPO}/releases/tag/v4`);
    // The computed SHA256SUMS is the one sha256sum writes.
    assert.equal(
      (await readFile(first.outputs.sha256sums, 'utf8')).split('\n').sort().join('\n'),
      files.assets.SHA256SUMS.toString().split('\n').sort().join('\n'),
    );
    assert.equal(server.release(REPO, 'v4')?.name, 'Pizlix v4');
    assert.equal(server.release(REPO, 'v4')?.targetCommitish, '0'.repeat(40), "the tag is made at the workflow's commit (GITHUB_SHA)");

    const fetched = await fetchAction('round-trip', { tag: 'latest', files: '*' });
    assert.equal(fetched.main.exitCode, 0, failureText(fetched));
    assert.equal(fetched.outputs['release-tag'], 'v4');
    assert.equal(await sha256sum(fetched.outputs.image), files.imageSha256);
    assert.deepEqual(await readFile(fetched.outputs.vmdk), files.assets['disk.vmdk']);

    await writeFile(path.join(out, 'disk.vmdk'), randomBytes(1000));
    const second = await publish('publish-2', { tag: 'v4', files: `${out}/*` });
    assert.equal(second.main.exitCode, 0, failureText(second));
    assert.deepEqual(second.outputs.replaced.split('\n').sort(), ['SHA256SUMS', 'disk.vmdk']);
    assert.deepEqual(second.outputs.unchanged.split('\n').sort(), ['disk.img.zst', 'pizlix-postlc5.tar.zst']);
    assert.equal(second.outputs.uploaded, '');
    assert.deepEqual(
      server
        .release(REPO, 'v4')!
        .assets.map((a) => a.name)
        .sort(),
      ['SHA256SUMS', 'disk.img.zst', 'disk.vmdk', 'pizlix-postlc5.tar.zst'],
    );
    assert.match(second.summary, /Pizlix release v4 updated/);
  });

  test("without asset digests the release's own SHA256SUMS tells what changed; a missing asset is uploaded", async () => {
    const old = await startGitHubApiServer({ token: TOKEN, omitDigest: true });
    try {
      old.addRepository(REPO);
      const out = path.join(dir.path, 'nodigest-out');
      await mkdir(out);
      await writeFile(path.join(out, 'a.bin'), randomBytes(5000));
      await writeFile(path.join(out, 'b.bin'), randomBytes(5000));
      const first = await publish('nodigest-1', { tag: 'v5', files: path.join(out, 'a.bin'), draft: 'true' }, old.apiUrl);
      assert.equal(first.main.exitCode, 0, failureText(first));
      assert.equal(old.release(REPO, 'v5')?.draft, true);
      const sameSize = randomBytes(5000);
      await writeFile(path.join(out, 'a.bin'), sameSize);
      const second = await publish('nodigest-2', { tag: 'v5', files: `${out}/*.bin` }, old.apiUrl);
      assert.equal(second.main.exitCode, 0, failureText(second));
      assert.equal(second.outputs.uploaded, 'b.bin');
      assert.deepEqual(second.outputs.replaced.split('\n').sort(), ['SHA256SUMS', 'a.bin']);
      const third = await publish('nodigest-3', { tag: 'v5', files: `${out}/*.bin` }, old.apiUrl);
      assert.deepEqual(third.outputs.unchanged.split('\n').sort(), ['a.bin', 'b.bin']);
      assert.deepEqual(old.release(REPO, 'v5')!.assets.find((a) => a.name === 'a.bin')!.content, sameSize, 'the replaced asset holds the new bytes');
    } finally {
      await old.close();
    }
  });

  test('fails clearly: bad token (the API message), a file that does not exist, a wrong SHA256SUMS', async () => {
    const out = path.join(dir.path, 'bad-out');
    await mkdir(out);
    await writeFile(path.join(out, 'x.bin'), 'x');
    const badToken = await publish('bad-token', { tag: 'v6', files: path.join(out, 'x.bin'), token: 'wrong' });
    assert.equal(badToken.main.exitCode, 1);
    assert.match(failureText(badToken), /GitHub answered 401 — Bad credentials/);

    const noFile = await publish('no-file', { tag: 'v6', files: path.join(out, 'missing.bin') });
    assert.equal(noFile.main.exitCode, 1);
    assert.match(failureText(noFile), /input 'files': '.*missing\.bin' is not a file/);

    await writeFile(path.join(out, 'SHA256SUMS'), `${'0'.repeat(64)}  x.bin\n`);
    const wrongSums = await publish('wrong-sums', { tag: 'v6', files: `${out}/x.bin\n${out}/SHA256SUMS` });
    assert.equal(wrongSums.main.exitCode, 1);
    assert.match(failureText(wrongSums), /x\.bin does not match SHA256SUMS: expected sha256 0{64}, got [0-9a-f]{64}/);
    assert.equal(server.release(REPO, 'v6'), undefined, 'nothing was created');
  });
});

describe('pizlix-stage fetch (command line)', () => {
  // Asynchronous: the loopback API server answers from this very process.
  const cli = (args: string[], extraEnv: Record<string, string> = {}) =>
    new Promise<{ status: number | null; output: string }>((resolve) => {
      const child = spawn(NODE, [path.join(REPO_ROOT, 'dist/cli/index.js'), 'fetch', ...args], { env: { ...process.env, ...env(), ...extraEnv } });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      child.on('close', (status) => resolve({ status, output }));
    });

  test('fetches a release by tag, verified and unpacked, and names the disk image', async () => {
    const directory = path.join(dir.path, 'cli-v1');
    const r = await cli(['--repository', REPO, '--tag', 'v1', '--directory', directory], { GITHUB_TOKEN: TOKEN });
    assert.equal(r.status, 0, r.output);
    assert.match(r.output, /release\s+v1/);
    assert.match(r.output, new RegExp(`disk image\\s+${path.join(directory, 'disk.img').replace(/[.]/g, '\\.')}`));
    assert.equal(await sha256sum(path.join(directory, 'disk.img')), v1.imageSha256);
  });

  test('without a repository or a key it names what is missing', async () => {
    const r = await cli([]);
    assert.equal(r.status, 1);
    assert.match(r.output, /input 'repository': is required/);
  });
});

describe('fetch action (store)', () => {
  test('fetches a verified stage snapshot from a local store by key', async () => {
    const storeRoot = path.join(dir.path, 'store');
    const store = new LocalStore(storeRoot, { trust: 'trusted', ref: 'refs/heads/main' });
    const snapshot = path.join(v1.dir, 'pizlix-postlc5.tar.zst');
    await store.publish(snapshot, { key: 'postlc5-abc', stage: 'postlc5', parentKey: null, compression: 'zstd', buildSeconds: 1, inputs: {} });
    const jobDir = path.join(dir.path, 'jobs', 'store');
    const r = await runAction({
      action: 'fetch',
      inputs: { source: 'store', 'store-path': storeRoot, stage: 'postlc5', key: 'postlc5-abc' },
      env: env(),
      jobDir,
    });
    assert.equal(r.main.exitCode, 0, failureText(r));
    assert.equal(await sha256sum(r.outputs.snapshot), await sha256sum(snapshot));

    const wrongStage = await runAction({
      action: 'fetch',
      inputs: { source: 'store', 'store-path': storeRoot, stage: 'lc', key: 'postlc5-abc' },
      env: env(),
      jobDir,
    });
    assert.equal(wrongStage.main.exitCode, 1);
    assert.match(failureText(wrongStage), /input 'stage': entry postlc5-abc holds stage postlc5, not lc/);
    const missing = await runAction({ action: 'fetch', inputs: { source: 'store', 'store-path': storeRoot, key: 'nope' }, env: env(), jobDir });
    assert.match(failureText(missing), /input 'key': the local store at .* has no readable, intact entry nope/);
  });
});
