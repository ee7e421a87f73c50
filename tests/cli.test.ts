/** The command line (dist/cli bundle) on the mini fixture: build, plan, explain — over the local store and an S3 bucket. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { NODE, REPO_ROOT } from './harness/runner.js';
import { startS3Server, type S3Server } from './harness/s3-server.js';
import { copyFixture, ensureLfsUser, makeTestDir, type TestDir } from './harness/workdir.js';

let dir: TestDir;
let common: string[];

function cli(...args: string[]) {
  return cliWith({}, ...args);
}

function cliWith(env: Record<string, string>, ...args: string[]) {
  const run = spawnSync(NODE, [path.join(REPO_ROOT, 'dist/cli/index.js'), ...args], { encoding: 'utf8', timeout: 300_000, env: { ...process.env, ...env } });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

before(async () => {
  await ensureLfsUser();
  dir = await makeTestDir('cli');
  const checkout = await copyFixture('mini', path.join(dir.path, 'checkout'));
  await mkdir(path.join(dir.path, 'lfs'));
  common = ['--pizlix-dir', path.join(checkout, 'pizlix'), '--manifest', path.join(checkout, 'stages.yml'), '--store-path', path.join(dir.path, 'store')];
});
after(async () => {
  await dir?.remove();
});

describe('pizlix-stage command line', () => {
  test('plan before anything is built says every stage is to build', () => {
    const { status, output } = cli('plan', ...common);
    assert.equal(status, 0, output);
    assert.match(output, /s1\s+[0-9a-f]{12}\s+to build\s+never built/);
    assert.match(output, /s3\s+…\s+waits on s2's output\s+key known once s2 is stored/);
  });

  test('build runs every stage through the local store and prints the table', () => {
    const { status, output } = cli('build', ...common, '--lfs', path.join(dir.path, 'lfs'), '--work-dir', path.join(dir.path, 'work'));
    assert.equal(status, 0, output);
    for (const stage of ['s1', 's2', 's3']) assert.match(output, new RegExp(`${stage}\\s+[0-9a-f]{12}\\s+built`));
  });

  test('after an input changes, plan and explain say what changed', async () => {
    await appendFile(path.join(common[1], 's2', 'payload.txt'), 'changed\n');
    const plan = cli('plan', ...common);
    assert.equal(plan.status, 0, plan.output);
    assert.match(plan.output, /s1\s+[0-9a-f]{12}\s+stored/);
    assert.match(plan.output, /s2\s+[0-9a-f]{12}\s+to build\s+1 changed, 0 added, 0 removed/);
    assert.match(plan.output, /s3\s+…\s+waits on s2's output\s+key known once s2 is stored/);
    const explain = cli('explain', 's2', ...common);
    assert.equal(explain.status, 0, explain.output);
    assert.match(explain.output, /changed \(1\):\s+pizlix\/s2\/payload\.txt/);
    const json = JSON.parse(cli('plan', '--json', ...common).output);
    assert.deepEqual(
      json.map((p: { inStore: boolean }) => p.inStore),
      [true, false, false],
    );
  });

  test('explain --output names the output paths that differ from the previous build', () => {
    const build = cli('build', ...common, '--lfs', path.join(dir.path, 'lfs'), '--work-dir', path.join(dir.path, 'work'));
    assert.equal(build.status, 0, build.output);
    assert.match(build.output, /rebuilt s2: output differs in 1 path: \/usr\/share\/s2-payload/);
    const explain = cli('explain', 's2', '--output', ...common);
    assert.equal(explain.status, 0, explain.output);
    assert.match(explain.output, /s2: output differs in 1 path: \/usr\/share\/s2-payload\s+changed \(1\):\s+\/usr\/share\/s2-payload/);
    const s1 = cli('explain', 's1', '--output', ...common);
    assert.match(s1.output, /the store holds no other s1 snapshot to compare with/);
  });

  test('errors name the input', () => {
    const { status, output } = cli('stage', 'nope', ...common, '--lfs', path.join(dir.path, 'lfs'));
    assert.equal(status, 1);
    assert.match(output, /input 'stage': 'nope' is not a stage/);
  });
});

describe('pizlix-stage command line over an S3 bucket', () => {
  let server: S3Server;
  let s3: string[];
  before(async () => {
    server = await startS3Server(path.join(dir.path, 's3rver'));
    // The command line runs under spawnSync, which blocks this process and the fault proxy in it.
    s3 = ['--store', 's3', '--s3-bucket', server.bucket, '--s3-endpoint', server.directEndpoint, '--s3-force-path-style', '--s3-prefix', 'cli'];
  });
  after(async () => {
    await server?.stop();
  });

  test('build publishes every stage to the bucket; plan then finds them; fetch takes one back by key', () => {
    const args = [...common.slice(0, 4), ...s3];
    const build = cliWith(server.env, 'build', ...args, '--lfs', path.join(dir.path, 'lfs'), '--work-dir', path.join(dir.path, 'work-s3'));
    assert.equal(build.status, 0, build.output);
    assert.match(build.output, /s3: upload pizlix-s1-/);
    const plan = cliWith(server.env, 'plan', '--json', ...args);
    assert.equal(plan.status, 0, plan.output);
    const stages = JSON.parse(plan.output) as Array<{ stage: string; key: string; inStore: boolean }>;
    assert.deepEqual(
      stages.map((p) => p.inStore),
      [true, true, true],
    );
    const fetched = cliWith(server.env, 'fetch', '--key', stages[2].key, '--directory', path.join(dir.path, 'fetched'), ...s3);
    assert.equal(fetched.status, 0, fetched.output);
    assert.match(fetched.output, /s3 snapshot pizlix-s3-[0-9a-f]+, sha256 [0-9a-f]{64} verified/);
  });

  test('--store s3 without a bucket is an error naming the input', () => {
    const { status, output } = cli('plan', ...common, '--store', 's3');
    assert.equal(status, 1);
    assert.match(output, /input 's3-bucket': is required for store s3/);
  });
});
