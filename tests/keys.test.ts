/** Stage keys and manifests: what changes a key, what does not, and how bad manifests are reported. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFile, cp, mkdir, writeFile, chmod } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { computeKeys } from '../src/chain/keys.js';
import { loadManifest, parseManifest } from '../src/chain/manifest.js';
import { makeTestDir, type TestDir } from './harness/workdir.js';

let dir: TestDir;
const pizlix = loadManifest();

/** A checkout shaped like Fil-C's, with a few files in the places the built-in manifest names. */
async function makeFilcCheckout(root: string): Promise<void> {
  const files: Record<string, string> = {
    'pizlix/build_prelc.sh': '#!/bin/bash\necho prelc\n',
    'pizlix/build_lc.sh': '#!/bin/bash\necho lc\n',
    'pizlix/build_postlc.sh': '#!/bin/bash\n',
    'pizlix/build_postlc2.sh': '#!/bin/bash\n',
    'pizlix/build_postlc3.sh': '#!/bin/bash\n',
    'pizlix/build_postlc3_sub1_packaging.sh': '#!/bin/bash\n',
    'pizlix/build_postlc4.sh': '#!/bin/bash\n',
    'pizlix/build_postlc5.sh': '#!/bin/bash\n',
    'pizlix/build_mount.sh': '#!/bin/bash\n',
    'pizlix/gcc-14.2.0.tar.xz': 'pretend tarball',
    'pizlix/etc/weston.ini': '[core]\n',
    'llvm/lib/IR/Value.cpp': 'int x;\n',
    'libpas/src/pas.c': 'int pas;\n',
    'filc/projeny': '#!/bin/sh\n',
    'projects/weston-12.0.5/libweston/compositor.c': 'int w;\n',
    'projects/linux-6.10.5/Makefile': 'all:\n',
  };
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, rel)), { recursive: true });
    await writeFile(path.join(root, rel), text);
    if (rel.endsWith('.sh')) await chmod(path.join(root, rel), 0o755);
  }
}

async function keysOf(root: string, keyExtra?: string): Promise<Record<string, string>> {
  const keys = await computeKeys(pizlix, { pizlixDir: path.join(root, 'pizlix'), keyExtra });
  return Object.fromEntries(keys.map((k) => [k.stage, k.key]));
}

function changedStages(a: Record<string, string>, b: Record<string, string>): string[] {
  return Object.keys(a).filter((s) => a[s] !== b[s]);
}

const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.email=t@t', '-c', 'user.name=t', ...args], { cwd, stdio: 'pipe' }).toString();

before(async () => {
  dir = await makeTestDir('keys');
});
after(async () => {
  await dir?.remove();
});

