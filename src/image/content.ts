/** What a root tree needs from the file system that will hold it: inodes and 4 KiB blocks. */
import type { ArchiveSummary } from '../rootfs/archive.js';

export interface TreeContent {
  /** Distinct inodes (hard links counted once), the root directory included. */
  inodes: number;
  /** Bytes of data rounded up to 4 KiB blocks per inode: what ext4 will allocate for them. */
  blockBytes: number;
  /** Bytes of file contents as `du --apparent-size` counts them (hard links once). */
  apparentBytes: number;
}

/** The content as the snapshot's headers tell it: no walk over an extracted tree. */
export function contentOf(summary: ArchiveSummary): TreeContent {
  return { inodes: summary.inodes, blockBytes: summary.blockBytes, apparentBytes: summary.apparentBytes };
}
