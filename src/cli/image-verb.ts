/** The command line's image verb (also the second step of `pipeline`). */
import { formatBytes, formatDuration } from '../util/format.js';
import { log } from '../util/log.js';
import { buildDiskImage, type DiskImageResult } from '../image/build.js';
import type { Values } from '../options/option.js';
import type { imageMakingOptions } from '../options/image.js';
import { textTable } from './table.js';

export type ImageValues = Values<typeof imageMakingOptions> & { pizlixDir?: string };

export async function makeImage(snapshot: string, options: ImageValues): Promise<DiskImageResult> {
  const result = await buildDiskImage({
    snapshot,
    outputDir: options.outputDir,
    size: options.size,
    layout: options.layout,
    vmdk: options.vmdk,
    compress: options.compress,
    grubCfg: options.grubCfg,
    pizlixDir: options.pizlixDir,
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
