/**
 * The Fil-C-shaped fixture (tests/fixtures/filc) as a developer's checkout: a git repository with every file
 * committed, and the projeny work trees set up with the fixture's own projeny (untracked; projects/icu/ is
 * ignored, as in Fil-C). Its downloads are served from tests/fixtures/filc-downloads through file://.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './runner.js';
import { copyFixture } from './workdir.js';

export const FILC_STAGES = ['prelc', 'lc', 'postlc', 'postlc2', 'postlc3', 'postlc4', 'postlc5', 'postlc6'] as const;
export const FILC_DOWNLOADS = path.join(REPO_ROOT, 'tests', 'fixtures', 'filc-downloads');
/** What the stage scripts need in their environment to download without the network. */
export const FILC_ENV = { PIZLIX_DOWNLOAD_MIRROR: `file://${FILC_DOWNLOADS}` };

export function git(cwd: string, ...args: string[]): string {
  return execFileSync(
    'git',
    ['-c', 'user.email=fixture@pizlix.invalid', '-c', 'user.name=fixture', '-c', 'init.defaultBranch=deluge', '-c', 'gc.auto=0', ...args],
    { cwd, stdio: 'pipe' },
  ).toString();
}

/** Copies the fixture to dest, commits it, and sets up its projeny work trees. Returns dest. */
export async function makeFilcCheckout(dest: string): Promise<string> {
  await copyFixture('filc', dest);
  git(dest, 'init', '-q');
  git(dest, 'add', '-A');
  git(dest, 'commit', '-qm', 'fixture');
  for (const pin of readdirSync(path.join(dest, 'projects'))
    .filter((n) => n.endsWith('.projeny'))
    .sort()) {
    execFileSync(path.join(dest, 'filc', 'projeny'), ['setup', `projects/${pin}`], { cwd: dest, stdio: 'pipe' });
  }
  return dest;
}
