/**
 * The AWS SDK client of the s3 store, and what its errors mean: not there, lost a conditional write,
 * worth another attempt (5xx, 429, a dropped or stalled connection), or final (403, 400 …).
 *
 * Credentials come from the SDK's default chain (environment, shared files, web identity as
 * aws-actions/configure-aws-credentials sets it up, container and instance roles); this module never
 * reads or prints them.
 */
import http from 'node:http';
import https from 'node:https';
import * as core from '@actions/core';
import { S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { errorMessage } from '../util/errors.js';
import { PermanentError, withRetries, type RetryPolicy } from '../util/retry.js';
import { RemoteStoreError } from './remote-common.js';
import type { S3Location } from './s3-layout.js';

/** Parallel connections: parts in flight for uploads and downloads, plus small requests beside them. */
const MAX_SOCKETS = 16;
/** A connection silent this long is dropped (and the request retried): a stalled transfer fails instead of hanging. */
const SOCKET_IDLE_MS = Number(process.env.PIZLIX_STAGE_S3_IDLE_MS ?? 300_000);

export function createS3Client(location: S3Location): S3Client {
  maskCredentialsInTheLog();
  const client = new S3Client({
    region: location.region,
    endpoint: location.endpoint,
    forcePathStyle: location.forcePathStyle,
    // The SDK's request retries (5xx, 429, connection errors) for each request, a part included; the
    // store retries whole steps on top of them (withRetries).
    maxAttempts: 3,
    // Checksums only where the API requires them: the flexible CRC checksums the SDK adds by default
    // are refused or stored as part of the object by several S3-compatible servers (MinIO, Ceph and R2
    // releases; s3rver keeps the aws-chunked framing). Integrity is the store's own end-to-end sha256.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: {
      connectionTimeout: 30_000,
      requestTimeout: SOCKET_IDLE_MS,
      httpAgent: new http.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS }),
      httpsAgent: new https.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS }),
    },
  });
  // Upload parts go unsigned (UNSIGNED-PAYLOAD, as the SDKs send streams over TLS): signing would hash
  // every snapshot byte a second time on the runner. What guards the bytes is the sha256 the signed
  // commit record carries, checked on every fetch; over plain http nothing else would (responses are
  // never signed).
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const request = args.request as { headers?: Record<string, string> };
      if (context.commandName === 'UploadPartCommand' && request.headers) request.headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
      return next(args);
    },
    { step: 'build', name: 'pizlixUnsignedUploadParts' },
  );
  return client;
}

/** In a job, credentials found in the environment are masked in the log (configure-aws-credentials masks its own). */
function maskCredentialsInTheLog(env: NodeJS.ProcessEnv = process.env): void {
  if (env.GITHUB_ACTIONS !== 'true') return;
  for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN']) {
    const value = env[name];
    if (value) core.setSecret(value);
  }
}

function statusOf(err: unknown): number | undefined {
  return err instanceof S3ServiceException ? err.$metadata?.httpStatusCode : undefined;
}

export function isNotFound(err: unknown): boolean {
  const name = (err as { name?: string })?.name;
  return name === 'NoSuchKey' || name === 'NotFound' || statusOf(err) === 404;
}

/** Another writer committed first (412), or is committing right now (409), under `If-None-Match: *`. */
export function isConditionalConflict(err: unknown): boolean {
  const status = statusOf(err);
  return status === 412 || status === 409;
}

/** The server does not implement a request header we sent (a conditional write on an older server). */
export function isNotImplemented(err: unknown): boolean {
  return statusOf(err) === 501 || (err as { name?: string })?.name === 'NotImplemented';
}

/** 5xx, 429 and anything that is not an answer of the service (a reset, a timeout, a truncated body). */
export function isRetryable(err: unknown): boolean {
  if (err instanceof PermanentError) return false;
  const status = statusOf(err);
  if (status === undefined) return !(err instanceof RemoteStoreError) && (err as { name?: string })?.name !== 'IntegrityError';
  return status >= 500 || status === 429;
}

/** A short reason for logs and errors: the S3 error code and status, or the network error. */
export function describeS3Error(err: unknown): string {
  const status = statusOf(err);
  const code = (err as { Code?: string; name?: string }).Code ?? (err as { name?: string }).name;
  return status !== undefined ? `${code} (HTTP ${status}): ${errorMessage(err)}` : errorMessage(err);
}

/** Runs one step against the bucket with retries; after them, a RemoteStoreError naming the step. */
export async function s3Step<T>(operation: string, key: string, policy: RetryPolicy, attempt: () => Promise<T>): Promise<T> {
  try {
    return await withRetries(`s3: ${operation} of ${key}`, policy, attempt, { isRetryable });
  } catch (err) {
    if (err instanceof RemoteStoreError) throw err;
    throw new RemoteStoreError('s3', operation, key, describeS3Error(err));
  }
}
