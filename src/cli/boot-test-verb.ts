/** The command line's boot-test verb (also the last step of `pipeline`). */
import { formatDuration } from '../util/format.js';
import { log } from '../util/log.js';
import type { bootOptions } from '../options/boot-test.js';
import type { Values } from '../options/option.js';
import { runBootTest } from '../vm/boot-test.js';
import type { BootTestReport } from '../vm/report.js';
import { textTable } from './table.js';

export type BootValues = Values<typeof bootOptions> & { outputDir: string };

export async function bootTest(image: string, options: BootValues): Promise<BootTestReport> {
  const { user, password, checks, memory, ...rest } = options;
  const report = await runBootTest({ ...rest, image, username: user, password, userChecks: checks, memoryMiB: memory });
  printVerdicts(report);
  return report;
}

export function printVerdicts(report: BootTestReport): void {
  const rows = report.checks.map((c) => [
    c.title,
    c.verdict,
    c.finishedAt !== undefined ? `${c.finishedAt.toFixed(1)} s` : '',
    c.verdict === 'fail' ? c.detail.split('\n')[0] : '',
  ]);
  log.info(`\n${textTable([['check', 'verdict', 'at (from power-on)', 'detail'], ...rows])}`);
  log.info(
    `boot test ${report.result === 'pass' ? 'PASSED' : 'FAILED'} with ${report.accelerator.used} (${report.accelerator.reason}) in ${formatDuration(report.totalSeconds)}`,
  );
  if (report.error) log.error(report.error);
  if (report.result === 'fail' && report.serialTail) log.info(`last serial lines:\n${report.serialTail}`);
  const shot = report.artifacts.westonScreenshot ?? report.artifacts.failureScreenshot;
  if (shot) log.info(`screenshot: ${shot}`);
  log.info(`report: ${report.artifacts.report}`);
}
