/** The committed bundles in dist/ are exactly what `npm run build` makes now, and each loads under Node. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import YAML from 'yaml';
import { NODE, NODE24, REPO_ROOT } from './harness/runner.js';
import { makeTestDir, type TestDir } from './harness/workdir.js';

let dir: TestDir;
let fresh: string;

before(async () => {
  dir = await makeTestDir('bundles');
  fresh = path.join(dir.path, 'dist');
  const build = spawnSync(process.execPath, [path.join(REPO_ROOT, 'scripts/build.mjs'), '--out', fresh], { cwd: REPO_ROOT, encoding: 'utf8' });
  assert.equal(build.status, 0, build.stderr);
});
after(async () => {
  await dir?.remove();
});

async function bundleNames(root: string): Promise<string[]> {
  return (await readdir(root, { withFileTypes: true }))
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

describe('bundles', () => {
  test('dist/ is fresh: rebuilding from the sources gives the same bytes', async () => {
    const committed = path.join(REPO_ROOT, 'dist');
    assert.deepEqual(await bundleNames(committed), await bundleNames(fresh), 'the same bundles');
    const files = async (root: string) =>
      (await readdir(root, { recursive: true, withFileTypes: true }))
        .filter((e) => e.isFile())
        .map((e) => path.relative(root, path.join(e.parentPath, e.name)))
        .sort();
    assert.deepEqual(await files(committed), await files(fresh), 'the same files in dist/');
    for (const file of await files(fresh)) {
      const want = await readFile(path.join(fresh, file));
      const have = await readFile(path.join(committed, file));
      assert.ok(want.equals(have), `dist/${file} is stale: run npm run build and commit dist/`);
    }
  });

  test('every action.yml names a bundle that exists, on node24', async () => {
    const actionFiles = ['action.yml', ...(await readdir(path.join(REPO_ROOT, 'actions'))).map((a) => path.join('actions', a, 'action.yml'))];
    for (const file of actionFiles) {
      const action = YAML.parse(await readFile(path.join(REPO_ROOT, file), 'utf8'));
      assert.equal(action.runs.using, 'node24', file);
      for (const step of ['main', 'post'] as const) {
        if (!action.runs[step]) continue;
        const bundle = path.resolve(REPO_ROOT, path.dirname(file), action.runs[step]);
        assert.ok(bundle.startsWith(path.join(REPO_ROOT, 'dist')), `${file} ${step} points into dist/`);
        await readFile(bundle);
      }
    }
  });

  test('every bundle loads under Node and fails only on its inputs', async () => {
    const runtimes = [...new Set([process.execPath, NODE, NODE24])];
    for (const node of runtimes) {
      for (const name of await bundleNames(path.join(REPO_ROOT, 'dist'))) {
        const bundle = path.join(REPO_ROOT, 'dist', name, 'index.js');
        const args = name === 'cli' ? [bundle, '--help'] : [bundle];
        // With no inputs and no state, an action must start, then report a clear input error (or do nothing, for post steps).
        const run = spawnSync(node, args, { encoding: 'utf8', env: { PATH: process.env.PATH, GITHUB_ACTIONS: 'true' }, timeout: 60_000 });
        const output = `${run.stdout}${run.stderr}`;
        assert.doesNotMatch(
          output,
          /ERR_MODULE_NOT_FOUND|ERR_REQUIRE|is not a function|SyntaxError|Cannot find module|ReferenceError/,
          `${name} under ${node}`,
        );
        if (name === 'cli') assert.equal(run.status, 0, output);
        else if (name.endsWith('-post')) assert.equal(run.status, 0, `${name}: a post step with no state does nothing\n${output}`);
        else assert.match(output, /::error::.*(input '|Input required)/i, `${name} reports a missing input:\n${output}`);
      }
    }
  });
});
