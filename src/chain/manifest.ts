/**
 * Stage manifests. The chain normally comes from the Pizlix scripts themselves (discover.ts, derive.ts);
 * a YAML manifest either replaces it (`mode: replace`, the default: every stage with its script, snapshot
 * and inputs) or amends it (`mode: amend`: extra inputs, extra excludes and key material for stages the
 * scripts define). Errors name the file, the field and what would be right.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject } from 'ajv';
import YAML from 'yaml';
import { InputError } from '../util/errors.js';
import type { StageReading } from './references.js';

export const MANIFEST_VERSION = 1;

export interface StageDefinition {
  name: string;
  /** The stage whose root filesystem this one starts from; null for the first. */
  parent: string | null;
  /** Entry script, relative to the pizlix directory. */
  script: string;
  /** The tarball the script writes, relative to the pizlix directory. */
  snapshot: string;
  /** Paths and globs relative to the checkout (the pizlix directory's parent) whose contents the key hashes. */
  inputs: string[];
  /** Globs (relative to the checkout) left out of the inputs, e.g. build outputs. */
  exclude: string[];
  /** Extra key material of this stage (and, through the parent key, of every later stage). */
  keyExtra?: string;
  /**
   * Globs (relative to the root filesystem, no leading slash) the stage's output digest ignores, besides
   * DEFAULT_VOLATILE: outputs that differ from build to build without meaning anything.
   */
  volatile: string[];
  /** What reading the stage's scripts found, when the chain was discovered. */
  reading?: StageReading;
}

export interface StageManifest {
  version: typeof MANIFEST_VERSION;
  stages: StageDefinition[];
  /** Where it came from, for messages: a file path, or "the scripts in <pizlix dir>". */
  source: string;
  /** discovered: read from the scripts; amended: discovered plus a manifest; manifest: a manifest alone. */
  origin: 'discovered' | 'amended' | 'manifest';
  /** What discovery found worth a maintainer's attention (not errors). */
  problems: string[];
}

export type ManifestMode = 'replace' | 'amend';

/** A stage's entry in a manifest file, but for key-extra (spelled `key-extra` in the file, `keyExtra` once read). */
interface ManifestStageFields {
  name: string;
  parent?: string | null;
  script?: string;
  snapshot?: string;
  inputs?: string[];
  exclude?: string[];
  volatile?: string[];
}

/** A manifest file as written, validated. */
export interface ParsedManifest {
  mode: ManifestMode;
  exclude: string[];
  stages: Array<ManifestStageFields & { keyExtra?: string }>;
  source: string;
}

/**
 * Paths every stage's output digest ignores. Few on purpose: each one hides real differences.
 */
export const DEFAULT_VOLATILE: readonly string[] = [
  // The build state file: the toolkit rewrites it on every restore, and a stage writes '<stage>-part' then '<stage>'.
  'sources/lfsbuildstate',
  // Left by an interrupted restore of this toolkit (lfs.ts), never part of a stage's result.
  '.pizlix-stage-*',
  // Core dumps: Pizlix's tar already excludes their contents; the directory's listing would follow crashes.
  'var/coredumps/**',
];

const stageNamePattern = '^[a-z0-9][a-z0-9._-]{0,63}$';

export const manifestSchema = {
  $id: 'https://pizlix-stage/manifest.schema.json',
  type: 'object',
  additionalProperties: false,
  required: ['version', 'stages'],
  properties: {
    version: { const: MANIFEST_VERSION },
    mode: { enum: ['replace', 'amend'] },
    exclude: { type: 'array', items: { type: 'string', minLength: 1 } },
    stages: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: {
          name: { type: 'string', pattern: stageNamePattern },
          parent: { type: ['string', 'null'], pattern: stageNamePattern },
          script: { type: 'string', minLength: 1 },
          snapshot: { type: 'string', pattern: '\\.tar(\\.(gz|zst|xz|bz2))?$' },
          inputs: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
          exclude: { type: 'array', items: { type: 'string', minLength: 1 } },
          'key-extra': { type: 'string' },
          volatile: { type: 'array', items: { type: 'string', minLength: 1 } },
        },
      },
    },
  },
} as const;

