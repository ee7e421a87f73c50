/** File-system steps that must not leave half-written results behind. */
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Sha256Tap } from './hash.js';
import type { ByteProgress } from './progress.js';

/** Copies a file, fsyncs the copy, and returns its size and sha256 — one read of the source. */
export async function copyWithSha256(source: string, target: string, progress?: ByteProgress): Promise<{ size: number; sha256: string }> {
  const tap = new Sha256Tap({ progress });
  await pipeline(createReadStream(source, { highWaterMark: 4 << 20 }), tap, createWriteStream(target));
  await fsyncPath(target);
  return { size: tap.bytes, sha256: tap.hex() };
}

export async function fsyncPath(file: string): Promise<void> {
  const handle = await open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes a file so that readers see either the old contents or the complete new ones. */
export async function writeFileAtomic(file: string, contents: string | Buffer): Promise<void> {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${randomUUID()}.tmp`);
  try {
    await writeFile(temporary, contents);
    await fsyncPath(temporary);
    await rename(temporary, file);
  } catch (err) {
    await rm(temporary, { force: true });
    throw err;
  }
}
