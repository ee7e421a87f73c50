/** Fetching one stage snapshot from a store by its key — any backend — verified by the store. */
import { storeRequest } from '../options/common.js';
import { InputError } from '../util/errors.js';
import type { ArtifactSource } from './artifact.js';
import { openStore } from './index.js';
import type { FetchedSnapshot } from './types.js';

/** The fetch verb's store options (the action and the command line read the same schema). */
export type FetchEntryValues = Parameters<typeof storeRequest>[0] & { key?: string; stage?: string };

/**
 * Opens the store the options name and fetches the entry `key`, checked against `stage` when one is given.
 * `artifactSource` reads another workflow run's artifacts (the action's run-id); `env` gives the trust scope
 * (the command line passes none: it runs outside GitHub).
 */
export async function fetchStoreEntry(
  values: FetchEntryValues,
  workDir: string,
  artifactSource?: ArtifactSource,
  env: NodeJS.ProcessEnv = process.env,
): Promise<FetchedSnapshot> {
  if (!values.key) throw new InputError('key', 'is required but empty', "the snapshot's store key (the stage action's key output)");
  if (values.store === 'local' && !values.storePath) throw new InputError('store-path', 'is required but empty', 'the directory of the store');
  const store = await openStore({ ...storeRequest(values, env), artifactSource });
  const where =
    store.kind === 'local'
      ? `at ${values.storePath}`
      : store.kind === 's3'
        ? `in bucket ${values.s3Bucket}`
        : artifactSource
          ? `of run ${artifactSource.workflowRunId}`
          : 'of this run';
  const fetched = await store.fetch(values.key, workDir);
  if (!fetched)
    throw new InputError(
      'key',
      `the ${store.kind} store ${where} has no readable, intact entry ${values.key}`,
      "the key of a published snapshot (the stage action's key output)",
    );
  if (values.stage && fetched.meta.stage !== values.stage) {
    throw new InputError('stage', `entry ${values.key} holds stage ${fetched.meta.stage}, not ${values.stage}`, `${fetched.meta.stage} or an empty stage`);
  }
  return fetched;
}
