/**
 * Waiting for a condition, the one way: in the style of the NixOS test driver's `retry`, an attempt is
 * made every `intervalMs` until it yields a value or the deadline passes. The attempt may throw to end
 * the wait at once (the guest died, the credentials were rejected): only `undefined` means "not yet".
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { TimeoutError } from './errors.js';

export interface WaitOptions<T> {
  /** What is awaited, as it reads after "waiting for" in the timeout message ("the SSH greeting"). */
  what: string;
  timeoutSeconds: number;
  intervalMs: number;
  /** One try: a value ends the wait, undefined tries again, an error ends the wait with that error. */
  attempt: () => Promise<T | undefined> | T | undefined;
  /** The last state seen, for the timeout message ("3 attempts, last: connection refused"). */
  lastState?: () => string;
}

/** The attempt's first value; TimeoutError when none came before the deadline. */
export async function waitUntil<T>(options: WaitOptions<T>): Promise<T> {
  const deadline = Date.now() + options.timeoutSeconds * 1000;
  for (;;) {
    const value = await options.attempt();
    if (value !== undefined) return value;
    if (Date.now() + options.intervalMs > deadline) {
      const state = options.lastState?.();
      throw new TimeoutError(`waiting for ${options.what}${state ? ` (${state})` : ''}`, options.timeoutSeconds);
    }
    await sleep(options.intervalMs);
  }
}
