/**
 * The remote stores inside an ncc bundle, as the actions ship them: @actions/cache, @actions/artifact
 * and the AWS SDK bundled (ESM), run in their own process against the loopback results service and
 * an S3 server (s3rver).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { sha256File } from '../src/util/hash.js';
import { startS3Server, type S3Server } from './harness/s3-server.js';
import { startResultsService, type ResultsService } from './results-service/index.js';
import { startStoreChild } from './results-service/run-store-child.js';

const ROOT = `/var/tmp/pizlix-stage-tests/store-remote-bundle-${process.pid}`;
const REPO = path.resolve(import.meta.dirname, '..');
let service: ResultsService;
let s3: S3Server;
let bundle: string;

before(async () => {
  await rm(ROOT, { recursive: true, force: true });
  await mkdir(path.join(ROOT, 'workspace'), { recursive: true });
  const out = path.join(ROOT, 'bundle');
  await promisify(execFile)(
    path.join(REPO, 'node_modules/.bin/ncc'),
    ['build', 'tests/results-service/store-child.ts', '-o', out, '--quiet', '--target', 'es2022'],
    { cwd: REPO },
  );
  await writeFile(path.join(out, 'package.json'), '{ "type": "module" }\n');
  bundle = path.join(out, 'index.js');
  service = await startResultsService({ dataDir: path.join(ROOT, 'service') });
  s3 = await startS3Server(path.join(ROOT, 's3rver'));
});

after(async () => {
  await service?.stop();
  await s3?.stop();
  await rm(ROOT, { recursive: true, force: true });
});

for (const backend of ['actions-cache', 'artifact', 's3'] as const) {
  test(`${backend}: publish and fetch from the bundle`, async () => {
    const file = path.join(ROOT, `${backend}.tar.zst`);
    await writeFile(file, randomBytes(3 << 20));
    const workDir = path.join(ROOT, `fetched-${backend}`);
    await mkdir(workDir, { recursive: true });
    const env = { ...process.env, ...service.env, ...s3.env, GITHUB_WORKSPACE: path.join(ROOT, 'workspace'), RUNNER_TEMP: path.join(ROOT, 'runner-temp') };
    const job = { backend, stagingDir: path.join(ROOT, `staging-${backend}`), file, key: `bundle-${backend}`, workDir, s3: s3.location };
    const result = await startStoreChild(job, env, bundle).result;
    assert.ok(result.fetched);
    assert.equal(result.fetched.sha256, await sha256File(file));
    assert.equal(await sha256File(result.fetched.file), result.fetched.sha256);
  });
}
