/**
 * Root trees for the snapshot and image benchmarks: about 1 GiB of this machine's /usr (real binaries,
 * libraries and headers, as a root filesystem holds), and a large one of at least 4 GiB and 100 000
 * files (four copies of that /usr part plus small generated files), so the figures show how cost
 * grows. Both carry a kernel-named file in /boot so that the image benchmark can use them.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

export interface BenchTree {
  name: string;
  root: string;
  bytes: number;
  files: number;
}

const USR_PARTS = 'usr/lib/x86_64-linux-gnu usr/bin usr/include';

async function addKernel(root: string): Promise<void> {
  await mkdir(path.join(root, 'boot'), { recursive: true });
  await writeFile(path.join(root, 'boot', 'vmlinuz-6.10.5-lfs-12.2'), randomBytes(8 << 20));
}

function measure(name: string, root: string): BenchTree {
  const bytes = Number(execFileSync('du', ['-sb', root]).toString().split('\t')[0]);
  const files = Number(
    execFileSync('bash', ['-c', `find ${JSON.stringify(root)} | wc -l`])
      .toString()
      .trim(),
  );
  return { name, root, bytes, files };
}

/** About 1.1 GiB and 13 000 files of /usr. */
export async function usrTree(root: string): Promise<BenchTree> {
  await mkdir(root, { recursive: true });
  execFileSync('bash', ['-c', `tar -C / -cf - ${USR_PARTS} | tar -C ${JSON.stringify(root)} -xpf -`]);
  await addKernel(root);
  return measure('/usr part', root);
}

/** Four copies of the /usr part and 60 000 small files: over 4 GiB and 100 000 files. */
export async function largeTree(root: string): Promise<BenchTree> {
  await mkdir(root, { recursive: true });
  for (let copy = 0; copy < 4; copy++) {
    const dir = path.join(root, `copy${copy}`);
    await mkdir(dir);
    execFileSync('bash', ['-c', `tar -C / -cf - ${USR_PARTS} | tar -C ${JSON.stringify(dir)} -xpf -`]);
  }
  // Small text files, as /usr/share and /etc hold: 60 directories of 1000 files of 200 bytes to 4 KiB.
  const text = await readFile('/usr/share/common-licenses/GPL-3');
  for (let d = 0; d < 60; d++) {
    const dir = path.join(root, 'small', String(d));
    await mkdir(dir, { recursive: true });
    for (let f = 0; f < 1000; f++) await writeFile(path.join(dir, `${f}.txt`), text.subarray(0, ((f * 37) % 4000) + 200));
  }
  await addKernel(root);
  return measure('large, generated', root);
}
