/**
 * Keys benchmark: a generated Fil-C-sized checkout (150 000 files, about 2 GB: the fixture's pizlix scripts
 * and top-level build scripts, a big llvm/ and clang/, and 150 projects under projects/), committed to git.
 * Measures deriving the chain and its inputs from the scripts (what `plan` adds), the keys (git ids), the
 * two together, and one modified file — each against hashing every file's contents (the baseline) and against
 * the floor, `git ls-files -s` and `git status` of the whole checkout run at once. Warm rows are medians of 5.
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { createHash } from 'node:crypto';
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadChain } from '../src/chain/chain.js';
import { computeKeys } from '../src/chain/keys.js';
import { formatBytes } from '../src/util/format.js';
import { log } from '../src/util/log.js';
import { benchDir, medianRun, printTable, ratio, timed } from './util.js';

const FILES = Number(process.env.BENCH_KEY_FILES ?? 150_000);
const TOTAL_BYTES = Number(process.env.BENCH_KEY_BYTES ?? 2 * 1024 ** 3);
const PROJECTS = 150;
const FIXTURE = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', 'tests', 'fixtures', 'filc');

/**
 * The fixture's checkout, grown: 70 % of the files in llvm/, 10 % in clang/, 20 % in 150 projects that the
 * postlc packaging script packages (so the stages read them all, as Pizlix's do).
 */
export async function generateCheckout(root: string): Promise<void> {
  await cp(FIXTURE, root, { recursive: true, dereference: true });
  const perFile = Math.floor(TOTAL_BYTES / FILES);
  const block = Buffer.alloc(perFile);
  for (let i = 0; i < block.length; i++) block[i] = (i * 2654435761) & 0xff;
  const trees = [
    { dir: 'llvm/lib', count: Math.floor(FILES * 0.7) },
    { dir: 'clang/lib', count: Math.floor(FILES * 0.1) },
  ];
  let n = 0;
  const writeMany = async (dir: string, count: number, ext: string) => {
    for (let i = 0; i < count; i++, n++) {
      const sub = path.join(root, dir, `d${Math.floor(i / 500)}`);
      if (i % 500 === 0) await mkdir(sub, { recursive: true });
      block.writeUInt32LE(n, 0); // every file distinct
      await writeFile(path.join(sub, `f${i}.${ext}`), block);
    }
  };
  for (const t of trees) await writeMany(t.dir, t.count, 'cpp');
  const perProject = Math.floor((FILES - n) / PROJECTS);
  const packaging: string[] = [];
  for (let p = 0; p < PROJECTS; p++) {
    await writeMany(`projects/bench-${p}-1.0`, perProject, 'c');
    packaging.push(`./package-source.sh projects/bench-${p}-1.0 pizlonated-bench-${p}`);
  }
  await writeFile(
    path.join(root, 'pizlix/build_postlc_sub1_filc.sh'),
    `${await readFile(path.join(root, 'pizlix/build_postlc_sub1_filc.sh'), 'utf8')}${packaging.join('\n')}\n`,
  );
}

