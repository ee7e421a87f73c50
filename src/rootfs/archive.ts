/**
 * Root-filesystem snapshots: tar archives, zstd- or gzip-compressed.
 *
 * Extraction is GNU tar's (it restores owners, modes, setuid bits, device nodes and hard links as root
 * better than any JavaScript library), always with --numeric-owner: Pizlix's tarballs carry owner
 * names, and mapping names to this machine's ids would give LFS files the wrong owners.
 *
 * One pass: the decompressor's output goes through a header-only scanner here (tar-headers.ts) on
 * its way to tar, and the member guard (member-guard.ts) judges each member while tar writes. tar's own
 * protections keep an extraction into an empty directory inside it; the guard refuses what tar would
 * only repair, and a refusal stops the pipeline and empties the directory. So the directory must be
 * empty and private to the caller, who trusts its contents only when this resolves.
 */
import type { ChildProcess } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { open, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Transform, Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CommandError } from '../util/errors.js';
import { run, spawnChild, tail, which } from '../util/exec.js';
import { ByteProgress } from '../util/progress.js';
import { MemberGuard, type ArchiveSummary } from './member-guard.js';
import { OutputDigester, type OutputDigest } from './output-digest.js';
import { TarHeaderScanner } from './tar-headers.js';

export type { ArchiveSummary } from './member-guard.js';
export type Compression = 'zstd' | 'gzip' | 'none';

/** Tells the compression from the file's first bytes, not its name. */
export async function detectCompression(file: string): Promise<Compression> {
  const handle = await open(file, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(4), 0, 4, 0);
    if (bytesRead >= 2 && buffer[0] === 0x1f && buffer[1] === 0x8b) return 'gzip';
    // A zstd frame, or the skippable frame (0x184D2A50-5F) pzstd writes in front of each frame.
    if (bytesRead === 4 && (buffer.readUInt32LE(0) === 0xfd2fb528 || (buffer.readUInt32LE(0) & 0xfffffff0) === 0x184d2a50)) return 'zstd';
    return 'none';
  } finally {
    await handle.close();
  }
}

/**
 * The command that decompresses stdin to stdout. pzstd decompresses the frames of a multi-frame file
 * (as the gzip shim writes snapshots) on every core; plain zstd uses one thread whatever -T says.
 * pigz reads gzip faster than gzip (it checksums on other threads).
 */
export async function decompressor(compression: Compression): Promise<string[] | undefined> {
  const threads = String(os.availableParallelism());
  if (compression === 'zstd') return (await which('pzstd')) ? ['pzstd', '-dcq', '-p', threads] : ['zstd', '-dcq'];
  if (compression === 'gzip') return (await which('pigz')) ? ['pigz', '-dc'] : ['gzip', '-dc'];
  return undefined;
}

const UNTAR = ['-x', '-p', '--numeric-owner', '--same-owner', '-f', '-'];

/** A child whose failure is reported with its command line and the tail of its stderr. */
function spawnTool(command: string[], stdio: ['ignore' | 'pipe', 'pipe' | 'inherit', 'pipe']): { child: ChildProcess; exited: Promise<void> } {
  const child = spawnChild(command[0], command.slice(1), { stdio });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => (code === 0 ? resolve() : reject(new CommandError(command.join(' '), code, signal, tail(stderr, 10)))));
  });
  return { child, exited };
}

/** The archive's uncompressed bytes: the file itself, or a decompressor's stdout. */
async function openUncompressed(file: string): Promise<{ stream: Readable; done: Promise<void>; stop(): void }> {
  const command = await decompressor(await detectCompression(file));
  if (!command) {
    const stream = createReadStream(file, { highWaterMark: 1 << 20 });
    return { stream, done: Promise.resolve(), stop: () => stream.destroy() };
  }
  const { child, exited } = spawnTool([...command, '--', file], ['ignore', 'pipe', 'pipe']);
  return { stream: child.stdout as Readable, done: exited, stop: () => child.kill('SIGKILL') };
}

/** Writes into a child's stdin that may close early (tar stops at the end-of-archive marker). */
function feedChild(source: Readable, through: Transform, stdin: Writable): Promise<void> {
  return pipeline(source, through, stdin).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE' && err.code !== 'ERR_STREAM_PREMATURE_CLOSE') throw err;
  });
}

/**
 * Passes the uncompressed archive through the header scanner and on to `sink` (tar's stdin), or
 * nowhere. Node is the tee: it reads what the decompressor writes and writes the same buffers to tar,
 * which costs less than coreutils' tee (8 KiB reads and writes) and a third process on two cores.
 */
