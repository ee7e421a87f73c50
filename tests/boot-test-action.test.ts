/**
 * The boot-test action as the runner runs it: the bundle in dist/boot-test with INPUT_* variables and
 * the file commands, and the real @actions/artifact against the loopback results service: bad input
 * fails at once, naming the input; `kvm` on a KVM that hangs (a QEMU double first on PATH) fails
 * naming what KVM did; a guest with nothing to boot (a blank disk, no KVM device) fails at its deadline
 * under tcg with outputs, a summary and an uploaded artifact; the Debian fixture's image passes every
 * check with a user check, through the bundle as shipped (its ssh2 without native addons).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { debianFixtureImage } from './harness/debian-fixture.js';
import { KVM_DEVICE_THAT_OPENS, makeQemuDouble } from './harness/qemu-double.js';
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
    assert.match(run.main.stdout, /::error::input 'accel': 'fast' is not supported; expected one of: auto, kvm, tcg/);
    assert.equal(run.outputs.result, 'fail');
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ 'retention-days': 'two weeks' }, /::error::input 'retention-days': 'two weeks' is not a whole number; expected a whole number ≥ 1 and ≤ 90/],
      [{ 'retention-days': '0' }, /::error::input 'retention-days': 0 is out of range/],
      [{ cpus: '1.5' }, /::error::input 'cpus': '1\.5' is not a whole number/],
      [{ 'timeout-multiplier': 'fast' }, /::error::input 'timeout-multiplier': 'fast' is not a number; expected a number > 0/],
      [{ 'timeout-multiplier': '0' }, /::error::input 'timeout-multiplier': 0 is out of range; expected a number > 0/],
      [{ memory: 'lots' }, /::error::input 'memory': 'lots' is not a size; expected a size such as 2G/],
      [{ 'grant-kvm-access': 'perhaps' }, /::error::input 'grant-kvm-access': 'perhaps' is not a boolean/],
      [{ image: '' }, /::error::input 'image': is required but empty/],
    ];
    for (const [inputs, message] of cases) {
      const bad = await runAction({ action: 'boot-test', inputs: { image: blank, ...inputs }, jobDir: path.join(dir.path, 'job-bad-more') });
      assert.equal(bad.main.exitCode, 1, JSON.stringify(inputs));
      assert.match(bad.main.stdout, message);
    }
  });

  it("'kvm' on a KVM that hangs (a QEMU double): fails naming what KVM did, with outputs and summary", async () => {
    const qemu = await makeQemuDouble(dir.path, 'hangs-in-firmware');
    const run = await runAction({
      action: 'boot-test',
      inputs: { image: blank, accel: 'kvm', cpus: '1', memory: '512M' },
      env: { PATH: `${qemu.binDir}:${process.env.PATH}`, PIZLIX_STAGE_KVM_DEVICE: KVM_DEVICE_THAT_OPENS },
      jobDir: path.join(dir.path, 'job-kvm'),
    });
    assert.equal(run.main.exitCode, 1);
    assert.match(
      run.main.stdout,
      /::error::accel 'kvm' was requested but KVM does not work here: QEMU's default CPU: the guest hung in the firmware: .*; -cpu host: QEMU exited/,
    );
    assert.equal(run.outputs.result, 'fail');
    assert.equal(run.outputs.accelerator, 'none');
    assert.match(run.outputs['accelerator-reason'], /^KVM: QEMU's default CPU: the guest hung in the firmware/);
    assert.match(run.summary, /accelerator \*\*none\*\*/);
    assert.match(run.summary, /\*\*Accelerator:\*\* KVM: QEMU's default CPU: the guest hung in the firmware/);
    const report = JSON.parse(await readFile(run.outputs.report, 'utf8')) as { checks: unknown[]; artifacts: { kvmAttemptLogs: string[] } };
    assert.deepEqual(report.checks, []);
    assert.ok(report.artifacts.kvmAttemptLogs.length === 6 && report.artifacts.kvmAttemptLogs.every((f) => existsSync(f)), "both attempts' logs are kept");
  });

  it('a guest with nothing to boot: fails at its deadline, with outputs, summary and the uploaded artifact', async () => {
    const run = await runAction({
      action: 'boot-test',
      inputs: { image: blank, 'timeout-multiplier': '0.1', cpus: '1', memory: '512M', 'artifact-name': 'boot-blank' },
      // No KVM device, whatever this machine has: `auto` then says so and emulates.
      env: { ...service.env, PIZLIX_STAGE_KVM_DEVICE: path.join(dir.path, 'no-kvm') },
      jobDir: path.join(dir.path, 'job-blank'),
    });
    assert.equal(run.main.exitCode, 1, run.main.stderr);
    assert.match(run.main.stdout, /::error::boot test failed at 'kernel starts'/);
    assert.equal(run.outputs.result, 'fail');
    assert.equal(run.outputs.accelerator, 'tcg');
    assert.match(run.outputs['accelerator-reason'], /^KVM: no .*no-kvm on this machine .*; used tcg$/);
    for (const output of ['report', 'screenshot', 'serial-log']) assert.ok(existsSync(run.outputs[output]), `${output} kept`);
    assert.match(run.summary, /## Boot test: ❌ failed/);
    assert.match(run.summary, /accelerator \*\*tcg\*\*, 1 CPUs, 512 MiB, deadlines ×1 for tcg, ×0\.1 \(timeout-multiplier\)/);
    assert.match(run.summary, /\*\*Accelerator:\*\* KVM: no .*no-kvm on this machine .*; used tcg\./);
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
    assert.deepEqual(
      report.checks.map((c) => `${c.id}=${c.verdict}`),
      ['kernel', 'sshd', 'login', 'services', 'weston', 'screenshot', 'user:seatd group has pizlo'].map((id) => `${id}=pass`),
    );
    assert.match(run.summary, /## Boot test: ✅ passed/);
    assert.match(run.summary, /\| seatd group has pizlo \| ✅ pass \|/);
    assert.ok(service.state.artifacts.find((a) => a.name === 'boot-fixture')?.finalized, 'the evidence was uploaded');
  });
});
