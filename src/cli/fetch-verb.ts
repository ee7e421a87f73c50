/** The command line's fetch verb: a release from GitHub Releases, or one store entry by key. */
import { InputError } from '../util/errors.js';
import { log } from '../util/log.js';
import { fetchRelease } from '../release/fetch-release.js';
import { connectToGitHub, parseRepository } from '../release/github.js';
import { fetchStoreEntry } from '../store/fetch-entry.js';
import type { Values } from '../options/option.js';
import type { fetchOptions } from '../options/release.js';
import { textTable } from './table.js';

export type FetchValues = Values<typeof fetchOptions>;

/** `fetch`: a release from GitHub Releases (GITHUB_TOKEN for private repositories), or a store entry by key. */
export async function fetchVerb(options: FetchValues): Promise<void> {
  const source = options.source ?? (options.key ? 'store' : 'release');
  if (source === 'store') {
    if (options.repository) throw new InputError('repository', 'given together with --key', 'either --repository (a release) or --key (a store entry)');
    const fetched = await fetchStoreEntry(options, options.directory, undefined, {});
    log.info(`${fetched.meta.stage} snapshot ${options.key}, sha256 ${fetched.meta.sha256} verified: ${fetched.file}`);
    return;
  }
  if (!options.repository)
    throw new InputError('repository', 'is required', 'owner/name of the repository whose releases hold Pizlix (or --key for a store entry)');
  const fetched = await fetchRelease(connectToGitHub(process.env.GITHUB_TOKEN), {
    repository: parseRepository(options.repository),
    tag: options.tag,
    patterns: options.files,
    directory: options.directory,
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
