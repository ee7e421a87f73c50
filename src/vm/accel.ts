/**
 * Choosing the accelerator by what a boot needs. `/dev/kvm` is not trusted: on some machines it
 * exists and answers its API, yet guests hang — in the firmware, in the boot loader, or when the
 * kernel starts (long mode, paging and the kernel's CPU checks are things the firmware never tries).
 * So KVM is proven by the boot itself: the guest is powered on under KVM and must keep showing
 * progress (new firmware log lines, new serial output) until its kernel starts init. When it does,
 * that very guest goes on to the checks. When it stalls, it is stopped, the next CPU model is tried
 * (QEMU's default as Pizlix launches it, then `host`), and `auto` finally boots again under software
 * emulation, whose verdict is then the test's. No check's deadline is spent on a hung accelerator.
 */
import { open } from 'node:fs/promises';
import { TimeoutError, errorMessage } from '../util/errors.js';
import { formatDuration } from '../util/format.js';
import { log } from '../util/log.js';
import { waitUntil } from '../util/poll.js';
import { readBootProgress, type BootProgress, type BootStage } from './boot-progress.js';
import { MachineExitedError, type Machine, type MachineLogs } from './machine.js';
import type { Accelerator } from './qemu.js';

export type AcceleratorChoice = Accelerator | 'auto';

/** How long a KVM guest may take to prove itself. Not scaled: a working KVM reaches init in seconds. */
export interface KvmProofLimits {
  /** The longest stretch without visible progress before the kernel starts init. */
  quietSeconds: number;
  /** The longest the proof may take, every CPU model together (so `kvm` fails within a minute). */
  budgetSeconds: number;
}

export const KVM_PROOF_LIMITS: KvmProofLimits = { quietSeconds: 15, budgetSeconds: 45 };
export const KVM_DEVICE = '/dev/kvm';

export interface KvmAttempt {
  /** `default` (QEMU's, as Pizlix launches it), `host`, or the model that qemu-args names. */
  cpu: string;
  works: boolean;
  /** How far the guest got. */
  reached: BootStage | 'qemu-exited';
  /** Seconds from power-on to the verdict. */
  seconds: number;
  /** What proved KVM, or how it failed. */
  detail: string;
  /** Where the logs of a stopped attempt were kept (a working attempt's logs are the boot's own). */
  logs?: MachineLogs;
  /** The screen of a stopped attempt when it was stopped (GRUB's "GRUB loading.", a frozen console). */
  screen?: string;
}

export interface AcceleratorDecision {
  requested: AcceleratorChoice;
  /** `none` when `kvm` was requested and KVM did not work. */
  used: Accelerator | 'none';
  /** The CPU model under KVM (`default`: QEMU's). */
  cpu?: string;
  /** One line for people: what KVM did and what was used ("KVM: …; used tcg"). */
  reason: string;
  attempts: KvmAttempt[];
  /** Seconds spent proving KVM before the boot that was judged began. */
  kvmSeconds: number;
}

/** `kvm` was requested and KVM cannot be used (no device, no access, or it did not reach userspace). */
export class AcceleratorUnavailableError extends Error {
  constructor(
    readonly decision: AcceleratorDecision,
    readonly finding: string,
  ) {
    super(`accel 'kvm' was requested but KVM does not work here: ${finding}; use accel 'auto' or 'tcg' for software emulation`);
    this.name = 'AcceleratorUnavailableError';
  }
}

export interface AcceleratorOptions {
  requested: AcceleratorChoice;
  /** A guest for the accelerator and `-cpu` model (undefined: QEMU's default), not started yet. */
  machineFor: (accel: Accelerator, cpu?: string) => Machine;
  /** The `-cpu` model the caller's QEMU arguments name: then only that one is tried. */
  userCpu?: string;
  /** The KVM device whose access is checked first (tests point it elsewhere). */
  kvmDevice?: string;
  limits?: KvmProofLimits;
}

export interface AcceleratorChoiceResult {
  decision: AcceleratorDecision & { used: Accelerator };
  /** The guest to judge: already running when KVM was proven on it, else yet to be powered on (under TCG). */
  guest: Machine;
  poweredOn: boolean;
}

interface CpuCandidate {
  name: string;
  label: string;
  model?: string;
}

/**
 * The accelerator that carries the guest to userspace, and the guest to judge (see the module comment).
 * AcceleratorUnavailableError when `kvm` was requested and KVM does not.
 */
