/** The one check of the `pizlix-dir` input: every verb that reads a checkout's pizlix folder goes through it. */
import { statSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '../util/errors.js';

/** The absolute pizlix folder, or an InputError naming `pizlix-dir` when it is not a directory. */
export function requirePizlixDir(dir: string): string {
  const absolute = path.resolve(dir);
  if (!statSync(absolute, { throwIfNoEntry: false })?.isDirectory()) {
    throw new InputError('pizlix-dir', `${absolute} is not a directory`, 'the pizlix folder of a Fil-C checkout (relative to the workspace)');
  }
  return absolute;
}
