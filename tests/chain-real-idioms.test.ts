/**
 * Idioms of the real Pizlix scripts (pizlonator/fil-c, pizlix/) that the reader first missed or misread when
 * run on a reconstruction of that folder. Each test is a small snippet written for this project in the shape
 * of one idiom; none is upstream text.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { checkChain } from '../src/chain/check.js';
import { loadChain } from '../src/chain/chain.js';
import { globMatcher } from '../src/chain/shell-values.js';
import { entryScript, inputsByPath, oneStageAt, writeCheckout } from './harness/pizlix-checkout.js';
import { makeTestDir, type TestDir } from './harness/workdir.js';

let dir: TestDir;
let count = 0;
const nextRoot = () => path.join(dir.path, `c${++count}`);

before(async () => {
  dir = await makeTestDir('chain-real-idioms');
});
after(async () => {
  await dir?.remove();
});

describe('real Pizlix idioms', () => {
  test('a for-loop over package names unpacks each one from $LFS/sources, not only the first', async () => {
    const stage = await oneStageAt(
      nextRoot(),
      // Copied by globs, as the X11 tarballs are: the loop is what names each archive.
      'cp -v alpha-*.tar.xz $LFS/sources\ncp -v beta-*.tar.xz $LFS/sources\ncp -v gamma-*.tar.xz $LFS/sources\ncp -v build_one_chroot.sh build_one_project.sh $LFS/sources\n./build_chroot.sh /sources/build_one_chroot.sh\n',
      {
        'pizlix/build_chroot.sh': '#!/bin/bash\nexport LFS=/mnt/lfs\nchroot "$LFS" /usr/bin/env -i HOME=/root "$@"\n',
        'pizlix/build_one_chroot.sh':
          '#!/bin/bash\ncd /sources\nfor p in alpha-1.0 beta-2.0 \\\n    gamma-3.0; do\n  tar -xf $p.tar.xz\n  cd $p\n  make install\n  cd ..\ndone\n./build_one_project.sh\n',
        'pizlix/build_one_project.sh': '#!/bin/bash\necho after the loop, back in /sources\n',
        'pizlix/alpha-1.0.tar.xz': 'a\n',
        'pizlix/beta-2.0.tar.xz': 'b\n',
        'pizlix/gamma-3.0.tar.xz': 'c\n',
      },
    );
    const unpacked = stage
      .reading!.inputs.filter((i) => i.how.startsWith('unpacks'))
      .map((i) => i.path)
      .sort();
    assert.deepEqual(unpacked, ['pizlix/alpha-1.0.tar.xz', 'pizlix/beta-2.0.tar.xz', 'pizlix/gamma-3.0.tar.xz']);
    assert.deepEqual(stage.reading!.holes, [], '`cd $p` … `cd ..` comes back to /sources, where the next script is');
    assert.ok(inputsByPath(stage)['pizlix/build_one_project.sh']);
  });

  test('a script sourced only when it exists (`if test -e x.sh; then . ./x.sh; fi`) is an input when present, never a hole', async () => {
    const body = 'cd $FILCSRC\n./build_tool.sh\n';
    const tool = [
      '#!/bin/sh',
      'if test -e local-overrides.sh',
      'then',
      '    . ./local-overrides.sh',
      'fi',
      'test -f extra.sh && . ./extra.sh',
      '[ -e other.sh ] && . ./other.sh',
      'test -d required-tree',
      'cp -r required-tree $LFS/sources',
      '',
    ].join('\n');
    const absent = await oneStageAt(nextRoot(), body, { 'build_tool.sh': tool });
    assert.deepEqual(
      absent.reading!.holes.map((h) => h.path).sort(),
      ['required-tree'],
      'only what no file test guards is a hole: a bare `test -d` asserts, it does not guard',
    );
    const present = await oneStageAt(nextRoot(), body, {
      'build_tool.sh': tool,
      'local-overrides.sh': 'X=1\n',
      'extra.sh': 'Y=1\n',
      'other.sh': 'Z=1\n',
      'required-tree/a': 'a\n',
    });
    for (const p of ['local-overrides.sh', 'extra.sh', 'other.sh', 'required-tree/'])
      assert.ok(inputsByPath(present)[p], `${p}: a guarded file that is there is read, so it is an input`);
    assert.deepEqual(present.reading!.holes, []);
  });

  test('a directory copied into $LFS/sources and read with a glob inside the chroot is the checkout tree it came from', async () => {
    const root = nextRoot();
    const pizlix = await writeCheckout(root, {
      'pizlix/build.sh': '#!/bin/bash\n./build_a.sh\n./build_b.sh\n',
      'pizlix/build_a.sh': entryScript('a', null, 'cp -rv $FILCSRC/projects/site-lisp $LFS/sources\n'),
      'pizlix/build_b.sh': entryScript('b', 'a', 'cp -v build_b_chroot.sh $LFS/sources\n./build_chroot.sh /sources/build_b_chroot.sh\n'),
      'pizlix/build_chroot.sh': '#!/bin/bash\nexport LFS=/mnt/lfs\nchroot "$LFS" /usr/bin/env -i HOME=/root "$@"\n',
      'pizlix/build_b_chroot.sh': '#!/bin/bash\ncd /sources\ncp -rv site-lisp/* /usr/share/emacs/site-lisp/\n',
      'projects/site-lisp/init.el': '(x)\n',
      'projects/site-lisp/sub/more.el': '(y)\n',
    });
    const chain = loadChain({ pizlixDir: pizlix });
    const b = chain.stages.find((s) => s.name === 'b')!;
    const read = b.reading!.inputs.filter((i) => i.path.startsWith('projects/site-lisp'));
    assert.ok(read.length > 0, 'stage b reads the copied tree');
    for (const i of read) assert.notEqual(i.kind, 'file', `${i.path} names several files, so it is no single file`);
    assert.deepEqual(checkChain(chain, pizlix).holes, []);
  });

  test('one `projeny package` call packaging several pins at once names every pin, tarball and work tree', async () => {
    const pin = (name: string) => `Archive: ${name}-1.0.tar.gz\nName: ${name}\n\n    pin\n`;
    const stage = await oneStageAt(nextRoot(), 'su $FILCOWNER ./sub1.sh\n', {
      'pizlix/sub1.sh':
        '#!/bin/bash\ncd $FILCSRC\nfilc/projeny package \\\n    projects/aa.projeny projects/aa/pizlonated-aa.tar.gz \\\n    projects/bb.projeny projects/bb/pizlonated-bb.tar.gz\n',
      'filc/projeny': '#!/bin/sh\n',
      'projects/aa.projeny': pin('aa'),
      'projects/aa-1.0.tar.gz': 'a\n',
      'projects/aa/x.c': 'a\n',
      'projects/bb.projeny': pin('bb'),
      'projects/bb-1.0.tar.gz': 'b\n',
      'projects/bb/y.c': 'b\n',
    });
    const found = inputsByPath(stage);
    for (const p of ['projects/aa.projeny', 'projects/aa-1.0.tar.gz', 'projects/aa/', 'projects/bb.projeny', 'projects/bb-1.0.tar.gz', 'projects/bb/']) {
      assert.ok(found[p], `${p} is an input (found: ${Object.keys(found).join(', ')})`);
    }
    assert.deepEqual(stage.reading!.holes, []);
  });

  test('a variable set by a `case` whose other arms exit is known after it (`case `uname -s` in Linux) OS=linux;; *) exit 1;; esac`)', async () => {
    const stage = await oneStageAt(nextRoot(), 'cd $FILCSRC\n./build_lib.sh\n', {
      'common.sh':
        'case `uname -s` in\n    Linux)\n        OS=linux\n        ;;\n    *)\n        echo unsupported\n        exit 1\n        ;;\nesac\nif test -n "$WANT"\nthen\n    FLAVOR=$WANT\nelse\n    FLAVOR=plain\nfi\n',
      'build_lib.sh': '#!/bin/sh\n. ./common.sh\n./install-$OS.sh\ncp -v data-$FLAVOR.txt $LFS/sources\n',
      'install-linux.sh': '#!/bin/sh\n',
      'install-darwin.sh': '#!/bin/sh\n',
      'data-plain.txt': 'p\n',
    });
    const found = inputsByPath(stage);
    assert.ok(found['install-linux.sh'], `the arm that goes on sets OS (found: ${Object.keys(found).join(', ')})`);
    assert.equal(found['install-darwin.sh'], undefined);
    assert.equal(found['install-*.sh'], undefined, 'no widening: OS is known');
    assert.ok(found['data-plain.txt']);
    assert.deepEqual(
      stage.reading!.unresolved.map((u) => u.text),
      ['data-….txt'],
      'a value from the environment stays unknown',
    );
    assert.equal(found['data-*.txt']?.kind, 'glob', 'and widens to every value it could have');
  });

  test('files in a `mktemp -d` directory lie outside the checkout: read back, they are neither inputs nor unresolved', async () => {
    const stage = await oneStageAt(nextRoot(), './fetch_list.sh\n', {
      'pizlix/fetch_list.sh': [
        '#!/bin/bash',
        'WORKDIR=$(mktemp -d)',
        'trap \'rm -rf "$WORKDIR"\' EXIT',
        'tar -xf list.tar.xz -O list/names.txt > "$WORKDIR/names.txt"',
        'while read -r name sum; do',
        '    echo "$name"',
        'done < "$WORKDIR/names.txt"',
        '',
      ].join('\n'),
      'pizlix/list.tar.xz': 'l\n',
    });
    assert.deepEqual(stage.reading!.unresolved, []);
    assert.deepEqual(stage.reading!.holes, []);
    assert.ok(inputsByPath(stage)['pizlix/list.tar.xz']);
  });

  test('a glob matcher takes one path: Array.filter passing an index does not turn it into "matches everything"', () => {
    const names = ['pizlix/libX11-1.tar.xz', 'pizlix/other.tar.xz', 'pizlix/zzz.txt'];
    assert.deepEqual(names.filter(globMatcher('pizlix/libX*.tar.xz')), ['pizlix/libX11-1.tar.xz']);
  });
});
