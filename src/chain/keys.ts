/**
 * Stage keys. A key hashes what decides a stage's result: the key format, the stage's name, entry
 * script and snapshot name, its input files' ids, its parent's key and optional extra material (a
 * runner image id, say). Paths are relative to the checkout and nothing machine-specific goes in, so
 * the same sources give the same keys everywhere; a changed input changes its stage's key and, through
 * the parent key, every later stage's — never an earlier one's.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import picomatch from 'picomatch';
import { InputError } from '../util/errors.js';
import { sha256Text } from '../util/hash.js';
import { log } from '../util/log.js';
import { Checkout } from './checkout.js';
import type { StageDefinition, StageManifest } from './manifest.js';

export const KEY_FORMAT = 1;

export interface StageKey {
  stage: string;
  key: string;
  parentKey: string | null;
  /** checkout-relative path → "<mode> <object id>" */
  inputs: Record<string, string>;
}

export interface KeyOptions {
  /** The pizlix directory (entry scripts and snapshots live here); its parent is the checkout. */
  pizlixDir: string;
  keyExtra?: string;
}

/** Every stage's key, in manifest order. */
export async function computeKeys(manifest: StageManifest, options: KeyOptions): Promise<StageKey[]> {
  const pizlixDir = path.resolve(options.pizlixDir);
  if (!(await stat(pizlixDir).then((s) => s.isDirectory(), () => false))) {
    throw new InputError('pizlix-dir', `${pizlixDir} is not a directory`, 'the pizlix folder of a Fil-C checkout (relative to the workspace)');
  }
  const checkoutRoot = path.dirname(pizlixDir);
  const pizlixRel = path.basename(pizlixDir);
  const matchers = new Map(manifest.stages.map((stage) => [stage.name, stageMatcher(stage, pizlixRel)]));
  const anyStage = (rel: string) => [...matchers.values()].some((m) => m(rel));
  const checkout = await Checkout.open(checkoutRoot, anyStage);
  log.debug(`hashed inputs of ${checkout.size} files (${checkout.usesGit ? 'git ids' : 'contents'})`);

  const keys: StageKey[] = [];
  for (const stage of manifest.stages) {
    const files = checkout.select(matchers.get(stage.name)!);
    if (files.length === 0) log.warning(`stage ${stage.name}: no file matches its inputs under ${checkoutRoot}`);
    const inputs = Object.fromEntries(files.map(([rel, id]) => [rel, `${id.mode} ${id.oid}`]));
    const parentKey = stage.parent ? keys.find((k) => k.stage === stage.parent)!.key : null;
    const material = JSON.stringify({
      format: KEY_FORMAT,
      stage: stage.name,
      script: stage.script,
      snapshot: stage.snapshot,
      parent: parentKey,
      extra: options.keyExtra ?? '',
      inputs: files.map(([rel, id]) => [rel, id.mode, id.oid]),
    });
    keys.push({ stage: stage.name, key: `pizlix-${stage.name}-${sha256Text(material).slice(0, 40)}`, parentKey, inputs });
  }
  return keys;
}

/** A stage's inputs: its patterns and its own entry script, less the excluded globs. */
function stageMatcher(stage: StageDefinition, pizlixRel: string): (rel: string) => boolean {
  const include = picomatch([...stage.inputs, `${pizlixRel}/${stage.script}`], { dot: true });
  const exclude = stage.exclude.length > 0 ? picomatch(stage.exclude, { dot: true }) : () => false;
  return (rel) => include(rel) && !exclude(rel);
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
