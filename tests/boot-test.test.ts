/**
 * The boot test end to end, with real QEMU under software emulation (run the file under
 * `flock /tmp/qemu.lock`: it boots one guest at a time).
 *
 * Without an image: bad input is refused before any work, and a guest with nothing to boot ends at
 * its deadline with its artifacts kept. With the fixture image (env PIZLIX_TEST_IMAGE; for an image
 * without a boot loader also PIZLIX_TEST_KERNEL, PIZLIX_TEST_INITRD, PIZLIX_TEST_APPEND): every check
 * passes and the screenshot shows weston's desktop; an sshd that cannot run, an image without weston
 * and a wrong password each fail at the right check, within its deadline, with artifacts kept. The
 * image is the Debian fixture's (tests/fixtures/debian) unless PIZLIX_TEST_IMAGE names another.
 * Broken images are qcow2 overlays of the good one edited with debugfs (see tests/harness/image-edit.ts).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rm, stat, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PreflightError } from '../src/util/errors.js';
import { checkBootTestInputs, runBootTest, type BootTestOptions } from '../src/vm/boot-test.js';
import type { BootTestReport } from '../src/vm/report.js';
import { deriveImage } from './harness/image-edit.js';
import { analyseDesktop, differenceRatio, isBlank, readScreen } from '../src/vm/screen.js';
import { parseUserChecks } from '../src/vm/user-checks.js';
import { debianFixtureImage } from './harness/debian-fixture.js';

const root = `/var/tmp/pizlix-stage-tests/boot-test-${process.pid}`;
before(() => mkdir(root, { recursive: true }));
after(() => rm(root, { recursive: true, force: true }));

function options(name: string, overrides: Partial<BootTestOptions>): BootTestOptions {
  return {
    image: '',
    username: 'pizlo',
    password: 'pizlo',
    accel: 'tcg',
    cpus: 2,
    memoryMiB: 2048,
    qemuArgs: [],
    timeoutMultiplier: 1,
    userChecks: [],
    outputDir: path.join(root, name),
    ...overrides,
  };
}

/** No QEMU of this test's may outlive its run. */
async function qemuProcessesUsing(outputDir: string): Promise<number[]> {
  const pids: number[] = [];
  for (const pid of (await readdir('/proc')).filter((p) => /^\d+$/.test(p))) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.startsWith('qemu-system') && cmdline.includes(outputDir)) pids.push(Number(pid));
  }
  return pids;
}

async function assertEvidenceKept(report: BootTestReport): Promise<void> {
  const a = report.artifacts;
  for (const file of [a.report, a.serialLog, a.qemuLog]) assert.ok(existsSync(file), `${file} kept`);
  assert.deepEqual(JSON.parse(await readFile(a.report, 'utf8')), JSON.parse(JSON.stringify(report)));
  assert.deepEqual(await qemuProcessesUsing(path.dirname(a.report)), [], 'QEMU was stopped');
}

function assertFailedAt(report: BootTestReport, id: string): void {
  assert.equal(report.result, 'fail');
  const index = report.checks.findIndex((c) => c.id === id);
  assert.ok(index >= 0, `check ${id} is in the report`);
  assert.ok(report.checks.slice(0, index).every((c) => c.verdict === 'pass'), 'the checks before it passed');
  const failed = report.checks[index];
  assert.equal(failed.verdict, 'fail', `${id}: ${failed.detail}`);
  assert.ok(failed.finishedAt! - failed.startedAt! <= failed.deadlineSeconds + 6, `${id} ended within its deadline`);
  assert.ok(report.checks.slice(index + 1).every((c) => c.verdict === 'skipped'), 'the checks after it were skipped');
  assert.ok(report.serialTail !== undefined);
}

describe('boot test without an image', () => {
  it('refuses bad input before any work, naming each input', async () => {
    const dir = path.join(root, 'bad-input');
    await mkdir(dir, { recursive: true });
    await assert.rejects(
      checkBootTestInputs(options('bad', { image: path.join(dir, 'missing.img'), cpus: 0, qemuBinary: 'no-such-qemu-system' })),
      (err: Error) => {
        assert.ok(err instanceof PreflightError);
        assert.match(err.message, /input 'image': '.*missing\.img' does not exist/);
        assert.match(err.message, /input 'cpus': is 0/);
        assert.match(err.message, /QEMU is absent: 'no-such-qemu-system' is not on PATH/);
        return true;
      },
    );
    await assert.rejects(checkBootTestInputs(options('bad', { image: dir })), /input 'image': '.*' is not a regular file/);
    assert.equal(existsSync(path.join(root, 'bad')), false, 'nothing was created');
  });

  it('a guest with nothing to boot fails at the kernel check at its deadline, artifacts kept, QEMU stopped', async () => {
    const image = path.join(root, 'blank.img');
    await writeFile(image, '');
    await truncate(image, 16 * 1024 * 1024);
    const report = await runBootTest(options('blank', { image, timeoutMultiplier: 0.1 }));
    assertFailedAt(report, 'kernel');
    assert.equal(report.checks[0].deadlineSeconds, 12);
    assert.match(report.checks[0].detail, /Linux version/);
    assert.ok(report.artifacts.failureScreenshot && existsSync(report.artifacts.failureScreenshot), 'the screen at failure is kept');
    await assertEvidenceKept(report);
  });

  it('QEMU refusing its arguments ends the run at once with its message', async () => {
    const image = path.join(root, 'blank.img');
    const started = Date.now();
    const report = await runBootTest(options('bad-args', { image, qemuArgs: ['-no-such-option'] }));
    assert.equal(report.result, 'fail');
    assert.match(report.error ?? '', /QEMU exited \(status 1\)[\s\S]*no-such-option/);
    assert.ok(Date.now() - started < 30_000);
    await assertEvidenceKept(report);
  });
});

