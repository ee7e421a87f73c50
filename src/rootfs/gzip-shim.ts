/**
 * A `gzip` placed first on the stage script's PATH. Pizlix ends every stage with `tar -czpf`, which
 * pipes the whole root filesystem through single-threaded gzip. The shim changes nothing in Pizlix's
 * scripts and keeps their output a valid gzip tarball, but:
 *   - compression and decompression run through pigz, on every core;
 *   - when tar is writing the stage's snapshot (the shim's stdout is that very file), the same
 *     uncompressed stream is also written as a multi-threaded zstd copy — the format the store keeps,
 *     because it restores several times faster than gzip — without reading the tree a second time.
 * Any other use of gzip (with file arguments or options other than -d) goes to the real gzip.
 */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { which } from '../util/exec.js';

export interface GzipShim {
  /** Directory to put first on PATH. */
  binDir: string;
  /** Environment the script needs so the shim recognises the snapshot. */
  env: Record<string, string>;
}

/**
 * Writes the shim into dir/bin.
 * @param snapshotPath absolute path of the tarball the stage script writes
 * @param zstdCopy where the zstd copy of the snapshot goes
 */
export async function installGzipShim(dir: string, snapshotPath: string, zstdCopy: string): Promise<GzipShim> {
  const binDir = path.join(dir, 'bin');
  await mkdir(binDir, { recursive: true });
  const realGzip = (await which('gzip')) ?? '/bin/gzip';
  const pigz = await which('pigz');
  const threads = String(os.availableParallelism());
  const script = `#!/bin/bash
# gzip shim installed by pizlix-stage; see src/rootfs/gzip-shim.ts.
real_gzip=${JSON.stringify(realGzip)}
pigz=${JSON.stringify(pigz ?? '')}
if [ -z "$pigz" ]; then exec "$real_gzip" "$@"; fi
if [ $# -eq 0 ] && [ -n "$PIZLIX_STAGE_SNAPSHOT" ] && [ -n "$PIZLIX_STAGE_ZSTD_COPY" ] \\
   && [ "$(readlink -f /proc/$$/fd/1)" = "$PIZLIX_STAGE_SNAPSHOT" ]; then
  fifo="$PIZLIX_STAGE_ZSTD_COPY.fifo.$$"
  rm -f "$fifo" "$PIZLIX_STAGE_ZSTD_COPY" && mkfifo "$fifo" || exit 1
  zstd -q -T${threads} -3 -f -o "$PIZLIX_STAGE_ZSTD_COPY" < "$fifo" &
  zstd_pid=$!
  tee "$fifo" | "$pigz" -p ${threads}
  statuses=("\${PIPESTATUS[@]}")
  wait "$zstd_pid"
  zstd_status=$?
  rm -f "$fifo"
  if [ "\${statuses[0]}" != 0 ] || [ "\${statuses[1]}" != 0 ] || [ "$zstd_status" != 0 ]; then
    rm -f "$PIZLIX_STAGE_ZSTD_COPY"
    echo "gzip shim: compression failed (tee \${statuses[0]}, pigz \${statuses[1]}, zstd $zstd_status)" >&2
    exit 1
  fi
  exit 0
fi
if [ $# -eq 0 ] || { [ $# -eq 1 ] && [ "$1" = "-d" ]; }; then exec "$pigz" -p ${threads} "$@"; fi
exec "$real_gzip" "$@"
`;
  const shim = path.join(binDir, 'gzip');
  await writeFile(shim, script);
  await chmod(shim, 0o755);
  return { binDir, env: { PIZLIX_STAGE_SNAPSHOT: snapshotPath, PIZLIX_STAGE_ZSTD_COPY: zstdCopy } };
}
