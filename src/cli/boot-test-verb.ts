/** The command line's boot-test verb (also the last step of `pipeline`). */
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { InputError } from '../util/errors.js';
import { formatDuration, parseSize } from '../util/format.js';
import { log } from '../util/log.js';
import type { AcceleratorChoice } from '../vm/accel.js';
import { runBootTest, type BootTestOptions } from '../vm/boot-test.js';
import { splitArguments } from '../vm/qemu.js';
import type { BootTestReport } from '../vm/report.js';
import { parseUserChecks } from '../vm/user-checks.js';
import { textTable } from './table.js';

const ACCELERATORS: readonly AcceleratorChoice[] = ['auto', 'kvm', 'tcg'];

export interface BootOptions {
  outputDir: string;
  user: string;
  password: string;
  accel: string;
  cpus?: string;
  memory: string;
  timeoutMultiplier: string;
  qemuArgs?: string;
  checks?: string;
}

export async function bootTest(image: string, options: BootOptions): Promise<BootTestReport> {
  const report = await runBootTest(await bootTestOptions(image, options));
  printVerdicts(report);
  return report;
}

/** The options as the library takes them; each bad value an InputError naming its option. */
async function bootTestOptions(image: string, options: BootOptions): Promise<BootTestOptions> {
  const accel = options.accel as AcceleratorChoice;
  if (!ACCELERATORS.includes(accel)) throw new InputError('accel', `'${options.accel}' is not supported`, `one of: ${ACCELERATORS.join(', ')}`);
  const memory = parseSize(options.memory);
  if (memory === undefined) throw new InputError('memory', `'${options.memory}' is not a size`, 'a size such as 2G or 3072M');
  const cpus = options.cpus ? Number(options.cpus) : os.availableParallelism();
  if (!Number.isInteger(cpus) || cpus < 1) throw new InputError('cpus', `'${options.cpus}' is not a whole number ≥ 1`, 'a whole number ≥ 1');
  const timeoutMultiplier = Number(options.timeoutMultiplier);
  if (!(timeoutMultiplier > 0)) throw new InputError('timeout-multiplier', `'${options.timeoutMultiplier}' is not a number > 0`, 'a number > 0');
  return {
    image: path.resolve(image),
    username: options.user,
    password: options.password,
    accel,
    cpus,
    memoryMiB: Math.floor(memory / (1024 * 1024)),
    qemuArgs: splitArguments(options.qemuArgs ?? ''),
    timeoutMultiplier,
    userChecks: options.checks ? parseUserChecks(await readFile(path.resolve(options.checks), 'utf8')) : [],
    outputDir: path.resolve(options.outputDir),
  };
}

export function printVerdicts(report: BootTestReport): void {
  const rows = report.checks.map((c) => [c.title, c.verdict, c.finishedAt !== undefined ? `${c.finishedAt.toFixed(1)} s` : '', c.verdict === 'fail' ? c.detail.split('\n')[0] : '']);
  log.info(`\n${textTable([['check', 'verdict', 'at (from power-on)', 'detail'], ...rows])}`);
  log.info(`boot test ${report.result === 'pass' ? 'PASSED' : 'FAILED'} with ${report.accelerator.used} (${report.accelerator.reason}) in ${formatDuration(report.totalSeconds)}`);
  if (report.error) log.error(report.error);
  if (report.result === 'fail' && report.serialTail) log.info(`last serial lines:\n${report.serialTail}`);
  const shot = report.artifacts.westonScreenshot ?? report.artifacts.failureScreenshot;
  if (shot) log.info(`screenshot: ${shot}`);
  log.info(`report: ${report.artifacts.report}`);
}
