/**
 * The stage action's bundle over the remote stores — the real @actions/cache and @actions/artifact
 * inside dist/stage against the loopback results service and azurite, and the real AWS SDK against an
 * S3 protocol server (s3rver) — doing what stage-action.test.ts does over the local store: every stage
 * built on the first pass, all hits and no script on the second, ownership kept by a restore, and one
 * changed input of stage 2 rebuilding stages 2 and 3 only.
 */
import assert from 'node:assert/strict';
import { appendFile, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { mountsBelow } from '../src/rootfs/mounts.js';
import { sha256File } from '../src/util/hash.js';
import { runAction, type ActionRun } from './harness/runner.js';
import { copyFixture, ensureLfsUser, makeTestDir, type TestDir } from './harness/workdir.js';
import { startS3Server } from './harness/s3-server.js';
import { startResultsService, type ResultsService } from './results-service/index.js';

const STAGES = ['s1', 's2', 's3'];

/** What a store's jobs need: a service on loopback, the environment and inputs that reach it, its byte counts. */
interface StoreService {
  env: Record<string, string>;
  inputs: Record<string, string>;
  uploadedBytes(): number;
  downloadedBytes(): number;
  stop(): Promise<void>;
  /** The results service, for the artifact and cache stores. */
  results?: ResultsService;
}

async function startStoreService(store: 'actions-cache' | 'artifact' | 's3', dir: string): Promise<StoreService> {
  if (store === 's3') {
    const server = await startS3Server(path.join(dir, 's3rver'));
    return { env: server.env, inputs: server.inputs, uploadedBytes: server.uploadedBytes, downloadedBytes: server.downloadedBytes, stop: server.stop };
  }
  const results = await startResultsService({ dataDir: path.join(dir, 'service') });
  // The cache's fixed directory stays inside this test's.
  const env = { ...results.env, PIZLIX_STAGE_CACHE_DIR: path.join(dir, 'cache-dir') };
  return { env, inputs: {}, uploadedBytes: results.uploadedBytes, downloadedBytes: results.downloadedBytes, stop: results.stop, results };
}

for (const store of ['actions-cache', 'artifact', 's3'] as const) {
  describe(`stage action over the ${store} store`, () => {
    let dir: TestDir;
    let service: StoreService;
    let checkout: string;
    let lfs: string;
    let runLog: string;
    let job = 0;

    before(async () => {
      await ensureLfsUser();
      dir = await makeTestDir(`stage-action-${store}`);
      service = await startStoreService(store, dir.path);
      checkout = await copyFixture('mini', path.join(dir.path, 'checkout'));
      lfs = path.join(dir.path, 'lfs');
      runLog = path.join(dir.path, 'runs.log');
      await mkdir(lfs);
    });
    after(async () => {
      await service?.stop();
      await dir?.remove();
    });

    async function runStage(stage: string, extra: Record<string, string> = {}): Promise<ActionRun> {
      const result = await runAction({
        action: '.',
        inputs: { stage, 'pizlix-dir': path.join(checkout, 'pizlix'), manifest: path.join(checkout, 'stages.yml'), store, lfs, ...service.inputs, ...extra },
        // Every job of the run sees the same service.
        env: { ...service.env, FIXTURE_RUN_LOG: runLog },
        jobDir: path.join(dir.path, `job-${++job}`),
      });
      assert.equal(result.main.exitCode, 0, `main step failed:\n${result.main.stdout.slice(-3000)}\n${result.main.stderr.slice(-3000)}`);
      assert.equal(result.post?.exitCode, 0, `post step failed:\n${result.post?.stdout}${result.post?.stderr}`);
      assert.deepEqual(await mountsBelow(lfs), [], 'nothing stays mounted below $LFS after the job');
      return result;
    }

    async function scriptsRun(): Promise<string[]> {
      const text = await readFile(runLog, 'utf8').catch(() => '');
      await writeFile(runLog, '');
      return text.split('\n').filter(Boolean);
    }

    test('first pass builds every stage and publishes it to the store', async () => {
      for (const stage of STAGES) {
        const result = await runStage(stage);
        assert.equal(result.outputs['cache-hit'], 'false');
        assert.equal(result.outputs.built, 'true');
        assert.match(result.summary, new RegExp(`Store: ${store}`));
      }
      assert.deepEqual(await scriptsRun(), STAGES);
      assert.ok(service.uploadedBytes() > 0, 'the snapshots went through the service');
    });

    test('second pass is all hits, restored from the store, and runs no script', async () => {
      for (const stage of STAGES) {
        const downloaded = service.downloadedBytes();
        const result = await runStage(stage);
        assert.equal(result.outputs['cache-hit'], 'true');
        assert.equal(result.outputs.built, 'false');
        assert.match(result.summary, /hit — restored/);
        assert.ok(service.downloadedBytes() > downloaded, `${stage} was downloaded from the service`);
        assert.equal((await readFile(path.join(lfs, 'sources/lfsbuildstate'), 'utf8')).trim(), stage);
      }
      assert.deepEqual(await scriptsRun(), []);
    });

    test('a restore from the store keeps numeric owners, setuid bits, devices and hard links', async () => {
      await runStage('s1');
      const stats = (p: string) => stat(path.join(lfs, p));
      assert.equal((await stats('usr/share/video-owned')).gid, 12, 'LFS video group id kept');
      assert.equal((await stats('bin/su-demo')).mode & 0o7777, 0o4755);
      assert.ok((await stats('dev/null')).isCharacterDevice());
      assert.equal((await stats('usr/share/hard-a')).ino, (await stats('usr/share/hard-b')).ino);
      await scriptsRun();
    });

    test('changing one input of stage 2 rebuilds stages 2 and 3 and nothing else', async () => {
      await appendFile(path.join(checkout, 'pizlix', 's2', 'payload.txt'), `changed for ${store}\n`);
      const hits: Record<string, string> = {};
      for (const stage of STAGES) hits[stage] = (await runStage(stage)).outputs['cache-hit'];
      assert.deepEqual(hits, { s1: 'true', s2: 'false', s3: 'false' });
      assert.deepEqual(await scriptsRun(), ['s2', 's3']);
      assert.match(await readFile(path.join(lfs, 'usr/share/s2-payload'), 'utf8'), new RegExp(`changed for ${store}`));
    });

    if (store === 'actions-cache') {
      test("a snapshot that is a large share of the repository's cache budget is a warning in the job summary", async () => {
        await appendFile(path.join(checkout, 'pizlix', 's3', 'payload.txt'), 'budget test\n');
        const result = await runStage('s3', { 'cache-budget': '2M' });
        assert.equal(result.outputs.built, 'true');
        const warnings = result.main.stdout
          .split('\n')
          .filter((l) => l.startsWith('::warning::'))
          .join('\n');
        // '%' is escaped as %25 in workflow commands.
        assert.match(warnings, /::warning::actions-cache: snapshot of .* is \d+%25 of the repository's 2\.00 MiB Actions cache budget/);
        assert.match(result.summary, /⚠️ snapshot of .* is \d+% of the repository's 2\.00 MiB Actions cache budget/);
        await scriptsRun();
      });
    }

    if (store === 'artifact') {
      test("the fetch action of a later run takes a stage's snapshot from this run's artifacts by run id and token", async () => {
        const s3 = await runStage('s3');
        const results = service.results!;
        const laterRun = results.envFor(Number(results.env.GITHUB_RUN_ID) + 7);
        const inputs = { source: 'store', store: 'artifact', key: s3.outputs.key, stage: 's3', token: results.env.GITHUB_TOKEN };
        const own = await runAction({ action: 'fetch', inputs, env: laterRun, jobDir: path.join(dir.path, 'fetch-own') });
        assert.equal(own.main.exitCode, 1, 'the later run has no such artifact of its own');
        assert.match(own.main.stdout, /input 'key': the artifact store of this run has no readable, intact entry/);
        const fetched = await runAction({
          action: 'fetch',
          inputs: { ...inputs, 'run-id': results.env.GITHUB_RUN_ID },
          env: laterRun,
          jobDir: path.join(dir.path, 'fetch-other'),
        });
        assert.equal(fetched.main.exitCode, 0, fetched.main.stdout.slice(-3000));
        assert.equal(await sha256File(fetched.outputs.snapshot), await sha256File(s3.outputs.snapshot));
      });
    }

    if (store === 's3') {
      test('the plan and fetch actions read the same bucket; a pull request writes only its own scope there', async () => {
        const inputs = { 'pizlix-dir': path.join(checkout, 'pizlix'), manifest: path.join(checkout, 'stages.yml'), store, ...service.inputs };
        const plan = await runAction({ action: 'plan', inputs, env: service.env, jobDir: path.join(dir.path, 'plan') });
        assert.equal(plan.main.exitCode, 0, plan.main.stdout.slice(-3000));
        assert.deepEqual(JSON.parse(plan.outputs['stages-to-build']), []);
        const s3 = await runStage('s3');
        const fetchInputs = { source: 'store', store, key: s3.outputs.key, stage: 's3', ...service.inputs };
        const fetched = await runAction({ action: 'fetch', inputs: fetchInputs, env: service.env, jobDir: path.join(dir.path, 'fetch-s3') });
        assert.equal(fetched.main.exitCode, 0, fetched.main.stdout.slice(-3000));
        assert.equal(await sha256File(fetched.outputs.snapshot), await sha256File(s3.outputs.snapshot));
        // A pull request's build of a changed stage 3 goes to its own scope; the default branch's plan still rebuilds it.
        await appendFile(path.join(checkout, 'pizlix', 's3', 'payload.txt'), 'changed by a pull request\n');
        const pr = { GITHUB_REF: 'refs/pull/7/merge', GITHUB_EVENT_NAME: 'pull_request' };
        const prRun = await runAction({
          action: '.',
          inputs: { ...inputs, stage: 's3', lfs },
          env: { ...service.env, ...pr, FIXTURE_RUN_LOG: runLog },
          jobDir: path.join(dir.path, 'pr-s3'),
        });
        assert.equal(prRun.main.exitCode, 0, prRun.main.stdout.slice(-3000));
        assert.equal(prRun.outputs.built, 'true');
        const mainPlan = await runAction({ action: 'plan', inputs, env: service.env, jobDir: path.join(dir.path, 'plan-main') });
        assert.deepEqual(JSON.parse(mainPlan.outputs['stages-to-build']), ['s3'], "the pull request's snapshot is not the default branch's");
        const prPlan = await runAction({ action: 'plan', inputs, env: { ...service.env, ...pr }, jobDir: path.join(dir.path, 'plan-pr') });
        assert.deepEqual(JSON.parse(prPlan.outputs['stages-to-build']), [], 'the pull request sees its own');
        await scriptsRun();
      });
    }
  });
}

test('outside a job with the results service, a remote store is a clear error naming the input', async () => {
  const dir = await makeTestDir('stage-action-no-service');
  try {
    const checkout = await copyFixture('mini', path.join(dir.path, 'checkout'));
    await mkdir(path.join(dir.path, 'lfs'));
    for (const store of ['actions-cache', 'artifact', 'auto']) {
      const result = await runAction({
        action: '.',
        inputs: {
          stage: 's1',
          'pizlix-dir': path.join(checkout, 'pizlix'),
          manifest: path.join(checkout, 'stages.yml'),
          store,
          lfs: path.join(dir.path, 'lfs'),
        },
        jobDir: path.join(dir.path, `job-${store}`),
      });
      assert.equal(result.main.exitCode, 1);
      assert.match(
        result.main.stdout,
        new RegExp(
          `::error::input 'store': '${store === 'auto' ? 'actions-cache' : store}' needs the Actions results service, but ACTIONS_RUNTIME_TOKEN and ACTIONS_RESULTS_URL are not set`,
        ),
      );
    }
  } finally {
    await dir.remove();
  }
});
