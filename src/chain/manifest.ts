/**
 * The stage manifest: the chain of stages, each with its entry script, the snapshot it writes and the
 * inputs its key hashes. The built-in manifest is Pizlix's; a YAML file can replace it.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject } from 'ajv';
import YAML from 'yaml';
import { InputError } from '../util/errors.js';
import { PIZLIX_MANIFEST } from './pizlix-manifest.js';

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
}

export interface StageManifest {
  version: typeof MANIFEST_VERSION;
  stages: StageDefinition[];
  /** Where it came from, for messages: a file path or "built-in". */
  source: string;
}

const stageNamePattern = '^[a-z0-9][a-z0-9._-]{0,63}$';

export const manifestSchema = {
  $id: 'https://pizlix-stage/manifest.schema.json',
  type: 'object',
  additionalProperties: false,
  required: ['version', 'stages'],
  properties: {
    version: { const: MANIFEST_VERSION },
    exclude: { type: 'array', items: { type: 'string', minLength: 1 } },
    stages: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'script', 'snapshot', 'inputs'],
        properties: {
          name: { type: 'string', pattern: stageNamePattern },
          parent: { type: ['string', 'null'], pattern: stageNamePattern },
          script: { type: 'string', minLength: 1 },
          snapshot: { type: 'string', pattern: '\\.tar(\\.(gz|zst|xz|bz2))?$' },
          inputs: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
          exclude: { type: 'array', items: { type: 'string', minLength: 1 } },
        },
      },
    },
  },
} as const;

/** What a schema rule needs, said the way a person fixing the file wants to read it. */
const EXPECTATIONS: Record<string, string> = {
  '/version': `version: ${MANIFEST_VERSION}`,
  name: `a lower-case stage name matching ${stageNamePattern}`,
  parent: 'the name of an earlier stage, or null for the first stage',
  snapshot: 'a tarball name such as lfs-<stage>.tar.gz',
  inputs: 'a non-empty list of paths or globs relative to the checkout',
};

const ajv = new Ajv({ allErrors: true, strict: true });
const validateShape = ajv.compile(manifestSchema);

interface RawManifest {
  version: 1;
  exclude?: string[];
  stages: Array<Omit<StageDefinition, 'parent' | 'exclude'> & { parent?: string | null; exclude?: string[] }>;
}

/** Loads a manifest file, or the built-in Pizlix manifest when no file is given. */
export function loadManifest(file?: string): StageManifest {
  if (!file) return parseManifest(PIZLIX_MANIFEST, 'built-in');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new InputError('manifest', `cannot read ${file}: ${(err as Error).message}`, 'a readable YAML file');
  }
  return parseManifest(text, file);
}

export function parseManifest(text: string, source: string): StageManifest {
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
  const globalExclude = manifest.exclude ?? [];
  const stages: StageDefinition[] = [];
  for (const [index, stage] of manifest.stages.entries()) {
    const field = `${source}: /stages/${index}`;
    if (stages.some((s) => s.name === stage.name)) {
      throw new InputError('manifest', `${field}/name: stage '${stage.name}' is defined twice`, 'unique stage names');
    }
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
    for (const key of ['script', 'snapshot'] as const) {
      if (stage[key].startsWith('/') || stage[key].split('/').includes('..')) {
        throw new InputError('manifest', `${field}/${key}: '${stage[key]}' leaves the pizlix directory`, 'a path relative to the pizlix directory');
      }
    }
    for (const input of stage.inputs) {
      if (input.startsWith('/') || input.split('/').includes('..')) {
        throw new InputError('manifest', `${field}/inputs: '${input}' leaves the checkout`, 'paths relative to the checkout');
      }
    }
    stages.push({ ...stage, parent, exclude: [...globalExclude, ...(stage.exclude ?? [])] });
  }
  return { version: MANIFEST_VERSION, stages, source };
}

function describeSchemaError(error: ErrorObject): string {
  const where = error.instancePath || '/';
  const last = where.split('/').filter((p) => !/^\d+$/.test(p)).pop() ?? '';
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
    throw new InputError('stage', `'${name}' is not a stage of the ${manifest.source} manifest`, `one of: ${manifest.stages.map((s) => s.name).join(', ')}`);
  }
  return stage;
}

/** The stage and all its ancestors, first stage first. */
export function chainTo(manifest: StageManifest, name: string): StageDefinition[] {
  const chain: StageDefinition[] = [];
  for (let stage: StageDefinition | undefined = findStage(manifest, name); stage; ) {
    chain.unshift(stage);
    stage = stage.parent ? findStage(manifest, stage.parent) : undefined;
  }
  return chain;
}
