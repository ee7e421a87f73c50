/** Opens the store a build asked for. */
import os from 'node:os';
import path from 'node:path';
import { InputError } from '../util/errors.js';
import type { ArtifactSource } from './artifact.js';
import { LocalStore } from './local.js';
import { resolveS3Location, type S3StoreInputs } from './s3-layout.js';
import { STORE_KINDS, type SnapshotStore, type TrustScope } from './types.js';

export interface StoreOptions {
  kind: string;
  /** Local store directory; default under RUNNER_TOOL_CACHE (or ~/.cache outside a runner). */
  path?: string;
  /** Size cap of the local store, in bytes. */
  maxBytes?: number;
  scope: TrustScope;
  /** artifact store: read snapshots of another workflow run (publishing still goes to this run). */
  artifactSource?: ArtifactSource;
  /** actions-cache store: the repository's cache size limit in bytes, for the budget warning. */
  cacheBudgetBytes?: number;
  /** s3 store: the bucket and where in it (`auto` picks s3 when a bucket is given). */
  s3?: S3StoreInputs;
}

/**
 * The Actions cache store saves from and restores to one fixed directory, whose path is part of every
 * entry's cache version: it must be the same on every runner. PIZLIX_STAGE_CACHE_DIR moves it (for
 * tests, or a runner whose /var/tmp is small), for every job that shares the entries.
 */
export const CACHE_DIR_VARIABLE = 'PIZLIX_STAGE_CACHE_DIR';

export function defaultStorePath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.RUNNER_TOOL_CACHE) return path.join(env.RUNNER_TOOL_CACHE, 'pizlix-stage', 'store');
  return path.join(env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'pizlix-stage', 'store');
}

/**
 * The Actions cache and artifacts are reached through the job's results service, whose address and
 * token the runner gives to JavaScript actions only. Without them every call would fail later with a
 * message about a URL; say what is wrong up front.
 */
function requireResultsService(kind: string): void {
  const env = process.env;
  const missing = [
    ...(env.ACTIONS_RUNTIME_TOKEN ? [] : ['ACTIONS_RUNTIME_TOKEN']),
    // The cache also works with the older service of GitHub Enterprise Server (ACTIONS_CACHE_URL).
    ...(env.ACTIONS_RESULTS_URL || (kind === 'actions-cache' && env.ACTIONS_CACHE_URL) ? [] : ['ACTIONS_RESULTS_URL']),
  ];
  if (missing.length === 0) return;
  throw new InputError(
    'store',
    `'${kind}' needs the Actions results service, but ${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not set (not inside a GitHub Actions job step of a JavaScript action)`,
    'store: local with store-path (a directory, or a disk the runners share), or this action run as a step of a GitHub Actions job',
  );
}

/**
 * The remote backends are loaded only when asked for: the AWS SDK and the @actions/* clients are most of a
 * bundle's size, and parsing them cost every job and command about half a second at start.
 */
export async function openStore(options: StoreOptions): Promise<SnapshotStore> {
  const kind = options.kind || 'auto';
  if (!(STORE_KINDS as readonly string[]).includes(kind)) {
    throw new InputError('store', `unknown store '${kind}'`, STORE_KINDS.join(', '));
  }
  if (kind === 's3' || (kind === 'auto' && options.s3?.bucket)) {
    const { S3Store } = await import('./s3.js');
    return new S3Store(options.scope, { location: resolveS3Location(options.s3 ?? {}), maxBytes: options.maxBytes });
  }
  if (kind === 'local' || (kind === 'auto' && options.path)) {
    if (options.path !== undefined && options.path !== '' && !path.isAbsolute(options.path)) {
      throw new InputError('store-path', `'${options.path}' is not an absolute path`, 'an absolute directory path');
    }
    return new LocalStore(options.path || defaultStorePath(), options.scope, { maxBytes: options.maxBytes });
  }
  requireResultsService(kind === 'auto' ? 'actions-cache' : kind);
  if (kind === 'artifact') {
    const { ArtifactStore } = await import('./artifact.js');
    return new ArtifactStore(options.scope, { source: options.artifactSource });
  }
  const stagingDir = process.env[CACHE_DIR_VARIABLE] || undefined;
  if (stagingDir && !path.isAbsolute(stagingDir)) {
    throw new InputError(CACHE_DIR_VARIABLE, `'${stagingDir}' is not an absolute path`, 'an absolute directory, the same on every runner');
  }
  const { ActionsCacheStore } = await import('./actions-cache.js');
  return new ActionsCacheStore(options.scope, { stagingDir, budgetBytes: options.cacheBudgetBytes });
}
