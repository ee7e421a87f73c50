/**
 * Content ids of the checkout files the stages read, at the cost of one pass over git's index and status.
 * Git is asked only about the paths some stage reads (as pathspecs), so the rest of a 150 000-file
 * checkout costs nothing here. Tracked, unmodified files get the id git already has; modified and untracked
 * files are read and hashed as git blobs, so an id does not change when the file is committed.
 *
 * What git's view misses is taken from disk: inputs that are read as they are on disk (copied files,
 * projeny work trees), trees git does not track at all (ignored ones included) and nested repositories (with
 * their own git ids). Outside a git checkout every wanted file is hashed.
 */
import { lstat, readFile, readlink, readdir } from 'node:fs/promises';
import path from 'node:path';
import { capture, run } from '../util/exec.js';
import { gitBlobId } from '../util/hash.js';
import type { InputKind } from './references.js';
import { globBase, globMatcher } from './shell-values.js';

export interface FileId {
  /** git's file mode: 100644, 100755, 120000 (symlink) or 160000 (submodule). */
  mode: string;
  /** git object id of the contents (for a symlink, of its target text). */
  oid: string;
}

export interface FileEntry extends FileId {
  /** Known to git's index (of the checkout or of a nested repository). */
  tracked: boolean;
}

/** A path some stage reads, and how. */
export interface WantedPath {
  path: string;
  kind: InputKind;
  /** Take what is on disk, ignored files included. */
  onDisk: boolean;
  /** A tool's work tree: only files changed after this file (the tool's setup record) count. */
  editedSince?: string;
}

/** Runs git on a checkout that may belong to another user than the one running (root on a runner). */
function git(repo: string, args: string[]): Promise<string> {
  return run('git', ['-c', 'safe.directory=*', '-c', 'core.quotePath=false', '--no-optional-locks', '-C', repo, ...args], {
    env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_OPTIONAL_LOCKS: '0' },
  });
}

async function repositoryTop(dir: string): Promise<string | undefined> {
  const top = await capture('git', ['-c', 'safe.directory=*', '-C', dir, 'rev-parse', '--show-toplevel']).catch(() => undefined);
  return top && top.code === 0 ? top.stdout.trim() : undefined;
}

/** The directory git (or the disk walk) is asked about for one wanted path; '' is the whole checkout. */
function rootOf(wanted: WantedPath): string {
  return wanted.kind === 'glob' ? globBase(wanted.path) : wanted.path;
}

export class Checkout {
  /** Every known path, sorted (native string order): ranges of it are the files below a directory. */
  readonly paths: string[];
  /** The entry of paths[i]. */
  readonly entries: FileEntry[];

  private constructor(
    /** Absolute path of the checkout (the pizlix directory's parent). */
    readonly root: string,
    files: Map<string, FileEntry>,
    readonly usesGit: boolean,
  ) {
    this.paths = [...files.keys()].sort();
    this.entries = this.paths.map((p) => files.get(p)!);
  }

  static async scan(root: string, wanted: WantedPath[]): Promise<Checkout> {
    const absolute = path.resolve(root);
    const top = await repositoryTop(absolute);
    const files = new Map<string, FileEntry | null>();
    const nested = new Set<string>();
    const workTrees = wanted.filter((w) => w.editedSince !== undefined);
    const viaGit = wanted.filter((w) => w.editedSince === undefined);
    if (top !== undefined) await gitView(top, path.relative(top, absolute), viaGit, files, nested);
    // A work tree counts only with its edits, whatever git says about the files in it.
    if (workTrees.length > 0) {
      const prefixes = workTrees.map((w) => `${w.path}/`);
      for (const rel of files.keys()) if (prefixes.some((p) => rel.startsWith(p))) files.delete(rel);
    }
    for (const w of workTrees) await editsView(absolute, w, files);
    // From disk: what is read as it is on disk, trees git knows nothing of, nested repositories.
    const listed = [...files.keys()].sort();
    const fromDisk = viaGit.filter((w) => top === undefined || w.onDisk || (w.kind === 'tree' && !hasPathsUnder(listed, w.path)));
    for (const w of fromDisk) await diskView(absolute, w, files, nested);
    // Pathspecs are wider than the wanted paths: a nested repository no stage reads is not opened.
    const roots = wanted.map(rootOf);
    const read = (dir: string) => roots.some((r) => r === '' || r === dir || dir.startsWith(`${r}/`) || r.startsWith(`${dir}/`));
    for (const dir of nested) if (read(dir)) await nestedView(absolute, dir, files);
    await hashPending(absolute, files);
    return new Checkout(absolute, files as Map<string, FileEntry>, top !== undefined);
  }

  get size(): number {
    return this.paths.length;
  }

