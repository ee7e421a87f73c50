/**
 * Which builds are trusted. A pull request's build may read what trusted refs published, but what it
 * publishes is never returned to builds of the default branch or of tags.
 */
import { readFileSync } from 'node:fs';
import picomatch from 'picomatch';
import type { SnapshotMeta, TrustScope } from './types.js';

const UNTRUSTED_EVENTS = new Set(['pull_request', 'pull_request_target', 'pull_request_review', 'pull_request_review_comment', 'merge_group']);

/**
 * Decides the scope of this build from the runner's environment.
 * @param trustedRefs globs of refs whose builds are trusted; default: the repository's default branch and tags.
 *   Outside GitHub (no GITHUB_REF) a build is trusted: the workstation owns its store.
 */
export function scopeFromEnvironment(env: NodeJS.ProcessEnv = process.env, trustedRefs?: string[]): TrustScope {
  const ref = env.GITHUB_REF ?? '';
  if (!ref) return { trust: 'trusted', ref: 'local' };
  if (UNTRUSTED_EVENTS.has(env.GITHUB_EVENT_NAME ?? '')) return { trust: 'untrusted', ref };
  const patterns = trustedRefs && trustedRefs.length > 0 ? trustedRefs : defaultTrustedRefs(env);
  return { trust: picomatch.isMatch(ref, patterns) ? 'trusted' : 'untrusted', ref };
}

function defaultTrustedRefs(env: NodeJS.ProcessEnv): string[] {
  const refs = ['refs/tags/*'];
  const defaultBranch = readDefaultBranch(env);
  refs.push(defaultBranch ? `refs/heads/${defaultBranch}` : 'refs/heads/main');
  return refs;
}

function readDefaultBranch(env: NodeJS.ProcessEnv): string | undefined {
  if (!env.GITHUB_EVENT_PATH) return undefined;
  try {
    const event = JSON.parse(readFileSync(env.GITHUB_EVENT_PATH, 'utf8')) as { repository?: { default_branch?: string } };
    return event.repository?.default_branch;
  } catch {
    return undefined;
  }
}

/** A file-name-safe form of a ref, for directory names and key prefixes. */
export function refSlug(ref: string): string {
  return ref.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 100);
}

/**
 * The name of the scope a build writes to: `trusted`, or `untrusted<separator><ref slug>`. Stores turn it
 * into a directory (`-`), a cache-key segment (`-`) or an object prefix (`/`).
 */
export function writeScopeName(scope: TrustScope, separator = '-'): string {
  return scope.trust === 'trusted' ? 'trusted' : `untrusted${separator}${refSlug(scope.ref)}`;
}

/** Scopes a build may read, most specific first: trusted builds only `trusted`; untrusted ones their own, then `trusted`. */
export function readableScopeNames(scope: TrustScope, separator = '-'): string[] {
  return scope.trust === 'trusted' ? ['trusted'] : [writeScopeName(scope, separator), 'trusted'];
}

/**
 * Whether a build may use an entry, judged by who published it (its metadata), on top of where it was found:
 * a trusted build never uses what an untrusted build published.
 */
export function mayUse(scope: TrustScope, meta: Pick<SnapshotMeta, 'trust'>): boolean {
  return scope.trust === 'untrusted' || meta.trust === 'trusted';
}
