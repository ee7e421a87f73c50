/**
 * One read of disk.img for all its outputs: the sha256 for SHA256SUMS and, when asked, the bytes for
 * disk.img.zst. Holes are never read (see FileSha256); the part before the root partition can be
 * hashed while mke2fs still writes the root.
 */
import { formatBytes } from '../util/format.js';
import { FileSha256 } from '../util/hash.js';
import { ByteProgress } from '../util/progress.js';
import { startZstd, type Compressor } from './compress.js';

export class ImageDigest {
  private progress?: ByteProgress;
  private readonly compressor?: Compressor;
  private sha?: FileSha256;

  constructor(
    private readonly image: string,
    private readonly size: number,
    compressedFile?: string,
  ) {
    this.compressor = compressedFile ? startZstd(compressedFile) : undefined;
    // An early zstd failure must not go unhandled before finish() awaits it.
    this.compressor?.done.catch(() => undefined);
  }

  /** Hashes (and compresses) up to byte `end`, which must be final already. */
  async hashTo(end: number): Promise<void> {
    // The rate shown is the reading's own: the clock starts at the first byte, not at construction.
    this.progress ??= new ByteProgress(`sha256${this.compressor ? ' and zstd' : ''} of disk.img (${formatBytes(this.size)}, holes not read)`, this.size);
    this.sha ??= new FileSha256(this.image, { progress: this.progress, copyTo: this.compressor?.stdin });
    try {
      await this.sha.hashTo(end);
    } catch (err) {
      this.abort();
      throw err;
    }
  }

  /** Reads the rest, waits for the compressor, and returns disk.img's sha256. */
  async finish(): Promise<string> {
    await this.hashTo(this.size);
    if (this.compressor) {
      this.compressor.stdin.end();
      await this.compressor.done;
    }
    this.progress!.finish();
    return this.sha!.hex();
  }

  /** Stops the compressor of a failed build. */
  abort(): void {
    this.compressor?.kill();
  }
}
