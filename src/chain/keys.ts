/**
 * Stage keys. A key hashes what decides a stage's result: its own material — the key format, the stage's
 * name, entry script and snapshot name, its input files' ids, what it downloads (URLs and checksums) and
 * optional extra material (a runner image id, say) — and its parent's *output digest* (the tree the parent
 * produced, src/rootfs/output-digest.ts), not the parent's key. Paths are relative to the checkout and
 * nothing machine-specific goes in, so the same sources give the same keys everywhere. A changed input
 * changes its stage's key; the later stages' keys change only when that stage's output does ("early
 * cutoff"). So a child's key is known only once its parent's snapshot is stored (chainKeys).
 */
import path from 'node:path';
import { requirePizlixDir } from './pizlix-dir.js';
import { createHash } from 'node:crypto';
import picomatch from 'picomatch';
import { log } from '../util/log.js';
import { Checkout, type FileEntry, type WantedPath } from './checkout.js';
import type { StageDefinition, StageManifest } from './manifest.js';
import { staticOutputs } from './script-reader.js';
import { isGlobPattern } from './shell-values.js';

export const KEY_FORMAT = 2;

/** A stage's own key material, hashed; its key also needs the parent's output digest (stageKeyOf). */
export interface StageKey {
  stage: string;
  parent: string | null;
  /** Hash of the stage's own material (everything but its parent's output). */
  ownHash: string;
  /** checkout-relative path → "<mode> <object id>" */
  inputs: Record<string, string>;
  /** What the stage downloads: URL and the checksums its scripts name. */
  network: Array<{ url: string; checksums: string[] }>;
}

export interface KeyOptions {
  /** The pizlix directory (entry scripts and snapshots live here); its parent is the checkout. */
  pizlixDir: string;
  keyExtra?: string;
}

/** Every stage's own key material, in chain order, with its input files. */
export async function computeKeys(manifest: StageManifest, options: KeyOptions): Promise<StageKey[]> {
  const pizlixDir = requirePizlixDir(options.pizlixDir);
  const checkoutRoot = path.dirname(pizlixDir);
  const pizlixRel = path.basename(pizlixDir);
  const plans = manifest.stages.map((stage) => stagePlan(stage, pizlixRel));
  const checkout = await Checkout.scan(checkoutRoot, uniqueWanted(plans.flatMap((p) => p.wanted)));
  log.debug(`ids of ${checkout.size} files (${checkout.usesGit ? 'git ids where git has them' : 'contents'})`);

  const keys: StageKey[] = [];
  for (const [index, stage] of manifest.stages.entries()) {
    const network = (stage.reading?.network ?? []).map((n) => ({ url: n.url, checksums: [...n.checksums].sort() })).sort((a, b) => (a.url < b.url ? -1 : 1));
    // The material is JSON, written piece by piece into the hash: a stage may have a hundred thousand inputs.
    const hash = createHash('sha256');
    hash.update(
      JSON.stringify({
        format: KEY_FORMAT,
        stage: stage.name,
        script: stage.script,
        snapshot: stage.snapshot,
        parent: stage.parent,
        extra: options.keyExtra ?? '',
      }).slice(0, -1),
    );
    hash.update(',"inputs":[');
    const files: number[] = [];
    let count = 0;
    let pending: string[] = [];
    plans[index].each(checkout, (at, rel, id) => {
      pending.push(jsonTriple(rel, id.mode, id.oid));
      if (pending.length === 4096) {
        hash.update(`${count > 0 ? ',' : ''}${pending.join(',')}`);
        count += pending.length;
        pending = [];
      }
      files.push(at);
    });
    if (pending.length > 0) hash.update(`${count > 0 ? ',' : ''}${pending.join(',')}`);
    count += pending.length;
    // Only present when used, so a manifest without downloads or stage material keeps its keys.
    const rest = JSON.stringify({ ...(network.length > 0 ? { network } : {}), ...(stage.keyExtra !== undefined ? { stageExtra: stage.keyExtra } : {}) });
    hash.update(rest === '{}' ? ']}' : `],${rest.slice(1)}`);
    if (count === 0) log.warning(`stage ${stage.name}: no file matches its inputs under ${checkoutRoot}`);
    keys.push(stageKey({ stage: stage.name, parent: stage.parent, ownHash: hash.digest('hex'), network }, checkout, files));
  }
  return keys;
}

