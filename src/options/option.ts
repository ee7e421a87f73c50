/**
 * Options, declared once per verb and read the same way by its action (inputs) and its command-line verb
 * (flags): one parser per option, so the same bad value gives the same error on both surfaces, and a test
 * can hold every action.yml to its schema.
 */
import path from 'node:path';
import { InputError } from '../util/errors.js';
import { parseSize } from '../util/format.js';

export type Surface = 'action' | 'cli';

export interface ReadContext {
  surface: Surface;
  /** Where relative paths are taken from: the workspace in an action (actions/checkout puts files there), the current directory on the command line. */
  baseDir: string;
  env: NodeJS.ProcessEnv;
}

export interface Option<T> {
  description: string;
  /** The default as action.yml states it (the runner passes it in); none when it depends on the surface (see `fallback`). */
  default?: string;
  /** action.yml's default when it is an expression the runner evaluates (e.g. `${{ github.token }}`). */
  actionDefault?: string;
  /** Used when the option is empty and has no `default`: a value that depends on where the verb runs. */
  fallback?: (context: ReadContext) => string;
  /** Required: what a right value looks like, for the error message. */
  required?: string;
  /** Masked in logs. */
  secret?: boolean;
  /** Offered on one surface only (e.g. artifact-name in the action, --json on the command line). */
  only?: Surface;
  /** On the command line: a flag without a value. */
  flag?: boolean;
  /** On the command line: the value names a file whose contents are the option's value (e.g. --checks <file>). */
  cliReadsFile?: boolean;
  /** The command line's value placeholder, e.g. `<dir>`. */
  placeholder?: string;
  /** Turns the raw text ('' when not given) into the value; throws InputError naming the option. */
  parse(raw: string, name: string, context: ReadContext): T;
}

export type Schema = Record<string, Option<unknown>>;

type Camel<S extends string> = S extends `${infer Head}-${infer Tail}` ? `${Head}${Capitalize<Camel<Tail>>}` : S;

/** The values of a schema, keyed by the camel-case form of each option's name (`pizlix-dir` → `pizlixDir`). */
export type Values<S extends Schema> = { [K in keyof S & string as Camel<K>]: S[K] extends Option<infer T> ? T : never };

