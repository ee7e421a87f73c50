/**
 * Builds a bootable BIOS disk image from a root-filesystem snapshot, with no loop device, no mount
 * and no grub-install: the snapshot is extracted to a work directory, each partition is written
 * straight into a sparse image file, and GRUB's boot.img and core.img are placed by hand.
 *
 * Every input is checked before anything large is written; outputs are written as *.partial and
 * renamed at the end; a failed run removes its partial outputs and its work directory.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdir, open, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { extractSnapshot, validateArchive, type ArchiveSummary } from '../rootfs/archive.js';
import { InputError, PreflightError } from '../util/errors.js';
import { run, which } from '../util/exec.js';
import { formatBytes, formatDuration, parseSize } from '../util/format.js';
import { sha256File } from '../util/hash.js';
import { group, log } from '../util/log.js';
import { ByteProgress } from '../util/progress.js';
import { compressWithZstd } from './compress.js';
import { measureTree, type TreeContent } from './content.js';
import { ext4Shortfall, ext4SizeWithHeadroom, writeExt4 } from './ext4.js';
import { FakerootSession, runningAsRoot } from './fakeroot.js';
import { GRUB_I386_PC_DIR, grubPrefix, installBiosBoot, makeCoreImage, readBootImage } from './grub.js';
import { checkGrubCfgInput, findKernel, resolveGrubCfg, type GrubCfgSource, type KernelFiles } from './grub-cfg.js';
import { diskBytesForRoot, isLayoutName, LAYOUTS, partitionByRole, partitionBytes, planDisk, type DiskPlan, type LayoutName } from './layout.js';
import { writePartitionTable } from './partition-table.js';
import { writeSwapSignature } from './swap.js';
import { isVmdkKind, VMDK_KINDS, writeFlatDescriptor, writeStreamOptimized, type VmdkKind } from './vmdk.js';

export const OUTPUT_NAMES = { image: 'disk.img', vmdk: 'disk.vmdk', compressed: 'disk.img.zst', sums: 'SHA256SUMS' } as const;

export interface DiskImageRequest {
  /** A stage snapshot: tar, .tar.gz or .tar.zst. */
  snapshot: string;
  outputDir: string;
  /** Disk size such as "100G"; empty or undefined: the content plus headroom. */
  size?: string;
  layout?: string;
  /** A grub.cfg to install; default <pizlixDir>/etc/grub.cfg when it exists, else generated. */
  grubCfg?: string;
  pizlixDir?: string;
  vmdk?: string;
  compress?: boolean;
  /** Where the snapshot is extracted; default a fresh directory inside outputDir. */
  workDir?: string;
}

export interface DiskImageResult {
  image: string;
  vmdk?: string;
  compressed?: string;
  sha256sums: string;
  /** Apparent size of disk.img and the bytes it occupies on disk (it is sparse). */
  imageBytes: number;
  allocatedBytes: number;
  vmdkBytes?: number;
  compressedBytes?: number;
  plan: DiskPlan;
  kernel: KernelFiles;
  grubCfg: { source: GrubCfgSource; origin: string };
  content: TreeContent;
  seconds: Record<'check' | 'extract' | 'image' | 'vmdk' | 'compress' | 'checksums' | 'total', number>;
}

interface CheckedRequest {
  snapshot: string;
  outputDir: string;
  sizeBytes?: number;
  layout: LayoutName;
  grubCfg?: string;
  pizlixDir?: string;
  vmdk: VmdkKind;
  compress: boolean;
  asRoot: boolean;
}

