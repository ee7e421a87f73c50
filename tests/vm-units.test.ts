/** The boot test's pure parts: QEMU's command line, the `checks` input, screen analysis, the summary. */
import assert from 'node:assert/strict';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PNG } from 'pngjs';
import { InputError } from '../src/util/errors.js';
import { buildQemuArgs, detectDiskFormat, findFreePort, splitArguments } from '../src/vm/qemu.js';
import { renderSummary, type BootTestReport } from '../src/vm/report.js';
import { analyseDesktop, differenceRatio, isBlank, readScreen, type Rgb } from '../src/vm/screen.js';
import { judgeUserCheck, parseUserChecks } from '../src/vm/user-checks.js';

const dir = `/var/tmp/pizlix-stage-tests/vm-units-${process.pid}`;
before(() => mkdir(dir, { recursive: true }));
after(() => rm(dir, { recursive: true, force: true }));

describe('QEMU command line', () => {
  const spec = {
    image: '/images/disk,1.img', format: 'raw' as const, snapshot: true, accel: 'tcg' as const, cpus: 2, memoryMiB: 2048,
    sshPort: 40022, qmpSocket: '/tmp/q/qmp.sock', serialLog: '/out/serial.log',
  };

  it("launches like Pizlix's script: default machine, IDE disk, e1000, virtio-vga 1024x768, headless", () => {
    const args = buildQemuArgs(spec);
    const joined = args.join(' ');
    assert.ok(!args.includes('-machine'), 'default pc machine');
    assert.ok(joined.includes('-drive file=/images/disk,,1.img,format=raw,snapshot=on'), joined);
    assert.ok(joined.includes('-net nic -net user,hostfwd=tcp:127.0.0.1:40022-:22'), joined);
    assert.ok(joined.includes('-device virtio-vga,xres=1024,yres=768'));
    assert.ok(joined.includes('-display none'));
    assert.ok(joined.includes('-serial file:/out/serial.log'));
    assert.ok(joined.includes('-qmp unix:/tmp/q/qmp.sock,server=on,wait=off'));
    assert.deepEqual(args.slice(args.indexOf('-accel'), args.indexOf('-accel') + 2), ['-accel', 'tcg']);
  });

  it('adds direct kernel boot and extra arguments only when given', () => {
    const args = buildQemuArgs({ ...spec, kernel: '/k', initrd: '/i', append: 'root=/dev/sda ro', extraArgs: ['-rtc', 'base=utc'] });
    assert.deepEqual(args.slice(-8), ['-kernel', '/k', '-initrd', '/i', '-append', 'root=/dev/sda ro', '-rtc', 'base=utc']);
    assert.ok(!buildQemuArgs(spec).includes('-kernel'));
  });

  it('splits qemu-args on whitespace, keeping quoted spaces', () => {
    assert.deepEqual(splitArguments(` -rtc base=utc  -name "my vm" -x ''`), ['-rtc', 'base=utc', '-name', 'my vm', '-x', '']);
    assert.deepEqual(splitArguments('   '), []);
    assert.throws(() => splitArguments('-name "open'), InputError);
  });

  it('detects qcow2 by magic and treats other images as raw; finds a free port', async () => {
    await writeFile(path.join(dir, 'q'), Buffer.from([0x51, 0x46, 0x49, 0xfb, 0, 0, 0, 3]));
    await writeFile(path.join(dir, 'r'), Buffer.alloc(512));
    assert.equal(await detectDiskFormat(path.join(dir, 'q')), 'qcow2');
    assert.equal(await detectDiskFormat(path.join(dir, 'r')), 'raw');
    const port = await findFreePort();
    assert.ok(port > 1024 && port < 65536);
  });
});

describe('the checks input', () => {
  it('parses entries with defaults, regexes and substrings', () => {
    const checks = parseUserChecks(`
- name: kernel
  run: uname -r
  expect-output: /^6\\.\\d+/m
- name: false fails
  run: "false"
  expect-status: 1
  expect-output: plain text
  timeout: 30
`);
    assert.equal(checks.length, 2);
    assert.deepEqual([checks[0].expectStatus, checks[0].timeoutSeconds], [0, 120]);
    assert.ok(checks[0].expectOutput && 'regex' in checks[0].expectOutput);
    assert.deepEqual(checks[1].expectOutput, { substring: 'plain text' });
    assert.equal(checks[1].timeoutSeconds, 30);
    assert.deepEqual(parseUserChecks(''), []);
  });

  it('names the bad entry and what is expected', () => {
    const cases: [string, RegExp][] = [
      ['- name: a\n  run: x\n- name: b\n', /entry 2 \("b"\): 'run' is missing/],
      ['- name: a\n  run: x\n  expect-status: two\n', /entry 1 \("a"\): 'expect-status' is "two"; expected an integer from 0 to 255/],
      ['- name: a\n  run: x\n  expect_output: y\n', /unknown key 'expect_output'/],
      ['- name: a\n  run: x\n- name: a\n  run: y\n', /used twice/],
      ['- name: a\n  run: x\n  expect-output: /(/\n', /not a valid regular expression/],
      ['name: a\nrun: x\n', /not a list/],
      ['- [unclosed', /not valid YAML/],
    ];
    for (const [text, message] of cases) {
      assert.throws(() => parseUserChecks(text), (err: Error) => err instanceof InputError && /^input 'checks'/.test(err.message) && message.test(err.message), text);
    }
  });

  it('judges exit status and output', () => {
    const [check] = parseUserChecks('- name: a\n  run: x\n  expect-output: /ok$/m\n');
    assert.equal(judgeUserCheck(check, 0, 'all ok\n'), undefined);
    assert.match(judgeUserCheck(check, 1, 'all ok\n')!, /exit status 1, expected 0/);
    assert.match(judgeUserCheck(check, 0, 'not good\n')!, /does not match/);
    assert.match(judgeUserCheck(check, null, '')!, /killed/);
  });
});

