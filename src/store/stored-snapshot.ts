/**
 * The stored snapshot of one stage as the checkout defines it now: its key is computed exactly as
 * the stage action computes it, and the store must hold that key (a stale snapshot of the stage is
 * never taken instead). Used where a later job needs a stage's root filesystem without restoring it
 * into $LFS: the disk image.
 */
import path from 'node:path';
import { InputError } from '../util/errors.js';
import { chainKeys, computeKeys } from '../chain/keys.js';
import { loadChain } from '../chain/chain.js';
import { chainTo, findStage } from '../chain/manifest.js';
import type { FetchedSnapshot, SnapshotStore } from './types.js';

export interface StoredSnapshotRequest {
  stage: string;
  pizlixDir: string;
  manifestFile?: string;
  keyExtra?: string;
  store: SnapshotStore;
  workDir: string;
}

export async function fetchStageSnapshot(request: StoredSnapshotRequest): Promise<FetchedSnapshot & { key: string }> {
  const manifest = loadChain({ pizlixDir: request.pizlixDir, manifestFile: request.manifestFile });
  const definition = findStage(manifest, request.stage);
  const own = await computeKeys(manifest, { pizlixDir: path.resolve(request.pizlixDir), keyExtra: request.keyExtra });
  // Keys chain on output digests: the stage's key is known from the stored snapshots of its ancestors.
  const chained = (
    await chainKeys(
      chainTo(manifest, definition.name).map((s) => own.find((k) => k.stage === s.name)!),
      (k) => request.store.lookup(k),
    )
  ).pop()!;
  if (!chained.key) {
    throw new InputError(
      'stage',
      `the ${request.store.kind} store holds no ${chained.waitsOn} snapshot for this checkout, so ${definition.name}'s key is unknown`,
      `build the chain up to ${definition.name} first (with needs:)`,
    );
  }
  const key = chained.key;
  const fetched = await request.store.fetch(key, request.workDir);
  if (!fetched) {
    throw new InputError(
      'stage',
      `the ${request.store.kind} store holds no intact ${definition.name} snapshot with key ${key}`,
      `a stage that the stage action built or restored with the same checkout, manifest, key-extra and store (run it first, with needs:)`,
    );
  }
  return { ...fetched, key };
}
