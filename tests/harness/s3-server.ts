/**
 * A real S3 protocol server on loopback for the s3 store's tests and benchmark: s3rver (npm) in its own
 * process over a directory, with the fault proxy in front of it that the results service uses too.
 * Clients reach the proxy with path-style URLs and s3rver's fixed credentials (S3RVER/S3RVER; it checks
 * SigV4 signatures, so the proxy keeps the Host header).
 *
 * s3rver's limits matter to what these tests prove: it ignores `If-None-Match` (so the store's
 * read-back protocol is what keeps concurrent publishes right), has no AbortMultipartUpload, writes
 * objects in place, and enforces no bucket policy (so trust tests show what the store itself refuses).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, open, readFile, utimes } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { startFaultProxy, type FaultProxy } from './fault-proxy.js';
import { REPO_ROOT } from './runner.js';
import { Faults } from '../results-service/faults.js';
import type { S3StoreInputs } from '../../src/store/s3-layout.js';

const S3RVER_BIN = path.join(REPO_ROOT, 'node_modules', 's3rver', 'bin', 's3rver.js');

export interface S3Server {
  /** The proxy clients use (faults, byte counts). It runs in the test's process: a client run by spawnSync must use directEndpoint. */
  endpoint: string;
  /** s3rver itself, past the proxy. */
  directEndpoint: string;
  bucket: string;
  faults: Faults;
  /** Credentials and region for the SDK's default chain, as a runner's environment would carry them. */
  env: Record<string, string>;
  /** The s3 store's location options for this server (prefix left to the caller). */
  location: S3StoreInputs;
  /** The same as action inputs. */
  inputs: Record<string, string>;
  uploadedBytes(): number;
  downloadedBytes(): number;
  /** The S3 operations of the requests the proxy has seen, in order (tests splice it). */
  operations: string[];
  /** A raw client, for a test that acts as another (misbehaving) writer. */
  client(): S3Client;
  /** Flips one byte in the middle of a stored object, as storage corruption would. */
  corruptObject(name: string): Promise<void>;
  /** Sets an object's LastModified (s3rver reports its file's mtime), to age it without waiting. */
  setModified(name: string, when: Date): Promise<void>;
  stop(): Promise<void>;
}

export async function startS3Server(dataDir: string, bucket = 'pizlix-test'): Promise<S3Server> {
  // Its output goes to a file, not a pipe: a test that blocks its own process (spawnSync) must not
  // block the server on a full pipe.
  await mkdir(path.dirname(dataDir), { recursive: true });
  const logFile = `${dataDir}.log`;
  const log = await open(logFile, 'w');
  const child = spawn(process.execPath, [S3RVER_BIN, '-d', dataDir, '-a', '127.0.0.1', '-p', '0', '--silent', '--configure-bucket', bucket], {
    stdio: ['ignore', log.fd, log.fd],
  });
  await log.close();
  const port = await listeningPort(child, logFile);
  const faults = new Faults();
  let proxy: FaultProxy;
  try {
    proxy = await startFaultProxy({
      targetPort: port,
      faults,
      keepHost: true,
      operationOf: s3Operation,
      isDownload: (req) => s3Operation(req) === 'GetObject',
    });
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  const endpoint = `http://127.0.0.1:${proxy.port}`;
  // s3rver keeps an object's bytes in <dir>/<bucket>/<key>._S3rver_object.
  const objectFile = (name: string) => path.join(dataDir, bucket, `${name}._S3rver_object`);
  const env = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' };
  return {
    endpoint,
    directEndpoint: `http://127.0.0.1:${port}`,
    bucket,
    faults,
    env,
    location: { bucket, endpoint, forcePathStyle: true },
    inputs: { 's3-bucket': bucket, 's3-endpoint': endpoint, 's3-force-path-style': 'true' },
    uploadedBytes: () => proxy.bytesIn(),
    downloadedBytes: () => proxy.bytesOut(),
    operations: proxy.operations,
    client: () =>
      new S3Client({
        endpoint: `http://127.0.0.1:${port}`,
        region: 'us-east-1',
        forcePathStyle: true,
        credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY },
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      }),
    corruptObject: async (name) => {
      const handle = await open(objectFile(name), 'r+');
      try {
        const { size } = await handle.stat();
        const byte = Buffer.alloc(1);
        await handle.read(byte, 0, 1, Math.floor(size / 2));
        byte[0] ^= 0xff;
        await handle.write(byte, 0, 1, Math.floor(size / 2));
      } finally {
        await handle.close();
      }
    },
    setModified: (name, when) => utimes(objectFile(name), when, when),
    stop: async () => {
      await proxy.stop();
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function listeningPort(child: ChildProcess, logFile: string): Promise<number> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const output = await readFile(logFile, 'utf8');
    const m = /S3rver listening on [\d.]+:(\d+)/.exec(output);
    if (m) return Number(m[1]);
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`s3rver did not start (${child.exitCode !== null ? `exit ${child.exitCode}` : 'no answer in 30 s'}):\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The S3 API operation of a path-style request, for faults aimed at one. */
export function s3Operation(req: http.IncomingMessage): string {
  const url = new URL(req.url ?? '/', 'http://loopback');
  const q = url.searchParams;
  const isBucket = url.pathname.split('/').filter(Boolean).length <= 1;
  switch (req.method) {
    case 'PUT':
      if (q.has('partNumber') && q.has('uploadId')) return 'UploadPart';
      if (req.headers['x-amz-copy-source']) return 'CopyObject';
      return isBucket ? 'CreateBucket' : 'PutObject';
    case 'POST':
      if (q.has('uploads')) return 'CreateMultipartUpload';
      if (q.has('uploadId')) return 'CompleteMultipartUpload';
      return q.has('delete') ? 'DeleteObjects' : 'PostObject';
    case 'DELETE':
      return q.has('uploadId') ? 'AbortMultipartUpload' : 'DeleteObject';
    case 'HEAD':
      return isBucket ? 'HeadBucket' : 'HeadObject';
    default:
      return isBucket ? 'ListObjectsV2' : 'GetObject';
  }
}
