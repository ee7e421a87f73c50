/**
 * Small Pizlix-shaped checkouts written per test: files by checkout-relative path (scripts made executable)
 * and entry scripts in Pizlix's shape (state gate, `-part` marker, snapshot tarball) around a body.
 */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { discoveredChain } from '../../src/chain/chain.js';
import type { StageDefinition } from '../../src/chain/manifest.js';

/** Writes a checkout with these files (paths relative to `root`) and returns its pizlix directory. */
export async function writeCheckout(root: string, files: Record<string, string>): Promise<string> {
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, rel)), { recursive: true });
    await writeFile(path.join(root, rel), text);
    if (rel.endsWith('.sh')) await chmod(path.join(root, rel), 0o755);
  }
  return path.join(root, 'pizlix');
}

/** An entry script in Pizlix's shape around `body`. */
export function entryScript(stage: string, parent: string | null, body: string): string {
  const gate = parent ? `test -e $LFS/sources/lfsbuildstate\nlfsbuildstate=\`cat $LFS/sources/lfsbuildstate\`\ntest "x$lfsbuildstate" = "x${parent}"\n` : '';
  return `#!/bin/bash\nset -e\nexport LFS=/mnt/lfs\nexport FILCSRC=..\nSRCDIR=$PWD\n${gate}echo "${stage}-part" > $LFS/sources/lfsbuildstate\n${body}\necho "${stage}" > $LFS/sources/lfsbuildstate\ncd $LFS\ntar -czpf $SRCDIR/lfs-${stage}.tar.gz --exclude='var/coredumps/*' .\n`;
}

/** A one-stage checkout under `root`: build.sh runs build_one.sh whose body is given; its discovered stage. */
export async function oneStageAt(root: string, body: string, files: Record<string, string> = {}): Promise<StageDefinition> {
  const pizlix = await writeCheckout(root, {
    'pizlix/build.sh': '#!/bin/bash\n./build_one.sh\n',
    'pizlix/build_one.sh': entryScript('one', null, body),
    ...files,
  });
  return discoveredChain(pizlix).stages[0];
}

/** The inputs of a discovered stage by path (trees end in '/'). */
export function inputsByPath(stage: StageDefinition) {
  return Object.fromEntries(stage.reading!.inputs.map((i) => [i.kind === 'tree' ? `${i.path}/` : i.path, i]));
}
