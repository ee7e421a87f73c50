/**
 * Disk image benchmark: build time of our unprivileged route (extract, partition table and file
 * systems written straight into the image file, GRUB placed by hand) for one snapshot, against
 *   - Pizlix's route as make_disk_image.sh takes it (root): sparse file, sfdisk, loop devices, mkfs.ext4,
 *     mkswap, mount, tar -xpf into the mounted root, grub.cfg copied, grub-install, umount;
 *   - the floor: `mke2fs -t ext4 -d` of the already extracted tree into a file, alone.
 *
 *   npm run bench -- image                                  # the fixture's gui snapshot
 *   PIZLIX_BENCH_SNAPSHOT=lfs-postlc5.tar.gz npm run bench -- image
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile, open } from 'node:fs/promises';
import path from 'node:path';
import { buildDiskImage, type DiskImageResult } from '../src/image/build.js';
import { extractSnapshot } from '../src/rootfs/archive.js';
import { FRESH_FILE_EXTENDED_OPTIONS } from '../src/image/ext4.js';
import { partitionByRole, sfdiskScript, type DiskPlan } from '../src/image/layout.js';
import { capture, run } from '../src/util/exec.js';
import { formatBytes, formatDuration } from '../src/util/format.js';
import { log } from '../src/util/log.js';
import { debianFixtureSnapshot } from '../tests/harness/debian-fixture.js';
import { benchDir, compare, printTable, ratio, timed } from './util.js';


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

async function mke2fsFloor(snapshot: string, plan: DiskPlan, dir: string): Promise<number> {
  const tree = path.join(dir, 'tree');
  await mkdir(tree);
  await extractSnapshot(snapshot, tree);
  const file = path.join(dir, 'floor.ext4');
  const rootBytes = partitionByRole(plan, 'root').sectors * 512;
  try {
    return (await timed(() => run('mke2fs', ['-q', '-F', '-t', 'ext4', '-E', FRESH_FILE_EXTENDED_OPTIONS, '-d', tree, file, `${rootBytes / 1024}k`]))).seconds;
  } finally {
    await rm(file, { force: true });
    await run('rm', ['-rf', '--one-file-system', tree]);
  }
}

export async function benchImage(): Promise<void> {
  // The fixture's gui snapshot comes from its local store (built through the stage action on first use).
  const snapshot = process.env.PIZLIX_BENCH_SNAPSHOT || (await debianFixtureSnapshot('gui')).file;
  if (!existsSync(snapshot)) throw new Error(`PIZLIX_BENCH_SNAPSHOT: no snapshot at ${snapshot}`);
  const dir = await benchDir('image');
  try {
    const ours = await timed(() => buildDiskImage({ snapshot, outputDir: path.join(dir, 'ours'), vmdk: 'none' }));
    const result: DiskImageResult = ours.value;
    const grubCfg = await run('debugfs', ['-R', 'cat /boot/grub/grub.cfg', `${result.image}?offset=${partitionByRole(result.plan, 'grub').startSector * 512}`]);
    // Same work as the other routes: extraction plus image, without the checksum pass they do not do.
    const oursBuild = result.seconds.extract + result.seconds.image;
    await rm(path.join(dir, 'ours'), { recursive: true, force: true });

    let pizlix: Record<string, number> | undefined;
    let pizlixError: string | undefined;
    try {
      pizlix = await pizlixRoute(snapshot, result.plan, grubCfg, dir);
    } catch (err) {
      pizlixError = String(err instanceof Error ? err.message : err).split('\n')[0];
    }
    const floor = await mke2fsFloor(snapshot, result.plan, dir);
    const pizlixTotal = pizlix ? Object.values(pizlix).reduce((a, b) => a + b, 0) : undefined;

    const rows = [
      ['route', 'seconds', 'ours is', 'notes'],
      ['ours: extract + image (no root devices)', oursBuild.toFixed(1), '1.00×', `archive check ${formatDuration(result.seconds.check)} (not counted), extract ${formatDuration(result.seconds.extract)}, image ${formatDuration(result.seconds.image)}; +sha256 ${formatDuration(result.seconds.checksums)} → ${formatDuration(ours.seconds)} end to end`],
      pizlixTotal !== undefined
        ? ['Pizlix: loop device, mkfs, mount, tar, grub-install', pizlixTotal.toFixed(1), compare(pizlixTotal, oursBuild), Object.entries(pizlix!).map(([k, v]) => `${k} ${v.toFixed(1)} s`).join(', ')]
        : ['Pizlix: loop device, mkfs, mount, tar, grub-install', '-', '-', `could not run here: ${pizlixError}`],
      ['floor: mke2fs -d of the extracted tree alone', floor.toFixed(1), `${ratio(floor, oursBuild)} of floor speed`, 'no extraction, no partitions, no GRUB'],
    ];
    printTable(`Disk image from ${path.basename(snapshot)} (${formatBytes(result.content.apparentBytes)}, ${result.content.inodes} inodes; disk ${formatBytes(result.imageBytes)}, ${formatBytes(result.allocatedBytes)} allocated)`, rows);
  } finally {
    for (const entry of await readdir(dir).catch(() => [])) await run('rm', ['-rf', '--one-file-system', path.join(dir, entry)]);
    await rm(dir, { recursive: true, force: true });
  }
}

