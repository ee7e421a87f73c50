/**
 * The fixed directory the Actions cache backend saves from and restores to. @actions/cache hashes
 * the exact path strings into each entry's "version", so every runner must use the same absolute
 * paths; and since restore writes exactly there, jobs sharing a machine take turns (a lock file).
 */
import { link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { waitUntil } from '../util/poll.js';
import { log } from '../util/log.js';

/** Default staging root. Changing it changes every cache version: entries saved elsewhere are not found. */
export const DEFAULT_CACHE_STAGING = '/var/tmp/pizlix-stage-cache';

export class CacheStaging {
  private queue: Promise<unknown> = Promise.resolve();
  private announcedHolder = 0;

  constructor(
    readonly root: string = DEFAULT_CACHE_STAGING,
    private readonly lockTimeoutMs = 2 * 3600_000,
  ) {
    if (!path.isAbsolute(root)) throw new Error(`cache staging directory must be absolute, got '${root}'`);
  }

  /** Where a snapshot sits while it is saved or restored: the same string on every runner. */
  get snapshotPath(): string {
    return path.join(this.root, 'snapshot', 'snapshot');
  }

  /** Where meta.json sits while it is saved or restored. */
  get metaPath(): string {
    return path.join(this.root, 'meta', 'meta.json');
  }

  /** Runs `work` alone on this machine, with the staging directory emptied before and after. */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(() => this.underFileLock(work));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async underFileLock<T>(work: () => Promise<T>): Promise<T> {
    await mkdir(this.root, { recursive: true });
    const lockFile = `${this.root}/.lock`;
    await this.acquire(lockFile);
    try {
      await this.clear();
      return await work();
    } finally {
      await this.clear().catch(() => undefined);
      await rm(lockFile, { force: true });
    }
  }

  private async clear(): Promise<void> {
    await rm(path.dirname(this.snapshotPath), { recursive: true, force: true });
    await rm(path.dirname(this.metaPath), { recursive: true, force: true });
  }

  private async acquire(lockFile: string): Promise<void> {
    let holder = 0;
    await waitUntil({
      what: `${lockFile}`,
      timeoutSeconds: this.lockTimeoutMs / 1000,
      intervalMs: 500,
      lastState: () => `held by process ${holder}`,
      attempt: async () => {
        if (await claimLock(lockFile)) return true;
        holder = Number((await readFile(lockFile, 'utf8').catch(() => '')).trim());
        if (!holder || !isAlive(holder)) {
          await rm(lockFile, { force: true }); // left by a process that died
          return claimLock(lockFile).then((won) => won || undefined);
        }
        if (holder !== this.announcedHolder) log.info(`waiting for process ${holder} to finish with ${this.root}`);
        this.announcedHolder = holder;
        return undefined;
      },
    });
  }
}

/** Takes the lock if it is free: written aside and hard-linked into place, so it never exists without its holder's pid. */
async function claimLock(lockFile: string): Promise<boolean> {
  const claim = `${lockFile}.${process.pid}`;
  await writeFile(claim, String(process.pid));
  try {
    await link(claim, lockFile);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return false;
  } finally {
    await rm(claim, { force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
