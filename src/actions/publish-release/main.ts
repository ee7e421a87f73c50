/** pizlix/stage/actions/publish-release: upload the release files as GitHub Release assets. */
import * as core from '@actions/core';
import { useActionsLogging } from '../../util/log.js';
import { resolveFiles } from '../../release/files.js';
import { connectToGitHub, parseRepository } from '../../release/github.js';
import { publishRelease } from '../../release/publish.js';
import { scratchDir } from '../../options/common.js';
import { publishOptions } from '../../options/release.js';
import { actionContext, readActionOptions } from '../../options/surfaces.js';
import { failAction } from '../failure.js';

async function main(): Promise<void> {
  useActionsLogging();
  try {
    const values = readActionOptions(publishOptions);
    const context = actionContext();
    const options = {
      repository: parseRepository(values.repository),
      tag: values.tag,
      name: values.name,
      body: values.body,
      targetCommit: process.env.GITHUB_SHA || undefined,
      files: await resolveFiles(values.files, context.baseDir),
      draft: values.draft,
      prerelease: values.prerelease,
      makeLatest: values.makeLatest,
      workDir: scratchDir(context, 'pizlix-publish', values.tag),
    };
    const result = await publishRelease(connectToGitHub(values.token), options);
    core.setOutput('url', result.url);
    core.setOutput('uploaded', result.uploaded.join('\n'));
    core.setOutput('replaced', result.replaced.join('\n'));
    core.setOutput('unchanged', result.unchanged.join('\n'));
    core.setOutput('sha256sums', result.sha256sums);
    await core.summary
      .addHeading(`Pizlix release ${result.tag} ${result.created ? 'created' : 'updated'}`, 3)
      .addTable([
        [
          { data: 'Asset', header: true },
          { data: 'Action', header: true },
        ],
        ...(['uploaded', 'replaced', 'unchanged'] as const).flatMap((action) => result[action].map((name) => [name, action])),
      ])
      .addLink(result.url, result.url)
      .write();
  } catch (err) {
    await failAction('Publishing the Pizlix release failed', err);
  }
}

void main();
