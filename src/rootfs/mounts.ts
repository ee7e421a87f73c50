/**
 * Mounts below the LFS root. Pizlix's helpers bind-mount the host's /dev there; wiping or extracting
 * while it is mounted would delete or overwrite the host's device nodes. So we read the kernel's own
 * table (/proc/self/mountinfo) rather than trust that an earlier job cleaned up.
 */
import { readFile } from 'node:fs/promises';
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { MountError } from '../util/errors.js';
import { capture } from '../util/exec.js';
import { log } from '../util/log.js';

/** mountinfo escapes space, tab, newline and backslash as octal. */
function unescapeMountPath(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_m, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

function canonical(dir: string): string {
  try {
    return realpathSync(dir);
  } catch {
    return path.resolve(dir);
  }
}

/** Mount points strictly below dir (not dir itself), deepest first. */
export async function mountsBelow(dir: string): Promise<string[]> {
  const root = canonical(dir);
  const table = await readFile('/proc/self/mountinfo', 'utf8');
  const below = new Set<string>();
  for (const line of table.split('\n')) {
    const fields = line.split(' ');
    if (fields.length < 5) continue;
    const mountPoint = unescapeMountPath(fields[4]);
    if (mountPoint.startsWith(`${root}/`)) below.add(mountPoint);
  }
  return [...below].sort((a, b) => b.split('/').length - a.split('/').length || b.localeCompare(a));
}

/**
 * Unmounts everything below dir, deepest first. A busy mount is detached lazily so that nothing below
 * dir still reaches the host's file systems. Returns what was unmounted.
 */
export async function unmountBelow(dir: string): Promise<string[]> {
  const done: string[] = [];
  // A mount can be stacked several times (bind mounted twice): repeat until the table is clean.
  for (let round = 0; round < 8; round++) {
    const mounts = await mountsBelow(dir);
    if (mounts.length === 0) break;
    for (const mountPoint of mounts) {
      let result = await capture('umount', [mountPoint]);
      if (result.code !== 0) {
        log.warning(`umount ${mountPoint} failed (${result.stderr.trim()}); detaching it lazily`);
        result = await capture('umount', ['-l', mountPoint]);
      }
      if (result.code === 0) {
        done.push(mountPoint);
        log.info(`unmounted ${mountPoint}`);
      }
    }
  }
  return done;
}

/** Throws MountError naming every mount still below dir. */
export async function assertNothingMountedBelow(dir: string, doing: string): Promise<void> {
  const mounts = await mountsBelow(dir);
  if (mounts.length > 0) {
    throw new MountError(`refusing to ${doing}: still mounted below ${dir}: ${mounts.join(', ')}`, mounts);
  }
}
