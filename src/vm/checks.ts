/**
 * The boot test's checks, in the order a person meets the system: the kernel starts, sshd answers,
 * the user logs in, the services run, weston starts on the virtual GPU and draws, then the caller's
 * own commands. Each check has a deadline (its base, scaled for the accelerator used and by the
 * timeout multiplier), a verdict, and the moment it finished in seconds since power-on. A failed
 * built-in check skips the rest: later ones depend on it.
 */
import path from 'node:path';
import { TimeoutError, errorMessage } from '../util/errors.js';
import { tail } from '../util/exec.js';
import { formatDuration } from '../util/format.js';
import { log } from '../util/log.js';
import { waitUntil } from '../util/poll.js';
import { shellQuote } from '../util/shell.js';
import { MachineExitedError, type Machine } from './machine.js';
import type { Accelerator } from './qemu.js';
import { analyseDesktop, describeColour, differenceRatio, isBlank, readScreen, type DesktopAnalysis, type Screen } from './screen.js';
import { SshAuthenticationError } from './ssh.js';
import { judgeUserCheck, type UserCheck } from './user-checks.js';

export type Verdict = 'pass' | 'fail' | 'skipped';

export interface CheckResult {
  id: string;
  title: string;
  verdict: Verdict;
  deadlineSeconds: number;
  /** Seconds since power-on when the check started and ended. */
  startedAt?: number;
  finishedAt?: number;
  detail: string;
  /** What kind of failure ended the check (also in report.json). */
  failure?: FailureKind;
  /** What was tried, for the failure report. */
  tried: string[];
}

/**
 * Kinds of failure a person (and the code deciding what else can run) tells apart: a deadline passed,
 * QEMU exited, the credentials were rejected, a guest command gave a wrong answer, anything else.
 */
export type FailureKind = 'timeout' | 'qemu-exited' | 'credentials-rejected' | 'wrong-answer';

export function failureKindOf(err: unknown): FailureKind {
  if (err instanceof TimeoutError) return 'timeout';
  if (err instanceof MachineExitedError) return 'qemu-exited';
  if (err instanceof SshAuthenticationError) return 'credentials-rejected';
  return 'wrong-answer';
}

/** Base deadlines in seconds, generous for software emulation on two shared cores. */
export const BASE_DEADLINES = {
  kernel: 120,
  sshd: 480,
  login: 180,
  services: 90,
  weston: 240,
  screenshot: 120,
} as const;

/**
 * Each built-in check's base deadline is multiplied by the factor of the accelerator actually used.
 * Software emulation is 5-10x slower than KVM, so a quarter of the TCG deadline still leaves KVM
 * 1.25-2.5 times the headroom TCG has, and a KVM boot that fails does not wait out TCG's deadlines.
 * User checks keep their own `timeout` (scaled by the multiplier only): its author knows the command.
 */
export const DEADLINE_FACTORS: Record<Accelerator, number> = { tcg: 1, kvm: 0.25 };

/** Where the checks leave their evidence and what they measured along the way. */
export interface CheckEvidence {
  consoleScreenshot?: string;
  westonScreenshot?: string;
  westonLog?: string;
  desktop?: DesktopAnalysis;
  /** When the guest started its sshd process, in seconds since power-on (from the guest's /proc). */
  sshdProcessStartedAt?: number;
  sshAttempts?: number;
}

export interface CheckContext {
  machine: Machine;
  /** The accelerator the guest runs under: it scales the built-in deadlines. */
  accelerator: Accelerator;
  username: string;
  password: string;
  outputDir: string;
  multiplier: number;
  userChecks: UserCheck[];
  evidence: CheckEvidence;
}

interface CheckStep {
  id: string;
  title: string;
  baseDeadline: number;
  /** Does the work; returns a one-line result. `tried` collects what was attempted. */
  run(deadlineSeconds: number, tried: string[]): Promise<string>;
  /** Built-in checks gate the ones after them and scale with the accelerator; user checks do neither. */
  builtIn: boolean;
}

