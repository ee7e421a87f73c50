/**
 * The record that lets a job skip restoring a snapshot $LFS already holds: it proves the tree unchanged
 * only while nothing below $LFS was written, renamed, linked, deleted or re-owned since, and it is only
 * honoured for the same entry and by builds that trust the job that wrote it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmod, link, mkdir, readFile, rename, rm, writeFile, lstat, symlink } from 'node:fs/promises';
import path from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { fingerprintTree, forgetTree, recordTree, TREE_RECORD, treeHolds, type TreeIdentity } from '../src/rootfs/tree-record.js';
import { readableScopeNames } from '../src/store/trust.js';
import { makeTestDir, type TestDir } from './harness/workdir.js';

let dir: TestDir;
let lfs: string;
const identity: TreeIdentity = { stage: 's1', key: 'pizlix-s1-0123', sha256: 'ab'.repeat(32), scope: 'trusted' };
const trusted = readableScopeNames({ trust: 'trusted', ref: 'refs/heads/main' });

before(async () => {
  dir = await makeTestDir('tree-record');
});
after(async () => {
  await dir?.remove();
});

/** A fresh small tree with the kinds of inode a root filesystem has, recorded as a restore records it. */
beforeEach(async () => {
  lfs = path.join(dir.path, 'lfs');
  await rm(lfs, { recursive: true, force: true });
  await mkdir(path.join(lfs, 'usr/bin'), { recursive: true });
  await mkdir(path.join(lfs, 'dev'));
  await mkdir(path.join(lfs, 'sources'));
  await writeFile(path.join(lfs, 'sources/lfsbuildstate'), 's1\n');
  await writeFile(path.join(lfs, 'usr/bin/tool'), 'version one\n');
  await chmod(path.join(lfs, 'usr/bin/tool'), 0o4755);
  await link(path.join(lfs, 'usr/bin/tool'), path.join(lfs, 'usr/bin/tool-link'));
  await symlink('tool', path.join(lfs, 'usr/bin/alias'));
  assert.equal(spawnSync('mknod', [path.join(lfs, 'dev/null'), 'c', '1', '3']).status, 0);
  await recordTree(lfs, identity);
});

describe('tree record', () => {
  test('an untouched tree is proven, and reading it changes nothing', async () => {
    assert.equal(await treeHolds(lfs, identity, trusted), true);
    await readFile(path.join(lfs, 'usr/bin/tool'));
    assert.equal(await treeHolds(lfs, identity, trusted), true);
    const record = JSON.parse(await readFile(path.join(lfs, TREE_RECORD), 'utf8'));
    assert.equal(record.fingerprint, (await fingerprintTree(lfs)).digest, 'the record itself is outside the fingerprint');
  });

  test('a rewrite that keeps the size and puts the modification time back is still seen (ctime)', async () => {
    const file = path.join(lfs, 'usr/bin/tool');
    const stamps = path.join(dir.path, 'stamps');
    assert.equal(spawnSync('touch', ['-r', file, stamps]).status, 0);
    const before = await lstat(file, { bigint: true });
    await writeFile(file, 'version two\n');
    await chmod(file, 0o4755);
    assert.equal(spawnSync('touch', ['-r', stamps, file]).status, 0);
    const after = await lstat(file, { bigint: true });
    assert.equal(after.size, before.size);
    assert.equal(after.mtimeNs, before.mtimeNs);
    assert.equal(await treeHolds(lfs, identity, trusted), false);
  });

  const changes: Record<string, () => Promise<unknown>> = {
    'a new file deep in the tree': () => writeFile(path.join(lfs, 'usr/bin/new'), ''),
    'a deleted file': () => rm(path.join(lfs, 'usr/bin/alias')),
    'a rename': () => rename(path.join(lfs, 'usr/bin/tool-link'), path.join(lfs, 'usr/bin/tool-moved')),
    'a mode change': () => chmod(path.join(lfs, 'usr/bin/tool'), 0o755),
    'an owner change': async () => spawnSync('chown', ['1000:1000', path.join(lfs, 'dev/null')]),
    'a new top-level entry': () => mkdir(path.join(lfs, 'opt')),
    "the root's mode": () => chmod(lfs, 0o700),
  };
  for (const [name, change] of Object.entries(changes)) {
    test(`${name} breaks the proof`, async () => {
      await change();
      assert.equal(await treeHolds(lfs, identity, trusted), false);
    });
  }

  test('a change right after the record breaks the proof, round after round', async () => {
    // recordTree also guards a change within the same tick of the kernel's timestamp clock as the tree's newest
    // ctime; the walk between them usually outlasts a tick, so this checks the ordinary case, many times.
    for (let i = 0; i < 20; i++) {
      await recordTree(lfs, identity);
      await writeFile(path.join(lfs, 'sources/lfsbuildstate'), `s1 ${i % 2}\n`);
      assert.equal(await treeHolds(lfs, identity, trusted), false, `round ${i}`);
    }
  });

  test('only the same entry is proven: another key or snapshot checksum is not', async () => {
    assert.equal(await treeHolds(lfs, { ...identity, key: 'pizlix-s1-4567' }, trusted), false);
    assert.equal(await treeHolds(lfs, { ...identity, sha256: 'cd'.repeat(32) }, trusted), false);
  });

  test("a tree a pull request's job restored is never reused by a trusted build; that pull request's own jobs may", async () => {
    const pr = { trust: 'untrusted' as const, ref: 'refs/pull/7/merge' };
    const scope = readableScopeNames(pr)[0];
    await recordTree(lfs, { ...identity, scope });
    assert.equal(await treeHolds(lfs, identity, trusted), false);
    assert.equal(await treeHolds(lfs, identity, readableScopeNames(pr)), true);
    assert.equal(await treeHolds(lfs, identity, readableScopeNames({ trust: 'untrusted', ref: 'refs/pull/8/merge' })), false);
  });

  test('a missing, torn or foreign record proves nothing', async () => {
    await forgetTree(lfs);
    assert.equal(await treeHolds(lfs, identity, trusted), false);
    await writeFile(path.join(lfs, TREE_RECORD), '{"format": 1, "stage": "s1"');
    assert.equal(await treeHolds(lfs, identity, trusted), false);
    await writeFile(path.join(lfs, TREE_RECORD), JSON.stringify({ format: 99 }));
    assert.equal(await treeHolds(lfs, identity, trusted), false);
  });

  test('the walk stays on $LFS: a file system mounted below it is not listed', async () => {
    const before = await fingerprintTree(lfs);
    const mnt = path.join(lfs, 'dev');
    assert.equal(spawnSync('mount', ['-t', 'tmpfs', 'tmpfs', mnt]).status, 0);
    try {
      await mkdir(path.join(mnt, 'below'));
      const mounted = await fingerprintTree(lfs);
      // The mount point shows the tmpfs root, so the digest differs (a restore unmounts first); but nothing
      // below the mount is walked: a file created in a directory there leaves the digest as it was.
      assert.notEqual(mounted.digest, before.digest);
      await writeFile(path.join(mnt, 'below', 'inside-the-mount'), '');
      assert.equal((await fingerprintTree(lfs)).digest, mounted.digest);
    } finally {
      spawnSync('umount', [mnt]);
    }
    assert.equal((await fingerprintTree(lfs)).digest, before.digest);
  });
});
