/**
 * The disk image, checked from the bytes it wrote: the GPT against `sfdisk --json`, GRUB's sector
 * pointers against GRUB's own images, the root file system's owners/modes/devices/links with
 * debugfs, the swap signature with blkid, checksums, and every bad input leaving nothing behind.
 * Needs root (mknod, chown), sfdisk, e2fsprogs, grub-pc-bin, qemu-utils, zstd.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, chown, link, mkdir, open, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildDiskImage, type DiskImageResult } from '../src/image/build.js';
import { BOOT_IMG, CORE_IMG, CORE_MODULES, GRUB_I386_PC_DIR, grubPrefix, makeCoreImage } from '../src/image/grub.js';
import { findKernel, generateGrubCfg } from '../src/image/grub-cfg.js';
import { diskBytesForRoot, GPT_TYPE, planDisk, partitionByRole, sfdiskScript } from '../src/image/layout.js';
import { readPartitionTable } from '../src/image/partition-table.js';
import { InputError, PreflightError } from '../src/util/errors.js';
import { capture, run } from '../src/util/exec.js';
import { FileSha256, sha256File } from '../src/util/hash.js';
import { mke2fsReadsTarballs } from '../src/image/ext4.js';
import { Writable } from 'node:stream';
import { REPO_ROOT, runAction } from './harness/runner.js';
import { DEBIAN_FIXTURE, FIXTURE_STORE, debianFixtureSnapshot } from './harness/debian-fixture.js';
import { makeTestDir, type TestDir } from './harness/workdir.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

interface TreeOptions {
  kernel?: boolean;
  /** A file of this many random bytes, to make the content big. */
  bulkBytes?: number;
}

/** A small root tree with the things an image must keep: owners, setuid, a device node, links. */
async function makeRootTree(root: string, options: TreeOptions = {}): Promise<void> {
  for (const dir of ['boot', 'bin', 'dev', 'etc', 'home/pizlo', 'usr/lib', 'lost+found']) await mkdir(path.join(root, dir), { recursive: true });
  if (options.kernel !== false) await writeFile(path.join(root, 'boot', 'vmlinuz-6.10.5-lfs-12.2'), randomBytes(64 * 1024));
  await writeFile(path.join(root, 'bin', 'su'), '#!/bin/sh\n');
  await chmod(path.join(root, 'bin', 'su'), 0o4755);
  await writeFile(path.join(root, 'home', 'pizlo', 'notes'), 'owned by pizlo\n');
  await chown(path.join(root, 'home', 'pizlo', 'notes'), 1001, 1002);
  await chmod(path.join(root, 'home', 'pizlo', 'notes'), 0o640);
  await chown(path.join(root, 'home', 'pizlo'), 1001, 1002);
  await run('mknod', ['-m', '0666', path.join(root, 'dev', 'null'), 'c', '1', '3']);
  await writeFile(path.join(root, 'usr', 'lib', 'libfoo.so.1.0'), randomBytes(10000));
  await link(path.join(root, 'usr', 'lib', 'libfoo.so.1.0'), path.join(root, 'usr', 'lib', 'libfoo-hardlink.so'));
  await symlink('libfoo.so.1.0', path.join(root, 'usr', 'lib', 'libfoo.so.1'));
  await writeFile(path.join(root, 'etc', 'fstab'), '/dev/sda4 / ext4 defaults 1 1\n/dev/sda3 swap swap pri=1 0 0\n');
  if (options.bulkBytes) await writeFile(path.join(root, 'usr', 'lib', 'bulk.bin'), randomBytes(options.bulkBytes));
}

/** Packs a tree as a Pizlix stage does: gzip tarball of ./ paths, permissions kept. */
async function makeSnapshot(dir: string, name: string, options: TreeOptions = {}): Promise<string> {
  const root = path.join(dir, `${name}-root`);
  await makeRootTree(root, options);
  const tarball = path.join(dir, `${name}.tar.gz`);
  await run('tar', ['-czpf', tarball, '-C', root, '.']);
  await run('rm', ['-rf', '--one-file-system', root]);
  return tarball;
}

