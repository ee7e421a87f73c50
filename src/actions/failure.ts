/** How an action reports the error that ended it: the step fails, and the job summary says why. */
import * as core from '@actions/core';
import { errorMessage } from '../util/errors.js';

export async function failAction(title: string, err: unknown): Promise<void> {
  core.setFailed(errorMessage(err));
  // Best effort: outside a runner there is no summary file, and the failure above must still be reported.
  await core.summary
    .addHeading(title, 3)
    .addRaw(errorMessage(err), true)
    .write()
    .catch(() => undefined);
}
