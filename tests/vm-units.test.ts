/**
 * The boot test's parts that need no guest: QEMU's command line, the `checks` input, screen analysis, the
 * summary, reading boot progress from logs, the KVM device check and its udev grant, waitUntil.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PNG } from 'pngjs';
import { InputError, TimeoutError } from '../src/util/errors.js';
import { waitUntil } from '../src/util/poll.js';
import { kvmDeviceProblem } from '../src/vm/accel.js';
import { readBootProgress, visibleLines } from '../src/vm/boot-progress.js';
import { KVM_UDEV_RULE, grantKvmAccess } from '../src/vm/kvm-access.js';
import { buildQemuArgs, cpuModelOf, detectDiskFormat, findFreePort, splitArguments } from '../src/vm/qemu.js';
import { renderSummary, type BootTestReport } from '../src/vm/report.js';
import { analyseDesktop, differenceRatio, isBlank, readScreen, type Rgb } from '../src/vm/screen.js';
import { judgeUserCheck, parseUserChecks } from '../src/vm/user-checks.js';

const dir = `/var/tmp/pizlix-stage-tests/vm-units-${process.pid}`;
before(() => mkdir(dir, { recursive: true }));
after(() => rm(dir, { recursive: true, force: true }));

describe('QEMU command line', () => {
  const spec = {
    image: '/images/disk,1.img',
    format: 'raw' as const,
    snapshot: true,
    accel: 'tcg' as const,
    cpus: 2,
    memoryMiB: 2048,
    sshPort: 40022,
    qmpSocket: '/tmp/q/qmp.sock',
    serialLog: '/out/serial.log',
    firmwareLog: '/out/firmware,log',
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
    assert.ok(
      joined.includes('-chardev file,id=firmware,path=/out/firmware,,log -device isa-debugcon,iobase=0x402,chardev=firmware'),
      'SeaBIOS logs to a file',
    );
    assert.deepEqual(args.slice(args.indexOf('-accel'), args.indexOf('-accel') + 2), ['-accel', 'tcg']);
    assert.ok(!args.includes('-cpu'), "QEMU's default CPU, as Pizlix launches it");
    const host = buildQemuArgs({ ...spec, accel: 'kvm', cpu: 'host' });
    assert.deepEqual(host.slice(host.indexOf('-accel'), host.indexOf('-accel') + 4), ['-accel', 'kvm', '-cpu', 'host']);
  });

  it('finds the -cpu that qemu-args name (the last wins, as in QEMU)', () => {
    assert.equal(cpuModelOf(['-rtc', 'base=utc']), undefined);
    assert.equal(cpuModelOf(['-cpu', 'max', '-smp', '2', '--cpu', 'Skylake-Client']), 'Skylake-Client');
    assert.equal(cpuModelOf(['-cpu']), undefined);
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
      assert.throws(
        () => parseUserChecks(text),
        (err: Error) => err instanceof InputError && /^input 'checks'/.test(err.message) && message.test(err.message),
        text,
      );
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
    result: 'fail',
    image: 'disk.img',
    cpus: 2,
    memoryMiB: 2048,
    timeoutMultiplier: 1,
    startedAt: '2026-01-01T00:00:00Z',
    totalSeconds: 99.5,
    milestones: { kernel: 3.2 },
    accelerator: {
      requested: 'auto',
      used: 'tcg',
      attempts: [],
      kvmSeconds: 16.4,
      reason: "KVM: the kernel printed nothing within 15 s after the boot loader's last output (\"Booting `Pizlix'\") with QEMU's default CPU; used tcg",
    },
    deadlineFactor: 1,
    checks: [
      { id: 'kernel', title: 'kernel starts', verdict: 'pass', deadlineSeconds: 120, finishedAt: 3.2, detail: 'Linux version 6', tried: [] },
      {
        id: 'sshd',
        title: 'sshd answers',
        verdict: 'fail',
        deadlineSeconds: 480,
        finishedAt: 99.5,
        detail: 'no greeting | at all',
        tried: ['read the greeting'],
      },
      { id: 'login', title: 'password login', verdict: 'skipped', deadlineSeconds: 180, detail: "not run: 'sshd answers' failed", tried: [] },
    ],
    serialTail: 'last line from the guest',
    artifacts: {
      report: 'r.json',
      serialLog: 's.log',
      qemuLog: 'q.log',
      firmwareLog: 'f.log',
      kvmAttemptLogs: [],
      kvmAttemptScreens: [],
      failureScreenshot: '/out/failure.png',
    },
  };

  it('shows the verdict table, accelerator, screenshot, and on failure what was tried and the serial tail', () => {
    const md = renderSummary(report);
    assert.match(md, /## Boot test: ❌ failed/);
    assert.match(md, /accelerator \*\*tcg\*\*, 2 CPUs, 2048 MiB, deadlines ×1 for tcg, ×1 \(timeout-multiplier\)/);
    assert.match(
      md,
      /\*\*Accelerator:\*\* KVM: the kernel printed nothing within 15 s after the boot loader's last output .*; used tcg \(16 s spent on KVM before the judged boot\)\./,
    );
    assert.match(md, /\| sshd answers \| ❌ fail \| 99\.5 s \| 8m 00s \| no greeting \\\| at all \|/);
    assert.match(md, /\| password login \| ⏭️ skipped \|/);
    assert.match(md, /- read the greeting/);
    assert.match(md, /last line from the guest/);
    assert.match(md, /Screenshot: `\/out\/failure.png`/);
    assert.match(renderSummary(report, 'https://example/artifacts/1'), /\[artifact\]\(https:\/\/example\/artifacts\/1\)/);
  });
});

describe('how far a guest got (firmware log and serial output)', () => {
  const firmware = 'SeaBIOS (version 1.16.2)\nRunning on KVM\nBooting from Hard Disk...\nBooting from 0000:7c00\n';
  const grubMenu =
    "\x1b[H\x1b[J\x1b[1;1H\x1b[2;24HGNU GRUB  version 2.06\x1b[22;1H   The highlighted entry will be executed automatically in 0s.  \x1b[5;78H\x1b[?25h\x1b[H\x1b[J  Booting `Pizlix'\r\n\r\n";
  const kernel = '[    0.000000] Linux version 6.10.5-lfs-12.2 (gcc 12) #1 SMP\r\n[    0.000000] Command line: root=/dev/sda4\r\n';

  it('names each stage and its evidence', () => {
    assert.deepEqual(readBootProgress('', ''), { stage: 'firmware', evidence: undefined, lastSerialLine: undefined, firmwareLines: 0 });
    assert.equal(readBootProgress('SeaBIOS (version 1.16.2)\nRunning on KVM\n', '').evidence, 'Running on KVM');
    assert.deepEqual(readBootProgress(firmware, ''), {
      stage: 'boot-loader',
      evidence: 'Booting from Hard Disk...',
      lastSerialLine: undefined,
      firmwareLines: 4,
    });
    const grub = readBootProgress(firmware, grubMenu);
    assert.equal(grub.stage, 'boot-loader');
    assert.equal(grub.lastSerialLine, "Booting `Pizlix'", 'terminal escapes are not text');
    assert.deepEqual(
      [readBootProgress(firmware, grubMenu + kernel).stage, readBootProgress(firmware, grubMenu + kernel).evidence],
      ['kernel', 'Linux version 6.10.5-lfs-12.2'],
    );
    const init = readBootProgress(firmware, `${kernel}[    2.1] Run /sbin/init as init process\r\n[    2.2]   with arguments:\r\n`);
    assert.deepEqual([init.stage, init.evidence, init.lastSerialLine], ['userspace', 'Run /sbin/init as init process', 'with arguments:']);
    const panic = readBootProgress(firmware, `${kernel}[    1.9] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)\r\n`);
    assert.equal(panic.stage, 'kernel-stopped');
    assert.equal(
      readBootProgress(`${firmware}Boot failed: not a bootable disk\nNo bootable device.  Retrying in 60 seconds.\n`, '').stage,
      'no-bootable-device',
    );
  });

  it('shows serial output as a person reads it', () => {
    assert.deepEqual(visibleLines(`${grubMenu}${kernel}`), [
      'GNU GRUB  version 2.06',
      'The highlighted entry will be executed automatically in 0s.',
      "Booting `Pizlix'",
      '[    0.000000] Linux version 6.10.5-lfs-12.2 (gcc 12) #1 SMP',
      '[    0.000000] Command line: root=/dev/sda4',
    ]);
  });
});

describe('the KVM device check', () => {
  it('tells a device that opens from a missing one, one without access, and a file that is no device', async () => {
    assert.equal(await kvmDeviceProblem('/dev/null'), undefined);
    assert.match((await kvmDeviceProblem(path.join(dir, 'no-kvm')))!, /^no .*no-kvm on this machine/);
    await writeFile(path.join(dir, 'plain-file'), '');
    assert.match((await kvmDeviceProblem(path.join(dir, 'plain-file')))!, /is not a character device/);
    const readOnly = '/sys/devices/system/cpu/online'; // read-only even for root
    assert.match((await kvmDeviceProblem(readOnly))!, /^no access to \/sys\/devices\/system\/cpu\/online \(EACCES\): .*grant-kvm-access/);
  });

  it("grant-kvm-access installs GitHub's udev rule, reloads udev, triggers the kvm device and waits for access", async () => {
    // A stand-in for udevadm that records its arguments: the real one would change this machine's udev.
    const bin = path.join(dir, 'udev-bin');
    await mkdir(bin, { recursive: true });
    const calls = path.join(dir, 'udevadm-calls');
    await writeFile(path.join(bin, 'udevadm'), `#!/bin/sh\necho "$*" >> ${calls}\n`, { mode: 0o755 });
    const rulesFile = path.join(dir, '99-kvm4all.rules');
    const savedPath = process.env.PATH;
    process.env.PATH = `${bin}:${savedPath}`;
    try {
      assert.match(await grantKvmAccess({ rulesFile, device: '/dev/null' }), /\/dev\/null is now readable and writable/);
      assert.match(await grantKvmAccess({ rulesFile, device: path.join(dir, 'no-kvm'), settleSeconds: 0.5 }), /^installed .*, but no .*no-kvm on this machine/);
    } finally {
      process.env.PATH = savedPath;
    }
    assert.equal(await readFile(rulesFile, 'utf8'), `${KVM_UDEV_RULE}\n`);
    assert.equal(KVM_UDEV_RULE, 'KERNEL=="kvm", GROUP="kvm", MODE="0666", OPTIONS+="static_node=kvm"');
    assert.deepEqual((await readFile(calls, 'utf8')).trim().split('\n'), [
      'control --reload-rules',
      'trigger --name-match=kvm',
      'control --reload-rules',
      'trigger --name-match=kvm',
    ]);
    assert.match(await grantKvmAccess({ rulesFile: path.join(dir, 'no-such-dir', 'x.rules'), device: '/dev/null' }), /^could not install the udev rule/);
  });
});

describe('waitUntil', () => {
  it('returns the first value, tries again on undefined, and ends at once on an error', async () => {
    let tries = 0;
    assert.equal(await waitUntil({ what: 'three tries', timeoutSeconds: 5, intervalMs: 10, attempt: () => (++tries === 3 ? 'done' : undefined) }), 'done');
    assert.equal(tries, 3);
    await assert.rejects(
      waitUntil({
        what: 'x',
        timeoutSeconds: 5,
        intervalMs: 10,
        attempt: () => {
          throw new Error('guest died');
        },
      }),
      /guest died/,
    );
  });

  it('times out with what was awaited and the last state seen', async () => {
    let tries = 0;
    await assert.rejects(
      waitUntil({ what: 'the SSH greeting', timeoutSeconds: 0.2, intervalMs: 50, attempt: () => void tries++, lastState: () => `${tries} attempts` }),
      (err: Error) => err instanceof TimeoutError && /^waiting for the SSH greeting \(\d+ attempts\) did not finish within 0\.2 s$/.test(err.message),
    );
    assert.ok(tries >= 2);
  });
});
