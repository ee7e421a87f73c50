/**
 * pizlix-stage: the toolkit's verbs on a workstation, without GitHub — the same library the actions use,
 * with the local store.
 */
import { Command, Option } from 'commander';
import path from 'node:path';
import os from 'node:os';
import { errorMessage, InputError } from '../util/errors.js';
import { formatDuration } from '../util/format.js';
import { log } from '../util/log.js';
import { loadChain } from '../chain/chain.js';
import { chainTo } from '../chain/manifest.js';
import { computeKeys, shortKey } from '../chain/keys.js';
import { describeExplanation, explain, planStages } from '../plan/plan.js';
import { STAGE_TABLE_HEADER, logTail, stageTableRow } from '../build/report.js';
import { runStage, type StageResult } from '../build/run-stage.js';
import { defaultStorePath, openStore } from '../store/index.js';
import { scopeFromEnvironment } from '../store/trust.js';
import type { SnapshotStore } from '../store/types.js';
import { textTable } from './table.js';
import { bootTest, type BootOptions } from './boot-test-verb.js';
import { fetchVerb, type FetchOptions } from './fetch-verb.js';
import { makeImage, type ImageOptions } from './image-verb.js';
import { addChainVerbs } from './chain-verbs.js';

interface CommonOptions {
  pizlixDir: string;
  manifest?: string;
  storePath: string;
  storeMaxSize?: string;
  keyExtra?: string;
}

function withCommonOptions(command: Command): Command {
  return command
    .option('--pizlix-dir <dir>', 'the pizlix folder of the Fil-C checkout', 'pizlix')
    .option('--manifest <file>', 'YAML stage manifest replacing or amending the chain the scripts define')
    .option('--store-path <dir>', 'local snapshot store', defaultStorePath())
    .option('--store-max-size <size>', 'evict least-recently-used entries beyond this size, e.g. 300G')
    .option('--key-extra <text>', 'extra key material');
}

async function localStore(options: CommonOptions): Promise<SnapshotStore> {
  return openStore({ kind: 'local', path: path.resolve(options.storePath), maxSize: options.storeMaxSize, scope: scopeFromEnvironment({}) });
}

function manifestOf(options: CommonOptions) {
  return loadChain({ pizlixDir: path.resolve(options.pizlixDir), manifestFile: options.manifest ? path.resolve(options.manifest) : undefined });
}

interface BuildOptions extends CommonOptions {
  lfs: string;
  timeoutMinutes?: string;
  workDir: string;
  lookupOnly?: boolean;
}

async function buildStages(stages: string[], options: BuildOptions): Promise<StageResult[]> {
  const store = await localStore(options);
  const results: StageResult[] = [];
  for (const stage of stages) {
    try {
      results.push(
        await runStage({
          stage,
          pizlixDir: path.resolve(options.pizlixDir),
          manifestFile: options.manifest ? path.resolve(options.manifest) : undefined,
          lfs: path.resolve(options.lfs),
          keyExtra: options.keyExtra,
          store,
          workDir: path.join(path.resolve(options.workDir), stage),
          timeoutMinutes: options.timeoutMinutes ? Number(options.timeoutMinutes) : undefined,
          lookupOnly: options.lookupOnly,
        }),
      );
    } catch (err) {
      printResults(results);
      const tail = await logTail((err as { logFile?: string }).logFile, 30);
      if (tail) log.error(`last lines of ${(err as { logFile?: string }).logFile}:\n${tail}`);
      throw err;
    }
  }
  printResults(results);
  return results;
}

function printResults(results: StageResult[]): void {
  if (results.length === 0) return;
  log.info(`\n${textTable([STAGE_TABLE_HEADER, ...results.map(stageTableRow)])}`);
}

function addBuildOptions(command: Command): Command {
  return withCommonOptions(command)
    .option('--lfs <dir>', 'the LFS root to build into', '/mnt/lfs')
    .option('--timeout-minutes <n>', 'stop a stage script after this many minutes')
    .option('--work-dir <dir>', 'logs and scratch files', path.join(os.tmpdir(), 'pizlix-stage'));
}

function addImageOptions(command: Command): Command {
  return command
    .option('--size <size>', 'disk size such as 100G (default: the content plus headroom)')
    .option('--vmdk <kind>', 'flat (a descriptor pointing at disk.img), stream (self-contained) or none', 'flat')
    .option('--compress', 'also write disk.img.zst')
    .option('--grub-cfg <file>', 'grub.cfg to install (default <pizlix-dir>/etc/grub.cfg, else generated)');
}

function addBootOptions(command: Command): Command {
  return command
    .option('--user <name>', 'user that logs in over SSH', 'pizlo')
    .option('--password <text>', "that user's password", 'pizlo')
    .option('--accel <kind>', 'auto (KVM only when a test boot proves it works), kvm or tcg', 'auto')
    .option('--cpus <n>', 'guest CPUs (default: all)')
    .option('--memory <size>', 'guest memory', '2G')
    .option('--timeout-multiplier <x>', 'scale every deadline', '1')
    .option('--qemu-args <args>', 'extra QEMU arguments')
    .option('--checks <file>', 'YAML list of extra checks {name, run, expect-status, expect-output}');
}

