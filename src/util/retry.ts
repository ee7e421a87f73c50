/**
 * Retrying work that can fail for a moment (a dropped connection, a 5xx, a 429): one policy type and one
 * loop for every caller — the remote stores, release downloads, the S3 client.
 */
import { errorMessage } from './errors.js';
import { log } from './log.js';

export interface RetryPolicy {
  /** Attempts in total. */
  attempts: number;
  /** Wait before the second attempt, in milliseconds; it doubles each time. */
  delayMs: number;
}

/** Tests shorten every wait between attempts with PIZLIX_STAGE_RETRY_DELAY_SCALE (e.g. 0.01). */
export function retryDelayScale(env: NodeJS.ProcessEnv = process.env): number {
  const scale = Number(env.PIZLIX_STAGE_RETRY_DELAY_SCALE ?? 1);
  return Number.isFinite(scale) && scale >= 0 ? scale : 1;
}

export interface RetryOptions {
  /** Whether another attempt can help; default: every error except a PermanentError. */
  isRetryable?: (err: unknown) => boolean;
}

/** An error that another attempt cannot fix (a corrupt archive, a validation error). */
export class PermanentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentError';
  }
}

/** Runs `attempt` until it succeeds, the error is not retryable, or the policy is used up; rethrows the last error. */
export async function withRetries<T>(what: string, policy: RetryPolicy, attempt: (n: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const retryable = options.isRetryable ?? ((err: unknown) => !(err instanceof PermanentError));
  let delay = policy.delayMs * retryDelayScale();
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (err) {
      if (n >= policy.attempts || !retryable(err)) throw err;
      log.warning(`${what} failed (attempt ${n} of ${policy.attempts}): ${errorMessage(err)}; retrying in ${(delay / 1000).toFixed(1)} s`);
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay *= 2;
    }
  }
}