/** Draws a 1024x768 screen: a background colour, optionally a 32 px panel and some text-like specks. */
async function drawScreen(name: string, background: Rgb, panel?: Rgb, specks = 0): Promise<string> {
  const png = new PNG({ width: 1024, height: 768 });
  for (let y = 0; y < 768; y++) {
    for (let x = 0; x < 1024; x++) {
      const colour = panel && y < 32 ? panel : (x * 7 + y * 13) % 97 < specks ? [200, 200, 200] : background;
      png.data.set([...colour, 255], (y * 1024 + x) * 4);
    }
  }
  const file = path.join(dir, name);
  await writeFile(file, PNG.sync.write(png));
  return file;
}

describe('screen analysis', () => {
  it('tells a blank screen, a console and a desktop with its panel apart', async () => {
    const blank = await readScreen(await drawScreen('blank.png', [0, 0, 0]));
    const console_ = await readScreen(await drawScreen('console.png', [0, 0, 0], undefined, 3));
    const desktop = await readScreen(await drawScreen('desktop.png', [0x00, 0x22, 0x44], [0x40, 0x40, 0x40]));
    const noPanel = await readScreen(await drawScreen('nopanel.png', [0x00, 0x22, 0x44]));
    assert.equal(isBlank(blank), true);
    assert.equal(isBlank(console_), false);
    assert.equal(isBlank(desktop), false);
    assert.ok(differenceRatio(console_, desktop) > 0.9);
    assert.ok(differenceRatio(console_, console_) === 0);
    assert.equal(analyseDesktop(desktop).panelDiffersFromBackground, true);
    assert.deepEqual(analyseDesktop(desktop).background.colour, [0x00, 0x22, 0x44]);
    assert.equal(analyseDesktop(noPanel).panelDiffersFromBackground, false);
  });
});

describe('job summary', () => {
  const report: BootTestReport = {
    result: 'fail', image: 'disk.img', cpus: 2, memoryMiB: 2048, timeoutMultiplier: 1, startedAt: '2026-01-01T00:00:00Z',
    totalSeconds: 99.5, milestones: { kernel: 3.2 },
    accelerator: { requested: 'auto', used: 'tcg', probes: [], reason: 'KVM test boot failed (hung); using software emulation' },
    checks: [
      { id: 'kernel', title: 'kernel starts', verdict: 'pass', deadlineSeconds: 120, finishedAt: 3.2, detail: 'Linux version 6', tried: [] },
      { id: 'sshd', title: 'sshd answers', verdict: 'fail', deadlineSeconds: 480, finishedAt: 99.5, detail: 'no greeting | at all', tried: ['read the greeting'] },
      { id: 'login', title: 'password login', verdict: 'skipped', deadlineSeconds: 180, detail: "not run: 'sshd answers' failed", tried: [] },
    ],
    serialTail: 'last line from the guest',
    artifacts: { report: 'r.json', serialLog: 's.log', qemuLog: 'q.log', failureScreenshot: '/out/failure.png' },
  };

  it('shows the verdict table, accelerator, screenshot, and on failure what was tried and the serial tail', () => {
    const md = renderSummary(report);
    assert.match(md, /## Boot test: ❌ failed/);
    assert.match(md, /accelerator \*\*tcg\*\*/);
    assert.match(md, /\| sshd answers \| ❌ fail \| 99\.5 s \| 8m 00s \| no greeting \\\| at all \|/);
    assert.match(md, /\| password login \| ⏭️ skipped \|/);
    assert.match(md, /- read the greeting/);
    assert.match(md, /last line from the guest/);
    assert.match(md, /Screenshot: `\/out\/failure.png`/);
    assert.match(renderSummary(report, 'https://example/artifacts/1'), /\[artifact\]\(https:\/\/example\/artifacts\/1\)/);
  });
});
