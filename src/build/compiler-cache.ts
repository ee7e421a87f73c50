/**
 * A compiler cache for a stage's host-side builds (lc's LLVM and clang above all), carried between jobs by
 * the snapshot store. Pizlix's scripts stay as they are; the entry script's environment routes compiles
 * through ccache:
 *   - CMAKE_C_COMPILER_LAUNCHER / CMAKE_CXX_COMPILER_LAUNCHER, which CMake 3.17+ reads when it configures a
 *     fresh build directory (a CI checkout has no build/), for compilers CMake is given by path;
 *   - the compiler names this machine has, linked to ccache first on PATH, for every build that calls a
 *     compiler by name (make, configure scripts, and CMake when it finds `cc`/`c++` on PATH);
 *   - CCACHE_DIR, a directory the checkout's owner can write: Pizlix runs the host-side sub-scripts as that
 *     user (`su $FILCOWNER …`; util-linux su without -l keeps the environment but HOME, SHELL, USER, LOGNAME).
 * Chroot builds never see any of it: Pizlix enters the chroot with `env -i`, and the directory is not inside
 * $LFS. They compile with the Fil-C compiler that lc builds, from inside the root, uncached.
 */
import { readFile, rm, stat, chmod } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage, InputError } from '../util/errors.js';
import { capture, run } from '../util/exec.js';
import { log } from '../util/log.js';
import { shellQuote } from '../util/shell.js';
import type { SnapshotStore } from '../store/types.js';
import {
  CCACHE_FORMAT,
  cleanup,
  findCcache,
  installCompilerLinks,
  installLauncher,
  readStats,
  withoutCcacheVariables,
  writeCcacheConfig,
  zeroStats,
  type Ccache,
  type CcacheStats,
} from './ccache.js';
import { describeCompilerCache } from './report.js';
import { cacheStageName, restoreCacheDir, saveCacheDir, type RestoredCache, type SavedCache } from './compiler-cache-store.js';

/**
 * `auto`: ccache when it is installed, else none. sccache is not offered: Debian 12 packages a pre-release
 * (0.4.0~pre6); it has no direct mode, so every compile is preprocessed even on a hit (the warm rebuild this
 * cache exists for is slower); it cannot masquerade by PATH, so non-CMake builds would need CC changed; and
 * what it adds — remote backends such as S3 or the Actions cache — would bypass this toolkit's trust scopes.
 */
export const COMPILER_CACHE_KINDS = ['auto', 'ccache', 'none'] as const;
export type CompilerCacheKind = (typeof COMPILER_CACHE_KINDS)[number];
export const DEFAULT_COMPILER_CACHE_SIZE = '5G';

export interface CompilerCacheRequest {
  kind: CompilerCacheKind;
  /** ccache's max_size: the cache directory (and so each store entry) stays under it. */
  maxBytes: number;
}

/** What the compiler cache did for one stage build, for the job summary and the command line's table. */
export interface CompilerCacheReport {
  tool: 'ccache';
  version: string;
  /** The pseudo-stage whose store entries hold this stage's cache. */
  cacheStage: string;
  /** The user who runs the host-side builds (the checkout's owner) and owns the cache directory. */
  owner: string;
  /** Compiler names linked to ccache on the script's PATH. */
  compilers: string[];
  /** The entry restored; none when the store had none (a cold cache). */
  restored?: RestoredCache;
  restoreSeconds: number;
  /** Counters of this build only (zeroed after the restore); missing when they could not be read. */
  stats?: CcacheStats;
  saved?: SavedCache;
  /** Why nothing was saved (nothing new compiled, the cache was off, the save failed). */
  notSaved?: string;
  saveSeconds?: number;
  /** Set when the cache could not be used for this build (it ran uncached). */
  off?: string;
  warnings: string[];
}

/**
 * Which cache this build uses: undefined for none. An explicit `ccache` on a machine without a usable
 * ccache is an input error; `auto` then quietly builds uncached.
 */
