/**
 * The GitHub REST client for releases: Octokit for the JSON endpoints, plus the two raw transfers
 * Octokit would buffer in memory (asset download, asset upload), which stream here instead.
 * The API root comes from GITHUB_API_URL, as on GitHub Enterprise and in the loopback tests.
 */
import { Octokit } from '@octokit/rest';
import { InputError } from '../util/errors.js';

export const DEFAULT_API_URL = 'https://api.github.com';

export interface Repository {
  owner: string;
  repo: string;
}

export interface GitHubConnection {
  octokit: Octokit;
  /** Authorization header value, or undefined for anonymous access to public repositories. */
  authorization?: string;
  apiUrl: string;
}

/** A GitHub API call failed: carries the HTTP status and the API's own message. */
export class GitHubApiError extends Error {
  constructor(
    readonly what: string,
    readonly status: number,
    apiMessage: string,
  ) {
    super(`${what}: GitHub answered ${status}${apiMessage ? ` — ${apiMessage}` : ''}`);
    this.name = 'GitHubApiError';
  }
}

export function parseRepository(text: string, input = 'repository'): Repository {
  const match = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)$/.exec(text.trim());
  if (!match) throw new InputError(input, `'${text}' is not a repository`, 'owner/name, e.g. pizlonator/fil-c');
  return { owner: match[1], repo: match[2] };
}

export function connectToGitHub(token: string | undefined, apiUrl = process.env.GITHUB_API_URL || DEFAULT_API_URL): GitHubConnection {
  const base = apiUrl.replace(/\/+$/, '');
  return {
    octokit: new Octokit({ auth: token || undefined, baseUrl: base, userAgent: 'pizlix-stage', log: quietLog }),
    authorization: token ? `Bearer ${token}` : undefined,
    apiUrl: base,
  };
}

// Octokit logs 4xx answers with console.error; the callers report them as typed errors instead.
const quietLog = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/** Runs an Octokit call and turns its RequestError into a GitHubApiError naming what was attempted. */
export async function callApi<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw toApiError(what, err);
  }
}

export function isNotFound(err: unknown): boolean {
  return err instanceof GitHubApiError && err.status === 404;
}

function toApiError(what: string, err: unknown): Error {
  const status = (err as { status?: unknown }).status;
  if (typeof status !== 'number') return err instanceof Error ? err : new Error(String(err));
  const data = (err as { response?: { data?: unknown } }).response?.data;
  return new GitHubApiError(what, status, apiMessageOf(data));
}

/** GitHub's error bodies: {message, errors: [{code, field, message}], documentation_url}. */
export function apiMessageOf(data: unknown): string {
  if (!data || typeof data !== 'object') return typeof data === 'string' ? data.slice(0, 300) : '';
  const body = data as { message?: string; errors?: Array<{ code?: string; field?: string; message?: string }> };
  const details = (body.errors ?? []).map((e) => e.message ?? [e.field, e.code].filter(Boolean).join(' ')).filter(Boolean);
  return [body.message, ...details].filter(Boolean).join('; ');
}
