/** Unpacking disk.img.zst into a sparse disk.img. */
import { rename, rm, stat } from 'node:fs/promises';
import { run } from '../util/exec.js';
import { formatBytes } from '../util/format.js';
import { log } from '../util/log.js';

/** Decompresses with zstd, keeping zero runs as holes (--sparse), via "<target>.partial". */
export async function unpackZstd(source: string, target: string): Promise<void> {
  const partial = `${target}.partial`;
  const started = Date.now();
  try {
    // zstd prints its own progress only to a terminal; the runner's log gets the summary line below.
    await run('zstd', ['-d', '--sparse', '-q', '-f', source, '-o', partial]);
    await rename(partial, target);
  } catch (err) {
    await rm(partial, { force: true });
    throw err;
  }
  const info = await stat(target);
  log.info(`unpacked ${target}: ${formatBytes(info.size)} (${formatBytes(info.blocks * 512)} allocated) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
