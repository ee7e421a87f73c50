/**
 * Stage keys of the chain read from the Fil-C-shaped fixture's scripts: every path the scripts reference
 * changes the key of the first stage that references it and of no earlier stage; nothing else changes a
 * key; untracked and ignored work trees, nested repositories and downloads count as they should. And how
 * bad manifests are reported.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFile, mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadChain } from '../src/chain/chain.js';
import { computeKeys } from '../src/chain/keys.js';
import { parseManifestText, manifestChain } from '../src/chain/manifest.js';
import { FILC_STAGES, git, makeFilcCheckout } from './harness/filc-fixture.js';
import { makeTestDir, type TestDir } from './harness/workdir.js';

let dir: TestDir;
let base: string;

before(async () => {
  dir = await makeTestDir('keys');
  base = await makeFilcCheckout(path.join(dir.path, 'filc'));
});
after(async () => {
  await dir?.remove();
});

/** Each stage's own key material (its key also hashes its parent's output digest: tests/output-digest.test.ts). */
async function keysOf(root: string, options: { keyExtra?: string; manifest?: string } = {}): Promise<Record<string, string>> {
  const pizlixDir = path.join(root, 'pizlix');
  const keys = await computeKeys(loadChain({ pizlixDir, manifestFile: options.manifest }), { pizlixDir, keyExtra: options.keyExtra });
  return Object.fromEntries(keys.map((k) => [k.stage, k.ownHash]));
}

function changedStages(a: Record<string, string>, b: Record<string, string>): string[] {
  return Object.keys(b).filter((s) => a[s] !== b[s]);
}

