/**
 * The compiler cache, runner-style: the stage action's bundle builds the ccache fixture's stage — a generated
 * CMake + Ninja project of 201 translation units, built in a fresh checkout as the checkout's owner through
 * `su`, like lc's LLVM — in one new job after another (new job directory, new checkout, no build/), the cache
 * travelling through the store. ccache's own counters, as the action reports them, show what was recompiled;
 * the program's output shows the objects were right.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chooseCompilerCache, type CompilerCacheReport } from '../src/build/compiler-cache.js';
import { cleanup, findCcache, readStats, withoutCcacheVariables, writeCcacheConfig, zeroStats, type Ccache } from '../src/build/ccache.js';
import { InputError } from '../src/util/errors.js';
import { run } from '../src/util/exec.js';
import { mountsBelow } from '../src/rootfs/mounts.js';
import { expectedOutput, projectModel, withGroupValue, withUnitFactor, writeProject, writeToolchain, type ProjectModel } from './harness/cmake-project.js';
import { runAction, type ActionRun } from './harness/runner.js';
import { startS3Server, type S3Server } from './harness/s3-server.js';
import { copyFixture, ensureLfsUser, makeTestDir, type TestDir } from './harness/workdir.js';

const UNITS = 200;
/** Every translation unit of the project: the units and main.cpp. */
const PROJECT = UNITS + 1;
/** CMake's compiler check at configure time compiles one file through the cache too (the same in every job). */
const ALL = PROJECT + 1;
const PULL_REQUEST = { GITHUB_REF: 'refs/pull/1/merge', GITHUB_EVENT_NAME: 'pull_request' };

interface CacheJob {
  run: ActionRun;
  report: CompilerCacheReport;
}

/** Jobs of one store: each a new job directory with a fresh checkout of `model`, owned by the lfs user. */
class FixtureJobs {
  private job = 0;
  /** What the runner's own c++ (first on its PATH) adds to the program's output. */
  toolchainBonus = 1;

  constructor(
    private readonly dir: string,
    private readonly lfs: string,
    private readonly store: { inputs: Record<string, string>; env: Record<string, string> },
  ) {}

  /** The runner's compiler: a c++ first on the job's PATH, behind the cache's compiler links. */
  private get toolchain(): string {
    return path.join(this.dir, 'toolchain');
  }

  async changeCompiler(bonus: number): Promise<void> {
    this.toolchainBonus = bonus;
    await writeToolchain(this.toolchain, bonus);
  }

  async run(model: ProjectModel, env: Record<string, string> = {}): Promise<ActionRun> {
    const jobDir = path.join(this.dir, `job-${++this.job}`);
    await writeToolchain(this.toolchain, this.toolchainBonus);
    const checkout = await copyFixture('ccache', path.join(jobDir, 'workspace', 'fil-c'));
    await writeProject(checkout, model);
    await run('chown', ['-R', 'lfs:lfs', checkout]);
    const result = await runAction({
      action: '.',
      inputs: { stage: 'cc', 'pizlix-dir': path.join(checkout, 'pizlix'), manifest: path.join(checkout, 'stages.yml'), lfs: this.lfs, ...this.store.inputs },
      env: { PATH: `${this.toolchain}:${process.env.PATH}`, ...this.store.env, ...env },
      jobDir,
    });
    assert.equal(result.post?.exitCode, 0, `post step failed:\n${result.post?.stdout}${result.post?.stderr}`);
    assert.deepEqual(await mountsBelow(this.lfs), [], 'nothing stays mounted below $LFS');
    return result;
  }

  /** A job that must build the stage; returns the compiler cache's report, after checking the program's output. */
  async build(model: ProjectModel, env: Record<string, string> = {}): Promise<CacheJob> {
    const result = await this.run(model, env);
    assert.equal(result.main.exitCode, 0, `main step failed:\n${result.main.stdout.slice(-4000)}\n${result.main.stderr.slice(-2000)}`);
    assert.equal(result.outputs.built, 'true');
    assert.equal(
      await readFile(path.join(this.lfs, 'usr/share/app-output'), 'utf8'),
      expectedOutput(model, this.toolchainBonus),
      'the program shows every edit',
    );
    assert.ok(result.outputs['compiler-cache'], 'the action reports the compiler cache');
    return { run: result, report: JSON.parse(result.outputs['compiler-cache']) as CompilerCacheReport };
  }
}

function assertCompiled(report: CompilerCacheReport, expected: { misses: number; hits: number }): void {
  assert.ok(report.stats, `ccache statistics: ${JSON.stringify(report)}`);
  assert.deepEqual({ misses: report.stats.misses, hits: report.stats.hits }, expected, `ccache counted ${JSON.stringify(report.stats)}`);
}

let dir: TestDir;
let lfs: string;

before(async () => {
  await ensureLfsUser();
  dir = await makeTestDir('compiler-cache');
  lfs = path.join(dir.path, 'lfs');
  await run('mkdir', ['-p', lfs]);
});

after(async () => {
  await dir?.remove();
});