async function readSector(file: string, sector: number, count = 1): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(512 * count);
    await handle.read(buffer, 0, buffer.length, sector * 512);
    return buffer;
  } finally {
    await handle.close();
  }
}

/** debugfs on the file system inside a partition of the image. */
async function debugfs(image: string, startSector: number, request: string): Promise<string> {
  return run('debugfs', ['-R', request, `${image}?offset=${startSector * 512}`]);
}

async function leftovers(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => []);
}

describe('Pizlix layout', () => {
  it('matches make_disk_image.sh on a 100 GiB disk', () => {
    const plan = planDisk('pizlix', 100 * GiB);
    const mib = (p: number) => [plan.partitions[p].startSector / 2048, (plan.partitions[p].startSector + plan.partitions[p].sectors) / 2048];
    assert.deepEqual(mib(0), [1, 2]);
    assert.deepEqual(mib(1), [2, 20]);
    assert.deepEqual(mib(2), [20, 30 * 1024]);
    assert.equal(mib(3)[0], 30 * 1024);
    assert.equal(plan.partitions[3].role, 'root');
    assert.deepEqual(
      plan.partitions.map((p) => p.number),
      [1, 2, 3, 4],
    );
    // The root runs to the last whole MiB before the backup GPT.
    assert.equal(mib(3)[1], 100 * 1024 - 1);
  });

  it('shrinks only the swap on small disks and sizes disks for a given root', () => {
    for (const rootBytes of [100 * MiB, 3 * GiB, 80 * GiB]) {
      const disk = diskBytesForRoot(rootBytes);
      const root = partitionByRole(planDisk('pizlix', disk), 'root');
      assert.ok(root.sectors * 512 >= rootBytes, `root of ${disk} holds ${rootBytes}`);
      assert.ok(root.sectors * 512 - rootBytes < 64 * MiB, 'no more than a little slack');
    }
    assert.equal(partitionByRole(planDisk('pizlix', 2 * GiB), 'grub').startSector, 4096);
  });

  it('rejects unknown layouts and disks without room for a root', () => {
    assert.throws(
      () => planDisk('msdos', 10 * GiB),
      (err: unknown) => err instanceof InputError && err.input === 'layout' && /pizlix/.test(err.message),
    );
    assert.throws(
      () => planDisk('pizlix', 64 * MiB),
      (err: unknown) => err instanceof InputError && err.input === 'size',
    );
  });

  it('writes an sfdisk script with one line per partition', () => {
    const script = sfdiskScript(planDisk('pizlix', 4 * GiB));
    assert.match(script, /^label: gpt$/m);
    assert.equal(script.split('\n').filter((l) => l.startsWith('start=')).length, 4);
    assert.match(script, new RegExp(`type=${GPT_TYPE.biosBoot}, name="bios_grub"`));
  });
});

describe('kernel discovery and generated grub.cfg', () => {
  let dir: TestDir;

  before(async () => {
    dir = await makeTestDir('image-kernel');
  });

  after(async () => {
    await dir?.remove();
  });

  it('picks the newest kernel of the root, with its initrd, never following links out of the root', async () => {
    const root = path.join(dir.path, 'root');
    await mkdir(path.join(root, 'boot'), { recursive: true });
    for (const version of ['6.9.12', '6.10.5-lfs-12.2']) await writeFile(path.join(root, 'boot', `vmlinuz-${version}`), 'kernel');
    await writeFile(path.join(root, 'boot', 'initrd.img-6.10.5-lfs-12.2'), 'initrd');
    // Absolute link: inside the root it leads nowhere, though /etc/hostname exists on this machine.
    await symlink('/etc/hostname', path.join(root, 'boot', 'vmlinuz-99.0'));
    await symlink('vmlinuz-6.9.12', path.join(root, 'boot', 'vmlinuz-6.9.12-link'));
    const kernel = await findKernel(root);
    assert.deepEqual(kernel, { kernel: '/boot/vmlinuz-6.10.5-lfs-12.2', version: '6.10.5-lfs-12.2', initrd: '/boot/initrd.img-6.10.5-lfs-12.2' });
    const cfg = generateGrubCfg(kernel!, 4);
    assert.match(cfg, /^\s*linux \/boot\/vmlinuz-6\.10\.5-lfs-12\.2 root=\/dev\/sda4 ro console=ttyS0,115200 console=tty0 net\.ifnames=0$/m);
    assert.match(cfg, /^\s*initrd \/boot\/initrd\.img-6\.10\.5-lfs-12\.2$/m);
    assert.match(cfg, /^set root=\(hd0,gpt4\)$/m);
    assert.equal(await findKernel(path.join(dir.path, 'empty')), undefined);
  });
});