/** What a schema rule needs, said the way a person fixing the file wants to read it. */
const EXPECTATIONS: Record<string, string> = {
  '/version': `version: ${MANIFEST_VERSION}`,
  '/mode': 'mode: replace (the manifest is the chain) or mode: amend (extras for the chain the scripts define)',
  name: `a lower-case stage name matching ${stageNamePattern}`,
  parent: 'the name of an earlier stage, or null for the first stage',
  snapshot: 'a tarball name such as lfs-<stage>.tar.gz',
  inputs: 'a non-empty list of paths or globs relative to the checkout',
  volatile: 'a list of globs relative to the root filesystem, such as var/log/**',
};

const ajv = new Ajv({ allErrors: true, strict: true });
const validateShape = ajv.compile(manifestSchema);

interface RawManifest {
  version: 1;
  mode?: ManifestMode;
  exclude?: string[];
  stages: Array<ManifestStageFields & { 'key-extra'?: string }>;
}

export function readManifestFile(file: string): ParsedManifest {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new InputError('manifest', `cannot read ${file}: ${(err as Error).message}`, 'a readable YAML file');
  }
  return parseManifestText(text, file);
}

/** Parses and validates a manifest's text: shape, then the rules of its mode. */
export function parseManifestText(text: string, source: string): ParsedManifest {
  let raw: unknown;
  try {
    raw = YAML.parse(text);
  } catch (err) {
    throw new InputError('manifest', `${source} is not valid YAML: ${(err as Error).message}`);
  }
  if (!validateShape(raw)) {
    throw new InputError('manifest', `${source}: ${(validateShape.errors ?? []).map(describeSchemaError).join('; ')}`);
  }
  const manifest = raw as unknown as RawManifest;
  const mode = manifest.mode ?? 'replace';
  const seen = new Set<string>();
  for (const [index, stage] of manifest.stages.entries()) {
    const field = `${source}: /stages/${index}`;
    if (seen.has(stage.name)) throw new InputError('manifest', `${field}/name: stage '${stage.name}' is defined twice`, 'unique stage names');
    seen.add(stage.name);
    for (const input of [...(stage.inputs ?? []), ...(stage.exclude ?? [])]) {
      if (input.startsWith('/') || input.split('/').includes('..')) {
        throw new InputError('manifest', `${field}/inputs: '${input}' leaves the checkout`, 'paths relative to the checkout');
      }
    }
    for (const pattern of stage.volatile ?? []) {
      if (pattern.startsWith('/') || pattern.split('/').includes('..')) {
        throw new InputError(
          'manifest',
          `${field}/volatile: '${pattern}' is not a path inside the root filesystem`,
          "globs relative to the root filesystem without a leading '/' or '..', such as var/log/**",
        );
      }
    }
    if (mode === 'amend') {
      for (const key of ['parent', 'script', 'snapshot'] as const) {
        if (stage[key] !== undefined) {
          throw new InputError(
            'manifest',
            `${field}/${key}: not allowed with mode: amend`,
            `only inputs, exclude, key-extra and volatile (the scripts define ${key}; use mode: replace to define the chain here)`,
          );
        }
      }
      continue;
    }
    for (const key of ['script', 'snapshot', 'inputs'] as const) {
      if (stage[key] === undefined) {
        throw new InputError(
          'manifest',
          `${field} must have required property '${key}'`,
          `every stage of a mode: replace manifest to name its script, snapshot and inputs (or mode: amend to add to the chain the scripts define)`,
        );
      }
    }
    for (const key of ['script', 'snapshot'] as const) {
      if (stage[key]!.startsWith('/') || stage[key]!.split('/').includes('..')) {
        throw new InputError('manifest', `${field}/${key}: '${stage[key]}' leaves the pizlix directory`, 'a path relative to the pizlix directory');
      }
    }
  }
  return {
    mode,
    exclude: manifest.exclude ?? [],
    stages: manifest.stages.map((s) => ({
      name: s.name,
      parent: s.parent,
      script: s.script,
      snapshot: s.snapshot,
      inputs: s.inputs,
      exclude: s.exclude,
      keyExtra: s['key-extra'],
      volatile: s.volatile,
    })),
    source,
  };
}

