/** Opens the store a build asked for. */
import os from 'node:os';
import path from 'node:path';
import { InputError } from '../util/errors.js';
import { parseSize } from '../util/format.js';
import { LocalStore } from './local.js';
import type { SnapshotStore, TrustScope } from './types.js';

export const STORE_KINDS = ['local', 'actions-cache', 'artifact', 'auto'] as const;
export type StoreKind = (typeof STORE_KINDS)[number];

export interface StoreOptions {
  kind: string;
  /** Local store directory; default under RUNNER_TOOL_CACHE (or ~/.cache outside a runner). */
  path?: string;
  /** Size cap of the local store, e.g. "200G". */
  maxSize?: string;
  scope: TrustScope;
}

export function defaultStorePath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.RUNNER_TOOL_CACHE) return path.join(env.RUNNER_TOOL_CACHE, 'pizlix-stage', 'store');
  return path.join(env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'pizlix-stage', 'store');
}

export async function openStore(options: StoreOptions): Promise<SnapshotStore> {
  const kind = options.kind || 'auto';
  if (!(STORE_KINDS as readonly string[]).includes(kind)) {
    throw new InputError('store', `unknown store '${kind}'`, STORE_KINDS.join(', '));
  }
  let maxBytes: number | undefined;
  if (options.maxSize) {
    maxBytes = parseSize(options.maxSize);
    if (maxBytes === undefined) throw new InputError('store-max-size', `'${options.maxSize}' is not a size`, 'a size such as 200G or 500M');
  }
  if (kind === 'local' || (kind === 'auto' && options.path)) {
    if (options.path !== undefined && options.path !== '' && !path.isAbsolute(options.path)) {
      throw new InputError('store-path', `'${options.path}' is not an absolute path`, 'an absolute directory path');
    }
    return new LocalStore(options.path || defaultStorePath(), options.scope, { maxBytes });
  }
  return openRemoteStore(kind === 'auto' ? 'actions-cache' : kind, options.scope);
}

async function openRemoteStore(kind: string, _scope: TrustScope): Promise<SnapshotStore> {
  throw new InputError('store', `the '${kind}' store is not available in this build`, 'local');
}
