/**
 * Builds a bootable BIOS disk image from a root-filesystem snapshot, with no loop device, no mount
 * and no grub-install: each partition is written straight into a sparse image file, the root by
 * mke2fs from the snapshot itself where e2fsprogs reads tarballs (1.47.1 and later), else from one
 * extraction to a work directory, and GRUB's boot.img and core.img are placed by hand. One read of
 * the finished image gives its sha256 (and disk.img.zst), never reading its holes.
 *
 * Every input is checked before anything large is written; outputs are written as *.partial and
 * renamed at the end; a failed run removes its partial outputs and its work directory.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, open, rename, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { checksumFiles, formatChecksums, IMAGE_FILES } from '../release/checksums.js';
import { extractSnapshot, scanArchive, type ArchiveSummary } from '../rootfs/archive.js';
import { InputError, PreflightError } from '../util/errors.js';
import { requirePizlixDir } from '../chain/pizlix-dir.js';
import { run, which } from '../util/exec.js';
import { formatBytes, formatDuration, parseSize } from '../util/format.js';
import { group, log } from '../util/log.js';
import { onCancel } from '../util/cancel.js';
import { contentOf, type TreeContent } from './content.js';
import { ext4Shortfall, ext4SizeWithHeadroom, mke2fsReadsTarballs, writeExt4 } from './ext4.js';
import { FakerootSession, runningAsRoot } from './fakeroot.js';
import { GRUB_I386_PC_DIR, grubPrefix, installBiosBoot, makeCoreImage, readBootImage } from './grub.js';
import { checkGrubCfgInput, findKernel, findKernelInListing, resolveGrubCfg, type GrubCfgSource, type KernelFiles } from './grub-cfg.js';
import { ImageDigest } from './image-digest.js';
import { diskBytesForRoot, isLayoutName, LAYOUTS, partitionByRole, partitionBytes, planDisk, type DiskPlan, type LayoutName } from './layout.js';
import { writePartitionTable } from './partition-table.js';
import { writeSwapSignature } from './swap.js';
import { isVmdkKind, VMDK_KINDS, writeFlatDescriptor, writeStreamOptimized, type VmdkKind } from './vmdk.js';

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
  /** `tree`: extract the snapshot even where mke2fs could read it itself (to compare the routes). */
  rootFrom?: 'auto' | 'tree';
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
  /** `tarball`: mke2fs read the snapshot itself; `tree`: from the extracted tree. */
  rootFrom: 'tarball' | 'tree';
  /** check: the header pass (tarball route); extract: check and extraction in one pass (tree route);
   *  checksums: the read of disk.img for its sha256 and disk.img.zst, and the other files' hashes. */
  seconds: Record<'check' | 'extract' | 'image' | 'vmdk' | 'checksums' | 'total', number>;
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
  /** mke2fs builds the root from the snapshot itself (e2fsprogs 1.47.1 and later with libarchive). */
  mke2fsReadsTarballs: boolean;
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
    if (sizeBytes === undefined || sizeBytes <= 0)
      throw new InputError('size', `cannot read '${request.size}' as a size`, 'a size such as 100G, 8GiB or 4096M');
    planDisk(layout, sizeBytes); // throws when the disk cannot even hold the fixed partitions
  }
  if (!request.snapshot) throw new InputError('snapshot', 'is empty', 'the path of a stage snapshot (.tar, .tar.gz, .tar.zst)');
  const snapshotInfo = await stat(request.snapshot).catch(() => undefined);
  if (!snapshotInfo?.isFile()) throw new InputError('snapshot', `${request.snapshot} is not a file`, 'the path of a stage snapshot (.tar, .tar.gz, .tar.zst)');
  const grubCfg = request.grubCfg?.trim() || undefined;
  await checkGrubCfgInput(grubCfg);
  const pizlixDir = request.pizlixDir?.trim() ? requirePizlixDir(request.pizlixDir.trim()) : undefined;
  if (!request.outputDir) throw new InputError('output-dir', 'is empty', 'a directory for disk.img and its companions');
  const outputDir = path.resolve(request.outputDir);
  const asRoot = runningAsRoot();
  const readsTarballs = request.rootFrom !== 'tree' && (await probeMke2fs());
  await preflight(vmdk, request.compress ?? false, asRoot || readsTarballs);
  return {
    snapshot: path.resolve(request.snapshot),
    outputDir,
    sizeBytes,
    layout,
    grubCfg,
    pizlixDir,
    vmdk,
    compress: request.compress ?? false,
    asRoot,
    mke2fsReadsTarballs: readsTarballs,
  };
}