const WESTON_LOG = '/tmp/pizlix-boot-test-weston.log';

export async function runChecks(context: CheckContext): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  let blockedBy: string | undefined;
  for (const step of defineChecks(context)) {
    const deadlineSeconds = step.baseDeadline * (step.builtIn ? DEADLINE_FACTORS[context.accelerator] : 1) * context.multiplier;
    const result: CheckResult = { id: step.id, title: step.title, verdict: 'skipped', deadlineSeconds, detail: '', tried: [] };
    results.push(result);
    if (blockedBy) {
      result.detail = `not run: '${blockedBy}' failed`;
      continue;
    }
    log.info(`check '${step.title}' (deadline ${formatDuration(deadlineSeconds)})`);
    result.startedAt = context.machine.secondsSincePowerOn();
    try {
      result.detail = await withDeadline(step.run(deadlineSeconds, result.tried), step.title, deadlineSeconds);
      result.verdict = 'pass';
    } catch (err) {
      result.verdict = 'fail';
      result.detail = errorMessage(err);
      result.failure = failureKindOf(err);
      const fatal = result.failure === 'qemu-exited' || result.failure === 'credentials-rejected';
      if (step.builtIn || fatal) blockedBy = step.title;
    }
    result.finishedAt = context.machine.secondsSincePowerOn();
    const line = `${result.verdict.toUpperCase()} ${step.title} at ${result.finishedAt.toFixed(1)} s: ${result.detail}`;
    if (result.verdict === 'pass') log.info(line);
    else log.error(line);
  }
  return results;
}

/** A hard stop a little after the deadline, in case a step's own waits overrun it. */
async function withDeadline<T>(work: Promise<T>, title: string, seconds: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`check '${title}'`, seconds)), (seconds + 5) * 1000);
  });
  work.catch(() => undefined); // a late failure of abandoned work is not unhandled
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}

function defineChecks(context: CheckContext): CheckStep[] {
  const builtIn = [kernelStarts, sshdAnswers, passwordLogin, servicesRun, westonStarts, westonDrew].map((check) => check(context));
  return [...builtIn, ...context.userChecks.map((check) => userCheck(context, check))];
}

/** A built-in check: its base deadline from BASE_DEADLINES; it gates the checks after it. */
function builtInCheck(id: keyof typeof BASE_DEADLINES, title: string, run: CheckStep['run']): CheckStep {
  return { id, title, baseDeadline: BASE_DEADLINES[id], builtIn: true, run };
}

function kernelStarts({ machine }: CheckContext): CheckStep {
  return builtInCheck('kernel', 'kernel starts', async (deadline, tried) => {
    tried.push('waited for "Linux version" on the serial port');
    const line = await machine.waitForSerial(/Linux version \d/, deadline);
    return line.replace(/^\[[^\]]*\]\s*/, '').slice(0, 120);
  });
}

function sshdAnswers({ machine, evidence }: CheckContext): CheckStep {
  return builtInCheck('sshd', 'sshd answers', async (deadline, tried) => {
    tried.push(`read the SSH greeting on ${machine.sshTarget.host}:${machine.sshTarget.port} (forwarded to guest port 22) every second`);
    const { greeting, attempts } = await machine.waitForSshGreeting(deadline);
    evidence.sshAttempts = attempts;
    return `${greeting} (after ${attempts} attempts)`;
  });
}

function passwordLogin({ machine, username }: CheckContext): CheckStep {
  return builtInCheck('login', 'password login', async (deadline, tried) => {
    tried.push(`password login as '${username}' with ssh2, retrying connection failures only`);
    const { attempts } = await machine.login(deadline);
    const who = (await machine.succeed('id -un; uname -sr', { timeoutSeconds: deadline })).trim().split('\n');
    if (who[0] !== username) throw new Error(`logged in, but 'id -un' says ${JSON.stringify(who[0])}`);
    return `logged in as ${who[0]} on ${who[1] ?? 'an unknown kernel'} (${attempts} attempt${attempts === 1 ? '' : 's'})`;
  });
}