async function scanThrough(
  file: string,
  options: ReadOptions & { label: string },
  sink?: { stdin: Writable; exited: Promise<void>; kill(): void },
): Promise<ArchiveSummary> {
  const guard = new MemberGuard();
  const scanner = new TarHeaderScanner((member) => {
    guard.check(member);
    options.withinLimits?.(guard.result());
  });
  const label = options.label;
  const progress = new ByteProgress(label);
  const input = await openUncompressed(file);
  let refusal: Error | undefined;
  const scanning = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      try {
        scanner.push(chunk);
      } catch (err) {
        refusal = err as Error;
        input.stop();
        sink?.kill();
        cb(err as Error);
        return;
      }
      progress.add(chunk.length);
      cb(null, sink ? chunk : undefined);
    },
  });
  const flowing = sink ? feedChild(input.stream, scanning, sink.stdin) : pipeline(input.stream, scanning, new Writable({ write: (_c, _e, cb) => cb() }));
  // Once tar has exited — done at the end-of-archive marker, or failed — nobody reads the rest: stop the
  // decompressor rather than leave it blocked on a full pipe. Everything tar saw went through the scanner.
  void sink?.exited.catch(() => undefined).finally(() => input.stop());
  const [flowed, decompressed, extracted] = await Promise.allSettled([flowing, input.done, sink?.exited]);
  if (refusal) throw refusal;
  // A decompressor stopped (or dead of SIGPIPE) after tar had the whole archive has not failed; one that
  // failed earlier is the news, rather than the truncated archive tar then complains about.
  const tarHadItAll = sink !== undefined && extracted.status === 'fulfilled' && scanner.complete;
  if (decompressed.status === 'rejected' && !tarHadItAll) throw decompressed.reason;
  if (extracted.status === 'rejected') throw extracted.reason;
  if (flowed.status === 'rejected') throw flowed.reason;
  scanner.end();
  progress.finish();
  return guard.result();
}

export interface ReadOptions {
  /** Called after each member with the totals so far; what it throws stops the work early. */
  withinLimits?: (soFar: ArchiveSummary) => void;
}

/** Reads every member header without extracting; throws UnsafeArchiveError as a restore would. */
export function scanArchive(file: string, options: ReadOptions & { label?: string } = {}): Promise<ArchiveSummary> {
  return scanThrough(file, { ...options, label: options.label ?? `reading ${path.basename(file)}` });
}

/**
 * Extracts the archive into dest, an empty directory the caller made for it, with numeric owners,
 * modes, setuid bits, device nodes and hard links kept, in one pass with the member guard. On any
 * failure (a refused member included) dest is emptied again before this throws.
 */
export async function extractSnapshot(
  file: string,
  dest: string,
  options: ReadOptions & {
    label?: string;
    /** Runs tar inside a wrapper (a fakeroot session). */ wrap?: (cmd: string, args: string[]) => [string, string[]];
  } = {},
): Promise<ArchiveSummary> {
  if ((await readdir(dest)).length > 0) throw new Error(`internal: extraction target ${dest} is not empty`);
  const [cmd, args] = options.wrap ? options.wrap('tar', [...UNTAR, '-C', dest]) : ['tar', [...UNTAR, '-C', dest]];
  const tar = spawnTool([cmd, ...args], ['pipe', 'inherit', 'pipe']);
  const sink = { stdin: tar.child.stdin!, exited: tar.exited, kill: () => tar.child.kill('SIGKILL') };
  try {
    return await scanThrough(file, { ...options, label: `extracting ${options.label ?? path.basename(file)}` }, sink);
  } catch (err) {
    await emptyDirectory(dest);
    throw err;
  }
}

/** Removes what a failed extraction left in dir (never crossing into another file system). */
export async function emptyDirectory(dir: string): Promise<void> {
  const children = await readdir(dir).catch(() => [] as string[]);
  if (children.length > 0) await run('rm', ['-rf', '--one-file-system', '--', ...children.map((c) => path.join(dir, c))]);
}

/**
 * The output digest of an archive file (see output-digest.ts), for a snapshot that was not written
 * through the gzip shim, where the digest is taken from the stream as it is saved.
 */
export async function digestArchive(file: string, volatile: readonly string[] = []): Promise<OutputDigest> {
  const digester = await OutputDigester.create(volatile);
  const progress = new ByteProgress(`output digest of ${path.basename(file)}`);
  const input = await openUncompressed(file);
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      try {
        digester.push(chunk);
        progress.add(chunk.length);
        cb();
      } catch (err) {
        cb(err as Error);
      }
    },
  });
  await Promise.all([pipeline(input.stream, sink).catch((err) => (input.stop(), Promise.reject(err))), input.done]);
  progress.finish();
  return digester.finish();
}
