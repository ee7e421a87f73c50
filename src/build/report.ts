/** What a person wants to read after a stage: one table row, and the log's tail when it failed. */
import { readFile } from 'node:fs/promises';
import { formatBytes, formatDuration } from '../util/format.js';
import { shortKey } from '../chain/keys.js';
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