describe('disk image from a snapshot', () => {
  let dir: TestDir;
  let snapshot: string;
  let result: DiskImageResult;
  let outputDir: string;

  before(async () => {
    dir = await makeTestDir('image');
    snapshot = await makeSnapshot(dir.path, 'lfs-test');
    outputDir = path.join(dir.path, 'out');
    result = await buildDiskImage({ snapshot, outputDir, size: '512M', vmdk: 'flat', compress: true });
  });

  after(async () => {
    await dir?.remove();
  });

  it('writes exactly disk.img, disk.vmdk, disk.img.zst and SHA256SUMS', async () => {
    assert.deepEqual((await leftovers(outputDir)).sort(), ['SHA256SUMS', 'disk.img', 'disk.img.zst', 'disk.vmdk']);
    assert.equal(result.imageBytes, 512 * MiB);
    assert.equal((await stat(result.image)).size, 512 * MiB);
    assert.ok(result.allocatedBytes < 64 * MiB, `sparse: ${result.allocatedBytes} bytes allocated`);
  });

  it('has the planned GPT, as sfdisk reads it back', async () => {
    const table = await readPartitionTable(result.image);
    assert.equal(table.label, 'gpt');
    assert.deepEqual(
      table.partitions.map((p) => ({ start: p.start, size: p.size, type: p.type.toUpperCase(), name: p.name })),
      result.plan.partitions.map((p) => ({ start: p.startSector, size: p.sectors, type: p.type, name: p.name })),
    );
    assert.ok(table.partitions.every((p, i) => p.node.endsWith(String(i + 1))));
  });

  it('has GRUB boot.img in the MBR pointing at core.img in the bios_grub partition', async () => {
    const pristineBoot = await readFile(path.join(GRUB_I386_PC_DIR, 'boot.img'));
    // GRUB ships boot.img expecting core.img right after the MBR: that proves the offset.
    assert.equal(pristineBoot.readBigUInt64LE(BOOT_IMG.kernelSector), BOOT_IMG.defaultKernelSector);
    assert.deepEqual([...pristineBoot.subarray(BOOT_IMG.driveCheck, BOOT_IMG.driveCheck + 2)], [0xeb, 0x05], 'a short jmp GRUB replaces for hard disks');

    const biosGrub = partitionByRole(result.plan, 'bios-boot');
    const mbr = await readSector(result.image, 0);
    assert.equal(mbr.readBigUInt64LE(0x5c), BigInt(biosGrub.startSector));
    assert.deepEqual([...mbr.subarray(0x66, 0x68)], [0x90, 0x90]);
    // GRUB's code is there, unchanged outside the fields GRUB's installer patches.
    assert.deepEqual(mbr.subarray(0, 3), pristineBoot.subarray(0, 3));
    assert.deepEqual(mbr.subarray(0x5a, 0x5c), pristineBoot.subarray(0x5a, 0x5c));
    assert.deepEqual(mbr.subarray(0x64, 0x66), pristineBoot.subarray(0x64, 0x66));
    assert.deepEqual(mbr.subarray(0x68, 0x1b8), pristineBoot.subarray(0x68, 0x1b8));
    // The protective MBR survives: one partition of type 0xEE from sector 1, and the signature.
    assert.equal(mbr[0x1be + 4], 0xee);
    assert.equal(mbr.readUInt32LE(0x1be + 8), 1);
    assert.equal(mbr.readUInt16LE(0x1fe), 0xaa55);
    assert.equal((await readSector(result.image, 1)).subarray(0, 8).toString('ascii'), 'EFI PART');

    const pristineCore = await makeCoreImage(path.join(dir.path, 'core-pristine.img'), grubPrefix(2));
    assert.equal(pristineCore.readBigUInt64LE(CORE_IMG.blocklistStart), CORE_IMG.defaultBlocklistStart, "grub-mkimage's default: remainder at sector 2");
    const coreSectors = Math.ceil(pristineCore.length / 512);
    const placed = await readSector(result.image, biosGrub.startSector, coreSectors);
    assert.equal(placed.readBigUInt64LE(0x1f4), BigInt(biosGrub.startSector + 1));
    assert.equal(placed.readUInt16LE(0x1fc), coreSectors - 1);
    assert.deepEqual(placed.subarray(0, 0x1f4), pristineCore.subarray(0, 0x1f4));
    assert.deepEqual(placed.subarray(0x1fc, pristineCore.length), pristineCore.subarray(0x1fc));
    assert.ok(CORE_MODULES.includes('part_gpt') && CORE_MODULES.includes('ext2'));
  });

  it('puts grub.cfg (generated for the kernel, Pizlix command line) in the GRUB partition', async () => {
    const cfg = await debugfs(result.image, partitionByRole(result.plan, 'grub').startSector, 'cat /boot/grub/grub.cfg');
    assert.equal(result.grubCfg.source, 'generated');
    assert.match(cfg, /set root=\(hd0,gpt4\)/);
    assert.match(cfg, /linux \/boot\/vmlinuz-6\.10\.5-lfs-12\.2 root=\/dev\/sda4 ro console=ttyS0,115200 console=tty0 net\.ifnames=0/);
    assert.doesNotMatch(cfg, /initrd/);
  });

  it('keeps owners, modes, setuid bits, device nodes, hard links and symlinks in the root', async () => {
    const start = partitionByRole(result.plan, 'root').startSector;
    const notes = await debugfs(result.image, start, 'stat /home/pizlo/notes');
    assert.match(notes, /Type: regular\s+Mode:\s+0640/);
    assert.match(notes, /User:\s+1001\s+Group:\s+1002/);
    assert.match(await debugfs(result.image, start, 'stat /bin/su'), /Mode:\s+04755/);
    const devNull = await debugfs(result.image, start, 'stat /dev/null');
    assert.match(devNull, /Type: character special\s+Mode:\s+0666/);
    assert.match(devNull, /Device major\/minor number: 01:03/);
    const original = /Inode: (\d+)/.exec(await debugfs(result.image, start, 'stat /usr/lib/libfoo.so.1.0'))![1];
    const hardlink = await debugfs(result.image, start, 'stat /usr/lib/libfoo-hardlink.so');
    assert.equal(/Inode: (\d+)/.exec(hardlink)![1], original);
    assert.match(hardlink, /Links: 2/);
    const symlinkStat = await debugfs(result.image, start, 'stat /usr/lib/libfoo.so.1');
    assert.match(symlinkStat, /Type: symlink/);
    assert.match(symlinkStat, /Fast link dest: "libfoo\.so\.1\.0"/);
    assert.equal(await debugfs(result.image, start, 'cat /usr/lib/libfoo.so.1.0').then((s) => s.length > 0), true);
  });

  it('writes a swap signature in p3', async () => {
    const swap = partitionByRole(result.plan, 'swap');
    const probe = await run('blkid', ['-p', '-O', String(swap.startSector * 512), result.image]);
    assert.match(probe, /TYPE="swap"/);
  });

  it('lists every output in SHA256SUMS and writes a flat VMDK pointing at disk.img', async () => {
    const sums = (await readFile(result.sha256sums, 'utf8')).trim().split('\n');
    assert.equal(sums.length, 3);
    // Checked by sha256sum itself, which reads every byte, holes included.
    await run('sha256sum', ['--check', '--strict', '--quiet', 'SHA256SUMS'], { cwd: outputDir });
    assert.deepEqual(sums.map((line) => line.split(/\s+/)[1]).sort(), ['disk.img', 'disk.img.zst', 'disk.vmdk']);
    const descriptor = await readFile(result.vmdk!, 'utf8');
    assert.match(descriptor, /createType="monolithicFlat"/);
    assert.match(descriptor, new RegExp(`^RW ${(512 * MiB) / 512} FLAT "disk.img" 0$`, 'm'));
    assert.match(descriptor, /ddb.adapterType = "ide"/);
    const info = JSON.parse(await run('qemu-img', ['info', '--output=json', result.vmdk!])) as { format: string; 'virtual-size': number };
    assert.equal(info.format, 'vmdk');
    assert.equal(info['virtual-size'], 512 * MiB);
    await run('zstd', ['-t', '-q', result.compressed!]);
  });
});