/** The stage that first references each path of the fixture, read off its scripts by hand. */
const REFERENCES: Record<(typeof FILC_STAGES)[number], string[]> = {
  prelc: [
    'pizlix/build_prelc.sh',
    'pizlix/build_prelc_sub0_filc.sh',
    'projects/linux-6.10.5/',
    'package-source.sh',
    'projects/yolo-util-linux.projeny',
    'projects/util-linux-2.40.tar.gz',
    'projects/yolo-util-linux/',
    'filc/projeny',
    'pizlix/build_unmount.sh',
    'pizlix/build_copy_stuff.sh',
    'pizlix/hello-1.0.tar.gz',
    'pizlix/linux-config-6.10.5',
    'pizlix/preserve-yolo.txt',
    'pizlix/build_prelc_sub2_chroot_part1.sh',
    'pizlix/build_prelc_sub2_chroot_part2.sh',
    'pizlix/build_lc_sub2_yolo_chroot.sh',
    'pizlix/build_lc_sub3_user_chroot.sh',
    'pizlix/build_postlc_sub2_chroot_part1.sh',
    'pizlix/build_postlc_sub2_chroot_part2.sh',
    'pizlix/build_postlc_chroot_project_meson.sh',
    'pizlix/etc/fstab',
    'pizlix/etc/hosts',
    'pizlix/etc/profile',
    'pizlix/etc/inputrc',
    'pizlix/etc/passwd',
    'pizlix/etc/group',
    'pizlix/etc/sysconfig/ifconfig.eth0',
    'pizlix/keymaps/fixed-keys.map',
    'pizlix/build_prelc_sub1_lfsuser_trampoline.sh',
    'pizlix/build_prelc_sub1_lfsuser.sh',
    'pizlix/build_chown_from_lfs_to_root.sh',
    'pizlix/build_mount.sh',
    'pizlix/build_chroot.sh',
  ],
  lc: [
    'pizlix/build_lc.sh',
    'pizlix/build_lc_sub1_filc.sh',
    'projects/yolo-glibc-2.40/',
    'projects/user-glibc-2.40/',
    'setup_glibc.sh',
    'build_compiler_rt.sh',
    'compiler-rt/',
    'configure_cmake_project.sh',
    'configure_llvm.sh',
    'llvm/',
    'clang/',
    'libcxx/',
    'libcxxabi/',
    'cmake/',
    'third-party/',
    'build_clang.sh',
    'build_yolo_glibc.sh',
    'build_runtime.sh',
    'libpas/',
    'build_user_glibc.sh',
    'build_cxx.sh',
    'runtimes/',
    'install-cxx-linux.sh',
    'filc/run-tests',
    'filc/tests/',
    'pizlix/hacked_ldd',
  ],
  postlc: [
    'pizlix/build_postlc.sh',
    'pizlix/build_postlc_sub1_filc.sh',
    'projects/xz-5.8.3/',
    'projects/openssl.projeny',
    'projects/openssl-3.3.1.tar.gz',
    'projects/openssl/',
    'projects/meson-1.5.1/',
    'pizlix/etc/grub.cfg',
    'projects/emacs-lisp/',
  ],
  postlc2: [
    'pizlix/build_postlc2.sh',
    'pizlix/build_postlc2_sub1_packaging.sh',
    'projects/openssh-10.5p1/',
    'projects/libidn2.projeny',
    'projects/libidn2-2.3.7.tar.gz',
    'projects/libidn2/',
    'projects/icu.projeny',
    'projects/icu-78.3.tar.gz',
    'projects/icu/',
    'pizlix/which-2.21.tar.gz',
    'pizlix/build_postlc2_sub2_chroot.sh',
    'pizlix/build_postlc2_chroot_project_libidn2.sh',
    'pizlix/build_chroot_late.sh',
  ],
  postlc3: [
    'pizlix/build_postlc3.sh',
    'pizlix/build_postlc3_sub1_packaging.sh',
    'projects/freetype-2.13.3/',
    'projects/harfbuzz-9.0.0/',
    'projects/cairo-1.18.0/',
    'pizlix/pixman-0.43.4.tar.gz',
    'pizlix/build_postlc3_sub2_chroot.sh',
    'pizlix/build_postlc3_chroot_project_harfbuzz.sh',
    'pizlix/etc/weston.ini',
    'pizlix/etc/seatd',
    'pizlix/dejavu/',
  ],
  postlc4: [
    'pizlix/build_postlc4.sh',
    'pizlix/build_postlc4_sub1_packaging.sh',
    'projects/at-spi2-core-2.52.0/',
    'pizlix/build_postlc4_sub2_chroot.sh',
    'pizlix/fribidi-1.0.15.tar.gz',
    'pizlix/build_postlc4_chroot_project_gtk4.sh',
  ],
  postlc5: ['pizlix/build_postlc5.sh', 'pizlix/build_postlc5_sub1_packaging.sh', 'projects/libsoup-3.6.0/', 'pizlix/build_postlc5_sub2_chroot.sh'],
  postlc6: [
    'pizlix/build_postlc6.sh',
    'pizlix/build_postlc6_sub1_packaging.sh',
    'projects/abseil-cpp-20260107.1/',
    'pizlix/download_extra_tarballs.sh',
    'pizlix/extra-tarballs.list',
    'pizlix/build_postlc6_sub2_chroot.sh',
    'pizlix/boost-filc.patch',
    'pizlix/gl_stub.c',
    'pizlix/build_postlc6_chroot_project_boost.sh',
    'pizlix/build_postlc6_chroot_project_libreoffice.sh',
  ],
};

/** A file to change for a referenced path: the file itself, or the first file below a directory. */
async function fileToEdit(root: string, rel: string): Promise<string> {
  if (!rel.endsWith('/')) return path.join(root, rel);
  const entries = await readdir(path.join(root, rel), { recursive: true, withFileTypes: true });
  const file = entries
    .filter((e) => e.isFile() && !e.name.startsWith('pizlonated-'))
    .map((e) => path.join(e.parentPath, e.name))
    .sort()[0];
  assert.ok(file, `${rel} has a file to edit`);
  return file;
}

