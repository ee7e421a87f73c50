/**
 * The disk layouts this toolkit knows, as partition plans in 512-byte sectors.
 *
 * Layout `pizlix` is the GPT of Pizlix's make_disk_image.sh, so that a snapshot's own /etc/fstab
 * (/dev/sda3 swap, /dev/sda4 root) and grub.cfg (`root=(hd0,gpt4)`) work unchanged:
 *   p1 1-2 MiB bios_grub · p2 2-20 MiB ext4 "grub" · p3 20 MiB-30 GiB swap · p4 30 GiB-end ext4 root.
 * On a disk smaller than Pizlix's 100 GiB the swap shrinks to 30 % of the disk (it ends at the
 * 30 GiB mark from a 100 GiB disk upwards), so the root partition keeps the rest.
 */
import { InputError } from '../util/errors.js';
import { formatBytes } from '../util/format.js';

export const SECTOR_BYTES = 512;
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
/** sfdisk's default first usable sector, and the alignment of every partition. */
const ALIGN_SECTORS = MiB / SECTOR_BYTES;
/** The backup GPT at the disk's end: 32 sectors of entries plus the header. */
const BACKUP_GPT_SECTORS = 33;

export const GPT_TYPE = {
  biosBoot: '21686148-6449-6E6F-744E-656564454649',
  linuxFilesystem: '0FC63DAF-8483-4772-8E79-3D69D8477DE4',
  linuxSwap: '0657FD6D-A4AB-43C4-84E5-0933C84B4F4F',
} as const;

export type PartitionRole = 'bios-boot' | 'grub' | 'swap' | 'root';

export interface PartitionPlan {
  /** 1-based partition number, as in /dev/sdaN and (hd0,gptN). */
  number: number;
  role: PartitionRole;
  name: string;
  type: string;
  startSector: number;
  sectors: number;
}

export interface DiskPlan {
  layout: string;
  diskBytes: number;
  partitions: PartitionPlan[];
}

export const LAYOUTS = ['pizlix'] as const;
export type LayoutName = (typeof LAYOUTS)[number];

export function isLayoutName(name: string): name is LayoutName {
  return (LAYOUTS as readonly string[]).includes(name);
}

const BIOS_BOOT = { start: 1 * MiB, end: 2 * MiB };
const GRUB_PART = { start: 2 * MiB, end: 20 * MiB };
const SWAP_START = 20 * MiB;
/** Where Pizlix's swap ends (and its root begins) on its 100 GiB disk. */
const PIZLIX_SWAP_END = 30 * GiB;
const SWAP_SHARE = 0.3;
/** Below this the root partition is useless; also keeps the swap at least a few MiB. */
const MIN_ROOT_BYTES = 64 * MiB;
const MIN_SWAP_BYTES = 4 * MiB;

function alignDown(bytes: number, unit: number): number {
  return Math.floor(bytes / unit) * unit;
}

function alignUp(bytes: number, unit: number): number {
  return Math.ceil(bytes / unit) * unit;
}

function swapEndFor(diskBytes: number): number {
  return Math.max(SWAP_START + MIN_SWAP_BYTES, Math.min(PIZLIX_SWAP_END, alignDown(diskBytes * SWAP_SHARE, MiB)));
}

/** Bytes left for the root partition on a disk of this size (last MiB keeps the backup GPT). */
function rootBytesFor(diskBytes: number): number {
  const lastUsableByte = diskBytes - BACKUP_GPT_SECTORS * SECTOR_BYTES;
  return alignDown(lastUsableByte - swapEndFor(diskBytes), MiB);
}

/** The smallest whole-MiB disk whose root partition holds `rootBytes`. */
export function diskBytesForRoot(rootBytes: number): number {
  // Two regimes: the swap takes 30 % of the disk, or it is capped at the 30 GiB mark.
  const scaled = alignUp((rootBytes + MiB) / (1 - SWAP_SHARE), MiB);
  let disk = scaled * SWAP_SHARE >= PIZLIX_SWAP_END ? alignUp(rootBytes + PIZLIX_SWAP_END + MiB, MiB) : scaled;
  while (rootBytesFor(disk) < rootBytes) disk += MiB;
  return disk;
}

/** The partition plan of `layout` on a disk of `diskBytes` (rounded up to whole MiB). */
export function planDisk(layout: string, diskBytes: number): DiskPlan {
  if (!isLayoutName(layout)) throw new InputError('layout', `unknown layout '${layout}'`, `one of: ${LAYOUTS.join(', ')}`);
  const disk = alignUp(diskBytes, MiB);
  const rootBytes = rootBytesFor(disk);
  if (rootBytes < MIN_ROOT_BYTES) {
    throw new InputError('size', `${formatBytes(disk)} leaves no room for a root partition`, `at least ${formatBytes(diskBytesForRoot(MIN_ROOT_BYTES))}`);
  }
  const swapEnd = swapEndFor(disk);
  const sectors = (bytes: number) => bytes / SECTOR_BYTES;
  return {
    layout,
    diskBytes: disk,
    partitions: [
      {
        number: 1,
        role: 'bios-boot',
        name: 'bios_grub',
        type: GPT_TYPE.biosBoot,
        startSector: sectors(BIOS_BOOT.start),
        sectors: sectors(BIOS_BOOT.end - BIOS_BOOT.start),
      },
      {
        number: 2,
        role: 'grub',
        name: 'grub',
        type: GPT_TYPE.linuxFilesystem,
        startSector: sectors(GRUB_PART.start),
        sectors: sectors(GRUB_PART.end - GRUB_PART.start),
      },
      { number: 3, role: 'swap', name: 'swap', type: GPT_TYPE.linuxSwap, startSector: sectors(SWAP_START), sectors: sectors(swapEnd - SWAP_START) },
      { number: 4, role: 'root', name: 'root', type: GPT_TYPE.linuxFilesystem, startSector: sectors(swapEnd), sectors: sectors(rootBytes) },
    ],
  };
}

export function partitionByRole(plan: DiskPlan, role: PartitionRole): PartitionPlan {
  const found = plan.partitions.find((p) => p.role === role);
  if (!found) throw new Error(`layout '${plan.layout}' has no ${role} partition`);
  return found;
}

export function partitionBytes(partition: PartitionPlan): { offset: number; size: number } {
  return { offset: partition.startSector * SECTOR_BYTES, size: partition.sectors * SECTOR_BYTES };
}

/** The plan as an sfdisk script (`sfdisk IMAGE < script`). */
export function sfdiskScript(plan: DiskPlan): string {
  const lines = ['label: gpt', 'unit: sectors', `first-lba: ${ALIGN_SECTORS}`, `sector-size: ${SECTOR_BYTES}`, ''];
  for (const p of plan.partitions) {
    lines.push(`start=${p.startSector}, size=${p.sectors}, type=${p.type}, name="${p.name}"`);
  }
  return `${lines.join('\n')}\n`;
}
