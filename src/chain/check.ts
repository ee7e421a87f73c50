/**
 * What a maintainer should look at before a hole bites: references in the stages' scripts that resolve to
 * nothing, `projects/*` entries no stage reads, references the reader could not evaluate (and what stands
 * for them), and what chain discovery noticed.
 */
import path from 'node:path';
import { CheckoutView } from './checkout-view.js';
import { manifestPattern } from './keys.js';
import type { StageManifest } from './manifest.js';
import type { Hole, Unresolved } from './references.js';
import { globBase, globMatcher } from './shell-values.js';

export interface ChainReport {
  holes: Array<Hole & { stage: string }>;
  /** Checkout-relative `projects/<name>` entries that no stage's inputs cover. */
  unusedProjects: string[];
  unresolved: Array<Unresolved & { stage: string }>;
  problems: string[];
}

/** Entries of projects/ that are bookkeeping or build output, never sources. */
const NOT_A_PROJECT = [/^\./, /\.projeny\.status$/, /^pizlonated-/];

export function checkChain(manifest: StageManifest, pizlixDir: string): ChainReport {
  const view = new CheckoutView(path.dirname(path.resolve(pizlixDir)));
  const holes = manifest.stages.flatMap((s) => (s.reading?.holes ?? []).map((h) => ({ ...h, stage: s.name })));
  const unresolved = manifest.stages.flatMap((s) => (s.reading?.unresolved ?? []).map((u) => ({ ...u, stage: s.name })));
  return { holes, unusedProjects: unusedProjects(manifest, view), unresolved, problems: manifest.problems };
}

export function hasFindings(report: ChainReport): boolean {
  return report.holes.length > 0 || report.unusedProjects.length > 0;
}

function unusedProjects(manifest: StageManifest, view: CheckoutView): string[] {
  if (view.kind('projects') !== 'dir') return [];
  const inputs = manifest.stages.flatMap((s) => [...(s.reading?.inputs ?? []).map((i) => ({ path: i.path, kind: i.kind })), ...s.inputs.map(manifestPattern)]);
  const covers = (entry: string) =>
    inputs.some((input) => {
      if (input.kind !== 'glob') return input.path === entry || input.path.startsWith(`${entry}/`) || entry.startsWith(`${input.path}/`);
      const base = globBase(input.path);
      if (base === entry || base.startsWith(`${entry}/`)) return true;
      if (!entry.startsWith(`${base}/`) && base !== '') return false;
      const matches = globMatcher(input.path);
      return matches(entry) || view.expand(input.path).some((m) => m.startsWith(`${entry}/`));
    });
  return view
    .list('projects')
    .filter((name) => !NOT_A_PROJECT.some((re) => re.test(name)))
    .map((name) => `projects/${name}`)
    .filter((entry) => !covers(entry));
}
