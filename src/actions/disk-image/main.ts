/** pizlix/disk-image: a bootable BIOS disk image (Pizlix's GPT layout) from a stage snapshot, no privileges for block devices. */
import * as core from '@actions/core';
import { existsSync } from 'node:fs';
import { buildDiskImage } from '../../image/build.js';
import { PARTITION_TABLE_HEADER, SIZE_TABLE_HEADER, partitionTableRows, sizeRows, timingLine } from '../../image/report.js';
import { InputError, errorMessage } from '../../util/errors.js';
import { useActionsLogging } from '../../util/log.js';
import { fetchStageSnapshot } from '../../store/stored-snapshot.js';
import { openStore } from '../../store/index.js';
import { scopeFromEnvironment } from '../../store/trust.js';
import { booleanInput, listInput, pathInput, runnerTemp, s3Inputs, textInput } from '../inputs.js';

/** The pizlix-dir input; its default (the checkout's pizlix/ folder) only counts when it exists. */
function pizlixDirInput(): string | undefined {
  const given = pathInput('pizlix-dir');
  if (given) return given;
  const fallback = pathInput('pizlix-dir', 'pizlix');
  return existsSync(fallback) ? fallback : undefined;
}

function header(cells: string[]) {
  return cells.map((data) => ({ data, header: true }));
}

async function main(): Promise<void> {
  useActionsLogging();
  try {
    const stage = textInput('stage');
    let snapshot = pathInput('snapshot');
    if (snapshot && stage) throw new InputError('stage', 'given together with snapshot', 'either snapshot (a tarball) or stage (a snapshot from the store), not both');
    if (!snapshot && !stage) throw new InputError('snapshot', 'is required', 'the path of a stage snapshot (.tar, .tar.gz, .tar.zst), or stage');
    if (stage) {
      const scope = scopeFromEnvironment(process.env, listInput('trusted-refs'));
      const store = await openStore({ kind: textInput('store', 'auto'), path: textInput('store-path'), s3: s3Inputs(), scope });
      const fetched = await fetchStageSnapshot({
        stage,
        pizlixDir: pathInput('pizlix-dir', 'pizlix'),
        manifestFile: pathInput('manifest') || undefined,
        keyExtra: textInput('key-extra') || undefined,
        store,
        workDir: runnerTemp('pizlix-image-snapshot'),
      });
      core.info(`stage ${stage}: snapshot ${fetched.key} from the ${store.kind} store`);
      snapshot = fetched.file;
    }
    const result = await buildDiskImage({
      snapshot,
      outputDir: pathInput('output-dir') || runnerTemp('pizlix-image'),
      size: textInput('size'),
      layout: textInput('layout', 'pizlix'),
      grubCfg: pathInput('grub-cfg') || undefined,
      pizlixDir: pizlixDirInput(),
      vmdk: textInput('vmdk', 'flat'),
      compress: booleanInput('compress'),
    });
    core.setOutput('image', result.image);
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
    core.setFailed(errorMessage(err));
    // Best effort: outside a runner there is no summary file, and the failure above must still be reported.
    await core.summary.addHeading('Pizlix disk image failed', 3).addRaw(errorMessage(err), true).write().catch(() => undefined);
  }
}

void main();
