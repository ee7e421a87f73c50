/**
 * Keys benchmark: keys for a generated Fil-C-sized tree (150 000 files, about 2 GB), git mode, against
 * hashing every file's contents.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, writeFile, stat, rm } from 'node:fs/promises';
import path from 'node:path';
import { computeKeys } from '../src/chain/keys.js';
import { loadManifest } from '../src/chain/manifest.js';
import { formatBytes } from '../src/util/format.js';
import { log } from '../src/util/log.js';
import { benchDir, printTable, ratio, timed } from './util.js';

const FILES = Number(process.env.BENCH_KEY_FILES ?? 150_000);
const TOTAL_BYTES = Number(process.env.BENCH_KEY_BYTES ?? 2 * 1024 ** 3);

/** A Fil-C-shaped checkout: pizlix/ scripts plus a big llvm/ tree of FILES files. */
async function generateCheckout(root: string): Promise<void> {
  const perFile = Math.floor(TOTAL_BYTES / FILES);
  const block = Buffer.alloc(perFile);
  for (let i = 0; i < block.length; i++) block[i] = (i * 2654435761) & 0xff;
  await mkdir(path.join(root, 'pizlix'), { recursive: true });
  for (const stage of ['prelc', 'lc', 'postlc', 'postlc2', 'postlc3', 'postlc4', 'postlc5']) {
    await writeFile(path.join(root, 'pizlix', `build_${stage}.sh`), `#!/bin/bash\necho ${stage}\n`, { mode: 0o755 });
  }
  for (let i = 0; i < FILES; i++) {
    const dir = path.join(root, 'llvm', `d${Math.floor(i / 1000)}`, `e${Math.floor(i / 50) % 20}`);
    if (i % 50 === 0) await mkdir(dir, { recursive: true });
    block.writeUInt32LE(i, 0); // every file distinct
    await writeFile(path.join(dir, `f${i}.cpp`), block);
  }
}

export async function benchKeys(): Promise<void> {
  const root = await benchDir('keys');
  const checkout = path.join(root, 'filc');
  log.info(`generating ${FILES} files, ${formatBytes(TOTAL_BYTES)} …`);
  await generateCheckout(checkout);
  // Files older than the index, as in any real checkout (fresh ones are "racily clean" and git rehashes them).
  execFileSync('find', [checkout, '-exec', 'touch', '-h', '-d', '2 hours ago', '{}', '+']);
  log.info('committing them to git …');
  // gc.auto=0: no detached "git gc --auto" still writing into .git when the tree is removed.
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.email=b@b', '-c', 'user.name=b', '-c', 'core.looseCompression=0', '-c', 'gc.auto=0', '-c', 'maintenance.auto=false', '-C', checkout, ...args], { stdio: 'ignore', maxBuffer: 1 << 30 });
  git('init', '-q');
  git('add', '-A');
  git('commit', '-qm', 'tree');
  git('status'); // refresh the index stat cache once, as any checkout has it
  const manifest = loadManifest();
  const pizlixDir = path.join(checkout, 'pizlix');
  const gitRun = await timed(() => computeKeys(manifest, { pizlixDir }));
  const gitRun2 = await timed(() => computeKeys(manifest, { pizlixDir }));
  // Baseline: read and hash every file's contents.
  const baseline = await timed(async () => {
    const list = execFileSync('git', ['-C', checkout, 'ls-files', '-z'], { maxBuffer: 1 << 30 }).toString().split('\0').filter(Boolean);
    const { readFile } = await import('node:fs/promises');
    for (const rel of list) createHash('sha1').update(await readFile(path.join(checkout, rel))).digest('hex');
  });
  // Also: one file changed (the common case on a pull request).
  await writeFile(path.join(checkout, 'llvm/d0/e0/f0.cpp'), 'changed');
  const dirty = await timed(() => computeKeys(manifest, { pizlixDir }));
  printTable('Stage keys, 150 000-file checkout (warm page cache)', [
    ['method', 'seconds', 'vs hashing every file'],
    ['hash every file (baseline)', baseline.seconds.toFixed(2), '1.00×'],
    ['pizlix-stage keys (git ids), 1st run', gitRun.seconds.toFixed(2), ratio(baseline.seconds, gitRun.seconds)],
    ['pizlix-stage keys (git ids), 2nd run', gitRun2.seconds.toFixed(2), ratio(baseline.seconds, gitRun2.seconds)],
    ['pizlix-stage keys, one file modified', dirty.seconds.toFixed(2), ratio(baseline.seconds, dirty.seconds)],
  ]);
  execFileSync('rm', ['-rf', root]);
}
