/**
 * Content hashes: sha256 of streams and files, and git's blob object id.
 *
 * One stream stage (Sha256Tap) hashes whatever flows through a pipeline — a copy, a download — and one
 * file reader (FileSha256) hashes files in place. The reader knows sparse files: it asks the kernel
 * where the data is (SEEK_DATA/SEEK_HOLE) and hashes holes from a buffer of zeros instead of reading
 * them, so a mostly empty 100 GiB disk image hashes at the speed of sha256, not of reading zeros.
 */
import { createHash, type Hash } from 'node:crypto';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { Transform, Writable, type TransformCallback } from 'node:stream';
import type { ByteProgress } from './progress.js';
import { spawnChild } from './exec.js';

/** A pipeline stage that hashes and counts the bytes flowing through it (and passes them on unless told not to). */
export class Sha256Tap extends Transform {
  private readonly hash = createHash('sha256');
  bytes = 0;

  constructor(private readonly options: { progress?: ByteProgress; passThrough?: boolean } = {}) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    this.options.progress?.add(chunk.length);
    cb(null, this.options.passThrough === false ? undefined : chunk);
  }

  /** The digest, once the stream has ended. */
  hex(): string {
    return this.hash.digest('hex');
  }
}

const CHUNK = 4 << 20;
const ZEROS = Buffer.alloc(CHUNK);

/**
 * Byte ranges [start, end) of `file` that hold data, from SEEK_DATA/SEEK_HOLE. Node has no lseek, so
 * Perl (perl-base is essential on Debian and Ubuntu) asks the kernel. File systems without the seeks
 * report everything as data, which is merely slower. Without Perl the whole range counts as data.
 */
async function dataRanges(file: string, start: number, end: number): Promise<Array<[number, number]>> {
  const script = `open(F, '<', $ARGV[0]) or die "$ARGV[0]: $!\\n"; my ($p, $end) = @ARGV[1, 2];
while ($p < $end) { my $d = sysseek(F, $p, 3); last unless defined $d; $d += 0; last if $d >= $end;
  my $h = sysseek(F, $d, 4) + 0; $h = $end if $h > $end; print "$d $h\\n"; $p = $h; }`;
  const output = await new Promise<string | undefined>((resolve) => {
    const child = spawnChild('perl', ['-e', script, file, String(start), String(end)], { stdio: ['ignore', 'pipe', 'ignore'] });
    let text = '';
    child.stdout!.on('data', (d: Buffer) => (text += d.toString()));
    child.on('error', () => resolve(undefined));
    child.on('close', (code) => resolve(code === 0 ? text : undefined));
  });
  if (output === undefined) return [[start, end]];
  return output
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(' ').map(Number) as [number, number]);
}

/** Writes a buffer and waits until the stream has taken it, so the buffer may be reused. */
function writeAll(out: Writable, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => out.write(data, (err) => (err ? reject(err) : resolve())));
}

/**
 * sha256 of a file read in order, possibly in steps (hash the part that is final while the rest is
 * still being written), optionally copying every byte to a stream on the way (a compressor) so that
 * one read serves every output.
 */
export class FileSha256 {
  private readonly hash: Hash = createHash('sha256');
  private position = 0;
  private readonly buffer = Buffer.allocUnsafe(CHUNK);

  constructor(
    private readonly file: string,
    private readonly options: { progress?: ByteProgress; copyTo?: Writable } = {},
  ) {}

  /** Hashes from where the last call stopped up to byte `end`. */
  async hashTo(end: number): Promise<void> {
    const handle = await open(this.file, 'r');
    try {
      const info = await handle.stat();
      // A file with every block allocated has no holes to skip: no need to ask.
      const ranges = info.blocks * 512 >= info.size ? [[this.position, end] as [number, number]] : await dataRanges(this.file, this.position, end);
      for (const [dataStart, dataEnd] of ranges) {
        await this.zeros(dataStart - this.position);
        await this.data(handle, dataEnd);
      }
      await this.zeros(end - this.position);
    } finally {
      await handle.close();
    }
  }

  hex(): string {
    return this.hash.digest('hex');
  }

  private async data(handle: FileHandle, end: number): Promise<void> {
    while (this.position < end) {
      const { bytesRead } = await handle.read(this.buffer, 0, Math.min(CHUNK, end - this.position), this.position);
      if (bytesRead === 0) throw new Error(`${this.file} ended at byte ${this.position}, before ${end}`);
      await this.take(this.buffer.subarray(0, bytesRead));
    }
  }

  private async zeros(count: number): Promise<void> {
    for (let left = count; left > 0; left -= CHUNK) await this.take(ZEROS.subarray(0, Math.min(CHUNK, left)));
  }

  private async take(bytes: Buffer): Promise<void> {
    this.hash.update(bytes);
    this.position += bytes.length;
    this.options.progress?.add(bytes.length);
    if (this.options.copyTo) await writeAll(this.options.copyTo, bytes);
  }
}

/** sha256 of a file (sparse files at the speed of the hash). */
export async function sha256File(file: string, progress?: ByteProgress): Promise<string> {
  const digest = new FileSha256(file, { progress });
  await digest.hashTo((await stat(file)).size);
  return digest.hex();
}

export function sha256Text(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Git's object id of a blob with these contents (sha1 of "blob <size>\0" + contents), so that a
 *  file hashed by us matches the id git records for the same contents. */
export function gitBlobId(contents: Buffer): string {
  return createHash('sha1').update(`blob ${contents.length}\0`).update(contents).digest('hex');
}
