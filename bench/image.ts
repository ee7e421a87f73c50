/**
 * Disk image benchmark: our route end to end (check, image, checksums: what a job waits for) for one
 * snapshot, each as a ratio against, measured in the same run,
 *   - the floor: `mke2fs -t ext4 -d` of the already extracted tree into a file, alone;
 *   - Pizlix's route as make_disk_image.sh takes it (root): sparse file, sfdisk, loop devices, mkfs.ext4,
 *     mkswap, mount, tar -xpf into the mounted root, grub.cfg copied, grub-install, umount;
 * for both ways of writing the root (mke2fs from the snapshot itself where e2fsprogs ≥ 1.47.1 reads
 * tarballs — put such an mke2fs first on PATH, e.g. PIZLIX_BENCH_MKE2FS_DIR=/opt/e2fsprogs/sbin — and
 * from one extracted tree), on the Debian fixture's gui snapshot and on a generated tree of over 4 GiB
 * and 100 000 files; plus the command line's `image` in a fresh process against the floor.
 *
 *   npm run bench -- image
 *   PIZLIX_BENCH_SNAPSHOT=lfs-postlc5.tar.gz npm run bench -- image
 *   PIZLIX_BENCH_LARGE=0 npm run bench -- image          # skip the large tree
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile, open } from 'node:fs/promises';
import path from 'node:path';
import { buildDiskImage, type DiskImageResult } from '../src/image/build.js';
import { mke2fsReadsTarballs } from '../src/image/ext4.js';
import { extractSnapshot } from '../src/rootfs/archive.js';
import { FRESH_FILE_EXTENDED_OPTIONS } from '../src/image/ext4.js';
import { partitionByRole, sfdiskScript, type DiskPlan } from '../src/image/layout.js';
import { capture, run } from '../src/util/exec.js';
import { formatBytes, formatDuration } from '../src/util/format.js';
import { debianFixtureSnapshot } from '../tests/harness/debian-fixture.js';
import { REPO_ROOT } from '../tests/harness/runner.js';
import { largeTree } from './trees.js';
import { benchDir, printTable, timed } from './util.js';

/**
 * Pizlix's route: everything through loop devices and mounts. Returns the seconds of each step.
 * Pizlix uses `losetup -P`; in a container the partition nodes (/dev/loopNp4) never appear, so each
 * partition gets its own loop device at its offset, and grub-install gets the whole-disk one.
 */
async function pizlixRoute(snapshot: string, plan: DiskPlan, grubCfg: string, dir: string): Promise<Record<string, number>> {
  const image = path.join(dir, 'pizlix-route.img');
  const steps: Record<string, number> = {};
  const step = async (name: string, fn: () => Promise<unknown>) => (steps[name] = (await timed(fn)).seconds);
  const loops: string[] = [];
  const mounted: string[] = [];
  const attach = async (extra: string[]) => {
    const device = (await run('losetup', ['--find', '--show', ...extra, image])).trim();
    loops.unshift(device);
    return device;
  };
  const attachPartition = (role: 'grub' | 'swap' | 'root') => {
    const p = partitionByRole(plan, role);
    return attach(['--offset', String(p.startSector * 512), '--sizelimit', String(p.sectors * 512)]);
  };
  const mountAt = async (device: string, name: string) => {
    const target = path.join(dir, name);
    await mkdir(target, { recursive: true });
    await run('mount', [device, target]);
    mounted.unshift(target);
    return target;
  };
  try {
    await step('partition', async () => {
      const handle = await open(image, 'w');
      await handle.truncate(plan.diskBytes);
      await handle.close();
      await run('sfdisk', ['--quiet', image], { input: sfdiskScript(plan) });
    });
    const disk = await attach([]);
    const [grubDevice, swapDevice, rootDevice] = [await attachPartition('grub'), await attachPartition('swap'), await attachPartition('root')];
    await step('mkfs', async () => {
      await run('mkfs.ext4', ['-q', '-F', grubDevice]);
      await run('mkswap', [swapDevice]);
      await run('mkfs.ext4', ['-q', '-F', rootDevice]);
    });
    await step('mount + tar -xpf', async () => {
      const root = await mountAt(rootDevice, 'mnt-root');
      await run('tar', ['-xpf', snapshot, '-C', root]);
    });
    await step('grub-install', async () => {
      const grub = await mountAt(grubDevice, 'mnt-grub');
      await mkdir(path.join(grub, 'boot', 'grub'), { recursive: true });
      await writeFile(path.join(grub, 'boot', 'grub', 'grub.cfg'), grubCfg);
      await run('grub-install', ['--target=i386-pc', '--modules=part_gpt ext2', `--boot-directory=${path.join(grub, 'boot')}`, disk]);
    });
    await step('umount', async () => {
      while (mounted.length > 0) await run('umount', [mounted.shift()!]);
      while (loops.length > 0) await run('losetup', ['-d', loops.shift()!]);
    });
    return steps;
  } finally {
    for (const target of mounted) await capture('umount', ['-l', target]);
    for (const device of loops) await capture('losetup', ['-d', device]);
    await rm(image, { force: true });
  }
}

