/**
 * QEMU as Pizlix's launch script runs it, made headless: the command line, a free loopback port
 * for the SSH forward, and launching in a process group of its own so that stopping the guest
 * (src/util/process-group.ts) can never leave a QEMU (or a helper it spawned) behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { open } from 'node:fs/promises';
import net from 'node:net';
import { InputError } from '../util/errors.js';

export type Accelerator = 'kvm' | 'tcg';
export type DiskFormat = 'raw' | 'qcow2';

export interface QemuLaunchSpec {
  /** Whole-disk image (raw or qcow2); attached as the first IDE disk, like Pizlix's launch script. */
  image: string;
  format: DiskFormat;
  /** Keep the image pristine: QEMU writes to a temporary overlay instead (`snapshot=on`). */
  snapshot: boolean;
  accel: Accelerator;
  /** `-cpu` model; QEMU's default when absent (as Pizlix's launch script runs it). */
  cpu?: string;
  cpus: number;
  memoryMiB: number;
  /** Host loopback port forwarded to the guest's port 22. */
  sshPort: number;
  qmpSocket: string;
  serialLog: string;
  /** Where the firmware's own log (SeaBIOS writes it to the debug port 0x402) goes. */
  firmwareLog: string;
  /** Direct kernel boot (optional): handy for images without a boot loader. */
  kernel?: string;
  initrd?: string;
  append?: string;
  extraArgs?: string[];
}

/**
 * The command line. Mirrors `launch_qemu` (default `pc` machine so the disk is IDE `/dev/sda`,
 * `-net nic` = e1000, virtio-vga at 1024x768) with the interactive parts replaced: no window,
 * the serial port to a file, a QMP socket for screenshots, SSH forwarded from loopback only, and the
 * firmware's debug log to a file.
 */
export function buildQemuArgs(spec: QemuLaunchSpec): string[] {
  const drive = [`file=${escapeOptionValue(spec.image)}`, `format=${spec.format}`];
  if (spec.snapshot) drive.push('snapshot=on');
  const args = [
    '-drive',
    drive.join(','),
    '-m',
    `${spec.memoryMiB}M`,
    '-smp',
    String(spec.cpus),
    '-net',
    'nic',
    '-net',
    `user,hostfwd=tcp:127.0.0.1:${spec.sshPort}-:22`,
    '-device',
    'virtio-vga,xres=1024,yres=768',
    '-display',
    'none',
    '-accel',
    spec.accel,
    ...(spec.cpu ? ['-cpu', spec.cpu] : []),
    '-serial',
    `file:${spec.serialLog}`,
    // The firmware's log tells a guest hung in the firmware from one that handed over to its boot loader.
    '-chardev',
    `file,id=firmware,path=${escapeOptionValue(spec.firmwareLog)}`,
    '-device',
    'isa-debugcon,iobase=0x402,chardev=firmware',
    '-qmp',
    `unix:${spec.qmpSocket},server=on,wait=off`,
    '-monitor',
    'none',
  ];
  if (spec.kernel) args.push('-kernel', spec.kernel);
  if (spec.initrd) args.push('-initrd', spec.initrd);
  if (spec.append !== undefined) args.push('-append', spec.append);
  return [...args, ...(spec.extraArgs ?? [])];
}

/** The `-cpu` model that extra arguments name, if any (the last one wins, as in QEMU). */
export function cpuModelOf(args: string[]): string | undefined {
  let model: string | undefined;
  args.forEach((arg, i) => {
    if ((arg === '-cpu' || arg === '--cpu') && i + 1 < args.length) model = args[i + 1];
  });
  return model;
}

/** QEMU's option syntax doubles a comma to keep it inside a value. */
function escapeOptionValue(value: string): string {
  return value.replaceAll(',', ',,');
}

/** Recognises qcow2 by its magic bytes ("QFI\xfb"); anything else is treated as a raw disk. */
export async function detectDiskFormat(image: string): Promise<DiskFormat> {
  const handle = await open(image, 'r');
  try {
    const magic = Buffer.alloc(4);
    await handle.read(magic, 0, 4, 0);
    return magic.equals(Buffer.from([0x51, 0x46, 0x49, 0xfb])) ? 'qcow2' : 'raw';
  } finally {
    await handle.close();
  }
}

/** A loopback TCP port nobody listens on right now (the kernel picks it; we release it at once). */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Splits the `qemu-args` input into arguments: whitespace separates, single or double quotes keep
 * spaces inside one argument. No other shell syntax is interpreted.
 */
export function splitArguments(text: string): string[] {
  const args: string[] = [];
  let current = '';
  let inArg = false;
  let quote: '"' | "'" | undefined;
  for (const ch of text) {
    if (quote) {
      if (ch === quote) quote = undefined;
      else current += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inArg = true;
    } else if (/\s/.test(ch)) {
      if (inArg) args.push(current);
      current = '';
      inArg = false;
    } else {
      current += ch;
      inArg = true;
    }
  }
  if (quote) throw new InputError('qemu-args', `unterminated ${quote} quote`, 'balanced quotes');
  if (inArg) args.push(current);
  return args;
}

/** Starts QEMU as the leader of a new process group, its stdout and stderr appended to `logFile`. */
export async function launchInOwnProcessGroup(binary: string, args: string[], logFile: string): Promise<ChildProcess> {
  const log = await open(logFile, 'a');
  try {
    const child = spawn(binary, args, { detached: true, stdio: ['ignore', log.fd, log.fd] });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    return child;
  } finally {
    await log.close();
  }
}
