/** pizlix/stage/actions/fetch: download a Pizlix release (or a store entry), verified against SHA256SUMS. */
import path from 'node:path';
import * as core from '@actions/core';
import { errorMessage } from '../../util/errors.js';
import { useActionsLogging } from '../../util/log.js';
import { fetchRelease } from '../../release/fetch-release.js';
import { fetchStoreEntry } from '../../store/fetch-entry.js';
import { connectToGitHub, parseRepository } from '../../release/github.js';
import { openStore } from '../../store/index.js';
import type { ArtifactSource } from '../../store/artifact.js';
import { scopeFromEnvironment } from '../../store/trust.js';
import { InputError } from '../../util/errors.js';
import { booleanInput, choiceInput, listInput, numberInput, pathInput, requiredInput, runnerTemp, s3Inputs, textInput } from '../inputs.js';

async function main(): Promise<void> {
  useActionsLogging();
  try {
    const source = choiceInput('source', ['release', 'store'] as const, 'release');
    if (source === 'store') await fetchFromStore();
    else await fetchFromReleases();
  } catch (err) {
    core.setFailed(errorMessage(err));
    // Best effort: outside a runner there is no summary file, and the failure above must still be reported.
    await core.summary.addHeading('Pizlix fetch failed', 3).addRaw(errorMessage(err), true).write().catch(() => undefined);
  }
}

async function fetchFromReleases(): Promise<void> {
  const repository = parseRepository(requiredInput('repository', 'owner/name of the repository whose releases hold Pizlix'));
  const token = textInput('token');
  if (token) core.setSecret(token);
  const fetched = await fetchRelease(connectToGitHub(token), {
    repository,
    tag: textInput('tag', 'latest'),
    patterns: listInput('files'),
    directory: pathInput('directory') || runnerTemp('pizlix-release'),
    unpack: booleanInput('unpack', true),
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
function artifactSource(token: string): ArtifactSource | undefined {
  const runId = numberInput('run-id', { min: 1, integer: true });
  if (runId === undefined) return undefined;
  if (!token) throw new InputError('token', 'is empty', 'a token with actions: read on the repository whose run holds the artifacts');
  const repository = parseRepository(textInput('repository') || process.env.GITHUB_REPOSITORY || '');
  return { token, workflowRunId: runId, repositoryOwner: repository.owner, repositoryName: repository.repo };
}

async function fetchFromStore(): Promise<void> {
  const kind = textInput('store', 'auto');
  const token = textInput('token');
  if (token) core.setSecret(token);
  const source = kind === 'artifact' ? artifactSource(token) : undefined;
  const storePath = pathInput('store-path');
  if (kind === 'local' && !storePath) requiredInput('store-path', 'the directory of the store');
  const s3 = s3Inputs();
  const store = await openStore({ kind, path: storePath, s3, scope: scopeFromEnvironment(process.env, listInput('trusted-refs')), artifactSource: source });
  const where = store.kind === 'local' ? `at ${storePath}` : store.kind === 's3' ? `in bucket ${s3.bucket}` : source ? `of run ${source.workflowRunId}` : 'of this run';
  const key = requiredInput('key', "the snapshot's store key (the stage action's key output)");
  const fetched = await fetchStoreEntry({ store, where, stage: textInput('stage'), key, workDir: runnerTemp('pizlix-fetch') });
  core.setOutput('snapshot', fetched.file);
  core.setOutput('directory', path.dirname(fetched.file));
  for (const name of ['image', 'vmdk', 'sha256sums', 'release-tag']) core.setOutput(name, '');
  await core.summary
    .addHeading(`Pizlix snapshot ${fetched.meta.stage}`, 3)
    .addRaw(`Store entry \`${key}\` verified (sha256 ${fetched.meta.sha256}): \`${fetched.file}\``, true)
    .write();
}

void main();
