/**
 * Moving snapshot bytes to and from a bucket with bounded memory, whatever the size:
 *
 * - upload: @aws-sdk/lib-storage's multipart Upload (parts in parallel, at most `queue` parts in
 *   memory), fed by one read of the file that also measures its size and sha256 on the way;
 * - download: ranged GETs, a few in flight, each part written at its offset as it arrives. The sha256 is
 *   computed in file order as parts complete, so no second read is needed; a part waits to start while
 *   the part `window` parts before it is still unhashed, which bounds memory to `window` parts.
 *   lib-storage has no download side; this is the small piece no well-kept library offers.
 *
 * Each part of a download is retried on its own (a dropped connection mid-part costs that part only);
 * the SDK retries each upload part's request.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { AbortMultipartUploadCommand, GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { ByteProgress } from '../util/progress.js';
import { withRetries, type RetryPolicy } from '../util/retry.js';
import { isRetryable } from './s3-client.js';

export interface TransferTuning {
  /** Bytes of one part (multipart upload part, ranged GET). */
  partBytes: number;
  /** Parts in flight at once. */
  parallel: number;
}

export const DEFAULT_TUNING: TransferTuning = {
  partBytes: Number(process.env.PIZLIX_STAGE_S3_PART_MB ?? 16) * 1024 ** 2,
  parallel: Number(process.env.PIZLIX_STAGE_S3_PARALLEL ?? 4),
};

/** S3 allows at most 10,000 parts; larger files get larger parts. */
const MAX_PARTS = 10_000;

export interface Measured {
  size: number;
  sha256: string;
}

export interface ObjectRef {
  bucket: string;
  key: string;
}

/** Uploads a file to one object; returns the size and sha256 of exactly the bytes sent. */
export async function uploadFile(client: S3Client, target: ObjectRef, file: string, progress: ByteProgress, tuning = DEFAULT_TUNING): Promise<Measured> {
  const { size: expected } = await stat(file);
  const hash = createHash('sha256');
  let size = 0;
  const body = createReadStream(file, { highWaterMark: 1 << 20 }).pipe(
    new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        size += chunk.length;
        cb(null, chunk);
      },
    }),
  );
  const upload = new Upload({
    client,
    params: { Bucket: target.bucket, Key: target.key, Body: body, ContentType: 'application/octet-stream' },
    partSize: Math.max(tuning.partBytes, Math.ceil(expected / MAX_PARTS)),
    queueSize: tuning.parallel,
    // lib-storage would abort on failure and throw the abort's error instead of the cause on servers
    // without AbortMultipartUpload (s3rver); the store aborts itself below, best effort.
    leavePartsOnError: true,
  });
  let reported = 0;
  upload.on('httpUploadProgress', (p) => {
    if (p.loaded !== undefined && p.loaded > reported) {
      progress.add(p.loaded - reported);
      reported = p.loaded;
    }
  });
  try {
    await upload.done();
  } catch (err) {
    body.destroy();
    if (upload.uploadId) {
      await client.send(new AbortMultipartUploadCommand({ Bucket: target.bucket, Key: target.key, UploadId: upload.uploadId })).catch(() => undefined);
    }
    throw err;
  }
  if (reported < size) progress.add(size - reported);
  return { size, sha256: hash.digest('hex') };
}

/** Downloads `size` bytes of one object into `file` by ranged GETs; returns what arrived, measured. */
export async function downloadFile(
  client: S3Client,
  source: ObjectRef,
  size: number,
  file: string,
  progress: ByteProgress,
  partRetry: RetryPolicy,
  tuning = DEFAULT_TUNING,
): Promise<Measured> {
  const handle = await open(file, 'w');
  const hasher = new InOrderHasher();
  const partBytes = Math.max(tuning.partBytes, Math.ceil(size / MAX_PARTS));
  const parts = Math.ceil(size / partBytes);
  const window = tuning.parallel * 2;
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (next < parts && !failed) {
      const index = next++;
      await hasher.waitForRoom(index, window);
      const start = index * partBytes;
      const end = Math.min(size, start + partBytes) - 1;
      const chunks = await withRetries(`s3: GET ${source.key} bytes ${start}-${end}`, partRetry, () => getRange(client, source, start, end, handle, progress), {
        isRetryable,
      });
      hasher.add(index, chunks);
    }
  };
  try {
    // Every worker finishes (or fails) before the file is closed; the first failure is the one reported.
    const outcomes = await Promise.allSettled(
      Array.from({ length: Math.min(tuning.parallel, Math.max(parts, 1)) }, () =>
        worker().catch((err: unknown) => {
          failed = true;
          hasher.abort();
          throw err;
        }),
      ),
    );
    const failure = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failure) throw failure.reason;
    await handle.sync();
  } finally {
    await handle.close();
  }
  return { size: hasher.bytes, sha256: hasher.digest() };
}

/** One ranged GET, its body written at its offset as it arrives; a short body (a connection dropped mid-part) is an error worth another attempt. */
async function getRange(client: S3Client, source: ObjectRef, start: number, end: number, handle: FileHandle, progress: ByteProgress): Promise<Buffer[]> {
  const response = await client.send(new GetObjectCommand({ Bucket: source.bucket, Key: source.key, Range: `bytes=${start}-${end}` }));
  const chunks: Buffer[] = [];
  let length = 0;
  try {
    for await (const chunk of response.Body as AsyncIterable<Buffer>) {
      await handle.write(chunk, 0, chunk.length, start + length);
      chunks.push(chunk);
      length += chunk.length;
      progress.add(chunk.length);
    }
    if (length !== end - start + 1) throw new Error(`part ${start}-${end} of ${source.key} came back with ${length} bytes`);
  } catch (err) {
    progress.add(-length);
    throw err;
  }
  return chunks;
}

/** sha256 over parts that complete out of order, fed in order; parts wait for room so memory stays bounded. */
class InOrderHasher {
  private readonly hash = createHash('sha256');
  private readonly pending = new Map<number, Buffer[]>();
  private nextToHash = 0;
  private waiters: Array<() => void> = [];
  private aborted = false;
  bytes = 0;

  add(index: number, chunks: Buffer[]): void {
    this.pending.set(index, chunks);
    for (let part = this.pending.get(this.nextToHash); part; part = this.pending.get(this.nextToHash)) {
      for (const chunk of part) {
        this.hash.update(chunk);
        this.bytes += chunk.length;
      }
      this.pending.delete(this.nextToHash++);
    }
    this.wake();
  }

  async waitForRoom(index: number, window: number): Promise<void> {
    while (!this.aborted && index >= this.nextToHash + window) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  abort(): void {
    this.aborted = true;
    this.wake();
  }

  digest(): string {
    return this.hash.digest('hex');
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }
}
