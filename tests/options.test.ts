/**
 * One options schema per verb (src/options): every action.yml says exactly what its schema says, and the
 * action and the command line give the same error for the same bad value.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ACTION_SCHEMAS } from '../src/options/by-action.js';
import { InvalidOptionsError, readOptions, type ReadContext } from '../src/options/option.js';
import { stageOptions } from '../src/options/stage.js';
import { bootTestOptions } from '../src/options/boot-test.js';
import { InputError } from '../src/util/errors.js';
import { withSchemaInputs } from '../scripts/action-inputs.js';
import { NODE, REPO_ROOT, runAction } from './harness/runner.js';
import { copyFixture, makeTestDir, type TestDir } from './harness/workdir.js';

let dir: TestDir;
let checkout: string;

before(async () => {
  dir = await makeTestDir('options');
  checkout = await copyFixture('mini', path.join(dir.path, 'checkout'));
  await mkdir(path.join(dir.path, 'lfs'));
});
after(async () => {
  await dir?.remove();
});

function cli(...args: string[]) {
  const run = spawnSync(NODE, [path.join(REPO_ROOT, 'dist/cli/index.js'), ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

/** The `::error::` line of an action run, decoded. */
function actionError(stdout: string): string {
  const line = stdout.split('\n').find((l) => l.startsWith('::error::')) ?? '';
  return line.slice('::error::'.length).replace(/%0A/g, '\n').replace(/%25/g, '%');
}

const context: ReadContext = { surface: 'action', baseDir: '/work', env: {} };

describe('option schemas', () => {
  for (const action of Object.keys(ACTION_SCHEMAS)) {
    test(`${action === '.' ? 'action.yml' : `actions/${action}/action.yml`} declares exactly its schema's inputs (scripts/action-inputs.ts --write fixes it)`, () => {
      const { current, expected } = withSchemaInputs(action);
      assert.equal(current, expected);
    });
  }

  test('defaults, paths from the base directory, and typed values', () => {
    const values = readOptions(
      stageOptions,
      (name) => ({ stage: 'lc', 'timeout-minutes': '90', 'lookup-only': 'yes', 'store-max-size': '300G', 'pizlix-dir': 'src/pizlix' })[name],
      context,
    );
    assert.equal(values.stage, 'lc');
    assert.equal(values.pizlixDir, '/work/src/pizlix');
    assert.equal(values.lfs, '/mnt/lfs');
    assert.equal(values.timeoutMinutes, 90);
    assert.equal(values.lookupOnly, true);
    assert.equal(values.storeMaxSize, 300 * 1024 ** 3);
    assert.equal(values.store, 'auto');
    assert.equal(values.compilerCache, 'auto');
    assert.equal(values.compilerCacheSize, 5 * 1024 ** 3);
    assert.equal(values.manifest, undefined);
    assert.equal('workDir' in values, false, 'a command-line-only option is not read in an action');
  });

  test('every problem at once, each naming its input and what would be right', () => {
    assert.throws(
      () => readOptions(bootTestOptions, (name) => ({ image: 'disk.img', memory: '12Q', cpus: '0', accel: 'fast', 'retention-days': '100' })[name], context),
      (err: unknown) => {
        assert.ok(err instanceof InvalidOptionsError);
        const messages = err.problems.map((p) => p.message);
        assert.deepEqual(messages, [
          "input 'accel': 'fast' is not supported; expected one of: auto, kvm, tcg",
          "input 'cpus': 0 is out of range; expected a whole number ≥ 1",
          "input 'memory': '12Q' is not a size; expected a size such as 2G, 300G or 512M",
          "input 'retention-days': 100 is out of range; expected a whole number ≥ 1 and ≤ 90",
        ]);
        return true;
      },
    );
    assert.throws(
      () => readOptions(bootTestOptions, (name) => ({ image: 'disk.img', memory: '100M' })[name], context),
      /input 'memory': 100M is too small; expected at least 256M/,
    );
    assert.throws(
      () => readOptions(stageOptions, () => '', context),
      (err: unknown) => err instanceof InputError && /input 'stage': is required but empty/.test(err.message),
    );
  });

  test('the stage action and the command line give the same error for the same bad value', async () => {
    const inputs = {
      stage: 's1',
      'pizlix-dir': path.join(checkout, 'pizlix'),
      manifest: path.join(checkout, 'stages.yml'),
      'store-path': path.join(dir.path, 'store'),
      lfs: path.join(dir.path, 'lfs'),
    };
    const action = await runAction({ action: '.', inputs: { ...inputs, 'timeout-minutes': '1O' }, jobDir: path.join(dir.path, 'job-timeout') });
    assert.equal(action.main.exitCode, 1);
    const expected = "input 'timeout-minutes': '1O' is not a number; expected a number > 0";
    assert.equal(actionError(action.main.stdout), expected);
    const command = cli(
      'stage',
      's1',
      '--pizlix-dir',
      inputs['pizlix-dir'],
      '--manifest',
      inputs.manifest,
      '--store-path',
      inputs['store-path'],
      '--lfs',
      inputs.lfs,
      '--timeout-minutes',
      '1O',
    );
    assert.equal(command.status, 1, command.output);
    assert.ok(command.output.includes(expected), command.output);
  });

  test('the boot-test action and the command line give the same errors for the same bad values', async () => {
    const action = await runAction({
      action: 'boot-test',
      inputs: { image: '/nonexistent.img', memory: 'lots', 'timeout-multiplier': '-2' },
      jobDir: path.join(dir.path, 'job-boot'),
    });
    assert.equal(action.main.exitCode, 1);
    const command = cli('boot-test', '/nonexistent.img', '--memory', 'lots', '--timeout-multiplier', '-2');
    assert.equal(command.status, 1, command.output);
    for (const expected of ["input 'memory': 'lots' is not a size", "input 'timeout-multiplier': -2 is out of range; expected a number > 0"]) {
      assert.ok(actionError(action.main.stdout).includes(expected), action.main.stdout);
      assert.ok(command.output.includes(expected), command.output);
    }
  });
});
