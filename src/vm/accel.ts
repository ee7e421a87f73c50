/**
 * Choosing the accelerator. `/dev/kvm` is not trusted: on some machines it exists and answers
 * its API, yet a guest hangs. The only proof is a test boot with a deadline: a tiny guest with no
 * disk whose firmware (SeaBIOS) must run its whole power-on self test — its log, written to the
 * debug console port 0x402, must reach "No bootable device." The same probe succeeds under software
 * emulation in a few seconds, so a failure means the accelerator, not the probe.
 */
import { constants } from 'node:fs';
import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { formatDuration } from '../util/format.js';
import { log } from '../util/log.js';
import { killProcessGroup, launchInOwnProcessGroup, type Accelerator } from './qemu.js';

export type AcceleratorChoice = Accelerator | 'auto';

export interface ProbeResult {
  accel: Accelerator;
  works: boolean;
  seconds: number;
  /** Why it does not work (or what proved that it does). */
  detail: string;
}

export interface AcceleratorDecision {
  requested: AcceleratorChoice;
  used: Accelerator;
  probes: ProbeResult[];
  reason: string;
}

export class AcceleratorUnavailableError extends Error {
  constructor(readonly probe: ProbeResult) {
    super(`accel 'kvm' was requested but KVM does not work here: ${probe.detail}; use accel 'auto' or 'tcg' for software emulation`);
    this.name = 'AcceleratorUnavailableError';
  }
}

/** The firmware's last words when it has run its whole self test and found nothing to boot. */
const FIRMWARE_FINISHED = /No bootable device/;

export interface ProbeOptions {
  qemuBinary: string;
  deadlineSeconds: number;
}

/** Boots a disk-less guest under `accel` and reports whether its firmware finished within the deadline. */
export async function probeAccelerator(accel: Accelerator, options: ProbeOptions): Promise<ProbeResult> {
  const started = Date.now();
  const result = (works: boolean, detail: string): ProbeResult => ({ accel, works, seconds: (Date.now() - started) / 1000, detail });
  if (accel === 'kvm') {
    try {
      await access('/dev/kvm', constants.R_OK | constants.W_OK);
    } catch {
      return result(false, '/dev/kvm is missing or not readable and writable by this user');
    }
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), `pizlix-accel-${accel}-`));
  const firmwareLog = path.join(dir, 'firmware.log');
  const qemuLog = path.join(dir, 'qemu.log');
  const args = [
    '-accel', accel, '-nodefaults', '-display', 'none', '-m', '64',
    '-chardev', `file,id=firmware,path=${firmwareLog}`,
    '-device', 'isa-debugcon,iobase=0x402,chardev=firmware',
  ];
  const child = await launchInOwnProcessGroup(options.qemuBinary, args, qemuLog);
  let exited = false;
  child.once('exit', () => (exited = true));
  try {
    const deadline = started + options.deadlineSeconds * 1000;
    while (Date.now() < deadline) {
      if (FIRMWARE_FINISHED.test(await readText(firmwareLog))) {
        return result(true, `the firmware finished its self test in ${formatDuration((Date.now() - started) / 1000)}`);
      }
      if (exited) {
        const why = (await readText(qemuLog)).trim().split('\n').slice(-2).join(' ');
        return result(false, `QEMU exited: ${why || `status ${child.exitCode}`}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const reached = (await readText(firmwareLog)).trim().split('\n').filter(Boolean).length;
    return result(false, `the test guest hung: no firmware self test within ${options.deadlineSeconds} s (${reached} firmware log lines)`);
  } finally {
    await killProcessGroup(child, 500);
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * `auto`: KVM only when its probe passes, else software emulation. `kvm`: the probe must pass, or
 * AcceleratorUnavailableError at once. `tcg`: no probe.
 */
export async function chooseAccelerator(requested: AcceleratorChoice, options: ProbeOptions): Promise<AcceleratorDecision> {
  if (requested === 'tcg') return { requested, used: 'tcg', probes: [], reason: 'software emulation was requested' };
  const probe = await probeAccelerator('kvm', options);
  log.info(`KVM probe: ${probe.works ? 'works' : 'does not work'} (${probe.detail})`);
  if (probe.works) return { requested, used: 'kvm', probes: [probe], reason: `KVM test boot passed: ${probe.detail}` };
  if (requested === 'kvm') throw new AcceleratorUnavailableError(probe);
  return { requested, used: 'tcg', probes: [probe], reason: `KVM test boot failed (${probe.detail}); using software emulation` };
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return '';
  }
}
