/**
 * Writes the `inputs:` section of every action.yml from its option schema (src/options), keeping the rest of
 * each file (name, description, outputs, runs, comments). `node --import tsx scripts/action-inputs.ts` checks;
 * with `--write` it rewrites the files. tests/options.test.ts runs the check.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { ACTION_SCHEMAS, actionInputsOf } from '../src/options/by-action.js';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

export function actionFile(action: string): string {
  return path.join(root, action === '.' ? '' : path.join('actions', action), 'action.yml');
}

/** The action.yml text with its inputs taken from the schema. */
export function withSchemaInputs(action: string): { current: string; expected: string } {
  const current = readFileSync(actionFile(action), 'utf8');
  const document = YAML.parseDocument(current);
  document.set('inputs', document.createNode(actionInputsOf(ACTION_SCHEMAS[action])));
  return { current, expected: document.toString({ lineWidth: 120, singleQuote: true }) };
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  const write = process.argv.includes('--write');
  let stale = 0;
  for (const action of Object.keys(ACTION_SCHEMAS)) {
    const { current, expected } = withSchemaInputs(action);
    if (current === expected) continue;
    stale++;
    if (write) writeFileSync(actionFile(action), expected);
    process.stdout.write(`${write ? 'wrote' : 'stale'}: ${path.relative(root, actionFile(action))}\n`);
  }
  if (stale > 0 && !write) process.exitCode = 1;
}
