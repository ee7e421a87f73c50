/**
 * The accelerator choice on every KVM state, whatever this machine's KVM does (run under
 * `flock /var/tmp/pizlix-heavy.lock`: it boots guests). Each state is reproduced: no KVM device and
 * no access to it by pointing the device check elsewhere; a KVM that hangs in the firmware, one that
 * hangs after the boot loader, and one that works by QEMU doubles (tests/harness/qemu-double.ts) that
 * run software emulation when asked for KVM. On each, `auto`, `kvm` and `tcg` are asserted on the
 * fixture's disk image (GRUB and a 64-bit Debian kernel, as a Pizlix image has).
 */
import assert from 'node:assert/strict';
import { mkdir, open, readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  AcceleratorUnavailableError,
  KVM_PROOF_LIMITS,
  chooseAccelerator,
  type AcceleratorChoice,
  type AcceleratorChoiceResult,
  type KvmProofLimits,
} from '../src/vm/accel.js';
import { Machine } from '../src/vm/machine.js';
import type { Accelerator } from '../src/vm/qemu.js';
import { debianFixtureImage } from './harness/debian-fixture.js';
import { KVM_DEVICE_THAT_OPENS, KVM_DEVICE_WITHOUT_ACCESS, makeQemuDouble, qemuProcessesUsing, type KvmDoubleState } from './harness/qemu-double.js';
import { makeTestDir, type TestDir } from './harness/workdir.js';

let dir: TestDir;
let image: string;
let runs = 0;

before(async () => {
  dir = await makeTestDir('vm-accel');
  image = (await debianFixtureImage(path.join(dir.path, 'image'))).image;
});
after(async () => {
  await dir?.remove();
});

interface KvmSetup {
  qemuBinary: string;
  kvmDevice: string;
}

/** Chooses for `requested`; stops whatever guest the choice powered on; returns the choice or the error. */
async function choose(
  setup: KvmSetup & { limits?: KvmProofLimits },
  requested: AcceleratorChoice,
): Promise<{ choice?: AcceleratorChoiceResult; error?: AcceleratorUnavailableError; seconds: number }> {
  const outputDir = path.join(dir.path, `run-${++runs}`);
  const started = Date.now();
  const machineFor = (accel: Accelerator, cpu?: string) =>
    new Machine({
      image,
      accel,
      cpu,
      cpus: 1,
      memoryMiB: 1024,
      outputDir,
      qemuBinary: setup.qemuBinary,
      credentials: { username: 'pizlo', password: 'pizlo' },
    });
  await mkdir(outputDir, { recursive: true });
  try {
    const choice = await chooseAccelerator({ requested, machineFor, kvmDevice: setup.kvmDevice, limits: setup.limits });
    if (choice.poweredOn) await choice.guest.shutdown();
    return { choice, seconds: (Date.now() - started) / 1000 };
  } catch (err) {
    if (!(err instanceof AcceleratorUnavailableError)) throw err;
    return { error: err, seconds: (Date.now() - started) / 1000 };
  } finally {
    assert.deepEqual(await qemuProcessesUsing(outputDir), [], 'no QEMU of this choice is left running');
  }
}

/** `auto` falls back to TCG saying why; `kvm` fails with the same finding; `tcg` never tries KVM. Returns auto's choice. */
async function assertKvmFails(setup: KvmSetup, finding: RegExp): Promise<AcceleratorChoiceResult> {
  const auto = await choose(setup, 'auto');
  assert.equal(auto.choice?.decision.used, 'tcg', auto.choice?.decision.reason);
  assert.equal(auto.choice.poweredOn, false, 'the emulated guest is powered on afresh: no deadline is spent on the hung one');
  assert.match(auto.choice.decision.reason, finding);
  assert.match(auto.choice.decision.reason, /^KVM: .*; used tcg$/);
  for (const attempt of auto.choice.decision.attempts) {
    assert.ok(attempt.seconds <= KVM_PROOF_LIMITS.budgetSeconds + 1, `attempt ${attempt.cpu} kept to the proof's budget (${attempt.seconds} s)`);
  }

  const kvm = await choose(setup, 'kvm');
  assert.ok(kvm.error, 'accel kvm fails');
  assert.match(kvm.error.message, /^accel 'kvm' was requested but KVM does not work here: .+; use accel 'auto' or 'tcg'/);
  assert.match(kvm.error.message, finding);
  assert.equal(kvm.error.decision.used, 'none');
  assert.ok(kvm.seconds < auto.seconds + 10, `kvm failed as fast as auto gave up on KVM (${kvm.seconds} s vs ${auto.seconds} s)`);

  const tcg = await choose(setup, 'tcg');
  assert.equal(tcg.choice?.decision.used, 'tcg');
  assert.deepEqual(tcg.choice.decision.attempts, []);
  return auto.choice;
}