/** mke2fs -d of the extracted tree into a file of the root partition's size (the tree in the page cache, as after an extraction). */
async function mke2fsFloor(snapshot: string, plan: DiskPlan, dir: string): Promise<number> {
  const tree = path.join(dir, 'tree');
  await mkdir(tree);
  await extractSnapshot(snapshot, tree);
  const file = path.join(dir, 'floor.ext4');
  const rootBytes = partitionByRole(plan, 'root').sectors * 512;
  try {
    return (
      await timed(() =>
        run('mke2fs', [
          '-q',
          '-F',
          '-t',
          'ext4',
          '-b',
          '4096',
          '-I',
          '256',
          '-i',
          '16384',
          '-E',
          FRESH_FILE_EXTENDED_OPTIONS,
          '-d',
          tree,
          file,
          `${rootBytes / 1024}k`,
        ]),
      )
    ).seconds;
  } finally {
    await rm(file, { force: true });
    await run('rm', ['-rf', '--one-file-system', tree]);
  }
}

function times(a: number, b: number): string {
  return `${(a / b).toFixed(2)}×`;
}

function steps(result: DiskImageResult): string {
  const s = result.seconds;
  return [
    s.check && `check ${formatDuration(s.check)}`,
    s.extract && `check+extract ${formatDuration(s.extract)}`,
    `image ${formatDuration(s.image)}`,
    `sha256 ${formatDuration(s.checksums)}`,
  ]
    .filter(Boolean)
    .join(', ');
}

