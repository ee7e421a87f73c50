/** What a person wants to read after a stage: one table row, and the log's tail when it failed. */
import { readFile } from 'node:fs/promises';
import { formatBytes, formatDuration } from '../util/format.js';
import { shortKey } from '../chain/keys.js';
import { describeOutput, explainOutput } from '../plan/output-explanation.js';
import type { StageResult } from './run-stage.js';

export const STAGE_TABLE_HEADER = ['Stage', 'Key', 'Result', 'Time', 'Snapshot'];

export function stageTableRow(result: StageResult): string[] {
  const outcome = result.cacheHit ? (result.snapshot ? 'hit — restored' : 'hit') : result.built ? 'built' : 'miss';
  const time = result.buildSeconds !== undefined ? `${formatDuration(result.seconds)} (script ${formatDuration(result.buildSeconds)})` : formatDuration(result.seconds);
  return [result.stage, shortKey(result.key), outcome, time, result.snapshotSize !== undefined ? formatBytes(result.snapshotSize) : '—'];
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
  if (explanation.identical) return [`rebuilt ${result.stage}: output identical to the previous build (${digest}) → the later stages keep their keys and are reused`];
  const [headline, ...paths] = describeOutput(result.stage, explanation, 30);
  return [`rebuilt ${headline} (${digest}) → the later stages are rebuilt`, ...paths];
}