  /** Marks the files a wanted path covers; only the paths below its root are looked at. */
  mark(wanted: WantedPath, marks: Uint8Array): void {
    if (wanted.kind === 'file') {
      const at = lowerBound(this.paths, wanted.path);
      if (this.paths[at] === wanted.path) marks[at] = 1;
      return;
    }
    const base = rootOf(wanted);
    const matches = wanted.kind === 'glob' ? globMatcher(wanted.path) : undefined;
    const [from, to] = this.range(base);
    for (let i = from; i < to; i++) if (!matches || matches(this.paths[i])) marks[i] = 1;
  }

  /** Files a wanted path covers, sorted. */
  select(wanted: WantedPath): Array<[string, FileEntry]> {
    const marks = new Uint8Array(this.paths.length);
    this.mark(wanted, marks);
    const out: Array<[string, FileEntry]> = [];
    for (let i = 0; i < marks.length; i++) if (marks[i]) out.push([this.paths[i], this.entries[i]]);
    return out;
  }

  /** The indexes [from, to) of the paths below a directory ('' for all), by binary search. */
  private range(dir: string): [number, number] {
    if (!dir) return [0, this.paths.length];
    const prefix = `${dir}/`;
    const from = lowerBound(this.paths, prefix);
    // '/' + 1 is '0': every path below dir sorts before dir + '0'.
    return [from, lowerBound(this.paths, `${dir}0`, from)];
  }
}

