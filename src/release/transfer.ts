/**
 * Streaming asset transfers. Downloads ask the API for the asset's bytes (Accept:
 * application/octet-stream), which answers 200 with the bytes or 302 to a signed URL on another host;
 * the token is sent to the API only, never to the signed URL. Bytes go to "<name>.partial", hashed on
 * the way, and are renamed into place only after their sha256 matched.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { Sha256Tap } from '../util/hash.js';
import { withRetries as retry, type RetryPolicy } from '../util/retry.js';
import { ByteProgress } from '../util/progress.js';
import { assertChecksum } from './checksums.js';
import { GitHubApiError, apiMessageOf, type GitHubConnection } from './github.js';

export interface AssetRef {
  id: number;
  name: string;
  size: number;
  /** API URL of the asset (GET it with Accept: application/octet-stream for the bytes). */
  url: string;
}

const MAX_REDIRECTS = 5;

/**
 * Downloads an asset to `target`, verifying it against `expectedSha256`; on mismatch nothing is left
 * behind. A dropped connection or a 5xx answer is tried again (a fresh signed URL each time); a
 * mismatch is not, since the release itself is then wrong.
 */
export function downloadAsset(github: GitHubConnection, asset: AssetRef, target: string, expectedSha256: string): Promise<void> {
  return withRetries(`downloading ${asset.name}`, () => downloadOnce(github, asset, target, expectedSha256));
}

/** Downloads a small asset (SHA256SUMS) into memory. */
export function downloadAssetText(github: GitHubConnection, asset: AssetRef): Promise<string> {
  return withRetries(`downloading ${asset.name}`, async () => (await openAssetStream(github, asset)).text());
}

/** Downloads are tried three times, 2 s then 4 s apart; only transient failures are retried. */
const DOWNLOAD_RETRY: RetryPolicy = { attempts: 3, delayMs: 2000 };

function withRetries<T>(what: string, attempt: () => Promise<T>): Promise<T> {
  return retry(what, DOWNLOAD_RETRY, attempt, { isRetryable: isTransient });
}

function isTransient(err: unknown): boolean {
  if (err instanceof GitHubApiError) return err.status >= 500 || err.status === 429;
  // fetch() reports network failures as TypeError ("fetch failed"); a cut stream as a premature close.
  const code = (err as NodeJS.ErrnoException).code ?? (err as { cause?: NodeJS.ErrnoException }).cause?.code;
  return err instanceof TypeError || ['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'ERR_STREAM_PREMATURE_CLOSE', 'UND_ERR_SOCKET'].includes(code ?? '');
}

async function downloadOnce(github: GitHubConnection, asset: AssetRef, target: string, expectedSha256: string): Promise<void> {
  const partial = `${target}.partial`;
  try {
    const response = await openAssetStream(github, asset);
    const progress = new ByteProgress(`downloading ${asset.name}`, asset.size);
    const tap = new Sha256Tap({ progress });
    await pipeline(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>), tap, createWriteStream(partial));
    progress.finish();
    assertChecksum(asset.name, expectedSha256, tap.hex());
    await rename(partial, target);
  } catch (err) {
    await rm(partial, { force: true });
    throw err;
  }
}

async function openAssetStream(github: GitHubConnection, asset: AssetRef): Promise<Response> {
  let url = asset.url;
  let headers: Record<string, string> = { accept: 'application/octet-stream', 'user-agent': 'pizlix-stage' };
  if (github.authorization) headers.authorization = github.authorization;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const response = await fetch(url, { headers, redirect: 'manual' });
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel();
      const next = new URL(location, url);
      // The signed URL carries its own authorization; storage hosts reject a second one.
      if (next.origin !== new URL(url).origin) headers = { 'user-agent': 'pizlix-stage' };
      url = next.href;
      continue;
    }
    if (!response.ok || !response.body) {
      throw new GitHubApiError(`downloading release asset ${asset.name}`, response.status, apiMessageOf(await bodyOf(response)));
    }
    return response;
  }
  throw new GitHubApiError(`downloading release asset ${asset.name}`, 310, `more than ${MAX_REDIRECTS} redirects`);
}

/**
 * Uploads a file to a release's upload_url (an RFC 6570 template such as
 * ".../releases/1/assets{?name,label}"), streaming it with its length. Returns the new asset.
 */
export async function uploadAsset(github: GitHubConnection, uploadUrlTemplate: string, file: string, name: string): Promise<AssetRef> {
  const url = new URL(uploadUrlTemplate.replace(/\{[^}]*\}$/, ''));
  url.searchParams.set('name', name);
  const size = (await stat(file)).size;
  const progress = new ByteProgress(`uploading ${name}`, size);
  const body = Readable.toWeb(createReadStream(file, { highWaterMark: 1 << 20 }).pipe(progress.stream()));
  const headers: Record<string, string> = {
    accept: 'application/vnd.github+json',
    'content-type': 'application/octet-stream',
    'content-length': String(size),
    'user-agent': 'pizlix-stage',
  };
  if (github.authorization) headers.authorization = github.authorization;
  const response = await fetch(url, { method: 'POST', headers, body: body as ReadableStream, duplex: 'half' } as RequestInit);
  const answer = await bodyOf(response);
  if (response.status !== 201) throw new GitHubApiError(`uploading ${name}`, response.status, apiMessageOf(answer));
  progress.finish();
  const asset = answer as { id: number; name: string; size: number; url: string };
  return { id: asset.id, name: asset.name, size: asset.size, url: asset.url };
}

async function bodyOf(response: Response): Promise<unknown> {
  const text = await response.text().catch(() => '');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