function servicesRun({ machine, evidence }: CheckContext): CheckStep {
  return builtInCheck('services', 'sshd and seatd run', async (deadline, tried) => {
    tried.push('listed processes from /proc');
    const processes = await listGuestProcesses(machine, deadline);
    const missing = ['sshd', 'seatd'].filter((name) => !processes.some((p) => p.name === name));
    if (missing.length) {
      const names = [...new Set(processes.map((p) => p.name))].filter((n) => !n.startsWith('kworker')).join(' ');
      throw new Error(`not running: ${missing.join(', ')} (running: ${names})`);
    }
    tried.push('looked for a listener on TCP port 22 in /proc/net/tcp{,6}');
    await machine.waitForOpenPort(22, deadline);
    const sshd = processes.filter((p) => p.name === 'sshd').sort((a, b) => a.startedAt - b.startedAt)[0];
    evidence.sshdProcessStartedAt = sshd.startedAt;
    const pids = (name: string) =>
      processes
        .filter((p) => p.name === name)
        .map((p) => p.pid)
        .join(',');
    return `sshd (pid ${pids('sshd')}, started ${sshd.startedAt.toFixed(1)} s after power-on, listening on port 22) and seatd (pid ${pids('seatd')}) run`;
  });
}

function westonStarts(context: CheckContext): CheckStep {
  return builtInCheck('weston', 'weston starts on the virtual GPU', async (deadline, tried) => {
    context.evidence.consoleScreenshot = path.join(context.outputDir, 'console.png');
    await context.machine.screenshot(context.evidence.consoleScreenshot);
    return startWeston(context, deadline, tried);
  });
}

function westonDrew(context: CheckContext): CheckStep {
  return builtInCheck('screenshot', 'weston drew the desktop', (deadline, tried) => verifyWestonDrew(context, deadline, tried));
}

function userCheck({ machine }: CheckContext, check: UserCheck): CheckStep {
  return {
    id: `user:${check.name}`,
    title: check.name,
    baseDeadline: check.timeoutSeconds,
    builtIn: false,
    async run(deadline, tried) {
      tried.push(`ran ${JSON.stringify(check.run)}`);
      const result = await machine.execute(check.run, { timeoutSeconds: deadline });
      const problem = judgeUserCheck(check, result.status, result.stdout);
      const output = tail(result.stdout || result.stderr, 5);
      if (problem) throw new Error(`${problem}${output ? `; output:\n${output}` : ''}`);
      return `exit status ${result.status}${output ? `: ${output.split('\n')[0].slice(0, 100)}` : ''}`;
    },
  };
}

interface GuestProcess {
  pid: number;
  name: string;
  /** Seconds since power-on. */
  startedAt: number;
}

/**
 * Reads every /proc/<pid>/stat and converts start times (clock ticks since the guest kernel booted)
 * into seconds since power-on, using the guest's uptime read at the same moment.
 */
async function listGuestProcesses(machine: Machine, deadline: number): Promise<GuestProcess[]> {
  // A process that exits between the glob and cat makes cat fail; the others' lines are still right.
  const script = 'getconf CLK_TCK 2>/dev/null || echo 100; cut -d" " -f1 /proc/uptime; cat /proc/[0-9]*/stat 2>/dev/null || true';
  const output = await machine.succeed(script, { timeoutSeconds: deadline });
  const now = machine.secondsSincePowerOn();
  const [ticksLine, uptimeLine, ...stats] = output.trim().split('\n');
  const ticksPerSecond = Number(ticksLine) || 100;
  const bootedAt = now - Number(uptimeLine);
  return stats.flatMap((line) => {
    const open = line.indexOf('(');
    const close = line.lastIndexOf(')');
    if (open < 0 || close < open) return [];
    const fields = line.slice(close + 2).split(' ');
    // Field 22 of stat (starttime); fields[0] is field 3 (state).
    const startTicks = Number(fields[19]);
    return [{ pid: Number(line.slice(0, open)), name: line.slice(open + 1, close), startedAt: bootedAt + startTicks / ticksPerSecond }];
  });
}

