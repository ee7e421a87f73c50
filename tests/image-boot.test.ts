/**
 * The image boots: QEMU under software emulation (TCG, so that no machine's KVM decides) runs GRUB from
 * the MBR, GRUB loads the kernel from p4 with Pizlix's command line, and init remounts the root
 * read-write. Both the raw disk.img and the streamOptimized VMDK (after `qemu-img check`).
 *
 * Snapshot: $PIZLIX_TEST_GUI_SNAPSHOT, default the Debian fixture's gui stage (built through the stage
 * action into its persistent local store on first use). Deadline per boot: $PIZLIX_TEST_BOOT_SECONDS (180).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildDiskImage, type DiskImageResult } from '../src/image/build.js';
import { errorMessage } from '../src/util/errors.js';
import { run } from '../src/util/exec.js';
import { waitUntil } from '../src/util/poll.js';
import { stopProcessGroup } from '../src/util/process-group.js';
import { DEBIAN_FIXTURE, debianFixtureSnapshot } from './harness/debian-fixture.js';
import { makeTestDir, type TestDir } from './harness/workdir.js';

const DEADLINE_SECONDS = Number(process.env.PIZLIX_TEST_BOOT_SECONDS || 180);

/** GRUB handed the kernel Pizlix's command line (the kernel echoes it on the serial console). */
const KERNEL_CMDLINE = /Kernel command line:.*root=\/dev\/sda4/;
/** Init ran and remounted the root read-write: the kernel's own line, which reaches the serial port
 *  even when init's messages go to tty0 only (6.1: "re-mounted. Quota mode", 6.4+: "re-mounted <uuid> r/w"). */
const ROOT_REMOUNTED_RW = /EXT4-fs \(sda4\): re-mounted(?! [0-9a-f-]+ ro\b)/;

interface BootOutcome {
  seconds: number;
  serial: string;
}

/** Boots `disk` until both markers appear on the serial log or the deadline passes; always stops QEMU. */
async function bootUntilRootRemounted(disk: string, format: 'raw' | 'vmdk', serialLog: string): Promise<BootOutcome> {
  const args = [
    '-accel',
    'tcg',
    '-m',
    '1024',
    '-drive',
    `file=${disk},format=${format},snapshot=on`,
    '-display',
    'none',
    '-serial',
    `file:${serialLog}`,
    '-net',
    'none',
    '-no-reboot',
  ];
  const qemu = spawn('qemu-system-x86_64', args, { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  qemu.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  let exited = false;
  qemu.on('exit', () => (exited = true));
  const started = Date.now();
  let serial = '';
  try {
    return await waitUntil({
      what: `${path.basename(disk)} to boot to a read-write root`,
      timeoutSeconds: DEADLINE_SECONDS,
      intervalMs: 500,
      attempt: async () => {
        serial = await readFile(serialLog, 'utf8').catch(() => '');
        if (KERNEL_CMDLINE.test(serial) && ROOT_REMOUNTED_RW.test(serial)) return { seconds: (Date.now() - started) / 1000, serial };
        if (exited) throw new Error('QEMU exited');
        return undefined;
      },
    });
  } catch (err) {
    const tailLines = serial.trimEnd().split('\n').slice(-25).join('\n');
    throw new assert.AssertionError({
      message: `${errorMessage(err)} (QEMU ${exited ? 'exited' : 'still running'}${stderr ? `: ${stderr.trim()}` : ''}); serial log tail:\n${tailLines}`,
    });
  } finally {
    await stopProcessGroup(qemu, { graceMs: 1000 });
  }
}

describe('disk image boots in QEMU', () => {
  let dir: TestDir;
  let result: DiskImageResult;

  before(async () => {
    dir = await makeTestDir('image-boot');
    const snapshot = process.env.PIZLIX_TEST_GUI_SNAPSHOT || (await debianFixtureSnapshot('gui')).file;
    result = await buildDiskImage({ snapshot, outputDir: path.join(dir.path, 'out'), pizlixDir: path.join(DEBIAN_FIXTURE, 'pizlix'), vmdk: 'stream' });
  });

  after(async () => {
    await dir?.remove();
  });

  it('raw disk.img boots through GRUB to the kernel and init', async () => {
    const boot = await bootUntilRootRemounted(result.image, 'raw', path.join(dir.path, 'serial-raw.log'));
    assert.match(boot.serial, /Kernel command line:.*console=ttyS0,115200 console=tty0 net\.ifnames=0/);
    process.stdout.write(`# raw image reached a read-write root in ${boot.seconds.toFixed(1)} s\n`);
  });

  it('streamOptimized disk.vmdk passes qemu-img check and boots the same way', async () => {
    await run('qemu-img', ['check', '-f', 'vmdk', result.vmdk!]);
    const info = JSON.parse(await run('qemu-img', ['info', '--output=json', result.vmdk!])) as {
      'format-specific'?: { data?: { 'create-type'?: string } };
      'virtual-size': number;
    };
    assert.equal(info['format-specific']?.data?.['create-type'], 'streamOptimized');
    assert.equal(info['virtual-size'], result.imageBytes);
    const boot = await bootUntilRootRemounted(result.vmdk!, 'vmdk', path.join(dir.path, 'serial-vmdk.log'));
    process.stdout.write(`# streamOptimized VMDK reached a read-write root in ${boot.seconds.toFixed(1)} s\n`);
  });
});
