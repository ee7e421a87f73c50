/**
 * Root-filesystem snapshots: tar archives, zstd- or gzip-compressed.
 *
 * Extraction is GNU tar's (it restores owners, modes, setuid bits, device nodes and hard links as root
 * better than any JavaScript library), always with --numeric-owner: Pizlix's tarballs carry owner
 * names, and mapping names to this machine's ids would give LFS files the wrong owners. Before tar
 * runs, a validation pass reads every member header with tar-stream and rejects the archive if any
 * member could write outside the target: absolute names, '..' components, hard links that point
 * outside, and members reached through a symlink of the archive.
 */
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import * as tarStream from 'tar-stream';
import { CommandError, UnsafeArchiveError } from '../util/errors.js';
import { tail, which } from '../util/exec.js';
import { ByteProgress } from '../util/progress.js';

export type Compression = 'zstd' | 'gzip' | 'none';

/** Tells the compression from the file's first bytes, not its name. */
export async function detectCompression(file: string): Promise<Compression> {
  const handle = await open(file, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(4), 0, 4, 0);
    if (bytesRead >= 2 && buffer[0] === 0x1f && buffer[1] === 0x8b) return 'gzip';
    if (bytesRead === 4 && buffer.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
    return 'none';
  } finally {
    await handle.close();
  }
}

/** The command that decompresses to stdout: pigz when present (parallel reading and checksumming). */
async function decompressor(compression: Compression): Promise<string[] | undefined> {
  if (compression === 'zstd') return ['zstd', '-dcq', '-T0'];
  if (compression === 'gzip') return (await which('pigz')) ? ['pigz', '-dc'] : ['gzip', '-dc'];
  return undefined;
}

/**
 * Writes `source` into a child process's stdin. The child may stop reading before the end and close
 * its stdin — tar does at the end-of-archive marker, a decompressor killed by SIGPIPE does — which
 * shows up here as EPIPE or as a premature close, depending on which event Node sees first. Neither
 * is an error of its own: the child's exit status, checked by the caller, says whether it succeeded.
 */
function feedChild(source: NodeJS.ReadableStream, stdin: NodeJS.WritableStream): Promise<void> {
  return pipeline(source, stdin).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE' && err.code !== 'ERR_STREAM_PREMATURE_CLOSE') throw err;
  });
}

/** Spawns the decompressor reading `file` and returns its stdout (or the file itself when plain tar). */
async function openDecompressed(file: string, progress?: ByteProgress): Promise<{ stream: NodeJS.ReadableStream; done: Promise<void> }> {
  const command = await decompressor(await detectCompression(file));
  const source = createReadStream(file, { highWaterMark: 4 << 20 });
  const counted = progress ? source.pipe(progress.stream()) : source;
  if (!command) return { stream: counted, done: Promise.resolve() };
  const child = spawn(command[0], command.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const fed = feedChild(counted, child.stdin);
  const exited = new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => (code === 0 || signal === 'SIGPIPE' ? resolve() : reject(new CommandError(command.join(' '), code, signal, tail(stderr, 10)))));
  });
  return { stream: child.stdout, done: Promise.all([fed, exited]).then(() => undefined) };
}

export interface ArchiveSummary {
  members: number;
  /** Sum of the members' sizes (regular files). */
  bytes: number;
}

/** Normalizes a member name and rejects names that leave the target. */
function safeMemberPath(name: string, member: string): string {
  if (name.startsWith('/')) throw new UnsafeArchiveError(member, 'absolute path');
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new UnsafeArchiveError(member, "path contains '..'");
  return parts.join('/');
}

/** Reads every member header; throws UnsafeArchiveError at the first member that could escape the target. */
export async function validateArchive(file: string): Promise<ArchiveSummary> {
  const { stream, done } = await openDecompressed(file);
  const symlinks = new Set<string>();
  const summary: ArchiveSummary = { members: 0, bytes: 0 };
  const checkMember = (header: tarStream.Header) => {
    const member = safeMemberPath(header.name, header.name);
    for (let i = member.indexOf('/'); i !== -1; i = member.indexOf('/', i + 1)) {
      const ancestor = member.slice(0, i);
      if (symlinks.has(ancestor)) throw new UnsafeArchiveError(header.name, `its path goes through the symlink '${ancestor}' of the archive`);
    }
    if (header.type === 'symlink') symlinks.add(member);
    else symlinks.delete(member);
    if (header.type === 'link') safeMemberPath(header.linkname ?? '', header.name);
    summary.members++;
    summary.bytes += header.size ?? 0;
  };
  const source = stream as NodeJS.ReadableStream & { destroy(error?: Error): void };
  await new Promise<void>((resolve, reject) => {
    const extract = tarStream.extract();
    let failed = false;
    const fail = (err: Error) => {
      if (failed) return;
      failed = true;
      source.unpipe(extract);
      source.destroy();
      extract.destroy();
      reject(err);
    };
    extract.on('entry', (header, body, next) => {
      try {
        checkMember(header);
      } catch (err) {
        fail(err as Error);
        return;
      }
      body.on('end', () => next());
      body.resume();
    });
    extract.on('finish', () => resolve());
    extract.on('error', fail);
    source.on('error', fail);
    source.pipe(extract);
  }).catch(async (err) => {
    await done.catch(() => undefined); // the decompressor dies of SIGPIPE or EPIPE; its error is not the news
    throw err;
  });
  await done;
  return summary;
}

/**
 * Validates the archive, then extracts it into dest with numeric owners, modes, setuid bits, device
 * nodes and hard links kept. dest must exist; the caller empties it first.
 */
export async function extractSnapshot(
  file: string,
  dest: string,
  options: { label?: string; validated?: ArchiveSummary } = {},
): Promise<ArchiveSummary> {
  const summary = options.validated ?? (await validateArchive(file));
  const label = options.label ?? path.basename(file);
  const progress = new ByteProgress(`extracting ${label}`, (await stat(file)).size);
  const command = await decompressor(await detectCompression(file));
  // The decompressor writes straight into tar through an OS pipe: sending the uncompressed stream
  // through Node as well made extraction two to three times slower. Node feeds only the compressed
  // bytes, which it counts for the progress line. tar may stop reading at the end-of-archive marker,
  // so a decompressor ended by SIGPIPE (141) is not a failure; any other status is.
  const untar = 'tar -x -p --numeric-owner --same-owner -f - -C "$0"';
  const script = command
    ? `${command.join(' ')} | ${untar}; s=("\${PIPESTATUS[@]}")
       [ "\${s[1]}" -eq 0 ] || exit "\${s[1]}"
       [ "\${s[0]}" -eq 0 ] || [ "\${s[0]}" -eq 141 ] || { echo "${command[0]} exited with status \${s[0]}" >&2; exit 1; }`
    : `exec ${untar}`;
  const tar = spawn('bash', ['-c', script, dest], { stdio: ['pipe', 'inherit', 'pipe'] });
  let stderr = '';
  tar.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const tarDone = new Promise<void>((resolve, reject) => {
    tar.on('error', reject);
    tar.on('close', (code, signal) => (code === 0 ? resolve() : reject(new CommandError(`tar -x into ${dest}`, code, signal, tail(stderr, 10)))));
  });
  await Promise.all([feedChild(createReadStream(file, { highWaterMark: 4 << 20 }).pipe(progress.stream()), tar.stdin), tarDone]);
  progress.finish();
  return summary;
}
