/** pizlix/disk-image: a bootable BIOS disk image (Pizlix's GPT layout) from a stage snapshot, no privileges for block devices. */
import * as core from '@actions/core';
import { existsSync } from 'node:fs';
import { buildDiskImage } from '../../image/build.js';
import { PARTITION_TABLE_HEADER, SIZE_TABLE_HEADER, partitionTableRows, sizeRows, timingLine } from '../../image/report.js';
import { InputError } from '../../util/errors.js';
import { useActionsLogging } from '../../util/log.js';
import { fetchStageSnapshot } from '../../store/stored-snapshot.js';
import path from 'node:path';
import { openStore } from '../../store/index.js';
import { scratchDir, storeRequest } from '../../options/common.js';
import { imageOptions } from '../../options/image.js';
import { actionContext, readActionOptions } from '../../options/surfaces.js';
import { failAction } from '../failure.js';

/** The pizlix-dir input; its default (the workspace's pizlix/ folder) only counts when it exists. */
function pizlixDirOrDefault(given: string | undefined): string | undefined {
  if (given) return given;
  const fallback = path.resolve(actionContext().baseDir, 'pizlix');
  return existsSync(fallback) ? fallback : undefined;
}

function header(cells: string[]) {
  return cells.map((data) => ({ data, header: true }));
}

async function main(): Promise<void> {
  useActionsLogging();
  try {
    const options = readActionOptions(imageOptions);
    const { stage } = options;
    let snapshot = options.snapshot;
    let key = '';
    if (snapshot && stage)
      throw new InputError('stage', 'given together with snapshot', 'either snapshot (a tarball) or stage (a snapshot from the store), not both');
    if (!snapshot && !stage) throw new InputError('snapshot', 'is required', 'the path of a stage snapshot (.tar, .tar.gz, .tar.zst), or stage');
    if (stage) {
      const store = await openStore(storeRequest(options));
      const fetched = await fetchStageSnapshot({
        stage,
        pizlixDir: options.pizlixDir ?? path.resolve(actionContext().baseDir, 'pizlix'),
        manifestFile: options.manifest,
        keyExtra: options.keyExtra,
        store,
        workDir: scratchDir(actionContext(), 'pizlix-image-snapshot'),
      });
      core.info(`stage ${stage}: snapshot ${fetched.key} from the ${store.kind} store`);
      snapshot = fetched.file;
      key = fetched.key;
    }
    const result = await buildDiskImage({
      snapshot: snapshot!,
      outputDir: options.outputDir,
      size: options.size,
      layout: options.layout,
      grubCfg: options.grubCfg,
      pizlixDir: pizlixDirOrDefault(options.pizlixDir),
      vmdk: options.vmdk,
      compress: options.compress,
    });
    core.setOutput('image', result.image);
    core.setOutput('key', key);
    core.setOutput('vmdk', result.vmdk ?? '');
    core.setOutput('compressed', result.compressed ?? '');
    core.setOutput('sha256sums', result.sha256sums);
    core.setOutput('image-size', String(result.imageBytes));
    core.setOutput('image-allocated', String(result.allocatedBytes));
    await core.summary
      .addHeading('Pizlix disk image', 3)
      .addRaw(`Layout \`${result.plan.layout}\` · kernel \`${result.kernel.kernel}\` · grub.cfg ${result.grubCfg.source} (\`${result.grubCfg.origin}\`)`, true)
      .addTable([header(PARTITION_TABLE_HEADER), ...partitionTableRows(result.plan)])
      .addTable([header(SIZE_TABLE_HEADER), ...sizeRows(result)])
      .addRaw(timingLine(result), true)
      .write();
  } catch (err) {
    await failAction('Pizlix disk image failed', err);
  }
}

void main();