export function cli(): Command {
  const program = new Command('pizlix-stage').description('Build Pizlix stage by stage through a snapshot store, on a workstation or a runner.');
  program.showHelpAfterError();

  addBuildOptions(program.command('stage <name>').description('build one stage, or restore it when the store has its key'))
    .option('--lookup-only', 'only say whether the store has the stage')
    .action(async (name: string, options: BuildOptions) => {
      await buildStages([name], options);
    });

  addBuildOptions(program.command('build [last]').description('build every stage up to <last> (default: the final stage), reusing stored ones'))
    .action(async (last: string | undefined, options: BuildOptions) => {
      const manifest = manifestOf(options);
      const target = last ?? manifest.stages[manifest.stages.length - 1].name;
      await buildStages(chainTo(manifest, target).map((s) => s.name), options);
    });

  withCommonOptions(program.command('plan').description("every stage's key, whether the store has it, and what changed"))
    .addOption(new Option('--json', 'print the plan as JSON'))
    .action(async (options: CommonOptions & { json?: boolean }) => {
      const plan = await planStages(manifestOf(options), await localStore(options), { pizlixDir: path.resolve(options.pizlixDir), keyExtra: options.keyExtra });
      if (options.json) {
        process.stdout.write(`${JSON.stringify(plan, null, 2)}\n`);
        return;
      }
      const rows = plan.map((p) => [
        p.stage,
        shortKey(p.key),
        p.inStore ? 'stored' : 'to build',
        p.inStore ? '' : p.changes ? `${p.changes.changed.length} changed, ${p.changes.added.length} added, ${p.changes.removed.length} removed${p.changes.parentChanged ? ', parent changed' : ''}` : 'never built',
        p.estimatedSeconds !== undefined ? formatDuration(p.estimatedSeconds) : '?',
      ]);
      log.info(textTable([['Stage', 'Key', 'Store', 'Why', 'Build time'], ...rows]));
    });

  withCommonOptions(program.command('explain <stage> [from] [to]').description('which inputs differ between two keys of a stage (default: the newest stored key and the current one)'))
    .action(async (stage: string, from: string | undefined, to: string | undefined, options: CommonOptions) => {
      const store = await localStore(options);
      const manifest = manifestOf(options);
      chainTo(manifest, stage);
      const stored = await store.list(stage);
      const find = (key: string) => {
        const entry = stored.find((e) => e.meta.key === key || e.meta.key.endsWith(key) || e.meta.key.includes(`-${key}`));
        if (!entry) throw new InputError('key', `no stored ${stage} snapshot has key '${key}'`, `one of: ${stored.map((e) => e.meta.key).join(', ') || '(none stored)'}`);
        return entry.meta;
      };
      const current = (await computeKeys(manifest, { pizlixDir: path.resolve(options.pizlixDir), keyExtra: options.keyExtra })).find((k) => k.stage === stage)!;
      const after = to ? find(to) : current;
      const before = from ? find(from) : stored.find((e) => e.meta.key !== after.key)?.meta;
      if (!before) throw new InputError('from', `the store holds no other ${stage} snapshot to compare with`, 'a stored key of this stage');
      log.info(`${stage}: ${before.key} → ${after.key}`);
      for (const line of describeExplanation(explain(before, after), 200)) log.info(line);
    });

  addImageOptions(program.command('image <snapshot>').description('make disk.img (and disk.vmdk) from a stage snapshot'))
    .option('--output-dir <dir>', 'where disk.img, disk.vmdk and SHA256SUMS go', 'pizlix-out')
    .option('--pizlix-dir <dir>', "the pizlix folder whose etc/grub.cfg is the default grub.cfg")
    .action(async (snapshot: string, options: ImageOptions) => {
      await makeImage(snapshot, options);
    });

  addBootOptions(program.command('boot-test <image>').description('boot an image in QEMU and check kernel, sshd, login, services and weston'))
    .option('--output-dir <dir>', 'where the report, logs and screenshots go', 'pizlix-out')
    .action(async (image: string, options: BootOptions) => {
      const report = await bootTest(image, options);
      if (report.result !== 'pass') process.exitCode = 1;
    });

  addBootOptions(addImageOptions(addBuildOptions(program.command('pipeline').description('every stage through the local store, then the disk image, then the boot test'))))
    .option('--output-dir <dir>', 'image/ and boot-test/ go here', 'pizlix-out')
    .option('--no-image', 'stop after the stages')
    .option('--no-boot', 'stop after the image')
    .action(async (options: BuildOptions & ImageOptions & BootOptions & { image: boolean; boot: boolean }) => {
      const manifest = manifestOf(options);
      const stages = manifest.stages.map((s) => s.name);
      const results = await buildStages(stages, options);
      if (!options.image) return;
      const last = results[results.length - 1];
      if (!last.snapshot) throw new Error(`stage ${last.stage} left no snapshot`);
      const image = await makeImage(last.snapshot, { ...options, outputDir: path.join(options.outputDir, 'image') });
      if (!options.boot) return;
      const report = await bootTest(image.image, { ...options, outputDir: path.join(options.outputDir, 'boot-test') });
      if (report.result !== 'pass') process.exitCode = 1;
    });

  program
    .command('fetch')
    .description('download a Pizlix release from GitHub Releases (or a snapshot from the local store), verified against SHA256SUMS')
    .option('--repository <owner/name>', 'repository whose releases hold Pizlix')
    .option('--tag <tag>', "'latest' or a release tag", 'latest')
    .option('--files <globs>', 'comma-separated asset names or globs; SHA256SUMS always comes along', 'disk.img.zst')
    .option('--directory <dir>', 'where the files go', 'pizlix-release')
    .option('--no-unpack', 'keep disk.img.zst compressed')
    .option('--key <key>', 'instead of a release: the store key of a snapshot (with --store-path)')
    .option('--store-path <dir>', 'local snapshot store, for --key', defaultStorePath())
    .action(async (options: FetchOptions) => {
      await fetchVerb(options);
    });

  addChainVerbs(program, withCommonOptions);

  return program;
}

cli()
  .parseAsync(process.argv)
  .catch((err) => {
    log.error(errorMessage(err));
    process.exitCode = 1;
  });
