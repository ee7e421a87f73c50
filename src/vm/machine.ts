/**
 * One QEMU guest, driven the way the NixOS test driver drives its machines: start it, wait for
 * what a person would see (serial output, sshd's greeting, an open port), run commands as the
 * user over SSH, take screenshots, and always shut it down — the whole process group.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { errorMessage } from '../util/errors.js';
import { tail } from '../util/exec.js';
import { log } from '../util/log.js';
import { onCancel } from '../util/cancel.js';
import { waitUntil, type WaitOptions } from '../util/poll.js';
import { signalGroup, stopProcessGroup } from '../util/process-group.js';
import { shellQuote } from '../util/shell.js';
import { QmpClient } from './qmp.js';
import { buildQemuArgs, detectDiskFormat, findFreePort, launchInOwnProcessGroup, type Accelerator } from './qemu.js';
import { SshSession, isRetryable, readSshGreeting, type ExecResult, type SshCredentials, type SshTarget } from './ssh.js';

export interface MachineOptions {
  /** Whole-disk image, raw or qcow2. Never written to unless `snapshot` is false. */
  image: string;
  /** Direct kernel boot, for images without a boot loader. */
  kernel?: string;
  initrd?: string;
  append?: string;
  accel: Accelerator;
  /** `-cpu` model; QEMU's default when absent. */
  cpu?: string;
  cpus: number;
  memoryMiB: number;
  extraArgs?: string[];
  /** Where the serial log, the firmware's log and QEMU's own output are written. */
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
  constructor(
    readonly command: string,
    readonly result: ExecResult,
  ) {
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

/** The logs a guest leaves behind. */
export interface MachineLogs {
  serialLog: string;
  qemuLog: string;
  firmwareLog: string;
}

export class Machine {
  readonly serialLog: string;
  readonly qemuLog: string;
  readonly firmwareLog: string;
  private process?: ChildProcess;
  private qmp?: QmpClient;
  private ssh?: SshSession;
  private qmpDir?: string;
  private sshPort = 0;
  private poweredOnAt = 0;
  private forgetCancel?: () => void;
  private exitedWith?: string;
  private readonly killOnExit = () => {
    if (this.process?.pid) signalGroup(this.process.pid, 'SIGKILL');
  };

  constructor(readonly options: MachineOptions) {
    ({ serialLog: this.serialLog, qemuLog: this.qemuLog, firmwareLog: this.firmwareLog } = Machine.logsIn(options.outputDir));
  }

  /** Where a guest whose output directory is `outputDir` writes its logs. */
  static logsIn(outputDir: string): MachineLogs {
    return { serialLog: path.join(outputDir, 'serial.log'), qemuLog: path.join(outputDir, 'qemu.log'), firmwareLog: path.join(outputDir, 'firmware.log') };
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
    await writeFile(this.firmwareLog, '');
    const args = buildQemuArgs({
      image: this.options.image,
      format: await detectDiskFormat(this.options.image),
      snapshot: this.options.snapshot ?? true,
      accel: this.options.accel,
      cpu: this.options.cpu,
      cpus: this.options.cpus,
      memoryMiB: this.options.memoryMiB,
      sshPort: this.sshPort,
      qmpSocket,
      serialLog: this.serialLog,
      firmwareLog: this.firmwareLog,
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
    // A cancelled job stops the guest; the exit hook covers every other way the process can end.
    process.once('exit', this.killOnExit);
    this.forgetCancel = onCancel(() => this.shutdown({ graceMs: 1000 }));
    this.process.once('exit', (code, signal) => (this.exitedWith = signal ? `killed by ${signal}` : `status ${code}`));
    this.qmp = await this.waitWhileRunning({ what: 'the QMP socket', timeoutSeconds: 30, intervalMs: 200, attempt: () => QmpClient.tryConnect(qmpSocket) });
  }

  /** How QEMU ended ("status 1", "killed by SIGKILL"), or undefined while it runs. */
  get exitStatus(): string | undefined {
    return this.exitedWith;
  }

  secondsSincePowerOn(): number {
    return this.poweredOnAt ? (Date.now() - this.poweredOnAt) / 1000 : 0;
  }

  /** Waits until a line of the serial log matches; returns that line. */
  async waitForSerial(pattern: RegExp, timeoutSeconds: number): Promise<string> {
    return this.waitWhileRunning({
      what: `serial output matching ${pattern}`,
      timeoutSeconds,
      intervalMs: 250,
      attempt: async () =>
        (await this.readSerial())
          .split('\n')
          .find((l) => pattern.test(l))
          ?.replace(/\r$/, ''),
    });
  }

  /** Everything the guest wrote to its serial port so far. */
  readSerial(): Promise<string> {
    return readFile(this.serialLog, 'latin1').catch(() => '');
  }

  /** Everything the firmware logged so far. */
  readFirmwareLog(): Promise<string> {
    return readFile(this.firmwareLog, 'latin1').catch(() => '');
  }

  /** The last lines of QEMU's own output (its command line first, then its warnings and errors). */
  async qemuOutput(lines: number): Promise<string> {
    return tail(await readFile(this.qemuLog, 'utf8').catch(() => ''), lines);
  }

  /** What QEMU said after its command line, each line without the program name it starts with. */
  async qemuMessages(): Promise<string[]> {
    const lines = (await readFile(this.qemuLog, 'utf8').catch(() => '')).split('\n').slice(1);
    return lines.map((l) => l.replace(/^\S*qemu-system-\S+: /, '').trim()).filter(Boolean);
  }

  /** Waits until sshd answers with its protocol greeting on the forwarded port. */
  async waitForSshGreeting(timeoutSeconds: number, intervalMs = 1000): Promise<{ greeting: string; attempts: number; lastFailure?: string }> {
    let attempts = 0;
    let lastFailure: string | undefined;
    const greeting = await this.waitWhileRunning({
      what: 'the SSH greeting',
      timeoutSeconds,
      intervalMs,
      attempt: async () => {
        attempts++;
        try {
          return await readSshGreeting(this.sshTarget, 5000);
        } catch (err) {
          lastFailure = errorMessage(err);
          return undefined;
        }
      },
      lastState: () => `${attempts} attempts, last: ${lastFailure}`,
    });
    return { greeting, attempts, lastFailure };
  }

  /** Logs in with the password over SSH, retrying connection-level failures only. */
  async login(timeoutSeconds: number): Promise<{ attempts: number }> {
    let attempts = 0;
    let lastFailure = '';
    this.ssh?.close();
    this.ssh = await this.waitWhileRunning({
      what: 'an SSH login',
      timeoutSeconds,
      intervalMs: 2000,
      attempt: async () => {
        attempts++;
        try {
          return await SshSession.connect(this.sshTarget, this.options.credentials, 30_000);
        } catch (err) {
          if (!isRetryable(err)) throw err;
          lastFailure = errorMessage(err);
          return undefined;
        }
      },
      lastState: () => `${attempts} attempts, last: ${lastFailure}`,
    });
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
    return this.waitWhileRunning({
      what: `${JSON.stringify(command)} to succeed`,
      timeoutSeconds,
      intervalMs,
      attempt: async () => {
        last = await this.execute(command, { timeoutSeconds: Math.min(60, timeoutSeconds) });
        return last.status === 0 ? last.stdout : undefined;
      },
      lastState: () => (last ? `last status ${last.status}: ${tail(last.stderr || last.stdout, 3)}` : 'never ran'),
    });
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

  /** Saves the screen as `name` in the output directory; its path, or undefined when QEMU can no longer give it. */
  async screenshotTo(name: string): Promise<string | undefined> {
    const file = path.join(this.options.outputDir, name);
    return this.screenshot(file).then(
      () => file,
      () => undefined,
    );
  }

  /** Stops QEMU and everything in its process group; safe to call more than once, and always. */
  async shutdown(options: { graceMs?: number } = {}): Promise<void> {
    this.ssh?.close();
    this.ssh = undefined;
    this.qmp?.close();
    this.qmp = undefined;
    if (this.process) {
      await stopProcessGroup(this.process, options);
      process.off('exit', this.killOnExit);
      this.forgetCancel?.();
    }
    if (this.qmpDir) await rm(this.qmpDir, { recursive: true, force: true });
    this.qmpDir = undefined;
  }

  /**
   * Keeps the logs of a guest that was stopped (a KVM attempt that hung) under names of their own,
   * `<prefix>-serial.log` and so on, so that the next guest's logs do not overwrite them.
   */
  async keepLogsAs(prefix: string): Promise<MachineLogs> {
    const kept = (file: string) => path.join(path.dirname(file), `${prefix}-${path.basename(file)}`);
    const logs = { serialLog: kept(this.serialLog), qemuLog: kept(this.qemuLog), firmwareLog: kept(this.firmwareLog) };
    await rename(this.serialLog, logs.serialLog);
    await rename(this.qemuLog, logs.qemuLog);
    await rename(this.firmwareLog, logs.firmwareLog);
    return logs;
  }

  /** waitUntil, ended at once by QEMU exiting. */
  private waitWhileRunning<T>(options: WaitOptions<T>): Promise<T> {
    return waitUntil({
      ...options,
      attempt: async () => {
        await this.throwIfExited();
        return options.attempt();
      },
    });
  }

  private async throwIfExited(): Promise<void> {
    if (this.exitedWith === undefined) return;
    throw new MachineExitedError(this.exitedWith, await this.qemuOutput(10));
  }
}
