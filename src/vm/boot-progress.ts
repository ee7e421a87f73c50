/**
 * How far a guest got, read from what it wrote: the firmware's log (SeaBIOS on the debug port 0x402)
 * and the serial port (the boot loader's menu, then the kernel's console). Pure functions of the two
 * texts, so every stage can be tested with strings.
 */

export type BootStage =
  /** The firmware has not handed over to a boot loader (yet). */
  | 'firmware'
  /** The firmware ran to its end and found nothing to boot. */
  | 'no-bootable-device'
  /** The firmware handed over; the kernel has not printed its banner. */
  | 'boot-loader'
  /** The kernel printed its banner and has not started init. */
  | 'kernel'
  /** The kernel ran and stopped for a reason of the image (a panic, no root device): the CPU works. */
  | 'kernel-stopped'
  /** The kernel started init: the guest reached userspace. */
  | 'userspace';

export interface BootProgress {
  stage: BootStage;
  /** The line that shows the stage ("Run /sbin/init as init process", "Booting from Hard Disk..."). */
  evidence?: string;
  /** The last line of serial output, without terminal escapes (GRUB draws its menu with them). */
  lastSerialLine?: string;
  firmwareLines: number;
}

const USERSPACE = /Run \S+ as init process/;
const KERNEL_STOPPED = /Kernel panic - not syncing.*|Waiting for root device.*|VFS: Cannot open root device.*/;
const KERNEL_BANNER = /Linux version \d\S*/;
const FIRMWARE_HANDED_OVER = /^Booting from .*/m;
const NO_BOOTABLE_DEVICE = /No bootable device/;

export function readBootProgress(firmwareLog: string, serial: string): BootProgress {
  const lines = visibleLines(serial).map((l) => l.replace(/^\[\s*\d+\.\d+\]\s*/, ''));
  const firmwareLines = firmwareLog.split('\n').filter((l) => l.trim()).length;
  const base = { lastSerialLine: lines.at(-1), firmwareLines };
  const found = (pattern: RegExp) => lines.find((l) => pattern.test(l));
  const userspace = found(USERSPACE);
  if (userspace) return { stage: 'userspace', evidence: userspace, ...base };
  const stopped = found(KERNEL_STOPPED);
  if (stopped) return { stage: 'kernel-stopped', evidence: stopped, ...base };
  const banner = found(KERNEL_BANNER);
  if (banner) return { stage: 'kernel', evidence: KERNEL_BANNER.exec(banner)![0], ...base };
  // Before the handover: SeaBIOS logs "Booting from Hard Disk..." for each device it tries in vain.
  if (NO_BOOTABLE_DEVICE.test(firmwareLog)) return { stage: 'no-bootable-device', ...base };
  const handover = FIRMWARE_HANDED_OVER.exec(firmwareLog)?.[0].trim();
  if (handover || lines.length) return { stage: 'boot-loader', evidence: handover, ...base };
  return { stage: 'firmware', evidence: lastLine(firmwareLog), ...base };
}

/** Serial output as a person would read it: terminal escapes and carriage returns removed, no blank lines. */
export function visibleLines(serial: string): string[] {
  return (
    serial
      // eslint-disable-next-line no-control-regex -- terminal escape sequences are exactly what this strips
      .replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\x1b[=>]/g, '\n')
      .split(/\r?\n|\r/)
      .map((l) => l.trim())
      .filter(Boolean)
  );
}

function lastLine(text: string): string | undefined {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .at(-1);
}
