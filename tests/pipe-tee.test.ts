/**
 * The pipe tee (src/rootfs/pipe-tee.ts) that the gzip shim and the output tap copy a save's tar stream with:
 * every reader gets every byte, in the zero-copy paths (tee(2) and splice(2)) and in the copying fallbacks.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pipeTeeProgram } from '../src/rootfs/pipe-tee.js';
import { makeTestDir, type TestDir } from './harness/workdir.js';

let dir: TestDir;
let input: string;
let inputHash: string;
const zeroCopy = os.arch() === 'x64' || os.arch() === 'arm64';

before(async () => {
  dir = await makeTestDir('pipe-tee');
  // Not a multiple of the 1 MiB chunk, so the last call moves a partial chunk.
  const data = randomBytes(24 * (1 << 20) + 12345);
  input = path.join(dir.path, 'input');
  await writeFile(input, data);
  inputHash = createHash('sha256').update(data).digest('hex');
  await writeFile(path.join(dir.path, 'tee.pl'), pipeTeeProgram());
  await writeFile(path.join(dir.path, 'copying-tee.pl'), pipeTeeProgram('an-architecture-without-the-syscalls'));
});
after(async () => {
  await dir?.remove();
});

interface Run {
  /** sha256 of what reached stdout, then of each FIFO output in order. */
  hashes: string[];
  copied: number;
  total: number;
}

/**
 * Runs `script` in bash in the test directory, with `fifos` FIFO outputs whose readers hash what they get;
 * the script's stdout is hashed too. The script names the program as $TEE and the outputs as $OUTS.
 */
function runTee(script: string, options: { fifos?: number; program?: string } = {}): Run {
  const fifos = Array.from({ length: options.fifos ?? 0 }, (_v, i) => `out${i}`);
  const bash = [
    'set -euo pipefail',
    'rm -f out* hash*',
    ...fifos.map((f) => `mkfifo ${f}; sha256sum < ${f} > hash-${f} & pids+=($!)`),
    `TEE=${options.program ?? 'tee.pl'}; OUTS="${fifos.join(' ')}"`,
    `{ ${script}; } | sha256sum > hash-stdout`,
    'for pid in ${pids[@]+"${pids[@]}"}; do wait "$pid"; done',
    `cat hash-stdout ${fifos.map((f) => `hash-${f}`).join(' ')}`,
  ].join('\n');
  const result = spawnSync('bash', ['-c', bash], { cwd: dir.path, encoding: 'utf8', env: { ...process.env, PIZLIX_PIPE_TEE_REPORT: '1' } });
  assert.equal(result.status, 0, result.stderr);
  const report = /pipe-tee: (\d+) of (\d+) bytes copied/.exec(result.stderr);
  assert.ok(report, `the tee reports what it copied: ${result.stderr}`);
  return {
    hashes: result.stdout
      .trim()
      .split('\n')
      .map((l) => l.split(' ')[0]!),
    copied: Number(report[1]),
    total: Number(report[2]),
  };
}

describe('pipe tee', () => {
  const size = 24 * (1 << 20) + 12345;

  test('a pipe to stdout and one FIFO: both get every byte, none copied through user space', () => {
    const run = runTee('cat input | perl "$TEE" $OUTS', { fifos: 1 });
    assert.deepEqual(run.hashes, [inputHash, inputHash]);
    assert.equal(run.total, size);
    if (zeroCopy) assert.equal(run.copied, 0, 'tee(2) and splice(2) moved every byte');
  });

  test('two outputs: copied (tee(2) cannot resume a partial second output), every reader gets every byte', () => {
    const run = runTee('cat input | perl "$TEE" $OUTS', { fifos: 2 });
    assert.deepEqual(run.hashes, [inputHash, inputHash, inputHash]);
    assert.equal(run.copied, size);
  });

  test('an output that is a regular file: the kernel refuses tee(2), the copy takes over without losing a byte', async () => {
    const run = runTee('cat input | perl "$TEE" file-out');
    assert.deepEqual(run.hashes, [inputHash]);
    assert.equal(
      createHash('sha256')
        .update(await readFile(path.join(dir.path, 'file-out')))
        .digest('hex'),
      inputHash,
    );
    assert.equal(run.total, size);
  });

  test('a machine without the syscall numbers copies, with the same result', () => {
    const run = runTee('cat input | perl "$TEE" $OUTS', { fifos: 1, program: 'copying-tee.pl' });
    assert.deepEqual(run.hashes, [inputHash, inputHash]);
    assert.equal(run.copied, size);
  });

  test('an input that is not a pipe (a file on stdin) with an output', () => {
    const run = runTee('perl "$TEE" $OUTS < input', { fifos: 1 });
    assert.deepEqual(run.hashes, [inputHash, inputHash]);
    assert.equal(run.total, size);
  });
});
