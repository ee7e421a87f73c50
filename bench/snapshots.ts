/**
 * Snapshot benchmark: save and restore of a root filesystem of about 1 GB: our route (tar through the gzip
 * shim, which writes pigz gzip plus a zstd copy; restore = validate + zstd extract) against Pizlix's own
 * `tar -czpf` / `tar -xpf`, and plain uncompressed tar as the floor.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdir, stat, rm } from 'node:fs/promises';
import path from 'node:path';
import { installGzipShim } from '../src/rootfs/gzip-shim.js';
import { extractSnapshot } from '../src/rootfs/archive.js';
import { formatBytes } from '../src/util/format.js';
import { log } from '../src/util/log.js';
import { benchDir, printTable, ratio, timed } from './util.js';


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
