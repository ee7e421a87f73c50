/** Content hashes: sha256 of files and streams, and git's blob object id. */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import type { ByteProgress } from './progress.js';

export async function sha256File(file: string, progress?: ByteProgress): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(
    createReadStream(file, { highWaterMark: 1 << 20 }),
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        progress?.add(chunk.length);
        cb();
      },
    }),
  );
  return hash.digest('hex');
}

export function sha256Text(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Git's object id of a blob with these contents (sha1 of "blob <size>\0" + contents), so that a
 *  file hashed by us matches the id git records for the same contents. */
export function gitBlobId(contents: Buffer): string {
  return createHash('sha1').update(`blob ${contents.length}\0`).update(contents).digest('hex');
}
