/**
 * The FIFO reader the output tap digests through: every byte of writers that come one after another, an end that
 * comes at once when nobody wrote, a writer that outlives its job, and a consumer that fails.
 */
import assert from 'node:assert/strict';
import { spawnSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { readFifo } from '../src/rootfs/fifo-reader.js';
import { makeTestDir, type TestDir } from './harness/workdir.js';

let dir: TestDir;
before(async () => {
  dir = await makeTestDir('fifo-reader');
});
after(async () => {
  await dir?.remove();
});

function fifo(name: string): string {
  const file = path.join(dir.path, name);
  assert.equal(spawnSync('mkfifo', [file]).status, 0);
  return file;
}

/** Runs a shell command in the test directory to its end. */
function shell(command: string): Promise<number | null> {
  return new Promise((resolve) => spawn('bash', ['-c', command], { cwd: dir.path, stdio: 'ignore' }).on('close', resolve));
}

describe('FIFO reader', () => {
  test('two writers one after another: every byte, in order, and end once both have closed', async () => {
    const file = fifo('two-writers');
    const seen = createHash('sha256');
    const reader = readFifo(file, (chunk) => seen.update(chunk));
    assert.equal(await shell(`head -c 9000000 /dev/urandom > first && head -c 3333 /dev/urandom > second && cat first > ${file} && cat second > ${file}`), 0);
    const { bytes, complete } = await reader.end();
    assert.equal(bytes, 9_003_333);
    assert.equal(complete, true);
    const expected = spawnSync('bash', ['-c', 'cat first second | sha256sum'], { cwd: dir.path, encoding: 'utf8' }).stdout.split(' ')[0];
    assert.equal(seen.digest('hex'), expected);
  });

  test('nobody wrote: end comes at once with no bytes', async () => {
    const reader = readFifo(fifo('no-writer'), () => assert.fail('no data was written'));
    assert.deepEqual(await reader.end(), { bytes: 0, complete: true });
  });

  test('a writer that stays open past the end: end gives up after its grace, incomplete, and the thread stops', async () => {
    const file = fifo('lingering');
    let bytes = 0;
    const reader = readFifo(file, (chunk) => (bytes += chunk.length));
    const writer = spawn('bash', ['-c', `exec 3>${file}; printf hello >&3; sleep 30`], { stdio: 'ignore' });
    try {
      for (let wait = 0; bytes < 5; wait++) {
        assert.ok(wait < 500, 'the reader passed on the bytes written within 10 s');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const result = await reader.end(0.5);
      assert.equal(result.complete, false);
      assert.equal(result.bytes, 5);
    } finally {
      writer.kill('SIGKILL');
    }
  });

  test('a consumer that throws: the writer still writes everything (never blocked), and end reports the error', async () => {
    const file = fifo('failing');
    const reader = readFifo(file, () => {
      throw new Error('the consumer failed');
    });
    assert.equal(await shell(`head -c 5000000 /dev/zero > ${file}`), 0);
    await assert.rejects(reader.end(), /the consumer failed/);
  });
});