export async function chooseCompilerCache(request?: CompilerCacheRequest): Promise<Ccache | undefined> {
  if (!request || request.kind === 'none') return undefined;
  const { found, problem } = await findCcache();
  if (found) return found;
  if (request.kind === 'ccache') {
    throw new InputError(
      'compiler-cache',
      `is 'ccache' but ${problem}`,
      'ccache 4 or later installed (Debian/Ubuntu: apt-get install ccache), or compiler-cache: auto (ccache when installed) or none',
    );
  }
  log.info(`compiler cache: off (${problem}; compiler-cache: auto)`);
  return undefined;
}

export interface CompilerCacheJob {
  stage: string;
  keyExtra?: string;
  store: SnapshotStore;
  /** The stage's scratch directory; the cache lives below it for the job. */
  workDir: string;
  /** The Fil-C checkout (the parent of pizlix-dir): its owner runs the host-side builds, its path is ccache's base_dir. */
  checkoutRoot: string;
  maxBytes: number;
}

interface Owner {
  uid: number;
  gid: number;
  name: string;
}

/** One stage build's compiler cache: restored by `open`, handed to the script by `environment`, saved by `close`. */
export class CompilerCacheSession {
  private closed?: Promise<CompilerCacheReport>;

  private constructor(
    private readonly ccache: Ccache,
    private readonly job: CompilerCacheJob,
    private readonly paths: { root: string; dir: string; bin: string; launcher: string },
    readonly report: CompilerCacheReport,
  ) {}

  /** Restores the newest cache this build may read, configures it, and makes it the owner's. Never fails the build. */
  static async open(ccache: Ccache, job: CompilerCacheJob): Promise<CompilerCacheSession> {
    const root = path.join(job.workDir, 'compiler-cache');
    const paths = { root, dir: path.join(root, 'ccache'), bin: path.join(root, 'bin'), launcher: path.join(root, 'libexec', 'ccache-launcher') };
    const owner = await checkoutOwner(job.checkoutRoot);
    const cacheStage = cacheStageName(job.stage, CCACHE_FORMAT, job.keyExtra);
    const report: CompilerCacheReport = {
      tool: 'ccache',
      version: ccache.version,
      cacheStage,
      owner: owner.name,
      compilers: [],
      restoreSeconds: 0,
      warnings: [],
    };
    const session = new CompilerCacheSession(ccache, job, paths, report);
    const started = Date.now();
    await rm(root, { recursive: true, force: true });
    try {
      report.restored = await restoreCacheDir(job.store, cacheStage, paths.dir, path.join(root, 'download'));
    } catch (err) {
      session.warn(`could not restore the compiler cache from the ${job.store.kind} store (${errorMessage(err)}); starting empty`);
    }
    try {
      await session.prepare(owner);
    } catch (err) {
      report.off = `could not be set up: ${errorMessage(err)}`;
      session.warn(`compiler cache ${report.off}; building without it`);
    }
    report.restoreSeconds = (Date.now() - started) / 1000;
    return session;
  }