/** Validates every input that can be judged without reading the snapshot. */
export async function checkRequest(request: DiskImageRequest): Promise<CheckedRequest> {
  const layout = request.layout?.trim() || 'pizlix';
  if (!isLayoutName(layout)) throw new InputError('layout', `unknown layout '${layout}'`, `one of: ${LAYOUTS.join(', ')}`);
  const vmdk = request.vmdk?.trim() || 'flat';
  if (!isVmdkKind(vmdk)) throw new InputError('vmdk', `unknown kind '${vmdk}'`, `one of: ${VMDK_KINDS.join(', ')}`);
  let sizeBytes: number | undefined;
  if (request.size?.trim()) {
    sizeBytes = parseSize(request.size);
    if (sizeBytes === undefined || sizeBytes <= 0) throw new InputError('size', `cannot read '${request.size}' as a size`, 'a size such as 100G, 8GiB or 4096M');
    planDisk(layout, sizeBytes); // throws when the disk cannot even hold the fixed partitions
  }
  if (!request.snapshot) throw new InputError('snapshot', 'is empty', 'the path of a stage snapshot (.tar, .tar.gz, .tar.zst)');
  const snapshotInfo = await stat(request.snapshot).catch(() => undefined);
  if (!snapshotInfo?.isFile()) throw new InputError('snapshot', `${request.snapshot} is not a file`, 'the path of a stage snapshot (.tar, .tar.gz, .tar.zst)');
  const grubCfg = request.grubCfg?.trim() || undefined;
  await checkGrubCfgInput(grubCfg);
  const pizlixDir = request.pizlixDir?.trim() || undefined;
  if (pizlixDir && !(await stat(pizlixDir).catch(() => undefined))?.isDirectory()) {
    throw new InputError('pizlix-dir', `${pizlixDir} is not a directory`, 'the pizlix/ folder of a Fil-C checkout');
  }
  if (!request.outputDir) throw new InputError('output-dir', 'is empty', 'a directory for disk.img and its companions');
  const outputDir = path.resolve(request.outputDir);
  const asRoot = runningAsRoot();
  await preflight(vmdk, request.compress ?? false, asRoot);
  return { snapshot: path.resolve(request.snapshot), outputDir, sizeBytes, layout, grubCfg, pizlixDir, vmdk, compress: request.compress ?? false, asRoot };
}

async function preflight(vmdk: VmdkKind, compress: boolean, asRoot: boolean): Promise<void> {
  const tools = ['tar', 'sfdisk', 'mke2fs', 'grub-mkimage'];
  if (vmdk === 'stream') tools.push('qemu-img');
  if (compress) tools.push('zstd');
  if (!asRoot) tools.push('fakeroot');
  const problems: string[] = [];
  for (const tool of tools) {
    if (!(await which(tool))) {
      const why = tool === 'fakeroot' ? ' (not running as root: owners, device nodes and setuid bits of the snapshot need root or one fakeroot session)' : '';
      problems.push(`${tool} is not installed${why}`);
    }
  }
  if (!(await stat(path.join(GRUB_I386_PC_DIR, 'boot.img')).catch(() => undefined))) {
    problems.push(`${GRUB_I386_PC_DIR}/boot.img is missing: install GRUB's BIOS images (Debian/Ubuntu package grub-pc-bin)`);
  }
  if (problems.length > 0) throw new PreflightError(problems);
}

/** A lower bound of the content from the archive's headers alone, to refuse a too-small size before extracting. */
function contentFromHeaders(summary: ArchiveSummary): TreeContent {
  return { inodes: summary.members, blockBytes: summary.bytes, apparentBytes: summary.bytes };
}

function requireRootFits(plan: DiskPlan, content: TreeContent, sizeInput: string): void {
  const root = partitionBytes(partitionByRole(plan, 'root'));
  const shortfall = ext4Shortfall(content, root.size);
  if (shortfall) {
    const needed = diskBytesForRoot(ext4SizeWithHeadroom(content));
    throw new InputError('size', `${sizeInput} is too small for the snapshot: the root partition would be ${formatBytes(root.size)}, and ${shortfall}`, `at least ${formatBytes(needed)} (or leave it empty for the content plus headroom)`);
  }
}

/** Tracks the files a run creates so a failure removes exactly those. */
class OutputSet {
  private readonly created: string[] = [];

  constructor(readonly dir: string) {}

  partial(name: string): string {
    const file = path.join(this.dir, `${name}.partial`);
    this.created.push(file);
    return file;
  }

  async commit(name: string): Promise<string> {
    const final = path.join(this.dir, name);
    await rename(`${final}.partial`, final);
    this.created.push(final);
    return final;
  }

  async removeAll(): Promise<void> {
    await Promise.all(this.created.map((f) => rm(f, { force: true })));
  }

  /** For signal handlers, which cannot wait. */
  removeAllSync(): void {
    for (const file of this.created) rmSync(file, { force: true });
  }
}

/** A cancelled job (the runner sends SIGINT, then SIGTERM) must not leave gigabytes behind: remove
 *  this run's files, then die of the same signal. */
function cleanUpOnSignal(cleanup: () => void): () => void {
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
  const handler = (signal: NodeJS.Signals) => {
    for (const s of signals) process.removeListener(s, handler);
    log.warning(`${signal}: removing the partial disk image`);
    cleanup();
    process.kill(process.pid, signal);
  };
  for (const s of signals) process.once(s, handler);
  return () => {
    for (const s of signals) process.removeListener(s, handler);
  };
}