function lowerBound(sorted: string[], key: string, from = 0): number {
  let lo = from;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function hasPathsUnder(sorted: string[], dir: string): boolean {
  if (!dir) return sorted.length > 0;
  const prefix = `${dir}/`;
  return sorted[lowerBound(sorted, prefix)]?.startsWith(prefix) ?? false;
}

/** git ls-files -s and git status, both limited to the wanted paths, run at once. */
async function gitView(top: string, prefix: string, wanted: WantedPath[], files: Map<string, FileEntry | null>, nested: Set<string>): Promise<void> {
  const toRepo = (rel: string) => (prefix ? (rel ? `${prefix}/${rel}` : prefix) : rel);
  const fromRepo = (repoPath: string): string | undefined => {
    if (!prefix) return repoPath;
    return repoPath.startsWith(`${prefix}/`) ? repoPath.slice(prefix.length + 1) : undefined;
  };
  const pathspecs = pathspecsFor(wanted, toRepo);
  if (pathspecs.length === 0) return;
  const [index, status] = await Promise.all([
    git(top, ['ls-files', '-s', '-z', '--full-name', '--', ...pathspecs]),
    git(top, ['status', '--porcelain=v1', '-z', '--untracked-files=all', '--no-renames', '--ignore-submodules=none', '--', ...pathspecs]),
  ]);
  // "<mode> <oid> <stage>\t<path>\0": read by position, a hundred thousand times.
  const skip = prefix ? prefix.length + 1 : 0;
  for (let at = 0; at < index.length;) {
    const end = index.indexOf('\0', at);
    const stop = end < 0 ? index.length : end;
    const tab = index.indexOf('\t', at);
    const mode = index.slice(at, at + 6);
    const oid = index.slice(at + 7, tab - 2);
    const stage = index[tab - 1];
    const rel = index.slice(tab + 1 + skip, stop);
    at = stop + 1;
    if (stage === '2' || stage === '3') continue;
    if (mode === '160000')
      nested.add(rel); // a submodule: its files come from its own repository
    else files.set(rel, { mode, oid, tracked: true });
  }
  for (const record of status.split('\0')) {
    if (record.length < 4) continue;
    const code = record.slice(0, 2);
    const rel = fromRepo(record.slice(3));
    if (rel === undefined) continue;
    if (rel.endsWith('/')) {
      nested.add(rel.slice(0, -1)); // an untracked nested repository
      continue;
    }
    if (nested.has(rel)) continue;
    const worktree = code[1];
    if (code === '??') files.set(rel, null);
    else if (worktree === 'D') files.delete(rel);
    else if (worktree !== ' ' || code.includes('U')) {
      const known = files.get(rel);
      files.set(rel, known ? { ...known, oid: '' } : null);
    }
  }
}

/**
 * Pathspecs for git: each wanted file or directory literally; a glob by its base directory (or, at the top
 * of the checkout, by itself), so git never lists the whole checkout for one top-level pattern.
 */
function pathspecsFor(wanted: WantedPath[], toRepo: (rel: string) => string): string[] {
  const specs = new Set<string>();
  const roots = new Set<string>();
  for (const w of wanted) {
    const root = rootOf(w);
    if (w.kind === 'glob' && root === '') specs.add(`:(glob)${toRepo(w.path)}`);
    else roots.add(root);
  }
  for (const root of collapse([...roots])) specs.add(`:(literal)${toRepo(root) || '.'}`);
  return [...specs];
}

/**
 * Fewer, wider pathspecs: git matches every path against every pathspec, so 170 projects of one directory
 * cost more as 170 pathspecs than as their directory. Paths below another wanted path are dropped; siblings
 * that are many (COLLAPSE or more) become their parent directory — never the checkout root.
 */
const COLLAPSE = 8;
function collapse(roots: string[]): string[] {
  let current = new Set(roots);
  for (;;) {
    if (current.has('')) return [''];
    const sorted = [...current].sort();
    const kept = sorted.filter((r) => !sorted.some((o) => o !== r && r.startsWith(`${o}/`)));
    const byParent = new Map<string, string[]>();
    for (const r of kept) {
      const parent = path.posix.dirname(r);
      if (parent === '.') continue;
      byParent.set(parent, [...(byParent.get(parent) ?? []), r]);
    }
    const next = new Set(kept);
    let changed = false;
    for (const [parent, children] of byParent) {
      if (children.length < COLLAPSE) continue;
      for (const c of children) next.delete(c);
      next.add(parent);
      changed = true;
    }
    if (!changed) return [...next];
    current = next;
  }
}

/** Files on disk below a wanted path; ids git already has are kept, others are hashed later. */
async function diskView(root: string, wanted: WantedPath, files: Map<string, FileEntry | null>, nested: Set<string>): Promise<void> {
  const base = rootOf(wanted);
  const matches = wanted.kind === 'glob' ? globMatcher(wanted.path) : () => true;
  const depth = wanted.kind === 'glob' && !wanted.path.includes('**') ? wanted.path.split('/').length - (base ? base.split('/').length : 0) : Infinity;
  const add = (rel: string) => {
    if (!files.has(rel) && matches(rel)) files.set(rel, null);
  };
  const stat = await lstat(path.join(root, base)).catch(() => undefined);
  if (!stat) return;
  if (!stat.isDirectory()) {
    if (wanted.kind !== 'glob') add(base);
    return;
  }
  const walk = async (dir: string, level: number): Promise<void> => {
    const entries = await readdir(path.join(root, dir), { withFileTypes: true }).catch(() => []);
    if (dir && dir !== base && entries.some((e) => e.name === '.git')) {
      nested.add(dir);
      return;
    }
    for (const entry of entries) {
      if (entry.name === '.git') continue;
      const rel = dir ? `${dir}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (level < depth) await walk(rel, level + 1);
      } else if (entry.isFile() || entry.isSymbolicLink()) add(rel);
    }
  };
  if (base && wanted.kind === 'tree' && (await lstat(path.join(root, base, '.git')).catch(() => undefined))) {
    nested.add(base);
    return;
  }
  await walk(base, 1);
}

/**
 * A work tree projeny set up: the files changed since its status file was written (projeny writes it last),
 * and the operations the status file records beyond "Status: setup" (pending add/rm/mv, conflicts). A work
 * tree without a status file counts whole. Deleting a file without projeny is not seen.
 */
async function editsView(root: string, wanted: WantedPath, files: Map<string, FileEntry | null>): Promise<void> {
  const status = await lstat(path.join(root, wanted.editedSince!)).catch(() => undefined);
  const since = status?.mtimeMs ?? -Infinity;
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(path.join(root, dir), { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      const rel = `${dir}/${entry.name}`;
      if (entry.isDirectory()) await walk(rel);
      else if ((entry.isFile() || entry.isSymbolicLink()) && (await lstat(path.join(root, rel))).mtimeMs > since) files.set(rel, null);
    }
  };
  await walk(wanted.path);
  if (!status) return;
  const header = (await readFile(path.join(root, wanted.editedSince!), 'utf8')).split('--- projeny content ---')[0];
  const pending = header.split('\n').filter((l) => l.trim() && !/^Status:\s*setup\s*$/.test(l));
  if (pending.length > 0) files.set(`${wanted.path}/.projeny-pending`, { mode: '100644', oid: gitBlobId(Buffer.from(pending.join('\n'))), tracked: false });
}

/** A repository inside the checkout: its own index and status give the ids of its files. */
async function nestedView(root: string, dir: string, files: Map<string, FileEntry | null>): Promise<void> {
  const absolute = path.join(root, dir);
  const inner = await Checkout.scan(absolute, [{ path: '', kind: 'tree', onDisk: false }]).catch(() => undefined);
  if (!inner) return;
  inner.paths.forEach((rel, i) => files.set(`${dir}/${rel}`, inner.entries[i]));
}

async function hashPending(root: string, files: Map<string, FileEntry | null>): Promise<void> {
  const pending = [...files].filter(([, entry]) => entry === null || entry.oid === '').map(([rel]) => rel);
  await mapLimit(pending, 16, async (rel) => {
    const tracked = files.get(rel)?.tracked ?? false;
    const id = await hashFile(path.join(root, rel));
    if (id) files.set(rel, { ...id, tracked });
    else files.delete(rel); // deleted in the work tree, or not a regular file
  });
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

/** Runs fn over items with at most `limit` at once. */
export async function mapLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]);
  });
  await Promise.all(workers);
}
