/** Resolving a list of file paths and globs (relative to a base directory) to existing regular files. */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import picomatch from 'picomatch';
import { InputError } from '../util/errors.js';

/** Every literal path must be a file and every glob must match at least one; the result has no duplicates. */
export async function resolveFiles(patterns: string[], baseDir: string, input = 'files'): Promise<string[]> {
  if (patterns.length === 0) throw new InputError(input, 'lists no file', 'one path or glob per line');
  const found = new Set<string>();
  for (const pattern of patterns) {
    const scan = picomatch.scan(pattern);
    if (!scan.isGlob) {
      const file = path.resolve(baseDir, pattern);
      const info = await stat(file).catch(() => undefined);
      if (!info?.isFile()) throw new InputError(input, `'${pattern}' is not a file (${file})`, 'paths of existing files');
      found.add(file);
      continue;
    }
    const root = path.resolve(baseDir, scan.base || '.');
    const isMatch = picomatch(scan.glob, { dot: true });
    const matches = (await walkFiles(root)).filter((relative) => isMatch(relative)).map((relative) => path.join(root, relative));
    if (matches.length === 0) throw new InputError(input, `'${pattern}' matches no file below ${root}`, 'a glob matching existing files');
    for (const match of matches.sort()) found.add(match);
  }
  return [...found];
}

async function walkFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => path.relative(root, path.join(e.parentPath, e.name)));
}
