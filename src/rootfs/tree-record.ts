/**
 * The record a restore leaves in $LFS: which snapshot the tree is, and a fingerprint of the tree as the
 * restore left it. A later job on the same runner that needs that very snapshot (a rerun, or the next
 * stage's parent) finds the record, recomputes the fingerprint and, when nothing changed, skips the
 * download, the wipe and the extraction.
 *
 * The fingerprint hashes, for every inode below $LFS, its name, inode number, link count, mode, owner,
 * size, modification time and change time. The change time (ctime) is what makes it a proof: the kernel
 * sets it to the current time on every write, chmod, chown, rename, link or xattr change, and no system
 * call sets it back; creating or deleting a name also changes its directory's. So a tree that anything
 * touched after the record no longer matches it. GNU find does the walk: it is the fastest lister at
 * hand (no per-file round trip through Node) and prints exactly these fields.
 */
import { createHash } from 'node:crypto';
import { lstat, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { errorMessage } from '../util/errors.js';
import { spawnChild, tail, waitForExit } from '../util/exec.js';
import { log } from '../util/log.js';

/** The record's name in $LFS (a `.pizlix-stage-*` name: never part of an output digest). */
export const TREE_RECORD = '.pizlix-stage-tree';
const RECORD_FORMAT = 1;

/** Which snapshot a tree is: the store entry it was restored from, and the trust scope of the job that did it. */
export interface TreeIdentity {
  stage: string;
  key: string;
  /** sha256 of the snapshot file, as the store's metadata gives it. */
  sha256: string;
  /** The scope (writeScopeName) of the job that restored it. */
  scope: string;
}

interface TreeRecord extends TreeIdentity {
  format: number;
  written: string;
  fingerprint: string;
}

/** Writes the record of a tree just restored; call it last, once nothing else will change the tree. */
export async function recordTree(lfs: string, identity: TreeIdentity): Promise<void> {
  const { digest, newestChangeNs } = await fingerprintTree(lfs);
  const record: TreeRecord = { format: RECORD_FORMAT, ...identity, written: new Date().toISOString(), fingerprint: digest };
  const file = path.join(lfs, TREE_RECORD);
  // The kernel stamps ctimes from a clock that ticks every few milliseconds: a change in the same tick as the
  // tree's newest would keep its ctime. So the record is rewritten until its own ctime is past every ctime in
  // the tree; any later change is stamped later still. (Written in place, not renamed in: a torn record does
  // not parse and proves nothing.)
  const giveUp = Date.now() + 2000;
  while (Date.now() < giveUp) {
    await writeFile(file, `${JSON.stringify(record, null, 2)}\n`);
    if ((await lstat(file, { bigint: true })).ctimeNs > newestChangeNs) return;
    await sleep(1);
  }
  // A ctime ahead of the clock (the clock was set back): no proof is possible; the next job restores.
  await forgetTree(lfs);
  log.warning(`${lfs} holds change times ahead of the clock; not recording the tree, so the next job restores it`);
}

/** Drops the record: the tree is about to change (a stage's script runs in it). */
export async function forgetTree(lfs: string): Promise<void> {
  await rm(path.join(lfs, TREE_RECORD), { force: true });
}

/**
 * Whether $LFS holds exactly the wanted snapshot, as a restore by a job of a readable scope left it. Says
 * why not when a record exists but does not prove it. Nothing may be mounted below $LFS (the mount
 * points would show other inodes): the caller unmounts first.
 */
export async function treeHolds(lfs: string, wanted: TreeIdentity, readableScopes: string[]): Promise<boolean> {
  const record = await readRecord(lfs);
  if (!record) return false;
  const why = mismatch(record, wanted, readableScopes);
  if (why) {
    log.info(`${lfs} holds ${record.stage} (${record.key.slice(0, 12)}), not this snapshot: ${why}`);
    return false;
  }
  const started = Date.now();
  const now = await fingerprintTree(lfs).then(
    (f) => f.digest,
    (err: unknown) => {
      log.warning(`could not fingerprint ${lfs} (${errorMessage(err)}); restoring`);
      return undefined;
    },
  );
  if (now !== record.fingerprint) {
    if (now) log.info(`${lfs} held ${wanted.stage} but has changed since ${record.written}; restoring`);
    return false;
  }
  log.info(`${lfs} already holds ${wanted.stage} exactly as restored at ${record.written} (checked in ${((Date.now() - started) / 1000).toFixed(2)} s)`);
  return true;
}

function mismatch(record: TreeRecord, wanted: TreeIdentity, readableScopes: string[]): string | undefined {
  if (record.key !== wanted.key || record.sha256 !== wanted.sha256) return 'another key or snapshot';
  // A job of a pull request may have left this tree: a trusted build never builds on it.
  if (!readableScopes.includes(record.scope)) return `restored by a job of scope '${record.scope}', which this build does not trust`;
  return undefined;
}

async function readRecord(lfs: string): Promise<TreeRecord | undefined> {
  const text = await readFile(path.join(lfs, TREE_RECORD), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const record = JSON.parse(text) as Partial<TreeRecord>;
    const strings = [record.stage, record.key, record.sha256, record.scope, record.written, record.fingerprint];
    if (record.format === RECORD_FORMAT && strings.every((s) => typeof s === 'string')) return record as TreeRecord;
  } catch {
    // falls through: unreadable
  }
  log.info(`${path.join(lfs, TREE_RECORD)} is not a record this version writes; restoring`);
  return undefined;
}

/** find(1) -path pattern for a literal path: its glob characters escaped. */
function literalPattern(file: string): string {
  return file.replace(/[\\*?[\]]/g, (c) => `\\${c}`);
}

/** The fingerprint of a tree, and the newest change time in it (nanoseconds since the epoch). */
interface Fingerprint {
  digest: string;
  newestChangeNs: bigint;
}

/**
 * sha256 over every inode below lfs (not crossing into other file systems, the record itself left out)
 * and over lfs's own mode and owner. Its own times are left out: writing the record changes them.
 */
export async function fingerprintTree(lfs: string): Promise<Fingerprint> {
  const root = path.resolve(lfs);
  const self = await lstat(root);
  const child = spawnChild(
    'find',
    [root, '-xdev', '-mindepth', '1', '-path', literalPattern(path.join(root, TREE_RECORD)), '-prune', '-o', '-printf', '%P\\0%i %n %m %U %G %s %T@ %C@\\0'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const chunks: Buffer[] = [];
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => chunks.push(chunk));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  await waitForExit(child, `find ${root}`, () => tail(stderr, 3));
  const listing = Buffer.concat(chunks);
  const digest = createHash('sha256').update(`${self.mode} ${self.uid} ${self.gid}\0`).update(listing).digest('hex');
  return { digest, newestChangeNs: newestChange(listing) };
}

/** The largest %C@ in find's listing: every second field, its last word ("1733241600.1234567890"). */
function newestChange(listing: Buffer): bigint {
  let newest = 0n;
  const fields = listing.toString('latin1').split('\0');
  for (let i = 1; i < fields.length; i += 2) {
    const ctime = fields[i].slice(fields[i].lastIndexOf(' ') + 1);
    const [seconds, fraction = ''] = ctime.split('.');
    const ns = BigInt(seconds) * 1_000_000_000n + BigInt(fraction.padEnd(9, '0').slice(0, 9));
    if (ns > newest) newest = ns;
  }
  return newest;
}
