/**
 * Restoring a snapshot into $LFS, in the only safe order: unmount what the Pizlix helpers left mounted,
 * extract the archive beside the old tree (in $LFS/.pizlix-stage-incoming, checked member by member
 * as tar writes), and only once it is complete and accepted replace the old tree with it, then set
 * the state file the next stage expects. A refused or broken archive leaves $LFS as it was; the
 * price is room for both trees while the restore runs (none extra on a fresh runner's empty $LFS).
 */
import { chmod, chown, lstat, mkdir, readdir, rename, rmdir, utimes } from 'node:fs/promises';
import path from 'node:path';
import { log } from '../util/log.js';
import { emptyDirectory, extractSnapshot, type ArchiveSummary } from './archive.js';
import { assertNothingMountedBelow, mountsBelow, unmountBelow } from './mounts.js';
import { recordTree, treeHolds, type TreeIdentity } from './tree-record.js';
import { assertWipeable, INCOMING_DIR, markRestoreFinished, markRestoreStarted, RESTORE_MARKER, readBuildState, wipeLfs, writeBuildState } from './lfs.js';

/**
 * @param identity which store entry the snapshot is: given, the restore ends by recording it (tree-record.ts),
 *   so that a later job needing the same snapshot can skip the restore.
 */
export async function restoreSnapshot(file: string, lfs: string, stage: string, identity?: TreeIdentity): Promise<ArchiveSummary> {
  await unmountLeftovers(lfs);
  await assertNothingMountedBelow(lfs, `restore into ${lfs}`);
  // Refuse a directory that is not an LFS root before spending a minute on the archive.
  await assertWipeable(lfs);
  const incoming = await freshIncomingDir(lfs);
  let summary: ArchiveSummary;
  try {
    summary = await extractSnapshot(file, incoming, { label: `${stage} snapshot` });
  } finally {
    // extractSnapshot emptied it on failure; on success its contents have to move first.
    if ((await readdir(incoming).catch(() => [])).length === 0) await rmdir(incoming).catch(() => undefined);
  }
  await replaceTree(lfs, incoming);
  const state = await readBuildState(lfs);
  if (state !== stage) {
    log.warning(`the ${stage} snapshot's state file says '${state ?? '(missing)'}'; setting it to '${stage}' for the next stage`);
    await writeBuildState(lfs, stage);
  }
  if (identity) await recordTree(lfs, identity);
  log.info(`restored ${stage}: ${summary.members} members into ${lfs}`);
  return summary;
}

/**
 * Whether a restore of this snapshot can be skipped: $LFS holds it exactly as an earlier restore by a job
 * of a readable scope left it (tree-record.ts). Unmounts what an earlier job left below $LFS first.
 */
export async function alreadyRestored(lfs: string, wanted: TreeIdentity, readableScopes: string[]): Promise<boolean> {
  await unmountLeftovers(lfs);
  if ((await mountsBelow(lfs)).length > 0) return false;
  return treeHolds(lfs, wanted, readableScopes);
}

/** Unmounts what the Pizlix helpers (or a killed job) left mounted below $LFS, and says so. */
export async function unmountLeftovers(lfs: string): Promise<void> {
  const unmounted = await unmountBelow(lfs);
  if (unmounted.length > 0) log.warning(`unmounted what an earlier job left below ${lfs}: ${unmounted.join(', ')}`);
}

/** $LFS/.pizlix-stage-incoming, empty: what a killed restore left there is ours to remove. */
async function freshIncomingDir(lfs: string): Promise<string> {
  const incoming = path.join(lfs, INCOMING_DIR);
  await mkdir(incoming, { recursive: true });
  await emptyDirectory(incoming);
  return incoming;
}

/**
 * Swaps the extracted tree in: the marker first (a tree interrupted here is half old, half new, and
 * the next restore must be allowed to wipe it), then the old tree out, the new one up by renames (same
 * file system: no data moves), and the archive's own root directory's owner, mode and times onto $LFS.
 */
async function replaceTree(lfs: string, incoming: string): Promise<void> {
  await markRestoreStarted(lfs);
  await wipeLfs(lfs, [INCOMING_DIR, RESTORE_MARKER]);
  for (const child of await readdir(incoming)) await rename(path.join(incoming, child), path.join(lfs, child));
  const root = await lstat(incoming);
  await chown(lfs, root.uid, root.gid);
  await chmod(lfs, root.mode & 0o7777);
  await rmdir(incoming);
  await utimes(lfs, root.atime, root.mtime);
  await markRestoreFinished(lfs);
}
