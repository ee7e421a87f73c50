/**
 * The `checks` input: extra commands that other projects run inside the booted system, as a YAML list
 *
 *   - name: kernel is Fil-C's
 *     run: uname -r
 *     expect-output: /lfs/        # /regex/flags, or else a plain substring of stdout
 *   - name: no core dumps
 *     run: test -z "$(ls /var/coredumps)"
 *     expect-status: 0            # default 0
 *     timeout: 60                 # seconds before the timeout multiplier, default 120
 */
import { parse } from 'yaml';
import { InputError, errorMessage } from '../util/errors.js';

export interface UserCheck {
  name: string;
  run: string;
  expectStatus: number;
  expectOutput?: { regex: RegExp } | { substring: string };
  timeoutSeconds: number;
}

const KNOWN_KEYS = new Set(['name', 'run', 'expect-status', 'expect-output', 'timeout']);
const SHAPE = 'a YAML list of {name, run, expect-status?, expect-output?, timeout?}';

export function parseUserChecks(text: string): UserCheck[] {
  if (!text.trim()) return [];
  let document: unknown;
  try {
    document = parse(text);
  } catch (err) {
    throw new InputError('checks', `is not valid YAML (${errorMessage(err)})`, SHAPE);
  }
  if (document === null || document === undefined) return [];
  if (!Array.isArray(document)) throw new InputError('checks', `is a ${typeof document}, not a list`, SHAPE);
  const names = new Set<string>();
  return document.map((entry: unknown, index) => {
    const where = `entry ${index + 1}`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      throw new InputError('checks', `${where} is not a mapping`, SHAPE);
    }
    const fields = entry as Record<string, unknown>;
    const label = typeof fields.name === 'string' ? `${where} (${JSON.stringify(fields.name)})` : where;
    const bad = (problem: string, expected: string) => new InputError('checks', `${label}: ${problem}`, expected);
    for (const key of Object.keys(fields)) {
      if (!KNOWN_KEYS.has(key)) throw bad(`unknown key '${key}'`, `only ${[...KNOWN_KEYS].join(', ')}`);
    }
    if (typeof fields.name !== 'string' || !fields.name.trim()) throw bad("'name' is missing or empty", 'a short name');
    if (names.has(fields.name)) throw bad('the name is used twice', 'unique names');
    names.add(fields.name);
    if (typeof fields.run !== 'string' || !fields.run.trim()) throw bad("'run' is missing or empty", 'a shell command');
    const status = fields['expect-status'] ?? 0;
    if (!Number.isInteger(status) || (status as number) < 0 || (status as number) > 255) {
      throw bad(`'expect-status' is ${JSON.stringify(status)}`, 'an integer from 0 to 255');
    }
    const timeout = fields.timeout ?? 120;
    if (typeof timeout !== 'number' || !(timeout > 0)) throw bad(`'timeout' is ${JSON.stringify(timeout)}`, 'a positive number of seconds');
    return {
      name: fields.name,
      run: fields.run,
      expectStatus: status as number,
      expectOutput: parseExpectedOutput(fields['expect-output'], bad),
      timeoutSeconds: timeout,
    };
  });
}

function parseExpectedOutput(value: unknown, bad: (problem: string, expected: string) => InputError): UserCheck['expectOutput'] {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' && typeof value !== 'number') throw bad("'expect-output' is not a string", 'a /regex/ or a substring');
  const text = String(value);
  const regex = /^\/(.*)\/([dgimsuy]*)$/s.exec(text);
  if (!regex) return { substring: text };
  try {
    return { regex: new RegExp(regex[1], regex[2].replace('g', '')) };
  } catch (err) {
    throw bad(`'expect-output' is not a valid regular expression (${errorMessage(err)})`, 'a JavaScript /regex/flags');
  }
}

/** Why the command's result does not meet the check, or undefined when it does. */
export function judgeUserCheck(check: UserCheck, status: number | null, stdout: string): string | undefined {
  if (status !== check.expectStatus) return `exit status ${status ?? 'none (killed)'}, expected ${check.expectStatus}`;
  const expected = check.expectOutput;
  if (expected && 'regex' in expected && !expected.regex.test(stdout)) return `stdout does not match ${expected.regex}`;
  if (expected && 'substring' in expected && !stdout.includes(expected.substring)) {
    return `stdout does not contain ${JSON.stringify(expected.substring)}`;
  }
  return undefined;
}
