/**
 * pizlix-stage: the toolkit's verbs on a workstation, without GitHub — the same library and the same option
 * schemas as the actions (src/options), with the local store by default, always trusted.
 */
import { Command } from 'commander';
import { errorMessage } from '../util/errors.js';
import { log } from '../util/log.js';
import { chainTo } from '../chain/manifest.js';
import { bootOptions } from '../options/boot-test.js';
import { bootTestOptions } from '../options/boot-test.js';
import { imageMakingOptions, imageOptions } from '../options/image.js';
import { boolean, omit } from '../options/option.js';
import { fetchOptions } from '../options/release.js';
import { planOptions, stageOptions } from '../options/stage.js';
import { addCliOptions, readCliOptions } from '../options/surfaces.js';
import { bootTest } from './boot-test-verb.js';
import { fetchVerb } from './fetch-verb.js';
import { makeImage } from './image-verb.js';
import { buildStages, chainOf, explainVerb, planVerb } from './stage-verbs.js';
import { addChainVerbs } from './chain-verbs.js';

type Parsed = Record<string, unknown>;

const buildOptions = omit(stageOptions, 'stage', 'lookup-only');
const pipelineOptions = {
  ...buildOptions,
  ...imageMakingOptions,
  ...bootOptions,
  image: boolean('Make the disk image of the last stage.', { default: 'true', only: 'cli' }),
  boot: boolean('Boot-test the image.', { default: 'true', only: 'cli' }),
};
const explainOptions = {
  ...omit(planOptions, 'json', 'max-stages'),
  output: boolean("Compare the stage's output (the per-path output manifests) instead of its inputs.", { default: 'false', only: 'cli' }),
};

export function cli(): Command {
  const program = new Command('pizlix-stage').description('Build Pizlix stage by stage through a snapshot store, on a workstation or a runner.');
  program.showHelpAfterError();

  addCliOptions(program.command('stage <name>').description('build one stage, or restore it when the store has its key'), stageOptions, ['stage']).action(
    async (name: string, parsed: Parsed) => {
      const options = readCliOptions(stageOptions, parsed, { stage: name });
      await buildStages([options.stage], options);
    },
  );

  addCliOptions(
    program.command('build [last]').description('build every stage up to <last> (default: the final stage), reusing stored ones'),
    buildOptions,
  ).action(async (last: string | undefined, parsed: Parsed) => {
    const options = readCliOptions(buildOptions, parsed);
    const manifest = chainOf(options);
    const target = last ?? manifest.stages[manifest.stages.length - 1].name;
    await buildStages(
      chainTo(manifest, target).map((s) => s.name),
      { ...options, lookupOnly: false },
    );
  });

  addCliOptions(program.command('plan').description("every stage's key, whether the store has it, and what changed"), planOptions).action(
    async (parsed: Parsed) => {
      await planVerb(readCliOptions(planOptions, parsed));
    },
  );

  addCliOptions(
    program
      .command('explain <stage> [from] [to]')
      .description('which inputs (--output: which output paths) differ between two keys of a stage (default: the newest stored key and the current one)'),
    explainOptions,
  ).action(async (stage: string, from: string | undefined, to: string | undefined, parsed: Parsed) => {
    await explainVerb(stage, from, to, readCliOptions(explainOptions, parsed));
  });

  addCliOptions(program.command('image <snapshot>').description('make disk.img (and disk.vmdk) from a stage snapshot'), imageOptions, ['snapshot']).action(
    async (snapshot: string, parsed: Parsed) => {
      const options = readCliOptions(imageOptions, parsed, { snapshot });
      await makeImage(options.snapshot!, options);
    },
  );

  addCliOptions(program.command('boot-test <image>').description('boot an image in QEMU and check kernel, sshd, login, services and weston'), bootTestOptions, [
    'image',
  ]).action(async (image: string, parsed: Parsed) => {
    const report = await bootTest(image, readCliOptions(bootTestOptions, parsed, { image }));
    if (report.result !== 'pass') process.exitCode = 1;
  });

  addCliOptions(
    program.command('pipeline').description('every stage through the local store, then the disk image, then the boot test'),
    pipelineOptions,
  ).action(async (parsed: Parsed) => {
    const options = readCliOptions(pipelineOptions, parsed);
    const manifest = chainOf(options);
    const results = await buildStages(
      manifest.stages.map((s) => s.name),
      { ...options, lookupOnly: false },
    );
    if (!options.image) return;
    const last = results[results.length - 1];
    if (!last.snapshot) throw new Error(`stage ${last.stage} left no snapshot`);
    const image = await makeImage(last.snapshot, { ...options, outputDir: `${options.outputDir}/image` });
    if (!options.boot) return;
    const report = await bootTest(image.image, { ...options, outputDir: `${options.outputDir}/boot-test` });
    if (report.result !== 'pass') process.exitCode = 1;
  });

  addCliOptions(
    program
      .command('fetch')
      .description('download a Pizlix release from GitHub Releases (GITHUB_TOKEN for private repositories), or a snapshot from a store by --key, verified'),
    fetchOptions,
  ).action(async (parsed: Parsed) => {
    await fetchVerb(readCliOptions(fetchOptions, parsed));
  });

  addChainVerbs(program);

  return program;
}

cli()
  .parseAsync(process.argv)
  .catch((err) => {
    log.error(errorMessage(err));
    process.exitCode = 1;
  });
