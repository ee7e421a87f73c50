/**
 * Checks before any long work, reporting every missing piece at once so a runner is fixed in one go.
 */
import { access, constants, stat, statfs } from 'node:fs/promises';
import path from 'node:path';
import { PreflightError } from '../util/errors.js';
import { capture, which } from '../util/exec.js';
import { formatBytes } from '../util/format.js';

export interface PreflightRequest {
  /** Entry script to run; omitted when only restoring. */
  script?: string;
  /** Directories that will receive at least `bytes` of new data. */
  space: Array<{ dir: string; bytes: number; what: string }>;
  tools: string[];
  needsRoot: boolean;
  needsLfsUser: boolean;
}

export const STAGE_TOOLS = ['bash', 'tar', 'zstd', 'umount', 'mount', 'mountpoint', 'rm', 'chroot'];

export async function preflight(request: PreflightRequest): Promise<void> {
  const problems: string[] = [];
  if (request.needsRoot && process.getuid?.() !== 0) {
    problems.push(`must run as root (running as uid ${process.getuid?.()}); Pizlix's scripts check $EUID and mount file systems`);
  }
  if (request.needsLfsUser && (await capture('getent', ['passwd', 'lfs'])).code !== 0) {
    problems.push("user 'lfs' does not exist; Pizlix's scripts require it (create it with: useradd -m lfs)");
  }
  if (request.script) {
    const info = await stat(request.script).catch(() => undefined);
    if (!info?.isFile()) problems.push(`entry script ${request.script} does not exist`);
    else if (
      !(await access(request.script, constants.X_OK).then(
        () => true,
        () => false,
      ))
    ) {
      problems.push(`entry script ${request.script} is not executable (chmod +x it)`);
    }
  }
  for (const tool of request.tools) {
    if (!(await which(tool))) problems.push(`required tool '${tool}' is not on PATH`);
  }
  for (const { dir, bytes, what } of request.space) {
    const free = await freeBytes(dir);
    if (free !== undefined && free < bytes) {
      problems.push(`not enough free disk for ${what} in ${dir}: ${formatBytes(free)} free, ${formatBytes(bytes)} needed`);
    }
  }
  if (problems.length > 0) throw new PreflightError(problems);
}

/** Free bytes on the file system holding dir (or its nearest existing ancestor). */
export async function freeBytes(dir: string): Promise<number | undefined> {
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    const info = await statfs(current).catch(() => undefined);
    if (info) return info.bavail * info.bsize;
    if (current === '/') return undefined;
  }
}
