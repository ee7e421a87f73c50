/**
 * One QEMU guest, driven the way the NixOS test driver drives its machines: start it, wait for
 * what a person would see (serial output, sshd's greeting, an open port), run commands as the
 * user over SSH, take screenshots, and always shut it down — the whole process group.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { TimeoutError, errorMessage } from '../util/errors.js';
import { tail } from '../util/exec.js';
import { log } from '../util/log.js';
import { QmpClient } from './qmp.js';
import {
  buildQemuArgs, detectDiskFormat, findFreePort, killProcessGroup, launchInOwnProcessGroup, signalGroup,
  type Accelerator,
} from './qemu.js';
import { SshSession, isRetryable, readSshGreeting, type ExecResult, type SshCredentials, type SshTarget } from './ssh.js';

export interface MachineOptions {
  /** Whole-disk image, raw or qcow2. Never written to unless `snapshot` is false. */
  image: string;
  /** Direct kernel boot, for images without a boot loader. */
  kernel?: string;
  initrd?: string;
  append?: string;
  accel: Accelerator;
  cpus: number;
  memoryMiB: number;
  extraArgs?: string[];
  /** Where the serial log and QEMU's own output are written. */
  outputDir: string;
  credentials: SshCredentials;
  qemuBinary?: string;
  /** Default true: writes go to a throw-away overlay and the image stays pristine. */
  snapshot?: boolean;
}

/** QEMU stopped on its own (bad arguments, a crash, the guest powered off). */
export class MachineExitedError extends Error {
  constructor(status: string, qemuOutput: string) {
    super(`QEMU exited (${status})${qemuOutput ? `:\n${qemuOutput}` : ''}`);
    this.name = 'MachineExitedError';
  }
}

/** A guest command ended with an unexpected status. */
export class GuestCommandError extends Error {
  constructor(readonly command: string, readonly result: ExecResult) {
    const how = result.status === null ? `was killed by ${result.signal ?? 'a signal'}` : `exited with status ${result.status}`;
    const output = tail(result.stderr || result.stdout, 15);
    super(`guest command ${JSON.stringify(command)} ${how}${output ? `:\n${output}` : ''}`);
    this.name = 'GuestCommandError';
  }
}

export interface CommandOptions {
  timeoutSeconds?: number;
  stdin?: string;
}

export class Machine {
  readonly serialLog: string;
  readonly qemuLog: string;
  private process?: ChildProcess;
  private qmp?: QmpClient;
  private ssh?: SshSession;
  private qmpDir?: string;
  private sshPort = 0;
  private poweredOnAt = 0;
  private exitStatus?: string;
  private readonly killOnExit = () => {
    if (this.process?.pid) signalGroup(this.process.pid, 'SIGKILL');
  };

  constructor(readonly options: MachineOptions) {
    this.serialLog = path.join(options.outputDir, 'serial.log');
    this.qemuLog = path.join(options.outputDir, 'qemu.log');
  }

  get sshTarget(): SshTarget {
    return { host: '127.0.0.1', port: this.sshPort };
  }

  /** Powers the guest on. Seconds are counted from here. */
  async start(): Promise<void> {
    // A unix socket path must stay under ~108 bytes, so it lives in a short temporary directory.
    this.qmpDir = await mkdtemp(path.join(os.tmpdir(), 'pizlix-qmp-'));
    const qmpSocket = path.join(this.qmpDir, 'qmp.sock');
    this.sshPort = await findFreePort();
    await writeFile(this.serialLog, '');
    const args = buildQemuArgs({
      image: this.options.image,
      format: await detectDiskFormat(this.options.image),
      snapshot: this.options.snapshot ?? true,
      accel: this.options.accel,
      cpus: this.options.cpus,
      memoryMiB: this.options.memoryMiB,
      sshPort: this.sshPort,
      qmpSocket,
      serialLog: this.serialLog,
      kernel: this.options.kernel,
      initrd: this.options.initrd,
      append: this.options.append,
      extraArgs: this.options.extraArgs,
    });
    const binary = this.options.qemuBinary ?? 'qemu-system-x86_64';
    log.info(`starting ${binary} ${args.join(' ')}`);
    await writeFile(this.qemuLog, `${binary} ${args.join(' ')}\n`);
    this.process = await launchInOwnProcessGroup(binary, args, this.qemuLog);
    this.poweredOnAt = Date.now();
    process.once('exit', this.killOnExit);
    this.process.once('exit', (code, signal) => (this.exitStatus = signal ? `killed by ${signal}` : `status ${code}`));
    this.qmp = await this.poll('the QMP socket', 30, 200, () => QmpClient.connect(qmpSocket, 0).catch(() => undefined));
  }

  secondsSincePowerOn(): number {
    return this.poweredOnAt ? (Date.now() - this.poweredOnAt) / 1000 : 0;
  }

  /** Waits until a line of the serial log matches; returns that line. */
  async waitForSerial(pattern: RegExp, timeoutSeconds: number): Promise<string> {
    return this.poll(`serial output matching ${pattern}`, timeoutSeconds, 250, async () => {
      const text = await readFile(this.serialLog, 'latin1');
      const line = text.split('\n').find((l) => pattern.test(l));
      return line?.replace(/\r$/, '');
    });
  }

