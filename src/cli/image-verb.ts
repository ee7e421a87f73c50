/** The command line's image verb (also the second step of `pipeline`). */
import path from 'node:path';
import { formatBytes, formatDuration } from '../util/format.js';
import { log } from '../util/log.js';
import { buildDiskImage, type DiskImageResult } from '../image/build.js';
import { textTable } from './table.js';

export interface ImageOptions {
  outputDir: string;
  size?: string;
  vmdk?: string;
  compress?: boolean;
  grubCfg?: string;
  pizlixDir?: string;
}

export async function makeImage(snapshot: string, options: ImageOptions): Promise<DiskImageResult> {
  const result = await buildDiskImage({
    snapshot: path.resolve(snapshot),
    outputDir: path.resolve(options.outputDir),
    size: options.size,
    vmdk: options.vmdk,
    compress: options.compress,
    grubCfg: options.grubCfg ? path.resolve(options.grubCfg) : undefined,
    pizlixDir: options.pizlixDir ? path.resolve(options.pizlixDir) : undefined,
  });
  log.info(
    textTable([
      ['file', 'size', 'on disk'],
      [result.image, formatBytes(result.imageBytes), formatBytes(result.allocatedBytes)],
      ...(result.vmdk ? [[result.vmdk, formatBytes(result.vmdkBytes ?? 0), '']] : []),
      ...(result.compressed ? [[result.compressed, formatBytes(result.compressedBytes ?? 0), '']] : []),
      [result.sha256sums, '', ''],
    ]),
  );
  log.info(`image made in ${formatDuration(result.seconds.total)}`);
  return result;
}
