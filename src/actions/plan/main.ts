/** pizlix/stage/actions/plan: what this change rebuilds, and roughly how long it will take. */
import * as core from '@actions/core';
import { errorMessage } from '../../util/errors.js';
import { formatDuration } from '../../util/format.js';
import { useActionsLogging } from '../../util/log.js';
import { shortKey } from '../../chain/keys.js';
import { loadManifest } from '../../chain/manifest.js';
import { describeExplanation, planStages } from '../../plan/plan.js';
import { openStore } from '../../store/index.js';
import { storeRequest } from '../../options/common.js';
import { planOptions } from '../../options/stage.js';
import { readActionOptions } from '../../options/surfaces.js';

async function main(): Promise<void> {
  useActionsLogging();
  try {
    const options = readActionOptions(planOptions);
    const manifest = loadManifest(options.manifest);
    const store = await openStore(storeRequest(options));
    const plan = await planStages(manifest, store, { pizlixDir: options.pizlixDir, keyExtra: options.keyExtra });
    const toBuild = plan.filter((p) => !p.inStore);
    const known = toBuild.filter((p) => p.estimatedSeconds !== undefined);
    const estimate = known.reduce((sum, p) => sum + (p.estimatedSeconds ?? 0), 0);

    core.setOutput('plan', JSON.stringify(plan.map(({ stage, key, parentKey, inStore, estimatedSeconds, changes }) => ({ stage, key, parentKey, inStore, estimatedSeconds: estimatedSeconds ?? null, changes: changes ?? null }))));
    core.setOutput('matrix', JSON.stringify({ include: toBuild.map((p) => ({ stage: p.stage, key: p.key })) }));
    core.setOutput('stages-to-build', JSON.stringify(toBuild.map((p) => p.stage)));
    core.setOutput('keys', JSON.stringify(Object.fromEntries(plan.map((p) => [p.stage, p.key]))));
    core.setOutput('estimated-seconds', String(Math.round(estimate)));

    const rows = plan.map((p) => [
      p.stage,
      `\`${shortKey(p.key)}\``,
      p.inStore ? 'reused' : '**rebuild**',
      p.inStore ? '' : p.changes ? describeExplanation(p.changes, 5).join('<br>') : 'never built with this store',
      p.estimatedSeconds !== undefined ? formatDuration(p.estimatedSeconds) : 'unknown',
    ]);
    const headline =
      toBuild.length === 0
        ? 'Nothing to rebuild: every stage is in the store.'
        : `Rebuilds ${toBuild.length} of ${plan.length} stages (${toBuild.map((p) => p.stage).join(', ')}); roughly ${formatDuration(estimate)}${known.length < toBuild.length ? ` plus ${toBuild.length - known.length} stage(s) with no recorded time` : ''}.`;
    core.info(headline);
    await core.summary
      .addHeading('Pizlix build plan', 3)
      .addRaw(headline, true)
      .addTable([['Stage', 'Key', 'Plan', 'Why', 'Build time (recorded)'].map((h) => ({ data: h, header: true })), ...rows])
      .write()
      .catch((err) => core.warning(`job summary not written: ${errorMessage(err)}`));
  } catch (err) {
    core.setFailed(errorMessage(err));
  }
}

void main();
