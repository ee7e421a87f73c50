/**
 * How a stage's output changed against its previous build, from the per-path output manifests in the
 * entries' metadata: "output identical" (so every later stage keeps its key) or the paths that differ.
 */
import { decodeOutputManifest, diffOutputs, type OutputDifference } from '../rootfs/output-digest.js';
import type { SnapshotMeta } from '../store/types.js';
import { listDifferences } from './plan.js';

export type OutputSide = Pick<SnapshotMeta, 'key' | 'outputDigest' | 'outputManifest'>;

export interface OutputExplanation {
  /** No earlier build to compare with, or one of the two has no output manifest (written before digests). */
  comparable: boolean;
  identical: boolean;
  difference?: OutputDifference;
}

export function explainOutput(before: OutputSide | undefined, after: OutputSide): OutputExplanation {
  if (!before?.outputDigest || !after.outputDigest) return { comparable: false, identical: false };
  if (before.outputDigest === after.outputDigest) return { comparable: true, identical: true };
  if (!before.outputManifest || !after.outputManifest) return { comparable: false, identical: false };
  return {
    comparable: true,
    identical: false,
    difference: diffOutputs(decodeOutputManifest(before.outputManifest), decodeOutputManifest(after.outputManifest)),
  };
}

/** Lines a person reads: the headline, then the first `limit` paths of each kind and a count of the rest. */
export function describeOutput(stage: string, e: OutputExplanation, limit = 30): string[] {
  if (!e.comparable) return [`${stage}: no earlier build with an output manifest to compare with`];
  if (e.identical) return [`${stage}: output identical to the previous build`];
  const d = e.difference!;
  const total = d.added.length + d.removed.length + d.changed.length;
  const headline = `${stage}: output differs in ${total} path${total === 1 ? '' : 's'}: ${[...d.changed, ...d.added, ...d.removed].slice(0, 3).join(', ')}${total > 3 ? ', …' : ''}`;
  return [headline, ...listDifferences(d, limit)];
}
