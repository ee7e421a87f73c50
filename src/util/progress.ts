/** Progress of long byte streams (tar, transfers): bytes, share of the total, and rate, at most every few seconds. */
import { Transform, type TransformCallback } from 'node:stream';
import { formatBytes, formatDuration, formatRate } from './format.js';
import { log } from './log.js';

export class ByteProgress {
  private bytes = 0;
  private readonly started = Date.now();
  private lastReport = Date.now();

  constructor(
    private readonly label: string,
    private readonly total?: number,
    private readonly intervalMs = Number(process.env.PIZLIX_STAGE_PROGRESS_MS ?? 5000),
  ) {}

  add(n: number): void {
    this.bytes += n;
    const now = Date.now();
    if (now - this.lastReport >= this.intervalMs) {
      this.lastReport = now;
      log.info(this.line());
    }
  }

  get transferred(): number {
    return this.bytes;
  }

  get seconds(): number {
    return (Date.now() - this.started) / 1000;
  }

  /** Logs the closing line and returns the totals. */
  finish(): { bytes: number; seconds: number } {
    log.info(`${this.line()} — done in ${formatDuration(this.seconds)}`);
    return { bytes: this.bytes, seconds: this.seconds };
  }

  private line(): string {
    const share = this.total ? ` of ${formatBytes(this.total)} (${((100 * this.bytes) / this.total).toFixed(0)}%)` : '';
    return `${this.label}: ${formatBytes(this.bytes)}${share}, ${formatRate(this.bytes, this.seconds)}`;
  }

  /** A pass-through stream that counts what flows through it. */
  stream(): Transform {
    return new Transform({
      transform: (chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) => {
        this.add(chunk.length);
        cb(null, chunk);
      },
    });
  }
}
