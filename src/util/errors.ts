/** Typed errors: each kind tells the caller (and the person reading the log) what went wrong. */

/** An input (action input, CLI option, manifest field) is wrong. Names the input and what would be right. */
export class InputError extends Error {
  constructor(
    readonly input: string,
    problem: string,
    readonly expected?: string,
  ) {
    super(`input '${input}': ${problem}${expected ? `; expected ${expected}` : ''}`);
    this.name = 'InputError';
  }
}

/** The machine is not ready for the work (missing tools, user, disk); lists every problem at once. */
export class PreflightError extends Error {
  constructor(readonly problems: string[]) {
    super(`preflight failed:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'PreflightError';
  }
}

/** A stored snapshot failed verification (checksum, metadata); it is quarantined and treated as a miss. */
export class IntegrityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IntegrityError';
  }
}

/** An archive holds a member that would write outside its target or is otherwise unsafe. */
export class UnsafeArchiveError extends Error {
  constructor(
    readonly member: string,
    reason: string,
  ) {
    super(`refusing archive member '${member}': ${reason}`);
    this.name = 'UnsafeArchiveError';
  }
}

/** Something is still mounted where we must not write. */
export class MountError extends Error {
  constructor(
    message: string,
    readonly mounts: string[] = [],
  ) {
    super(message);
    this.name = 'MountError';
  }
}

/** An external command failed. Carries its exit status and the tail of its output. */
export class CommandError extends Error {
  constructor(
    readonly command: string,
    readonly exitCode: number | null,
    readonly signal: NodeJS.Signals | null,
    readonly stderrTail = '',
  ) {
    const how = signal ? `was killed by ${signal}` : `exited with status ${exitCode}`;
    super(`${command} ${how}${stderrTail ? `:\n${stderrTail}` : ''}`);
    this.name = 'CommandError';
  }
}

/** Work ran past its deadline. */
export class TimeoutError extends Error {
  constructor(
    what: string,
    readonly seconds: number,
  ) {
    super(`${what} did not finish within ${seconds} s`);
    this.name = 'TimeoutError';
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A stage's entry script failed, or finished without doing what its stage must do. Its log tells why. */
export class StageScriptError extends Error {
  constructor(
    message: string,
    readonly logFile: string,
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'StageScriptError';
  }
}

/** A stage cannot start: its parent's snapshot is not in the store (or is corrupt there). */
export class MissingParentError extends Error {
  constructor(
    readonly parent: string,
    readonly parentKey: string | undefined,
    store: string,
    problem: 'is not in' | 'failed verification in',
  ) {
    super(
      `parent stage '${parent}' (key ${parentKey ?? 'unknown: its own parent is not stored either'}) ${problem} the ${store} store; ${problem === 'is not in' ? `build '${parent}' first (with the same checkout, manifest, key-extra and store)` : `rebuild '${parent}'`}`,
    );
    this.name = 'MissingParentError';
  }
}