describe('sha256 of sparse images', () => {
  let dir: TestDir;

  before(async () => {
    dir = await makeTestDir('image-sha256');
  });

  after(async () => {
    await dir?.remove();
  });

  it('matches sha256sum on a sparse file, read in steps, with every byte copied to a stream on the way', async () => {
    const file = path.join(dir.path, 'sparse.img');
    const handle = await open(file, 'w');
    await handle.truncate(300 * MiB + 12345);
    // Data at the start, across a 4 MiB chunk boundary, in the middle and in the very last bytes.
    for (const at of [0, 4 * MiB - 100, 150 * MiB + 7, 300 * MiB + 12345 - 3000]) await handle.write(randomBytes(3000), 0, 3000, at);
    await handle.close();
    assert.ok((await stat(file)).blocks * 512 < 2 * MiB, 'the file is sparse');
    const expected = (await run('sha256sum', [file])).split(' ')[0];
    assert.equal(await sha256File(file), expected);

    const copied = createHashForTest();
    const digest = new FileSha256(file, { copyTo: copied.stream });
    await digest.hashTo(150 * MiB);
    await digest.hashTo((await stat(file)).size);
    assert.equal(digest.hex(), expected);
    assert.equal(copied.hex(), expected, 'the copy holds every byte, holes as zeros');
    assert.equal(copied.bytes(), (await stat(file)).size);
  });
});

