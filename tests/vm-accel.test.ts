/**
 * The accelerator probe on this machine (run under `flock /tmp/qemu.lock`): the same test boot that
 * passes under software emulation must fail for KVM here, so `auto` picks emulation and `kvm`
 * fails fast. A guest whose CPU never runs (QEMU's -S) stands in for a hung KVM guest.
 */
import assert from 'node:assert/strict';
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AcceleratorUnavailableError, chooseAccelerator, probeAccelerator } from '../src/vm/accel.js';

const dir = `/var/tmp/pizlix-stage-tests/vm-accel-${process.pid}`;
const qemuBinary = 'qemu-system-x86_64';
before(() => mkdir(dir, { recursive: true }));
after(() => rm(dir, { recursive: true, force: true }));

describe('accelerator probe', () => {
  it('passes under software emulation: the firmware finishes its self test within the deadline', async () => {
    const probe = await probeAccelerator('tcg', { qemuBinary, deadlineSeconds: 20 });
    assert.equal(probe.works, true, probe.detail);
    assert.ok(probe.seconds < 20);
  });

  it('reports a hung guest at its deadline, and leaves no QEMU behind', async () => {
    // QEMU with -S never starts the virtual CPU: the guest hangs exactly like a broken KVM does.
    const hanging = path.join(dir, 'qemu-hanging');
    await writeFile(hanging, `#!/bin/sh\nexec ${qemuBinary} "$@" -S\n`);
    await chmod(hanging, 0o755);
    const started = Date.now();
    const probe = await probeAccelerator('tcg', { qemuBinary: hanging, deadlineSeconds: 4 });
    assert.equal(probe.works, false);
    assert.match(probe.detail, /hung/);
    assert.ok((Date.now() - started) / 1000 < 4 + 6, 'stopped soon after the deadline');
    const { capture } = await import('../src/util/exec.js');
    const left = await capture('pgrep', ['-f', `firmware,path=/tmp/pizlix-accel-tcg-`]);
    assert.equal(left.stdout.trim(), '', 'no probe QEMU is left running');
  });

  it("'auto' picks software emulation on this machine and says why", async () => {
    const decision = await chooseAccelerator('auto', { qemuBinary, deadlineSeconds: 10 });
    assert.equal(decision.used, 'tcg');
    assert.equal(decision.probes.length, 1);
    assert.equal(decision.probes[0].works, false);
    assert.match(decision.reason, /KVM test boot failed/);
  });

  it("'kvm' fails fast with a clear message", async () => {
    const started = Date.now();
    await assert.rejects(chooseAccelerator('kvm', { qemuBinary, deadlineSeconds: 10 }), (err: Error) => {
      assert.ok(err instanceof AcceleratorUnavailableError);
      assert.match(err.message, /accel 'kvm' was requested but KVM does not work here: .+; use accel 'auto' or 'tcg'/);
      return true;
    });
    assert.ok((Date.now() - started) / 1000 < 10 + 6);
  });

  it("'tcg' needs no probe", async () => {
    assert.deepEqual((await chooseAccelerator('tcg', { qemuBinary, deadlineSeconds: 10 })).probes, []);
  });
});
