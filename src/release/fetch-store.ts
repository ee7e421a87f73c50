/** Fetching one stage snapshot from a local (or shared-disk) store by its key, verified by the store. */
import { InputError } from '../util/errors.js';
import { openStore } from '../store/index.js';
import { scopeFromEnvironment } from '../store/trust.js';
import type { FetchedSnapshot } from '../store/types.js';

export interface FetchStoreOptions {
  storePath: string;
  stage: string;
  key: string;
  workDir: string;
}

export async function fetchStoreEntry(options: FetchStoreOptions): Promise<FetchedSnapshot> {
  const store = await openStore({ kind: 'local', path: options.storePath, scope: scopeFromEnvironment(process.env) });
  const fetched = await store.fetch(options.key, options.workDir);
  if (!fetched) throw new InputError('key', `the store at ${options.storePath} has no readable, intact entry ${options.key}`, 'the key of a published snapshot (the stage action\'s key output)');
  if (options.stage && fetched.meta.stage !== options.stage) {
    throw new InputError('stage', `entry ${options.key} holds stage ${fetched.meta.stage}, not ${options.stage}`, `${fetched.meta.stage} or an empty stage`);
  }
  return fetched;
}
