/**
 * The plan: every stage's key, whether the store has it, and when not, which inputs changed against
 * the newest stored snapshot of that stage.
 */
import { diffInputs, computeKeys, type InputDifference, type StageKey } from '../chain/keys.js';
import type { StageManifest } from '../chain/manifest.js';
import type { SnapshotMeta, SnapshotStore } from '../store/types.js';

export interface PlannedStage {
  stage: string;
  key: string;
  parentKey: string | null;
  inStore: boolean;
  /** Newest stored snapshot of this stage with another key, when the key is not stored. */
  previous?: SnapshotMeta;
  /** What differs from `previous`. */
  changes?: Explanation;
  /** Build time recorded with the stored or previous snapshot. */
  estimatedSeconds?: number;
  /** What the stage downloads (its key includes these URLs and their checksums). */
  network: string[];
}

export interface Explanation extends InputDifference {
  parentChanged: boolean;
}

export async function planStages(manifest: StageManifest, store: SnapshotStore, options: { pizlixDir: string; keyExtra?: string }): Promise<PlannedStage[]> {
  const keys = await computeKeys(manifest, options);
  const plan: PlannedStage[] = [];
  for (const key of keys) {
    const network = key.network.map((n) => n.url);
    const entry = await store.lookup(key.key);
    if (entry) {
      plan.push({ stage: key.stage, key: key.key, parentKey: key.parentKey, inStore: true, estimatedSeconds: entry.meta.buildSeconds, network });
      continue;
    }
    const previous = (await store.list(key.stage)).find((e) => e.meta.key !== key.key)?.meta;
    plan.push({
      stage: key.stage,
      key: key.key,
      parentKey: key.parentKey,
      inStore: false,
      previous,
      changes: previous ? explain(previous, key) : undefined,
      estimatedSeconds: previous?.buildSeconds,
      network,
    });
  }
  return plan;
}

/** Which inputs of a stage differ between a stored snapshot and a key (computed or stored). */
export function explain(before: Pick<SnapshotMeta, 'inputs' | 'parentKey'>, after: Pick<StageKey, 'inputs' | 'parentKey'>): Explanation {
  return { ...diffInputs(before.inputs, after.inputs), parentChanged: before.parentKey !== after.parentKey };
}

export function describeExplanation(e: Explanation, limit = 20): string[] {
  const lines: string[] = [];
  const list = (label: string, paths: string[]) => {
    if (paths.length === 0) return;
    lines.push(`${label} (${paths.length}):`);
    for (const p of paths.slice(0, limit)) lines.push(`  ${p}`);
    if (paths.length > limit) lines.push(`  … and ${paths.length - limit} more`);
  };
  list('changed', e.changed);
  list('added', e.added);
  list('removed', e.removed);
  if (e.parentChanged) lines.push('parent stage key changed');
  if (lines.length === 0) lines.push('no input differs (key extra material or key format differs)');
  return lines;
}
