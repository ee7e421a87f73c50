/**
 * One logging surface for the library. Action entry points switch it to the runner's workflow
 * commands (groups, annotations); the command line keeps plain console output.
 */
import * as core from '@actions/core';

export interface Reporter {
  info(message: string): void;
  warning(message: string): void;
  error(message: string): void;
  debug(message: string): void;
  startGroup(name: string): void;
  endGroup(): void;
}

const consoleReporter: Reporter = {
  info: (m) => console.log(m),
  warning: (m) => console.warn(`warning: ${m}`),
  error: (m) => console.error(`error: ${m}`),
  debug: (m) => {
    if (process.env.PIZLIX_STAGE_DEBUG) console.log(`debug: ${m}`);
  },
  startGroup: (n) => console.log(`── ${n}`),
  endGroup: () => undefined,
};

const actionsReporter: Reporter = {
  info: (m) => core.info(m),
  warning: (m) => core.warning(m),
  error: (m) => core.error(m),
  debug: (m) => core.debug(m),
  startGroup: (n) => core.startGroup(n),
  endGroup: () => core.endGroup(),
};

export const log: Reporter = { ...consoleReporter };

/** Called once by each action entry point. */
export function useActionsLogging(): void {
  Object.assign(log, actionsReporter);
}

/** Runs fn inside a collapsed log group. */
export async function group<T>(name: string, fn: () => Promise<T>): Promise<T> {
  log.startGroup(name);
  try {
    return await fn();
  } finally {
    log.endGroup();
  }
}
