/**
 * Stopping a child and everything it started. Children that may start helpers (a stage's script, QEMU)
 * are spawned `detached`, which makes each the leader of a process group of its own; signalling the
 * group (a negative pid) reaches every member, also those the leader no longer knows about.
 */
import type { ChildProcess } from 'node:child_process';

/** Sends `signal` to the whole group led by `pid`; a group that is already gone is not an error. */
export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

/**
 * Stops a process group: `signal` (SIGTERM), then SIGKILL after `graceMs`. Resolves once the leader has
 * exited, or after a last short wait: a process stuck in the kernel (a hung KVM ioctl) may never exit,
 * and that must not hang the caller. Members left behind by a leader that exited are killed too.
 */
export function stopProcessGroup(child: ChildProcess, options: StopOptions = {}): Promise<void> {
  return stopWith(child, (pid, signal) => signalGroup(pid, signal), options);
}

/** Stops one child that starts no helpers of its own, the same way: `signal`, then SIGKILL after `graceMs`. */
export function stopProcess(child: ChildProcess, options: StopOptions = {}): Promise<void> {
  return stopWith(child, (_pid, signal) => void child.kill(signal), options);
}

interface StopOptions {
  graceMs?: number;
  signal?: NodeJS.Signals;
}

async function stopWith(child: ChildProcess, send: (pid: number, signal: NodeJS.Signals) => void, options: StopOptions): Promise<void> {
  if (child.pid === undefined) return;
  const exited = child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise<void>((resolve) => child.once('exit', () => resolve()));
  send(child.pid, options.signal ?? 'SIGTERM');
  const stoppedInTime = await settlesWithin(exited, options.graceMs ?? 3000);
  send(child.pid, 'SIGKILL');
  if (!stoppedInTime) await settlesWithin(exited, 2000);
}

async function settlesWithin(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
