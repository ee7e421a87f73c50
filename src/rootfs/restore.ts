/**
 * Restoring a snapshot into $LFS, in the only safe order: unmount what the Pizlix helpers left mounted,
 * check the archive, empty the directory, extract, then set the state file the next stage expects.
 */
import { log } from '../util/log.js';
import { validateArchive, extractSnapshot, type ArchiveSummary } from './archive.js';
import { assertNothingMountedBelow, unmountBelow } from './mounts.js';
import { markRestoreFinished, markRestoreStarted, readBuildState, wipeLfs, writeBuildState } from './lfs.js';

export async function restoreSnapshot(file: string, lfs: string, stage: string): Promise<ArchiveSummary> {
  const unmounted = await unmountBelow(lfs);
  if (unmounted.length > 0) log.warning(`unmounted what an earlier job left below ${lfs}: ${unmounted.join(', ')}`);
  await assertNothingMountedBelow(lfs, `restore into ${lfs}`);
  // Reject a hostile archive before anything in $LFS is touched.
  const summary = await validateArchive(file);
  await wipeLfs(lfs);
  await markRestoreStarted(lfs);
  await extractSnapshot(file, lfs, { label: `${stage} snapshot`, validated: summary });
  await markRestoreFinished(lfs);
  const state = await readBuildState(lfs);
  if (state !== stage) {
    log.warning(`the ${stage} snapshot's state file says '${state ?? '(missing)'}'; setting it to '${stage}' for the next stage`);
    await writeBuildState(lfs, stage);
  }
  log.info(`restored ${stage}: ${summary.members} members into ${lfs}`);
  return summary;
}