export async function benchKeys(): Promise<void> {
  const root = await benchDir('keys');
  const checkout = path.join(root, 'filc');
  log.info(`generating ${FILES} files, ${formatBytes(TOTAL_BYTES)} …`);
  await generateCheckout(checkout);
  // Files older than the index, as in any real checkout (fresh ones are "racily clean" and git rehashes them).
  execFileSync('find', [checkout, '-exec', 'touch', '-h', '-d', '2 hours ago', '{}', '+']);
  log.info('committing them to git …');
  // gc.auto=0: no detached "git gc --auto" still writing into .git when the tree is removed.
  const git = (...args: string[]) =>
    execFileSync(
      'git',
      [
        '-c',
        'user.email=b@b',
        '-c',
        'user.name=b',
        '-c',
        'core.looseCompression=0',
        '-c',
        'gc.auto=0',
        '-c',
        'maintenance.auto=false',
        '-C',
        checkout,
        ...args,
      ],
      { stdio: 'ignore', maxBuffer: 1 << 30 },
    );
  git('init', '-q');
  git('add', '-A');
  git('commit', '-qm', 'tree');
  git('status'); // refresh the index stat cache once, as any checkout has it
  for (const pin of ['yolo-util-linux', 'openssl', 'libidn2', 'icu'])
    execFileSync(path.join(checkout, 'filc/projeny'), ['setup', `projects/${pin}.projeny`], { cwd: checkout });
  const pizlixDir = path.join(checkout, 'pizlix');

  const derive1 = await timed(async () => loadChain({ pizlixDir }));
  const derive2 = await medianRun(5, async () => loadChain({ pizlixDir }));
  const chain = derive2.value;
  const keys1 = await timed(() => computeKeys(chain, { pizlixDir }));
  const keys2 = await medianRun(5, () => computeKeys(chain, { pizlixDir }));
  const both = await medianRun(5, async () => computeKeys(loadChain({ pizlixDir }), { pizlixDir }));
  // The floor the issue names: git's own pass over its index and the work tree, for the whole checkout.
  const gitRun = promisify(execFile);
  const floor = await medianRun(5, () =>
    Promise.all([
      gitRun('git', ['-C', checkout, 'ls-files', '-s', '-z'], { maxBuffer: 1 << 30 }),
      gitRun('git', ['-C', checkout, '--no-optional-locks', 'status', '--porcelain=v1', '-z', '--untracked-files=all'], { maxBuffer: 1 << 30 }),
    ]),
  );
  const hashed = keys2.value.reduce((sum, k) => sum + Object.keys(k.inputs).length, 0);
  // Baseline: read and hash every file's contents.
  const baseline = await timed(async () => {
    const list = execFileSync('git', ['-C', checkout, 'ls-files', '-z'], { maxBuffer: 1 << 30 })
      .toString()
      .split('\0')
      .filter(Boolean);
    for (const rel of list)
      createHash('sha1')
        .update(await readFile(path.join(checkout, rel)))
        .digest('hex');
  });
  // One file changed (the common case on a pull request).
  await writeFile(path.join(checkout, 'llvm/lib/d0/f0.cpp'), 'changed');
  const dirty = await medianRun(5, async () => computeKeys(loadChain({ pizlixDir }), { pizlixDir }));
  const vsFloor = (run: { seconds: number }) => `${(run.seconds / floor.seconds).toFixed(2)}×`;
  printTable(`Stage keys, ${FILES} files (${chain.stages.length} stages, ${hashed} input files), warm page cache`, [
    ['work', 'seconds', 'vs hashing every file', 'time vs the floor'],
    ['hash every file (baseline)', baseline.seconds.toFixed(2), '1.00×', ''],
    ['git ls-files -s + git status, whole checkout, at once (floor)', floor.seconds.toFixed(2), ratio(baseline.seconds, floor.seconds), '1.00×'],
    ['derive chain and inputs from the scripts, 1st in process', derive1.seconds.toFixed(3), ratio(baseline.seconds, derive1.seconds), vsFloor(derive1)],
    ['derive chain and inputs, warm', derive2.seconds.toFixed(3), ratio(baseline.seconds, derive2.seconds), vsFloor(derive2)],
    ['keys (git ids), 1st run', keys1.seconds.toFixed(2), ratio(baseline.seconds, keys1.seconds), vsFloor(keys1)],
    ['keys (git ids), warm', keys2.seconds.toFixed(2), ratio(baseline.seconds, keys2.seconds), vsFloor(keys2)],
    ['derive + keys (what plan does), warm', both.seconds.toFixed(2), ratio(baseline.seconds, both.seconds), vsFloor(both)],
    ['derive + keys, one file modified', dirty.seconds.toFixed(2), ratio(baseline.seconds, dirty.seconds), vsFloor(dirty)],
  ]);
  execFileSync('rm', ['-rf', root]);
}