/**
 * Starts weston the way a person would from an SSH session: as the user, with XDG_RUNTIME_DIR set
 * as the login profile sets it (created with sudo when the system has no session manager to do it),
 * weston's configuration deciding the backend. Then a Wayland client must connect, and the log must
 * show the drm backend, an enabled output and no fatal line.
 */
async function startWeston(context: CheckContext, deadline: number, tried: string[]): Promise<string> {
  const { machine, evidence } = context;
  const ends = Date.now() + deadline * 1000;
  const remaining = () => Math.max(1, (ends - Date.now()) / 1000);
  const runtimeDir = 'export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/run/user/$(id -u)}"';
  const start = [
    'set -u',
    runtimeDir,
    'if [ ! -d "$XDG_RUNTIME_DIR" ]; then',
    '  mkdir -m 0700 -p "$XDG_RUNTIME_DIR" 2>/dev/null ||',
    '    sudo -S -p "" install -d -m 0700 -o "$(id -u)" -g "$(id -g)" "$XDG_RUNTIME_DIR" ||',
    '    { echo "cannot create $XDG_RUNTIME_DIR (no permission, and sudo failed)" >&2; exit 3; }',
    '  echo "created $XDG_RUNTIME_DIR"',
    'fi',
    'command -v weston >/dev/null || { echo "weston is not installed (not on PATH: $PATH)" >&2; exit 4; }',
    `rm -f ${WESTON_LOG}`,
    `setsid nohup weston --log=${WESTON_LOG} </dev/null >/dev/null 2>&1 &`,
    'echo "weston pid $!, XDG_RUNTIME_DIR=$XDG_RUNTIME_DIR"',
  ].join('\n');
  tried.push(`started weston as ${context.username} over SSH with XDG_RUNTIME_DIR set, logging to ${WESTON_LOG}`);
  const started = await machine.execute(start, { timeoutSeconds: remaining(), stdin: `${context.password}\n` });
  if (started.status !== 0) throw new Error(`could not start weston: ${tail(started.stderr || started.stdout, 5)}`);
  const startedLines = started.stdout.trim();

  try {
    tried.push('waited for a wayland-* socket in XDG_RUNTIME_DIR while weston runs');
    const socket = await waitForWaylandSocket(machine, runtimeDir, remaining());

    tried.push(`connected a Wayland client to ${socket}`);
    const client = await runWaylandClient(machine, runtimeDir, socket, remaining());

    tried.push('waited for the log to show the drm backend and an enabled output');
    const output = await waitForWestonLog(machine, remaining());
    return `${startedLines.split('\n').join('; ')}; socket ${socket}; ${client}; ${output}`;
  } finally {
    evidence.westonLog = path.join(context.outputDir, 'weston.log');
    await machine.copyFromGuest(WESTON_LOG, evidence.westonLog).catch((err) => {
      log.warning(`could not copy weston's log out of the guest: ${errorMessage(err)}`);
      evidence.westonLog = undefined;
    });
  }
}

async function waitForWaylandSocket(machine: Machine, runtimeDir: string, deadline: number): Promise<string> {
  const probe = [
    runtimeDir,
    'for s in "$XDG_RUNTIME_DIR"/wayland-*; do [ -S "$s" ] && { echo "socket ${s##*/}"; exit 0; }; done',
    'grep -qx weston /proc/[0-9]*/comm 2>/dev/null && echo waiting || echo exited',
  ].join('\n');
  return waitUntil({
    what: "weston's Wayland socket",
    timeoutSeconds: deadline,
    intervalMs: 1000,
    attempt: async () => {
      const answer = (await machine.succeed(probe, { timeoutSeconds: deadline })).trim();
      if (answer.startsWith('socket ')) return answer.slice('socket '.length);
      if (answer === 'exited') {
        const logTail = await machine.execute(`tail -n 15 ${WESTON_LOG}`);
        throw new Error(`weston exited without creating its Wayland socket; its log ends:\n${logTail.stdout.trim()}`);
      }
      return undefined;
    },
  });
}

