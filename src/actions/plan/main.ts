/** pizlix/stage/actions/plan: the chain, what this change rebuilds, and roughly how long it will take. */
import * as core from '@actions/core';
import { InputError, errorMessage } from '../../util/errors.js';
import { formatDuration } from '../../util/format.js';
import { useActionsLogging } from '../../util/log.js';
import { loadChain } from '../../chain/chain.js';
import { checkChain } from '../../chain/check.js';
import { shortKey } from '../../chain/keys.js';
import type { StageManifest } from '../../chain/manifest.js';
import { formatTrail } from '../../chain/references.js';
import { describeExplanation, planStages, type PlannedStage } from '../../plan/plan.js';
import { openStore } from '../../store/index.js';
import { storeRequest } from '../../options/common.js';
import { planOptions } from '../../options/stage.js';
import { readActionOptions } from '../../options/surfaces.js';

async function main(): Promise<void> {
  useActionsLogging();
  try {
    const options = readActionOptions(planOptions);
    const { pizlixDir } = options;
    const manifest = loadChain({ pizlixDir, manifestFile: options.manifest });
    requireSlots(manifest, options.maxStages);
    warnAboutHoles(manifest, pizlixDir);
    const store = await openStore(storeRequest(options));
    const plan = await planStages(manifest, store, { pizlixDir, keyExtra: options.keyExtra });
    setOutputs(plan);
    await writeSummary(manifest, plan);
  } catch (err) {
    core.setFailed(errorMessage(err));
  }
}

/** The reusable workflow has a fixed number of stage jobs: a longer chain must fail here, not be cut short. */
function requireSlots(manifest: StageManifest, maxStages: number | undefined): void {
  const count = manifest.stages.length;
  if (maxStages === undefined || count <= maxStages) return;
  throw new InputError(
    'max-stages',
    `the chain has ${count} stages (${manifest.stages.map((s) => s.name).join(', ')}), more than the ${maxStages} stage jobs the workflow has`,
    `a workflow with at least ${count} stage slots (max-stages: ${count})`,
  );
}

/** Holes in the scripts and unused projects, as warnings a maintainer sees on the run. */
function warnAboutHoles(manifest: StageManifest, pizlixDir: string): void {
  const report = checkChain(manifest, pizlixDir);
  for (const p of report.problems) core.warning(p);
  for (const h of report.holes) core.warning(`stage ${h.stage}: ${h.path}: ${h.what} (${formatTrail(h.trail)})`, { title: 'Input resolves to nothing' });
  for (const u of report.unusedProjects) core.warning(`${u}: no stage reads it, so no key depends on it`, { title: 'Unused project' });
}

function setOutputs(plan: PlannedStage[]): void {
  const toBuild = plan.filter((p) => !p.inStore);
  const last = plan[plan.length - 1];
  const estimate = toBuild.reduce((sum, p) => sum + (p.estimatedSeconds ?? 0), 0);
  core.setOutput(
    'plan',
    JSON.stringify(
      plan.map(({ stage, key, parentKey, inStore, waitsOn, estimatedSeconds, changes, network }) => ({
        stage,
        key,
        parentKey,
        inStore,
        waitsOn: waitsOn ?? null,
        estimatedSeconds: estimatedSeconds ?? null,
        changes: changes ?? null,
        network,
      })),
    ),
  );
  core.setOutput('stages', JSON.stringify(plan.map((p) => p.stage)));
  core.setOutput('stage-count', String(plan.length));
  core.setOutput('last-stage', last.stage);
  core.setOutput('last-key', last.key ?? '');
  core.setOutput('matrix', JSON.stringify({ include: toBuild.map((p) => ({ stage: p.stage, key: p.key })) }));
  core.setOutput('stages-to-build', JSON.stringify(toBuild.map((p) => p.stage)));
  core.setOutput('keys', JSON.stringify(Object.fromEntries(plan.map((p) => [p.stage, p.key]))));
  core.setOutput('estimated-seconds', String(Math.round(estimate)));
}

async function writeSummary(manifest: StageManifest, plan: PlannedStage[]): Promise<void> {
  const toBuild = plan.filter((p) => !p.inStore);
  const known = toBuild.filter((p) => p.estimatedSeconds !== undefined);
  const estimate = known.reduce((sum, p) => sum + (p.estimatedSeconds ?? 0), 0);
  const rows = plan.map((p) => [
    p.stage,
    `\`${shortKey(p.key)}\``,
    p.inStore ? 'reused' : p.waitsOn ? `waits on ${p.waitsOn}'s output` : '**rebuild**',
    p.inStore ? '' : whyNotStored(p),
    p.network.length > 0 ? `fetches ${p.network.length} URL(s) from the network` : '',
    p.estimatedSeconds !== undefined ? formatDuration(p.estimatedSeconds) : 'unknown',
  ]);
  const rebuilds = toBuild.filter((p) => !p.waitsOn);
  const waiting = toBuild.filter((p) => p.waitsOn);
  const headline =
    toBuild.length === 0
      ? 'Nothing to rebuild: every stage is in the store.'
      : `Rebuilds ${rebuilds.length} of ${plan.length} stages (${rebuilds.map((p) => p.stage).join(', ')})` +
        (waiting.length > 0
          ? `; ${waiting.map((p) => `${p.stage} waits on ${p.waitsOn}'s output`).join(', ')} (reused when that output comes out identical to the stored one, else rebuilt)`
          : '') +
        `; at most roughly ${formatDuration(estimate)}${known.length < toBuild.length ? ` plus ${toBuild.length - known.length} stage(s) with no recorded time` : ''}.`;
  const chain = `Chain of ${plan.length} stages from ${manifest.source}: ${plan.map((p) => p.stage).join(' → ')}.`;
  const fetching = plan.filter((p) => p.network.length > 0);
  core.info(chain);
  core.info(headline);
  for (const p of fetching) core.info(`${p.stage} fetches from the network: ${p.network.join(', ')}`);
  await core.summary
    .addHeading('Pizlix build plan', 3)
    .addRaw(chain, true)
    .addRaw(headline, true)
    .addTable([['Stage', 'Key', 'Plan', 'Why', 'Network', 'Build time (recorded)'].map((h) => ({ data: h, header: true })), ...rows])
    .write()
    .catch((err) => core.warning(`job summary not written: ${errorMessage(err)}`));
}

/** Why a stage is not reused: its inputs' changes, or the parent output it waits on. */
function whyNotStored(p: PlannedStage): string {
  const inputs = p.changes ? describeExplanation({ ...p.changes, parentChanged: false }, 5).filter((l) => !l.startsWith('no input differs')) : [];
  if (p.waitsOn) return [`its key hashes ${p.waitsOn}'s output, known once ${p.waitsOn} is built`, ...inputs].join('<br>');
  return p.changes ? describeExplanation(p.changes, 5).join('<br>') : 'never built with this store';
}

void main();
