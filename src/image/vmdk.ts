/**
 * VMDK files for a raw disk image: Pizlix's hand-written monolithicFlat descriptor that points at
 * disk.img (nothing copied), or a self-contained, compressed streamOptimized VMDK made by qemu-img.
 * Both declare an IDE adapter so the guest still sees the disk as /dev/sda.
 */
import { randomBytes } from 'node:crypto';
import { stat, writeFile } from 'node:fs/promises';
import { spawnChild, tail, waitForExit } from '../util/exec.js';
import { ByteProgress } from '../util/progress.js';
import { SECTOR_BYTES } from './layout.js';

export const VMDK_KINDS = ['flat', 'stream', 'none'] as const;
export type VmdkKind = (typeof VMDK_KINDS)[number];

export function isVmdkKind(value: string): value is VmdkKind {
  return (VMDK_KINDS as readonly string[]).includes(value);
}

/** The BIOS geometry VMware records for IDE disks: 16 heads, 63 sectors, cylinders capped at 16383. */
function ideGeometry(sectors: number): { cylinders: number; heads: number; sectors: number } {
  return { cylinders: Math.min(16383, Math.floor(sectors / (16 * 63))), heads: 16, sectors: 63 };
}

/** A monolithicFlat descriptor whose one extent is `extentFile` (a name relative to the descriptor). */
export function flatDescriptor(diskBytes: number, extentFile: string, cid = randomBytes(4).toString('hex')): string {
  const sectors = Math.floor(diskBytes / SECTOR_BYTES);
  const geometry = ideGeometry(sectors);
  return [
    '# Disk DescriptorFile',
    'version=1',
    `CID=${cid}`,
    'parentCID=ffffffff',
    'createType="monolithicFlat"',
    '',
    '# Extent description',
    `RW ${sectors} FLAT "${extentFile}" 0`,
    '',
    '# The Disk Data Base',
    '#DDB',
    '',
    'ddb.virtualHWVersion = "4"',
    `ddb.geometry.cylinders = "${geometry.cylinders}"`,
    `ddb.geometry.heads = "${geometry.heads}"`,
    `ddb.geometry.sectors = "${geometry.sectors}"`,
    'ddb.adapterType = "ide"',
    '',
  ].join('\n');
}

export async function writeFlatDescriptor(output: string, diskBytes: number, extentFile: string): Promise<void> {
  await writeFile(output, flatDescriptor(diskBytes, extentFile));
}

/** Converts a raw image to a streamOptimized VMDK, reporting progress by the output's growth. */
export async function writeStreamOptimized(rawImage: string, output: string): Promise<void> {
  const args = ['convert', '-f', 'raw', '-O', 'vmdk', '-o', 'subformat=streamOptimized,adapter_type=ide', rawImage, output];
  const child = spawnChild('qemu-img', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const progress = new ByteProgress('writing streamOptimized VMDK');
  let last = 0;
  const timer = setInterval(() => {
    void stat(output).then(
      (s) => {
        if (s.size > last) progress.add(s.size - last);
        last = s.size;
      },
      () => undefined,
    );
  }, 1000);
  try {
    await waitForExit(child, `qemu-img ${args.join(' ')}`, () => tail(stderr, 20));
  } finally {
    clearInterval(timer);
  }
  progress.finish();
}