async function benchSnapshot(label: string, snapshot: string, dir: string, tarballRoute: boolean): Promise<string[][]> {
  const ours = async (rootFrom: 'auto' | 'tree') => {
    const t = await timed(() => buildDiskImage({ snapshot, outputDir: path.join(dir, 'ours'), vmdk: 'none', rootFrom }));
    // The same grub.cfg for Pizlix's route: the one our image carries.
    const grubCfg = await run('debugfs', [
      '-R',
      'cat /boot/grub/grub.cfg',
      `${t.value.image}?offset=${partitionByRole(t.value.plan, 'grub').startSector * 512}`,
    ]);
    await rm(path.join(dir, 'ours'), { recursive: true, force: true });
    return { seconds: t.seconds, result: t.value, grubCfg };
  };
  const fromTree = await ours('tree');
  const fromTarball = tarballRoute ? await ours('auto') : undefined;
  const result = fromTree.result;
  const grubCfg = fromTree.grubCfg;

  let pizlix: Record<string, number> | undefined;
  let pizlixError: string | undefined;
  try {
    pizlix = await pizlixRoute(snapshot, result.plan, grubCfg, dir);
  } catch (err) {
    pizlixError = String(err instanceof Error ? err.message : err).split('\n')[0];
  }
  const floor = await mke2fsFloor(snapshot, result.plan, dir);
  const cli = await timed(() =>
    run(process.execPath, [path.join(REPO_ROOT, 'dist', 'cli', 'index.js'), 'image', snapshot, '--output-dir', path.join(dir, 'cli'), '--vmdk', 'none']),
  );
  await rm(path.join(dir, 'cli'), { recursive: true, force: true });
  const pizlixTotal = pizlix ? Object.values(pizlix).reduce((a, b) => a + b, 0) : undefined;
  const vsPizlix = (seconds: number) => (pizlixTotal !== undefined ? times(pizlixTotal, seconds) : '-');
  const oursRow = (what: string, run: { seconds: number; result: DiskImageResult }) => [
    '',
    what,
    run.seconds.toFixed(1),
    times(run.seconds, floor),
    vsPizlix(run.seconds),
    steps(run.result),
  ];
  const title = `${label}: ${formatBytes(result.content.apparentBytes)}, ${result.content.inodes} inodes; disk ${formatBytes(result.imageBytes)}, ${formatBytes(result.allocatedBytes)} allocated`;
  const rows = [
    [title, 'floor: mke2fs -d of the extracted tree alone', floor.toFixed(1), '1.00×', vsPizlix(floor), 'no extraction, no partitions, no GRUB, no checksum'],
    [
      '',
      'Pizlix: loop devices, mkfs, mount, tar -xpf, grub-install (baseline)',
      pizlixTotal?.toFixed(1) ?? '-',
      pizlixTotal ? times(pizlixTotal, floor) : '-',
      '1.00×',
      pizlix
        ? Object.entries(pizlix)
            .map(([k, v]) => `${k} ${v.toFixed(1)} s`)
            .join(', ')
        : `could not run here: ${pizlixError}`,
    ],
    oursRow('ours, root from one extracted tree: end to end', fromTree),
  ];
  if (fromTarball) rows.push(oursRow('ours, root by mke2fs from the snapshot itself: end to end', fromTarball));
  rows.push([
    '',
    `CLI \`image\` in a fresh process (${(fromTarball ?? fromTree).result.rootFrom === 'tarball' ? 'root from the snapshot' : 'root from the tree'})`,
    cli.seconds.toFixed(1),
    times(cli.seconds, floor),
    vsPizlix(cli.seconds),
    'what a user waits for',
  ]);
  return rows;
}

export async function benchImage(): Promise<void> {
  if (process.env.PIZLIX_BENCH_MKE2FS_DIR) process.env.PATH = `${process.env.PIZLIX_BENCH_MKE2FS_DIR}:${process.env.PATH}`;
  // The fixture's gui snapshot comes from its local store (built through the stage action on first use).
  const snapshot = process.env.PIZLIX_BENCH_SNAPSHOT || (await debianFixtureSnapshot('gui')).file;
  if (!existsSync(snapshot)) throw new Error(`PIZLIX_BENCH_SNAPSHOT: no snapshot at ${snapshot}`);
  const dir = await benchDir('image');
  try {
    const tarballRoute = await mke2fsReadsTarballs(dir);
    const rows = [['snapshot', 'route', 'seconds', 'time vs floor', 'speed vs Pizlix', 'notes']];
    rows.push(...(await benchSnapshot(path.basename(snapshot), snapshot, dir, tarballRoute)));
    if (process.env.PIZLIX_BENCH_LARGE !== '0') {
      const tree = await largeTree(path.join(dir, 'large-tree'));
      const large = path.join(dir, 'large.tar.zst');
      await run('bash', ['-o', 'pipefail', '-c', `tar -C ${tree.root} -cpf - . | zstd -q -T0 -3 -o ${large}`]);
      await run('rm', ['-rf', tree.root]);
      rows.push(...(await benchSnapshot(`generated, ${tree.files} files`, large, dir, tarballRoute)));
    }
    printTable(
      `Disk image (goal: end to end no more than 1.5× the floor's time, faster than Pizlix's route)${tarballRoute ? '' : '; this mke2fs cannot read tarballs, so only the extracted-tree route ran'}`,
      rows,
    );
  } finally {
    for (const entry of await readdir(dir).catch(() => [])) await run('rm', ['-rf', '--one-file-system', path.join(dir, entry)]);
    await rm(dir, { recursive: true, force: true });
  }
}
