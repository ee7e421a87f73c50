/** Reading action inputs with validation: every error names the input, what was wrong and what would be right. */
import * as core from '@actions/core';
import path from 'node:path';
import { InputError } from '../util/errors.js';
import type { S3StoreInputs } from '../store/s3-layout.js';

export function textInput(name: string, fallback = ''): string {
  return core.getInput(name).trim() || fallback;
}

export function requiredInput(name: string, expected: string): string {
  const value = core.getInput(name).trim();
  if (!value) throw new InputError(name, 'is required but empty', expected);
  return value;
}

export function booleanInput(name: string, fallback = false): boolean {
  const value = core.getInput(name).trim().toLowerCase();
  if (!value) return fallback;
  if (['true', 'yes', '1', 'on'].includes(value)) return true;
  if (['false', 'no', '0', 'off'].includes(value)) return false;
  throw new InputError(name, `'${value}' is not a boolean`, 'true or false');
}

export function numberInput(name: string, options: { min?: number; max?: number; integer?: boolean } = {}): number | undefined {
  const value = core.getInput(name).trim();
  if (!value) return undefined;
  const number = Number(value);
  const kind = options.integer ? 'a whole number' : 'a number';
  const range = `${options.min !== undefined ? ` ≥ ${options.min}` : ''}${options.max !== undefined ? ` ≤ ${options.max}` : ''}`;
  if (!Number.isFinite(number) || (options.integer && !Number.isInteger(number))) throw new InputError(name, `'${value}' is not ${kind}`, `${kind}${range}`);
  if ((options.min !== undefined && number < options.min) || (options.max !== undefined && number > options.max)) {
    throw new InputError(name, `${value} is out of range`, `${kind}${range}`);
  }
  return number;
}

export function choiceInput<T extends string>(name: string, choices: readonly T[], fallback: T): T {
  const value = core.getInput(name).trim() || fallback;
  if (!(choices as readonly string[]).includes(value)) throw new InputError(name, `'${value}' is not supported`, `one of: ${choices.join(', ')}`);
  return value as T;
}

/** A path input; relative paths are taken from the workspace, as actions/checkout places files there. */
export function pathInput(name: string, fallback = ''): string {
  const value = core.getInput(name).trim() || fallback;
  if (!value) return '';
  return path.resolve(process.env.GITHUB_WORKSPACE ?? process.cwd(), value);
}

/** A list input: one item per line or comma-separated. */
export function listInput(name: string): string[] {
  return core
    .getInput(name)
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Scratch directory of this action under RUNNER_TEMP. */
export function runnerTemp(...parts: string[]): string {
  const base = process.env.RUNNER_TEMP || path.join(process.env.TMPDIR || '/tmp', 'pizlix-stage-runner-temp');
  return path.join(base, ...parts);
}

/**
 * The s3 store's inputs. The credentials themselves come from the AWS SDK's default chain (e.g. what
 * aws-actions/configure-aws-credentials exported); any in the environment are masked in the log.
 */
export function s3Inputs(): S3StoreInputs {
  for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN']) {
    const value = process.env[name];
    if (value) core.setSecret(value);
  }
  return {
    bucket: textInput('s3-bucket'),
    prefix: textInput('s3-prefix'),
    endpoint: textInput('s3-endpoint'),
    region: textInput('s3-region'),
    forcePathStyle: booleanInput('s3-force-path-style'),
  };
}
