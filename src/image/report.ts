/** Tables for logs and job summaries: the partition table and the sizes of what was written. */
import { IMAGE_FILES } from '../release/checksums.js';
import { formatBytes, formatDuration } from '../util/format.js';
import type { DiskImageResult } from './build.js';
import { SECTOR_BYTES, type DiskPlan } from './layout.js';

export const PARTITION_TABLE_HEADER = ['#', 'name', 'role', 'start sector', 'end sector', 'size'];

export function partitionTableRows(plan: DiskPlan): string[][] {
  return plan.partitions.map((p) => [
    String(p.number),
    p.name,
    p.role,
    String(p.startSector),
    String(p.startSector + p.sectors - 1),
    formatBytes(p.sectors * SECTOR_BYTES),
  ]);
}

export const SIZE_TABLE_HEADER = ['file', 'size', 'on disk / note'];

export function sizeRows(result: DiskImageResult): string[][] {
  const rows = [[IMAGE_FILES.image, formatBytes(result.imageBytes), `${formatBytes(result.allocatedBytes)} allocated (sparse)`]];
  if (result.vmdk)
    rows.push([
      IMAGE_FILES.vmdk,
      formatBytes(result.vmdkBytes ?? 0),
      result.vmdkBytes !== undefined && result.vmdkBytes < 4096 ? `descriptor pointing at ${IMAGE_FILES.image}` : 'self-contained streamOptimized',
    ]);
  if (result.compressed) rows.push([IMAGE_FILES.compressed, formatBytes(result.compressedBytes ?? 0), 'zstd']);
  rows.push(['content', formatBytes(result.content.apparentBytes), `${result.content.inodes} inodes`]);
  return rows;
}

export function timingLine(result: DiskImageResult): string {
  const s = result.seconds;
  const parts: string[] = [];
  if (s.check) parts.push(`check ${formatDuration(s.check)}`);
  if (s.extract) parts.push(`check and extract ${formatDuration(s.extract)}`);
  parts.push(`image ${formatDuration(s.image)}`);
  if (s.vmdk) parts.push(`vmdk ${formatDuration(s.vmdk)}`);
  parts.push(`${result.compressed ? 'checksums and zstd' : 'checksums'} ${formatDuration(s.checksums)}`, `total ${formatDuration(s.total)}`);
  parts.push(result.rootFrom === 'tarball' ? 'root written by mke2fs from the snapshot itself' : 'root written from the extracted tree');
  return parts.join(' · ');
}
