/**
 * Compiler-cache benchmark, on the ccache fixture (a stage whose host-side step builds a generated CMake +
 * Ninja project of 200 units and main.cpp as the checkout's owner, like lc's LLVM), each job a fresh
 * checkout with no build/ and the cache carried by a local store:
 *   - uncached: compiler-cache none (what every lc rebuild costs today);
 *   - cold: compiler-cache ccache with nothing in the store (compiles everything and fills the cache);
 *   - warm: the next job after a one-file edit, the cache restored from the store (goal: at most 15 % of
 *     the cold time);
 * and what restoring and saving the cache cost, side by side as ratios of the cold build. Twice: on the test
 * fixture's units of a few lines (where ccache's fixed cost per compile and the job's fixed costs weigh most)
 * and on heavier units that take a compiler a while, as LLVM's do.
 *
 *   npm run bench -- compiler-cache
 *   PIZLIX_BENCH_CCACHE_UNITS=400 npm run bench -- compiler-cache
 *   PIZLIX_BENCH_CCACHE_PROJECTS=light npm run bench -- compiler-cache
 */
import path from 'node:path';
import { runStage, type StageResult } from '../src/build/run-stage.js';
import type { CompilerCacheKind } from '../src/build/compiler-cache.js';
import { LocalStore } from '../src/store/local.js';
import { run } from '../src/util/exec.js';
import { formatBytes, parseSize } from '../src/util/format.js';
import { projectModel, withUnitFactor, writeProject, type ProjectModel } from '../tests/harness/cmake-project.js';
import { copyFixture, ensureLfsUser } from '../tests/harness/workdir.js';
import { benchDir, printTable } from './util.js';

const WARM_GOAL = 0.15;

interface Job {
  label: string;
  result: StageResult;
}

const PROJECTS = {
  light: 'the test fixture: units of a few lines',
  heavy: "units including <map>, <sstream>, <string>, <vector> (still lighter than LLVM's)",
};
type ProjectName = keyof typeof PROJECTS;

export async function benchCompilerCache(): Promise<void> {
  const units = Number(process.env.PIZLIX_BENCH_CCACHE_UNITS ?? 200);
  if (!Number.isInteger(units) || units < 1)
    throw new Error(`PIZLIX_BENCH_CCACHE_UNITS: '${process.env.PIZLIX_BENCH_CCACHE_UNITS}' is not a whole number of units such as 200`);
  const names = (process.env.PIZLIX_BENCH_CCACHE_PROJECTS ?? 'light,heavy').split(',');
  const unknown = names.filter((n) => !(n in PROJECTS));
  if (unknown.length > 0) throw new Error(`PIZLIX_BENCH_CCACHE_PROJECTS: unknown ${unknown.join(', ')}; known: ${Object.keys(PROJECTS).join(', ')}`);
  await ensureLfsUser();
  const summaries: string[] = [];
  for (const name of names as ProjectName[]) summaries.push(await benchProject(name, units));
  console.log(summaries.join('\n\n'));
}

async function benchProject(name: ProjectName, units: number): Promise<string> {
  const root = await benchDir('compiler-cache');
  const store = new LocalStore(path.join(root, 'store'), { trust: 'trusted', ref: 'local' });
  let jobs = 0;
  // The stage key follows the checkout: each job builds a model no earlier job built, so none is a snapshot hit.
  const job = async (label: string, model: ProjectModel, kind: CompilerCacheKind): Promise<Job> => {
    const jobDir = path.join(root, `job-${++jobs}`);
    const checkout = await copyFixture('ccache', path.join(jobDir, 'fil-c'));
    await writeProject(checkout, model);
    await run('chown', ['-R', 'lfs:lfs', checkout]);
    const result = await runStage({
      stage: 'cc',
      pizlixDir: path.join(checkout, 'pizlix'),
      manifestFile: path.join(checkout, 'stages.yml'),
      lfs: path.join(root, 'lfs'),
      store,
      workDir: path.join(jobDir, 'work'),
      compilerCache: { kind, maxBytes: parseSize('5G')! },
    });
    if (!result.built) throw new Error(`${label}: the stage was not built (a snapshot hit?)`);
    return { label, result };
  };

  const base = { ...projectModel(units), heavyUnits: name === 'heavy' };
  let uncached: Job, cold: Job, warm: Job;
  try {
    uncached = await job('uncached (compiler-cache: none)', withUnitFactor(base, 0, 8), 'none');
    cold = await job('cold (ccache, empty store)', base, 'ccache');
    warm = await job('warm (one-file edit, restored)', withUnitFactor(base, 7, 5), 'ccache');
  } finally {
    await run('rm', ['-rf', '--one-file-system', root]);
  }

  const coldSeconds = cold.result.seconds;
  const rows = [['job', 'stage', 'script', '× cold', 'restore', 'save', 'hits / misses', 'cache']];
  for (const { label, result } of [uncached, cold, warm]) {
    const cache = result.compilerCache;
    rows.push([
      label,
      `${result.seconds.toFixed(1)} s`,
      `${(result.buildSeconds ?? 0).toFixed(1)} s`,
      `${((100 * result.seconds) / coldSeconds).toFixed(1)} %`,
      cache ? `${cache.restoreSeconds.toFixed(2)} s` : '—',
      cache?.saveSeconds !== undefined ? `${cache.saveSeconds.toFixed(2)} s${cache.saved ? '' : ' (nothing new)'}` : '—',
      cache?.stats ? `${cache.stats.hits} / ${cache.stats.misses}` : '—',
      cache?.stats ? formatBytes(cache.stats.sizeBytes) : '—',
    ]);
  }
  printTable(`Compiler cache, ${name} project (${PROJECTS[name]}; ${units} units + main.cpp), each job a fresh checkout`, rows);

  const warmReport = warm.result.compilerCache!;
  const coldReport = cold.result.compilerCache!;
  const moved = warmReport.restoreSeconds + (coldReport.saveSeconds ?? 0);
  const warmShare = warm.result.seconds / coldSeconds;
  return [
    `${name} project (${PROJECTS[name]}):`,
    `  warm rebuild / cold build:      ${(100 * warmShare).toFixed(1)} % (goal ≤ ${100 * WARM_GOAL} %: ${warmShare <= WARM_GOAL ? 'met' : 'NOT met'}); script only ${((100 * (warm.result.buildSeconds ?? 0)) / (cold.result.buildSeconds ?? 1)).toFixed(1)} %`,
    `  warm rebuild / uncached build:  ${((100 * warm.result.seconds) / uncached.result.seconds).toFixed(1)} %`,
    `  cold with ccache / uncached:    ${((100 * coldSeconds) / uncached.result.seconds).toFixed(1)} % (the cost of filling the cache)`,
    `  restore (warm) + save (cold):   ${moved.toFixed(2)} s = ${((100 * moved) / coldSeconds).toFixed(1)} % of the cold build, for ${formatBytes(warmReport.restored?.size ?? 0)} of archive`,
  ].join('\n');
}
