/**
 * One stage, built or reused: compute the key; on a hit restore the stored snapshot; on a miss restore
 * the parent's snapshot, run the entry script, and publish what it wrote.
 */
import { mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../util/errors.js';
import { run, which } from '../util/exec.js';
import { formatBytes, formatDuration } from '../util/format.js';
import { group, log } from '../util/log.js';
import { computeKeys, shortKey, type StageKey } from '../chain/keys.js';
import { loadChain } from '../chain/chain.js';
import { findStage, type StageDefinition } from '../chain/manifest.js';
import { detectCompression } from '../rootfs/archive.js';
import { installGzipShim } from '../rootfs/gzip-shim.js';
import { validateLfsPath, wipeLfs, readBuildState } from '../rootfs/lfs.js';
import { unmountBelow } from '../rootfs/mounts.js';
import { restoreSnapshot } from '../rootfs/restore.js';
import type { SnapshotStore } from '../store/types.js';
import { STAGE_TOOLS, preflight } from './preflight.js';
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
}

export interface StageResult {
  stage: string;
  key: string;
  parentKey: string | null;
  cacheHit: boolean;
  /** Built in this run (false on a hit or with lookupOnly). */
  built: boolean;
  /** Local path of the stage's snapshot, when one was restored or built. */
  snapshot?: string;
  snapshotSize?: number;
  /** Wall-clock seconds of the whole step. */
  seconds: number;
  buildSeconds?: number;
  logFile?: string;
}

export async function runStage(request: StageRequest): Promise<StageResult> {
  const started = Date.now();
  const elapsed = () => (Date.now() - started) / 1000;
  const pizlixDir = path.resolve(request.pizlixDir);
  if (!(await stat(pizlixDir).then((s) => s.isDirectory(), () => false))) {
    throw new InputError('pizlix-dir', `${pizlixDir} is not a directory`, 'the pizlix folder of a Fil-C checkout');
  }
  const manifest = loadChain({ pizlixDir, manifestFile: request.manifestFile });
  const definition = findStage(manifest, request.stage);
  const lfs = validateLfsPath(request.lfs, [
    { what: 'pizlix directory', path: pizlixDir },
    { what: 'working directory', path: request.workDir },
    ...(request.store.kind === 'local' ? [{ what: 'store', path: (request.store as unknown as { root: string }).root }] : []),
    ...(request.protect ?? []),
  ]);

  const keys = await group('Computing stage keys', () => computeKeys(manifest, { pizlixDir, keyExtra: request.keyExtra }));
  const key = keys.find((k) => k.stage === definition.name)!;
  log.info(`stage ${definition.name}: key ${key.key}`);
  await mkdir(request.workDir, { recursive: true });

  const existing = await request.store.lookup(key.key);
  if (existing) {
    log.info(`store (${request.store.kind}) has ${definition.name} (${formatBytes(existing.meta.size)}, built in ${formatDuration(existing.meta.buildSeconds)})`);
    if (request.lookupOnly) return { stage: definition.name, key: key.key, parentKey: key.parentKey, cacheHit: true, built: false, seconds: elapsed() };
    const fetched = await request.store.fetch(key.key, request.workDir);
    if (fetched) {
      await group(`Restoring ${definition.name} into ${lfs}`, () => restoreSnapshot(fetched.file, lfs, definition.name));
      return { stage: definition.name, key: key.key, parentKey: key.parentKey, cacheHit: true, built: false, snapshot: fetched.file, snapshotSize: fetched.meta.size, seconds: elapsed() };
    }
    log.warning(`the stored ${definition.name} snapshot failed verification; building the stage instead`);
  } else {
    log.info(`store (${request.store.kind}) has no ${definition.name} snapshot for this key`);
  }
  if (request.lookupOnly) return { stage: definition.name, key: key.key, parentKey: key.parentKey, cacheHit: false, built: false, seconds: elapsed() };

  return buildStage(request, definition, key, lfs, pizlixDir, started);
}

