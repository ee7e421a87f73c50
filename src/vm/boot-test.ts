/**
 * The boot test end to end: check the inputs, choose the accelerator, power the guest on, run the
 * checks, and — pass or fail — stop QEMU and keep the evidence (serial log, weston's log,
 * screenshots, JSON report).
 */
import { constants } from 'node:fs';
import { access, mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { InputError, PreflightError, errorMessage } from '../util/errors.js';
import { which } from '../util/exec.js';
import { log } from '../util/log.js';
import { chooseAccelerator, type AcceleratorChoice } from './accel.js';
import { runChecks, type CheckEvidence, type CheckResult } from './checks.js';
import { Machine } from './machine.js';
import { milestonesOf, writeReport, type BootTestArtifacts, type BootTestReport } from './report.js';
import type { UserCheck } from './user-checks.js';

export interface BootTestOptions {
  image: string;
  kernel?: string;
  initrd?: string;
  append?: string;
  username: string;
  password: string;
  accel: AcceleratorChoice;
  cpus: number;
  memoryMiB: number;
  qemuArgs: string[];
  timeoutMultiplier: number;
  userChecks: UserCheck[];
  outputDir: string;
  qemuBinary?: string;
  /** Deadline of the KVM test boot, in seconds (not scaled: a working KVM passes in about a second). */
  probeDeadlineSeconds?: number;
}

/** Refuses bad input before any work: every problem at once, each naming its input. */
export async function checkBootTestInputs(options: BootTestOptions): Promise<string> {
  const problems: string[] = [];
  const readableFile = async (input: string, file: string | undefined) => {
    if (file === undefined) return;
    try {
      if (!(await stat(file)).isFile()) problems.push(new InputError(input, `'${file}' is not a regular file`, 'a disk image file').message);
      else await access(file, constants.R_OK);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'is not readable' : errorMessage(err);
      problems.push(new InputError(input, `'${file}' ${why}`, 'a readable file').message);
    }
  };
  if (!options.image) problems.push(new InputError('image', 'is empty', 'the path of a disk image (raw or qcow2)').message);
  await readableFile('image', options.image || undefined);
  await readableFile('kernel', options.kernel);
  await readableFile('initrd', options.initrd);
  if (!options.username) problems.push(new InputError('user', 'is empty', 'a user name that may log in over SSH').message);
  if (!Number.isInteger(options.cpus) || options.cpus < 1) problems.push(new InputError('cpus', `is ${options.cpus}`, 'a whole number ≥ 1').message);
  if (!(options.memoryMiB >= 256)) problems.push(new InputError('memory', `is ${options.memoryMiB} MiB`, 'at least 256M').message);
  if (!(options.timeoutMultiplier > 0)) problems.push(new InputError('timeout-multiplier', `is ${options.timeoutMultiplier}`, 'a number > 0').message);
  const binary = options.qemuBinary ?? 'qemu-system-x86_64';
  const qemu = await which(binary);
  if (!qemu) problems.push(`QEMU is absent: '${binary}' is not on PATH (install the qemu-system-x86 package)`);
  if (problems.length) throw new PreflightError(problems);
  return qemu!;
}

export async function runBootTest(options: BootTestOptions): Promise<BootTestReport> {
  const qemuBinary = await checkBootTestInputs(options);
  await mkdir(options.outputDir, { recursive: true });
  const accelerator = await chooseAccelerator(options.accel, { qemuBinary, deadlineSeconds: options.probeDeadlineSeconds ?? 20 });
  log.info(`accelerator: ${accelerator.used} (${accelerator.reason})`);

  const machine = new Machine({
    image: path.resolve(options.image),
    kernel: options.kernel,
    initrd: options.initrd,
    append: options.append,
    accel: accelerator.used,
    cpus: options.cpus,
    memoryMiB: options.memoryMiB,
    extraArgs: options.qemuArgs,
    outputDir: options.outputDir,
    credentials: { username: options.username, password: options.password },
    qemuBinary,
  });
  const artifacts: BootTestArtifacts = {
    report: path.join(options.outputDir, 'report.json'),
    serialLog: machine.serialLog,
    qemuLog: machine.qemuLog,
  };
  const evidence: CheckEvidence = {};
  const startedAt = new Date().toISOString();
  let checks: CheckResult[] = [];
  let error: string | undefined;
  try {
    await machine.start();
    checks = await runChecks({
      machine,
      username: options.username,
      password: options.password,
      outputDir: options.outputDir,
      multiplier: options.timeoutMultiplier,
      userChecks: options.userChecks,
      evidence,
    });
    if (checks.some((c) => c.verdict === 'fail')) {
      artifacts.failureScreenshot = path.join(options.outputDir, 'failure.png');
      await machine.screenshot(artifacts.failureScreenshot).catch(() => (artifacts.failureScreenshot = undefined));
    }
  } catch (err) {
    error = errorMessage(err);
    log.error(`boot test stopped: ${error}`);
  } finally {
    await machine.shutdown();
  }

  const rejected = checks.find((c) => c.id === 'login' && c.failure === 'SshAuthenticationError');
  if (rejected) error = new InputError('user/password', rejected.detail, 'credentials the image accepts').message;
  const passed = !error && checks.length > 0 && checks.every((c) => c.verdict === 'pass');
  const report: BootTestReport = {
    result: passed ? 'pass' : 'fail',
    ...(error ? { error } : {}),
    image: options.image,
    accelerator,
    cpus: options.cpus,
    memoryMiB: options.memoryMiB,
    timeoutMultiplier: options.timeoutMultiplier,
    startedAt,
    totalSeconds: Math.round(machine.secondsSincePowerOn() * 10) / 10,
    milestones: milestonesOf(checks),
    ...(evidence.sshdProcessStartedAt !== undefined ? { sshdProcessStartedAt: Math.round(evidence.sshdProcessStartedAt * 10) / 10 } : {}),
    checks,
    ...(evidence.desktop ? { desktop: evidence.desktop } : {}),
    ...(passed ? {} : { serialTail: await machine.serialTail(30) }),
    artifacts: {
      ...artifacts,
      westonLog: evidence.westonLog,
      consoleScreenshot: evidence.consoleScreenshot,
      westonScreenshot: evidence.westonScreenshot,
    },
  };
  await writeReport(report);
  return report;
}
