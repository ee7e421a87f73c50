/**
 * The stage chain every verb works on: read from the Pizlix scripts (stages, order, snapshots and each
 * stage's inputs), amended by a manifest, or given by a manifest alone.
 */
import path from 'node:path';
import { requirePizlixDir } from './pizlix-dir.js';
import { CheckoutView } from './checkout-view.js';
import { discoverChain } from './discover.js';
import { MANIFEST_VERSION, amendChain, manifestChain, readManifestFile, type StageManifest } from './manifest.js';
import { ScriptReader } from './script-reader.js';

export interface ChainOptions {
  /** The pizlix folder of a Fil-C checkout; its parent is the checkout. */
  pizlixDir: string;
  /** A YAML manifest replacing or amending the chain the scripts define. */
  manifestFile?: string;
}

export function loadChain(options: ChainOptions): StageManifest {
  if (!options.manifestFile) return discoveredChain(options.pizlixDir);
  const parsed = readManifestFile(options.manifestFile);
  return parsed.mode === 'replace' ? manifestChain(parsed) : amendChain(discoveredChain(options.pizlixDir), parsed);
}

/** Stages from the entry scripts' state gates and snapshots, inputs from what their scripts name. */
export function discoveredChain(pizlixDir: string): StageManifest {
  const absolute = requirePizlixDir(pizlixDir);
  const view = new CheckoutView(path.dirname(absolute));
  const pizlixRel = path.basename(absolute);
  const { stages, problems } = discoverChain(view, pizlixRel);
  const reader = new ScriptReader({ view, pizlixRel });
  return {
    version: MANIFEST_VERSION,
    stages: stages.map((s) => ({
      name: s.name,
      parent: s.parent,
      script: s.script,
      snapshot: s.snapshot,
      inputs: [],
      exclude: [],
      volatile: [],
      reading: reader.readStage(s.name, s.script),
    })),
    source: `the scripts in ${absolute}`,
    origin: 'discovered',
    problems,
  };
}
