/** What a root tree needs from the file system that will hold it: inodes and 4 KiB blocks. */
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';

export interface TreeContent {
  /** Distinct inodes (hard links counted once), the root directory included. */
  inodes: number;
  /** Bytes of data rounded up to 4 KiB blocks per inode: what ext4 will allocate for them. */
  blockBytes: number;
  /** Bytes of file contents as `du --apparent-size` counts them (hard links once). */
  apparentBytes: number;
}

const BLOCK = 4096;
/** ext4 keeps symlink targets shorter than this inside the inode. */
const FAST_SYMLINK_MAX = 60;

/** Walks `root` without following symlinks. */
export async function measureTree(root: string): Promise<TreeContent> {
  const seen = new Set<string>();
  const total: TreeContent = { inodes: 0, blockBytes: 0, apparentBytes: 0 };
  const pending = [root];
  while (pending.length > 0) {
    const dir = pending.pop()!;
    const entries = await readdir(dir, { withFileTypes: true });
    for (const entry of entries) if (entry.isDirectory()) pending.push(path.join(dir, entry.name));
    const paths = dir === root ? [root, ...entries.map((e) => path.join(dir, e.name))] : entries.map((e) => path.join(dir, e.name));
    for (const file of paths) {
      const st = await lstat(file, { bigint: false });
      const id = `${st.dev}:${st.ino}`;
      if (seen.has(id)) continue;
      seen.add(id);
      total.inodes++;
      if (st.isFile() || st.isDirectory() || (st.isSymbolicLink() && st.size >= FAST_SYMLINK_MAX)) {
        total.apparentBytes += st.size;
        total.blockBytes += Math.ceil(st.size / BLOCK) * BLOCK;
      }
    }
  }
  return total;
}
