/** Uploading the boot test's evidence as a workflow artifact, when the runner provides the artifact service. */
import { existsSync } from 'node:fs';
import { DefaultArtifactClient } from '@actions/artifact';
import { errorMessage } from '../util/errors.js';
import { log } from '../util/log.js';

export interface UploadOutcome {
  uploaded: boolean;
  id?: number;
  /** Link to the artifact on the run's page, when the run is known. */
  url?: string;
  reason?: string;
}

export function artifactServicePresent(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.ACTIONS_RUNTIME_TOKEN && env.ACTIONS_RESULTS_URL);
}

/** Uploads the files that exist; never throws: a failed upload must not hide the test's own verdict. */
export async function uploadEvidence(name: string, files: string[], rootDirectory: string, retentionDays?: number): Promise<UploadOutcome> {
  if (!artifactServicePresent()) {
    log.info('artifact upload skipped: no artifact service (ACTIONS_RUNTIME_TOKEN / ACTIONS_RESULTS_URL unset)');
    return { uploaded: false, reason: 'no artifact service' };
  }
  const present = files.filter((f) => existsSync(f));
  try {
    // Level 0: PNG screenshots are already compressed; logs are small.
    const { id } = await new DefaultArtifactClient().uploadArtifact(name, present, rootDirectory, { retentionDays, compressionLevel: 0 });
    const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repo, GITHUB_RUN_ID: run } = process.env;
    const url = server && repo && run && id ? `${server}/${repo}/actions/runs/${run}/artifacts/${id}` : undefined;
    log.info(`uploaded artifact '${name}' (${present.length} files${url ? `, ${url}` : ''})`);
    return { uploaded: true, id, url };
  } catch (err) {
    log.warning(`artifact upload failed: ${errorMessage(err)}`);
    return { uploaded: false, reason: errorMessage(err) };
  }
}
