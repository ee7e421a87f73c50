/**
 * The LFS root ($LFS): a directory the stages build into and that restores replace wholesale. Every
 * destructive step here checks first that it can only touch that directory.
 */
import { mkdir, readFile, readdir, rm, writeFile, lstat } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../util/errors.js';
import { run } from '../util/exec.js';
import { assertNothingMountedBelow } from './mounts.js';

export const STATE_FILE = 'sources/lfsbuildstate';
/** Present in $LFS while a restore replaces the tree, so an interrupted restore may be wiped next time. */
export const RESTORE_MARKER = '.pizlix-stage-restoring';
/** Where a restore extracts, inside $LFS (same file system, nothing written outside), before the tree
 *  it holds replaces the old one. */
export const INCOMING_DIR = '.pizlix-stage-incoming';

const SYSTEM_DIRECTORIES = [
  '/',
  '/bin',
  '/boot',
  '/dev',
  '/etc',
  '/home',
  '/lib',
  '/lib32',
  '/lib64',
  '/media',
  '/mnt',
  '/opt',
  '/proc',
  '/root',
  '/run',
  '/sbin',
  '/srv',
  '/sys',
  '/tmp',
  '/usr',
  '/var',
  '/var/tmp',
  '/var/lib',
];

/**
 * Checks that lfs can safely be wiped: absolute, not a system directory, and not containing
 * directories we must keep (the checkout, the store, the workspace).
 */
export function validateLfsPath(lfs: string, keep: Array<{ what: string; path: string }>): string {
  if (!path.isAbsolute(lfs)) throw new InputError('lfs', `'${lfs}' is not an absolute path`, 'an absolute path such as /mnt/lfs');
  const resolved = path.resolve(lfs);
  if (SYSTEM_DIRECTORIES.includes(resolved)) {
    throw new InputError(
      'lfs',
      `'${resolved}' is a system directory and would be wiped by a restore`,
      'a directory used only for the LFS root, such as /mnt/lfs',
    );
  }
  for (const { what, path: kept } of keep) {
    const rel = path.relative(resolved, path.resolve(kept));
    if (rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))) {
      throw new InputError('lfs', `'${resolved}' contains the ${what} (${kept}), which a restore would delete`, `a directory outside the ${what}`);
    }
  }
  return resolved;
}

export async function readBuildState(lfs: string): Promise<string | undefined> {
  try {
    return (await readFile(path.join(lfs, STATE_FILE), 'utf8')).trim();
  } catch {
    return undefined;
  }
}

export async function writeBuildState(lfs: string, state: string): Promise<void> {
  await mkdir(path.join(lfs, 'sources'), { recursive: true });
  await writeFile(path.join(lfs, STATE_FILE), `${state}\n`);
}

/**
 * Refuses to touch lfs while anything is mounted below it, or when it is a non-empty directory that
 * does not look like an LFS root (no state file, no interrupted-restore marker), so a mistyped path
 * cannot wipe someone's data. Creates lfs when it is missing.
 */
export async function assertWipeable(lfs: string): Promise<void> {
  await mkdir(lfs, { recursive: true });
  await assertNothingMountedBelow(lfs, `wipe ${lfs}`);
  const children = await readdir(lfs);
  if (children.length === 0) return;
  const looksLikeLfs = (await exists(path.join(lfs, STATE_FILE))) || (await exists(path.join(lfs, RESTORE_MARKER)));
  if (!looksLikeLfs) {
    throw new InputError(
      'lfs',
      `${lfs} is not empty and holds no ${STATE_FILE}; refusing to wipe what may not be an LFS root`,
      'an empty directory or one that a Pizlix stage built',
    );
  }
}

/** Empties lfs, dot-files included, without crossing into other file systems; keeps the names in `keep`. */
export async function wipeLfs(lfs: string, keep: string[] = []): Promise<void> {
  await assertWipeable(lfs);
  const children = (await readdir(lfs)).filter((c) => !keep.includes(c));
  // rm from coreutils: --one-file-system keeps it out of anything mounted after our check.
  if (children.length > 0) await run('rm', ['-rf', '--one-file-system', '--', ...children.map((c) => path.join(lfs, c))]);
}

async function exists(file: string): Promise<boolean> {
  return lstat(file).then(
    () => true,
    () => false,
  );
}

export async function markRestoreStarted(lfs: string): Promise<void> {
  await writeFile(path.join(lfs, RESTORE_MARKER), `${new Date().toISOString()}\n`);
}

export async function markRestoreFinished(lfs: string): Promise<void> {
  await rm(path.join(lfs, RESTORE_MARKER), { force: true });
}
