/**
 * The Debian-built, Pizlix-shaped fixture (tests/fixtures/debian), built through this project's own
 * stage action — runner-style, stage by stage — into a store that persists between test runs on one
 * machine, so only the first run pays for debootstrap. Tests that need a bootable image make one from
 * its last snapshot and remove it afterwards.
 */
import assert from 'node:assert/strict';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { buildDiskImage, type DiskImageResult } from '../../src/image/build.js';
import { LocalStore } from '../../src/store/local.js';
import { run } from '../../src/util/exec.js';
import { runAction } from './runner.js';
import { REPO_ROOT } from './runner.js';
import { TEST_ROOT, ensureLfsUser } from './workdir.js';

export const DEBIAN_FIXTURE = path.join(REPO_ROOT, 'tests', 'fixtures', 'debian');
export const DEBIAN_STAGES = ['base', 'net', 'gui'] as const;
export const FIXTURE_HOME = path.join(TEST_ROOT, 'debian-fixture');
export const FIXTURE_STORE = path.join(FIXTURE_HOME, 'store');

export interface FixtureSnapshot {
  stage: string;
  /** Verified zstd snapshot inside the persistent store: read it, do not change it. */
  file: string;
  key: string;
}

/** Builds (or finds) every fixture stage up to `last` and returns the last one's snapshot. */
export async function debianFixtureSnapshot(last: (typeof DEBIAN_STAGES)[number] = 'gui'): Promise<FixtureSnapshot> {
  await ensureLfsUser();
  await mkdir(FIXTURE_HOME, { recursive: true });
  // The store is shared by every checkout on the machine (publishes are atomic renames); the build tree
  // and job files are this process's own, so two test runs never build into one $LFS.
  const lfs = path.join(FIXTURE_HOME, `lfs-${process.pid}`);
  const jobs = path.join(FIXTURE_HOME, `jobs-${process.pid}`);
  const stageInputs = (stage: string, extra: Record<string, string>) => ({
    stage,
    'pizlix-dir': path.join(DEBIAN_FIXTURE, 'pizlix'),
    manifest: path.join(DEBIAN_FIXTURE, 'stages.yml'),
    store: 'local',
    'store-path': FIXTURE_STORE,
    lfs,
    ...extra,
  });
  let result;
  for (const stage of DEBIAN_STAGES.slice(0, DEBIAN_STAGES.indexOf(last) + 1)) {
    result = await runAction({ action: '.', inputs: stageInputs(stage, { 'lookup-only': 'true' }), jobDir: path.join(jobs, `${stage}-lookup`) });
    assert.equal(result.main.exitCode, 0, result.main.stdout.slice(-4000));
    if (result.outputs['cache-hit'] === 'true') continue;
    result = await runAction({ action: '.', inputs: stageInputs(stage, { 'timeout-minutes': '30' }), jobDir: path.join(jobs, stage) });
    assert.equal(result.main.exitCode, 0, `fixture stage ${stage} failed:\n${result.main.stdout.slice(-6000)}`);
  }
  // The LFS tree of the last build and the gzip tarballs the scripts left in the pizlix dir (as Pizlix's
  // do) are not needed again: the store has every stage. Give the disk back.
  await run('rm', ['-rf', '--one-file-system', lfs, jobs]);
  for (const stage of DEBIAN_STAGES) await rm(path.join(DEBIAN_FIXTURE, 'pizlix', `lfs-${stage}.tar.gz`), { force: true });
  const key = result!.outputs.key;
  const fetched = await new LocalStore(FIXTURE_STORE, { trust: 'trusted', ref: 'local' }).fetch(key);
  assert.ok(fetched, `the fixture store holds ${last}`);
  return { stage: last, file: fetched.file, key };
}

/**
 * A disk image of the fixture's `last` stage, made by the disk-image library into `outputDir`
 * (the caller removes it): Pizlix's layout, the fixture's own etc/grub.cfg, as a Pizlix job makes it.
 */
export async function debianFixtureImage(outputDir: string, options: { last?: (typeof DEBIAN_STAGES)[number]; vmdk?: string } = {}): Promise<DiskImageResult> {
  const snapshot = await debianFixtureSnapshot(options.last ?? 'gui');
  return buildDiskImage({ snapshot: snapshot.file, outputDir, pizlixDir: path.join(DEBIAN_FIXTURE, 'pizlix'), vmdk: options.vmdk ?? 'none' });
}