/** The stage's key: its own material and the output digest of the parent snapshot it starts from (null: first stage). */
export function stageKeyOf(own: Pick<StageKey, 'stage' | 'ownHash'>, parentDigest: string | null): string {
  const hash = createHash('sha256').update(JSON.stringify({ format: KEY_FORMAT, own: own.ownHash, parentOutput: parentDigest }));
  return `pizlix-${own.stage}-${hash.digest('hex').slice(0, 40)}`;
}

/** A stage's key as far as the store tells it. */
export interface ChainedKey<T> extends StageKey {
  /** Undefined while the parent's output is unknown: the parent is not stored yet (it will be built first). */
  key?: string;
  parentKey: string | null;
  parentDigest: string | null;
  /** The stage whose stored output this key waits on, when `key` is undefined. */
  waitsOn?: string;
  /** What the store holds for `key`. */
  stored?: T;
}

/**
 * The keys of `keys` (chain order) that the store makes known: the first stage's always; a child's once
 * its parent's snapshot is stored with an output digest. lookup(key) asks the store (undefined: absent).
 */
export async function chainKeys<T extends { meta: { outputDigest?: string } }>(
  keys: StageKey[],
  lookup: (key: string) => Promise<T | undefined>,
): Promise<Array<ChainedKey<T>>> {
  const chained: Array<ChainedKey<T>> = [];
  for (const own of keys) {
    const parent = own.parent === null ? undefined : chained.find((c) => c.stage === own.parent);
    if (own.parent !== null && !parent) throw new Error(`internal: stage ${own.stage} comes before its parent ${own.parent}`);
    const parentDigest = parent ? parent.stored?.meta.outputDigest : null;
    // Field by field: spreading `own` would build its (lazy, possibly huge) input list.
    const { stage, network, ownHash } = own;
    const fields = { stage, parent: own.parent, ownHash, network, parentKey: parent?.key ?? null, parentDigest: parentDigest ?? null };
    const entry: ChainedKey<T> = Object.defineProperty(fields as ChainedKey<T>, 'inputs', {
      enumerable: true,
      get: () => own.inputs,
    });
    if (parentDigest === undefined) entry.waitsOn = parent!.stage;
    else {
      entry.key = stageKeyOf(own, parentDigest);
      entry.stored = await lookup(entry.key);
    }
    chained.push(entry);
  }
  return chained;
}

/**
 * A key whose input list is built when asked for: a plan of stored stages never needs the hundred thousand
 * entries of lc's, and building them is most of what computing the keys would cost.
 */
function stageKey(fields: Omit<StageKey, 'inputs'>, checkout: Checkout, files: number[]): StageKey {
  let inputs: Record<string, string> | undefined;
  return Object.defineProperty({ ...fields } as StageKey, 'inputs', {
    enumerable: true,
    get() {
      if (!inputs) {
        inputs = {};
        for (const at of files) inputs[checkout.paths[at]] = `${checkout.entries[at].mode} ${checkout.entries[at].oid}`;
      }
      return inputs;
    },
  });
}