async function probeMke2fs(): Promise<boolean> {
  if (!(await which('mke2fs'))) return false;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pizlix-mke2fs-'));
  try {
    return await mke2fsReadsTarballs(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** @param ownersKept root, or an mke2fs that reads the snapshot itself: no fakeroot needed. */
async function preflight(vmdk: VmdkKind, compress: boolean, ownersKept: boolean): Promise<void> {
  const tools = ['tar', 'sfdisk', 'mke2fs', 'grub-mkimage'];
  if (vmdk === 'stream') tools.push('qemu-img');
  if (compress) tools.push('zstd');
  if (!ownersKept) tools.push('fakeroot');
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

function requireRootFits(plan: DiskPlan, content: TreeContent, sizeInput: string): void {
  const root = partitionBytes(partitionByRole(plan, 'root'));
  const shortfall = ext4Shortfall(content, root.size);
  if (shortfall) {
    const needed = diskBytesForRoot(ext4SizeWithHeadroom(content));
    throw new InputError(
      'size',
      `${sizeInput} is too small for the snapshot: the root partition would be ${formatBytes(root.size)}, and ${shortfall}`,
      `at least ${formatBytes(needed)} (or leave it empty for the content plus headroom)`,
    );
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

/** A cancelled job must not leave gigabytes behind: this run's files are removed before the process goes. */
function cleanUpOnSignal(cleanup: () => void): () => void {
  return onCancel(() => {
    log.warning('removing the partial disk image');
    cleanup();
  });
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

/** Seconds of each step, for the log, the job summary and the benchmark. */
class StepClock {
  readonly seconds: DiskImageResult['seconds'] = { check: 0, extract: 0, image: 0, vmdk: 0, checksums: 0, total: 0 };

  async time<T>(step: keyof DiskImageResult['seconds'], fn: () => Promise<T>): Promise<T> {
    const t0 = Date.now();
    try {
      return await fn();
    } finally {
      this.seconds[step] += (Date.now() - t0) / 1000;
    }
  }
}

/** What the root file system is made from: the snapshot itself (mke2fs reads tarballs) or a tree extracted from it. */
interface RootSource {
  /** Passed to mke2fs -d. */
  path: string;
  route: 'tarball' | 'tree';
  summary: ArchiveSummary;
  kernel: KernelFiles;
  fakeroot?: FakerootSession;
}

async function buildInto(req: CheckedRequest, workDir: string, outputs: OutputSet, started: number): Promise<DiskImageResult> {
  const clock = new StepClock();
  const root = await readRoot(req, workDir, clock);
  const content = contentOf(root.summary);
  const plan = req.sizeBytes !== undefined ? planDisk(req.layout, req.sizeBytes) : planDisk(req.layout, diskBytesForRoot(ext4SizeWithHeadroom(content)));
  requireRootFits(plan, content, formatBytes(plan.diskBytes));
  const rootPartition = partitionByRole(plan, 'root');
  const grubCfg = await resolveGrubCfg({ given: req.grubCfg, pizlixDir: req.pizlixDir, kernel: root.kernel, rootPartition: rootPartition.number });
  log.info(`kernel ${root.kernel.kernel}${root.kernel.initrd ? ` with ${root.kernel.initrd}` : ', no initrd'}; grub.cfg ${grubCfg.source} (${grubCfg.origin})`);
  log.info(
    `content: ${content.inodes} inodes, ${formatBytes(content.apparentBytes)}; disk ${formatBytes(plan.diskBytes)}, root partition ${formatBytes(partitionBytes(rootPartition).size)}`,
  );

  const image = outputs.partial(IMAGE_FILES.image);
  const compressedFile = req.compress ? outputs.partial(IMAGE_FILES.compressed) : undefined;
  const digest = new ImageDigest(image, plan.diskBytes, compressedFile);
  let vmdkFile: string | undefined;
  let sums: string;
  try {
    await clock.time('image', () => group('Writing the disk image', () => writeImage(image, plan, root, grubCfg.text, workDir, digest)));
    vmdkFile = await clock.time('vmdk', () => writeVmdk(req.vmdk, image, plan, outputs));
    sums = await clock.time('checksums', () =>
      group('Checksums', () => writeChecksums(outputs, digest, { image, vmdk: vmdkFile, compressed: compressedFile })),
    );
  } catch (err) {
    digest.abort();
    throw err;
  }

  const result = await commitOutputs(
    outputs,
    { image, vmdk: vmdkFile, compressed: compressedFile, sums },
    { plan, kernel: root.kernel, grubCfg: { source: grubCfg.source, origin: grubCfg.origin }, content, rootFrom: root.route, seconds: clock.seconds },
  );
  clock.seconds.total = (Date.now() - started) / 1000;
  log.info(
    `disk image ${result.image}: ${formatBytes(result.imageBytes)} (${formatBytes(result.allocatedBytes)} allocated) in ${formatDuration(clock.seconds.total)} (${root.route === 'tarball' ? 'root written by mke2fs from the snapshot itself' : 'root written from the extracted tree'})`,
  );
  return result;
}

/**
 * Reads the snapshot once into what the root file system is made from. Where mke2fs reads tarballs,
 * a header pass checks the archive, counts its content and finds the kernel, and mke2fs later reads
 * the snapshot itself; elsewhere one extraction does all of that at once.
 */
async function readRoot(req: CheckedRequest, workDir: string, clock: StepClock): Promise<RootSource> {
  // With a size given, a snapshot that cannot fit is refused as soon as its headers say so.
  const withinLimits = req.sizeBytes !== undefined ? fitsIn(planDisk(req.layout, req.sizeBytes)) : undefined;
  if (req.mke2fsReadsTarballs) {
    const summary = await clock.time('check', () => group('Checking the snapshot', () => scanArchive(req.snapshot, { withinLimits })));
    log.info(`${req.snapshot}: ${summary.members} members, ${formatBytes(summary.bytes)} of file data`);
    if (summary.parentsListed) return { path: req.snapshot, route: 'tarball', summary, kernel: requireKernel(req, await findKernelInListing(summary.boot)) };
    log.info('some directories of the snapshot have no entry of their own, which mke2fs needs to read it as a tarball: extracting it instead');
  }
  if (!req.asRoot && !(await which('fakeroot')))
    throw new PreflightError([
      'fakeroot is not installed (not running as root, and this mke2fs cannot read the snapshot itself: the extracted tree needs root or one fakeroot session to keep owners)',
    ]);
  const rootDir = path.join(workDir, 'root');
  await mkdir(rootDir);
  const fakeroot = req.asRoot ? undefined : new FakerootSession(workDir);
  if (fakeroot) {
    log.info('not running as root: extracting inside a fakeroot session so the image keeps the snapshot owners');
    await fakeroot.start();
  }
  const wrap = fakeroot && ((c: string, a: string[]) => fakeroot.wrap(c, a));
  const summary = await clock.time('extract', () => group('Extracting the snapshot', () => extractSnapshot(req.snapshot, rootDir, { withinLimits, wrap })));
  return { path: rootDir, route: 'tree', summary, kernel: requireKernel(req, await findKernel(rootDir)), fakeroot };
}

function requireKernel(req: CheckedRequest, kernel: KernelFiles | undefined): KernelFiles {
  if (!kernel)
    throw new InputError(
      'snapshot',
      `${req.snapshot} has no kernel in /boot`,
      'a root file system with /boot/vmlinuz-<version> (Pizlix: /boot/vmlinuz-6.10.5-lfs-12.2)',
    );
  return kernel;
}

function fitsIn(plan: DiskPlan): (soFar: ArchiveSummary) => void {
  const sizeInput = formatBytes(plan.diskBytes);
  return (soFar) => requireRootFits(plan, contentOf(soFar), sizeInput);
}

async function writeVmdk(kind: VmdkKind, image: string, plan: DiskPlan, outputs: OutputSet): Promise<string | undefined> {
  if (kind === 'none') return undefined;
  const vmdkFile = outputs.partial(IMAGE_FILES.vmdk);
  await group(`Writing the ${kind} VMDK`, async () => {
    if (kind === 'flat') return writeFlatDescriptor(vmdkFile, plan.diskBytes, IMAGE_FILES.image);
    await writeStreamOptimized(image, vmdkFile);
    await run('qemu-img', ['check', '-q', '-f', 'vmdk', vmdkFile]);
  });
  return vmdkFile;
}

/** SHA256SUMS of every output: disk.img's hash from the image digest, the others (small, dense) read. */
async function writeChecksums(outputs: OutputSet, digest: ImageDigest, files: { image: string; vmdk?: string; compressed?: string }): Promise<string> {
  const imageHash = await digest.finish();
  const entries = [
    { file: files.image, name: IMAGE_FILES.image },
    ...(files.vmdk ? [{ file: files.vmdk, name: IMAGE_FILES.vmdk }] : []),
    ...(files.compressed ? [{ file: files.compressed, name: IMAGE_FILES.compressed }] : []),
  ];
  const sums = await checksumFiles(entries, new Map([[IMAGE_FILES.image, imageHash]]));
  const sumsFile = outputs.partial(IMAGE_FILES.sums);
  await writeFile(sumsFile, formatChecksums(sums));
  return sumsFile;
}

async function commitOutputs(
  outputs: OutputSet,
  files: { image: string; vmdk?: string; compressed?: string; sums: string },
  facts: Pick<DiskImageResult, 'plan' | 'kernel' | 'grubCfg' | 'content' | 'rootFrom' | 'seconds'>,
): Promise<DiskImageResult> {
  const imageInfo = await stat(files.image);
  const result: DiskImageResult = {
    ...facts,
    image: await outputs.commit(IMAGE_FILES.image),
    sha256sums: '',
    imageBytes: imageInfo.size,
    allocatedBytes: imageInfo.blocks * 512,
  };
  if (files.vmdk) {
    result.vmdkBytes = (await stat(files.vmdk)).size;
    result.vmdk = await outputs.commit(IMAGE_FILES.vmdk);
  }
  if (files.compressed) {
    result.compressedBytes = (await stat(files.compressed)).size;
    result.compressed = await outputs.commit(IMAGE_FILES.compressed);
  }
  result.sha256sums = await outputs.commit(IMAGE_FILES.sums);
  return result;
}

async function createSparseFile(file: string, bytes: number): Promise<void> {
  const handle = await open(file, 'w');
  try {
    await handle.truncate(bytes);
  } finally {
    await handle.close();
  }
}

/**
 * Everything but the root file system first (partition table, GRUB's partition, swap signature,
 * boot.img and core.img), then the root. While mke2fs writes the root, the digest reads the part of
 * the image before it, which is final by then: on Pizlix's 100 GiB disk that is the 30 GiB swap.
 */
async function writeImage(image: string, plan: DiskPlan, root: RootSource, grubCfgText: string, workDir: string, digest: ImageDigest): Promise<void> {
  await createSparseFile(image, plan.diskBytes);
  await writePartitionTable(image, plan);

  const grubPartition = partitionByRole(plan, 'grub');
  const grubTree = path.join(workDir, 'grub-partition');
  await mkdir(path.join(grubTree, 'boot', 'grub'), { recursive: true });
  await writeFile(path.join(grubTree, 'boot', 'grub', 'grub.cfg'), grubCfgText);
  const grubBytes = partitionBytes(grubPartition);
  await writeExt4({ image, offsetBytes: grubBytes.offset, sizeBytes: grubBytes.size, label: 'grub', source: grubTree });

  const swap = partitionBytes(partitionByRole(plan, 'swap'));
  await writeSwapSignature({ image, offsetBytes: swap.offset, sizeBytes: swap.size, label: 'swap' });

  const biosBoot = partitionByRole(plan, 'bios-boot');
  const coreImg = await makeCoreImage(path.join(workDir, 'core.img'), grubPrefix(grubPartition.number));
  await installBiosBoot({ image, partitionStartSector: biosBoot.startSector, partitionSectors: biosBoot.sectors, bootImg: await readBootImage(), coreImg });

  const rootBytes = partitionBytes(partitionByRole(plan, 'root'));
  const fakeroot = root.fakeroot;
  const writing = writeExt4({
    image,
    offsetBytes: rootBytes.offset,
    sizeBytes: rootBytes.size,
    label: 'root',
    source: root.path,
    rootGeometry: true,
    wrap: fakeroot && ((c, a) => fakeroot.wrap(c, a)),
  });
  const hashing = digest.hashTo(rootBytes.offset);
  const [written, hashed] = await Promise.allSettled([writing, hashing]);
  if (written.status === 'rejected') throw written.reason;
  if (hashed.status === 'rejected') throw hashed.reason;
}