/** A Writable that hashes what it is given, to check what FileSha256 copies. */
function createHashForTest(): { stream: Writable; hex(): string; bytes(): number } {
  const hash = createHash('sha256');
  let bytes = 0;
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      bytes += chunk.length;
      cb();
    },
  });
  return { stream, hex: () => hash.digest('hex'), bytes: () => bytes };
}

describe('root file system straight from the snapshot (e2fsprogs 1.47.1 and later)', () => {
  let dir: TestDir;
  let supported = false;

  before(async () => {
    dir = await makeTestDir('image-tarball');
    supported = await mke2fsReadsTarballs(dir.path);
  });

  after(async () => {
    await dir?.remove();
  });

  it('gives the same root as the extracted tree: owners, modes, devices, hard links, symlinks', async (t) => {
    if (!supported) return t.skip('this mke2fs cannot read tarballs (e2fsprogs < 1.47.1 or no libarchive); put a newer mke2fs first on PATH to run this');
    const snapshot = await makeSnapshot(dir.path, 'lfs-routes');
    const listing = async (rootFrom: 'auto' | 'tree') => {
      const result = await buildDiskImage({ snapshot, outputDir: path.join(dir.path, rootFrom), size: '256M', vmdk: 'none', rootFrom });
      const start = partitionByRole(result.plan, 'root').startSector;
      const stats = [];
      for (const file of ['/home/pizlo/notes', '/bin/su', '/dev/null', '/usr/lib/libfoo-hardlink.so', '/usr/lib/libfoo.so.1']) {
        stats.push(
          (await debugfs(result.image, start, `stat ${file}`))
            .replace(/^(Inode|Generation|.*time|crtime|Inode checksum|Size of extra inode fields|EXTENTS|\(0\)).*$/gm, '')
            .replace(/Inode: \d+/g, ''),
        );
      }
      return { rootFrom: result.rootFrom, stats };
    };
    const fromTarball = await listing('auto');
    const fromTree = await listing('tree');
    assert.equal(fromTarball.rootFrom, 'tarball');
    assert.equal(fromTree.rootFrom, 'tree');
    assert.match(fromTarball.stats[0], /User:\s+1001\s+Group:\s+1002/);
    assert.match(fromTarball.stats[2], /Device major\/minor number: 01:03/);
    assert.match(fromTarball.stats[3], /Links: 2/);
    for (let i = 0; i < fromTree.stats.length; i++) {
      for (const field of [
        /Type: \S+\s+Mode:\s+\d+/,
        /User:\s+\d+\s+Group:\s+\d+/,
        /Links: \d+/,
        /Device major\/minor number: \S+|Fast link dest: ".*"|Size: \d+/,
      ]) {
        assert.equal(field.exec(fromTarball.stats[i])?.[0], field.exec(fromTree.stats[i])?.[0], `${field} of file ${i}`);
      }
    }
  });
});