/** A mode: replace manifest as the chain: parents checked, exclusions combined. */
export function manifestChain(parsed: ParsedManifest): StageManifest {
  const stages: StageDefinition[] = [];
  for (const [index, stage] of parsed.stages.entries()) {
    const field = `${parsed.source}: /stages/${index}`;
    const parent = stage.parent ?? null;
    if (index === 0 && parent !== null) {
      throw new InputError('manifest', `${field}/parent: the first stage cannot have a parent ('${parent}')`, 'no parent on the first stage');
    }
    if (index > 0 && parent === null) {
      throw new InputError('manifest', `${field}/parent: missing`, `the name of an earlier stage (e.g. '${stages[index - 1].name}')`);
    }
    if (parent !== null && !stages.some((s) => s.name === parent)) {
      throw new InputError('manifest', `${field}/parent: '${parent}' is not an earlier stage`, `one of: ${stages.map((s) => s.name).join(', ')}`);
    }
    stages.push({
      name: stage.name,
      parent,
      script: stage.script!,
      snapshot: stage.snapshot!,
      inputs: stage.inputs!,
      exclude: [...parsed.exclude, ...(stage.exclude ?? [])],
      keyExtra: stage.keyExtra,
      volatile: stage.volatile ?? [],
    });
  }
  return { version: MANIFEST_VERSION, stages, source: parsed.source, origin: 'manifest', problems: [] };
}

/** A mode: amend manifest applied to the discovered chain. */
export function amendChain(discovered: StageManifest, parsed: ParsedManifest): StageManifest {
  const stages = discovered.stages.map((s) => ({ ...s, exclude: [...s.exclude, ...parsed.exclude] }));
  for (const [index, extra] of parsed.stages.entries()) {
    const stage = stages.find((s) => s.name === extra.name);
    if (!stage) {
      throw new InputError(
        'manifest',
        `${parsed.source}: /stages/${index}/name: '${extra.name}' is not a stage of the chain the scripts define`,
        `one of: ${stages.map((s) => s.name).join(', ')}`,
      );
    }
    stage.inputs = [...stage.inputs, ...(extra.inputs ?? [])];
    stage.exclude = [...stage.exclude, ...(extra.exclude ?? [])];
    if (extra.keyExtra !== undefined) stage.keyExtra = extra.keyExtra;
    stage.volatile = [...stage.volatile, ...(extra.volatile ?? [])];
  }
  return { ...discovered, stages, source: `${discovered.source}, amended by ${parsed.source}`, origin: 'amended' };
}

function describeSchemaError(error: ErrorObject): string {
  const where = error.instancePath || '/';
  const last =
    where
      .split('/')
      .filter((p) => !/^\d+$/.test(p))
      .pop() ?? '';
  const expected =
    EXPECTATIONS[where] ??
    EXPECTATIONS[last] ??
    (error.keyword === 'additionalProperties'
      ? `only known fields (unknown: '${(error.params as { additionalProperty: string }).additionalProperty}')`
      : undefined);
  return `field ${where} ${error.message ?? 'is invalid'}${expected ? ` (expected ${expected})` : ''}`;
}

export function findStage(manifest: StageManifest, name: string): StageDefinition {
  const stage = manifest.stages.find((s) => s.name === name);
  if (!stage) {
    throw new InputError('stage', `'${name}' is not a stage of the chain (${manifest.source})`, `one of: ${manifest.stages.map((s) => s.name).join(', ')}`);
  }
  return stage;
}

/** The stage and all its ancestors, first stage first. */
export function chainTo(manifest: StageManifest, name: string): StageDefinition[] {
  const chain: StageDefinition[] = [];
  for (let stage: StageDefinition | undefined = findStage(manifest, name); stage;) {
    chain.unshift(stage);
    stage = stage.parent ? findStage(manifest, stage.parent) : undefined;
  }
  return chain;
}

/** A mode: replace manifest file as the chain (amending needs the scripts: see loadChain). */
export function loadManifest(file: string): StageManifest {
  const parsed = readManifestFile(file);
  if (parsed.mode !== 'replace') throw new InputError('manifest', `${file} amends the chain the scripts define`, 'the pizlix directory as well (loadChain)');
  return manifestChain(parsed);
}
