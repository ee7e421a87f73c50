/** Options several verbs share: where the chain is (checkout, manifest, key material) and which store holds the snapshots. */
import os from 'node:os';
import path from 'node:path';
import type { StoreOptions } from '../store/index.js';
import { STORE_KINDS } from '../store/types.js';
import { scopeFromEnvironment } from '../store/trust.js';
import { choice, list, optionalText, pathOption, sizeOption } from './option.js';
import type { ReadContext } from './option.js';

/** Scratch directory of a verb: under RUNNER_TEMP in an action, under the system's temporary directory elsewhere. */
export function scratchDir(context: ReadContext, ...parts: string[]): string {
  const base = context.env.RUNNER_TEMP || path.join(context.env.TMPDIR || os.tmpdir(), context.surface === 'action' ? 'pizlix-stage-runner-temp' : 'pizlix-stage');
  return path.join(base, ...parts);
}

export const chainOptions = {
  'pizlix-dir': pathOption('The pizlix folder of the Fil-C checkout (relative to the workspace); its parent is the checkout whose files the keys hash.', {
    default: 'pizlix',
    placeholder: '<dir>',
  }),
  manifest: pathOption('A YAML stage manifest replacing or amending the chain read from the pizlix folder (see README).', { placeholder: '<file>' }),
  'key-extra': optionalText('Extra key material, e.g. the runner image id, so that different build hosts do not share snapshots; must match across the jobs of a build.', {
    placeholder: '<text>',
  }),
};


export const storeOptions = {
  store: choice('Where snapshots live between jobs: local (a directory on the runner or a shared disk), actions-cache, artifact, or auto (local when store-path is set, else actions-cache). Default auto; local on the command line.', STORE_KINDS, {
    actionDefault: 'auto',
    fallback: (context) => (context.surface === 'cli' ? 'local' : 'auto'),
  }),
  'store-path': pathOption('Directory of the local store. Default $RUNNER_TOOL_CACHE/pizlix-stage/store (~/.cache/pizlix-stage/store outside a runner).', { placeholder: '<dir>' }),
  'store-max-size': sizeOption('Evict least-recently-used local store entries beyond this size, e.g. 300G.'),
  'cache-budget': sizeOption(
    "The repository's Actions cache size limit (store actions-cache), e.g. 10G (github.com's default) or what the repository's settings allow. A snapshot of a fifth of it or more earns a warning in the job summary.",
    { default: '10G', only: 'action' },
  ),
  'trusted-refs': list('Refs whose builds are trusted (globs, comma or newline separated). Default the default branch and tags.', { only: 'action' }),
};

/** What openStore needs, from the store options as read (the trust scope from the job's environment). */
export function storeRequest(
  values: { store: string; storePath?: string; storeMaxSize?: number; cacheBudget?: number; trustedRefs?: string[] },
  env: NodeJS.ProcessEnv = process.env,
): StoreOptions {
  return {
    kind: values.store,
    path: values.storePath,
    maxBytes: values.storeMaxSize,
    cacheBudgetBytes: values.cacheBudget,
    scope: scopeFromEnvironment(env, values.trustedRefs),
  };
}