describe('without root', () => {
  let dir: TestDir;

  before(async () => {
    dir = await makeTestDir('image-fakeroot');
  });

  after(async () => {
    await dir?.remove();
  });

  it('builds as an unprivileged user inside one fakeroot session, keeping owners and device nodes', async (t) => {
    if ((await capture('id', ['-u', 'nobody'])).code !== 0) return t.skip('no user nobody to run as');
    const snapshot = await makeSnapshot(dir.path, 'lfs-unprivileged');
    const outputDir = path.join(dir.path, 'out');
    await mkdir(outputDir);
    await chown(outputDir, 65534, 65534);
    const script = `import { buildDiskImage } from ${JSON.stringify(path.join(REPO_ROOT, 'src/image/build.ts'))};
const result = await buildDiskImage(JSON.parse(process.argv[1]));
process.stdout.write('RESULT' + JSON.stringify({ image: result.image, root: result.plan.partitions[3].startSector }));`;
    const request = JSON.stringify({ snapshot, outputDir, size: '256M', vmdk: 'none' });
    const child = await capture(
      'setpriv',
      ['--reuid=nobody', '--regid=nogroup', '--clear-groups', '--', process.execPath, '--import', 'tsx', '--input-type=module', '-e', script, request],
      { cwd: REPO_ROOT },
    );
    assert.equal(child.code, 0, child.stderr);
    // Where mke2fs reads the snapshot itself, no fakeroot is needed at all; elsewhere one session keeps the owners.
    assert.match(child.stdout, /not running as root: extracting inside a fakeroot session|root written by mke2fs from the snapshot itself/);
    const { image, root } = JSON.parse(child.stdout.slice(child.stdout.indexOf('RESULT') + 6)) as { image: string; root: number };
    assert.match(await debugfs(image, root, 'stat /home/pizlo/notes'), /User:\s+1001\s+Group:\s+1002/);
    assert.match(await debugfs(image, root, 'stat /bin/su'), /User:\s+0\s+Group:\s+0\s/, 'root-owned as in the snapshot, not nobody');
    assert.match(await debugfs(image, root, 'stat /bin/su'), /Mode:\s+04755/);
    assert.match(await debugfs(image, root, 'stat /dev/null'), /Type: character special[\s\S]*Device major\/minor number: 01:03/);
  });
});

