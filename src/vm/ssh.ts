/**
 * SSH to the guest: the protocol greeting read on a raw socket (with QEMU user networking a TCP
 * connect succeeds even when nothing listens in the guest, so only the `SSH-2.0-` line proves sshd
 * is up), and password login plus command execution through the `ssh2` package.
 *
 * Retry policy: only connection-level failures (refused, reset, timed out, closed before the
 * handshake) are retried — they are what a booting guest produces. Rejected credentials are never
 * retried: they fail at once with SshAuthenticationError.
 */
import net from 'node:net';
import './commonjs-globals.js'; // must precede ssh2
import { Client, type ClientChannel } from 'ssh2';
import { TimeoutError, errorMessage } from '../util/errors.js';

export interface SshTarget {
  host: string;
  port: number;
}

export interface SshCredentials {
  username: string;
  password: string;
}

export interface ExecResult {
  /** Exit status; null when the command was killed by a signal. */
  status: number | null;
  signal?: string;
  stdout: string;
  stderr: string;
}

/** The server refused the user name and password. */
export class SshAuthenticationError extends Error {
  constructor(
    readonly username: string,
    target: SshTarget,
  ) {
    super(`SSH login as '${username}' on ${target.host}:${target.port} was rejected: wrong user name or password (or password logins are disabled in sshd)`);
    this.name = 'SshAuthenticationError';
  }
}

/** A connection-level failure: worth another try while the guest boots. */
export class SshConnectionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SshConnectionError';
  }
}

/**
 * Opens a TCP connection and reads the server's first line. Resolves with the greeting when it
 * starts with `SSH-2.0-` (or `SSH-1.99-`); throws SshConnectionError otherwise.
 */
export function readSshGreeting(target: SshTarget, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection(target);
    let received = '';
    const finish = (err?: Error, greeting?: string) => {
      socket.destroy();
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(greeting!);
    };
    const timer = setTimeout(() => finish(new SshConnectionError(`no SSH greeting within ${timeoutMs / 1000} s`)), timeoutMs);
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      received += chunk;
      const newline = received.indexOf('\n');
      if (newline < 0 && received.length < 256) return;
      const line = received.slice(0, newline < 0 ? undefined : newline).replace(/\r$/, '');
      if (/^SSH-(2\.0|1\.99)-/.test(line)) finish(undefined, line);
      else finish(new SshConnectionError(`not an SSH greeting: ${JSON.stringify(line.slice(0, 80))}`));
    });
    socket.on('end', () => finish(new SshConnectionError('connection closed without a greeting')));
    socket.on('error', (err) => finish(new SshConnectionError(errorMessage(err))));
  });
}

const RETRYABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH']);

/** True for failures a booting guest produces; false for rejected credentials or protocol errors. */
export function isRetryable(err: unknown): boolean {
  if (err instanceof SshConnectionError || err instanceof TimeoutError) return true;
  if (err instanceof SshAuthenticationError) return false;
  const e = err as { level?: string; code?: string; message?: string };
  if (e.level === 'client-socket' || e.level === 'client-timeout') return true;
  if (e.code && RETRYABLE_CODES.has(e.code)) return true;
  return /Connection lost before handshake|Timed out while waiting for handshake/.test(e.message ?? '');
}

/** A logged-in SSH connection to the guest. */
export class SshSession {
  private constructor(private readonly client: Client) {}

  /** One login attempt with a password (keyboard-interactive answered with the same password). */
  static connect(target: SshTarget, credentials: SshCredentials, readyTimeoutMs = 30_000): Promise<SshSession> {
    return new Promise((resolve, reject) => {
      const client = new Client();
      client.on('keyboard-interactive', (_name, _instructions, _lang, prompts, finish) => {
        finish(prompts.map(() => credentials.password));
      });
      client.once('ready', () => {
        client.removeAllListeners('error');
        client.on('error', () => undefined); // later socket errors surface through exec()
        resolve(new SshSession(client));
      });
      client.once('error', (err: Error & { level?: string }) => {
        client.destroy();
        if (err.level === 'client-authentication') reject(new SshAuthenticationError(credentials.username, target));
        else if (isRetryable(err)) reject(new SshConnectionError(errorMessage(err)));
        else reject(err);
      });
      client.connect({
        host: target.host,
        port: target.port,
        username: credentials.username,
        password: credentials.password,
        tryKeyboard: true,
        readyTimeout: readyTimeoutMs,
        keepaliveInterval: 10_000,
        // The guest's host key is new on every image: there is nothing to verify it against.
        hostVerifier: () => true,
      });
    });
  }

  /** Runs a command through the user's shell; never throws for a non-zero status. */
  exec(command: string, options: { timeoutMs?: number; stdin?: string } = {}): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      this.client.exec(command, (err, channel: ClientChannel) => {
        if (err) return reject(new SshConnectionError(`could not run a command over SSH: ${err.message}`));
        const stdout: Buffer[] = [];
        const stderr: Buffer[] = [];
        let timer: NodeJS.Timeout | undefined;
        if (options.timeoutMs) {
          timer = setTimeout(() => {
            channel.close();
            reject(new TimeoutError(`the guest command ${JSON.stringify(command.slice(0, 80))}`, options.timeoutMs! / 1000));
          }, options.timeoutMs);
        }
        channel.on('data', (d: Buffer) => stdout.push(d));
        channel.stderr.on('data', (d: Buffer) => stderr.push(d));
        channel.on('close', (code: number | null | undefined, signal?: string) => {
          clearTimeout(timer);
          resolve({
            status: typeof code === 'number' ? code : null,
            ...(signal ? { signal } : {}),
            stdout: Buffer.concat(stdout).toString(),
            stderr: Buffer.concat(stderr).toString(),
          });
        });
        channel.end(options.stdin ?? '');
      });
    });
  }

  close(): void {
    this.client.end();
    this.client.destroy();
  }
}
