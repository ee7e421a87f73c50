/** Fetching one stage snapshot from a store by its key — any backend — verified by the store. */
import { InputError } from '../util/errors.js';
import type { FetchedSnapshot, SnapshotStore } from './types.js';

export interface FetchStoreOptions {
  store: SnapshotStore;
  /** Where the store lives, for messages (its path, or the run it reads). */
  where: string;
  stage: string;
  key: string;
  workDir: string;
}

export async function fetchStoreEntry(options: FetchStoreOptions): Promise<FetchedSnapshot> {
  const fetched = await options.store.fetch(options.key, options.workDir);
  if (!fetched) throw new InputError('key', `the ${options.store.kind} store ${options.where} has no readable, intact entry ${options.key}`, "the key of a published snapshot (the stage action's key output)");
  if (options.stage && fetched.meta.stage !== options.stage) {
    throw new InputError('stage', `entry ${options.key} holds stage ${fetched.meta.stage}, not ${options.stage}`, `${fetched.meta.stage} or an empty stage`);
  }
  return fetched;
}
