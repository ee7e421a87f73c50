/**
 * GRUB for BIOS without grub-install (which needs a block device): `grub-mkimage` makes core.img,
 * and we place boot.img and core.img into the image file the way GRUB's own installer
 * (util/setup.c) does for a core.img embedded in a GPT `bios_grub` partition.
 *
 * boot.img (one sector, goes to the MBR) — offsets from grub-core/boot/i386/pc/boot.S:
 *   0x03-0x5A  BPB area: kept from the sector already on disk
 *   0x5C       kernel_sector: 64-bit LE sector of core.img's first sector (GRUB's default 1)
 *   0x66       boot_drive_check: a 2-byte jmp, replaced by two NOPs for hard disks
 *   0x1B8-0x1FE  disk signature and partition table: kept from the disk (our protective MBR)
 * core.img's first sector (diskboot.img) ends with a blocklist {start u64, len u16, segment u16}:
 *   0x1F4      start: 64-bit LE sector of core.img's remainder (GRUB's default 2)
 *   0x1FC      len: sectors of the remainder (set by grub-mkimage)
 */
import { open, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { run } from '../util/exec.js';
import { SECTOR_BYTES } from './layout.js';

export const GRUB_I386_PC_DIR = '/usr/lib/grub/i386-pc';

/** Byte offsets GRUB defines; exported so tests can check them against GRUB's pristine images. */
export const BOOT_IMG = {
  bpbStart: 0x03,
  bpbEnd: 0x5a,
  kernelSector: 0x5c,
  driveCheck: 0x66,
  partitionTableStart: 0x1b8,
  partitionTableEnd: 0x1fe,
  /** What GRUB ships at kernelSector: core.img right after the MBR. */
  defaultKernelSector: 1n,
} as const;

export const CORE_IMG = {
  blocklistStart: 0x1f4,
  blocklistLength: 0x1fc,
  blocklistSegment: 0x1fe,
  defaultBlocklistStart: 2n,
} as const;

const NOP = 0x90;

/** Modules built into core.img: enough to read grub.cfg from an ext4 on GPT, talk on the serial
 *  port and boot Linux (the set measured to boot a Pizlix-layout image). */
export const CORE_MODULES = ['biosdisk', 'part_gpt', 'ext2', 'normal', 'linux', 'echo', 'serial', 'terminal', 'configfile', 'test', 'search'];

/** GRUB's prefix: grub.cfg lives on the second GPT partition under /boot/grub. */
export function grubPrefix(grubPartitionNumber: number): string {
  return `(hd0,gpt${grubPartitionNumber})/boot/grub`;
}

export async function makeCoreImage(output: string, prefix: string, moduleDir = GRUB_I386_PC_DIR): Promise<Buffer> {
  await run('grub-mkimage', ['-O', 'i386-pc', '-d', moduleDir, '-o', output, '-p', prefix, ...CORE_MODULES]);
  return readFile(output);
}

export async function readBootImage(moduleDir = GRUB_I386_PC_DIR): Promise<Buffer> {
  const file = path.join(moduleDir, 'boot.img');
  const image = await readFile(file);
  if (image.length !== SECTOR_BYTES) throw new Error(`${file} is ${image.length} bytes, expected one ${SECTOR_BYTES}-byte sector`);
  return image;
}

/** The MBR GRUB would write: its boot code around the BPB and partition table already on disk. */
export function composeMbr(bootImg: Buffer, existingMbr: Buffer, coreSector: number): Buffer {
  const mbr = Buffer.from(bootImg);
  existingMbr.copy(mbr, BOOT_IMG.bpbStart, BOOT_IMG.bpbStart, BOOT_IMG.bpbEnd);
  existingMbr.copy(mbr, BOOT_IMG.partitionTableStart, BOOT_IMG.partitionTableStart, BOOT_IMG.partitionTableEnd);
  mbr[BOOT_IMG.driveCheck] = NOP;
  mbr[BOOT_IMG.driveCheck + 1] = NOP;
  mbr.writeBigUInt64LE(BigInt(coreSector), BOOT_IMG.kernelSector);
  return mbr;
}

/** core.img with its first blocklist pointing at the sector after its first one. */
export function placeCoreImage(coreImg: Buffer, coreSector: number): Buffer {
  const core = Buffer.from(coreImg);
  const remainderSectors = Math.ceil(core.length / SECTOR_BYTES) - 1;
  const recorded = core.readUInt16LE(CORE_IMG.blocklistLength);
  if (recorded !== remainderSectors) {
    throw new Error(`core.img blocklist length is ${recorded}, expected ${remainderSectors} sectors: not an i386-pc core.img from grub-mkimage?`);
  }
  core.writeBigUInt64LE(BigInt(coreSector + 1), CORE_IMG.blocklistStart);
  return core;
}

export interface BiosBootInstall {
  image: string;
  /** The bios_grub partition: core.img goes at its first sector. */
  partitionStartSector: number;
  partitionSectors: number;
  bootImg: Buffer;
  coreImg: Buffer;
}

/** Writes boot.img into the MBR and core.img into the bios_grub partition of `image`. */
export async function installBiosBoot(install: BiosBootInstall): Promise<void> {
  const coreSectors = Math.ceil(install.coreImg.length / SECTOR_BYTES);
  if (coreSectors > install.partitionSectors) {
    throw new Error(
      `GRUB's core.img needs ${coreSectors} sectors but the layout's bios_grub partition has ${install.partitionSectors}: this GRUB build does not fit Pizlix's layout`,
    );
  }
  const size = (await stat(install.image)).size;
  if (size < (install.partitionStartSector + install.partitionSectors) * SECTOR_BYTES)
    throw new Error(`${install.image} is too small for its bios_grub partition`);
  const handle = await open(install.image, 'r+');
  try {
    const existing = Buffer.alloc(SECTOR_BYTES);
    await handle.read(existing, 0, SECTOR_BYTES, 0);
    if (existing.readUInt16LE(510) !== 0xaa55) throw new Error(`${install.image} has no partition table in its first sector`);
    const core = placeCoreImage(install.coreImg, install.partitionStartSector);
    await handle.write(core, 0, core.length, install.partitionStartSector * SECTOR_BYTES);
    const mbr = composeMbr(install.bootImg, existing, install.partitionStartSector);
    await handle.write(mbr, 0, SECTOR_BYTES, 0);
  } finally {
    await handle.close();
  }
}
