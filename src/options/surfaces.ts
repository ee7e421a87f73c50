/**
 * The two surfaces options are read on: an action's inputs (INPUT_* variables, defaults from action.yml)
 * and a command-line verb's flags (commander). Both end in readOptions, so both validate alike.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as core from '@actions/core';
import type { Command } from 'commander';
import { InputError } from '../util/errors.js';
import { camelCase, readOptions, type ReadContext, type Schema, type Values } from './option.js';

export function actionContext(env: NodeJS.ProcessEnv = process.env): ReadContext {
  return { surface: 'action', baseDir: env.GITHUB_WORKSPACE || process.cwd(), env };
}

export function cliContext(env: NodeJS.ProcessEnv = process.env): ReadContext {
  return { surface: 'cli', baseDir: process.cwd(), env };
}

/** Reads an action's inputs; secrets are masked before anything could print them. */
export function readActionOptions<S extends Schema>(schema: S, env: NodeJS.ProcessEnv = process.env): Values<S> {
  for (const [name, option] of Object.entries(schema)) {
    if (option.secret && option.only !== 'cli') {
      const value = core.getInput(name);
      if (value) core.setSecret(value);
    }
  }
  return readOptions(schema, (name) => core.getInput(name), actionContext(env));
}

/** Declares a schema's command-line options on a commander command (values are checked later, by readCliOptions). */
export function addCliOptions(command: Command, schema: Schema, positional: string[] = []): Command {
  for (const [name, option] of Object.entries(schema)) {
    if (option.only === 'action' || positional.includes(name)) continue;
    const defaultText = option.default && !option.flag ? ` (default: ${option.default})` : '';
    if (option.flag) {
      if (option.default === 'true') command.option(`--no-${name}`, `do not: ${option.description}`);
      else command.option(`--${name}`, option.description);
    } else {
      command.option(`--${name} ${option.placeholder ?? '<value>'}`, `${option.description}${defaultText}`);
    }
  }
  return command;
}

/**
 * Reads a verb's options from commander's parsed values (and its positional arguments, by option name).
 * `--checks <file>`-style options read the named file.
 */
export function readCliOptions<S extends Schema>(
  schema: S,
  parsed: Record<string, unknown>,
  positional: Record<string, string | undefined> = {},
  env: NodeJS.ProcessEnv = process.env,
): Values<S> {
  const context = cliContext(env);
  return readOptions(
    schema,
    (name) => {
      if (name in positional) return positional[name];
      const value = parsed[camelCase(name)];
      if (value === undefined) return undefined;
      if (typeof value === 'boolean') return String(value);
      const textValue = String(value);
      if (!schema[name]?.cliReadsFile || !textValue) return textValue;
      try {
        return readFileSync(path.resolve(context.baseDir, textValue), 'utf8');
      } catch (err) {
        throw new InputError(name, `cannot read ${textValue}: ${(err as Error).message}`, 'a readable file');
      }
    },
    context,
  );
}
