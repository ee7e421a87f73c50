/**
 * ccache, the tool behind `compiler-cache: ccache`: its version, the configuration that makes it correct by
 * construction, the masquerade links and CMake launcher that route a stage's host-side compiles through it,
 * and its statistics. Nothing here knows about stores; see compiler-cache.ts.
 */
import { chmod, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { capture, run, which } from '../util/exec.js';

/**
 * The cache directory's format: ccache 4.x keeps one layout (and one result-key scheme per version, so
 * mixing 4.x releases is safe, merely missing); a ccache 3 or 5 directory is another format.
 */
export const CCACHE_FORMAT = 'ccache4';

/**
 * Compiler names a build may call by name, linked to ccache ("masquerade" mode) first on PATH. Only the
 * names this machine has get a link: a link for a compiler the host lacks would make `command -v clang`
 * succeed where it failed before and change what a configure script picks.
 */
export const COMPILER_NAMES = ['cc', 'c++', 'gcc', 'g++', 'clang', 'clang++'];

export interface Ccache {
  /** Absolute path of the ccache binary. */
  binary: string;
  /** e.g. 4.7.5 */
  version: string;
}

/** ccache on PATH when it is a 4.x or later (--print-stats, masquerade by PATH lookup); undefined otherwise. */
export async function findCcache(searchPath = process.env.PATH ?? ''): Promise<{ found?: Ccache; problem?: string }> {
  const binary = await which('ccache', searchPath);
  if (!binary) return { problem: 'ccache is not installed (not on PATH)' };
  const { stdout } = await capture(binary, ['--version']);
  const version = /ccache version (\d+)\.(\d+)(?:\.(\d+))?/.exec(stdout);
  if (!version) return { problem: `${binary} --version did not print a ccache version` };
  if (Number(version[1]) < 4) return { problem: `ccache ${version[0].slice(15)} is too old (4.0 or later is needed)` };
  return { found: { binary, version: version[0].slice('ccache version '.length) } };
}

export interface CcacheSettings {
  maxBytes: number;
  /** Absolute paths below it are hashed relative to the compile's directory: another checkout path still hits. */
  baseDir: string;
}

/**
 * The cache's own configuration file (ccache reads $CCACHE_DIR/ccache.conf), rewritten by every job:
 *   compiler_check = content  a compiler rebuilt or upgraded at the same path invalidates its objects
 *                             (the default, mtime + size, can miss a same-size rebuild);
 *   inode_cache = true        that content hash (of a large clang, say) is computed once, not per compile;
 *   base_dir, hash_dir=false  a fresh checkout at another path still hits; the price is that objects built
 *                             with -g may name the first checkout's directory in their debug info;
 *   umask = 002               the checkout's owner and root share the directory (set-group-id dirs).
 * Environment variables override the file, so the script's environment carries no other CCACHE_* (see
 * compilerCacheEnvironment).
 */
export async function writeCcacheConfig(dir: string, settings: CcacheSettings): Promise<void> {
  const lines = [
    '# written by pizlix-stage for this job; see src/build/ccache.ts',
    `max_size = ${Math.max(1, Math.floor(settings.maxBytes / 1024))}Ki`,
    'compiler_check = content',
    'inode_cache = true',
    `base_dir = ${settings.baseDir}`,
    'hash_dir = false',
    'umask = 002',
    '',
  ];
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'ccache.conf'), lines.join('\n'));
}

/** Links the compiler names this machine has (found on `searchPath`) to ccache in binDir; returns those linked. */
export async function installCompilerLinks(binDir: string, ccache: Ccache, searchPath: string): Promise<string[]> {
  await rm(binDir, { recursive: true, force: true });
  await mkdir(binDir, { recursive: true });
  const linked: string[] = [];
  for (const name of COMPILER_NAMES) {
    if (!(await which(name, searchPath))) continue;
    await symlink(ccache.binary, path.join(binDir, name));
    linked.push(name);
  }
  return linked;
}

