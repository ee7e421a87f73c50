/**
 * Stage keys. A key hashes what decides a stage's result: the key format, the stage's name, entry
 * script and snapshot name, its input files' ids, what it downloads (URLs and checksums), its parent's key
 * and optional extra material (a runner image id, say). Paths are relative to the checkout and nothing
 * machine-specific goes in, so the same sources give the same keys everywhere; a changed input changes its
 * stage's key and, through the parent key, every later stage's — never an earlier one's.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../util/errors.js';
import { sha256Text } from '../util/hash.js';
import { log } from '../util/log.js';
import { Checkout, type FileEntry, type WantedPath } from './checkout.js';
import type { StageDefinition, StageManifest } from './manifest.js';
import { staticOutputs } from './script-reader.js';
import { globMatcher, isGlobPattern } from './shell-values.js';

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
  const pizlixDir = path.resolve(options.pizlixDir);
  if (!(await stat(pizlixDir).then((s) => s.isDirectory(), () => false))) {
    throw new InputError('pizlix-dir', `${pizlixDir} is not a directory`, 'the pizlix folder of a Fil-C checkout (relative to the workspace)');
  }
  const checkoutRoot = path.dirname(pizlixDir);
  const pizlixRel = path.basename(pizlixDir);
  const plans = manifest.stages.map((stage) => stagePlan(stage, pizlixRel));
  const checkout = await Checkout.scan(checkoutRoot, uniqueWanted(plans.flatMap((p) => p.wanted)));
  log.debug(`ids of ${checkout.size} files (${checkout.usesGit ? 'git ids where git has them' : 'contents'})`);

  const keys: StageKey[] = [];
  for (const [index, stage] of manifest.stages.entries()) {
    const files = plans[index].select(checkout);
    if (files.length === 0) log.warning(`stage ${stage.name}: no file matches its inputs under ${checkoutRoot}`);
    const network = (stage.reading?.network ?? []).map((n) => ({ url: n.url, checksums: [...n.checksums].sort() })).sort((a, b) => (a.url < b.url ? -1 : 1));
    const parentKey = stage.parent ? keys.find((k) => k.stage === stage.parent)!.key : null;
    const material = JSON.stringify({
      format: KEY_FORMAT,
      stage: stage.name,
      script: stage.script,
      snapshot: stage.snapshot,
      parent: parentKey,
      extra: options.keyExtra ?? '',
      inputs: files.map(([rel, id]) => [rel, id.mode, id.oid]),
      // Only present when used, so a manifest without downloads or stage material keeps its keys.
      ...(network.length > 0 ? { network } : {}),
      ...(stage.keyExtra !== undefined ? { stageExtra: stage.keyExtra } : {}),
    });
    keys.push({
      stage: stage.name,
      key: `pizlix-${stage.name}-${sha256Text(material).slice(0, 40)}`,
      parentKey,
      inputs: Object.fromEntries(files.map(([rel, id]) => [rel, `${id.mode} ${id.oid}`])),
      network,
    });
  }
  return keys;
}

/** What one stage hashes: the paths to ask the checkout for, and how to pick its files from the answer. */
interface StagePlan {
  wanted: WantedPath[];
  select(checkout: Checkout): Array<[string, FileEntry]>;
}

/**
 * A stage's inputs: its entry script, the manifest's patterns and what its scripts read, less excluded
 * globs and build outputs. Matchers are compiled once per stage; paths outside the wanted ones are never
 * looked at.
 */
function stagePlan(stage: StageDefinition, pizlixRel: string): StagePlan {
  const wanted: WantedPath[] = [{ path: `${pizlixRel}/${stage.script}`, kind: 'file', onDisk: false }, ...stage.inputs.map(manifestPattern)];
  for (const input of stage.reading?.inputs ?? []) wanted.push({ path: input.path, kind: input.kind, onDisk: input.onDisk, editedSince: input.editedSince });
  const excluded = compileAny([...stage.exclude, ...(stage.reading ? staticOutputs(pizlixRel) : [])]);
  const written = compileAny(stage.reading ? allOutputs(stage) : []);
  return {
    wanted,
    select(checkout) {
      const files = new Map<string, FileEntry>();
      for (const w of wanted) {
        for (const [rel, entry] of checkout.select(w)) {
          if (excluded(rel) || (!entry.tracked && written(rel))) continue;
          files.set(rel, entry);
        }
      }
      return [...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
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

function compileAny(patterns: string[]): (rel: string) => boolean {
  if (patterns.length === 0) return () => false;
  const matchers = patterns.map(globMatcher);
  return (rel) => matchers.some((m) => m(rel));
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

