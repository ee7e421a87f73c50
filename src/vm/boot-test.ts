/**
 * The boot test end to end: check the inputs, choose the accelerator (proving KVM on the guest
 * itself), power the guest on, run the checks, and — pass or fail — stop QEMU and keep the evidence
 * (serial and firmware logs, weston's log, screenshots, JSON report).
 */
import { constants } from 'node:fs';
import { access, mkdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { InputError, PreflightError, errorMessage } from '../util/errors.js';
import { which } from '../util/exec.js';
import { log } from '../util/log.js';
import { AcceleratorUnavailableError, chooseAccelerator, type AcceleratorChoice, type AcceleratorDecision, type KvmProofLimits } from './accel.js';
import { visibleLines } from './boot-progress.js';
import { DEADLINE_FACTORS, runChecks, type CheckEvidence, type CheckResult } from './checks.js';
import { Machine, type MachineOptions } from './machine.js';
import { cpuModelOf, type Accelerator } from './qemu.js';
import { milestonesOf, writeReport, type BootTestReport } from './report.js';
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
  /** The KVM device checked before KVM is tried (default /dev/kvm; tests point it elsewhere). */
  kvmDevice?: string;
  /** How long a KVM guest may take to reach userspace (default KVM_PROOF_LIMITS). */
  kvmProofLimits?: KvmProofLimits;
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
  const startedAt = new Date().toISOString();
  const run = await bootAndCheck(options, qemuBinary);
  const report = await reportOf(options, startedAt, run);
  await writeReport(report);
  return report;
}

/** What one run found, pass or fail. */
interface BootRun {
  decision?: AcceleratorDecision;
  machine?: Machine;
  checks: CheckResult[];
  evidence: CheckEvidence;
  failureScreenshot?: string;
  error?: string;
  totalSeconds: number;
}

/** Chooses the accelerator (which may power the guest on), runs the checks, and always stops QEMU. */
async function bootAndCheck(options: BootTestOptions, qemuBinary: string): Promise<BootRun> {
  const run: BootRun = { checks: [], evidence: {}, totalSeconds: 0 };
  try {
    const choice = await chooseAccelerator({
      requested: options.accel,
      machineFor: (accel, cpu) => new Machine(machineOptions(options, qemuBinary, accel, cpu)),
      userCpu: cpuModelOf(options.qemuArgs),
      kvmDevice: options.kvmDevice,
      limits: options.kvmProofLimits,
    });
    run.decision = choice.decision;
    run.machine = choice.guest;
    log.info(`accelerator: ${choice.decision.used} (${choice.decision.reason})`);
    if (!choice.poweredOn) await run.machine.start();
    run.checks = await runChecks({
      machine: run.machine,
      accelerator: choice.decision.used,
      username: options.username,
      password: options.password,
      outputDir: options.outputDir,
      multiplier: options.timeoutMultiplier,
      userChecks: options.userChecks,
      evidence: run.evidence,
    });
    if (run.checks.some((c) => c.verdict === 'fail')) run.failureScreenshot = await run.machine.screenshotTo('failure.png');
  } catch (err) {
    if (err instanceof AcceleratorUnavailableError) run.decision = err.decision;
    run.error = errorMessage(err);
    log.error(`boot test stopped: ${run.error}`);
  } finally {
    await run.machine?.shutdown();
    run.totalSeconds = round(run.machine?.secondsSincePowerOn() ?? 0);
  }
  const rejected = run.checks.find((c) => c.id === 'login' && c.failure === 'credentials-rejected');
  if (rejected) run.error = new InputError('user/password', rejected.detail, 'credentials the image accepts').message;
  return run;
}

function machineOptions(options: BootTestOptions, qemuBinary: string, accel: Accelerator, cpu: string | undefined): MachineOptions {
  return {
    image: path.resolve(options.image),
    kernel: options.kernel,
    initrd: options.initrd,
    append: options.append,
    accel,
    cpu,
    cpus: options.cpus,
    memoryMiB: options.memoryMiB,
    extraArgs: options.qemuArgs,
    outputDir: options.outputDir,
    credentials: { username: options.username, password: options.password },
    qemuBinary,
  };
}

async function reportOf(options: BootTestOptions, startedAt: string, run: BootRun): Promise<BootTestReport> {
  const passed = !run.error && run.checks.length > 0 && run.checks.every((c) => c.verdict === 'pass');
  const { evidence, decision } = run;
  const attemptLogs = (decision?.attempts ?? []).flatMap((a) => (a.logs ? [a.logs] : []));
  // Without a judged guest (`kvm` requested and KVM failed) the last KVM attempt's logs tell the story.
  const logs = run.machine ? Machine.logsIn(options.outputDir) : (attemptLogs.at(-1) ?? Machine.logsIn(options.outputDir));
  return {
    result: passed ? 'pass' : 'fail',
    ...(run.error ? { error: run.error } : {}),
    image: options.image,
    accelerator: decision ?? { requested: options.accel, used: 'none', reason: 'not chosen: the run stopped before', attempts: [], kvmSeconds: 0 },
    cpus: options.cpus,
    memoryMiB: options.memoryMiB,
    timeoutMultiplier: options.timeoutMultiplier,
    ...(decision && decision.used !== 'none' ? { deadlineFactor: DEADLINE_FACTORS[decision.used] } : {}),
    startedAt,
    totalSeconds: run.totalSeconds,
    milestones: milestonesOf(run.checks),
    ...(evidence.sshdProcessStartedAt !== undefined ? { sshdProcessStartedAt: round(evidence.sshdProcessStartedAt) } : {}),
    checks: run.checks,
    ...(evidence.desktop ? { desktop: evidence.desktop } : {}),
    ...(passed
      ? {}
      : {
          serialTail: visibleLines(await readFile(logs.serialLog, 'latin1').catch(() => ''))
            .slice(-30)
            .join('\n'),
        }),
    artifacts: {
      report: path.join(options.outputDir, 'report.json'),
      ...logs,
      kvmAttemptLogs: attemptLogs.flatMap((l) => [l.serialLog, l.firmwareLog, l.qemuLog]),
      kvmAttemptScreens: (decision?.attempts ?? []).flatMap((a) => (a.screen ? [a.screen] : [])),
      westonLog: evidence.westonLog,
      consoleScreenshot: evidence.consoleScreenshot,
      westonScreenshot: evidence.westonScreenshot,
      failureScreenshot: run.failureScreenshot,
    },
  };
}

function round(seconds: number): number {
  return Math.round(seconds * 10) / 10;
}