export async function chooseAccelerator(options: AcceleratorOptions): Promise<AcceleratorChoiceResult> {
  const { requested } = options;
  if (requested === 'tcg') {
    return emulated(options, { requested, used: 'tcg', reason: 'software emulation was requested', attempts: [], kvmSeconds: 0 });
  }
  const device = options.kvmDevice ?? KVM_DEVICE;
  const deviceProblem = await kvmDeviceProblem(device);
  if (deviceProblem) {
    log.info(`KVM: ${deviceProblem}`);
    return fallBack(options, deviceProblem, [], 0);
  }
  const limits = options.limits ?? KVM_PROOF_LIMITS;
  const started = Date.now();
  const attempts: KvmAttempt[] = [];
  for (const cpu of cpuCandidates(options.userCpu)) {
    const budgetSeconds = limits.budgetSeconds - (Date.now() - started) / 1000;
    if (budgetSeconds < limits.quietSeconds) break;
    const machine = options.machineFor('kvm', cpu.model);
    const attempt = await proveKvm(machine, cpu, { ...limits, budgetSeconds }).catch(async (err: unknown) => {
      await machine.shutdown();
      throw err;
    });
    attempts.push(attempt);
    log.info(`KVM with ${cpu.label}: ${attempt.works ? 'works' : 'does not work'}: ${attempt.detail}`);
    if (attempt.works) {
      const kvmSeconds = (Date.now() - started) / 1000;
      const reason = `KVM: ${describeAttempts(attempts)}; used kvm${cpu.model ? ` with -cpu ${cpu.model}` : ''}`;
      return { guest: machine, poweredOn: true, decision: { requested, used: 'kvm', cpu: cpu.name, reason, attempts, kvmSeconds } };
    }
    const prefix = `kvm-${cpu.name.replace(/[^\w.-]+/g, '_')}`;
    attempt.screen = await machine.screenshotTo(`${prefix}-screen.png`);
    await machine.shutdown({ graceMs: 1000 });
    attempt.logs = await machine.keepLogsAs(prefix);
  }
  return fallBack(options, describeAttempts(attempts), attempts, (Date.now() - started) / 1000);
}

/** Why the KVM device cannot be used, or undefined when it opens for reading and writing (as QEMU opens it). */
export async function kvmDeviceProblem(device: string): Promise<string | undefined> {
  try {
    const handle = await open(device, 'r+');
    try {
      if (!(await handle.stat()).isCharacterDevice()) return `${device} is not a character device`;
    } finally {
      await handle.close();
    }
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return `no ${device} on this machine (no KVM driver, or a VM without nested virtualisation)`;
    if (code === 'EACCES' || code === 'EPERM') {
      return `no access to ${device} (${code}): this user may not read and write it (the kvm group, or on GitHub's hosted runners the input grant-kvm-access)`;
    }
    return `${device} cannot be opened: ${errorMessage(err)}`;
  }
}

/** QEMU's default CPU first (as Pizlix launches it), then the host's; only the caller's when it names one. */
function cpuCandidates(userCpu: string | undefined): CpuCandidate[] {
  if (userCpu) return [{ name: userCpu, label: `-cpu ${userCpu} (from qemu-args)` }];
  return [
    { name: 'default', label: "QEMU's default CPU" },
    { name: 'host', label: '-cpu host', model: 'host' },
  ];
}

function emulated(options: AcceleratorOptions, decision: AcceleratorDecision & { used: 'tcg' }): AcceleratorChoiceResult {
  return { decision, guest: options.machineFor('tcg'), poweredOn: false };
}

function fallBack(options: AcceleratorOptions, finding: string, attempts: KvmAttempt[], kvmSeconds: number): AcceleratorChoiceResult {
  const { requested } = options;
  if (requested === 'kvm') {
    throw new AcceleratorUnavailableError({ requested, used: 'none', reason: `KVM: ${finding}`, attempts, kvmSeconds }, finding);
  }
  return emulated(options, { requested, used: 'tcg', reason: `KVM: ${finding}; used tcg`, attempts, kvmSeconds });
}

function describeAttempts(attempts: KvmAttempt[]): string {
  if (attempts.length === 0) return 'no time was left to try it';
  if (attempts.length === 1 && attempts[0].cpu === 'default') return `${attempts[0].detail} with QEMU's default CPU`;
  return attempts.map((a) => `${a.cpu === 'default' ? "QEMU's default CPU" : `-cpu ${a.cpu}`}: ${a.detail}`).join('; ');
}

/**
 * Powers `machine` on and watches it until its kernel starts init (KVM works), it stalls for
 * `quietSeconds` or the budget runs out (KVM does not), or QEMU exits (a `-cpu host` that KVM refuses).
 */
async function proveKvm(machine: Machine, cpu: CpuCandidate, limits: KvmProofLimits): Promise<KvmAttempt> {
  try {
    await machine.start();
  } catch (err) {
    if (!(err instanceof MachineExitedError)) throw err;
    return { cpu: cpu.name, works: false, reached: 'qemu-exited', seconds: round(machine.secondsSincePowerOn()), detail: await qemuExit(machine) };
  }
  const watch = new ProgressWatch(machine, cpu.label);
  const verdict = await waitUntil({
    what: `the kernel to start init under KVM (${cpu.label})`,
    timeoutSeconds: limits.budgetSeconds,
    intervalMs: 250,
    attempt: () => watch.judge(limits.quietSeconds),
    lastState: () => watch.describe(),
  }).catch((err: unknown) => {
    if (!(err instanceof TimeoutError)) throw err;
    return {
      works: false,
      reached: watch.progress.stage,
      detail: `the guest kept printing but did not start init within ${formatDuration(limits.budgetSeconds)} (${watch.describe()})`,
    };
  });
  const warnings = verdict.works ? '' : await qemuWarnings(machine);
  return { cpu: cpu.name, ...verdict, detail: `${verdict.detail}${warnings}`, seconds: round(machine.secondsSincePowerOn()) };
}

