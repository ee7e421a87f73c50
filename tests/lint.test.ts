/**
 * The code's habits, checked with the suite: ESLint (typescript-eslint's recommended rules) finds nothing, and
 * every file Prettier owns is formatted as it would write it (`npm run format` fixes both).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, test } from 'node:test';

const root = path.resolve(import.meta.dirname, '..');

function run(bin: string, args: string[]): { status: number | null; output: string } {
  const result = spawnSync(process.execPath, [path.join(root, 'node_modules', bin), ...args], { cwd: root, encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('lint', () => {
  test('ESLint reports no problem', () => {
    const { status, output } = run('eslint/bin/eslint.js', ['--max-warnings=0', '.']);
    assert.equal(status, 0, output);
  });

  test('Prettier would change no file', () => {
    const { status, output } = run('prettier/bin/prettier.cjs', ['--check', '.']);
    assert.equal(status, 0, output);
  });
});