async function buildStage(
  request: StageRequest,
  definition: StageDefinition,
  key: StageKey,
  lfs: string,
  pizlixDir: string,
  started: number,
): Promise<StageResult> {
  const script = path.join(pizlixDir, definition.script);
  const parentKey = key.parentKey;
  const parentEntry = parentKey ? await request.store.lookup(parentKey) : undefined;
  const expectedBytes = parentEntry ? parentEntry.meta.size * 6 : 1 << 30;
  await preflight({
    script,
    tools: STAGE_TOOLS,
    needsRoot: true,
    needsLfsUser: true,
    space: [
      { dir: lfs, bytes: expectedBytes, what: 'the root filesystem' },
      { dir: request.workDir, bytes: expectedBytes / 3, what: 'the snapshot' },
    ],
  });
  if (!(await which('pigz'))) log.warning('pigz is not installed: the stage script will compress its snapshot with single-threaded gzip');

  if (definition.parent) {
    if (!parentEntry) {
      throw new InputError('stage', `parent stage '${definition.parent}' (key ${parentKey}) is not in the ${request.store.kind} store`, `build '${definition.parent}' first`);
    }
    const parent = await request.store.fetch(parentKey!, request.workDir);
    if (!parent) throw new InputError('stage', `parent stage '${definition.parent}' (key ${parentKey}) failed verification in the store`, `rebuild '${definition.parent}'`);
    await group(`Restoring parent ${definition.parent} into ${lfs}`, () => restoreSnapshot(parent.file, lfs, definition.parent!));
  } else {
    const unmounted = await unmountBelow(lfs);
    if (unmounted.length > 0) log.warning(`unmounted what an earlier job left below ${lfs}: ${unmounted.join(', ')}`);
    await wipeLfs(lfs);
  }

  const snapshotPath = path.join(pizlixDir, definition.snapshot);
  const zstdCopy = path.join(request.workDir, `lfs-${definition.name}.tar.zst`);
  await rm(snapshotPath, { force: true });
  await rm(zstdCopy, { force: true });
  const shim = await installGzipShim(path.join(request.workDir, 'shim'), snapshotPath, zstdCopy);
  const logFile = path.join(request.workDir, `${definition.name}.log`);
  await rm(logFile, { force: true });

  let buildSeconds: number;
  try {
    log.startGroup(`Building ${definition.name}: ${definition.script}`);
    ({ seconds: buildSeconds } = await runScript({
      script,
      cwd: pizlixDir,
      env: { ...process.env, ...shim.env, LFS: lfs, PATH: `${shim.binDir}:${process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'}` },
      logFile,
      label: `${definition.name} (${definition.script})`,
      timeoutSeconds: request.timeoutMinutes ? request.timeoutMinutes * 60 : undefined,
    }));
  } catch (err) {
    Object.assign(err as object, { logFile });
    throw err;
  } finally {
    log.endGroup();
    // Whatever the script left mounted must not outlive it (the post step checks again).
    await unmountBelow(lfs);
  }
  log.info(`${definition.name} built in ${formatDuration(buildSeconds)}`);

  const state = await readBuildState(lfs);
  if (state !== definition.name) {
    throw Object.assign(new Error(`${definition.script} finished but ${lfs}/sources/lfsbuildstate says '${state ?? '(missing)'}', not '${definition.name}'`), { logFile });
  }
  if (!(await stat(snapshotPath).then((s) => s.isFile(), () => false))) {
    throw Object.assign(new Error(`${definition.script} finished without writing its snapshot ${snapshotPath}`), { logFile });
  }
  const storeFile = await storableSnapshot(snapshotPath, zstdCopy);
  const compression = (await detectCompression(storeFile)) === 'zstd' ? 'zstd' : 'gzip';
  const entry = await group(`Publishing ${definition.name} to the ${request.store.kind} store`, () =>
    request.store.publish(storeFile, {
      key: key.key,
      stage: definition.name,
      parentKey,
      compression,
      buildSeconds,
      inputs: key.inputs,
    }),
  );
  return {
    stage: definition.name,
    key: key.key,
    parentKey,
    cacheHit: false,
    built: true,
    snapshot: storeFile,
    snapshotSize: entry.meta.size,
    seconds: (Date.now() - started) / 1000,
    buildSeconds,
    logFile,
  };
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
  const decompress = compression === 'gzip' ? `${gunzip} -dc ${q(snapshotPath)}` : `cat ${q(snapshotPath)}`;
  await run('bash', ['-o', 'pipefail', '-c', `${decompress} | zstd -q -T0 -3 -f -o ${q(zstdCopy)}`]);
  return zstdCopy;
}

function q(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