describe(
  'disk-image action (bundle under dist/, run the way the runner runs it)',
  { skip: existsSync(path.join(REPO_ROOT, 'dist', 'disk-image', 'index.js')) ? false : 'dist/disk-image/index.js missing: run npm run build' },
  () => {
    let dir: TestDir;
    let snapshot: string;

    before(async () => {
      dir = await makeTestDir('image-action');
      snapshot = await makeSnapshot(dir.path, 'lfs-action');
    });

    after(async () => {
      await dir?.remove();
    });

    it('writes the image, sets its outputs and shows the partition table in the job summary', async () => {
      const outputDir = path.join(dir.path, 'job', 'images');
      const job = await runAction({ action: 'disk-image', jobDir: path.join(dir.path, 'job'), inputs: { snapshot, 'output-dir': outputDir, size: '256M' } });
      assert.equal(job.main.exitCode, 0, job.main.stdout + job.main.stderr);
      assert.equal(job.outputs.image, path.join(outputDir, 'disk.img'));
      assert.equal(job.outputs.vmdk, path.join(outputDir, 'disk.vmdk'));
      assert.equal(job.outputs.sha256sums, path.join(outputDir, 'SHA256SUMS'));
      assert.equal(job.outputs['image-size'], String(256 * MiB));
      assert.equal(Number(job.outputs['image-allocated']), (await stat(job.outputs.image)).blocks * 512);
      assert.match(job.summary, /<td>bios_grub<\/td>/);
      assert.match(job.summary, /<td>4<\/td><td>root<\/td>/);
      assert.match(job.summary, /vmlinuz-6\.10\.5-lfs-12\.2/);
    });

    it('fails with the input named, and no outputs, on bad input', async () => {
      const outputDir = path.join(dir.path, 'job-bad', 'images');
      const job = await runAction({
        action: 'disk-image',
        jobDir: path.join(dir.path, 'job-bad'),
        inputs: { snapshot, 'output-dir': outputDir, layout: 'msdos' },
      });
      assert.equal(job.main.exitCode, 1);
      assert.match(job.main.stdout, /::error::input 'layout': 'msdos' is not supported; expected one of: pizlix/);
      assert.match(job.summary, /Pizlix disk image failed/);
      assert.equal(job.outputs.image, undefined);
      await assert.rejects(stat(outputDir));
    });
  },
);

describe('disk-image action with a stage from the store', () => {
  let dir: TestDir;
  before(async () => {
    dir = await makeTestDir('image-action-stage');
    await debianFixtureSnapshot('gui');
  });
  after(async () => {
    await dir?.remove();
  });
  const stageInputs = (extra: Record<string, string>) => ({
    stage: 'gui',
    'pizlix-dir': path.join(DEBIAN_FIXTURE, 'pizlix'),
    manifest: path.join(DEBIAN_FIXTURE, 'stages.yml'),
    store: 'local',
    'store-path': FIXTURE_STORE,
    vmdk: 'none',
    ...extra,
  });

  it("takes the stage's snapshot by the key the stage action computes, and boots it with the fixture's grub.cfg", async () => {
    const outputDir = path.join(dir.path, 'job', 'images');
    const job = await runAction({ action: 'disk-image', jobDir: path.join(dir.path, 'job'), inputs: stageInputs({ 'output-dir': outputDir }) });
    assert.equal(job.main.exitCode, 0, job.main.stdout + job.main.stderr);
    assert.match(job.main.stdout, /stage gui: snapshot pizlix-gui-[0-9a-f]+ from the local store/);
    assert.equal(job.outputs.image, path.join(outputDir, 'disk.img'));
    assert.match(job.summary, /grub\.cfg pizlix-dir/);
    await run('rm', ['-rf', outputDir]);
  });

  // Keys chain on output digests: with another key-extra no stage of the chain is stored, so gui's key cannot be
  // known, and the error names the parent whose output it would hash.
  it('a stage the store does not hold for this checkout is a clear error naming what is missing', async () => {
    const outputDir = path.join(dir.path, 'job-miss', 'images');
    const job = await runAction({
      action: 'disk-image',
      jobDir: path.join(dir.path, 'job-miss'),
      inputs: stageInputs({ 'output-dir': outputDir, 'key-extra': 'another-runner-image' }),
    });
    assert.equal(job.main.exitCode, 1);
    assert.match(
      job.main.stdout,
      /::error::input 'stage': the local store holds no net snapshot for this checkout, so gui's key is unknown; expected build the chain up to gui first/,
    );
    await assert.rejects(stat(outputDir));
  });
});

