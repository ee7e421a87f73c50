/**
 * The plan: every stage's key as far as the store makes it known, whether the store has it, and when not,
 * which inputs changed against the newest stored snapshot of that stage. Keys chain on output digests, so
 * a stage after one that will be built has no key yet: it "waits on" that stage's output, and its job
 * finds out when it starts (reused if the rebuilt parent's output is the one already stored).
 */
import { diffInputs, chainKeys, computeKeys, type InputDifference, type StageKey } from '../chain/keys.js';
import type { StageManifest } from '../chain/manifest.js';
import type { SnapshotMeta, SnapshotStore } from '../store/types.js';

export interface PlannedStage {
  stage: string;
  /** null while the stage waits on its parent's output. */
  key: string | null;
  parentKey: string | null;
  inStore: boolean;
  /** The stage whose output this stage's key waits on (not stored yet), when key is null. */
  waitsOn?: string;
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
  const keys = await chainKeys(await computeKeys(manifest, options), (key) => store.lookup(key));
  const plan: PlannedStage[] = [];
  for (const key of keys) {
    const network = key.network.map((n) => n.url);
    if (key.stored) {
      plan.push({ stage: key.stage, key: key.key!, parentKey: key.parentKey, inStore: true, estimatedSeconds: key.stored.meta.buildSeconds, network });
      continue;
    }
    const previous = (await store.list(key.stage)).find((e) => e.meta.key !== key.key)?.meta;
    const changes = previous && key.key ? explain(previous, key) : previous ? { ...diffInputs(previous.inputs, key.inputs), parentChanged: false } : undefined;
    plan.push({
      stage: key.stage,
      key: key.key ?? null,
      parentKey: key.parentKey,
      inStore: false,
      ...(key.waitsOn ? { waitsOn: key.waitsOn } : {}),
      previous,
      changes,
      estimatedSeconds: previous?.buildSeconds,
      network,
    });
  }
  return plan;
}

/** Which inputs of a stage differ between a stored snapshot and a key (computed or stored). */
export function explain(
  before: Pick<SnapshotMeta, 'inputs' | 'parentKey' | 'parentDigest'>,
  after: Pick<StageKey, 'inputs'> & Pick<SnapshotMeta, 'parentKey' | 'parentDigest'>,
): Explanation {
  const parentChanged =
    before.parentDigest !== undefined && after.parentDigest !== undefined ? before.parentDigest !== after.parentDigest : before.parentKey !== after.parentKey;
  return { ...diffInputs(before.inputs, after.inputs), parentChanged };
}

/** "waits on lc's output", or what a stage with a key does. */
export function planVerdict(p: PlannedStage): string {
  if (p.inStore) return 'reused';
  if (p.waitsOn) return `waits on ${p.waitsOn}'s output`;
  return 'rebuild';
}

/** "changed (3):" and the first `limit` paths of each kind, then a count of the rest (inputs or outputs). */
export function listDifferences(d: { changed: string[]; added: string[]; removed: string[] }, limit: number): string[] {
  const lines: string[] = [];
  for (const [label, paths] of [
    ['changed', d.changed],
    ['added', d.added],
    ['removed', d.removed],
  ] as const) {
    if (paths.length === 0) continue;
    lines.push(`${label} (${paths.length}):`);
    for (const p of paths.slice(0, limit)) lines.push(`  ${p}`);
    if (paths.length > limit) lines.push(`  … and ${paths.length - limit} more`);
  }
  return lines;
}

export function describeExplanation(e: Explanation, limit = 20): string[] {
  const lines = listDifferences(e, limit);
  if (e.parentChanged) lines.push("parent stage's output changed");
  if (lines.length === 0) lines.push('no input differs (key extra material or key format differs)');
  return lines;
}