export async function buildDiskImage(request: DiskImageRequest): Promise<DiskImageResult> {
  const started = Date.now();
  const checked = await checkRequest(request);
  await mkdir(checked.outputDir, { recursive: true });
  const workDir = request.workDir ? path.resolve(request.workDir) : path.join(checked.outputDir, `.disk-image-work-${randomBytes(4).toString('hex')}`);
  await mkdir(workDir, { recursive: false });
  const outputs = new OutputSet(checked.outputDir);
  const stopWatchingSignals = cleanUpOnSignal(() => {
    outputs.removeAllSync();
    rmSync(workDir, { recursive: true, force: true });
  });
  try {
    return await buildInto(checked, workDir, outputs, started);
  } catch (err) {
    await outputs.removeAll();
    throw err;
  } finally {
    stopWatchingSignals();
    await rm(workDir, { recursive: true, force: true });
  }
}

async function buildInto(req: CheckedRequest, workDir: string, outputs: OutputSet, started: number): Promise<DiskImageResult> {
  const seconds = { check: 0, extract: 0, image: 0, vmdk: 0, compress: 0, checksums: 0, total: 0 };
  const timed = async <T>(step: keyof typeof seconds, fn: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    try {
      return await fn();
    } finally {
      seconds[step] = (Date.now() - t0) / 1000;
    }
  };
  const rootDir = path.join(workDir, 'root');
  await mkdir(rootDir);
  const fakeroot = req.asRoot ? undefined : new FakerootSession(workDir);

  const summary = await timed('check', () => group('Checking the snapshot', async () => {
    const headers = await validateArchive(req.snapshot);
    log.info(`${req.snapshot}: ${headers.members} members, ${formatBytes(headers.bytes)} of file data`);
    if (req.sizeBytes !== undefined) requireRootFits(planDisk(req.layout, req.sizeBytes), contentFromHeaders(headers), formatBytes(req.sizeBytes));
    return headers;
  }));

  await timed('extract', () => group('Extracting the snapshot', () => extractRoot(req.snapshot, rootDir, summary, fakeroot)));

  const kernel = await findKernel(rootDir);
  if (!kernel) throw new InputError('snapshot', `${req.snapshot} has no kernel in /boot`, 'a root file system with /boot/vmlinuz-<version> (Pizlix: /boot/vmlinuz-6.10.5-lfs-12.2)');
  const content = await measureTree(rootDir);
  const plan = req.sizeBytes !== undefined ? planDisk(req.layout, req.sizeBytes) : planDisk(req.layout, diskBytesForRoot(ext4SizeWithHeadroom(content)));
  requireRootFits(plan, content, formatBytes(plan.diskBytes));
  const rootPartition = partitionByRole(plan, 'root');
  const grubCfg = await resolveGrubCfg({ given: req.grubCfg, pizlixDir: req.pizlixDir, kernel, rootPartition: rootPartition.number });
  log.info(`kernel ${kernel.kernel}${kernel.initrd ? ` with ${kernel.initrd}` : ', no initrd'}; grub.cfg ${grubCfg.source} (${grubCfg.origin})`);
  log.info(`content: ${content.inodes} inodes, ${formatBytes(content.apparentBytes)}; disk ${formatBytes(plan.diskBytes)}, root partition ${formatBytes(partitionBytes(rootPartition).size)}`);

  const image = outputs.partial(OUTPUT_NAMES.image);
  await timed('image', () => group('Writing the disk image', () => writeImage(image, plan, rootDir, grubCfg.text, workDir, fakeroot)));

  let vmdkFile: string | undefined;
  if (req.vmdk !== 'none') {
    vmdkFile = outputs.partial(OUTPUT_NAMES.vmdk);
    await timed('vmdk', () =>
      group(`Writing the ${req.vmdk} VMDK`, () => (req.vmdk === 'flat' ? writeFlatDescriptor(vmdkFile!, plan.diskBytes, OUTPUT_NAMES.image) : writeStreamOptimized(image, vmdkFile!))),
    );
    if (req.vmdk === 'stream') await run('qemu-img', ['check', '-q', '-f', 'vmdk', vmdkFile]);
  }
  let compressedFile: string | undefined;
  if (req.compress) {
    compressedFile = outputs.partial(OUTPUT_NAMES.compressed);
    await timed('compress', () => group('Compressing the image', () => compressWithZstd(image, compressedFile!)));
  }

  const sumsFile = outputs.partial(OUTPUT_NAMES.sums);
  const lines: string[] = [];
  await timed('checksums', () =>
    group('Checksums', async () => {
      for (const [file, name] of [
        [image, OUTPUT_NAMES.image],
        [vmdkFile, OUTPUT_NAMES.vmdk],
        [compressedFile, OUTPUT_NAMES.compressed],
      ] as const) {
        if (!file) continue;
        const progress = new ByteProgress(`sha256 ${name}`, (await stat(file)).size);
        lines.push(`${await sha256File(file, progress)}  ${name}`);
        progress.finish();
      }
      await writeFile(sumsFile, `${lines.join('\n')}\n`);
    }),
  );

  const imageInfo = await stat(image);
  const result: DiskImageResult = {
    image: await outputs.commit(OUTPUT_NAMES.image),
    sha256sums: '',
    imageBytes: imageInfo.size,
    allocatedBytes: imageInfo.blocks * 512,
    plan,
    kernel,
    grubCfg: { source: grubCfg.source, origin: grubCfg.origin },
    content,
    seconds,
  };
  if (vmdkFile) {
    result.vmdkBytes = (await stat(vmdkFile)).size;
    result.vmdk = await outputs.commit(OUTPUT_NAMES.vmdk);
  }
  if (compressedFile) {
    result.compressedBytes = (await stat(compressedFile)).size;
    result.compressed = await outputs.commit(OUTPUT_NAMES.compressed);
  }
  result.sha256sums = await outputs.commit(OUTPUT_NAMES.sums);
  seconds.total = (Date.now() - started) / 1000;
  log.info(`disk image ${result.image}: ${formatBytes(result.imageBytes)} (${formatBytes(result.allocatedBytes)} allocated) in ${formatDuration(seconds.total)}`);
  return result;
}