describe('stage keys of the chain the scripts define', () => {
  test('eight stages, in order, each keyed by what its own scripts read', async () => {
    const chain = loadChain({ pizlixDir: path.join(base, 'pizlix') });
    assert.deepEqual(
      chain.stages.map((s) => s.name),
      [...FILC_STAGES],
    );
    assert.deepEqual(
      chain.stages.map((s) => s.parent),
      [null, ...FILC_STAGES.slice(0, -1)],
    );
    assert.deepEqual(chain.problems, []);
    const keys = await keysOf(base);
    assert.equal(new Set(Object.values(keys)).size, 8);
  });

  test('editing any path the scripts reference changes the own key material of the first stage that reads it, and of no earlier stage', async () => {
    const root = path.join(dir.path, 'edit-every-path');
    execFileSync('cp', ['-a', base, root]);
    let before = await keysOf(root);
    for (const [index, stage] of FILC_STAGES.entries()) {
      for (const rel of REFERENCES[stage]) {
        await appendFile(await fileToEdit(root, rel), '\nedited\n');
        const after = await keysOf(root);
        // Later stages' keys hash this stage's output, not its key: only a later stage that reads the file too changes here.
        const changed = changedStages(before, after);
        assert.equal(changed[0], stage, `editing ${rel} changes ${stage}`);
        assert.ok(
          changed.every((s) => FILC_STAGES.indexOf(s as (typeof FILC_STAGES)[number]) >= index),
          `editing ${rel} changes no stage before ${stage}: ${changed.join(', ')}`,
        );
        before = after;
      }
    }
    // A file that matches the copy glob of postlc6 counts as soon as it exists.
    await writeFile(path.join(root, 'pizlix/build_postlc6_chroot_project_fonts.sh'), '#!/bin/sh\n');
    const withNew = await keysOf(root);
    assert.deepEqual(changedStages(before, withNew), ['postlc6']);
  });

  test('no key depends on a file no script references, and every hashed file is one the scripts reference', async () => {
    const root = path.join(dir.path, 'unreferenced');
    execFileSync('cp', ['-a', base, root]);
    const before = await keysOf(root);
    await appendFile(path.join(root, 'README.md'), 'more docs\n');
    await mkdir(path.join(root, 'projects/nobody-1.0'), { recursive: true });
    await writeFile(path.join(root, 'projects/nobody-1.0/x.c'), 'int x;\n');
    await writeFile(path.join(root, 'pizlix/notes.txt'), 'notes\n');
    await writeFile(path.join(root, 'projects/xz-5.8.3/pizlonated-xz.tar.gz'), 'a packaged tarball');
    await writeFile(path.join(root, 'pizlix/lfs-prelc.tar.gz'), 'a snapshot');
    await mkdir(path.join(root, 'build/bin'), { recursive: true });
    await writeFile(path.join(root, 'build/bin/clang-20'), 'built compiler');
    await writeFile(path.join(root, 'pizlix/boost_1_86_0.tar.gz'), 'a download');
    assert.deepEqual(changedStages(before, await keysOf(root)), []);

    const pizlixDir = path.join(root, 'pizlix');
    const keys = await computeKeys(loadChain({ pizlixDir }), { pizlixDir });
    const referenced = Object.values(REFERENCES).flat();
    for (const key of keys) {
      for (const file of Object.keys(key.inputs)) {
        assert.ok(
          referenced.some((r) => (r.endsWith('/') ? file.startsWith(r) : file === r)),
          `${key.stage} hashes ${file}, which no script of the fixture names`,
        );
      }
    }
  });

  test('projeny work trees count with their edits only: setting one up changes no key, editing one (even an ignored one) does', async () => {
    const root = path.join(dir.path, 'projeny');
    execFileSync('cp', ['-a', base, root]);
    await rm(path.join(root, 'projects/icu'), { recursive: true });
    await rm(path.join(root, 'projects/icu.projeny.status'));
    const without = await keysOf(root);
    execFileSync(path.join(root, 'filc/projeny'), ['setup', 'projects/icu.projeny'], { cwd: root });
    assert.match(git(root, 'status', '--short', '--ignored', 'projects/icu'), /^!! projects\/icu\/$/m, 'the work tree is ignored by git');
    assert.deepEqual(changedStages(without, await keysOf(root)), [], 'the setup the packaging step runs changes no key');
    await appendFile(path.join(root, 'projects/icu/source/common/uchar.cpp'), '// an uncommitted fix\n');
    const edited = await keysOf(root);
    assert.deepEqual(changedStages(without, edited), ['postlc2'], 'postlc2 packages icu; the later stages follow its output');
    await writeFile(path.join(root, 'projects/icu/source/common/new.cpp'), '// a new file\n');
    assert.deepEqual(changedStages(edited, await keysOf(root)), ['postlc2']);
  });

  test('a nested repository counts with its own git ids; committing in it changes no key', async () => {
    const root = path.join(dir.path, 'nested');
    execFileSync('cp', ['-a', base, root]);
    const plain = await keysOf(root);
    git(root, 'rm', '-rq', '--cached', 'projects/meson-1.5.1');
    git(root, 'commit', '-qm', 'meson is its own repository now');
    const nested = path.join(root, 'projects/meson-1.5.1');
    git(nested, 'init', '-q');
    git(nested, 'add', '-A');
    git(nested, 'commit', '-qm', 'meson');
    assert.deepEqual(changedStages(plain, await keysOf(root)), [], 'the same files give the same key');
    await appendFile(path.join(nested, 'meson.py'), '# patched\n');
    const edited = await keysOf(root);
    assert.deepEqual(changedStages(plain, edited), ['postlc']);
    git(nested, 'commit', '-qam', 'patch');
    assert.deepEqual(changedStages(edited, await keysOf(root)), []);
  });

  test('git ids give the same keys as hashing contents, and keys do not depend on where the checkout is', async () => {
    const copy = path.join(dir.path, 'elsewhere', 'no-git');
    await mkdir(path.dirname(copy), { recursive: true });
    execFileSync('cp', ['-a', base, copy]);
    await rm(path.join(copy, '.git'), { recursive: true });
    assert.deepEqual(await keysOf(copy), await keysOf(base));
    // A modified tracked file and a new untracked file count in both; an ignored build output in neither.
    const root = path.join(dir.path, 'dirty');
    execFileSync('cp', ['-a', base, root]);
    for (const r of [root, copy]) {
      await appendFile(path.join(r, 'libpas/src/fugc.c'), '// edit\n');
      await writeFile(path.join(r, 'libpas/src/new.c'), 'int n;\n');
    }
    await mkdir(path.join(root, 'compiler-rt/build'), { recursive: true });
    await writeFile(path.join(root, 'compiler-rt/build/crtbegin.o'), 'object');
    const dirty = await keysOf(root);
    assert.deepEqual(dirty, await keysOf(copy));
    git(root, 'add', '-A');
    git(root, 'commit', '-qm', 'edit');
    assert.deepEqual(await keysOf(root), dirty, 'committing changes no key');
  });

  test('downloads are keyed by URL and checksum, and key-extra (global or per stage) reaches the right stages', async () => {
    const pizlixDir = path.join(base, 'pizlix');
    const keys = await computeKeys(loadChain({ pizlixDir }), { pizlixDir });
    const postlc6 = keys.find((k) => k.stage === 'postlc6')!;
    assert.deepEqual(
      postlc6.network.map((n) => [n.url, n.checksums]),
      [
        ['https://downloads.pizlix.invalid/boost/boost_1_86_0.tar.gz', ['d1d6586339cf707694920c2736e0545abd83475ddf9178833b6cb97a1ec614c3']],
        ['https://downloads.pizlix.invalid/libreoffice/extern/…', []],
        ['https://downloads.pizlix.invalid/libreoffice/libreoffice-24.8.0.3.tar.gz', ['e304837a0a0b33fa9fcc46bafce0b0389b199f93c60749b5ce39e629deb41ea5']],
      ],
    );
    assert.ok(keys.filter((k) => k.stage !== 'postlc6').every((k) => k.network.length === 0));
    const plain = await keysOf(base);
    assert.equal(changedStages(plain, await keysOf(base, { keyExtra: 'ubuntu-24.04' })).length, 8);
    const amend = path.join(dir.path, 'amend.yml');
    await writeFile(
      amend,
      'version: 1\nmode: amend\nstages:\n  - name: postlc3\n    key-extra: mesa-with-llvmpipe\n  - name: postlc4\n    inputs: [README.md]\n',
    );
    assert.deepEqual(changedStages(plain, await keysOf(base, { manifest: amend })), ['postlc3', 'postlc4']);
  });

  test('a stage added upstream joins the chain with no change here, and leaves the earlier keys alone', async () => {
    const root = path.join(dir.path, 'ninth');
    execFileSync('cp', ['-a', base, root]);
    const before = await keysOf(root);
    const p = (name: string) => path.join(root, 'pizlix', name);
    const six = (await import('node:fs/promises')).readFile;
    const entry = (await six(p('build_postlc6.sh'), 'utf8')).replaceAll('postlc6', 'postlc7').replaceAll('"xpostlc5"', '"xpostlc6"');
    await writeFile(p('build_postlc7.sh'), entry, { mode: 0o755 });
    await writeFile(p('build_postlc7_sub1_packaging.sh'), '#!/bin/bash\nset -e\ncd $FILCSRC\n./package-source.sh projects/libsoup-3.6.0 pizlonated-libsoup\n', {
      mode: 0o755,
    });
    await writeFile(p('build_postlc7_continuation.sh'), '#!/bin/bash\nset -e\n./build_postlc7.sh\n', { mode: 0o755 });
    await appendFile(p('build_postlc6_continuation.sh'), './build_postlc7_continuation.sh\n');
    const after = await keysOf(root);
    assert.deepEqual(Object.keys(after), [...FILC_STAGES, 'postlc7']);
    assert.deepEqual(changedStages(before, after), ['postlc7']);
    assert.ok((await stat(p('build_postlc7.sh'))).isFile());
  });
});

