/**
 * The files of a checkout with a content id each, as cheaply as possible: git already knows the object
 * id of every tracked file, so only files that differ from HEAD (or that git does not track) are read
 * and hashed. Ids are git blob ids either way, so a file's id does not change when it is committed.
 * Outside a git checkout every file that an input pattern matches is hashed.
 */
import { lstat, readFile, readlink, readdir } from 'node:fs/promises';
import path from 'node:path';
import { capture, run } from '../util/exec.js';
import { gitBlobId } from '../util/hash.js';

export interface FileId {
  /** git's file mode: 100644, 100755, 120000 (symlink) or 160000 (submodule). */
  mode: string;
  /** git object id of the contents (for a symlink, of its target text). */
  oid: string;
}

/** Runs git on a checkout that may belong to another user than the one running (root on a runner). */
function git(repo: string, args: string[]): Promise<string> {
  return run('git', ['-c', 'safe.directory=*', '--no-optional-locks', '-C', repo, ...args], { env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } });
}

export class Checkout {
  private constructor(
    /** Absolute path of the checkout (the pizlix directory's parent). */
    readonly root: string,
    /** Paths relative to root → ids; for files still to be hashed, null until needed. */
    private readonly files: Map<string, FileId | null>,
    readonly usesGit: boolean,
  ) {}

  /** Lists the checkout's files. Tracked, unmodified files get git's ids without reading them. */
  static async open(root: string, filter: (relativePath: string) => boolean): Promise<Checkout> {
    const absolute = path.resolve(root);
    // Without git, or outside a repository, every matching file is hashed.
    const top = await capture('git', ['-c', 'safe.directory=*', '-C', absolute, 'rev-parse', '--show-toplevel']).catch(() => undefined);
    if (!top || top.code !== 0) return new Checkout(absolute, await walk(absolute, filter), false);
    const repoTop = top.stdout.trim();
    const prefix = path.relative(repoTop, absolute);
    const toCheckout = (repoPath: string): string | undefined => {
      if (!prefix) return repoPath;
      return repoPath.startsWith(`${prefix}/`) ? repoPath.slice(prefix.length + 1) : undefined;
    };
    const files = new Map<string, FileId | null>();
    const hasHead = (await capture('git', ['-c', 'safe.directory=*', '-C', repoTop, 'rev-parse', '--verify', '-q', 'HEAD'])).code === 0;
    if (hasHead) {
      const tree = await git(repoTop, ['ls-tree', '-r', '-z', '--full-tree', 'HEAD', '--', prefix || '.']);
      for (const record of tree.split('\0')) {
        if (!record) continue;
        const tab = record.indexOf('\t');
        const [mode, , oid] = record.slice(0, tab).split(' ');
        const rel = toCheckout(record.slice(tab + 1));
        if (rel !== undefined && filter(rel)) files.set(rel, { mode, oid });
      }
    }
    // Everything that differs from HEAD, staged or not, and untracked files that are not ignored.
    const status = await git(repoTop, ['status', '--porcelain=v1', '-z', '--untracked-files=all', '--no-renames', '--', prefix || '.']);
    for (const record of status.split('\0')) {
      if (record.length < 4) continue;
      const rel = toCheckout(record.slice(3));
      if (rel === undefined || !filter(rel)) continue;
      files.set(rel, null);
    }
    const checkout = new Checkout(absolute, files, true);
    await checkout.hashPending();
    return checkout;
  }

  /** Ids of the files matching the predicate, sorted by path. */
  select(matches: (relativePath: string) => boolean): Array<[string, FileId]> {
    const selected: Array<[string, FileId]> = [];
    for (const [rel, id] of this.files) if (id && matches(rel)) selected.push([rel, id]);
    return selected.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  get size(): number {
    return this.files.size;
  }

  private async hashPending(): Promise<void> {
    const pending = [...this.files].filter(([, id]) => id === null).map(([rel]) => rel);
    await mapLimit(pending, 16, async (rel) => {
      const id = await hashFile(path.join(this.root, rel));
      if (id) this.files.set(rel, id);
      else this.files.delete(rel); // deleted in the work tree
    });
  }
}

async function hashFile(file: string): Promise<FileId | undefined> {
  let stat;
  try {
    stat = await lstat(file);
  } catch {
    return undefined;
  }
  if (stat.isSymbolicLink()) return { mode: '120000', oid: gitBlobId(Buffer.from(await readlink(file))) };
  if (!stat.isFile()) return undefined;
  return { mode: stat.mode & 0o111 ? '100755' : '100644', oid: gitBlobId(await readFile(file)) };
}

async function walk(root: string, filter: (rel: string) => boolean): Promise<Map<string, FileId | null>> {
  const files = new Map<string, FileId | null>();
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  const wanted = entries
    .filter((e) => e.isFile() || e.isSymbolicLink())
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)))
    .filter(filter);
  await mapLimit(wanted, 16, async (rel) => {
    const id = await hashFile(path.join(root, rel));
    if (id) files.set(rel, id);
  });
  return files;
}

/** Runs fn over items with at most `limit` at once. */
export async function mapLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]);
  });
  await Promise.all(workers);
}
