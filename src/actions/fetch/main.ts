/** pizlix/stage/actions/fetch: download a Pizlix release (or a store entry), verified against SHA256SUMS. */
import path from 'node:path';
import * as core from '@actions/core';
import { useActionsLogging } from '../../util/log.js';
import { fetchRelease } from '../../release/fetch-release.js';
import { fetchStoreEntry } from '../../store/fetch-entry.js';
import { connectToGitHub, parseRepository } from '../../release/github.js';
import type { ArtifactSource } from '../../store/artifact.js';
import { InputError } from '../../util/errors.js';
import { scratchDir } from '../../options/common.js';
import type { Values } from '../../options/option.js';
import { fetchOptions } from '../../options/release.js';
import { actionContext, readActionOptions } from '../../options/surfaces.js';
import { failAction } from '../failure.js';

type FetchValues = Values<typeof fetchOptions>;

async function main(): Promise<void> {
  useActionsLogging();
  try {
    const options = readActionOptions(fetchOptions);
    const source = options.source ?? (options.key ? 'store' : 'release');
    if (source === 'store') await fetchFromStore(options);
    else await fetchFromReleases(options);
  } catch (err) {
    await failAction('Pizlix fetch failed', err);
  }
}

async function fetchFromReleases(options: FetchValues): Promise<void> {
  if (!options.repository) throw new InputError('repository', 'is required but empty', 'owner/name of the repository whose releases hold Pizlix');
  const repository = parseRepository(options.repository);
  const fetched = await fetchRelease(connectToGitHub(options.token), {
    repository,
    tag: options.tag,
    patterns: options.files,
    directory: options.directory,
    unpack: options.unpack,
  });
  core.setOutput('image', fetched.image ?? '');
  core.setOutput('vmdk', fetched.vmdk ?? '');
  core.setOutput('snapshot', fetched.snapshot ?? '');
  core.setOutput('sha256sums', fetched.sha256sums);
  core.setOutput('release-tag', fetched.tag);
  core.setOutput('directory', fetched.directory);
  await core.summary
    .addHeading(`Pizlix release ${fetched.tag}`, 3)
    .addRaw(`Fetched from [${repository.owner}/${repository.repo}](${fetched.url}), every file verified against SHA256SUMS:`, true)
    .addList([...fetched.files, ...(fetched.image && !fetched.files.includes(fetched.image) ? [fetched.image] : [])].map((f) => `\`${f}\``))
    .write();
}

/** Another run's artifacts, when run-id names one: its repository is this one unless `repository` says otherwise. */
function artifactSource(options: FetchValues): ArtifactSource | undefined {
  if (options.runId === undefined) return undefined;
  if (!options.token) throw new InputError('token', 'is empty', 'a token with actions: read on the repository whose run holds the artifacts');
  const repository = parseRepository(options.repository || process.env.GITHUB_REPOSITORY || '');
  return { token: options.token, workflowRunId: options.runId, repositoryOwner: repository.owner, repositoryName: repository.repo };
}

async function fetchFromStore(options: FetchValues): Promise<void> {
  const source = options.store === 'artifact' ? artifactSource(options) : undefined;
  const fetched = await fetchStoreEntry(options, scratchDir(actionContext(), 'pizlix-fetch'), source);
  core.setOutput('snapshot', fetched.file);
  core.setOutput('directory', path.dirname(fetched.file));
  for (const name of ['image', 'vmdk', 'sha256sums', 'release-tag']) core.setOutput(name, '');
  await core.summary
    .addHeading(`Pizlix snapshot ${fetched.meta.stage}`, 3)
    .addRaw(`Store entry \`${options.key}\` verified (sha256 ${fetched.meta.sha256}): \`${fetched.file}\``, true)
    .write();
}

void main();
