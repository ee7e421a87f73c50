/** Test directories under /var/tmp/pizlix-stage-tests, removed afterwards without crossing mounts. */
import { randomBytes } from 'node:crypto';
import { cp, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { run } from '../../src/util/exec.js';
import { mountsBelow, unmountBelow } from '../../src/rootfs/mounts.js';
import { REPO_ROOT } from './runner.js';

export const TEST_ROOT = '/var/tmp/pizlix-stage-tests';

export interface TestDir {
  path: string;
  /** Unmounts anything left below, then deletes the directory. */
  remove(): Promise<void>;
}

export async function makeTestDir(name: string): Promise<TestDir> {
  const dir = path.join(TEST_ROOT, `${name}-${randomBytes(4).toString('hex')}`);
  await mkdir(dir, { recursive: true });
  return {
    path: dir,
    async remove() {
      await unmountBelow(dir);
      if ((await mountsBelow(dir)).length > 0) throw new Error(`mounts left below ${dir}`);
      await run('rm', ['-rf', '--one-file-system', dir]);
    },
  };
}

/** Copies a fixture checkout (symlinked helpers resolved), so tests may change its files. */
export async function copyFixture(name: string, dest: string): Promise<string> {
  await cp(path.join(REPO_ROOT, 'tests', 'fixtures', name), dest, { recursive: true, dereference: true });
  return dest;
}

/** Makes sure the `lfs` user Pizlix's scripts require exists (tests may create it). */
export async function ensureLfsUser(): Promise<void> {
  const { capture } = await import('../../src/util/exec.js');
  if ((await capture('id', ['-u', 'lfs'])).code !== 0) await run('useradd', ['-m', 'lfs']);
}
