/** What a person wants to read after a stage: one table row, the compiler cache's line, and the log's tail when it failed. */
import { readFile } from 'node:fs/promises';
import { formatBytes, formatDuration } from '../util/format.js';
import { shortKey } from '../chain/keys.js';
import type { CompilerCacheReport } from './compiler-cache.js';
import { describeOutput, explainOutput } from '../plan/output-explanation.js';
import type { StageResult } from './run-stage.js';

export const STAGE_TABLE_HEADER = ['Stage', 'Key', 'Result', 'Time', 'Snapshot', 'Compiler cache'];

/** What the job did with the stage, in a word or three. */
function outcomeOf(result: StageResult): string {
  if (result.cacheHit) {
    if (!result.snapshot) return 'hit';
    return result.reusedTree ? 'hit — already in $LFS' : 'hit — restored';
  }
  if (!result.built) return 'miss';
  return result.reusedTree ? 'built (on the parent already in $LFS)' : 'built';
}

export function stageTableRow(result: StageResult): string[] {
  const outcome = outcomeOf(result);
  const time =
    result.buildSeconds !== undefined ? `${formatDuration(result.seconds)} (script ${formatDuration(result.buildSeconds)})` : formatDuration(result.seconds);
  return [
    result.stage,
    shortKey(result.key),
    outcome,
    time,
    result.snapshotSize !== undefined ? formatBytes(result.snapshotSize) : '—',
    compilerCacheCell(result.compilerCache),
  ];
}

/** The table's cell: the hit rate of this build's compiles, or why there is none. */
function compilerCacheCell(report: CompilerCacheReport | undefined): string {
  if (!report) return '—';
  if (report.off) return 'off';
  if (!report.stats) return '?';
  const { hits, misses } = report.stats;
  return hits + misses === 0 ? 'no compiles' : `${hitRate(hits, misses)} of ${hits + misses}`;
}

function hitRate(hits: number, misses: number): string {
  return `${((100 * hits) / (hits + misses)).toFixed(1)}% hits`;
}

/**
 * One line for the log and the job summary: hits and misses of this build, the cache's size, where it came
 * from and how long moving it took each way.
 */
export function describeCompilerCache(report: CompilerCacheReport): string {
  const parts = [`ccache ${report.version}`];
  if (report.off) return `${parts[0]}: off — ${report.off}`;
  const stats = report.stats;
  if (stats) {
    const rate = stats.hits + stats.misses > 0 ? ` (${hitRate(stats.hits, stats.misses)})` : '';
    parts.push(`${count(stats.hits, 'hit')}, ${count(stats.misses, 'miss', 'misses')}${rate}, ${count(stats.uncacheable, 'uncacheable call')}`);
    parts.push(`cache ${formatBytes(stats.sizeBytes)} in ${stats.files} files`);
  }
  parts.push(
    report.restored
      ? `restored ${report.restored.key} (${report.restored.trust}, ${formatBytes(report.restored.size)}) in ${formatDuration(report.restoreSeconds)}`
      : `started empty (no entry of ${report.cacheStage} to restore; ${formatDuration(report.restoreSeconds)})`,
  );
  if (report.saved) parts.push(`saved ${formatBytes(report.saved.size)} as ${report.saved.key} in ${formatDuration(report.saveSeconds ?? 0)}`);
  else if (report.notSaved) parts.push(`not saved: ${report.notSaved}`);
  return parts.join(' · ');
}

function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

export async function logTail(logFile: string | undefined, lines = 40): Promise<string | undefined> {
  if (!logFile) return undefined;
  const text = await readFile(logFile, 'utf8').catch(() => undefined);
  return text?.trimEnd().split('\n').slice(-lines).join('\n');
}

/**
 * After a build: how its output compares with the stage's previous build. The first line is the verdict
 * ("rebuilt lc: output identical → the later stages keep their keys"), the rest the differing paths.
 */
export function outputSummaryLines(result: StageResult): string[] {
  if (!result.built || !result.outputDigest) return [];
  const explanation = explainOutput(result.previous, { key: result.key, outputDigest: result.outputDigest, outputManifest: result.outputManifest });
  const digest = `output digest \`${result.outputDigest.slice(0, 16)}\``;
  if (!explanation.comparable) return [`rebuilt ${result.stage} (${digest}); no earlier build with an output manifest to compare with`];
  if (explanation.identical)
    return [`rebuilt ${result.stage}: output identical to the previous build (${digest}) → the later stages keep their keys and are reused`];
  const [headline, ...paths] = describeOutput(result.stage, explanation, 30);
  return [`rebuilt ${headline} (${digest}) → the later stages are rebuilt`, ...paths];
}