describe('ccache as the stage configures it', () => {
  test('compiler-cache: ccache without a usable ccache is an error naming the input; auto builds uncached', async () => {
    const saved = process.env.PATH;
    process.env.PATH = path.join(dir.path, 'no-tools');
    try {
      await assert.rejects(chooseCompilerCache({ kind: 'ccache', maxBytes: 1 << 30 }), (err: unknown) => {
        assert.ok(err instanceof InputError);
        assert.match(err.message, /input 'compiler-cache': is 'ccache' but ccache is not installed .*expected ccache 4 or later installed/);
        return true;
      });
      assert.equal(await chooseCompilerCache({ kind: 'auto', maxBytes: 1 << 30 }), undefined);
    } finally {
      process.env.PATH = saved;
    }
  });

  test('beyond compiler-cache-size the least recently used objects are evicted, the recent ones kept', async () => {
    const ccache = (await findCcache()).found!;
    const work = path.join(dir.path, 'eviction');
    const cacheDir = path.join(work, 'ccache');
    const sources = path.join(work, 'src');
    await mkdir(sources, { recursive: true });
    // Objects of about 4 KiB each that do not compress away: 64 old ones, then 64 used later.
    for (const set of ['old', 'new']) {
      for (let n = 0; n < 64; n++) {
        await writeFile(
          path.join(sources, `${set}_${n}.c`),
          `int ${set}_${n}(void) { return ${n}; }\nconst char ${set}_pad_${n}[] = "${randomBytes(3000).toString('base64')}";\n`,
        );
      }
    }
    const compile = async (set: string) => {
      await zeroStats(ccache, cacheDir);
      await compileThrough(ccache, cacheDir, sources, set);
      const stats = await readStats(ccache, cacheDir);
      return { hits: stats.hits, misses: stats.misses, sizeBytes: stats.sizeBytes };
    };
    await writeCcacheConfig(cacheDir, { maxBytes: 64 * 1024 ** 2, baseDir: work });
    await compile('old');
    // ccache's age of an object is its file's time (a hit refreshes it): make the first set a day old.
    await run('find', [cacheDir, '-type', 'f', '!', '-name', 'ccache.conf', '-exec', 'touch', '-d', '1 day ago', '{}', '+']);
    const filled = await compile('new');
    // A bound of 1.5 times what the newer set takes: the cleanup before a save must evict a quarter of the
    // cache, the old set first.
    const maxBytes = Math.floor((filled.sizeBytes * 0.75) / 1024) * 1024;
    await writeCcacheConfig(cacheDir, { maxBytes, baseDir: work });
    await cleanup(ccache, cacheDir);
    const trimmed = await readStats(ccache, cacheDir);
    assert.ok(trimmed.sizeBytes <= maxBytes, `${trimmed.sizeBytes} bytes left, bound ${maxBytes}`);
    assert.ok(trimmed.sizeBytes < filled.sizeBytes * 0.8, `${trimmed.sizeBytes} of ${filled.sizeBytes} bytes left: the cleanup evicted`);
    // ccache evicts per subdirectory (one in 16 by hash), so "oldest first" holds per subdirectory: nearly all
    // of the recent set survives, far less of the old one.
    const recent = await compile('new');
    const old = await compile('old');
    const counted = `recent set ${JSON.stringify(recent)}, old set ${JSON.stringify(old)}`;
    assert.ok(recent.hits >= 48, `most of the recently used set kept: ${counted}`);
    assert.ok(old.hits <= recent.hits - 20, `the old set evicted first: ${counted}`);
  });
});

