/**
 * Runs a stage's entry script the way Pizlix runs it — as root, from the pizlix directory, with LFS set —
 * in its own process group so that a timeout or a cancelled job stops everything it started. Output
 * goes to a log file and, line by line, to the job log; a heartbeat shows elapsed time.
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { CommandError, TimeoutError } from '../util/errors.js';
import { formatBytes, formatDuration } from '../util/format.js';
import { log } from '../util/log.js';
import { onCancel } from '../util/cancel.js';
import { signalGroup, stopProcessGroup } from '../util/process-group.js';

export interface ScriptRun {
  script: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  logFile: string;
  label: string;
  timeoutSeconds?: number;
  heartbeatSeconds?: number;
}

const KILL_GRACE_MS = 10_000;

export async function runScript(run: ScriptRun): Promise<{ seconds: number }> {
  const started = Date.now();
  const logStream = createWriteStream(run.logFile, { flags: 'a' });
  const child = spawn(run.script, [], { cwd: run.cwd, env: run.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let bytes = 0;
  let partial = '';
  const onOutput = (chunk: Buffer) => {
    bytes += chunk.length;
    logStream.write(chunk);
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) log.info(line);
  };
  child.stdout!.on('data', onOutput);
  child.stderr!.on('data', onOutput);

  let timedOut = false;
  // Not awaited: the 'close' below is what this function waits for.
  const stopAll = (signal: NodeJS.Signals) => void stopProcessGroup(child, { signal, graceMs: KILL_GRACE_MS });
  const timer = run.timeoutSeconds
    ? setTimeout(() => {
        timedOut = true;
        log.error(`${run.label}: timeout of ${formatDuration(run.timeoutSeconds!)} reached; stopping the script and everything it started`);
        stopAll('SIGTERM');
      }, run.timeoutSeconds * 1000)
    : undefined;
  const heartbeat = setInterval(
    () => log.info(`[${run.label}] still running: ${formatDuration((Date.now() - started) / 1000)} elapsed, ${formatBytes(bytes)} of output`),
    (run.heartbeatSeconds ?? 60) * 1000,
  );
  // A cancelled job: the script and everything it started stop before we go.
  const forget = onCancel(async (signal) => {
    log.error(`${run.label}: received ${signal}; stopping the script`);
    await stopProcessGroup(child, { signal: 'SIGTERM', graceMs: KILL_GRACE_MS });
  });

  try {
    const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
    if (partial) log.info(partial);
    const seconds = (Date.now() - started) / 1000;
    if (timedOut) throw new TimeoutError(run.label, run.timeoutSeconds!);
    if (code !== 0) throw new CommandError(run.label, code, signal);
    return { seconds };
  } finally {
    clearTimeout(timer);
    clearInterval(heartbeat);
    forget();
    if (child.pid) signalGroup(child.pid, 'SIGKILL'); // leftovers the script left running in the background
    logStream.end();
    await once(logStream, 'close').catch(() => undefined);
  }
}
