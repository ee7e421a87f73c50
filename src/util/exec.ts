/** Running external programs: captured (short commands) or streamed (long ones), with typed failures. */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import path from 'node:path';
import { onCancel } from './cancel.js';
import { CommandError } from './errors.js';
import { stopProcess } from './process-group.js';

/** How long a child may take to end on SIGTERM when the job is cancelled, before SIGKILL. */
const CANCEL_GRACE_MS = 2000;

/**
 * Spawns a child that does not outlive a cancelled job. Node does not end its children when it exits, so
 * a mke2fs, tar or zstd would go on writing into files the clean-up has just removed: on cancellation the
 * child gets SIGTERM, then SIGKILL after a grace, and the clean-up waits until it has gone. (Children that
 * start helpers of their own, a stage's script or QEMU, are stopped as process groups instead: see
 * process-group.ts.)
 */
export function spawnChild(cmd: string, args: string[], options: SpawnOptions = {}): ChildProcess {
  const child = spawn(cmd, args, options);
  const forget = onCancel(() => stopProcess(child, { graceMs: CANCEL_GRACE_MS }));
  child.once('exit', () => forget());
  child.once('error', () => forget());
  return child;
}

export interface Captured {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion and captures its output; never throws for a non-zero exit. */
export function capture(cmd: string, args: string[], options: SpawnOptions & { input?: string | Buffer } = {}): Promise<Captured> {
  return new Promise((resolve, reject) => {
    const child = spawnChild(cmd, args, { ...options, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (d: Buffer) => out.push(d));
    child.stderr!.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
    child.stdin!.on('error', () => undefined);
    child.stdin!.end(options.input ?? '');
  });
}

/** Runs a command and returns its stdout; throws CommandError with the stderr tail when it fails. */
export async function run(cmd: string, args: string[], options: SpawnOptions & { input?: string | Buffer } = {}): Promise<string> {
  const result = await capture(cmd, args, options);
  if (result.code !== 0) {
    throw new CommandError([cmd, ...args].join(' '), result.code, result.signal, tail(result.stderr || result.stdout, 20));
  }
  return result.stdout;
}

export function tail(text: string, lines: number): string {
  const all = text.trimEnd().split('\n');
  return all.slice(-lines).join('\n');
}

/** Finds an executable on PATH (like `command -v`); undefined when absent. */
export async function which(tool: string, searchPath = process.env.PATH ?? ''): Promise<string | undefined> {
  if (tool.includes('/')) return (await isExecutable(tool)) ? tool : undefined;
  for (const dir of searchPath.split(':').filter(Boolean)) {
    const candidate = path.join(dir, tool);
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

export async function isExecutable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Waits for a spawned child and throws CommandError unless it exits 0. */
export function waitForExit(child: ReturnType<typeof spawn>, label: string, stderrTail: () => string = () => ''): Promise<void> {
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new CommandError(label, code, signal, stderrTail()));
    });
  });
}
