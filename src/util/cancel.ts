/**
 * A cancelled job, the one way: the runner sends SIGINT, then SIGTERM, then kills the step. Whatever a
 * step started or half-wrote registers what undoes it (stop a process group, remove partial files); on the
 * first signal every registered clean-up runs, and the process exits as the signal would have ended it.
 */
import os from 'node:os';
import { log } from './log.js';

type Cleanup = (signal: NodeJS.Signals) => Promise<void> | void;

const cleanups = new Set<Cleanup>();
let installed = false;
let cancelling = false;

/** Registers a clean-up for cancellation; returns the function that unregisters it (call it when the work is done). */
export function onCancel(cleanup: Cleanup): () => void {
  if (!installed) {
    installed = true;
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, (s) => void cancel(s));
  }
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}

async function cancel(signal: NodeJS.Signals): Promise<void> {
  if (cancelling) return; // the runner's second signal: the clean-ups are already under way
  cancelling = true;
  log.warning(`${signal}: the job was cancelled; cleaning up`);
  await Promise.allSettled([...cleanups].map(async (cleanup) => cleanup(signal)));
  process.exit(128 + (os.constants.signals[signal] ?? 15));
}