describe('manifest validation', () => {
  const stage = (fields: string) => `version: 1\nstages:\n  - name: a\n    script: build_a.sh\n    snapshot: lfs-a.tar.gz\n    inputs: [pizlix/a]\n${fields}`;
  const parse = (text: string) => manifestChain(parseManifestText(text, 'm.yml'));
  const cases: Array<[string, string, RegExp]> = [
    ['wrong version', 'version: 2\nstages: []\n', /field \/version must be equal to constant \(expected version: 1\)/],
    ['unknown field', stage('    colour: red\n'), /field \/stages\/0 must NOT have additional properties \(expected only known fields \(unknown: 'colour'\)\)/],
    ['bad name', stage('').replace('name: a', 'name: A b'), /field \/stages\/0\/name must match pattern/],
    [
      'duplicate',
      stage('  - name: a\n    parent: a\n    script: b.sh\n    snapshot: b.tar.gz\n    inputs: [b]\n'),
      /\/stages\/1\/name: stage 'a' is defined twice/,
    ],
    [
      'unknown parent',
      stage('  - name: b\n    parent: zz\n    script: b.sh\n    snapshot: b.tar.gz\n    inputs: [b]\n'),
      /\/stages\/1\/parent: 'zz' is not an earlier stage; expected one of: a/,
    ],
    [
      'missing parent',
      stage('  - name: b\n    script: b.sh\n    snapshot: b.tar.gz\n    inputs: [b]\n'),
      /\/stages\/1\/parent: missing; expected the name of an earlier stage \(e\.g\. 'a'\)/,
    ],
    ['escaping input', stage('').replace('[pizlix/a]', '[../secrets]'), /inputs: '\.\.\/secrets' leaves the checkout/],
    [
      'missing script in replace mode',
      'version: 1\nstages:\n  - name: a\n    inputs: [x]\n',
      /\/stages\/0 must have required property 'script'; expected every stage of a mode: replace manifest/,
    ],
    [
      'unknown mode',
      'version: 1\nmode: merge\nstages:\n  - name: a\n',
      /field \/mode must be equal to one of the allowed values \(expected mode: replace .* or mode: amend/,
    ],
    ['not yaml', 'version: [1', /m\.yml is not valid YAML/],
    [
      'absolute volatile path',
      stage('    volatile: [/var/log/**]\n'),
      /\/stages\/0\/volatile: '\/var\/log\/\*\*' is not a path inside the root filesystem; expected globs relative to the root filesystem/,
    ],
    [
      'volatile not a list',
      stage('    volatile: var/log\n'),
      /field \/stages\/0\/volatile must be array \(expected a list of globs relative to the root filesystem/,
    ],
  ];
  for (const [name, text, message] of cases) {
    test(name, () => {
      assert.throws(
        () => parse(text),
        (err: Error) => {
          assert.match(err.message, /^input 'manifest': /);
          assert.match(err.message, message);
          return true;
        },
      );
    });
  }
});
