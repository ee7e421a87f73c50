/**
 * Test doubles for QEMU that reproduce each KVM state seen on this project's machines, on any
 * machine: a wrapper script, passed as the QEMU binary (or put first on PATH), that runs the real
 * QEMU and, when asked for `-accel kvm`, runs software emulation instead in a way that fails the
 * way a broken KVM does. Together with a KVM device path that opens (`/dev/null`), a missing one or
 * one that refuses this user, the tests assert `auto`, `kvm` and `tcg` on every state without
 * depending on what the host's KVM does.
 */
import { chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { which } from '../../src/util/exec.js';

export type KvmDoubleState = 'works' | 'hangs-in-firmware' | 'hangs-after-boot-loader';

/** What the double adds to a `-accel kvm` command line (turned into `-accel tcg`). */
const STATE_ARGS: Record<KvmDoubleState, { args: string; why: string }> = {
  works: { args: '', why: 'software emulation stands in for a KVM that works' },
  // The virtual CPU never starts: the firmware logs nothing, like a guest hung in its first instructions.
  'hangs-in-firmware': { args: '-S', why: 'the virtual CPU never starts (-S)' },
  // A 32-bit CPU: SeaBIOS and GRUB run, the 64-bit kernel never prints. A `-cpu` of the caller's
  // (the `-cpu host` attempt) is kept, and QEMU refuses it under TCG, as KVM refuses it on some hosts.
  'hangs-after-boot-loader': { args: '-cpu qemu32', why: 'a CPU without long mode (-cpu qemu32) unless a -cpu is given' },
};

/** A device path that opens for reading and writing, so the KVM device check passes. */
export const KVM_DEVICE_THAT_OPENS = '/dev/null';
/** A sysfs attribute that is read-only even for root: opening it to write fails with EACCES. */
export const KVM_DEVICE_WITHOUT_ACCESS = '/sys/devices/system/cpu/online';

export interface QemuDouble {
  /** The wrapper script: pass it as the QEMU binary. */
  binary: string;
  /** Its directory: put it first on PATH to make it `qemu-system-x86_64` for a child process. */
  binDir: string;
}

export async function makeQemuDouble(dir: string, state: KvmDoubleState): Promise<QemuDouble> {
  const real = await which('qemu-system-x86_64');
  if (!real) throw new Error('qemu-system-x86_64 is not on PATH');
  const binDir = path.join(dir, `qemu-${state}`);
  await mkdir(binDir, { recursive: true });
  const binary = path.join(binDir, 'qemu-system-x86_64');
  const { args, why } = STATE_ARGS[state];
  const keepsCallersCpu = state === 'hangs-after-boot-loader';
  await writeFile(
    binary,
    `#!/bin/sh
# QEMU test double, KVM state "${state}": asked for -accel kvm, runs ${real} under TCG; ${why}.
kvm= prev= cpu=
for arg in "$@"; do
  shift
  if [ "$prev" = -accel ] && [ "$arg" = kvm ]; then arg=tcg; kvm=1; fi
  [ "$arg" = -cpu ] && cpu=1
  set -- "$@" "$arg"
  prev=$arg
done
if [ -n "$kvm" ]${keepsCallersCpu ? ' && [ -z "$cpu" ]' : ''}; then exec ${real} "$@" ${args}; fi
exec ${real} "$@"
`,
  );
  await chmod(binary, 0o755);
  return { binary, binDir };
}

/** The pids of QEMU processes whose command line names `outputDir`: none may outlive a test's run. */
export async function qemuProcessesUsing(outputDir: string): Promise<number[]> {
  const pids: number[] = [];
  for (const pid of (await readdir('/proc')).filter((p) => /^\d+$/.test(p))) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes('qemu-system') && cmdline.includes(outputDir)) pids.push(Number(pid));
  }
  return pids;
}
