/**
 * Deriving a changed image from a good one without copying it: a qcow2 overlay backed by the
 * original, exposed as a raw file through QEMU's own FUSE export (qemu-storage-daemon), and edited
 * with debugfs at the root partition's offset. Every write lands in the overlay; the original is
 * only read. Used to make broken images for negative tests (an sshd that cannot run, no weston) in
 * seconds, where booting the guest to break it would take minutes. Needs root (FUSE mount).
 */
import { spawn } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CommandError } from '../../src/util/errors.js';
import { capture, run } from '../../src/util/exec.js';
import { waitUntil } from '../../src/util/poll.js';
import { stopProcessGroup } from '../../src/util/process-group.js';
import { detectDiskFormat } from '../../src/vm/qemu.js';

/** Creates `overlay` (qcow2, backed by `base`) and applies debugfs commands to its root filesystem. */
export async function deriveImage(base: string, overlay: string, debugfsCommands: string[]): Promise<void> {
  const backing = path.resolve(base);
  await run('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', backing, '-F', await detectDiskFormat(backing), overlay]);
  try {
    await applyDebugfsCommands(overlay, debugfsCommands);
  } catch (err) {
    await rm(overlay, { force: true }); // a half-edited image must not be mistaken for a finished one
    throw err;
  }
}

async function applyDebugfsCommands(overlay: string, debugfsCommands: string[]): Promise<void> {
  await withRawView(overlay, async (raw) => {
    const offset = await findRootFilesystemOffset(raw);
    const script = `${overlay}.debugfs`;
    await writeFile(script, `${debugfsCommands.join('\n')}\n`);
    try {
      const result = await capture('debugfs', ['-w', '-f', script, `${raw}?offset=${offset}`]);
      // debugfs exits 0 even when a command fails; its complaints go to stderr after the banner.
      const complaints = result.stderr.split('\n').filter((l) => l.trim() && !/^debugfs \d/.test(l));
      if (result.code !== 0 || complaints.length) {
        throw new Error(`debugfs could not apply ${JSON.stringify(debugfsCommands)} to ${overlay}:\n${complaints.join('\n')}`);
      }
    } finally {
      await rm(script, { force: true });
    }
  });
}

/** Exposes a qcow2 image as a writable raw file for the duration of `work`. */
async function withRawView<T>(image: string, work: (raw: string) => Promise<T>): Promise<T> {
  const raw = `${image}.raw`;
  await writeFile(raw, '');
  const daemon = spawn(
    'qemu-storage-daemon',
    [
      '--blockdev',
      `driver=file,node-name=file,filename=${image}`,
      '--blockdev',
      'driver=qcow2,node-name=disk,file=file',
      '--export',
      `type=fuse,id=raw,node-name=disk,mountpoint=${raw},writable=on`,
    ],
    { detached: true, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  daemon.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  try {
    await waitForMount(
      raw,
      () => daemon.exitCode !== null,
      () => stderr,
    );
    return await work(raw);
  } finally {
    await stopProcessGroup(daemon, { graceMs: 5000 }); // the daemon unmounts its export on SIGTERM
    await rm(raw, { force: true });
  }
}

async function waitForMount(mountpoint: string, exited: () => boolean, stderr: () => string): Promise<void> {
  await waitUntil({
    what: `the FUSE view ${mountpoint} to be mounted`,
    timeoutSeconds: 15,
    intervalMs: 100,
    attempt: async () => {
      const mounts = await readFile('/proc/self/mountinfo', 'utf8');
      if (mounts.split('\n').some((line) => line.split(' ')[4] === mountpoint)) return true;
      if (exited()) throw new CommandError('qemu-storage-daemon (FUSE export)', null, null, stderr());
      return undefined;
    },
  });
}

/**
 * The byte offset of the filesystem that holds /etc/passwd: each partition of a partitioned disk
 * in turn (Pizlix's root is p4), or offset 0 for a bare filesystem image.
 */
async function findRootFilesystemOffset(raw: string): Promise<number> {
  const table = await capture('sfdisk', ['--json', raw]);
  const candidates: number[] = [];
  if (table.code === 0) {
    const parsed = JSON.parse(table.stdout) as { partitiontable: { sectorsize?: number; partitions: { start: number }[] } };
    const sector = parsed.partitiontable.sectorsize ?? 512;
    candidates.push(...parsed.partitiontable.partitions.map((p) => p.start * sector));
  } else {
    candidates.push(0);
  }
  for (const offset of candidates) {
    const probe = await capture('debugfs', ['-R', 'stat /etc/passwd', `${raw}?offset=${offset}`]);
    if (probe.code === 0 && /Inode: \d+/.test(probe.stdout)) return offset;
  }
  throw new Error(`no ext2/3/4 filesystem holding /etc/passwd was found in ${raw}`);
}