/**
 * The CMake launcher (CMAKE_<LANG>_COMPILER_LAUNCHER): CMake runs `<launcher> <compiler> <args>`. A compiler
 * CMake found through the masquerade links *is* ccache; `ccache <that link>` would hash the ccache binary as
 * the compiler — a gcc or clang upgrade would then still hit stale objects. So such a compiler runs as it is
 * (the link finds the real compiler on PATH and hashes that); any other compiler runs under ccache. A
 * shell script, because no ccache option tells these cases apart; `-ef` is the shell's test, no fork.
 */
export async function installLauncher(file: string, ccache: Ccache): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const script = `#!/bin/sh
# CMake compiler launcher installed by pizlix-stage; see src/build/ccache.ts.
if [ "$1" -ef ${JSON.stringify(ccache.binary)} ]; then exec "$@"; fi
exec ${JSON.stringify(ccache.binary)} "$@"
`;
  await writeFile(file, script);
  await chmod(file, 0o755);
}

/** What one build did with the cache, from ccache's own counters. */
export interface CcacheStats {
  /** Results taken from the cache (direct and preprocessed hits). */
  hits: number;
  /** Compiles that ran and were stored. */
  misses: number;
  /** Calls ccache cannot cache: links, preprocessing only, autoconf tests, failed compiles, … */
  uncacheable: number;
  /** Things written to the cache (results and manifests): none means there is nothing new to save. */
  writes: number;
  sizeBytes: number;
  files: number;
}

const UNCACHEABLE_COUNTERS = [
  'autoconf_test',
  'bad_compiler_arguments',
  'bad_output_file',
  'called_for_link',
  'called_for_preprocessing',
  'compile_failed',
  'compiler_produced_empty_output',
  'compiler_produced_no_output',
  'compiler_produced_stdout',
  'could_not_use_modules',
  'could_not_use_precompiled_header',
  'multiple_source_files',
  'no_input_file',
  'output_to_stdout',
  'preprocessor_error',
  'unsupported_code_directive',
  'unsupported_compiler_option',
  'unsupported_environment_variable',
  'unsupported_source_language',
];

/** Parses `ccache --print-stats` (one `counter<TAB>value` per line). */
export function parseStats(text: string): CcacheStats {
  const counters = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [name, value] = line.split('\t');
    if (name && value !== undefined && /^\d+$/.test(value.trim())) counters.set(name.trim(), Number(value));
  }
  const count = (name: string) => counters.get(name) ?? 0;
  const misses = count('cache_miss');
  return {
    hits: count('direct_cache_hit') + count('preprocessed_cache_hit'),
    misses,
    uncacheable: UNCACHEABLE_COUNTERS.reduce((sum, name) => sum + count(name), 0),
    // local_storage_write exists from ccache 4.7 on; before, every miss wrote a result.
    writes: counters.has('local_storage_write') ? count('local_storage_write') : misses,
    sizeBytes: count('cache_size_kibibyte') * 1024,
    files: count('files_in_cache'),
  };
}

/** Runs ccache on the cache directory `dir` (configured by its ccache.conf, no inherited CCACHE_* variables). */
function ccacheCommand(ccache: Ccache, dir: string, args: string[]): Promise<string> {
  return run(ccache.binary, args, { env: { ...withoutCcacheVariables(process.env), CCACHE_DIR: dir } });
}

export async function zeroStats(ccache: Ccache, dir: string): Promise<void> {
  await ccacheCommand(ccache, dir, ['--zero-stats']);
}

export async function readStats(ccache: Ccache, dir: string): Promise<CcacheStats> {
  return parseStats(await ccacheCommand(ccache, dir, ['--print-stats']));
}

/** Evicts the least recently used objects beyond max_size (ccache does so while compiling too, per subdirectory). */
export async function cleanup(ccache: Ccache, dir: string): Promise<void> {
  await ccacheCommand(ccache, dir, ['--cleanup']);
}

/** An environment without ccache settings inherited from the runner (they would override the cache's own file). */
export function withoutCcacheVariables(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !name.startsWith('CCACHE_')));
}
