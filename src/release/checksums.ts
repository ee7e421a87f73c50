/** SHA256SUMS files as sha256sum(1) writes and checks them: "<64 hex>  <name>" (or " *<name>" for binary mode). */
import path from 'node:path';
import { IntegrityError } from '../util/errors.js';
import { sha256File } from '../util/hash.js';
import { ByteProgress } from '../util/progress.js';
import { stat } from 'node:fs/promises';

export const SHA256SUMS = 'SHA256SUMS';

/** The files of a disk image, by role: the names the image builder writes and a release fetch looks for. */
export const IMAGE_FILES = { image: 'disk.img', vmdk: 'disk.vmdk', compressed: 'disk.img.zst', sums: SHA256SUMS } as const;

/** File name → sha256 (hex, lower case). */
export type Checksums = Map<string, string>;

export function parseChecksums(text: string, source = SHA256SUMS): Checksums {
  const sums: Checksums = new Map();
  text.split('\n').forEach((line, index) => {
    if (!line.trim()) return;
    const match = /^([0-9a-fA-F]{64}) [ *](.+)$/.exec(line.trimEnd());
    if (!match) throw new IntegrityError(`${source} line ${index + 1} is not "<sha256>  <file name>": '${line.slice(0, 120)}'`);
    sums.set(path.basename(match[2]), match[1].toLowerCase());
  });
  return sums;
}

export function formatChecksums(sums: Checksums): string {
  return [...sums]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, hash]) => `${hash}  ${name}\n`)
    .join('');
}

/** Hashes each file (by its base name), showing progress, except those whose hash `known` already holds. */
export async function checksumFiles(files: Array<string | { file: string; name: string }>, known: Checksums = new Map()): Promise<Checksums> {
  const sums: Checksums = new Map();
  for (const entry of files) {
    const { file, name } = typeof entry === 'string' ? { file: entry, name: path.basename(entry) } : entry;
    const hash = known.get(name);
    if (hash) {
      sums.set(name, hash);
      continue;
    }
    const progress = new ByteProgress(`sha256 ${name}`, (await stat(file)).size);
    sums.set(name, await sha256File(file, progress));
    progress.finish();
  }
  return sums;
}

/** Throws unless the file's hash is the one listed; names the file and both hashes. */
export function assertChecksum(name: string, expected: string, actual: string): void {
  if (expected !== actual) {
    throw new IntegrityError(`${name} does not match ${SHA256SUMS}: expected sha256 ${expected}, got ${actual}`);
  }
}
