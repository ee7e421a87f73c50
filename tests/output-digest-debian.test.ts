/**
 * Output digests of a real root filesystem: the Debian fixture's `net` stage (openssh-server, sudo, users)
 * built twice on the same parent. Its SSH host keys are generated at install time, so the two outputs
 * differ, and the explanation must name them. Heavy (apt in a chroot): run under flock /var/tmp/pizlix-heavy.lock.
 */
import assert from 'node:assert/strict';
import { readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import YAML from 'yaml';
import { runStage, type StageResult } from '../src/build/run-stage.js';
import { describeOutput, explainOutput } from '../src/plan/output-explanation.js';
import { LocalStore } from '../src/store/local.js';
import { run } from '../src/util/exec.js';
import { DEBIAN_FIXTURE, FIXTURE_STORE, debianFixtureSnapshot } from './harness/debian-fixture.js';
import { makeTestDir, type TestDir } from './harness/workdir.js';

let dir: TestDir;
before(async () => {
  dir = await makeTestDir('output-digest-debian');
});
after(async () => {
  await rm(path.join(DEBIAN_FIXTURE, 'pizlix', 'lfs-net.tar.gz'), { force: true });
  await dir?.remove();
});

describe('output digest of the Debian fixture', () => {
  test('net rebuilt twice: the digests differ and the explanation names the files that differ, SSH host keys among them', async () => {
    const base = await debianFixtureSnapshot('base');
    // A private store holding the shared store's base entry (hard links: nothing of the shared store changes).
    const storeDir = path.join(dir.path, 'store');
    await mkdir(path.join(storeDir, 'entries', 'trusted'), { recursive: true });
    await run('cp', ['-al', path.join(FIXTURE_STORE, 'entries', 'trusted', base.key), path.join(storeDir, 'entries', 'trusted', base.key)]);
    const store = new LocalStore(storeDir, { trust: 'trusted', ref: 'refs/heads/main' });
    const manifest = YAML.parse(await readFile(path.join(DEBIAN_FIXTURE, 'stages.yml'), 'utf8')) as { stages: Array<Record<string, unknown>> };
    const builds: StageResult[] = [];
    for (const attempt of ['first', 'second']) {
      // Per-stage key material: a new key for net alone, on the same base.
      manifest.stages[1]['key-extra'] = `output-digest-test-${attempt}`;
      const manifestFile = path.join(dir.path, `stages-${attempt}.yml`);
      await writeFile(manifestFile, YAML.stringify(manifest));
      await mkdir(path.join(dir.path, 'lfs'), { recursive: true });
      builds.push(
        await runStage({
          stage: 'net',
          pizlixDir: path.join(DEBIAN_FIXTURE, 'pizlix'),
          manifestFile,
          lfs: path.join(dir.path, 'lfs'),
          store,
          workDir: path.join(dir.path, `work-${attempt}`),
          timeoutMinutes: 30,
        }),
      );
    }
    const [first, second] = builds;
    assert.ok(first.built && second.built);
    assert.equal(first.parentDigest, second.parentDigest, 'both built on the same base');
    assert.notEqual(first.outputDigest, second.outputDigest);
    const before = (await store.lookup(first.key))!.meta;
    const afterwards = (await store.lookup(second.key))!.meta;
    const explanation = explainOutput(before, afterwards);
    assert.ok(explanation.comparable && !explanation.identical);
    const changed = explanation.difference!.changed;
    for (const key of ['/etc/ssh/ssh_host_ed25519_key', '/etc/ssh/ssh_host_ed25519_key.pub', '/etc/ssh/ssh_host_rsa_key'])
      assert.ok(changed.includes(key), `${key} is named (changed: ${changed.join(', ')})`);
    assert.ok(!changed.includes('/usr/sbin/sshd'), 'the same package gives the same sshd');
    const lines = describeOutput('net', explanation);
    assert.match(lines[0], /^net: output differs in \d+ paths?: /);
    console.log(lines.slice(0, 40).join('\n'));
  });
});
