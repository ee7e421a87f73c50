/** Shared pieces of the benchmarks: timing, scratch space, and side-by-side tables. */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { textTable } from '../src/cli/table.js';
import { log } from '../src/util/log.js';

export const BENCH_ROOT = process.env.BENCH_DIR ?? '/var/tmp/pizlix-stage-bench';

export async function benchDir(name: string): Promise<string> {
  const dir = path.join(BENCH_ROOT, name);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  return dir;
}

export async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const started = process.hrtime.bigint();
  const value = await fn();
  return { value, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

/** The middle value (the upper one of an even count). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** `fn` run `runs` times in a row: the run whose time is the median, with its value. */
export async function medianRun<T>(runs: number, fn: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const results: { value: T; seconds: number }[] = [];
  for (let i = 0; i < runs; i++) results.push(await timed(fn));
  const middle = median(results.map((r) => r.seconds));
  return results.find((r) => r.seconds === middle)!;
}

/** How many times faster `candidate` is than `reference` (>1: faster). */
export function ratio(referenceSeconds: number, candidateSeconds: number): string {
  return `${(referenceSeconds / candidateSeconds).toFixed(2)}×`;
}

/** "2.10× faster" or "1.64× slower": the candidate against the reference, in words. */
export function compare(referenceSeconds: number, candidateSeconds: number): string {
  return referenceSeconds >= candidateSeconds
    ? `${(referenceSeconds / candidateSeconds).toFixed(2)}× faster`
    : `${(candidateSeconds / referenceSeconds).toFixed(2)}× slower`;
}

export function printTable(title: string, rows: string[][]): void {
  log.info(`\n${title}\n${textTable(rows)}\n`);
}
