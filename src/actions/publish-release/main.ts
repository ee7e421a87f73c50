/** pizlix/stage/actions/publish-release: upload the release files as GitHub Release assets. */
import * as core from '@actions/core';
import { errorMessage } from '../../util/errors.js';
import { useActionsLogging } from '../../util/log.js';
import { resolveFiles } from '../../release/files.js';
import { connectToGitHub, parseRepository } from '../../release/github.js';
import { MAKE_LATEST, publishRelease } from '../../release/publish.js';
import { booleanInput, choiceInput, requiredInput, runnerTemp, textInput } from '../inputs.js';

async function main(): Promise<void> {
  useActionsLogging();
  try {
    const tag = requiredInput('tag', 'a release tag such as v2026.11.25');
    const repository = parseRepository(requiredInput('repository', 'owner/name'));
    const token = requiredInput('token', 'a token with contents: write permission');
    core.setSecret(token);
    const patterns = core.getMultilineInput('files').map((line) => line.trim()).filter(Boolean);
    const workspace = process.env.GITHUB_WORKSPACE ?? process.cwd();
    const options = {
      repository,
      tag,
      name: textInput('name'),
      body: textInput('body') || undefined,
      targetCommit: process.env.GITHUB_SHA || undefined,
      files: await resolveFiles(patterns, workspace),
      draft: booleanInput('draft'),
      prerelease: booleanInput('prerelease'),
      makeLatest: choiceInput('make-latest', MAKE_LATEST, 'true'),
      workDir: runnerTemp('pizlix-publish', tag),
    };
    const result = await publishRelease(connectToGitHub(token), options);
    core.setOutput('url', result.url);
    core.setOutput('uploaded', result.uploaded.join('\n'));
    core.setOutput('replaced', result.replaced.join('\n'));
    core.setOutput('unchanged', result.unchanged.join('\n'));
    core.setOutput('sha256sums', result.sha256sums);
    await core.summary
      .addHeading(`Pizlix release ${result.tag} ${result.created ? 'created' : 'updated'}`, 3)
      .addTable([
        [{ data: 'Asset', header: true }, { data: 'Action', header: true }],
        ...(['uploaded', 'replaced', 'unchanged'] as const).flatMap((action) => result[action].map((name) => [name, action])),
      ])
      .addLink(result.url, result.url)
      .write();
  } catch (err) {
    core.setFailed(errorMessage(err));
    // Best effort: outside a runner there is no summary file, and the failure above must still be reported.
    await core.summary.addHeading('Publishing the Pizlix release failed', 3).addRaw(errorMessage(err), true).write().catch(() => undefined);
  }
}

void main();