/** The image under test: $PIZLIX_TEST_IMAGE, or the Debian fixture's gui stage made into a disk image. */
let image: string | undefined = process.env.PIZLIX_TEST_IMAGE || undefined;
const direct = {
  kernel: process.env.PIZLIX_TEST_KERNEL || undefined,
  initrd: process.env.PIZLIX_TEST_INITRD || undefined,
  append: process.env.PIZLIX_TEST_APPEND || undefined,
};
/** Negative runs wait out a deadline; a smaller multiplier keeps them short (a good guest still makes it). */
const negativeMultiplier = Number(process.env.PIZLIX_TEST_NEGATIVE_MULTIPLIER ?? '0.4');

describe('boot test on the fixture image', () => {
  before(async () => {
    // Built through the stage action into the fixture's persistent store on the first run only.
    image ??= (await debianFixtureImage(path.join(root, 'fixture-image'))).image;
  });

  it('passes every check, and the screenshot shows weston\'s desktop with its panel', async () => {
    const before = await stat(image!);
    const userChecks = parseUserChecks(`
- name: hostname is set
  run: cat /proc/sys/kernel/hostname
  expect-output: /\\S/
- name: false exits 1
  run: "false"
  expect-status: 1
`);
    const report = await runBootTest(options('good', { image, ...direct, userChecks }));
    const verdicts = report.checks.map((c) => `${c.id}=${c.verdict}${c.verdict === 'pass' ? '' : ` (${c.detail})`}`);
    assert.equal(report.result, 'pass', verdicts.join('\n'));
    assert.deepEqual(report.checks.map((c) => c.id), ['kernel', 'sshd', 'login', 'services', 'weston', 'screenshot', 'user:hostname is set', 'user:false exits 1']);
    const times = report.checks.map((c) => c.finishedAt!);
    assert.deepEqual([...times].sort((a, b) => a - b), times, 'milestones in order');
    assert.equal(report.accelerator.used, 'tcg');
    assert.ok(report.sshdProcessStartedAt! > 0 && report.sshdProcessStartedAt! < report.milestones.sshd);

    const console_ = await readScreen(report.artifacts.consoleScreenshot!);
    const desktop = await readScreen(report.artifacts.westonScreenshot!);
    assert.deepEqual([desktop.width, desktop.height], [1024, 768]);
    assert.equal(isBlank(desktop), false);
    assert.ok(differenceRatio(console_, desktop) > 0.5, 'weston replaced the console');
    const analysis = analyseDesktop(desktop);
    assert.ok(analysis.panelDiffersFromBackground, `panel band differs from the background: ${JSON.stringify(analysis)}`);
    assert.match(await readFile(report.artifacts.westonLog!, 'utf8'), /Output '[^']+' enabled/);
    await assertEvidenceKept(report);

    const afterStat = await stat(image!);
    assert.equal(afterStat.mtimeMs, before.mtimeMs, 'the image stayed pristine');
  });

  it('a wrong password fails at login at once, without retrying', async () => {
    const report = await runBootTest(options('wrong-password', { image, ...direct, password: 'not-the-password', timeoutMultiplier: negativeMultiplier }));
    assertFailedAt(report, 'login');
    const login = report.checks.find((c) => c.id === 'login')!;
    assert.equal(login.failure, 'SshAuthenticationError');
    assert.ok(login.finishedAt! - login.startedAt! < 60, 'rejected credentials are not retried until the deadline');
    assert.match(report.error ?? '', /input 'user\/password': .*was rejected/);
    await assertEvidenceKept(report);
  });

  it('an image whose sshd cannot run fails at "sshd answers" at its deadline', async () => {
    const broken = path.join(root, 'no-sshd.qcow2');
    await deriveImage(image!, broken, ['set_inode_field /usr/sbin/sshd mode 0100644']);
    const report = await runBootTest(options('no-sshd', { image: broken, ...direct, timeoutMultiplier: negativeMultiplier }));
    assertFailedAt(report, 'sshd');
    assert.match(report.checks[1].detail, /SSH greeting/);
    await assertEvidenceKept(report);
  });

  it('an image without weston fails at "weston starts" with a clear reason', async () => {
    const broken = path.join(root, 'no-weston.qcow2');
    await deriveImage(image!, broken, ['rm /usr/bin/weston']);
    const report = await runBootTest(options('no-weston', { image: broken, ...direct, timeoutMultiplier: negativeMultiplier }));
    assertFailedAt(report, 'weston');
    assert.match(report.checks.find((c) => c.id === 'weston')!.detail, /weston is not installed/);
    assert.ok(report.artifacts.consoleScreenshot && existsSync(report.artifacts.consoleScreenshot));
    await assertEvidenceKept(report);
  });
});
