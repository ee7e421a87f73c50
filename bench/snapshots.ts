/**
 * Snapshot benchmark: save and restore of a root filesystem, each row as a ratio against its floor
 * and its baseline measured in the same run (page cache dropped before each run):
 *   - save: plain `tar -c` (floor) and Pizlix's `tar -czpf` with gzip (baseline), against the gzip
 *     shim (default: one zstd compression; pizlix-tarball: pigz gzip plus the zstd copy);
 *   - restore: plain `tar -x` of the uncompressed tar (floor) and Pizlix's `tar -xpf` of its gzip
 *     (baseline), against restoreSnapshot (one pass with the member guard) into an empty $LFS and into
 *     one holding the previous tree;
 *   - the user's view: the command line's `stage` on a store hit, in a fresh process (verify, check,
 *     replace the old tree), against a plain `tar -x` into an empty directory, on the Debian fixture.
 * On a ~1 GiB /usr part and on a generated tree of over 4 GiB and 100 000 files.
 *
 *   npm run bench -- snapshots
 *   PIZLIX_BENCH_LARGE=0 npm run bench -- snapshots      # skip the large tree
 *   PIZLIX_BENCH_TREES=0 npm run bench -- snapshots      # only the command line's view
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { restoreSnapshot } from '../src/rootfs/restore.js';
import { installGzipShim } from '../src/rootfs/gzip-shim.js';
import { formatBytes } from '../src/util/format.js';
import { log } from '../src/util/log.js';
import { DEBIAN_FIXTURE, FIXTURE_STORE, debianFixtureSnapshot } from '../tests/harness/debian-fixture.js';
import { REPO_ROOT } from '../tests/harness/runner.js';
import { largeTree, usrTree, type BenchTree } from './trees.js';
import { benchDir, median, printTable, timed } from './util.js';

function sh(cmd: string, env: NodeJS.ProcessEnv = process.env): void {
  const r = spawnSync('bash', ['-o', 'pipefail', '-c', cmd], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error(`${cmd} failed`);
}

function dropCaches(): void {
  spawnSync('sh', ['-c', 'sync; echo 3 > /proc/sys/vm/drop_caches']);
}

async function timedCold(fn: () => Promise<unknown> | unknown): Promise<number> {
  dropCaches();
  return (await timed(async () => fn())).seconds;
}

/** Speed relative to a reference, as the issue states goals: "0.77× the speed of the floor". */
function speed(referenceSeconds: number, seconds: number): string {
  return `${(referenceSeconds / seconds).toFixed(2)}×`;
}

async function benchTree(tree: BenchTree, dir: string, repeats: number): Promise<string[][]> {
  const out = (name: string) => path.join(dir, name);
  const shimmed = async (name: string, pizlixTarball: boolean) => {
    const shim = await installGzipShim(out(`shim-${name}`), { snapshotPath: out(`${name}.tar.gz`), zstdCopy: out(`${name}.tar.zst`), pizlixTarball });
    return { ...process.env, ...shim.env, PATH: `${shim.binDir}:${process.env.PATH}` };
  };
  const cheapEnv = await shimmed('ours', false);
  const fullEnv = await shimmed('ours-full', true);
  const save = {
    floor: await timedCold(() => sh(`cd ${tree.root} && tar -cpf ${out('plain.tar')} .`)),
    pizlix: await timedCold(() => sh(`cd ${tree.root} && tar -czpf ${out('pizlix.tar.gz')} .`)),
    ours: await timedCold(() => sh(`cd ${tree.root} && tar -czpf ${out('ours.tar.gz')} .`, cheapEnv)),
    oursFull: await timedCold(() => sh(`cd ${tree.root} && tar -czpf ${out('ours-full.tar.gz')} .`, fullEnv)),
  };
  await run(`rm -rf ${tree.root}`);
  const target = out('target');
  const fresh = async () => {
    await run(`rm -rf ${target}`);
    await mkdir(target);
  };
  const restore = { floor: [] as number[], pizlix: [] as number[], ours: [] as number[], oursOverOld: [] as number[] };
  for (let i = 0; i < repeats; i++) {
    await fresh();
    restore.floor.push(await timedCold(() => sh(`tar -xpf ${out('plain.tar')} -C ${target}`)));
    await fresh();
    restore.pizlix.push(await timedCold(() => sh(`tar -xpf ${out('pizlix.tar.gz')} -C ${target}`)));
    await fresh();
    restore.ours.push(await timedCold(() => restoreSnapshot(out('ours.tar.zst'), target, 'bench')));
    // Again over the tree just restored, as a reused runner finds $LFS: the old tree goes after the new one is in.
    restore.oursOverOld.push(await timedCold(() => restoreSnapshot(out('ours.tar.zst'), target, 'bench')));
  }
  await run(`rm -rf ${target}`);
  const size = async (name: string) => formatBytes((await stat(out(name))).size);
  const r = { floor: median(restore.floor), pizlix: median(restore.pizlix), ours: median(restore.ours), oursOverOld: median(restore.oursOverOld) };
  const label = `${tree.name}: ${formatBytes(tree.bytes)}, ${tree.files} files`;
  return [
    [
      label,
      'plain tar -c / tar -x, no compression (floor)',
      save.floor.toFixed(1),
      '1.00×',
      speed(save.pizlix, save.floor),
      await size('plain.tar'),
      r.floor.toFixed(1),
      '1.00×',
      speed(r.pizlix, r.floor),
    ],
    [
      '',
      'Pizlix: tar -czpf / tar -xpf (gzip) (baseline)',
      save.pizlix.toFixed(1),
      speed(save.floor, save.pizlix),
      '1.00×',
      await size('pizlix.tar.gz'),
      r.pizlix.toFixed(1),
      speed(r.floor, r.pizlix),
      '1.00×',
    ],
    [
      '',
      'ours, default: one zstd; restore into empty $LFS',
      save.ours.toFixed(1),
      speed(save.floor, save.ours),
      speed(save.pizlix, save.ours),
      await size('ours.tar.zst'),
      r.ours.toFixed(1),
      speed(r.floor, r.ours),
      speed(r.pizlix, r.ours),
    ],
    [
      '',
      'ours, pizlix-tarball: pigz + zstd; restore over the old tree',
      save.oursFull.toFixed(1),
      speed(save.floor, save.oursFull),
      speed(save.pizlix, save.oursFull),
      `${await size('ours-full.tar.gz')} gz`,
      r.oursOverOld.toFixed(1),
      speed(r.floor, r.oursOverOld),
      speed(r.pizlix, r.oursOverOld),
    ],
  ];
}

