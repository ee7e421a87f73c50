/** The command line's fetch verb: a release from GitHub Releases, or one store entry by key. */
import path from 'node:path';
import { InputError } from '../util/errors.js';
import { log } from '../util/log.js';
import { fetchRelease } from '../release/fetch-release.js';
import { connectToGitHub, parseRepository } from '../release/github.js';
import { fetchStoreEntry } from '../store/fetch-entry.js';
import { textTable } from './table.js';
import { describeCommandStore, openCommandStore, type StoreCommandOptions } from './store-options.js';

export interface FetchOptions extends StoreCommandOptions {
  repository?: string;
  tag: string;
  files?: string;
  directory: string;
  unpack: boolean;
  key?: string;
}

/** `fetch`: a release from GitHub Releases (GITHUB_TOKEN for private repositories), or a store entry by key. */
export async function fetchVerb(options: FetchOptions): Promise<void> {
  if (options.key) {
    if (options.repository) throw new InputError('repository', 'given together with --key', 'either --repository (a release) or --key (a store entry)');
    const store = await openCommandStore(options);
    const fetched = await fetchStoreEntry({ store, where: describeCommandStore(options), stage: '', key: options.key, workDir: path.resolve(options.directory) });
    log.info(`${fetched.meta.stage} snapshot ${options.key}, sha256 ${fetched.meta.sha256} verified: ${fetched.file}`);
    return;
  }
  if (!options.repository) throw new InputError('repository', 'is required', 'owner/name of the repository whose releases hold Pizlix (or --key for a store entry)');
  const fetched = await fetchRelease(connectToGitHub(process.env.GITHUB_TOKEN), {
    repository: parseRepository(options.repository),
    tag: options.tag,
    patterns: (options.files ?? '').split(',').map((p) => p.trim()).filter(Boolean),
    directory: path.resolve(options.directory),
    unpack: options.unpack,
  });
  log.info(
    textTable([
      ['what', 'path'],
      ['release', `${fetched.tag} (${fetched.url})`],
      ...fetched.files.map((f) => ['verified', f]),
      ...(fetched.image ? [['disk image', fetched.image]] : []),
    ]),
  );
}
