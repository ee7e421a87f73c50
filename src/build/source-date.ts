/**
 * SOURCE_DATE_EPOCH for the stage scripts (https://reproducible-builds.org/specs/source-date-epoch/):
 * the commit time of the checkout's HEAD, so that builds that honour it (timestamps in archives, man
 * pages, .pyc files) give the same output, and the same output digest, from the same commit.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { InputError } from '../util/errors.js';
import { log } from '../util/log.js';

/** A value already in the environment wins; undefined when the checkout is not a git work tree. */
export async function sourceDateEpoch(pizlixDir: string): Promise<string | undefined> {
  const given = process.env.SOURCE_DATE_EPOCH;
  if (given !== undefined && given !== '') {
    // The spec's format; tools that honour it reject anything else, mostly silently, late in the build.
    if (!/^\d+$/.test(given)) {
      throw new InputError(
        'SOURCE_DATE_EPOCH (environment)',
        `"${given}" is not a Unix time`,
        'whole seconds since 1970, digits only, e.g. the output of `git log -1 --format=%ct`',
      );
    }
    return given;
  }
  const commitTime = await promisify(execFile)('git', ['-C', pizlixDir, 'log', '-1', '--format=%ct', 'HEAD']).then(
    ({ stdout }) => stdout.trim(),
    () => '',
  );
  if (/^\d+$/.test(commitTime)) return commitTime;
  log.info(`${pizlixDir} is not in a git work tree with a commit: SOURCE_DATE_EPOCH is not set for the stage script`);
  return undefined;
}