describe('compiler cache over the local store', () => {
  let jobs: FixtureJobs;
  let store: string;
  const base = projectModel(UNITS);
  const oneUnit = withUnitFactor(base, 7, 5);
  const oneHeader = withGroupValue(oneUnit, 3, 42);
  const otherFlag = { ...oneHeader, opt: '-O2' };
  // A stage key changes with the checkout only: the compiler change comes with an edit, as a change of
  // Fil-C's compiler sources rebuilds the clang (same path, new contents) that then compiles the runtimes.
  const otherCompiler = withUnitFactor(otherFlag, 50, 4);
  const pullRequest = withUnitFactor(otherCompiler, 100, 11);
  let trustedSave: string;

  before(() => {
    store = path.join(dir.path, 'local-store');
    jobs = new FixtureJobs(path.join(dir.path, 'local'), lfs, { inputs: { store: 'local', 'store-path': store }, env: {} });
  });

  test('the first build compiles everything as the checkout owner through the cache and saves it', async () => {
    const { run: job, report } = await jobs.build(base);
    assert.equal(report.restored, undefined);
    assertCompiled(report, { misses: ALL, hits: 0 });
    assert.ok(report.saved, `saved: ${JSON.stringify(report)}`);
    assert.equal(report.owner, 'lfs');
    assert.ok(report.compilers.includes('c++'));
    const log = await readFile(job.outputs.log, 'utf8');
    // What reaches the host-side step through `su lfs`: PATH with the compiler links, the cache, the launcher.
    assert.match(
      log,
      /host build as lfs: c\+\+ is \S+\/compiler-cache\/bin\/c\+\+; CCACHE_DIR=\S+\/compiler-cache\/ccache; CMAKE_CXX_COMPILER_LAUNCHER=\S+ccache-launcher/,
    );
    const chrootEnv = await readFile(path.join(lfs, 'var/log/chroot-env'), 'utf8');
    assert.doesNotMatch(chrootEnv, /CCACHE|LAUNCHER|compiler-cache/, 'a chroot step entered with env -i sees none of it');
    assert.match(job.summary, /Compiler cache: ccache [\d.]+ · 0 hits, 202 misses \(0\.0% hits\).*started empty.*saved/);
    assert.match(job.summary, /<td>0\.0% hits of 202<\/td>/);
  });

  test('after a one-file edit, a new job with a fresh checkout recompiles only that file', async () => {
    const first = (await readdir(path.join(store, 'entries', 'trusted'))).filter((k) => k.startsWith('compiler-cache.'));
    const { report } = await jobs.build(oneUnit);
    assert.deepEqual([report.restored?.key], first, 'the saved cache was restored');
    assertCompiled(report, { misses: 1, hits: ALL - 1 });
  });

  test("a changed header recompiles its dependents and only them; a failed build's objects are saved too", async () => {
    const failed = await jobs.run(oneHeader, { FIXTURE_FAIL_STAGE: 'cc' });
    assert.notEqual(failed.main.exitCode, 0, 'the injected failure fails the step');
    assert.match(failed.main.stdout, /compiler cache: ccache [\d.]+ · 182 hits, 20 misses .* saved /);
    const { report } = await jobs.build(oneHeader);
    assertCompiled(report, { misses: 0, hits: ALL });
    assert.match(report.notSaved ?? '', /nothing new/);
  });

  test('a changed compiler flag recompiles everything', async () => {
    const { report } = await jobs.build(otherFlag);
    assertCompiled(report, { misses: PROJECT, hits: 1 });
  });

  test('a compiler changed at the same path (found behind the compiler links) recompiles everything', async () => {
    await jobs.changeCompiler(2);
    const { report } = await jobs.build(otherCompiler);
    assertCompiled(report, { misses: ALL, hits: 0 });
    assert.equal(report.restored?.trust, 'trusted');
    trustedSave = report.saved!.key;
  });

  test('a pull request reads the trusted cache but writes its own, which a trusted build never restores', async () => {
    const pr = await jobs.build(pullRequest, PULL_REQUEST);
    assert.equal(pr.report.restored?.key, trustedSave, 'the pull request restored the trusted cache');
    assertCompiled(pr.report, { misses: 1, hits: ALL - 1 });
    const prScope = await readdir(path.join(store, 'entries', 'untrusted-refs_pull_1_merge'));
    assert.ok(prScope.includes(pr.report.saved!.key), 'its cache went to its own scope');
    assert.ok(!(await readdir(path.join(store, 'entries', 'trusted'))).includes(pr.report.saved!.key));

    // The same change on the default branch: the unit the pull request compiled is a miss again.
    const trusted = await jobs.build(pullRequest);
    assert.equal(trusted.report.restored?.key, trustedSave, "the newest trusted cache, not the pull request's newer one");
    assertCompiled(trusted.report, { misses: 1, hits: ALL - 1 });
  });
});

describe('compiler cache over the s3 store', () => {
  let server: S3Server;
  let jobs: FixtureJobs;

  before(async () => {
    server = await startS3Server(path.join(dir.path, 's3rver'));
    jobs = new FixtureJobs(path.join(dir.path, 's3'), lfs, { inputs: { store: 's3', ...server.inputs }, env: server.env });
  });
  after(async () => {
    await server?.stop();
  });

  test('the cache a job saved to the bucket makes the next job of a one-file edit recompile one file', async () => {
    const base = withUnitFactor(projectModel(UNITS), 1, 9);
    const cold = await jobs.build(base);
    assertCompiled(cold.report, { misses: ALL, hits: 0 });
    const downloaded = server.downloadedBytes();
    const warm = await jobs.build(withUnitFactor(base, 150, 7));
    assert.equal(warm.report.restored?.key, cold.report.saved?.key);
    assert.ok(server.downloadedBytes() - downloaded >= warm.report.restored!.size, 'the cache came from the bucket');
    assertCompiled(warm.report, { misses: 1, hits: ALL - 1 });
  });
});

/** Compiles `<set>_<n>.c` of `sources` through ccache on the cache directory `cacheDir`. */
async function compileThrough(ccache: Ccache, cacheDir: string, sources: string, set: string): Promise<void> {
  const env = { ...withoutCcacheVariables(process.env), CCACHE_DIR: cacheDir };
  await run('bash', ['-c', `set -e; for f in ${set}_*.c; do "$0" gcc -c "$f" -o "\${f%.c}.o"; done`, ccache.binary], { cwd: sources, env });
}