/** wayland-info when installed; otherwise a simple client that must still be connected after 5 s. */
async function runWaylandClient(machine: Machine, runtimeDir: string, socket: string, deadline: number): Promise<string> {
  const script = [
    runtimeDir,
    `export WAYLAND_DISPLAY=${shellQuote(socket)}`,
    'if command -v wayland-info >/dev/null; then echo "client wayland-info"; exec wayland-info; fi',
    'if command -v weston-simple-shm >/dev/null; then echo "client weston-simple-shm"; timeout 5 weston-simple-shm; s=$?; [ $s -eq 124 ] && exit 0; exit $s; fi',
    'echo "no Wayland client (wayland-info, weston-simple-shm) is installed" >&2; exit 5',
  ].join('\n');
  const result = await machine.execute(script, { timeoutSeconds: deadline });
  const client = /^client (\S+)/.exec(result.stdout)?.[1] ?? 'a Wayland client';
  if (result.status !== 0) throw new Error(`${client} failed (status ${result.status}): ${tail(result.stderr || result.stdout, 5)}`);
  if (client === 'wayland-info') {
    const interfaces = (result.stdout.match(/interface: '/g) ?? []).length;
    if (!/'wl_compositor'/.test(result.stdout)) throw new Error('wayland-info connected but listed no wl_compositor');
    return `wayland-info listed ${interfaces} globals`;
  }
  return `${client} stayed connected for 5 s`;
}

async function waitForWestonLog(machine: Machine, deadline: number): Promise<string> {
  let last = '';
  let drm = false;
  return waitUntil({
    what: "weston's log to show the drm backend and an enabled output",
    timeoutSeconds: deadline,
    intervalMs: 1000,
    attempt: async () => {
      last = (await machine.execute(`cat ${WESTON_LOG}`, { timeoutSeconds: deadline })).stdout;
      const fatal = last.split('\n').find((line) => /\bfatal\b/i.test(line));
      if (fatal) throw new Error(`weston's log has a fatal line: ${fatal.trim()}`);
      const output = /Output '([^']+)' enabled/.exec(last);
      drm = /drm-backend\.so|DRM backend|drm backend/i.test(last);
      return output && drm ? `drm backend, output ${output[1]} enabled` : undefined;
    },
    lastState: () => `${drm ? 'drm backend seen, no enabled output' : 'no drm backend yet'}; log ends: ${tail(last, 5)}`,
  });
}

/**
 * Takes screenshots until one is not blank, differs from the console screen taken before weston, and
 * equals the one before it: weston fades its desktop in, and a frame in mid-fade is not the desktop.
 */
async function verifyWestonDrew(context: CheckContext, deadline: number, tried: string[]): Promise<string> {
  const { machine, evidence } = context;
  if (!evidence.consoleScreenshot) throw new Error('no console screenshot from before weston started');
  const before = await readScreen(evidence.consoleScreenshot);
  const file = path.join(context.outputDir, 'weston.png');
  evidence.westonScreenshot = file;
  tried.push('took QMP screendumps every 2 s until one differed from the console screen and stopped changing');
  let previous: Screen | undefined;
  let state = '';
  return waitUntil({
    what: 'weston to draw',
    timeoutSeconds: deadline,
    intervalMs: 2000,
    attempt: async () => {
      await machine.screenshot(file);
      const after = await readScreen(file);
      const changed = differenceRatio(before, after);
      const blank = isBlank(after);
      const stable = previous !== undefined && differenceRatio(previous, after) < 0.01;
      previous = after;
      const d = (evidence.desktop = analyseDesktop(after));
      state = `${blank ? 'blank' : 'not blank'}, ${(100 * changed).toFixed(1)}% of pixels differ from the console, ${stable ? 'stable' : 'still changing'}`;
      if (blank || changed <= 0.05 || !stable) return undefined;
      return `${after.width}x${after.height}, ${state}; top band ${describeColour(d.panel.colour)}, background ${describeColour(d.background.colour)}`;
    },
    lastState: () => state,
  });
}