export function camelCase(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** Several options are wrong: every problem at once, so a workflow is fixed in one go. */
export class InvalidOptionsError extends Error {
  constructor(readonly problems: InputError[]) {
    super(problems.map((p) => p.message).join('\n'));
    this.name = 'InvalidOptionsError';
  }
}

/**
 * Reads every option of a schema offered on the context's surface. `raw(name)` gives what the user wrote
 * (empty when nothing). A single problem is thrown as its InputError, several as InvalidOptionsError.
 */
export function readOptions<S extends Schema>(schema: S, raw: (name: string) => string | undefined, context: ReadContext): Values<S> {
  const values: Record<string, unknown> = {};
  const problems: InputError[] = [];
  for (const [name, option] of Object.entries(schema)) {
    if (option.only && option.only !== context.surface) continue;
    let text = (raw(name) ?? '').trim();
    if (!text) text = option.default ?? option.fallback?.(context) ?? '';
    try {
      if (!text && option.required) throw new InputError(name, 'is required but empty', option.required);
      values[camelCase(name)] = option.parse(text, name, context);
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      problems.push(err);
    }
  }
  if (problems.length === 1) throw problems[0];
  if (problems.length > 1) throw new InvalidOptionsError(problems);
  return values as Values<S>;
}

/** Options of `schema` without the named ones (a verb that reuses another's options but not all). */
export function omit<S extends Schema, K extends keyof S>(schema: S, ...names: K[]): Omit<S, K> {
  const copy: Schema = { ...schema };
  for (const name of names) delete copy[name as string];
  return copy as Omit<S, K>;
}

type Common = Pick<Option<unknown>, 'description' | 'default' | 'actionDefault' | 'fallback' | 'required' | 'secret' | 'only' | 'placeholder' | 'cliReadsFile'>;

/** Free text, trimmed; '' when not given. */
export function text(description: string, more: Partial<Common> = {}): Option<string> {
  return { description, ...more, parse: (raw) => raw };
}

/** Free text; undefined when not given. */
export function optionalText(description: string, more: Partial<Common> = {}): Option<string | undefined> {
  return { description, ...more, parse: (raw) => raw || undefined };
}

/** A path; relative ones are taken from the context's base directory. Undefined when not given (never with a default, a fallback, or when required). */
export function pathOption(
  description: string,
  more: Partial<Common> & ({ default: string } | { required: string } | { fallback: (context: ReadContext) => string }),
): Option<string>;
export function pathOption(description: string, more?: Partial<Common>): Option<string | undefined>;
export function pathOption(description: string, more: Partial<Common> = {}): Option<string | undefined> {
  return { placeholder: '<path>', description, ...more, parse: (raw, _name, context) => (raw ? path.resolve(context.baseDir, raw) : undefined) };
}

/** An absolute path, for directories whose contents get replaced (a relative one would depend on where the verb runs). */
export function absolutePath(description: string, more: Partial<Common> & { default: string }): Option<string> {
  return {
    placeholder: '<dir>',
    description,
    ...more,
    parse(raw, name) {
      if (!path.isAbsolute(raw)) throw new InputError(name, `'${raw}' is not an absolute path`, 'an absolute path such as /mnt/lfs');
      return path.normalize(raw);
    },
  };
}

const TRUE = ['true', 'yes', '1', 'on'];
const FALSE = ['false', 'no', '0', 'off'];

export function boolean(description: string, more: Partial<Common> & { default?: 'true' | 'false' } = {}): Option<boolean> {
  return {
    description,
    default: 'false',
    ...more,
    flag: true,
    parse(raw, name) {
      const value = raw.toLowerCase();
      if (TRUE.includes(value)) return true;
      if (FALSE.includes(value) || value === '') return false;
      throw new InputError(name, `'${raw}' is not a boolean`, 'true or false');
    },
  };
}

export interface NumberRange {
  min?: number;
  /** Values must be greater than this (not equal). */
  above?: number;
  max?: number;
  integer?: boolean;
}

function describeRange(range: NumberRange): string {
  const kind = range.integer ? 'a whole number' : 'a number';
  const bounds = [
    range.min !== undefined ? `≥ ${range.min}` : '',
    range.above !== undefined ? `> ${range.above}` : '',
    range.max !== undefined ? `≤ ${range.max}` : '',
  ].filter(Boolean);
  return bounds.length ? `${kind} ${bounds.join(' and ')}` : kind;
}

/** A number within a range; undefined when not given. */
export function numberOption(description: string, range: NumberRange, more: Partial<Common> = {}): Option<number | undefined> {
  return {
    placeholder: '<n>',
    description,
    ...more,
    parse(raw, name) {
      if (!raw) return undefined;
      const value = Number(raw);
      if (!Number.isFinite(value) || (range.integer && !Number.isInteger(value)))
        throw new InputError(name, `'${raw}' is not ${range.integer ? 'a whole number' : 'a number'}`, describeRange(range));
      const outside =
        (range.min !== undefined && value < range.min) || (range.above !== undefined && value <= range.above) || (range.max !== undefined && value > range.max);
      if (outside) throw new InputError(name, `${raw} is out of range`, describeRange(range));
      return value;
    },
  };
}

/** One of a fixed set of words. */
export function choice<C extends string>(description: string, choices: readonly C[], more: Partial<Common> = {}): Option<C> {
  return {
    placeholder: `<${choices.join('|')}>`,
    description,
    ...more,
    parse(raw, name) {
      if (!(choices as readonly string[]).includes(raw))
        throw new InputError(name, raw ? `'${raw}' is not supported` : 'is empty', `one of: ${choices.join(', ')}`);
      return raw as C;
    },
  };
}

/** One of a fixed set of words, or undefined when not given (the caller decides from other options). */
export function optionalChoice<C extends string>(description: string, choices: readonly C[], more: Partial<Common> = {}): Option<C | undefined> {
  const word = choice(description, choices, more);
  return { ...word, parse: (raw, name, context) => (raw ? word.parse(raw, name, context) : undefined) };
}

/** A size such as 2G, 300G or 512M, in bytes; undefined when not given. */
export function sizeOption(description: string, more: Partial<Common> & { min?: number; minText?: string } = {}): Option<number | undefined> {
  const { min, minText, ...rest } = more;
  return {
    placeholder: '<size>',
    description,
    ...rest,
    parse(raw, name) {
      if (!raw) return undefined;
      const bytes = parseSize(raw);
      if (bytes === undefined || bytes <= 0) throw new InputError(name, `'${raw}' is not a size`, 'a size such as 2G, 300G or 512M');
      if (min !== undefined && bytes < min) throw new InputError(name, `${raw} is too small`, `at least ${minText ?? `${min} bytes`}`);
      return bytes;
    },
  };
}

/** A list: one item per line or comma-separated (`newlineOnly`: one per line, commas kept). */
export function list(description: string, more: Partial<Common> & { newlineOnly?: boolean } = {}): Option<string[]> {
  const { newlineOnly, ...rest } = more;
  return {
    placeholder: '<items>',
    description,
    ...rest,
    parse: (raw) =>
      raw
        .split(newlineOnly ? /\n/ : /[\n,]/)
        .map((s) => s.trim())
        .filter(Boolean),
  };
}

/** Any option with a further check of its parsed value (e.g. a path that must exist). */
export function refine<T, U>(option: Option<T>, check: (value: T, name: string, context: ReadContext) => U): Option<U> {
  return { ...option, parse: (raw, name, context) => check(option.parse(raw, name, context), name, context) };
}
