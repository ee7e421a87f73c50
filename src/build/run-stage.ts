/**
 * One stage, built or reused: compute the key; on a hit restore the stored snapshot; on a miss restore
 * the parent's snapshot, run the entry script, and publish what it wrote.
 */
import { mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { MissingParentError, StageScriptError, errorMessage } from '../util/errors.js';
import { run, which } from '../util/exec.js';
import { formatBytes, formatDuration } from '../util/format.js';
import { group, log } from '../util/log.js';
import { shellQuote } from '../util/shell.js';
import { chainKeys, computeKeys, type ChainedKey } from '../chain/keys.js';
import { loadChain } from '../chain/chain.js';
import { DEFAULT_VOLATILE, chainTo, findStage, type StageDefinition } from '../chain/manifest.js';
import { detectCompression, digestArchive } from '../rootfs/archive.js';
import { encodeOutputManifest, type OutputDigest } from '../rootfs/output-digest.js';
import { installGzipShim } from '../rootfs/gzip-shim.js';
import { validateLfsPath, wipeLfs, readBuildState } from '../rootfs/lfs.js';
import { unmountBelow } from '../rootfs/mounts.js';
import { alreadyRestored, restoreSnapshot, unmountLeftovers } from '../rootfs/restore.js';
import { forgetTree, type TreeIdentity } from '../rootfs/tree-record.js';
import { readableScopeNames, writeScopeName } from '../store/trust.js';
import type { SnapshotMeta, SnapshotStore, StoreEntry } from '../store/types.js';
import type { Ccache } from './ccache.js';
import { chooseCompilerCache, CompilerCacheSession, type CompilerCacheReport, type CompilerCacheRequest } from './compiler-cache.js';
import { openOutputTap } from './output-tap.js';
import { STAGE_TOOLS, preflight } from './preflight.js';
import { sourceDateEpoch } from './source-date.js';
import { runScript } from './script-runner.js';

export interface StageRequest {
  stage: string;
  pizlixDir: string;
  manifestFile?: string;
  lfs: string;
  keyExtra?: string;
  store: SnapshotStore;
  /** Scratch space for logs, the gzip shim and downloads. */
  workDir: string;
  timeoutMinutes?: number;
  /** Report whether the store has the stage; restore and build nothing. */
  lookupOnly?: boolean;
  /** Extra directories that must not lie inside $LFS (the workspace, say). */
  protect?: Array<{ what: string; path: string }>;
  /** The compiler cache of the script's host-side builds (none when absent). */
  compilerCache?: CompilerCacheRequest;
  /** Also write the script's lfs-<stage>.tar.gz as real gzip (see gzip-shim.ts); default false. */
  pizlixTarball?: boolean;
  /** Skip a restore when $LFS already holds exactly that snapshot, as proven by tree-record.ts; default true. */
  reuseLfs?: boolean;
}

export interface StageResult {
  stage: string;
  /** '' when the key is unknown: lookupOnly on a stage whose parent is not stored. */
  key: string;
  parentKey: string | null;
  /** Output digest of the stage's snapshot (built or stored). */
  outputDigest?: string;
  /** Output digest of the parent snapshot the key was computed from. */
  parentDigest?: string | null;
  /** What the store held for this stage before (a build's comparison), for the output explanation. */
  previous?: SnapshotMeta;
  /** The built snapshot's output manifest (encoded as in metadata). */
  outputManifest?: string;
  cacheHit: boolean;
  /** Built in this run (false on a hit or with lookupOnly). */
  built: boolean;
  /** $LFS already held the snapshot a hit restores, or the parent a build starts from: no restore ran. */
  reusedTree?: boolean;
  /** Local path of the stage's snapshot, when one was restored or built. */
  snapshot?: string;
  snapshotSize?: number;
  /** Wall-clock seconds of the whole step. */
  seconds: number;
  buildSeconds?: number;
  logFile?: string;
  /** What the compiler cache did, when the stage was built with one. */
  compilerCache?: CompilerCacheReport;
}

/** One stage run: what is known once the request is checked and the key computed. */
interface StageJob {
  request: StageRequest;
  definition: StageDefinition;
  key: ChainedKey<StoreEntry> & { key: string };
  lfs: string;
  pizlixDir: string;
  started: number;
}

export async function runStage(request: StageRequest): Promise<StageResult> {
  const job = await prepareJob(request);
  if ('waitsOn' in job) return job.waitsOn;
  const { definition, key } = job;
  const existing = key.stored;
  if (existing) {
    log.info(
      `store (${request.store.kind}) has ${definition.name} (${formatBytes(existing.meta.size)}, built in ${formatDuration(existing.meta.buildSeconds)})`,
    );
    if (request.lookupOnly) return resultOf(job, { cacheHit: true, outputDigest: existing.meta.outputDigest });
    const restored = await restoreStored(job);
    if (restored) return restored;
    log.warning(`the stored ${definition.name} snapshot failed verification; building the stage instead`);
  } else {
    log.info(`store (${request.store.kind}) has no ${definition.name} snapshot for this key`);
  }
  if (request.lookupOnly) return resultOf(job, { cacheHit: false });
  return buildStage(job);
}

/**
 * Checks the request (the LFS root must not hold anything we keep) and computes the stage's key from the
 * output digest of the parent snapshot the store holds. With lookupOnly, a stage whose parent is not
 * stored is a miss with no key; otherwise that is a MissingParentError.
 */
async function prepareJob(request: StageRequest): Promise<StageJob | { waitsOn: StageResult }> {
  const started = Date.now();
  const pizlixDir = path.resolve(request.pizlixDir);
  const manifest = loadChain({ pizlixDir, manifestFile: request.manifestFile });
  const definition = findStage(manifest, request.stage);
  const lfs = validateLfsPath(request.lfs, [
    { what: 'pizlix directory', path: pizlixDir },
    { what: 'working directory', path: request.workDir },
    ...(request.store.directory ? [{ what: 'store', path: request.store.directory }] : []),
    ...(request.protect ?? []),
  ]);
  const key = await group('Computing stage keys', async () => {
    const own = await computeKeys(manifest, { pizlixDir, keyExtra: request.keyExtra });
    const ancestry = chainTo(manifest, definition.name).map((s) => own.find((k) => k.stage === s.name)!);
    return (await chainKeys(ancestry, (k) => request.store.lookup(k))).pop()!;
  });
  if (key.key === undefined) {
    const waited = key.waitsOn!;
    if (!request.lookupOnly) throw new MissingParentError(waited, key.parentKey ?? undefined, request.store.kind, 'is not in');
    log.info(`stage ${definition.name}: key unknown, it waits on ${waited}'s output, which the ${request.store.kind} store does not hold`);
    return { waitsOn: { stage: definition.name, key: '', parentKey: key.parentKey, cacheHit: false, built: false, seconds: (Date.now() - started) / 1000 } };
  }
  log.info(`stage ${definition.name}: key ${key.key}${key.parentDigest ? ` (from ${definition.parent}'s output ${key.parentDigest.slice(0, 12)})` : ''}`);
  await mkdir(request.workDir, { recursive: true });
  return { request, definition, key: key as StageJob['key'], lfs, pizlixDir, started };
}

function resultOf(job: StageJob, outcome: Partial<StageResult> & { cacheHit: boolean }): StageResult {
  return {
    stage: job.definition.name,
    key: job.key.key,
    parentKey: job.key.parentKey,
    parentDigest: job.key.parentDigest,
    built: false,
    seconds: (Date.now() - job.started) / 1000,
    ...outcome,
  };
}

/** A hit: the stored snapshot into $LFS. Undefined when the entry failed verification (a miss after all). */
async function restoreStored(job: StageJob): Promise<StageResult | undefined> {
  // Fetched even when $LFS holds the tree already: the snapshot file is an output (the disk image's input).
  const fetched = await job.request.store.fetch(job.key.key, job.request.workDir);
  if (!fetched) return undefined;
  const identity = treeIdentity(job, fetched.meta);
  const reusedTree = await reusableTree(job, identity);
  if (!reusedTree) await group(`Restoring ${job.definition.name} into ${job.lfs}`, () => restoreSnapshot(fetched.file, job.lfs, job.definition.name, identity));
  return resultOf(job, { cacheHit: true, reusedTree, snapshot: fetched.file, snapshotSize: fetched.meta.size, outputDigest: fetched.meta.outputDigest });
}

/** A miss: the parent's root filesystem, the entry script (through the compiler cache), its checks, and the snapshot published. */
async function buildStage(job: StageJob): Promise<StageResult> {
  // Before anything is restored: a malformed value in the environment is an input error, not a late failure.
  const epoch = await sourceDateEpoch(job.pizlixDir);
  const ccache = await chooseCompilerCache(job.request.compilerCache);
  await checkMachine(job);
  const reusedTree = await prepareRoot(job);
  const compilerCache = ccache ? await openCompilerCache(job, ccache) : undefined;
  try {
    const result = await runAndPublish(job, epoch, compilerCache);
    return { ...result, reusedTree, compilerCache: await compilerCache?.close(result.buildSeconds ?? 0) };
  } finally {
    // After a failed build too: what it compiled cost the same hours (close runs once).
    await compilerCache?.close((Date.now() - job.started) / 1000);
  }
}

async function runAndPublish(job: StageJob, epoch: string | undefined, compilerCache?: CompilerCacheSession): Promise<StageResult> {
  const previous = await previousBuild(job);
  const { buildSeconds, logFile, snapshotPath, zstdCopy, output: streamed } = await runEntryScript(job, epoch, compilerCache);
  await checkScriptResult(job, snapshotPath, logFile);
  const storeFile = await storableSnapshot(snapshotPath, zstdCopy);
  const output = streamed ?? (await group(`Output digest of ${job.definition.name}`, () => digestArchive(storeFile, volatileOf(job.definition))));
  log.info(`${job.definition.name}: output digest ${output.digest} (${output.manifest.size} paths)`);
  const entry = await publishSnapshot(job, storeFile, buildSeconds, output);
  return resultOf(job, {
    cacheHit: false,
    built: true,
    snapshot: storeFile,
    snapshotSize: entry.meta.size,
    buildSeconds,
    logFile,
    outputDigest: output.digest,
    outputManifest: entry.meta.outputManifest,
    previous,
  });
}

/** The paths a stage's output digest ignores: the built-in few and the manifest's. */
export function volatileOf(definition: StageDefinition): string[] {
  return [...DEFAULT_VOLATILE, ...definition.volatile];
}

/** The newest stored build of this stage (another key), to say afterwards how the output changed. */
async function previousBuild(job: StageJob): Promise<SnapshotMeta | undefined> {
  const entries = await job.request.store.list(job.definition.name).catch(() => [] as StoreEntry[]);
  return entries.find((e) => e.meta.key !== job.key.key)?.meta;
}

/** The newest compiler cache this build may read, restored from the store for the script's host-side builds. */
function openCompilerCache(job: StageJob, ccache: Ccache): Promise<CompilerCacheSession> {
  const { request, definition, pizlixDir } = job;
  return group(`Restoring the compiler cache of ${definition.name}`, () =>
    CompilerCacheSession.open(ccache, {
      stage: definition.name,
      keyExtra: request.keyExtra,
      store: request.store,
      workDir: request.workDir,
      checkoutRoot: path.dirname(pizlixDir),
      maxBytes: request.compilerCache!.maxBytes,
    }),
  );
}

/** Root, the lfs user, tools and disk space, all reported at once before hours of work. */
async function checkMachine(job: StageJob): Promise<void> {
  const parentEntry = job.key.parentKey ? await job.request.store.lookup(job.key.parentKey) : undefined;
  const expectedBytes = parentEntry ? parentEntry.meta.size * 6 : 1 << 30;
  await preflight({
    script: path.join(job.pizlixDir, job.definition.script),
    tools: STAGE_TOOLS,
    needsRoot: true,
    needsLfsUser: true,
    space: [
      { dir: job.lfs, bytes: expectedBytes, what: 'the root filesystem' },
      { dir: job.request.workDir, bytes: expectedBytes / 3, what: 'the snapshot' },
    ],
  });
  if (job.request.pizlixTarball && !(await which('pigz')))
    log.warning('pigz is not installed: the stage script will compress its gzip tarball with single-threaded gzip');
}

/**
 * $LFS as the stage's script expects it: the parent's snapshot restored, or (first stage) an empty root.
 * True when $LFS already held the parent (no restore ran).
 */
async function prepareRoot(job: StageJob): Promise<boolean> {
  const { definition, key, request, lfs } = job;
  if (!definition.parent) {
    await unmountLeftovers(lfs);
    await wipeLfs(lfs);
    return false;
  }
  const parentKey = key.parentKey!;
  const stored = await request.store.lookup(parentKey);
  if (!stored) throw new MissingParentError(definition.parent, parentKey, request.store.kind, 'is not in');
  if (stored.meta.outputDigest === key.parentDigest && (await reusableTree(job, treeIdentity(job, stored.meta)))) {
    // The script changes the tree: the record would no longer be true (nor belong in its snapshot).
    await forgetTree(lfs);
    return true;
  }
  const parent = await request.store.fetch(parentKey, request.workDir);
  if (!parent) throw new MissingParentError(definition.parent, parentKey, request.store.kind, 'failed verification in');
  // The key hashes this digest: the snapshot restored must be the one it was read from.
  if (parent.meta.outputDigest !== key.parentDigest) throw new MissingParentError(definition.parent, parentKey, request.store.kind, 'failed verification in');
  await group(`Restoring parent ${definition.parent} into ${lfs}`, () => restoreSnapshot(parent.file, lfs, definition.parent!));
  return false;
}

/** Which store entry a tree restored from meta is, for the record a restore leaves (tree-record.ts). */
function treeIdentity(job: StageJob, meta: SnapshotMeta): TreeIdentity {
  return { stage: meta.stage, key: meta.key, sha256: meta.sha256, scope: writeScopeName(job.request.store.scope) };
}

/** Whether $LFS already holds this snapshot (left by an earlier job on this runner), so its restore is skipped. */
async function reusableTree(job: StageJob, identity: TreeIdentity): Promise<boolean> {
  if (job.request.reuseLfs === false) return false;
  const reused = await alreadyRestored(job.lfs, identity, readableScopeNames(job.request.store.scope));
  if (reused) log.info(`skipping the restore of ${identity.stage}: ${job.lfs} already holds it`);
  return reused;
}

/** Runs the entry script as Pizlix runs it, with the gzip shim first on PATH; nothing it mounted outlives it. */
async function runEntryScript(
  job: StageJob,
  epoch: string | undefined,
  compilerCache?: CompilerCacheSession,
): Promise<{ buildSeconds: number; logFile: string; snapshotPath: string; zstdCopy: string; output?: OutputDigest }> {
  const { definition, request, lfs, pizlixDir } = job;
  const snapshotPath = path.join(pizlixDir, definition.snapshot);
  const zstdCopy = path.join(request.workDir, `lfs-${definition.name}.tar.zst`);
  await rm(snapshotPath, { force: true });
  await rm(zstdCopy, { force: true });
  const tap = await openOutputTap(request.workDir, volatileOf(definition));
  const shim = await installGzipShim(path.join(request.workDir, 'shim'), {
    snapshotPath,
    zstdCopy,
    pizlixTarball: request.pizlixTarball ?? false,
    alsoWriteTo: [tap.fifo],
  });
  const logFile = path.join(request.workDir, `${definition.name}.log`);
  await rm(logFile, { force: true });
  log.startGroup(`Building ${definition.name}: ${definition.script}`);
  try {
    const { seconds } = await runScript({
      script: path.join(pizlixDir, definition.script),
      cwd: pizlixDir,
      env: withCompilerCache(compilerCache, {
        ...process.env,
        ...shim.env,
        ...(epoch ? { SOURCE_DATE_EPOCH: epoch } : {}),
        LFS: lfs,
        PATH: `${shim.binDir}:${process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'}`,
      }),
      logFile,
      label: `${definition.name} (${definition.script})`,
      timeoutSeconds: request.timeoutMinutes ? request.timeoutMinutes * 60 : undefined,
    });
    log.info(`${definition.name} built in ${formatDuration(seconds)}`);
    return { buildSeconds: seconds, logFile, snapshotPath, zstdCopy, output: await tap.finish() };
  } catch (err) {
    throw new StageScriptError(`${definition.script} failed: ${errorMessage(err)}`, logFile, err);
  } finally {
    await tap.finish();
    log.endGroup();
    // Whatever the script left mounted must not outlive it (the post step checks again).
    await unmountBelow(lfs);
  }
}

/** The script's environment with the compiler cache's settings (its compiler links first on PATH), when there is one. */
function withCompilerCache(compilerCache: CompilerCacheSession | undefined, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return compilerCache ? compilerCache.environment(env) : env;
}

/** The script must have finished its stage the way Pizlix's next script checks: the state file, the snapshot. */
async function checkScriptResult(job: StageJob, snapshotPath: string, logFile: string): Promise<void> {
  const { definition, lfs } = job;
  const state = await readBuildState(lfs);
  if (state !== definition.name) {
    throw new StageScriptError(
      `${definition.script} finished but ${lfs}/sources/lfsbuildstate says '${state ?? '(missing)'}', not '${definition.name}'`,
      logFile,
    );
  }
  if (
    !(await stat(snapshotPath).then(
      (s) => s.isFile(),
      () => false,
    ))
  ) {
    throw new StageScriptError(`${definition.script} finished without writing its snapshot ${snapshotPath}`, logFile);
  }
}

async function publishSnapshot(job: StageJob, storeFile: string, buildSeconds: number, output: OutputDigest) {
  const { definition, key, request } = job;
  const compression = (await detectCompression(storeFile)) === 'zstd' ? 'zstd' : 'gzip';
  return group(`Publishing ${definition.name} to the ${request.store.kind} store`, () =>
    request.store.publish(storeFile, {
      key: key.key,
      stage: definition.name,
      parentKey: key.parentKey,
      parentDigest: key.parentDigest,
      outputDigest: output.digest,
      outputManifest: encodeOutputManifest(output.manifest),
      volatile: volatileOf(definition),
      compression,
      buildSeconds,
      inputs: key.inputs,
    }),
  );
}

/**
 * The file to publish: the zstd copy the gzip shim wrote alongside the script's tarball, or, when the
 * script compressed some other way, a zstd transcode of its tarball.
 */
async function storableSnapshot(snapshotPath: string, zstdCopy: string): Promise<string> {
  const copy = await stat(zstdCopy).catch(() => undefined);
  const original = await stat(snapshotPath);
  if (copy && copy.mtimeMs >= original.mtimeMs - 5000) return zstdCopy;
  log.info(`the script's snapshot was not written through the gzip shim; transcoding it to zstd`);
  const compression = await detectCompression(snapshotPath);
  const gunzip = (await which('pigz')) ? 'pigz' : 'gzip';
  const decompress = compression === 'gzip' ? `${gunzip} -dc ${shellQuote(snapshotPath)}` : `cat ${shellQuote(snapshotPath)}`;
  await run('bash', ['-o', 'pipefail', '-c', `${decompress} | zstd -q -T0 -3 -f -o ${shellQuote(zstdCopy)}`]);
  return zstdCopy;
}