  /** The last lines the guest wrote to its serial port. */
  async serialTail(lines: number): Promise<string> {
    return tail(await readFile(this.serialLog, 'latin1').catch(() => ''), lines);
  }

  /** Waits until sshd answers with its protocol greeting on the forwarded port. */
  async waitForSshGreeting(timeoutSeconds: number, intervalMs = 1000): Promise<{ greeting: string; attempts: number; lastFailure?: string }> {
    let attempts = 0;
    let lastFailure: string | undefined;
    const greeting = await this.poll('the SSH greeting', timeoutSeconds, intervalMs, async () => {
      attempts++;
      try {
        return await readSshGreeting(this.sshTarget, 5000);
      } catch (err) {
        lastFailure = errorMessage(err);
        return undefined;
      }
    }, () => `${attempts} attempts, last: ${lastFailure}`);
    return { greeting, attempts, lastFailure };
  }

  /** Logs in with the password over SSH, retrying connection-level failures only. */
  async login(timeoutSeconds: number): Promise<{ attempts: number }> {
    let attempts = 0;
    let lastFailure = '';
    this.ssh?.close();
    this.ssh = await this.poll('an SSH login', timeoutSeconds, 2000, async () => {
      attempts++;
      try {
        return await SshSession.connect(this.sshTarget, this.options.credentials, 30_000);
      } catch (err) {
        if (!isRetryable(err)) throw err;
        lastFailure = errorMessage(err);
        return undefined;
      }
    }, () => `${attempts} attempts, last: ${lastFailure}`);
    return { attempts };
  }

  /** Runs a command as the user; returns its status and output, whatever the status. */
  async execute(command: string, options: CommandOptions = {}): Promise<ExecResult> {
    if (!this.ssh) await this.login(60);
    return this.ssh!.exec(command, {
      timeoutMs: (options.timeoutSeconds ?? 120) * 1000,
      stdin: options.stdin,
    });
  }

  /** Runs a command that must exit 0; returns its standard output. */
  async succeed(command: string, options: CommandOptions = {}): Promise<string> {
    const result = await this.execute(command, options);
    if (result.status !== 0) throw new GuestCommandError(command, result);
    return result.stdout;
  }

  /** Retries a command until it exits 0. */
  async waitUntilSucceeds(command: string, timeoutSeconds: number, intervalMs = 1000): Promise<string> {
    let last: ExecResult | undefined;
    return this.poll(`${JSON.stringify(command)} to succeed`, timeoutSeconds, intervalMs, async () => {
      last = await this.execute(command, { timeoutSeconds: Math.min(60, timeoutSeconds) });
      return last.status === 0 ? last.stdout : undefined;
    }, () => (last ? `last status ${last.status}: ${tail(last.stderr || last.stdout, 3)}` : 'never ran'));
  }

  /** Waits until something in the guest listens on a TCP port (read from /proc/net/tcp{,6}). */
  async waitForOpenPort(port: number, timeoutSeconds: number): Promise<void> {
    const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
    // Column 2 is local_address as ADDR:PORT in hex, column 4 the state; 0A is LISTEN.
    const command = `cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk '$2 ~ /:${hexPort}$/ && $4 == "0A" {found=1} END {exit !found}'`;
    await this.waitUntilSucceeds(command, timeoutSeconds);
  }

  /** Copies a text file out of the guest (through `cat` over SSH). */
  async copyFromGuest(guestPath: string, hostPath: string): Promise<void> {
    const contents = await this.succeed(`cat ${shellQuote(guestPath)}`);
    await writeFile(hostPath, contents);
  }

  /** Saves the guest's screen as a PNG file. */
  async screenshot(file: string): Promise<void> {
    await this.throwIfExited();
    await this.qmp!.screendump(path.resolve(file));
  }

  /** Stops QEMU and everything in its process group; safe to call more than once, and always. */
  async shutdown(): Promise<void> {
    this.ssh?.close();
    this.ssh = undefined;
    this.qmp?.close();
    this.qmp = undefined;
    if (this.process) {
      await killProcessGroup(this.process);
      process.off('exit', this.killOnExit);
    }
    if (this.qmpDir) await rm(this.qmpDir, { recursive: true, force: true });
    this.qmpDir = undefined;
  }

  /** Calls `attempt` every `intervalMs` until it yields a value, QEMU exits or the deadline passes. */
  private async poll<T>(
    what: string,
    timeoutSeconds: number,
    intervalMs: number,
    attempt: () => Promise<T | undefined>,
    lastState?: () => string,
  ): Promise<T> {
    const deadline = Date.now() + timeoutSeconds * 1000;
    for (;;) {
      await this.throwIfExited();
      const value = await attempt();
      if (value !== undefined) return value;
      if (Date.now() + intervalMs > deadline) {
        throw new TimeoutError(`waiting for ${what}${lastState ? ` (${lastState()})` : ''}`, timeoutSeconds);
      }
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }

  private async throwIfExited(): Promise<void> {
    if (this.exitStatus === undefined) return;
    throw new MachineExitedError(this.exitStatus, tail(await readFile(this.qemuLog, 'utf8').catch(() => ''), 10));
  }
}

export function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}
