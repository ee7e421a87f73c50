/** Starts store-child.ts in its own node process and reads its RESULT line. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { StoreChildJob, StoreChildResult } from './store-child.js';

const CHILD = path.join(import.meta.dirname, 'store-child.ts');

export interface StoreChild {
  process: ChildProcess;
  /** Resolves with the child's result; rejects when it fails or is killed. */
  result: Promise<StoreChildResult>;
}

/**
 * @param bundle run this ncc bundle of store-child.ts instead of the TypeScript source, to exercise
 *   the packages as bundled
 */
export function startStoreChild(job: StoreChildJob, env: NodeJS.ProcessEnv, bundle?: string): StoreChild {
  const child = spawn(process.execPath, bundle ? [bundle] : ['--import', 'tsx', CHILD], {
    env: { ...env, PIZLIX_STORE_CHILD_JOB: JSON.stringify(job) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  const keep = (d: Buffer) => (tail = (tail + d.toString()).slice(-20_000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const result = new Promise<StoreChildResult>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      const line = /\nRESULT (.+)\n/.exec(tail);
      if (code === 0 && line) resolve(JSON.parse(line[1]) as StoreChildResult);
      else
        reject(
          new Error(
            `store child ${signal ? `killed by ${signal}` : `exited with ${code}`}:\n${tail
              .split('\n')
              .filter((l) => !l.startsWith('::debug::'))
              .slice(-30)
              .join('\n')}`,
          ),
        );
    });
  });
  return { process: child, result };
}
