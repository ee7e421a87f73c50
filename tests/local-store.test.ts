/** The local store's promises: atomic publish, concurrent publishers, verification, trust scopes, eviction. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdir, stat, writeFile, utimes } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { LocalStore } from '../src/store/local.js';
import { scopeFromEnvironment } from '../src/store/trust.js';
import type { PublishMeta } from '../src/store/types.js';
import { REPO_ROOT } from './harness/runner.js';
import { makeTestDir, type TestDir } from './harness/workdir.js';

let dir: TestDir;
const meta = (key: string, stage = 'demo'): PublishMeta => ({
  key,
  stage,
  parentKey: null,
  compression: 'zstd',
  buildSeconds: 12,
  inputs: { 'pizlix/a.sh': '100755 abc' },
});
const trusted = { trust: 'trusted' as const, ref: 'refs/heads/main' };

async function file(name: string, bytes: number): Promise<string> {
  const target = path.join(dir.path, name);
  await writeFile(target, randomBytes(bytes));
  return target;
}

function publishInChild(storeRoot: string, source: string, key: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'tests/harness/publish-child.ts'), storeRoot, source, key], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const done = new Promise<{ code: number | null; out: string }>((resolve) => child.on('close', (code) => resolve({ code, out })));
  return { child, done };
}

before(async () => {
  dir = await makeTestDir('local-store');
});
after(async () => {
  await dir?.remove();
});

describe('local store', () => {
  test('publish then fetch returns the verified file with its metadata', async () => {
    const store = new LocalStore(path.join(dir.path, 'basic'), trusted);
    const source = await file('basic.bin', 100_000);
    const entry = await store.publish(source, meta('k-basic'));
    assert.equal(entry.meta.size, 100_000);
    assert.match(entry.meta.sha256, /^[0-9a-f]{64}$/);
    assert.equal(entry.meta.trust, 'trusted');
    const fetched = await store.fetch('k-basic');
    assert.ok(fetched);
    assert.deepEqual(fetched.meta.inputs, { 'pizlix/a.sh': '100755 abc' });
    assert.equal((await stat(fetched.file)).size, 100_000);
    assert.equal(await store.lookup('k-other'), undefined);
  });

  test('two jobs publishing one key at once both succeed and leave one valid entry', async () => {
    const root = path.join(dir.path, 'race');
    const a = await file('race-a.bin', 20 << 20);
    const b = await file('race-b.bin', 20 << 20);
    const [ra, rb] = await Promise.all([publishInChild(root, a, 'k-race').done, publishInChild(root, b, 'k-race').done]);
    assert.equal(ra.code, 0, ra.out);
    assert.equal(rb.code, 0, rb.out);
    const store = new LocalStore(root, trusted);
    assert.equal((await store.list()).length, 1);
    assert.ok(await store.fetch('k-race'), 'the surviving entry verifies');
    assert.deepEqual(await readdir(path.join(root, 'incoming')), []);
  });

  test('a publish killed midway leaves nothing that lookup returns', async () => {
    const root = path.join(dir.path, 'killed');
    const big = await file('killed.bin', 400 << 20);
    const { child, done } = publishInChild(root, big, 'k-killed');
    // Wait until the copy is under way, then kill -9.
    for (let i = 0; i < 600; i++) {
      const incoming = await readdir(path.join(root, 'incoming')).catch(() => [] as string[]);
      const partial = incoming.length ? await readdir(path.join(root, 'incoming', incoming[0])).catch(() => [] as string[]) : [];
      if (partial.length > 0 && (await stat(path.join(root, 'incoming', incoming[0], partial[0])).catch(() => undefined))?.size) break;
      await sleep(20);
    }
    child.kill('SIGKILL');
    const { code } = await done;
    assert.equal(code, null, 'killed before it finished');
    const store = new LocalStore(root, trusted);
    assert.equal(await store.lookup('k-killed'), undefined);
    assert.deepEqual(await store.list(), []);
    // A later publish of the same key works.
    const small = await file('killed-small.bin', 1000);
    await store.publish(small, meta('k-killed'));
    assert.ok(await store.fetch('k-killed'));
  });

  test('a corrupt entry is quarantined and is a miss', async () => {
    const root = path.join(dir.path, 'corrupt');
    const store = new LocalStore(root, trusted);
    const entry = await store.publish(await file('corrupt.bin', 5000), meta('k-corrupt'));
    await writeFile(path.join(entry.location, 'snapshot.tar.zst'), randomBytes(5000));
    assert.equal(await store.fetch('k-corrupt'), undefined);
    assert.equal(await store.lookup('k-corrupt'), undefined);
    assert.equal((await readdir(path.join(root, 'quarantine'))).length, 1);
  });

  test('untrusted entries never reach trusted builds; pull requests read trusted entries', async () => {
    const root = path.join(dir.path, 'trust');
    const main = new LocalStore(root, trusted);
    const pr12 = new LocalStore(root, { trust: 'untrusted', ref: 'refs/pull/12/merge' });
    const pr13 = new LocalStore(root, { trust: 'untrusted', ref: 'refs/pull/13/merge' });
    await pr12.publish(await file('pr.bin', 100), meta('k-from-pr'));
    await main.publish(await file('main.bin', 100), meta('k-from-main'));
    assert.equal(await main.lookup('k-from-pr'), undefined);
    assert.equal(await pr13.lookup('k-from-pr'), undefined, 'another pull request does not see it either');
    assert.ok(await pr12.lookup('k-from-pr'));
    assert.ok(await pr12.lookup('k-from-main'));
    assert.equal((await pr12.lookup('k-from-main'))!.meta.trust, 'trusted');
  });

  test('the trust scope follows the event and ref', () => {
    assert.deepEqual(scopeFromEnvironment({ GITHUB_REF: 'refs/pull/7/merge', GITHUB_EVENT_NAME: 'pull_request' }), {
      trust: 'untrusted',
      ref: 'refs/pull/7/merge',
    });
    assert.equal(scopeFromEnvironment({ GITHUB_REF: 'refs/heads/main', GITHUB_EVENT_NAME: 'push' }).trust, 'trusted');
    assert.equal(scopeFromEnvironment({ GITHUB_REF: 'refs/tags/v1', GITHUB_EVENT_NAME: 'push' }).trust, 'trusted');
    assert.equal(scopeFromEnvironment({ GITHUB_REF: 'refs/heads/feature', GITHUB_EVENT_NAME: 'push' }).trust, 'untrusted');
    assert.equal(scopeFromEnvironment({ GITHUB_REF: 'refs/heads/release/1', GITHUB_EVENT_NAME: 'push' }, ['refs/heads/release/*']).trust, 'trusted');
    assert.equal(scopeFromEnvironment({}).trust, 'trusted', 'a workstation owns its store');
  });

  test('a size cap evicts the least recently used entries', async () => {
    const root = path.join(dir.path, 'evict');
    const store = new LocalStore(root, trusted, { maxBytes: 250_000 });
    for (const key of ['old', 'used', 'new']) {
      const entry = await store.publish(await file(`${key}.bin`, 100_000), meta(`k-${key}`));
      const when = new Date(Date.now() - (key === 'old' ? 3 : key === 'used' ? 2 : 0) * 3600_000);
      await utimes(entry.location, when, when);
      if (key === 'used') {
        await store.fetch('k-used'); // a fetch makes it recently used
      }
    }
    const keys = (await store.list()).map((e) => e.meta.key).sort();
    assert.deepEqual(keys, ['k-new', 'k-used']);
  });
});