describe('stage keys', () => {
  test('the built-in manifest is Pizlix: seven stages in order, compiler trees in lc', () => {
    assert.deepEqual(pizlix.stages.map((s) => s.name), ['prelc', 'lc', 'postlc', 'postlc2', 'postlc3', 'postlc4', 'postlc5']);
    const lc = pizlix.stages[1];
    for (const tree of ['llvm/**', 'clang/**', 'libpas/**', 'filc/**']) {
      assert.ok(lc.inputs.includes(tree), `lc hashes ${tree}`);
      assert.ok(!pizlix.stages[0].inputs.includes(tree), `prelc does not hash ${tree}`);
    }
  });

  test('one changed byte changes its stage and every later stage, never an earlier one', async () => {
    const root = path.join(dir.path, 'plain');
    await makeFilcCheckout(root);
    const base = await keysOf(root);
    assert.equal(new Set(Object.values(base)).size, 7);
    await appendFile(path.join(root, 'llvm/lib/IR/Value.cpp'), ' ');
    const afterLlvm = await keysOf(root);
    assert.deepEqual(changedStages(base, afterLlvm), ['lc', 'postlc', 'postlc2', 'postlc3', 'postlc4', 'postlc5']);
    await appendFile(path.join(root, 'projects/weston-12.0.5/libweston/compositor.c'), '\n');
    assert.deepEqual(changedStages(afterLlvm, await keysOf(root)), ['postlc3', 'postlc4', 'postlc5']);
  });

  test('build outputs and unrelated files change no key; key-extra changes every key', async () => {
    const root = path.join(dir.path, 'outputs');
    await makeFilcCheckout(root);
    const base = await keysOf(root);
    await writeFile(path.join(root, 'pizlix/lfs-prelc.tar.gz'), 'a snapshot');
    await mkdir(path.join(root, 'projects/weston-12.0.5'), { recursive: true });
    await writeFile(path.join(root, 'projects/weston-12.0.5/pizlonated-weston.tar.gz'), 'packaged');
    await writeFile(path.join(root, 'README.md'), 'docs');
    assert.deepEqual(changedStages(base, await keysOf(root)), []);
    assert.equal(changedStages(base, await keysOf(root, 'ubuntu-22.04-20261101')).length, 7);
  });

  test("keys do not depend on the checkout's path", async () => {
    const a = path.join(dir.path, 'path-a');
    await makeFilcCheckout(a);
    const b = path.join(dir.path, 'elsewhere', 'path-b');
    await cp(a, b, { recursive: true });
    assert.deepEqual(await keysOf(a), await keysOf(b));
  });

  test("git ids for tracked files give the same keys as hashing contents, committed or not", async () => {
    const plain = path.join(dir.path, 'git-plain');
    await makeFilcCheckout(plain);
    const repo = path.join(dir.path, 'git-repo');
    await cp(plain, repo, { recursive: true });
    await writeFile(path.join(repo, '.gitignore'), '*.o\n');
    git(repo, 'init', '-q');
    git(repo, 'add', '-A');
    git(repo, 'commit', '-qm', 'init');
    assert.deepEqual(await keysOf(repo), await keysOf(plain), 'committed tree');
    // A modified tracked file and a new untracked file count; an ignored one does not.
    for (const root of [repo, plain]) {
      await appendFile(path.join(root, 'libpas/src/pas.c'), '// edit\n');
      await writeFile(path.join(root, 'libpas/src/new.c'), 'int n;\n');
    }
    await writeFile(path.join(repo, 'libpas/src/build.o'), 'object');
    const repoKeys = await keysOf(repo);
    assert.deepEqual(repoKeys, await keysOf(plain), 'dirty tree');
    git(repo, 'add', '-A');
    git(repo, 'commit', '-qm', 'edit');
    assert.deepEqual(await keysOf(repo), repoKeys, 'committing changes no key');
  });
});

describe('manifest validation', () => {
  const stage = (fields: string) => `version: 1\nstages:\n  - name: a\n    script: build_a.sh\n    snapshot: lfs-a.tar.gz\n    inputs: [pizlix/a]\n${fields}`;
  const cases: Array<[string, string, RegExp]> = [
    ['wrong version', 'version: 2\nstages: []\n', /field \/version must be equal to constant \(expected version: 1\)/],
    ['unknown field', stage('    colour: red\n'), /field \/stages\/0 must NOT have additional properties \(expected only known fields \(unknown: 'colour'\)\)/],
    ['bad name', stage('').replace('name: a', 'name: A b'), /field \/stages\/0\/name must match pattern/],
    ['duplicate', stage('  - name: a\n    parent: a\n    script: b.sh\n    snapshot: b.tar.gz\n    inputs: [b]\n'), /\/stages\/1\/name: stage 'a' is defined twice/],
    ['unknown parent', stage('  - name: b\n    parent: zz\n    script: b.sh\n    snapshot: b.tar.gz\n    inputs: [b]\n'), /\/stages\/1\/parent: 'zz' is not an earlier stage; expected one of: a/],
    ['missing parent', stage('  - name: b\n    script: b.sh\n    snapshot: b.tar.gz\n    inputs: [b]\n'), /\/stages\/1\/parent: missing; expected the name of an earlier stage \(e\.g\. 'a'\)/],
    ['escaping input', stage('').replace('[pizlix/a]', '[../secrets]'), /inputs: '\.\.\/secrets' leaves the checkout/],
    ['not yaml', 'version: [1', /m\.yml is not valid YAML/],
  ];
  for (const [name, text, message] of cases) {
    test(name, () => {
      assert.throws(() => parseManifest(text, 'm.yml'), (err: Error) => {
        assert.match(err.message, /^input 'manifest': /);
        assert.match(err.message, message);
        return true;
      });
    });
  }
});
