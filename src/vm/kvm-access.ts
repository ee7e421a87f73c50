/**
 * Giving the runner user /dev/kvm on GitHub's hosted Linux runners. Their kernels offer KVM, but the
 * device belongs to root and group kvm, and the runner user is in neither; GitHub's documented remedy
 * is a udev rule that opens the device to everyone, applied at once with udevadm.
 */
import { writeFile } from 'node:fs/promises';
import { errorMessage } from '../util/errors.js';
import { run } from '../util/exec.js';
import { log } from '../util/log.js';
import { waitUntil } from '../util/poll.js';
import { KVM_DEVICE, kvmDeviceProblem } from './accel.js';

export const KVM_UDEV_RULE = 'KERNEL=="kvm", GROUP="kvm", MODE="0666", OPTIONS+="static_node=kvm"';
export const KVM_UDEV_RULES_FILE = '/etc/udev/rules.d/99-kvm4all.rules';

export interface KvmAccessOptions {
  rulesFile?: string;
  device?: string;
  /** How long to wait for udev to apply the rule. */
  settleSeconds?: number;
}

/**
 * Installs the rule and triggers udev (through `sudo -n` unless root), then waits until the device
 * opens. Never throws: what happened is returned (and logged), and the accelerator choice reports
 * "no access" on its own when the grant did not work.
 */
export async function grantKvmAccess(options: KvmAccessOptions = {}): Promise<string> {
  const rulesFile = options.rulesFile ?? KVM_UDEV_RULES_FILE;
  const device = options.device ?? KVM_DEVICE;
  const asRoot = process.getuid?.() === 0;
  const privileged = (command: string, args: string[], input?: string) =>
    asRoot ? run(command, args, { input }) : run('sudo', ['-n', command, ...args], { input });
  try {
    if (asRoot) await writeFile(rulesFile, `${KVM_UDEV_RULE}\n`);
    else await privileged('tee', [rulesFile], `${KVM_UDEV_RULE}\n`);
    await privileged('udevadm', ['control', '--reload-rules']);
    await privileged('udevadm', ['trigger', '--name-match=kvm']);
  } catch (err) {
    return report('warning', `could not install the udev rule for ${device} in ${rulesFile}: ${errorMessage(err)}`);
  }
  let problem: string | undefined;
  const granted = await waitUntil({
    what: `access to ${device}`,
    timeoutSeconds: options.settleSeconds ?? 10,
    intervalMs: 250,
    attempt: async () => ((problem = await kvmDeviceProblem(device)) === undefined ? true : undefined),
  }).catch(() => false);
  if (granted) return report('info', `installed ${rulesFile}; ${device} is now readable and writable by this user`);
  return report('warning', `installed ${rulesFile}, but ${problem}`);
}

function report(level: 'info' | 'warning', message: string): string {
  log[level](`grant-kvm-access: ${message}`);
  return message;
}
