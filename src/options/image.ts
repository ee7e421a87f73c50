/** Options of the disk-image action and the command line's image verb (and the image step of pipeline). */
import { LAYOUTS } from '../image/layout.js';
import { VMDK_KINDS } from '../image/vmdk.js';
import { chainOptions, scratchDir, storeOptions } from './common.js';
import { boolean, choice, optionalText, pathOption, text } from './option.js';

/** How the image is made, whatever the snapshot's source. */
export const imageMakingOptions = {
  'output-dir': pathOption(
    'Directory for disk.img, disk.vmdk, disk.img.zst and SHA256SUMS (the snapshot is extracted below it, too, where mke2fs cannot read it itself). Default $RUNNER_TEMP/pizlix-image; pizlix-out on the command line.',
    {
      placeholder: '<dir>',
      fallback: (context) => (context.surface === 'action' ? scratchDir(context, 'pizlix-image') : 'pizlix-out'),
    },
  ),
  size: optionalText("Disk size such as 100G (Pizlix's sparse default). Empty means the content plus headroom.", { placeholder: '<size>' }),
  layout: choice('Partition layout; `pizlix` is p1 bios_grub, p2 ext4 with boot/grub/grub.cfg, p3 swap, p4 ext4 root.', LAYOUTS, { default: 'pizlix' }),
  'grub-cfg': pathOption(
    "grub.cfg to install. Default <pizlix-dir>/etc/grub.cfg when it exists, else one generated for the kernel in the snapshot's /boot with Pizlix's command line.",
    {
      placeholder: '<file>',
    },
  ),
  vmdk: choice("`flat` (descriptor pointing at disk.img, like Pizlix's), `stream` (self-contained streamOptimized) or `none`.", VMDK_KINDS, {
    default: 'flat',
  }),
  compress: boolean('Also write disk.img.zst.'),
};

export const imageOptions = {
  snapshot: pathOption('Path of a stage snapshot (.tar, .tar.gz or .tar.zst). Either this or `stage`.', { placeholder: '<snapshot>' }),
  stage: text('Take the snapshot of this stage from the store instead, by the key the current checkout gives it.', { only: 'action' }),
  ...storeOptions,
  ...chainOptions,
  // Here pizlix-dir only supplies etc/grub.cfg (and, with stage, the chain): no default, the workspace's pizlix/ is looked for.
  'pizlix-dir': pathOption(
    "The pizlix folder of the Fil-C checkout; its etc/grub.cfg is the default grub.cfg when it exists. Default: the workspace's pizlix/ when it exists.",
    {
      placeholder: '<dir>',
    },
  ),
  ...imageMakingOptions,
};
