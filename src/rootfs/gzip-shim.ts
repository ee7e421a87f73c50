/**
 * A `gzip` placed first on the stage script's PATH. Pizlix ends every stage with `tar -czpf`, which
 * pipes the whole root filesystem through single-threaded gzip. The shim changes nothing in Pizlix's
 * scripts. When tar is writing the stage's snapshot (the shim's stdout is that very file), the
 * uncompressed stream is compressed once per format somebody reads:
 *   - pizlixTarball false (the default in CI): one multi-threaded zstd compression. Its output is the
 *     script's lfs-<stage>.tar.gz and, hard-linked, the store's copy — no second compression, no
 *     second write. The file holds zstd despite its name: `tar -xpf` (and so Pizlix's build_recover.sh
 *     and make_disk_image.sh) detects that from its first bytes and reads it; gunzip and `tar -z` do not.
 *   - pizlixTarball true: a real gzip tarball as Pizlix writes it, compressed with pigz on every core,
 *     and the zstd copy for the store from the same stream.
 * Other readers of the uncompressed stream can be added (`alsoReadBy`, or `alsoWriteTo` for a FIFO the
 * stage job reads the output digest from): they get a copy through the pipe tee (pipe-tee.ts, zero-copy where
 * it can), without reading the tree again.
 * Any other use of gzip (with file arguments or options other than -d) goes to the real gzip.
 */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { which } from '../util/exec.js';
import { pipeTeeProgram } from './pipe-tee.js';

export interface GzipShim {
  /** Directory to put first on PATH. */
  binDir: string;
  /** Environment the script needs so the shim recognises the snapshot. */
  env: Record<string, string>;
}

export interface GzipShimOptions {
  /** Absolute path of the tarball the stage script writes (lfs-<stage>.tar.gz). */
  snapshotPath: string;
  /** Where the store's zstd copy of the snapshot goes. */
  zstdCopy: string;
  /** Write lfs-<stage>.tar.gz as real gzip (true) or let it be the zstd snapshot (false). */
  pizlixTarball: boolean;
  /** Shell commands that also read the uncompressed archive on their stdin. */
  alsoReadBy?: string[];
  /** FIFOs (opened for reading by someone else) that tee also writes the uncompressed archive to. */
  alsoWriteTo?: string[];
}

/** Writes the shim into dir/bin. */
export async function installGzipShim(dir: string, options: GzipShimOptions): Promise<GzipShim> {
  const binDir = path.join(dir, 'bin');
  await mkdir(binDir, { recursive: true });
  const shim = path.join(binDir, 'gzip');
  // The copier lives beside the shim but not on PATH under a name a script might call.
  const tee = path.join(dir, 'pipe-tee.pl');
  await writeFile(tee, pipeTeeProgram());
  await writeFile(shim, shimScript(options, (await which('gzip')) ?? '/bin/gzip', await which('pigz'), tee));
  await chmod(shim, 0o755);
  return { binDir, env: { PIZLIX_STAGE_SNAPSHOT: options.snapshotPath, PIZLIX_STAGE_ZSTD_COPY: options.zstdCopy } };
}

function shimScript(options: GzipShimOptions, realGzip: string, pigz: string | undefined, tee: string): string {
  const threads = os.availableParallelism();
  const zstd = `zstd -q -T${threads} -3`;
  const gzip = pigz ? `${q(pigz)} -p ${threads}` : q(realGzip);
  // What writes the shim's stdout (the snapshot file), and who else reads the uncompressed stream.
  const main = options.pizlixTarball ? gzip : zstd;
  const side = [...(options.pizlixTarball ? [`${zstd} -f -o "$PIZLIX_STAGE_ZSTD_COPY"`] : []), ...(options.alsoReadBy ?? [])];
  const afterwards = options.pizlixTarball
    ? ''
    : 'ln -f "$PIZLIX_STAGE_SNAPSHOT" "$PIZLIX_STAGE_ZSTD_COPY" 2>/dev/null || cp "$PIZLIX_STAGE_SNAPSHOT" "$PIZLIX_STAGE_ZSTD_COPY" || fail "copying the snapshot for the store"';
  return `#!/bin/bash
# gzip shim installed by pizlix-stage; see src/rootfs/gzip-shim.ts.
fail() { rm -f "$PIZLIX_STAGE_ZSTD_COPY"; echo "gzip shim: $1" >&2; exit 1; }
if [ $# -eq 0 ] && [ -n "$PIZLIX_STAGE_SNAPSHOT" ] && [ -n "$PIZLIX_STAGE_ZSTD_COPY" ] \\
   && [ "$(readlink -f /proc/$$/fd/1)" = "$PIZLIX_STAGE_SNAPSHOT" ]; then
  rm -f "$PIZLIX_STAGE_ZSTD_COPY"
${side.length === 0 && !options.alsoWriteTo?.length ? `  ${main} || fail "${main.split(' ')[0]} failed"` : teeToSideReaders(main, side, options.alsoWriteTo ?? [], tee)}
  ${afterwards}
  exit 0
fi
if [ $# -eq 0 ] || { [ $# -eq 1 ] && [ "$1" = "-d" ]; }; then exec ${gzip} "$@"; fi
exec ${q(realGzip)} "$@"
`;
}

/** The pipe tee to one FIFO per side reader and to the given FIFOs, the main compressor on its stdout; every status checked. */
function teeToSideReaders(main: string, side: string[], fifos: string[], tee: string): string {
  const lines = ['  dir=$(mktemp -d) || fail "mktemp failed"', '  pids=()'];
  side.forEach((command, i) => {
    lines.push(`  mkfifo "$dir/${i}" || fail "mkfifo failed"`, `  ${command} < "$dir/${i}" & pids+=($!)`);
  });
  lines.push(
    `  perl ${q(tee)} ${[...side.map((_c, i) => `"$dir/${i}"`), ...fifos.map(q)].join(' ')} | ${main}`,
    '  statuses=("${PIPESTATUS[@]}")',
    '  for pid in "${pids[@]}"; do wait "$pid" || statuses+=(side$?); done',
    '  rm -rf "$dir"',
    '  for s in "${statuses[@]}"; do [ "$s" = 0 ] || fail "compression failed (statuses: ${statuses[*]})"; done',
  );
  return lines.join('\n');
}

function q(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