describe('bad input', () => {
  let dir: TestDir;
  let good: string;

  before(async () => {
    dir = await makeTestDir('image-bad');
    good = await makeSnapshot(dir.path, 'good');
  });

  after(async () => {
    await dir?.remove();
  });

  async function expectFailure(name: string, request: Partial<Parameters<typeof buildDiskImage>[0]>, check: (err: unknown) => boolean): Promise<string> {
    const outputDir = path.join(dir.path, name);
    await assert.rejects(buildDiskImage({ snapshot: good, outputDir, ...request }), check);
    assert.deepEqual(await leftovers(outputDir), [], `${name}: nothing left in the output directory`);
    return outputDir;
  }

  it('refuses a snapshot without a kernel', async () => {
    const noKernel = await makeSnapshot(dir.path, 'no-kernel', { kernel: false });
    await expectFailure(
      'no-kernel',
      { snapshot: noKernel },
      (err) => err instanceof InputError && err.input === 'snapshot' && /no kernel in \/boot/.test(err.message),
    );
  });

  it('refuses a size too small for the content before extracting', async () => {
    const big = await makeSnapshot(dir.path, 'big', { bulkBytes: 96 * MiB });
    const started = Date.now();
    await expectFailure(
      'too-small',
      { snapshot: big, size: '100M' },
      (err) => err instanceof InputError && err.input === 'size' && /too small/.test(err.message) && /at least/.test(err.message),
    );
    assert.ok(Date.now() - started < 30_000);
  });

  it('refuses an unknown layout, a bad size, an unknown vmdk kind and a missing grub.cfg before creating anything', async () => {
    for (const [name, request, input] of [
      ['layout', { layout: 'msdos' }, 'layout'],
      ['size', { size: 'huge' }, 'size'],
      ['vmdk', { vmdk: 'ova' }, 'vmdk'],
      ['grub-cfg', { grubCfg: path.join(dir.path, 'missing-grub.cfg') }, 'grub-cfg'],
      ['snapshot', { snapshot: path.join(dir.path, 'missing.tar.gz') }, 'snapshot'],
    ] as const) {
      const outputDir = path.join(dir.path, `early-${name}`);
      await assert.rejects(buildDiskImage({ snapshot: good, outputDir, ...request }), (err) => err instanceof InputError && err.input === input);
      await assert.rejects(stat(outputDir), `${name}: output directory not created`);
    }
  });

  it("uses the grub.cfg given, and Pizlix's etc/grub.cfg by default", async () => {
    const pizlixDir = path.join(dir.path, 'pizlix');
    await mkdir(path.join(pizlixDir, 'etc'), { recursive: true });
    await writeFile(path.join(pizlixDir, 'etc', 'grub.cfg'), '# pizlix grub.cfg\nset root=(hd0,gpt4)\n');
    const outputDir = path.join(dir.path, 'pizlix-cfg');
    const result = await buildDiskImage({ snapshot: good, outputDir, size: '256M', vmdk: 'none', pizlixDir });
    assert.equal(result.grubCfg.source, 'pizlix-dir');
    assert.match(await debugfs(result.image, partitionByRole(result.plan, 'grub').startSector, 'cat /boot/grub/grub.cfg'), /# pizlix grub.cfg/);
    assert.deepEqual((await leftovers(outputDir)).sort(), ['SHA256SUMS', 'disk.img']);
  });

  it('removes its partial outputs when a late step fails', async () => {
    // A qemu-img that fails stands in for a conversion that breaks after disk.img was written.
    const fakeBin = path.join(dir.path, 'failing-bin');
    await mkdir(fakeBin);
    await writeFile(path.join(fakeBin, 'qemu-img'), '#!/bin/sh\necho "qemu-img: simulated failure" >&2\nexit 1\n', { mode: 0o755 });
    const savedPath = process.env.PATH;
    process.env.PATH = `${fakeBin}:${savedPath}`;
    try {
      await expectFailure('late-failure', { size: '256M', vmdk: 'stream' }, (err) => /simulated failure/.test(String(err)) && !(err instanceof PreflightError));
    } finally {
      process.env.PATH = savedPath;
    }
  });
});
