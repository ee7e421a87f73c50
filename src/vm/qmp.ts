/**
 * A small QMP (QEMU Machine Protocol) client over QEMU's unix socket.
 *
 * Hand-written rather than a dependency: QMP is newline-delimited JSON — a greeting, the
 * `qmp_capabilities` handshake, then one `{"execute": ...}` per line answered by `{"return"}`
 * or `{"error"}`, with asynchronous `{"event"}` lines in between. That is a few dozen lines,
 * less than the surface of any npm package for it.
 */
import net from 'node:net';

export class QmpError extends Error {
  constructor(
    readonly command: string,
    readonly errorClass: string,
    description: string,
  ) {
    super(`QMP ${command} failed: ${errorClass}: ${description}`);
    this.name = 'QmpError';
  }
}

interface Pending {
  command: string;
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
}

export class QmpClient {
  private buffer = '';
  private readonly queue: Pending[] = [];
  private greeted?: () => void;
  private closedError?: Error;

  private constructor(private readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.receive(chunk));
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new Error('QMP connection closed')));
  }

  /** One connection attempt: the client after the handshake, or undefined while QEMU has no socket yet. */
  static async tryConnect(socketPath: string): Promise<QmpClient | undefined> {
    const socket = await openSocket(socketPath).catch(() => undefined);
    if (!socket) return undefined;
    const client = new QmpClient(socket);
    try {
      await client.handshake();
      return client;
    } catch {
      client.close();
      return undefined;
    }
  }

  /** Runs one QMP command and returns its `return` value. */
  execute<T = unknown>(command: string, args?: Record<string, unknown>): Promise<T> {
    if (this.closedError) return Promise.reject(this.closedError);
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ command, resolve: resolve as (v: unknown) => void, reject });
      this.socket.write(`${JSON.stringify(args ? { execute: command, arguments: args } : { execute: command })}\n`);
    });
  }

  /** Writes the guest's screen to `file` as PNG (QEMU 7.1+). The file is written by QEMU itself. */
  async screendump(file: string): Promise<void> {
    await this.execute('screendump', { filename: file, format: 'png' });
  }

  close(): void {
    this.socket.destroy();
  }

  private async handshake(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.greeted = resolve;
      this.socket.once('close', () => reject(new Error('QMP closed before its greeting')));
    });
    await this.execute('qmp_capabilities');
  }

  private receive(chunk: string): void {
    this.buffer += chunk;
    let newline: number;
    while ((newline = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, newline).trim();
      this.buffer = this.buffer.slice(newline + 1);
      if (line) this.dispatch(JSON.parse(line) as Record<string, unknown>);
    }
  }

  private dispatch(message: Record<string, unknown>): void {
    if ('QMP' in message) {
      this.greeted?.();
      return;
    }
    if ('event' in message) return; // asynchronous events are not needed here
    const pending = this.queue.shift();
    if (!pending) return;
    if ('error' in message) {
      const error = message.error as { class: string; desc: string };
      pending.reject(new QmpError(pending.command, error.class, error.desc));
    } else {
      pending.resolve(message.return);
    }
  }

  private fail(err: Error): void {
    this.closedError ??= err;
    for (const pending of this.queue.splice(0)) pending.reject(err);
  }
}

function openSocket(socketPath: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection(socketPath);
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}
