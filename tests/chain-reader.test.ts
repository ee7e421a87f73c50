/**
 * The chain read from Pizlix-shaped scripts: discovery (gates, snapshots, continuations), the shell-reference
 * reader on each idiom it follows, what widens, what is an output, what is a hole — on small checkouts
 * written per test.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { discoveredChain, loadChain } from '../src/chain/chain.js';
import { checkChain } from '../src/chain/check.js';
import type { StageDefinition } from '../src/chain/manifest.js';
import { formatTrail } from '../src/chain/references.js';
import { parseScript } from '../src/chain/shell-syntax.js';
import { entryScript, inputsByPath, oneStageAt, writeCheckout } from './harness/pizlix-checkout.js';
import { makeTestDir, type TestDir } from './harness/workdir.js';

let dir: TestDir;
let count = 0;

before(async () => {
  dir = await makeTestDir('chain-reader');
});
after(async () => {
  await dir?.remove();
});

/** A checkout with these files (paths relative to it); scripts are made executable. Returns its pizlix dir. */
function checkout(files: Record<string, string>): Promise<string> {
  return writeCheckout(path.join(dir.path, `c${++count}`), files);
}

const entry = entryScript;

/** One-stage checkout: build.sh runs build_one.sh whose body is given. */
function oneStage(body: string, files: Record<string, string> = {}): Promise<StageDefinition> {
  return oneStageAt(path.join(dir.path, `c${++count}`), body, files);
}

const inputs = inputsByPath;
const inputPaths = (stage: StageDefinition) => Object.keys(inputs(stage)).sort();

describe('chain discovery', () => {
  test('stages come from the gates and snapshots, in the order build.sh reaches them through the continuations', async () => {
    const pizlix = await checkout({
      'pizlix/build.sh': '#!/bin/bash\nset -e\n./build_a.sh\n./build_b_continuation.sh\necho OK\n',
      'pizlix/build_b_continuation.sh': '#!/bin/bash\n./build_b.sh\n./build_c_continuation.sh\n',
      'pizlix/build_c_continuation.sh': '#!/bin/bash\n./build_c.sh\n',
      'pizlix/build_a.sh': entry('a', null, ''),
      'pizlix/build_b.sh': entry('b', 'a', ''),
      'pizlix/build_c.sh': entry('c', 'b', ''),
      'pizlix/build_with_recovered_b.sh': '#!/bin/bash\n./build_recover.sh b\n./build_c_continuation.sh\n',
      'pizlix/build_mount.sh': '#!/bin/bash\nmount -t proc proc $LFS/proc\n',
    });
    const chain = discoveredChain(pizlix);
    assert.deepEqual(
      chain.stages.map((s) => [s.name, s.parent, s.script, s.snapshot]),
      [
        ['a', null, 'build_a.sh', 'lfs-a.tar.gz'],
        ['b', 'a', 'build_b.sh', 'lfs-b.tar.gz'],
        ['c', 'b', 'build_c.sh', 'lfs-c.tar.gz'],
      ],
    );
    assert.deepEqual(chain.problems, []);
    assert.equal(chain.origin, 'discovered');
  });

  test('without build.sh the gates alone order the chain; an entry script build.sh never reaches is a problem', async () => {
    const gatesOnly = await checkout({
      'pizlix/build_z.sh': entry('z', 'y', ''),
      'pizlix/build_y.sh': entry('y', 'x', ''),
      'pizlix/build_x.sh': entry('x', null, ''),
    });
    assert.deepEqual(
      discoveredChain(gatesOnly).stages.map((s) => s.name),
      ['x', 'y', 'z'],
    );
    const orphan = await checkout({ 'pizlix/build.sh': './build_x.sh\n', 'pizlix/build_x.sh': entry('x', null, ''), 'pizlix/build_y.sh': entry('y', 'x', '') });
    const chain = discoveredChain(orphan);
    assert.deepEqual(
      chain.stages.map((s) => s.name),
      ['x'],
    );
    assert.match(chain.problems.join('\n'), /build_y\.sh writes stage 'y' but build\.sh never runs it/);
  });

  test('a gate that disagrees with the continuation order is an error naming the line and both stages', async () => {
    const pizlix = await checkout({
      'pizlix/build.sh': './build_a.sh\n./build_c.sh\n',
      'pizlix/build_a.sh': entry('a', null, ''),
      'pizlix/build_c.sh': entry('c', 'b', ''),
    });
    assert.throws(() => discoveredChain(pizlix), /input 'pizlix-dir': pizlix\/build_c\.sh:8 requires lfsbuildstate 'b', but build\.sh runs it after 'a'/);
  });

  test('a folder without entry scripts, or no folder at all, is a clear error', async () => {
    const empty = await checkout({ 'pizlix/README': 'nothing here\n' });
    assert.throws(() => discoveredChain(empty), /input 'pizlix-dir': no entry script in .*writes a stage name into \$LFS\/sources\/lfsbuildstate/);
    assert.throws(() => discoveredChain(path.join(dir.path, 'nope', 'pizlix')), /input 'pizlix-dir': .* is not a directory/);
  });

  test('a manifest amends the discovered chain: extra inputs, excludes and key material; unknown stages are refused', async () => {
    const pizlix = await checkout({
      'pizlix/build.sh': './build_a.sh\n',
      'pizlix/build_a.sh': entry('a', null, 'cp -v x.tar.gz $LFS/sources\n'),
      'pizlix/x.tar.gz': 'x',
    });
    const good = path.join(path.dirname(pizlix), 'amend.yml');
    await writeFile(good, 'version: 1\nmode: amend\nstages:\n  - name: a\n    inputs: [extra/**]\n    exclude: [pizlix/*.log]\n    key-extra: gcc-14\n');
    const chain = loadChain({ pizlixDir: pizlix, manifestFile: good });
    assert.equal(chain.origin, 'amended');
    assert.deepEqual([chain.stages[0].inputs, chain.stages[0].exclude, chain.stages[0].keyExtra], [['extra/**'], ['pizlix/*.log'], 'gcc-14']);
    assert.ok(inputPaths(chain.stages[0]).includes('pizlix/x.tar.gz'), 'derived inputs stay');
    const bad = path.join(path.dirname(pizlix), 'bad.yml');
    await writeFile(bad, 'version: 1\nmode: amend\nstages:\n  - name: zz\n    inputs: [x]\n');
    assert.throws(
      () => loadChain({ pizlixDir: pizlix, manifestFile: bad }),
      /input 'manifest': .*bad\.yml: \/stages\/0\/name: 'zz' is not a stage of the chain the scripts define; expected one of: a/,
    );
    await writeFile(bad, 'version: 1\nmode: amend\nstages:\n  - name: a\n    script: build_b.sh\n');
    assert.throws(
      () => loadChain({ pizlixDir: pizlix, manifestFile: bad }),
      /\/stages\/0\/script: not allowed with mode: amend; expected only inputs, exclude, key-extra and volatile/,
    );
  });
});