async function run(cmd: string): Promise<void> {
  sh(cmd);
}

/**
 * The command line's `stage` on a store hit, fresh process each time, against plain tar -x into an empty
 * directory, on the three runners a user has: a fresh one ($LFS empty), a reused one whose $LFS holds
 * another tree (here: the same tree with one file changed, which the restore must wipe), and a reused one
 * whose $LFS already holds this snapshot untouched (the restore is skipped).
 */
async function benchCliStageHit(dir: string, repeats: number): Promise<string[][]> {
  const fixture = await debianFixtureSnapshot('gui');
  const plain = path.join(dir, 'gui.tar');
  sh(`zstd -dcq ${fixture.file} > ${plain}`);
  const lfs = path.join(dir, 'lfs');
  const empty = path.join(dir, 'empty');
  const cli = path.join(REPO_ROOT, 'dist', 'cli', 'index.js');
  const stageArgs = `stage gui --pizlix-dir ${path.join(DEBIAN_FIXTURE, 'pizlix')} --manifest ${path.join(DEBIAN_FIXTURE, 'stages.yml')} --store-path ${FIXTURE_STORE} --lfs ${lfs} --work-dir ${path.join(dir, 'work')}`;
  const stage = () => sh(`${process.execPath} ${cli} ${stageArgs} > /dev/null`);
  const times = { floor: [] as number[], fresh: [] as number[], other: [] as number[], same: [] as number[] };
  for (let i = 0; i < repeats; i++) {
    await run(`rm -rf ${empty} ${lfs}`);
    await mkdir(empty);
    times.floor.push(await timedCold(() => sh(`tar -xpf ${plain} -C ${empty}`)));
    times.fresh.push(await timedCold(stage));
    sh(`echo changed >> ${lfs}/etc/hostname`);
    times.other.push(await timedCold(stage));
    times.same.push(await timedCold(stage));
  }
  await run(`rm -rf ${empty} ${lfs} ${plain}`);
  const f = median(times.floor);
  const snapshotBytes = (await stat(fixture.file)).size;
  const row = (what: string, seconds: number) => ['', `pizlix-stage stage gui (CLI, store hit: ${what})`, seconds.toFixed(1), speed(f, seconds)];
  return [
    [`Debian fixture gui (${formatBytes(snapshotBytes)} zst)`, 'plain tar -x of the uncompressed tar into an empty directory (floor)', f.toFixed(1), '1.00×'],
    row('fresh runner, $LFS empty: verify, check, extract', median(times.fresh)),
    row('$LFS holds another tree: verify, check, extract, replace it', median(times.other)),
    row('$LFS already holds it, untouched: verify, fingerprint, restore skipped', median(times.same)),
  ];
}

export async function benchSnapshots(): Promise<void> {
  const dir = await benchDir('snapshots');
  try {
    if (process.env.PIZLIX_BENCH_TREES !== '0') {
      const rows = [['tree', 'route', 'save s', 'save vs floor', 'save vs Pizlix', 'archive', 'restore s', 'restore vs floor', 'restore vs Pizlix']];
      rows.push(...(await benchTree(await usrTree(path.join(dir, 'usr')), dir, 3)));
      if (process.env.PIZLIX_BENCH_LARGE !== '0') {
        await rm(path.join(dir, 'usr'), { recursive: true, force: true });
        execFileSync('bash', ['-c', `rm -f ${dir}/*.tar*`]);
        rows.push(...(await benchTree(await largeTree(path.join(dir, 'large')), dir, 1)));
      }
      printTable('Snapshot save and restore (caches dropped before each run; restore: median of runs; ratios are speeds, above 1.00× faster)', rows);
    }
    printTable('The command line as a user runs it (medians of three, caches dropped)', [
      ['snapshot', 'route', 'seconds', 'speed vs floor'],
      ...(await benchCliStageHit(dir, 3)),
    ]);
    log.info('goals (issue 15): restore at least 0.77× the floor; save at least 2× faster than Pizlix.');
  } finally {
    execFileSync('rm', ['-rf', dir]);
  }
}
