/** The command line's stage, build, plan and explain verbs: the stage action's and plan action's library, on a workstation. */
import path from 'node:path';
import { InputError, StageScriptError } from '../util/errors.js';
import { formatDuration } from '../util/format.js';
import { log } from '../util/log.js';
import { chainKeys, computeKeys, shortKey } from '../chain/keys.js';
import { loadChain } from '../chain/chain.js';
import { chainTo, type StageManifest } from '../chain/manifest.js';
import { STAGE_TABLE_HEADER, describeCompilerCache, logTail, outputSummaryLines, stageTableRow } from '../build/report.js';
import { runStage, type StageResult } from '../build/run-stage.js';
import { storeRequest } from '../options/common.js';
import type { Values } from '../options/option.js';
import type { planOptions, stageOptions } from '../options/stage.js';
import { describeExplanation, explain, planStages, planVerdict } from '../plan/plan.js';
import { describeOutput, explainOutput } from '../plan/output-explanation.js';
import { openStore } from '../store/index.js';
import type { SnapshotStore } from '../store/types.js';
import { textTable } from './table.js';

type StageValues = Omit<Values<typeof stageOptions>, 'stage'>;
type PlanValues = Omit<Values<typeof planOptions>, 'json' | 'maxStages'> & { json?: boolean };

/** The chain the verbs work on: read from the pizlix folder's scripts, or given (or amended) by --manifest. */
export function chainOf(options: { pizlixDir: string; manifest?: string }): StageManifest {
  return loadChain({ pizlixDir: options.pizlixDir, manifestFile: options.manifest });
}

/** The command line is always trusted: the workstation owns its store. */
function openCliStore(options: Parameters<typeof storeRequest>[0]): Promise<SnapshotStore> {
  return openStore(storeRequest(options, {}));
}

/** Builds or restores the stages in order; prints the table (also when one fails, with its log's tail). */
export async function buildStages(stages: string[], options: StageValues): Promise<StageResult[]> {
  const store = await openCliStore(options);
  const results: StageResult[] = [];
  for (const stage of stages) {
    try {
      const result = await runStage({
        stage,
        pizlixDir: options.pizlixDir,
        manifestFile: options.manifest,
        lfs: options.lfs,
        keyExtra: options.keyExtra,
        store,
        workDir: path.join(options.workDir, stage),
        timeoutMinutes: options.timeoutMinutes,
        lookupOnly: options.lookupOnly,
        compilerCache: { kind: options.compilerCache, maxBytes: options.compilerCacheSize! },
        pizlixTarball: options.pizlixTarball,
        reuseLfs: options.reuseLfs,
      });
      results.push(result);
      for (const line of outputSummaryLines(result)) log.info(line);
    } catch (err) {
      printResults(results);
      const tail = err instanceof StageScriptError ? await logTail(err.logFile, 30) : undefined;
      if (tail) log.error(`last lines of ${(err as StageScriptError).logFile}:\n${tail}`);
      throw err;
    }
  }
  printResults(results);
  return results;
}

function printResults(results: StageResult[]): void {
  if (results.length === 0) return;
  log.info(`\n${textTable([STAGE_TABLE_HEADER, ...results.map(stageTableRow)])}`);
  for (const result of results) if (result.compilerCache) log.info(`${result.stage} compiler cache: ${describeCompilerCache(result.compilerCache)}`);
}

export async function planVerb(options: PlanValues): Promise<void> {
  const plan = await planStages(chainOf(options), await openCliStore(options), { pizlixDir: options.pizlixDir, keyExtra: options.keyExtra });
  if (options.json) {
    process.stdout.write(`${JSON.stringify(plan, null, 2)}\n`);
    return;
  }
  const rows = plan.map((p) => [
    p.stage,
    shortKey(p.key),
    p.inStore ? 'stored' : p.waitsOn ? planVerdict(p) : 'to build',
    p.inStore
      ? ''
      : p.waitsOn
        ? `key known once ${p.waitsOn} is stored`
        : p.changes
          ? `${p.changes.changed.length} changed, ${p.changes.added.length} added, ${p.changes.removed.length} removed${p.changes.parentChanged ? ', parent changed' : ''}`
          : 'never built',
    p.estimatedSeconds !== undefined ? formatDuration(p.estimatedSeconds) : '?',
  ]);
  log.info(textTable([['Stage', 'Key', 'Store', 'Why', 'Build time'], ...rows]));
}

/**
 * Which inputs (or, with `output`, which output paths) differ between two builds of a stage: stored keys
 * by (a part of) their name; by default the newest stored build other than `to` (or than the current key).
 */
export async function explainVerb(stage: string, from: string | undefined, to: string | undefined, options: PlanValues & { output?: boolean }): Promise<void> {
  const store = await openCliStore(options);
  const manifest = chainOf(options);
  const ancestry = chainTo(manifest, stage);
  const stored = await store.list(stage);
  const find = (key: string) => {
    const entry = stored.find((e) => e.meta.key === key || e.meta.key.endsWith(key) || e.meta.key.includes(`-${key}`));
    if (!entry)
      throw new InputError('key', `no stored ${stage} snapshot has key '${key}'`, `one of: ${stored.map((e) => e.meta.key).join(', ') || '(none stored)'}`);
    return entry.meta;
  };
  const own = await computeKeys(manifest, { pizlixDir: options.pizlixDir, keyExtra: options.keyExtra });
  const current = (
    await chainKeys(
      ancestry.map((s) => own.find((k) => k.stage === s.name)!),
      (k) => store.lookup(k),
    )
  ).pop()!;
  if (options.output) {
    const after = to ? find(to) : (current.stored?.meta ?? stored[0]?.meta);
    if (!after) throw new InputError('to', `the store holds no ${stage} snapshot`, 'build the stage first');
    const before = from ? find(from) : stored.find((e) => e.meta.key !== after.key)?.meta;
    if (!before) throw new InputError('from', `the store holds no other ${stage} snapshot to compare with`, 'a stored key of this stage');
    log.info(`${stage} output: ${before.key} → ${after.key}`);
    for (const line of describeOutput(stage, explainOutput(before, after), 200)) log.info(line);
    return;
  }
  if (!to && !current.key)
    throw new InputError(
      'to',
      `${stage}'s key is not known yet: it waits on ${current.waitsOn}'s output`,
      `a stored key of ${stage} to compare, or build ${current.waitsOn} first`,
    );
  const after = to ? find(to) : { ...current, key: current.key! };
  const before = from ? find(from) : stored.find((e) => e.meta.key !== after.key)?.meta;
  if (!before) throw new InputError('from', `the store holds no other ${stage} snapshot to compare with`, 'a stored key of this stage');
  log.info(`${stage}: ${before.key} → ${after.key}`);
  for (const line of describeExplanation(explain(before, after), 200)) log.info(line);
}
