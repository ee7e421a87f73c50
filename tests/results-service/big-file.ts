/** Writes a large file of incompressible bytes quickly: one random block, varied per copy. */
import { randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';

const BLOCK = 64 << 20;

export async function writeIncompressibleFile(file: string, bytes: number): Promise<void> {
  const block = randomBytes(BLOCK);
  const words = new Uint32Array(block.buffer, block.byteOffset, block.length / 4);
  const handle = await open(file, 'w');
  try {
    for (let written = 0, n = 0; written < bytes; n++) {
      // Change one word per 4 KiB, so no two blocks repeat (compressors would otherwise shrink them).
      for (let i = 0; i < words.length; i += 1024) words[i] = (words[i] + 0x9e3779b9 * (n + 1)) >>> 0;
      const length = Math.min(BLOCK, bytes - written);
      await handle.write(block, 0, length);
      written += length;
    }
  } finally {
    await handle.close();
  }
}