describe('the shell-reference reader', () => {
  test('follows su, bash, source, exec env -i and $FILCSRC, tracking the working directory', async () => {
    const stage = await oneStage(
      ['FILCOWNER=`stat -c %U $FILCSRC`', 'su $FILCOWNER ./sub1.sh', 'bash helper.sh', '. ./common.sh', 'su lfs ./trampoline.sh', '$FILCSRC/top.sh arg'].join(
        '\n',
      ),
      {
        'pizlix/sub1.sh': '#!/bin/bash\ncd $FILCSRC\n./package-source.sh projects/zlib-1.3 pizlonated-zlib\n',
        'pizlix/helper.sh': 'cp -v etc/hosts $LFS/sources/etc\n',
        'pizlix/common.sh': 'EXTRA=etc/extra.conf\n',
        'pizlix/trampoline.sh': '#!/bin/sh\nexec env -i HOME=/home/lfs LFS="$LFS" ./as-lfs.sh\n',
        'pizlix/as-lfs.sh': '#!/bin/bash\ncp $LFS/sources/etc/hosts /tmp/x\ncp ../top-data.txt $LFS/y\n',
        'pizlix/etc/hosts': 'h\n',
        'pizlix/etc/extra.conf': 'e\n',
        'package-source.sh': '#!/bin/sh\n',
        'projects/zlib-1.3/zlib.c': 'int z;\n',
        'top.sh': '#!/bin/sh\ncat pizlix/$1.txt\n',
        'top-data.txt': 't\n',
      },
    );
    const found = inputs(stage);
    for (const p of [
      'pizlix/sub1.sh',
      'pizlix/helper.sh',
      'pizlix/common.sh',
      'pizlix/trampoline.sh',
      'pizlix/as-lfs.sh',
      'pizlix/etc/hosts',
      'package-source.sh',
      'projects/zlib-1.3/',
      'top.sh',
      'top-data.txt',
    ]) {
      assert.ok(found[p], `${p} is an input (found: ${Object.keys(found).join(', ')})`);
    }
    assert.equal(found['projects/zlib-1.3/'].how, 'packages');
    assert.equal(formatTrail(found['projects/zlib-1.3/'].trail), 'pizlix/build_one.sh:8 → pizlix/sub1.sh:3');
    assert.equal(found['pizlix/etc/extra.conf'], undefined, 'a variable set but never used reads nothing');
  });

  test('a script copied into $LFS/sources and run through the chroot helper is the checkout file, followed inside the chroot', async () => {
    const stage = await oneStage(
      'cp -v build_one_chroot.sh patches/fix.patch $LFS/sources\ncp -rv fonts $LFS/sources\n./build_chroot.sh /sources/build_one_chroot.sh\n',
      {
        'pizlix/build_chroot.sh': '#!/bin/bash\nexport LFS=/mnt/lfs\nchroot "$LFS" /usr/bin/env -i HOME=/root PATH=/usr/bin "$@"\n',
        'pizlix/build_one_chroot.sh': '#!/bin/sh\ncd /sources\npatch -Np1 -i fix.patch\ncp fonts/a.ttf /usr/share/fonts/\n./build_one_project.sh\n',
        'pizlix/build_one_project.sh': '#!/bin/sh\necho never copied\n',
        'pizlix/patches/fix.patch': '--- a\n+++ b\n',
        'pizlix/fonts/a.ttf': 'font\n',
      },
    );
    const found = inputs(stage);
    assert.ok(found['pizlix/build_chroot.sh'] && found['pizlix/build_one_chroot.sh'] && found['pizlix/patches/fix.patch'] && found['pizlix/fonts/']);
    assert.ok(found['pizlix/fonts/a.ttf'], 'a file read inside the chroot maps to the checkout file copied there');
    assert.match(formatTrail(found['pizlix/fonts/a.ttf'].trail, 9), /build_chroot\.sh:3 → pizlix\/build_one_chroot\.sh:4$/);
    const hole = stage.reading!.holes.find((h) => h.path.endsWith('build_one_project.sh'));
    assert.ok(hole, 'running a script no stage copied into $LFS/sources is a hole');
    assert.match(hole!.what, /no stage copies into \$LFS/);
  });

  test('globs stay globs, an unknown part widens to its enclosing directory, and never to the whole checkout', async () => {
    const stage = await oneStage(
      [
        'cp -v libX*.tar.xz $LFS/sources',
        'for f in patches/*.patch; do cp -v "$f" $LFS/sources; done',
        'case `uname -s` in Linux) OS=linux ;; *) exit 1 ;; esac',
        '../install-$OS.sh',
        'cp -v data/$(date +%Y)/* $LFS/sources',
        'cp -v $UNSET_VARIABLE/x $LFS/sources',
      ].join('\n'),
      {
        'pizlix/libX11-1.8.tar.xz': 'x',
        'pizlix/libXau-1.0.tar.xz': 'x',
        'pizlix/patches/a.patch': 'a',
        'pizlix/patches/b.patch': 'b',
        'install-linux.sh': '#!/bin/sh\n',
        'install-darwin.sh': '#!/bin/sh\n',
        'pizlix/data/2026/q.txt': 'q',
      },
    );
    const found = inputs(stage);
    assert.equal(found['pizlix/libX*.tar.xz']?.kind, 'glob');
    assert.ok(found['pizlix/patches/a.patch'] && found['pizlix/patches/b.patch'], 'a for loop over a glob reads each match');
    assert.ok(found['install-linux.sh'], 'the value the variable has on this machine');
    assert.equal(found['install-*.sh'], undefined, 'and no other: on any other system the `*)` arm exits');
    const widened = Object.keys(found).filter((p) => p.startsWith('pizlix/data/**'));
    assert.equal(widened.length, 1, `an unknown directory name widens to everything below the enclosing directory (${Object.keys(found).join(', ')})`);
    const unresolved = stage.reading!.unresolved.map((u) => `${u.text} → ${u.widenedTo ?? 'nothing'}`).join('\n');
    assert.match(unresolved, /UNSET_VARIABLE\/x/, 'a path starting with an unknown variable is reported');
    assert.ok(!Object.keys(found).some((p) => p === 'pizlix/' || p === '/'), 'never the whole pizlix folder or checkout');
  });

  test('what the build writes is never an input: downloads, snapshots, packaged sources, compiler outputs, created directories', async () => {
    const stage = await oneStage(
      [
        'fetch() { curl -L -o "dl/$2" "$1"; }',
        'mkdir -p dl',
        'fetch https://example.invalid/big.tar.xz big.tar.xz 0000000000000000000000000000000000000000000000000000000000000001',
        'cp -v dl/big.tar.xz $LFS/sources',
        'cp -v $FILCSRC/projects/*/pizlonated-*.tar.gz $LFS/sources',
        'cp -v $FILCSRC/build/bin/clang-20 $FILCSRC/pizfix/lib/libpizlo.so $LFS/usr/bin',
        'cp -v lfs-one.tar.gz /tmp',
      ].join('\n'),
      {
        'pizlix/dl/big.tar.xz': 'downloaded earlier',
        'pizlix/lfs-one.tar.gz': 'old snapshot',
        'projects/z/pizlonated-z.tar.gz': 'p',
        'build/bin/clang-20': 'c',
        'pizfix/lib/libpizlo.so': 'l',
      },
    );
    assert.deepEqual(inputPaths(stage), ['pizlix/build_one.sh']);
    assert.deepEqual(stage.reading!.holes, [], 'outputs that do not exist yet are not holes');
    assert.deepEqual(stage.reading!.network, [
      {
        url: 'https://example.invalid/big.tar.xz',
        checksums: ['0000000000000000000000000000000000000000000000000000000000000001'],
        trail: [{ file: 'pizlix/build_one.sh', line: 9 }],
      },
    ]);
  });

  test('projeny pins, their tarballs and work trees; cmake projects; holes for what is missing', async () => {
    const stage = await oneStage(
      [
        'cd $FILCSRC',
        'filc/projeny package projects/icu.projeny projects/icu/pizlonated-icu.tar.gz',
        'filc/projeny package projects/gone.projeny projects/gone/pizlonated-gone.tar.gz',
        './package-source.sh projects/missing-1.0 pizlonated-missing',
        'mkdir -p build && cd build && cmake -S ../llvm -G Ninja -DLLVM_ENABLE_PROJECTS=clang -DLLVM_ENABLE_RUNTIMES="libcxx;libcxxabi"',
      ].join('\n'),
      {
        'projects/icu.projeny': 'Archive: icu-78.3.tar.gz\nOrigname: icu-78.3\nName: icu\n\n    pin\n',
        'projects/icu-78.3.tar.gz': 'tarball',
        'filc/projeny': '#!/bin/sh\n',
        'package-source.sh': '#!/bin/sh\n',
        'llvm/CMakeLists.txt': 'x',
        'clang/lib/a.cpp': 'x',
        'libcxx/x': 'x',
        'libcxxabi/x': 'x',
        'cmake/m.cmake': 'x',
        'lldb/x': 'x',
      },
    );
    const found = inputs(stage);
    assert.equal(found['projects/icu.projeny']?.how, 'projeny pin');
    assert.equal(found['projects/icu-78.3.tar.gz']?.how, 'projeny archive');
    assert.equal(found['projects/icu/']?.editedSince, 'projects/icu.projeny.status', 'the work tree counts with its edits since setup');
    for (const tree of ['llvm/', 'clang/', 'libcxx/', 'libcxxabi/', 'cmake/']) assert.ok(found[tree], `${tree} (cmake)`);
    assert.equal(found['lldb/'], undefined, 'a project LLVM is not configured with');
    const holes = stage.reading!.holes.map((h) => `${h.path}: ${h.what}`);
    assert.ok(holes.includes('projects/missing-1.0: packages: does not exist'), holes.join('\n'));
    assert.ok(holes.includes('projects/gone.projeny: projeny: the pin does not exist'), holes.join('\n'));
  });

  test('check reports holes and projects no stage uses', async () => {
    const pizlix = await checkout({
      'pizlix/build.sh': './build_one.sh\n',
      'pizlix/build_one.sh': entry(
        'one',
        null,
        'cd $FILCSRC\n./package-source.sh projects/used-1 pizlonated-used\n./package-source.sh projects/missing-2 pizlonated-missing\n',
      ),
      'package-source.sh': '#!/bin/sh\n',
      'projects/used-1/a.c': 'a',
      'projects/unused-3/b.c': 'b',
      'projects/used-1.projeny.status': 'bookkeeping',
    });
    const report = checkChain(discoveredChain(pizlix), pizlix);
    assert.deepEqual(report.unusedProjects, ['projects/unused-3']);
    assert.deepEqual(
      report.holes.map((h) => [h.stage, h.path]),
      [['one', 'projects/missing-2']],
    );
  });
});

describe('the shell parser', () => {
  test('keeps line numbers through here-documents, continuations, functions and compound commands', () => {
    const script = parseScript(
      [
        'cat > x <<EOF',
        'not $(a command)',
        'EOF',
        'f() {',
        '  cp a \\',
        '     b',
        '}',
        'if x; then y; elif z; then w; else v; fi',
        'for i in a b; do echo $i; done < list',
        'echo "${A:-d}" \'$q\' $((1+2)) `pwd`',
        '',
      ].join('\n'),
      't.sh',
    );
    const lines: number[] = [];
    const visit = (stmts: typeof script.body) => {
      for (const s of stmts) {
        if (s.kind === 'call') lines.push(s.line);
        if (s.kind === 'group' || s.kind === 'function') visit(s.body);
        if (s.kind === 'branches') [s.conditions, ...s.branches].forEach(visit);
        if (s.kind === 'loop') visit(s.body);
      }
    };
    visit(script.body);
    assert.deepEqual(lines, [1, 5, 8, 8, 8, 8, 8, 9, 10]);
    assert.throws(() => parseScript('if x; then\n  y\n', 'bad.sh'), /input 'pizlix-dir': bad\.sh:3: cannot read this shell script: expected 'fi'/);
  });
});