/** JSON.stringify([a, b, c]) for plain strings, without building the array. */
function jsonTriple(a: string, b: string, c: string): string {
  // eslint-disable-next-line no-control-regex -- the characters JSON.stringify escapes, control characters among them
  return /["\\\u0000-\u001f\ud800-\udfff]/.test(a) ? JSON.stringify([a, b, c]) : `["${a}","${b}","${c}"]`;
}

/** What one stage hashes: the paths to ask the checkout for, and how to walk its files in the answer. */
interface StagePlan {
  wanted: WantedPath[];
  /** Calls fn for each of the stage's files (its index in the checkout's paths, path, entry), in path order. */
  each(checkout: Checkout, fn: (at: number, rel: string, entry: FileEntry) => void): void;
}

/**
 * A stage's inputs: its entry script, the manifest's patterns and what its scripts read, less excluded
 * globs and build outputs. Matchers are compiled once per stage; paths outside the wanted ones are never
 * looked at, and no list is sorted again: marks over the checkout's sorted paths keep the order.
 */
function stagePlan(stage: StageDefinition, pizlixRel: string): StagePlan {
  const wanted: WantedPath[] = [{ path: `${pizlixRel}/${stage.script}`, kind: 'file', onDisk: false }, ...stage.inputs.map(manifestPattern)];
  for (const input of stage.reading?.inputs ?? []) wanted.push({ path: input.path, kind: input.kind, onDisk: input.onDisk, editedSince: input.editedSince });
  const excluded = compileAny([...stage.exclude, ...(stage.reading ? staticOutputs(pizlixRel) : [])]);
  const written = compileAny(stage.reading ? allOutputs(stage) : []);
  return {
    wanted,
    each(checkout, fn) {
      const marks = new Uint8Array(checkout.size);
      for (const w of wanted) checkout.mark(w, marks);
      const { paths, entries } = checkout;
      for (let i = 0; i < marks.length; i++) {
        if (!marks[i]) continue;
        const rel = paths[i];
        if (excluded(rel) || (!entries[i].tracked && written(rel))) continue;
        fn(i, rel, entries[i]);
      }
    },
  };
}

/** Outputs of this stage's scripts; a file git tracks is never one (the build only rewrites it). */
function allOutputs(stage: StageDefinition): string[] {
  return (stage.reading?.outputs ?? []).flatMap((o) => (isGlobPattern(o) ? [o] : [o, `${o}/**`]));
}

/** A manifest pattern: `dir/**` is the tree below dir, other globs stay globs, a plain path is one file. */
export function manifestPattern(pattern: string): WantedPath {
  const tree = /^(.*)\/\*\*$/.exec(pattern);
  if (tree && !isGlobPattern(tree[1])) return { path: tree[1], kind: 'tree', onDisk: false };
  return { path: pattern, kind: isGlobPattern(pattern) ? 'glob' : 'file', onDisk: false };
}

/** One regular expression for all the patterns: tested once per file. */
function compileAny(patterns: string[]): (rel: string) => boolean {
  if (patterns.length === 0) return () => false;
  const re = new RegExp(patterns.map((p) => `(?:${picomatch.makeRe(p, { dot: true }).source})`).join('|'));
  return (rel) => re.test(rel);
}

function uniqueWanted(list: WantedPath[]): WantedPath[] {
  const seen = new Map<string, WantedPath>();
  for (const w of list) {
    const key = `${w.kind}\0${w.path}\0${w.editedSince ?? ''}`;
    const known = seen.get(key);
    if (!known) seen.set(key, { ...w });
    else known.onDisk ||= w.onDisk;
  }
  return [...seen.values()];
}

/** The first characters of a key's hash, for tables ('…' for a key not known yet). */
export function shortKey(key: string | null | undefined): string {
  if (!key) return '…';
  return key.slice(key.lastIndexOf('-') + 1, key.lastIndexOf('-') + 13);
}

export interface InputDifference {
  added: string[];
  removed: string[];
  changed: string[];
}

/** Which inputs differ between two input manifests of one stage. */
export function diffInputs(before: Record<string, string>, after: Record<string, string>): InputDifference {
  const added = Object.keys(after)
    .filter((p) => !(p in before))
    .sort();
  const removed = Object.keys(before)
    .filter((p) => !(p in after))
    .sort();
  const changed = Object.keys(after)
    .filter((p) => p in before && before[p] !== after[p])
    .sort();
  return { added, removed, changed };
}
