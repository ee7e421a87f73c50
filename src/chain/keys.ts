/**
 * Stage keys. A key hashes what decides a stage's result: the key format, the stage's name, entry
 * script and snapshot name, its input files' ids, what it downloads (URLs and checksums), its parent's key
 * and optional extra material (a runner image id, say). Paths are relative to the checkout and nothing
 * machine-specific goes in, so the same sources give the same keys everywhere; a changed input changes its
 * stage's key and, through the parent key, every later stage's — never an earlier one's.
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

export const KEY_FORMAT = 1;

export interface StageKey {
  stage: string;
  key: string;
  parentKey: string | null;
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

/** Every stage's key, in chain order, with its input files. */
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
    const parentKey = stage.parent ? keys.find((k) => k.stage === stage.parent)!.key : null;
    // The material is JSON, written piece by piece into the hash: a stage may have a hundred thousand inputs.
    const hash = createHash('sha256');
    hash.update(JSON.stringify({ format: KEY_FORMAT, stage: stage.name, script: stage.script, snapshot: stage.snapshot, parent: parentKey, extra: options.keyExtra ?? '' }).slice(0, -1));
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
    keys.push(stageKey({ stage: stage.name, key: `pizlix-${stage.name}-${hash.digest('hex').slice(0, 40)}`, parentKey, network }, checkout, files));
  }
  return keys;
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

/** The first characters of a key's hash, for tables. */
export function shortKey(key: string): string {
  return key.slice(key.lastIndexOf('-') + 1, key.lastIndexOf('-') + 13);
}

export interface InputDifference {
  added: string[];
  removed: string[];
  changed: string[];
}

/** Which inputs differ between two input manifests of one stage. */
export function diffInputs(before: Record<string, string>, after: Record<string, string>): InputDifference {
  const added = Object.keys(after).filter((p) => !(p in before)).sort();
  const removed = Object.keys(before).filter((p) => !(p in after)).sort();
  const changed = Object.keys(after).filter((p) => p in before && before[p] !== after[p]).sort();
  return { added, removed, changed };
}

