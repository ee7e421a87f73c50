/**
 * What a restore refuses, member by member, and what the archive holds, from its headers alone.
 *
 * GNU tar (1.29 and later) already keeps an extraction into an empty directory inside it: it strips a
 * leading '/', skips members whose names contain '..', and makes symlinks whose targets are absolute
 * or contain '..' only at the very end, after every file was written (until then a placeholder file
 * stands in, so a write "through" the link fails). The guard turns each of those quiet repairs into a
 * refusal of the whole archive — a snapshot that needs them is not one this toolkit wrote — and adds
 * what tar does not check: members reached through a symlink of the archive, hard links to absolute or
 * '..' targets or through a symlink.
 */
import { UnsafeArchiveError } from '../util/errors.js';
import type { TarMember } from './tar-headers.js';

export interface BootEntry {
  /** Path inside the root without a leading slash, e.g. boot/vmlinuz-6.10.5-lfs-12.2. */
  path: string;
  type: TarMember['type'];
  size: number;
  linkname: string;
}

export interface ArchiveSummary {
  members: number;
  /** Sum of the regular files' sizes. */
  bytes: number;
  /** Distinct inodes (hard links once, the root directory included), as the image's file system needs them. */
  inodes: number;
  /** Contents rounded up to 4 KiB blocks per inode: what ext4 allocates for them. */
  blockBytes: number;
  /** Contents as `du --apparent-size` counts them (hard links once; directories as one block). */
  apparentBytes: number;
  /** Members under boot/, to find the kernel without extracting. */
  boot: BootEntry[];
  /** Every member's directory came first as a member of its own (what `mke2fs -d <tarball>` needs). */
  parentsListed: boolean;
}

const BLOCK = 4096;
/** ext4 keeps symlink targets shorter than this inside the inode. */
const FAST_SYMLINK_MAX = 60;

/** Normalizes a member name and rejects names that leave the target. */
export function safeMemberPath(name: string, member: string): string {
  if (name.startsWith('/')) throw new UnsafeArchiveError(member, 'absolute path');
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new UnsafeArchiveError(member, "path contains '..'");
  return parts.join('/');
}

export class MemberGuard {
  private readonly symlinks = new Set<string>();
  private readonly directories = new Set<string>(['']);
  private readonly summary: ArchiveSummary = { members: 0, bytes: 0, inodes: 1, blockBytes: BLOCK, apparentBytes: BLOCK, boot: [], parentsListed: true };

  /** Throws UnsafeArchiveError when the member could write outside the target. */
  check(member: TarMember): void {
    const name = safeMemberPath(member.name, member.name);
    this.refuseSymlinkAncestor(name, member.name, 'its path');
    if (member.type === 'hardlink') this.refuseSymlinkAncestor(safeMemberPath(member.linkname, member.name), member.name, 'its hard link target');
    if (member.type === 'symlink') this.symlinks.add(name);
    else this.symlinks.delete(name);
    this.count(name, member);
  }

  result(): ArchiveSummary {
    return this.summary;
  }

  private refuseSymlinkAncestor(name: string, member: string, what: string): void {
    for (let i = name.indexOf('/'); i !== -1; i = name.indexOf('/', i + 1)) {
      const ancestor = name.slice(0, i);
      if (this.symlinks.has(ancestor)) throw new UnsafeArchiveError(member, `${what} goes through the symlink '${ancestor}' of the archive`);
    }
  }

  private count(name: string, member: TarMember): void {
    const s = this.summary;
    s.members++;
    if (name === '') return; // the root directory itself, counted from the start
    const parent = name.includes('/') ? name.slice(0, name.lastIndexOf('/')) : '';
    if (!this.directories.has(parent)) s.parentsListed = false;
    if (member.type === 'directory') this.directories.add(name);
    if (name === 'boot' || name.startsWith('boot/')) s.boot.push({ path: name, type: member.type, size: member.size, linkname: member.linkname });
    if (member.type === 'hardlink') return; // the same inode as its target
    s.inodes++;
    const bytes =
      member.type === 'file'
        ? member.size
        : member.type === 'directory'
          ? BLOCK
          : member.type === 'symlink' && member.linkname.length >= FAST_SYMLINK_MAX
            ? member.linkname.length
            : 0;
    if (member.type === 'file') s.bytes += member.size;
    s.apparentBytes += bytes;
    s.blockBytes += Math.ceil(bytes / BLOCK) * BLOCK;
  }
}
