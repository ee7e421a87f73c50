/** A local store's entry metadata read straight from its directory (trusted entries), for key chains in tests. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { decodeMeta } from '../../src/store/meta.js';
import type { SnapshotMeta } from '../../src/store/types.js';

export async function readStoredMeta(storeDir: string, key: string): Promise<{ meta: SnapshotMeta } | undefined> {
  const text = await readFile(path.join(storeDir, 'entries', 'trusted', key, 'meta.json'), 'utf8').catch(() => undefined);
  return text === undefined ? undefined : { meta: decodeMeta(text, key) };
}
