/**
 * Output digest benchmark (issue 13): the cost of digesting the tar stream while a snapshot is saved.
 * The save is what a stage's end does — Pizlix's `tar -czpf` through the gzip shim (one zstd compression) —
 * once without the digest and once with the shim's tee feeding the stage job's digest FIFO, as run-stage
 * does; page cache dropped before each run, runs alternated, medians compared. For reference it also times
 * the digest taken afterwards from the saved file (the second pass the tee avoids).
 * Goal: under 10 % more time than the save without it.
 *
 *   flock /var/tmp/pizlix-heavy.lock npm run bench -- digest
 *   PIZLIX_BENCH_REPEATS=5 …                         # more runs per variant (default 3)
 */
import { spawn, spawnSync } from 'node:child_process';
import { rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { openOutputTap } from '../src/build/output-tap.js';
import { digestArchive } from '../src/rootfs/archive.js';
import { installGzipShim } from '../src/rootfs/gzip-shim.js';
import { formatBytes } from '../src/util/format.js';
import { log } from '../src/util/log.js';
import { usrTree } from './trees.js';
import { benchDir, median, printTable, timed } from './util.js';

/** Runs a shell command without blocking this process's event loop (the digest runs in it). */
function shell(cmd: string, env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-o', 'pipefail', '-c', cmd], { env, stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} exited ${code}`))));
  });
}

function dropCaches(): void {
  spawnSync('sh', ['-c', 'sync; echo 3 > /proc/sys/vm/drop_caches']);
}

export async function benchDigest(): Promise<void> {
  const dir = await benchDir('digest');
  const repeats = Number(process.env.PIZLIX_BENCH_REPEATS ?? '3');
  try {
    const tree = await usrTree(path.join(dir, 'root'));
    log.info(`tree: ${tree.name}, ${formatBytes(tree.bytes)}, ${tree.files} files`);
    const snapshot = path.join(dir, 'lfs-bench.tar.gz');
    const zstdCopy = path.join(dir, 'lfs-bench.tar.zst');
    const save = async (withDigest: boolean): Promise<{ seconds: number; digest?: string }> => {
      await rm(snapshot, { force: true });
      await rm(zstdCopy, { force: true });
      const tap = withDigest ? await openOutputTap(dir, []) : undefined;
      const shim = await installGzipShim(path.join(dir, withDigest ? 'shim-digest' : 'shim-plain'), {
        snapshotPath: snapshot,
        zstdCopy,
        pizlixTarball: false,
        alsoWriteTo: tap ? [tap.fifo] : [],
      });
      const env = { ...process.env, ...shim.env, PATH: `${shim.binDir}:${process.env.PATH}` };
      dropCaches();
      const { seconds, value } = await timed(async () => {
        await shell(`cd ${JSON.stringify(tree.root)} && tar -czpf ${JSON.stringify(snapshot)} --exclude='var/coredumps/*' .`, env);
        return tap?.finish();
      });
      if (withDigest && !value) throw new Error('the digest saw no archive');
      return { seconds, digest: value?.digest };
    };
    const plain: number[] = [];
    const digested: number[] = [];
    let digest: string | undefined;
    for (let i = 0; i < repeats; i++) {
      plain.push((await save(false)).seconds);
      const run = await save(true);
      digested.push(run.seconds);
      if (digest && run.digest !== digest) throw new Error('the digest of one tree changed between runs');
      digest = run.digest;
    }
    const size = (await stat(zstdCopy)).size;
    dropCaches();
    const afterwards = await timed(() => digestArchive(zstdCopy));
    if (afterwards.value.digest !== digest) throw new Error('the digest from the saved file differs from the streamed one');
    const base = median(plain);
    const withDigest = median(digested);
    printTable(`Save of ${tree.name} (${formatBytes(tree.bytes)}, ${tree.files} files; snapshot ${formatBytes(size)}), median of ${repeats}, cold cache`, [
      ['Variant', 'Seconds', 'Runs', 'Against the save without digest'],
      ['save, no digest (baseline)', base.toFixed(2), plain.map((s) => s.toFixed(2)).join(' '), '1.00×'],
      [
        'save with streamed digest',
        withDigest.toFixed(2),
        digested.map((s) => s.toFixed(2)).join(' '),
        `${(withDigest / base).toFixed(3)}× (${(((withDigest - base) / base) * 100).toFixed(1)} % more; goal < 10 %)`,
      ],
      [
        'digest of the saved file afterwards (second pass)',
        afterwards.seconds.toFixed(2),
        '1',
        `+${((afterwards.seconds / base) * 100).toFixed(1)} % if done after the save`,
      ],
    ]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
