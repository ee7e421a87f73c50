#!/usr/bin/env node
// Runs every tests/*.test.ts with node's test runner, one file at a time (the suites mount file
// systems and boot QEMU guests; two at once on a small runner only makes both slower).
// Arguments narrow the run: `npm test -- stage-action keys`.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const wanted = process.argv.slice(2);
const files = readdirSync(path.join(root, 'tests'))
  .filter((f) => f.endsWith('.test.ts'))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.includes(w)))
  .sort()
  .map((f) => path.join('tests', f));
if (files.length === 0) {
  console.error(`no test file matches ${wanted.join(', ')}`);
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', ...files], { cwd: root, stdio: 'inherit' });
process.exit(result.status ?? 1);
