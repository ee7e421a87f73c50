/**
 * A cancelled job (the runner's SIGINT, then SIGTERM) leaves nothing behind, whatever the step was doing:
 * the disk-image action removes its partial outputs and work directory; the boot-test action stops QEMU's
 * whole process group. (The stage action's case, a script and its children, is in stage-action.test.ts.)
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdir, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { debianFixtureSnapshot } from './harness/debian-fixture.js';
import { runAction } from './harness/runner.js';
import { makeTestDir, type TestDir } from './harness/workdir.js';

let dir: TestDir;
before(async () => {
  dir = await makeTestDir('cancel');
});
after(async () => {
  await dir?.remove();
});

/** Processes whose command line mentions `text` (this test's own paths are unique). */
function processesMentioning(text: string): string {
  return spawnSync('pgrep', ['-af', text], { encoding: 'utf8' }).stdout.trim();
}

describe('a cancelled job', () => {
  test('disk-image: no partial image, no work directory left', async () => {
    const snapshot = (await debianFixtureSnapshot('gui')).file;
    const outputDir = path.join(dir.path, 'image');
    // Cancelled while the image is being written: long enough to be under way, short of the whole job.
    const result = await runAction({
      action: 'disk-image',
      inputs: { snapshot, 'output-dir': outputDir, compress: 'true', vmdk: 'stream' },
      jobDir: path.join(dir.path, 'job-image'),
      cancelAfterMs: 2500,
    });
    assert.notEqual(result.main.exitCode, 0, 'the cancelled step does not succeed');
    assert.match(result.main.stdout, /cancelled; cleaning up/);
    const left = await readdir(outputDir).catch(() => [] as string[]);
    assert.deepEqual(
      left.filter((f) => f.endsWith('.partial') || f.startsWith('work') || f === 'disk.img'),
      [],
      `left in ${outputDir}: ${left.join(', ')}`,
    );
    assert.equal(processesMentioning(outputDir), '', 'no mke2fs, tar or zstd of the job is left running');
  });

  test('boot-test: QEMU and everything in its process group are stopped', async () => {
    const blank = path.join(dir.path, 'blank-for-cancel.img');
    await writeFile(blank, '');
    await truncate(blank, 16 * 1024 * 1024);
    const outputDir = path.join(dir.path, 'boot');
    const run = runAction({
      action: 'boot-test',
      inputs: { image: blank, accel: 'tcg', 'output-dir': outputDir },
      jobDir: path.join(dir.path, 'job-boot'),
      cancelAfterMs: 6000,
    });
    // QEMU must really be running when the cancel arrives, or the test proves nothing.
    let seen = false;
    for (let i = 0; i < 50 && !seen; i++) {
      seen = processesMentioning(blank).includes('qemu-system');
      if (!seen) await sleep(100);
    }
    assert.ok(seen, 'QEMU started before the cancel');
    const result = await run;
    assert.notEqual(result.main.exitCode, 0);
    assert.equal(processesMentioning(blank), '', 'no QEMU of the job is left running');
  });
});
