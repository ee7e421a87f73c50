/**
 * The Fil-C-shaped fixture end to end, with no manifest: the stage action (runner-style) builds all eight
 * stages of the chain it reads from the scripts, then finds every one stored; the plan action and the
 * command line's chain verbs report the chain, its inputs and its holes.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseManifestText } from '../src/chain/manifest.js';
import { mountsBelow } from '../src/rootfs/mounts.js';
import { FILC_ENV, FILC_STAGES, makeFilcCheckout } from './harness/filc-fixture.js';
import { NODE, REPO_ROOT, runAction, type ActionRun } from './harness/runner.js';
import { ensureLfsUser, makeTestDir, type TestDir } from './harness/workdir.js';

let dir: TestDir;
let checkout: string;
let pizlixDir: string;
let store: string;
let lfs: string;
let runLog: string;
let job = 0;

before(async () => {
  await ensureLfsUser();
  dir = await makeTestDir('filc-chain');
  checkout = await makeFilcCheckout(path.join(dir.path, 'checkout'));
  pizlixDir = path.join(checkout, 'pizlix');
  store = path.join(dir.path, 'store');
  lfs = path.join(dir.path, 'lfs');
  runLog = path.join(dir.path, 'runs.log');
  await mkdir(lfs);
});
after(async () => {
  await dir?.remove();
});

async function stageJob(stage: string): Promise<ActionRun> {
  const result = await runAction({
    action: '.',
    inputs: { stage, 'pizlix-dir': pizlixDir, store: 'local', 'store-path': store, lfs, 'timeout-minutes': '10' },
    env: { ...FILC_ENV, FIXTURE_RUN_LOG: runLog },
    jobDir: path.join(dir.path, `job-${++job}`),
  });
  assert.equal(result.main.exitCode, 0, `stage ${stage} failed:\n${result.main.stdout.slice(-5000)}\n${result.main.stderr.slice(-2000)}`);
  assert.equal(result.post?.exitCode, 0, `post step of ${stage} failed:\n${result.post?.stdout}`);
  assert.deepEqual(await mountsBelow(lfs), [], `nothing stays mounted below $LFS after ${stage}`);
  return result;
}

async function scriptsRun(): Promise<string[]> {
  const text = await readFile(runLog, 'utf8').catch(() => '');
  await writeFile(runLog, '');
  return text.split('\n').filter(Boolean);
}

function planJob(extra: Record<string, string> = {}): Promise<ActionRun> {
  return runAction({
    action: 'plan',
    inputs: { 'pizlix-dir': pizlixDir, store: 'local', 'store-path': store, ...extra },
    jobDir: path.join(dir.path, `job-${++job}`),
  });
}

function cli(...args: string[]) {
  const run = spawnSync(NODE, [path.join(REPO_ROOT, 'dist/cli/index.js'), ...args, '--pizlix-dir', pizlixDir], { encoding: 'utf8', timeout: 120_000 });
  return { status: run.status, output: `${run.stdout}${run.stderr}`, stdout: run.stdout };
}

describe('the eight-stage fixture through the actions, with the chain read from its scripts', () => {
  test('the stage action builds every stage in order, each from its parent, downloads included', async () => {
    for (const stage of FILC_STAGES) {
      const result = await stageJob(stage);
      assert.equal(result.outputs.built, 'true', stage);
      assert.match(result.outputs.key, new RegExp(`^pizlix-${stage}-[0-9a-f]{40}$`));
      assert.equal((await readFile(path.join(lfs, 'sources/lfsbuildstate'), 'utf8')).trim(), stage);
    }
    assert.deepEqual(await scriptsRun(), [...FILC_STAGES]);
    // What each stage put in the root: the compiler (lc), the kernel (postlc), sshd (postlc2), the fonts
    // (postlc3), the patched download (postlc6) — on top of everything the earlier stages left.
    assert.match(await readFile(path.join(lfs, 'usr/share/filc/compiler-version'), 'utf8'), /^Fil-C clang 20 \([0-9a-f]{64}\)/);
    assert.match(await readFile(path.join(lfs, 'boot/vmlinuz-6.10.5-lfs-12.2'), 'utf8'), /kernel image stand-in/);
    assert.equal(await readFile(path.join(lfs, 'etc/ssh/sshd_config'), 'utf8'), 'PasswordAuthentication yes\n');
    assert.equal(await readFile(path.join(lfs, 'usr/share/fonts/dejavu/DejaVuSans.ttf'), 'utf8'), 'DejaVu Sans font stand-in\n');
    assert.match(await readFile(path.join(lfs, 'usr/share/pizlix/boost'), 'utf8'), /Fil-C: no pointer tagging/);
    assert.match(await readFile(path.join(lfs, 'usr/lib/libreoffice/share/libreoffice-help-24.8.0.3/README'), 'utf8'), /downloaded stand-in/);
    assert.match(await readFile(path.join(lfs, 'usr/share/pizlix/icu/source/common/uchar.cpp'), 'utf8'), /Fil-C: no type punning/);
  });

  test('a second pass finds every stage stored and runs no script', async () => {
    for (const stage of FILC_STAGES) {
      const result = await stageJob(stage);
      assert.equal(result.outputs['cache-hit'], 'true', `${stage} is reused: its inputs did not change, building did not change them`);
      assert.equal(result.outputs.built, 'false');
    }
    assert.deepEqual(await scriptsRun(), []);
  });

  test('the plan action gives the chain, nothing to rebuild, and who fetches from the network', async () => {
    const result = await planJob({ 'max-stages': '12' });
    assert.equal(result.main.exitCode, 0, result.main.stdout);
    assert.deepEqual(JSON.parse(result.outputs.stages), [...FILC_STAGES]);
    assert.equal(result.outputs['stage-count'], '8');
    assert.equal(result.outputs['last-stage'], 'postlc6');
    assert.equal(result.outputs['last-key'], JSON.parse(result.outputs.keys).postlc6);
    assert.equal(result.outputs['stages-to-build'], '[]');
    assert.match(result.summary, /Chain of 8 stages from the scripts in .*: prelc → lc → postlc → postlc2 → postlc3 → postlc4 → postlc5 → postlc6/);
    assert.match(result.summary, /<td>postlc6<\/td>.*fetches 3 URL\(s\) from the network/s);
    assert.doesNotMatch(result.main.stdout, /::warning/, 'a clean chain has nothing to warn about');
    const tooFew = await planJob({ 'max-stages': '7' });
    assert.equal(tooFew.main.exitCode, 1);
    assert.match(tooFew.main.stdout, /input 'max-stages': the chain has 8 stages \(prelc, .*postlc6\), more than the 7 stage jobs the workflow has/);
  });

  test('inputs lists every input of a stage with the script line that made it one', () => {
    const { status, output } = cli('inputs', 'postlc2');
    assert.equal(status, 0, output);
    assert.match(output, /projects\/openssh-10\.5p1\/\s+tree\s+2\s+packages\s+pizlix\/build_postlc2\.sh:28 → pizlix\/build_postlc2_sub1_packaging\.sh:14/);
    assert.match(output, /projects\/icu\/\s+tree \(on disk\)\s+0\s+projeny work tree \(edits since setup\)/);
    assert.match(output, /projects\/icu-78\.3\.tar\.gz\s+file\s+1\s+projeny archive/);
    const postlc6 = cli('inputs', 'postlc6');
    assert.match(
      postlc6.output,
      /fetches from the network:[\s\S]*https:\/\/downloads\.pizlix\.invalid\/boost\/boost_1_86_0\.tar\.gz\s+sha256:d1d6586339cf7076…\s+pizlix\/build_postlc6\.sh:28 → pizlix\/build_postlc6_sub1_packaging\.sh:42/,
    );
  });

  test('manifest prints the chain as a manifest that loads back', () => {
    const { status, stdout } = cli('manifest');
    assert.equal(status, 0, stdout);
    const parsed = parseManifestText(stdout, 'printed');
    assert.deepEqual(
      parsed.stages.map((s) => s.name),
      [...FILC_STAGES],
    );
    assert.ok(parsed.stages[2].inputs!.includes('projects/emacs-lisp/**'));
    assert.match(stdout, /- projects\/openssh-10\.5p1\/\*\* # packages: pizlix\/build_postlc2\.sh:28 → pizlix\/build_postlc2_sub1_packaging\.sh:14/);
  });

  test('check finds a planted hole and a project no stage uses; the plan warns about both', async () => {
    assert.equal(cli('check').status, 0, 'the fixture has no hole');
    await appendFile(path.join(pizlixDir, 'build_postlc4_sub1_packaging.sh'), './package-source.sh projects/missing-1.0 pizlonated-missing\n');
    await mkdir(path.join(checkout, 'projects/unused-0.1'));
    await writeFile(path.join(checkout, 'projects/unused-0.1/unused.c'), 'int unused;\n');
    const { status, output } = cli('check');
    assert.equal(status, 1, output);
    assert.match(
      output,
      /postlc4: projects\/missing-1\.0: packages: does not exist \(pizlix\/build_postlc4\.sh:28 → pizlix\/build_postlc4_sub1_packaging\.sh:15\)/,
    );
    assert.match(output, /projects\/unused-0\.1: no stage reads it/);
    const plan = await planJob();
    assert.equal(plan.main.exitCode, 0, plan.main.stdout);
    assert.match(plan.main.stdout, /::warning title=Input resolves to nothing::stage postlc4: projects\/missing-1\.0: packages: does not exist/);
    assert.match(plan.main.stdout, /::warning title=Unused project::projects\/unused-0\.1: no stage reads it/);
    assert.deepEqual(JSON.parse(plan.outputs['stages-to-build']), ['postlc4', 'postlc5', 'postlc6']);
  });
});