type Verdict = Pick<KvmAttempt, 'works' | 'reached' | 'detail'>;

/** Follows one guest's logs: when each stage was reached, and when anything new last appeared. */
class ProgressWatch {
  progress: BootProgress = { stage: 'firmware', firmwareLines: 0 };
  private seen = -1;
  private lastNewOutput = Date.now();

  constructor(
    private readonly machine: Machine,
    private readonly label: string,
  ) {}

  /** A verdict once there is one; undefined while the guest still makes progress. */
  async judge(quietSeconds: number): Promise<Verdict | undefined> {
    if (this.machine.exitStatus !== undefined) return { works: false, reached: 'qemu-exited', detail: await qemuExit(this.machine) };
    const [firmware, serial] = await Promise.all([this.machine.readFirmwareLog(), this.machine.readSerial()]);
    if (firmware.length + serial.length !== this.seen) {
      this.seen = firmware.length + serial.length;
      this.lastNewOutput = Date.now();
    }
    const previous = this.progress.stage;
    this.progress = readBootProgress(firmware, serial);
    const seconds = this.machine.secondsSincePowerOn().toFixed(1);
    const at = `${seconds} s after power-on`;
    if (this.progress.stage !== previous) log.info(`KVM (${this.label}): ${this.progress.stage} at ${seconds} s`);
    const { stage, evidence } = this.progress;
    if (stage === 'userspace') return { works: true, reached: stage, detail: `the kernel reached userspace ${at} ("${evidence}")` };
    if (stage === 'kernel-stopped') {
      return { works: true, reached: stage, detail: `the kernel ran, and stopped ${at} for a reason of the image, not of KVM ("${evidence}")` };
    }
    if (stage === 'no-bootable-device') {
      return { works: false, reached: stage, detail: 'the firmware found no bootable device, so no kernel could prove KVM' };
    }
    if ((Date.now() - this.lastNewOutput) / 1000 >= quietSeconds) return { works: false, reached: stage, detail: this.stall(quietSeconds) };
    return undefined;
  }

  describe(): string {
    const { stage, evidence, lastSerialLine } = this.progress;
    return `reached ${stage}${evidence ? ` ("${evidence}")` : ''}${lastSerialLine ? `, last serial line "${lastSerialLine}"` : ''}`;
  }

  /** How the guest stalled, in the words of the stage it stalled in. */
  private stall(quietSeconds: number): string {
    const { stage, evidence, lastSerialLine, firmwareLines } = this.progress;
    const quiet = formatDuration(quietSeconds);
    if (stage === 'firmware') {
      return firmwareLines === 0
        ? `the guest hung in the firmware: it logged nothing within ${quiet} of power-on`
        : `the guest hung in the firmware: nothing new for ${quiet} after ${firmwareLines} firmware log lines (the last: "${evidence}")`;
    }
    if (stage === 'boot-loader' && !lastSerialLine) {
      return `nothing on the serial port within ${quiet} after the firmware handed over to the boot loader ("${evidence}")`;
    }
    if (stage === 'boot-loader') return `the kernel printed nothing within ${quiet} after the boot loader's last output ("${lastSerialLine}")`;
    return `the kernel stopped printing before it started init: nothing new for ${quiet} after "${lastSerialLine}"`;
  }
}

/** "QEMU exited (status 1): …" with QEMU's own last words. */
async function qemuExit(machine: Machine): Promise<string> {
  const messages = (await qemuMessages(machine)).slice(-2).join('; ');
  return `QEMU exited (${machine.exitStatus ?? 'status unknown'})${messages ? `: ${messages}` : ''}`;
}

/** " (QEMU warned: …)" — a CPU feature KVM does not offer is often the reason its guests hang. */
async function qemuWarnings(machine: Machine): Promise<string> {
  const warnings = [...new Set((await qemuMessages(machine)).filter((m) => m.startsWith('warning: ')).map((m) => m.slice('warning: '.length)))];
  return warnings.length ? ` (QEMU warned: ${warnings.join('; ')})` : '';
}

async function qemuMessages(machine: Machine): Promise<string[]> {
  return (await machine.qemuMessages()).filter((l) => !l.startsWith('terminating on signal'));
}

function round(seconds: number): number {
  return Math.round(seconds * 10) / 10;
}
