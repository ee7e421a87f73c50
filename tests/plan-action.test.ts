/** The plan action's bundle: what a change rebuilds, why, and roughly how long. */
import assert from 'node:assert/strict';
import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runStage } from '../src/build/run-stage.js';
import { LocalStore } from '../src/store/local.js';
import { runAction } from './harness/runner.js';
import { copyFixture, ensureLfsUser, makeTestDir, type TestDir } from './harness/workdir.js';

let dir: TestDir;
let checkout: string;

before(async () => {
  await ensureLfsUser();
  dir = await makeTestDir('plan-action');
  checkout = await copyFixture('mini', path.join(dir.path, 'checkout'));
  await mkdir(path.join(dir.path, 'lfs'));
  const store = new LocalStore(path.join(dir.path, 'store'), { trust: 'trusted', ref: 'refs/heads/main' });
  for (const stage of ['s1', 's2', 's3']) {
    await runStage({
      stage,
      pizlixDir: path.join(checkout, 'pizlix'),
      manifestFile: path.join(checkout, 'stages.yml'),
      lfs: path.join(dir.path, 'lfs'),
      store,
      workDir: path.join(dir.path, 'work', stage),
    });
  }
});
after(async () => {
  await dir?.remove();
});

const planInputs = () => ({
  'pizlix-dir': path.join(checkout, 'pizlix'),
  manifest: path.join(checkout, 'stages.yml'),
  store: 'local',
  'store-path': path.join(dir.path, 'store'),
});

describe('plan action', () => {
  test('nothing to rebuild when every stage is stored', async () => {
    const result = await runAction({ action: 'plan', inputs: planInputs(), jobDir: path.join(dir.path, 'job-1') });
    assert.equal(result.main.exitCode, 0, result.main.stdout);
    assert.equal(result.outputs['stages-to-build'], '[]');
    assert.deepEqual(JSON.parse(result.outputs.matrix), { include: [] });
    assert.match(result.summary, /Nothing to rebuild/);
    // The chain, for workflows that run one job per stage: names in order, how many, the last one and its key.
    assert.deepEqual(JSON.parse(result.outputs.stages), ['s1', 's2', 's3']);
    assert.equal(result.outputs['stage-count'], '3');
    assert.equal(result.outputs['last-stage'], 's3');
    assert.equal(result.outputs['last-key'], JSON.parse(result.outputs.keys).s3);
    assert.match(result.summary, /Chain of 3 stages from .*stages\.yml: s1 → s2 → s3/);
  });

  test("a changed input of s2: rebuild s2, s3 waits on s2's output, why, and the recorded time", async () => {
    await appendFile(path.join(checkout, 'pizlix', 's2', 'payload.txt'), 'new\n');
    const result = await runAction({ action: 'plan', inputs: planInputs(), jobDir: path.join(dir.path, 'job-2') });
    assert.equal(result.main.exitCode, 0, result.main.stdout);
    assert.deepEqual(JSON.parse(result.outputs['stages-to-build']), ['s2', 's3']);
    const matrix = JSON.parse(result.outputs.matrix) as { include: Array<{ stage: string; key: string }> };
    assert.deepEqual(
      matrix.include.map((m) => m.stage),
      ['s2', 's3'],
    );
    const plan = JSON.parse(result.outputs.plan) as Array<{
      stage: string;
      key: string | null;
      waitsOn: string | null;
      changes: { changed: string[]; parentChanged: boolean } | null;
    }>;
    assert.deepEqual(plan[1].changes?.changed, ['pizlix/s2/payload.txt']);
    // Keys chain on output digests: s3's key is known once s2 is rebuilt; its job looks it up then.
    assert.equal(plan[2].key, null);
    assert.equal(plan[2].waitsOn, 's2');
    assert.equal(JSON.parse(result.outputs.keys).s3, null);
    assert.equal(result.outputs['last-key'], '');
    // The estimate is the recorded build times of the stages to rebuild (their previous snapshots' metadata).
    const recorded = new LocalStore(path.join(dir.path, 'store'), { trust: 'trusted', ref: 'refs/heads/main' });
    let expected = 0;
    for (const stage of ['s2', 's3']) expected += (await recorded.list(stage))[0].meta.buildSeconds;
    assert.equal(Number(result.outputs['estimated-seconds']), Math.round(expected));
    assert.match(
      result.summary,
      /Rebuilds 1 of 3 stages \(s2\); s3 waits on s2's output \(reused when that output comes out identical to the stored one, else rebuilt\); at most roughly/,
    );
    assert.match(result.summary, /waits on s2's output/);
    assert.match(result.summary, /pizlix\/s2\/payload\.txt/);
  });

  test('a chain longer than the workflow has stage jobs for fails, naming the stages', async () => {
    const result = await runAction({ action: 'plan', inputs: { ...planInputs(), 'max-stages': '2' }, jobDir: path.join(dir.path, 'job-4') });
    assert.equal(result.main.exitCode, 1);
    assert.match(
      result.main.stdout,
      /input 'max-stages': the chain has 3 stages \(s1, s2, s3\), more than the 2 stage jobs the workflow has; expected a workflow with at least 3 stage slots/,
    );
    const bad = await runAction({ action: 'plan', inputs: { ...planInputs(), 'max-stages': 'twelve' }, jobDir: path.join(dir.path, 'job-5') });
    assert.match(bad.main.stdout, /input 'max-stages': 'twelve' is not a whole number/);
  });

  test('an unknown store is a clear error', async () => {
    const result = await runAction({ action: 'plan', inputs: { ...planInputs(), store: 'ftp' }, jobDir: path.join(dir.path, 'job-3') });
    assert.equal(result.main.exitCode, 1);
    assert.match(result.main.stdout, /input 'store': 'ftp' is not supported; expected one of: local, s3, actions-cache, artifact, auto/);
  });
});