/** As root: the project's validated extraction. Otherwise: GNU tar inside the fakeroot session. */
async function extractRoot(snapshot: string, rootDir: string, validated: ArchiveSummary, fakeroot?: FakerootSession): Promise<void> {
  if (!fakeroot) {
    await extractSnapshot(snapshot, rootDir, { validated });
    return;
  }
  log.info('not running as root: extracting inside a fakeroot session so the image keeps the snapshot owners');
  await fakeroot.start();
  const [cmd, args] = fakeroot.wrap('tar', ['-x', '-p', '--numeric-owner', '--same-owner', '-f', snapshot, '-C', rootDir]);
  await run(cmd, args);
}

async function createSparseFile(file: string, bytes: number): Promise<void> {
  const handle = await open(file, 'w');
  try {
    await handle.truncate(bytes);
  } finally {
    await handle.close();
  }
}

async function writeImage(image: string, plan: DiskPlan, rootDir: string, grubCfgText: string, workDir: string, fakeroot?: FakerootSession): Promise<void> {
  await createSparseFile(image, plan.diskBytes);
  await writePartitionTable(image, plan);

  const grubPartition = partitionByRole(plan, 'grub');
  const grubTree = path.join(workDir, 'grub-partition');
  await mkdir(path.join(grubTree, 'boot', 'grub'), { recursive: true });
  await writeFile(path.join(grubTree, 'boot', 'grub', 'grub.cfg'), grubCfgText);
  const grubBytes = partitionBytes(grubPartition);
  await writeExt4({ image, offsetBytes: grubBytes.offset, sizeBytes: grubBytes.size, label: 'grub', sourceDir: grubTree });

  const swap = partitionBytes(partitionByRole(plan, 'swap'));
  await writeSwapSignature({ image, offsetBytes: swap.offset, sizeBytes: swap.size, label: 'swap' });

  const root = partitionBytes(partitionByRole(plan, 'root'));
  await writeExt4({ image, offsetBytes: root.offset, sizeBytes: root.size, label: 'root', sourceDir: rootDir, rootGeometry: true, wrap: fakeroot && ((c, a) => fakeroot.wrap(c, a)) });

  const biosBoot = partitionByRole(plan, 'bios-boot');
  const coreImg = await makeCoreImage(path.join(workDir, 'core.img'), grubPrefix(grubPartition.number));
  await installBiosBoot({ image, partitionStartSector: biosBoot.startSector, partitionSectors: biosBoot.sectors, bootImg: await readBootImage(), coreImg });
}
