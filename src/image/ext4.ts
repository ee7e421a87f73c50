/**
 * ext4 file systems written straight into a partition of an image file with `mke2fs -d`: no loop
 * device, no mount. Owners, modes, setuid bits, device nodes, hard links, symlinks and extended
 * attributes are copied as mke2fs reads them: from a tarball itself where e2fsprogs can (1.47.1 and
 * later, through libarchive: no extraction, no root), else from a tree extracted as root (or inside
 * the same fakeroot session).
 */
import { mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { capture, run } from '../util/exec.js';
import { formatBytes } from '../util/format.js';
import { ByteProgress } from '../util/progress.js';
import type { TreeContent } from './content.js';

/** Geometry pinned for the root file system so that the space estimate below holds (mke2fs would
 *  otherwise pick 1 KiB blocks and a denser inode table for file systems under 512 MiB). */
const ROOT_BLOCK = 4096;
const ROOT_INODE_SIZE = 256;
const ROOT_BYTES_PER_INODE = 16384;
/** Inodes 1-10 are reserved, 11 is lost+found. */
const RESERVED_INODES = 11;
const MiB = 1024 * 1024;
/** The image is a fresh sparse file, so every block not yet written reads as zeros: zeroing the
 *  journal and inode tables would only turn holes into allocated zeros (512 MiB of journal on a
 *  100 GiB disk), and discarding would punch holes outside the partition's own range. */
export const FRESH_FILE_EXTENDED_OPTIONS = 'nodiscard,lazy_itable_init=1,lazy_journal_init=1';

export interface Ext4Target {
  image: string;
  offsetBytes: number;
  sizeBytes: number;
  label: string;
  /** Directory whose contents become the file system's root, or a tarball (see mke2fsReadsTarballs). */
  source: string;
  /** Pin Pizlix-root geometry (4 KiB blocks, one inode per 16 KiB); otherwise mke2fs chooses by size. */
  rootGeometry?: boolean;
  /** Run mke2fs inside this fakeroot state (see fakeroot.ts) so it sees the owners recorded there. */
  wrap?: (cmd: string, args: string[]) => [string, string[]];
}

/** Journal size mke2fs picks for a file system of this many 4 KiB blocks (ext2fs_default_journal_size). */
function defaultJournalBytes(blocks: number): number {
  const journalBlocks =
    blocks < 2048
      ? 0
      : blocks < 32768
        ? 1024
        : blocks < 256 * 1024
          ? 4096
          : blocks < 512 * 1024
            ? 8192
            : blocks < 4096 * 1024
              ? 16384
              : blocks < 8192 * 1024
                ? 32768
                : blocks < 16384 * 1024
                  ? 65536
                  : blocks < 32768 * 1024
                    ? 131072
                    : 262144;
  return journalBlocks * ROOT_BLOCK;
}

/** Why `content` does not fit in a root file system of `fsBytes`, or undefined when it fits. */
export function ext4Shortfall(content: TreeContent, fsBytes: number): string | undefined {
  const inodes = Math.floor(fsBytes / ROOT_BYTES_PER_INODE) - RESERVED_INODES;
  if (content.inodes > inodes) return `${content.inodes} files need more inodes than the ${inodes} of a ${formatBytes(fsBytes)} file system`;
  const overhead = (fsBytes / ROOT_BYTES_PER_INODE) * ROOT_INODE_SIZE + defaultJournalBytes(fsBytes / ROOT_BLOCK) + fsBytes * 0.01 + 8 * MiB;
  const needed = content.blockBytes + overhead;
  if (needed > fsBytes) return `${formatBytes(content.blockBytes)} of content plus ${formatBytes(overhead)} of ext4 metadata exceed ${formatBytes(fsBytes)}`;
  return undefined;
}

/** A root file system size that holds `content` with headroom: a quarter more plus 512 MiB. */
export function ext4SizeWithHeadroom(content: TreeContent): number {
  let size = Math.ceil((content.blockBytes * 1.25 + 512 * MiB) / MiB) * MiB;
  while (ext4Shortfall(content, size)) size += 64 * MiB;
  // Enough inodes for the files plus as many again.
  return Math.max(size, Math.ceil((content.inodes * 2 * ROOT_BYTES_PER_INODE) / MiB) * MiB);
}

/** Writes an ext4 file system holding `sourceDir` at `offsetBytes` of `image`, showing progress. */
export async function writeExt4(target: Ext4Target): Promise<void> {
  const args = ['-q', '-F', '-t', 'ext4', '-L', target.label, '-E', `offset=${target.offsetBytes},${FRESH_FILE_EXTENDED_OPTIONS}`, '-d', target.source];
  if (target.rootGeometry) args.push('-b', String(ROOT_BLOCK), '-I', String(ROOT_INODE_SIZE), '-i', String(ROOT_BYTES_PER_INODE));
  args.push(target.image, `${Math.floor(target.sizeBytes / 1024)}k`);
  const [cmd, argv] = target.wrap ? target.wrap('mke2fs', args) : ['mke2fs', args];
  const watcher = watchAllocation(target.image, `ext4 '${target.label}'`);
  try {
    await run(cmd, argv);
  } finally {
    await watcher.stop();
  }
}

/**
 * Whether this mke2fs builds a file system from a tarball (`-d file.tar[.zst|.gz]`): e2fsprogs 1.47.1 and
 * later, when libarchive loads. Tried on a one-directory tarball, since the version alone cannot tell
 * whether libarchive is there.
 */
export async function mke2fsReadsTarballs(workDir: string): Promise<boolean> {
  const version = /mke2fs (\d+)\.(\d+)\.(\d+)/.exec((await capture('mke2fs', ['-V'])).stderr);
  if (!version) return false;
  const [major, minor, patch] = version.slice(1).map(Number);
  if (major * 10000 + minor * 100 + patch < 14701) return false;
  const probe = path.join(workDir, 'mke2fs-probe');
  await mkdir(path.join(probe, 'tree'), { recursive: true });
  try {
    await run('tar', ['-cf', path.join(probe, 'probe.tar'), '-C', path.join(probe, 'tree'), '.']);
    const made = await capture('mke2fs', ['-q', '-F', '-t', 'ext4', '-d', path.join(probe, 'probe.tar'), path.join(probe, 'probe.img'), '4096k']);
    return made.code === 0;
  } finally {
    await rm(probe, { recursive: true, force: true });
  }
}

/** mke2fs -d prints nothing while it copies; the image file's allocated bytes show how far it got. */
function watchAllocation(file: string, label: string): { stop(): Promise<void> } {
  const progress = new ByteProgress(`writing ${label}`);
  let last: number | undefined;
  const sample = async () => {
    const allocated = (await stat(file)).blocks * 512;
    if (last !== undefined && allocated > last) progress.add(allocated - last);
    last = allocated;
  };
  const timer = setInterval(() => void sample().catch(() => undefined), 1000);
  void sample().catch(() => undefined);
  return {
    async stop() {
      clearInterval(timer);
      await sample().catch(() => undefined);
      progress.finish();
    },
  };
}
