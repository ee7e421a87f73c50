/**
 * The boot-test action as the runner runs it: the bundle in dist/boot-test with INPUT_* variables and
 * the file commands, and the real @actions/artifact against the loopback results service: bad input
 * fails at once; a guest with nothing to boot (a blank disk) fails at its deadline with outputs, a
 * summary and an uploaded artifact; the Debian fixture's image passes every check with a user check,
 * through the bundle as shipped (its ssh2 without native addons).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { debianFixtureImage } from './harness/debian-fixture.js';
import { REPO_ROOT, runAction } from './harness/runner.js';
import { makeTestDir, type TestDir } from './harness/workdir.js';
import { startResultsService, type ResultsService } from './results-service/index.js';

const bundle = path.join(REPO_ROOT, 'dist', 'boot-test', 'index.js');
const skip = existsSync(bundle) ? false : 'dist/boot-test/index.js is missing: run npm run build';

describe('boot-test action', { skip }, () => {
  let dir: TestDir;
  let service: ResultsService;
  let blank: string;
  before(async () => {
    dir = await makeTestDir('boot-test-action');
    service = await startResultsService({ dataDir: path.join(dir.path, 'results') });
    blank = path.join(dir.path, 'blank.img');
    await writeFile(blank, '');
    await truncate(blank, 16 * 1024 * 1024);
  });
  after(async () => {
    await service?.stop();
    await dir?.remove();
  });

  it('fails at once on bad input, naming the input, and masks the credentials', async () => {
    const run = await runAction({
      action: 'boot-test',
      inputs: { image: path.join(dir.path, 'missing.img'), password: 's3cret-pw', accel: 'fast' },
      jobDir: path.join(dir.path, 'job-bad'),
    });
    assert.equal(run.main.exitCode, 1);
    assert.match(run.main.stdout, /::add-mask::s3cret-pw/);
    assert.match(run.main.stdout, /::error::input 'accel': is 'fast'; expected 'auto', 'kvm' or 'tcg'/);
    assert.equal(run.outputs.result, 'fail');
  });

  it("'kvm' fails fast on this machine with a clear message", async () => {
    const started = Date.now();
    const run = await runAction({ action: 'boot-test', inputs: { image: blank, accel: 'kvm' }, jobDir: path.join(dir.path, 'job-kvm') });
    assert.equal(run.main.exitCode, 1);
    assert.match(run.main.stdout, /::error::accel 'kvm' was requested but KVM does not work here/);
    assert.ok(Date.now() - started < 40_000);
  });

  it('a guest with nothing to boot: fails at its deadline, with outputs, summary and the uploaded artifact', async () => {
    const run = await runAction({
      action: 'boot-test',
      inputs: { image: blank, 'timeout-multiplier': '0.1', cpus: '1', memory: '512M', 'artifact-name': 'boot-blank' },
      env: service.env,
      jobDir: path.join(dir.path, 'job-blank'),
    });
    assert.equal(run.main.exitCode, 1, run.main.stderr);
    assert.match(run.main.stdout, /::error::boot test failed at 'kernel starts'/);
    assert.equal(run.outputs.result, 'fail');
    assert.equal(run.outputs.accelerator, 'tcg');
    for (const output of ['report', 'screenshot', 'serial-log']) assert.ok(existsSync(run.outputs[output]), `${output} kept`);
    assert.match(run.summary, /## Boot test: ❌ failed/);
    assert.match(run.summary, /accelerator \*\*tcg\*\* \(KVM test boot failed/);
    assert.match(run.summary, /\| kernel starts \| ❌ fail \|/);
    assert.match(run.summary, /### What was tried for "kernel starts"/);
    assert.match(run.summary, /### Last serial lines/);
    assert.match(run.summary, /Screenshot: \[artifact\]\(https:\/\/github\.com\/.+\/artifacts\/\d+\)/);
    const artifact = service.state.artifacts.find((a) => a.name === 'boot-blank');
    assert.ok(artifact?.finalized, 'the artifact was uploaded');
    assert.ok(artifact.size > 0);
  });

  it("the fixture's image passes every check, its user check included, with the verdict table in the summary", async () => {
    const image = (await debianFixtureImage(path.join(dir.path, 'fixture-image'))).image;
    const checks = '- name: seatd group has pizlo\n  run: id -nG\n  expect-output: /\\bseatd\\b/\n';
    const run = await runAction({
      action: 'boot-test',
      inputs: { image, accel: 'tcg', cpus: '2', checks, 'artifact-name': 'boot-fixture' },
      env: service.env,
      jobDir: path.join(dir.path, 'job-fixture'),
    });
    assert.equal(run.main.exitCode, 0, run.main.stdout.slice(-5000));
    assert.equal(run.outputs.result, 'pass');
    assert.ok(existsSync(run.outputs.screenshot), 'the screenshot of the desktop is kept');
    const report = JSON.parse(await readFile(run.outputs.report, 'utf8')) as { checks: Array<{ id: string; verdict: string }> };
    assert.deepEqual(report.checks.map((c) => `${c.id}=${c.verdict}`), ['kernel', 'sshd', 'login', 'services', 'weston', 'screenshot', 'user:seatd group has pizlo'].map((id) => `${id}=pass`));
    assert.match(run.summary, /## Boot test: ✅ passed/);
    assert.match(run.summary, /\| seatd group has pizlo \| ✅ pass \|/);
    assert.ok(service.state.artifacts.find((a) => a.name === 'boot-fixture')?.finalized, 'the evidence was uploaded');
  });
});
