/**
 * Stage benchmarks (issue: stage action):
 *  - keys for a generated Fil-C-sized tree (150 000 files, about 2 GB), git mode, against hashing every
 *    file's contents;
 *  - save and restore of a root filesystem of about 1 GB: our route (tar through the gzip shim, which
 *    writes pigz gzip plus a zstd copy; restore = validate + zstd extract) against Pizlix's own
 *    `tar -czpf` / `tar -xpf`, and plain uncompressed tar as the floor.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, writeFile, stat, rm } from 'node:fs/promises';
import path from 'node:path';
import { computeKeys } from '../src/chain/keys.js';
import { loadManifest } from '../src/chain/manifest.js';
import { installGzipShim } from '../src/rootfs/gzip-shim.js';
import { extractSnapshot } from '../src/rootfs/archive.js';
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

/** About 1 GB of a real root filesystem: parts of this machine's /usr. */
async function generateRootfs(root: string): Promise<void> {
  await mkdir(root, { recursive: true });
  execFileSync('bash', ['-c', `tar -C / -cf - usr/lib/x86_64-linux-gnu usr/bin usr/include | tar -C ${root} -xpf -`]);
}

export async function benchSnapshots(): Promise<void> {
  const root = await benchDir('snapshots');
  const rootfs = path.join(root, 'rootfs');
  await generateRootfs(rootfs);
  const size = Number(execFileSync('du', ['-sb', rootfs]).toString().split('\t')[0]);
  const sh = (cmd: string, env: NodeJS.ProcessEnv = process.env) => {
    const r = spawnSync('bash', ['-o', 'pipefail', '-c', cmd], { env, stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`${cmd} failed`);
  };
  const out = (name: string) => path.join(root, name);
  const dropCaches = () => spawnSync('sh', ['-c', 'sync; echo 3 > /proc/sys/vm/drop_caches']);
  const restoreDir = out('restore');
  const fresh = async () => {
    await rm(restoreDir, { recursive: true, force: true });
    await mkdir(restoreDir);
  };
  // Save.
  dropCaches();
  const plainSave = await timed(async () => sh(`cd ${rootfs} && tar -cpf ${out('plain.tar')} .`));
  dropCaches();
  const pizlixSave = await timed(async () => sh(`cd ${rootfs} && tar -czpf ${out('pizlix.tar.gz')} .`));
  const shim = await installGzipShim(out('shim'), out('ours.tar.gz'), out('ours.tar.zst'));
  dropCaches();
  const oursSave = await timed(async () => sh(`cd ${rootfs} && tar -czpf ${out('ours.tar.gz')} .`, { ...process.env, ...shim.env, PATH: `${shim.binDir}:${process.env.PATH}` }));
  // Restore.
  await fresh();
  dropCaches();
  const plainRestore = await timed(async () => sh(`tar -xpf ${out('plain.tar')} -C ${restoreDir}`));
  await fresh();
  dropCaches();
  const pizlixRestore = await timed(async () => sh(`tar -xpf ${out('pizlix.tar.gz')} -C ${restoreDir}`));
  await fresh();
  dropCaches();
  const oursRestore = await timed(() => extractSnapshot(out('ours.tar.zst'), restoreDir));
  const sizes = {
    plain: (await stat(out('plain.tar'))).size,
    gz: (await stat(out('pizlix.tar.gz'))).size,
    zst: (await stat(out('ours.tar.zst'))).size,
  };
  printTable(`Snapshot save and restore, ${formatBytes(size)} root filesystem (caches dropped before each)`, [
    ['route', 'save s', 'restore s', 'archive', 'save vs Pizlix', 'restore vs Pizlix', 'restore vs plain tar'],
    ['plain tar, no compression (floor)', plainSave.seconds.toFixed(2), plainRestore.seconds.toFixed(2), formatBytes(sizes.plain), ratio(pizlixSave.seconds, plainSave.seconds), ratio(pizlixRestore.seconds, plainRestore.seconds), '1.00×'],
    ["Pizlix's tar -czpf / tar -xpf (gzip)", pizlixSave.seconds.toFixed(2), pizlixRestore.seconds.toFixed(2), formatBytes(sizes.gz), '1.00×', '1.00×', ratio(plainRestore.seconds, pizlixRestore.seconds)],
    ['pizlix-stage (pigz + zstd copy; validate + zstd restore)', oursSave.seconds.toFixed(2), oursRestore.seconds.toFixed(2), `${formatBytes(sizes.zst)} zst`, ratio(pizlixSave.seconds, oursSave.seconds), ratio(pizlixRestore.seconds, oursRestore.seconds), ratio(plainRestore.seconds, oursRestore.seconds)],
  ]);
  log.info('ratios above 1.00× mean faster than the reference; below 1.00× slower.');
  execFileSync('rm', ['-rf', root]);
}