async function double(state: KvmDoubleState): Promise<KvmSetup> {
  return { qemuBinary: (await makeQemuDouble(dir.path, state)).binary, kvmDevice: KVM_DEVICE_THAT_OPENS };
}

describe('the accelerator on each KVM state', () => {
  it('no KVM device: auto says "no /dev/kvm" and uses tcg at once; kvm fails naming it', async () => {
    const setup = { qemuBinary: 'qemu-system-x86_64', kvmDevice: path.join(dir.path, 'no-such-kvm') };
    const auto = await assertKvmFails(setup, /no .*no-such-kvm on this machine/);
    assert.deepEqual(auto.decision.attempts, [], 'no guest was tried under KVM');
  });

  it('a KVM device this user may not open: "no access", not "hangs"', async (t) => {
    const probe = await open(KVM_DEVICE_WITHOUT_ACCESS, 'r+').then(
      (h) => h.close().then(() => 'opened'),
      (err: NodeJS.ErrnoException) => err.code,
    );
    if (probe !== 'EACCES')
      return t.skip(`${KVM_DEVICE_WITHOUT_ACCESS} does not refuse writing here (${probe}), so it cannot stand in for a /dev/kvm without access`);
    await assertKvmFails({ qemuBinary: 'qemu-system-x86_64', kvmDevice: KVM_DEVICE_WITHOUT_ACCESS }, /no access to .* \(EACCES\)/);
  });

  it('KVM that hangs in the firmware: the guest is stopped and tcg used; -cpu host is tried too', async () => {
    const setup = await double('hangs-in-firmware');
    const auto = await assertKvmFails(setup, /QEMU's default CPU: the guest hung in the firmware: it logged nothing within 15 s of power-on/);
    assert.deepEqual(
      auto.decision.attempts.map((a) => [a.cpu, a.reached]),
      [
        ['default', 'firmware'],
        ['host', 'qemu-exited'],
      ],
    );
    assert.match(auto.decision.reason, /-cpu host: QEMU exited \(status 1\): .*host/);
    for (const attempt of auto.decision.attempts) {
      assert.ok(attempt.logs && (await readFile(attempt.logs.qemuLog, 'utf8')).includes('-accel kvm'), "the attempt's logs are kept");
    }
  });

  it('KVM that hangs after the boot loader: "the kernel printed nothing … after the boot loader\'s last output"', async () => {
    const setup = await double('hangs-after-boot-loader');
    const auto = await assertKvmFails(
      setup,
      /QEMU's default CPU: the kernel printed nothing within 15 s after the boot loader's last output \("Booting `Pizlix/,
    );
    const [first] = auto.decision.attempts;
    assert.equal(first.reached, 'boot-loader');
    assert.match(await readFile(first.logs!.firmwareLog, 'latin1'), /Booting from Hard Disk/, 'the firmware handed over');
  });

  it("KVM that works: auto and kvm keep the very guest that reached userspace, with QEMU's default CPU", async () => {
    // Software emulation stands in for KVM here, and it is slow: GRUB loads the Debian initrd for many
    // seconds without printing. Limits a working KVM never needs keep this test off the quiet deadline.
    const setup = { ...(await double('works')), limits: { quietSeconds: 120, budgetSeconds: 300 } };
    for (const requested of ['auto', 'kvm'] as const) {
      const { choice } = await choose(setup, requested);
      assert.equal(choice?.decision.used, 'kvm', choice?.decision.reason);
      assert.equal(choice.poweredOn, true, 'the proven guest goes on to the checks');
      assert.equal(choice.decision.cpu, 'default');
      assert.deepEqual(
        choice.decision.attempts.map((a) => [a.cpu, a.works, a.reached]),
        [['default', true, 'userspace']],
      );
      assert.match(
        choice.decision.reason,
        /^KVM: the kernel reached userspace [\d.]+ s after power-on \("Run \/init as init process"\) with QEMU's default CPU; used kvm$/,
      );
    }
    const tcg = await choose(setup, 'tcg');
    assert.equal(tcg.choice?.decision.used, 'tcg');
  });
});