  /** The entry script's environment: the runner's without its CCACHE_* settings, plus the cache's. */
  environment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
    if (this.report.off) return env;
    return {
      ...withoutCcacheVariables(env),
      CCACHE_DIR: this.paths.dir,
      CMAKE_C_COMPILER_LAUNCHER: this.paths.launcher,
      CMAKE_CXX_COMPILER_LAUNCHER: this.paths.launcher,
      PATH: `${this.paths.bin}:${env.PATH ?? ''}`,
    };
  }

  /**
   * Reads the build's statistics, trims the cache to its size and saves it as a new store entry in this
   * build's trust scope — after a failed build too (its objects cost the same hours) — unless nothing new was
   * compiled. Then removes the directory. Never fails the build; problems are warnings in the report.
   */
  close(buildSeconds: number): Promise<CompilerCacheReport> {
    this.closed ??= this.saveAndRemove(buildSeconds);
    return this.closed;
  }

  private async saveAndRemove(buildSeconds: number): Promise<CompilerCacheReport> {
    const { report, paths } = this;
    const started = Date.now();
    try {
      if (report.off) {
        report.notSaved = 'the cache was off';
        return report;
      }
      await cleanup(this.ccache, paths.dir);
      report.stats = await readStats(this.ccache, paths.dir);
      if (report.stats.writes === 0) {
        report.notSaved = report.restored ? 'nothing new was compiled; the restored entry stays the newest' : 'nothing was compiled';
        return report;
      }
      report.saved = await saveCacheDir(this.job.store, {
        cacheStage: report.cacheStage,
        dir: paths.dir,
        scratch: path.join(paths.root, 'upload'),
        parentKey: report.restored?.key ?? null,
        buildSeconds,
      });
    } catch (err) {
      report.notSaved = `the save failed: ${errorMessage(err)}`;
      this.warn(`could not save the compiler cache to the ${this.job.store.kind} store: ${errorMessage(err)}`);
    } finally {
      report.saveSeconds = (Date.now() - started) / 1000;
      await rm(paths.root, { recursive: true, force: true }).catch(() => undefined);
      log.info(`compiler cache: ${describeCompilerCache(report)}`);
    }
    return report;
  }

  /** Configuration, compiler links, launcher, zeroed counters; then everything handed to the checkout's owner. */
  private async prepare(owner: Owner): Promise<void> {
    const { paths, ccache, job, report } = this;
    await writeCcacheConfig(paths.dir, { maxBytes: job.maxBytes, baseDir: job.checkoutRoot });
    report.compilers = await installCompilerLinks(paths.bin, ccache, process.env.PATH ?? '');
    await installLauncher(paths.launcher, ccache);
    await zeroStats(ccache, paths.dir);
    await shareWith(paths.root, owner);
    await checkOwnerCanWrite(owner, paths.dir, paths.launcher);
    if (await suResetsPath()) {
      this.warn(
        `/etc/login.defs sets ALWAYS_SET_PATH: su resets PATH for ${owner.name}'s host-side builds, so only CMake builds (launcher) go through the cache`,
      );
    }
  }

  private warn(message: string): void {
    log.warning(message);
    this.report.warnings.push(message);
  }
}

/** The user Pizlix's entry scripts `su` to for host-side builds: the owner of the checkout (`stat -c %U ..`). */
async function checkoutOwner(checkoutRoot: string): Promise<Owner> {
  const info = await stat(checkoutRoot);
  const entry = await capture('getent', ['passwd', String(info.uid)]);
  const name = entry.code === 0 ? entry.stdout.split(':')[0] : String(info.uid);
  return { uid: info.uid, gid: info.gid, name };
}

/**
 * Gives the cache to the checkout's owner, group-shared: set-group-id directories and ccache's umask 002 let
 * root and the owner both add objects (the ccache manual's recipe for a shared cache).
 */
async function shareWith(root: string, owner: Owner): Promise<void> {
  await run('chown', ['-R', `${owner.uid}:${owner.gid}`, root]);
  await run('find', [root, '-type', 'd', '-exec', 'chmod', 'g+rwxs', '{}', '+']);
  await chmod(root, 0o2775);
}

/** As the owner: the cache directory writable and the launcher runnable (every directory above them searchable). */
async function checkOwnerCanWrite(owner: Owner, dir: string, launcher: string): Promise<void> {
  if (owner.uid === 0) return;
  const probe = await capture('su', [owner.name, '-s', '/bin/sh', '-c', `test -w ${shellQuote(dir)} && test -x ${shellQuote(launcher)}`]);
  if (probe.code !== 0) {
    throw new Error(`${owner.name}, the checkout's owner who runs the host-side builds, cannot write ${dir} (is a directory above it closed to other users?)`);
  }
}

async function suResetsPath(): Promise<boolean> {
  const defs = await readFile('/etc/login.defs', 'utf8').catch(() => '');
  return /^\s*ALWAYS_SET_PATH\s+yes\b/im.test(defs);
}
