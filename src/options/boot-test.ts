/** Options of the boot-test action and the command line's boot-test verb (and the boot step of pipeline). */
import os from 'node:os';
import { scratchDir } from './common.js';
import { boolean, choice, numberOption, optionalText, pathOption, refine, sizeOption, text } from './option.js';
import { splitArguments } from '../vm/qemu.js';
import { parseUserChecks } from '../vm/user-checks.js';

const MiB = 1024 * 1024;

/** How the guest is booted and checked, whatever the image's source. */
export const bootOptions = {
  user: text('User that logs in over SSH with a password and starts weston. Masked in logs.', { default: 'pizlo', secret: true, placeholder: '<name>' }),
  password: text("That user's password. Masked in logs.", { default: 'pizlo', secret: true, placeholder: '<text>' }),
  accel: choice(
    "auto (KVM when the guest's kernel reaches userspace under it within a short deadline, else the guest is stopped and booted again under software emulation), kvm (fail within a minute, naming what KVM did, when it does not) or tcg (software emulation).",
    ['auto', 'kvm', 'tcg'] as const,
    { default: 'auto' },
  ),
  cpus: refine(
    numberOption("Virtual CPUs. Default: the number of host CPUs, as Pizlix's launch script does.", { min: 1, integer: true }),
    (value) => value ?? os.availableParallelism(),
  ),
  memory: refine(sizeOption('Guest memory, e.g. 2G or 3072M.', { default: '2G', min: 256 * MiB, minText: '256M' }), (bytes) =>
    Math.floor((bytes ?? 2048 * MiB) / MiB),
  ),
  'qemu-args': refine(text('Extra QEMU arguments, split on whitespace (quotes keep spaces).', { placeholder: '<args>' }), (value) => splitArguments(value)),
  'timeout-multiplier': refine(
    numberOption(
      "Scales every check's deadline, on top of the accelerator's factor (built-in checks: x1 under tcg, x0.25 under kvm; the base deadlines suit software emulation on two cores).",
      { above: 0 },
      { default: '1', placeholder: '<x>' },
    ),
    (value) => value ?? 1,
  ),
  checks: refine(
    text(
      'Extra checks run over SSH after the built-in ones: a YAML list of {name, run, expect-status (default 0), expect-output (/regex/flags or a substring of stdout), timeout (seconds, default 120)}. On the command line: a file holding that list.',
      { cliReadsFile: true, placeholder: '<file>' },
    ),
    (value) => parseUserChecks(value),
  ),
  kernel: pathOption('Optional kernel for direct boot (for images without a boot loader).', { placeholder: '<file>' }),
  initrd: pathOption('Optional initrd for direct boot.', { placeholder: '<file>' }),
  append: optionalText('Kernel command line for direct boot.', { placeholder: '<text>' }),
};

export const bootTestOptions = {
  image: pathOption('Whole-disk image to boot (raw or qcow2). Never modified (QEMU snapshot mode).', {
    required: 'the path of a disk image (raw or qcow2)',
    placeholder: '<image>',
  }),
  ...bootOptions,
  'output-dir': pathOption('Where the report, logs and screenshots go. Default $RUNNER_TEMP/pizlix-boot-test; pizlix-out on the command line.', {
    placeholder: '<dir>',
    fallback: (context) => (context.surface === 'action' ? scratchDir(context, 'pizlix-boot-test') : 'pizlix-out'),
  }),
  'artifact-name': text('Name of the uploaded artifact (uploaded only when the artifact service is present).', { default: 'boot-test', only: 'action' }),
  'grant-kvm-access': boolean(
    "On GitHub's hosted Linux runners: first install the udev rule that gives the runner user /dev/kvm (/etc/udev/rules.d/99-kvm4all.rules, through sudo) and apply it with udevadm.",
    { only: 'action' },
  ),
  'retention-days': refine(
    numberOption('Days to keep the artifact.', { min: 1, max: 90, integer: true }, { default: '14', only: 'action' }),
    (value) => value ?? 14,
  ),
};
