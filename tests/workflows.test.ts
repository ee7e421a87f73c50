/**
 * Every action.yml and workflow of the toolkit is valid against the official schemas — GitHub's own
 * parser (@actions/workflow-parser, the one behind GitHub's editor support) and SchemaStore's
 * github-action / github-workflow JSON schemas (as embedded in @action-validator/core) — and every
 * `uses:` of this toolkit names an action or reusable workflow that exists, with inputs it declares,
 * its required inputs given, and only outputs it declares read back.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { validateAction, validateWorkflow, type ValidationError } from '@action-validator/core';
import { NoOperationTraceWriter, convertWorkflowTemplate, parseWorkflow } from '@actions/workflow-parser';
import { parseAction } from '@actions/workflow-parser/actions/action-parser';
import YAML from 'yaml';
import { parseUserChecks } from '../src/vm/user-checks.js';
import { REPO_ROOT } from './harness/runner.js';

/** Where consumers find this toolkit: `uses: pizlix/stage@v1`, `pizlix/stage/actions/<name>@v1`. */
const TOOLKIT = 'pizlix/stage';

interface Parameter {
  required: boolean;
  hasDefault: boolean;
}

/** An action or a reusable workflow, as a caller sees it. */
interface Callable {
  file: string;
  inputs: Map<string, Parameter>;
  outputs: Set<string>;
}

type Mapping = Record<string, unknown>;

async function actionFiles(): Promise<string[]> {
  const names = (await readdir(path.join(REPO_ROOT, 'actions'))).sort();
  return ['action.yml', ...names.map((n) => `actions/${n}/action.yml`).filter((f) => existsSync(path.join(REPO_ROOT, f)))];
}

async function workflowFiles(): Promise<string[]> {
  const entries = await readdir(path.join(REPO_ROOT, 'workflows'), { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name))
    .map((e) => path.relative(REPO_ROOT, path.join(e.parentPath, e.name)))
    .sort();
}

async function source(file: string): Promise<string> {
  return readFile(path.join(REPO_ROOT, file), 'utf8');
}

// ── Schemas ────────────────────────────────────────────────────────────────────────────────────────

function githubActionErrors(name: string, content: string): string[] {
  return parseAction({ name, content }, new NoOperationTraceWriter())
    .context.errors.getErrors()
    .map((e) => e.message);
}

async function githubWorkflowErrors(name: string, content: string): Promise<string[]> {
  const parsed = parseWorkflow({ name, content }, new NoOperationTraceWriter());
  if (parsed.value) await convertWorkflowTemplate(parsed.context, parsed.value);
  return parsed.context.errors.getErrors().map((e) => e.message);
}

/** SchemaStore's errors, flattened to "path: detail" lines (oneOf branches included). */
function flatten(errors: ValidationError[]): string[] {
  return errors.flatMap((e) => {
    const nested = 'states' in e && e.states ? e.states.flatMap((s) => flatten(s.errors)) : [];
    const where = 'path' in e ? e.path : `line ${'location' in e ? e.location?.line : '?'}`;
    return nested.length > 0 ? nested : [`${where}: ${e.detail ?? e.title}`];
  });
}

/**
 * SchemaStore's github-action schema in @action-validator/core 0.6.0 predates `using: node24` (its enum
 * stops at node20); GitHub's own parser above checks `using`, so this one sees node20 in its place.
 */
function schemaStoreActionErrors(content: string): string[] {
  return flatten(validateAction(content.replace(/^(\s+using:\s*)node24\s*$/m, '$1node20')).errors);
}

function schemaStoreWorkflowErrors(content: string): string[] {
  return flatten(validateWorkflow(content).errors);
}

// ── Cross-check of `uses:` ─────────────────────────────────────────────────────────────────────────

function parameters(spec: unknown): Map<string, Parameter> {
  return new Map(
    Object.entries((spec ?? {}) as Record<string, Mapping | null>).map(([name, p]) => [
      name,
      { required: p?.required === true, hasDefault: p?.default !== undefined && p?.default !== null },
    ]),
  );
}

async function loadCallables(): Promise<{ actions: Map<string, Callable>; workflows: Map<string, Callable> }> {
  const actions = new Map<string, Callable>();
  for (const file of await actionFiles()) {
    // Leniently: a YAML error in an action.yml is the schema tests' finding; here only its inputs and outputs count.
    const doc = YAML.parseDocument(await source(file)).toJS() as Mapping;
    const id = file === 'action.yml' ? '.' : path.dirname(file);
    actions.set(id, { file, inputs: parameters(doc.inputs), outputs: new Set(Object.keys((doc.outputs ?? {}) as Mapping)) });
  }
  const workflows = new Map<string, Callable>();
  for (const file of await workflowFiles()) {
    const doc = YAML.parse(await source(file)) as Mapping;
    const call = ((doc.on ?? {}) as Mapping).workflow_call as Mapping | undefined;
    if (!call) continue;
    workflows.set(path.basename(file), { file, inputs: parameters(call.inputs), outputs: new Set(Object.keys((call.outputs ?? {}) as Mapping)) });
  }
  return { actions, workflows };
}

type Target = { kind: 'action'; id: string } | { kind: 'workflow'; file: string } | { kind: 'external' } | { kind: 'unknown'; why: string };

/**
 * What a `uses:` names. This toolkit's forms: `pizlix/stage@ref` (root action), `pizlix/stage/actions/<name>@ref`,
 * `pizlix/stage/.github/workflows/<file>@ref` (reusable workflows, mirrored from workflows/), and the same as `./` paths.
 */
export function resolveUses(uses: string): Target {
  let rest: string | undefined;
  const remote = /^([^/@]+\/[^/@]+)(?:\/([^@]+))?@(.+)$/.exec(uses);
  if (remote && remote[1] === TOOLKIT) rest = remote[2] ?? '';
  else if (uses.startsWith('./')) rest = uses.slice(2).replace(/\/$/, '');
  else return { kind: 'external' };
  if (rest === '' || rest === '.') return { kind: 'action', id: '.' };
  const action = /^actions\/([\w-]+)$/.exec(rest);
  if (action) return { kind: 'action', id: `actions/${action[1]}` };
  const workflow = /^\.github\/workflows\/([\w.-]+\.ya?ml)$/.exec(rest);
  if (workflow) return { kind: 'workflow', file: workflow[1] };
  return { kind: 'unknown', why: `'${uses}' names no action or reusable workflow of ${TOOLKIT}` };
}

function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === 'object') return Object.values(value).flatMap(strings);
  return [];
}

function checkWith(where: string, uses: string, callee: Callable, given: Mapping | undefined, problems: string[]): void {
  for (const name of Object.keys(given ?? {})) {
    if (!callee.inputs.has(name)) problems.push(`${where}: ${uses} has no input '${name}' (${callee.file} declares: ${[...callee.inputs.keys()].join(', ')})`);
  }
  for (const [name, p] of callee.inputs) {
    if (p.required && !p.hasDefault && !(name in (given ?? {}))) problems.push(`${where}: ${uses} needs its required input '${name}'`);
  }
}

/** Problems with this toolkit's `uses:` in one workflow document, and with the outputs and inputs it reads. */
export function crossCheck(file: string, doc: Mapping, callables: { actions: Map<string, Callable>; workflows: Map<string, Callable> }): string[] {
  const problems: string[] = [];
  const jobs = (doc.jobs ?? {}) as Record<string, Mapping>;
  const on = (doc.on ?? {}) as Mapping;
  const declaredInputs = new Set<string>([
    ...Object.keys(((on.workflow_call as Mapping | undefined)?.inputs ?? {}) as Mapping),
    ...Object.keys(((on.workflow_dispatch as Mapping | undefined)?.inputs ?? {}) as Mapping),
  ]);
  const resolve = (where: string, uses: string): Callable | undefined => {
    const target = resolveUses(uses);
    if (target.kind === 'unknown') problems.push(`${where}: ${target.why}`);
    if (target.kind === 'action') {
      const action = callables.actions.get(target.id);
      if (!action) problems.push(`${where}: ${uses}: the toolkit has no action ${target.id}`);
      return action;
    }
    if (target.kind === 'workflow') {
      const workflow = callables.workflows.get(target.file);
      if (!workflow) problems.push(`${where}: ${uses}: workflows/ has no reusable workflow ${target.file}`);
      return workflow;
    }
    return undefined;
  };
  /** Outputs each job offers: its `outputs:` map, or the called workflow's outputs. */
  const jobOutputs = new Map<string, Set<string>>();
  for (const [id, job] of Object.entries(jobs)) {
    const called = typeof job.uses === 'string' ? resolve(`${file} job ${id}`, job.uses) : undefined;
    if (typeof job.uses === 'string' && called) checkWith(`${file} job ${id}`, job.uses, called, job.with as Mapping, problems);
    jobOutputs.set(id, called ? called.outputs : new Set(Object.keys((job.outputs ?? {}) as Mapping)));
  }
  for (const [id, job] of Object.entries(jobs)) {
    const where = `${file} job ${id}`;
    const needs = ([] as string[]).concat((job.needs ?? []) as string[]);
    for (const need of needs) if (!jobs[need]) problems.push(`${where}: needs unknown job '${need}'`);
    const stepOutputs = new Map<string, Set<string> | undefined>();
    for (const [index, step] of ((job.steps ?? []) as Mapping[]).entries()) {
      const stepWhere = `${where} step ${step.id ?? step.name ?? index + 1}`;
      const action = typeof step.uses === 'string' ? resolve(stepWhere, step.uses) : undefined;
      if (action) {
        checkWith(stepWhere, step.uses as string, action, step.with as Mapping, problems);
        const checks = (step.with as Mapping | undefined)?.checks;
        // A literal list is checked with the boot test's own parser; a value that is one expression is the caller's.
        const literal = typeof checks === 'string' && checks.trim() !== '' && !/^\$\{\{[^}]*\}\}$/.test(checks.trim());
        if (action.file === 'actions/boot-test/action.yml' && literal) {
          try {
            parseUserChecks((checks as string).replace(/\$\{\{[^}]*\}\}/g, 'x'));
          } catch (err) {
            problems.push(`${stepWhere}: ${(err as Error).message}`);
          }
        }
      }
      if (typeof step.id === 'string') stepOutputs.set(step.id, action?.outputs);
    }
    for (const text of strings(job)) {
      for (const [, stepId, output] of text.matchAll(/\bsteps\.([\w-]+)\.outputs\.([\w-]+)/g)) {
        if (!stepOutputs.has(stepId)) problems.push(`${where}: reads steps.${stepId}, but no step has id ${stepId}`);
        else if (stepOutputs.get(stepId) && !stepOutputs.get(stepId)!.has(output)) problems.push(`${where}: step ${stepId} has no output '${output}'`);
      }
      for (const [, jobId, output] of text.matchAll(/\bneeds\.([\w-]+)\.outputs\.([\w-]+)/g)) {
        if (!needs.includes(jobId)) problems.push(`${where}: reads needs.${jobId} but does not need job ${jobId}`);
        else if (!jobOutputs.get(jobId)?.has(output)) problems.push(`${where}: job ${jobId} has no output '${output}'`);
      }
    }
  }
  for (const text of strings(doc)) {
    for (const [, name] of text.matchAll(/\binputs\.([\w-]+)/g)) {
      if (!declaredInputs.has(name)) problems.push(`${file}: reads inputs.${name}, which the workflow does not declare`);
    }
  }
  const callOutputs = ((on.workflow_call as Mapping | undefined)?.outputs ?? {}) as Record<string, Mapping>;
  for (const [name, output] of Object.entries(callOutputs)) {
    for (const [, jobId, jobOutput] of String(output.value).matchAll(/\bjobs\.([\w-]+)\.outputs\.([\w-]+)/g)) {
      if (!jobOutputs.get(jobId)?.has(jobOutput)) problems.push(`${file}: output ${name} reads jobs.${jobId}.outputs.${jobOutput}, which does not exist`);
    }
  }
  return problems;
}

// ── Tests ──────────────────────────────────────────────────────────────────────────────────────────

describe('action.yml files', () => {
  test("every action.yml passes GitHub's action schema", async () => {
    for (const file of await actionFiles()) assert.deepEqual(githubActionErrors(file, await source(file)), [], file);
  });

  test("every action.yml passes SchemaStore's github-action schema", async () => {
    for (const file of await actionFiles()) assert.deepEqual(schemaStoreActionErrors(await source(file)), [], file);
  });

  test('both schemas reject a broken action.yml', () => {
    const broken = 'name: x\ndescription: y\ninputs:\n  a:\n    descrption: typo\nruns:\n  using: node99\n  main: index.js\n';
    assert.match(githubActionErrors('broken', broken).join('\n'), /Unexpected value 'node99'/);
    assert.match(schemaStoreActionErrors(broken).join('\n'), /descrption/);
    assert.match(githubActionErrors('bad-yaml', 'name: a\ndescription: Default: colon\n').join('\n'), /Nested mappings/);
  });
});

describe('workflows', () => {
  test('there are the build and release workflows and the examples that call them', async () => {
    const files = await workflowFiles();
    for (const file of [
      'workflows/pizlix-build.yml',
      'workflows/pizlix-release.yml',
      'workflows/examples/downstream-test.yml',
      'workflows/examples/fil-c-build.yml',
      'workflows/examples/fil-c-release.yml',
      'workflows/examples/fil-c-fleet-s3.yml',
    ]) {
      assert.ok(files.includes(file), file);
    }
  });

  test("every workflow passes GitHub's workflow schema and expression checks", async () => {
    for (const file of await workflowFiles()) assert.deepEqual(await githubWorkflowErrors(file, await source(file)), [], file);
  });

  test("every workflow passes SchemaStore's github-workflow schema", async () => {
    for (const file of await workflowFiles()) assert.deepEqual(schemaStoreWorkflowErrors(await source(file)), [], file);
  });

  test('every uses: of this toolkit names an existing action or workflow, with inputs and outputs it declares', async () => {
    const callables = await loadCallables();
    assert.ok(callables.workflows.has('pizlix-build.yml') && callables.workflows.has('pizlix-release.yml'));
    let toolkitUses = 0;
    for (const file of await workflowFiles()) {
      const text = await source(file);
      toolkitUses += [...text.matchAll(/uses:\s*pizlix\/stage/g)].length;
      assert.deepEqual(crossCheck(file, YAML.parse(text) as Mapping, callables), [], file);
    }
    assert.ok(toolkitUses >= 15, `the workflows use the toolkit (${toolkitUses} uses)`);
  });

  test('the cross-check catches unknown actions, inputs and outputs, and missing required inputs', async () => {
    const callables = await loadCallables();
    const broken = YAML.parse(`
on:
  workflow_call:
    inputs:
      labels: { type: string }
    outputs:
      url: { value: '\${{ jobs.build.outputs.nope }}' }
jobs:
  build:
    runs-on: \${{ fromJSON(inputs.labels) }}
    steps:
      - uses: pizlix/stage/actions/no-such-action@v1
      - id: fetch
        uses: pizlix/stage/actions/fetch@v1
        with: { repository: a/b, colour: blue }
      - uses: pizlix/stage@v1
      - uses: pizlix/stage/actions/boot-test@v1
        with:
          image: x
          checks: '- name: 1'
      - run: echo \${{ steps.fetch.outputs.imagee }} \${{ inputs.missing }}
  release:
    needs: [build, ghost]
    uses: pizlix/stage/.github/workflows/pizlix-release.yml@v1
    with: { store-pth: /srv }
`) as Mapping;
    const problems = crossCheck('broken.yml', broken, callables).join('\n');
    for (const expected of [
      /the toolkit has no action actions\/no-such-action/,
      /has no input 'colour'/,
      /pizlix\/stage@v1 needs its required input 'stage'/,
      /input 'checks'/,
      /step fetch has no output 'imagee'/,
      /reads inputs\.missing/,
      /needs unknown job 'ghost'/,
      /pizlix-release\.yml@v1 has no input 'store-pth'/,
      /output url reads jobs\.build\.outputs\.nope/,
    ]) {
      assert.match(problems, expected);
    }
  });

  test('a reusable workflow mirrored under .github/workflows/ is identical to its source in workflows/', async () => {
    const mirror = path.join(REPO_ROOT, '.github', 'workflows');
    for (const file of (await loadCallables()).workflows.values()) {
      const copy = path.join(mirror, path.basename(file.file));
      if (existsSync(copy)) assert.equal(await readFile(copy, 'utf8'), await source(file.file), `${copy} is a stale copy of ${file.file}`);
    }
  });

  test("every step that takes a store gets the S3 store's inputs, and pull requests run on the untrusted pool", async () => {
    const s3Inputs = ['s3-bucket', 's3-prefix', 's3-endpoint', 's3-region', 's3-force-path-style'];
    for (const file of ['workflows/pizlix-build.yml', 'workflows/pizlix-release.yml']) {
      const workflow = YAML.parse(await source(file)) as { jobs: Record<string, Mapping> };
      for (const [name, job] of Object.entries(workflow.jobs)) {
        const stores = [
          job.with as Mapping | undefined,
          ...((job.steps as Mapping[] | undefined) ?? []).map((step) => step.with as Mapping | undefined),
        ].filter((w) => w && 'store-path' in w);
        for (const w of stores) for (const input of s3Inputs) assert.equal(w![input], `\${{ inputs.${input} }}`, `${file} ${name} passes ${input}`);
      }
    }
    const build = YAML.parse(await source('workflows/pizlix-build.yml')) as { jobs: Record<string, Mapping> };
    for (const [name, job] of Object.entries(build.jobs)) {
      if (name.startsWith('gate-')) continue;
      assert.match(
        String(job['runs-on']),
        /github\.event_name == 'pull_request' && inputs\.untrusted-runner-labels/,
        `${name} runs pull requests on the untrusted pool`,
      );
    }
  });

  test("the runner-fleet example takes each job's credential from the role of its trust, before the store is used", async () => {
    const fleet = YAML.parse(await source('workflows/examples/fil-c-fleet-s3.yml')) as { permissions: Mapping; jobs: Record<string, Mapping> };
    assert.equal(fleet.permissions['id-token'], 'write');
    for (const [name, job] of Object.entries(fleet.jobs)) {
      const steps = job.steps as Mapping[];
      assert.match(String(steps[0].uses), /^aws-actions\/configure-aws-credentials@/, `${name} starts with its credential`);
      assert.match(String((steps[0].with as Mapping)['role-to-assume']), /pull_request' && vars\.PIZLIX_UNTRUSTED_ROLE \|\| vars\.PIZLIX_TRUSTED_ROLE/);
      assert.ok(
        steps.some((step) => (step.with as Mapping | undefined)?.store === 's3'),
        `${name} uses the s3 store`,
      );
    }
    // After an identical rebuild of a parent, a later stage's job finds its key from metadata and ends there.
    const [, , probe, build] = fleet.jobs.stages.steps as Mapping[];
    assert.equal(probe.id, 'probe');
    assert.equal((probe.with as Mapping)['lookup-only'], 'true');
    assert.equal(build.if, "${{ steps.probe.outputs.cache-hit != 'true' }}");
    assert.equal((probe.with as Mapping).stage, (build.with as Mapping).stage);
    const image = (fleet.jobs['disk-image'].steps as Mapping[]).find((step) => step.id === 'image')!;
    assert.equal((image.with as Mapping).stage, '${{ needs.plan.outputs.last-stage }}', "the image is made from the chain's last stage");
  });

  test("stage slots chain in order, run the plan's chain, share one concurrency group, and the boot test always reports", async () => {
    const build = YAML.parse(await source('workflows/pizlix-build.yml')) as { jobs: Record<string, Mapping> };
    const slots = Object.keys(build.jobs).filter((id) => /^stage-\d+$/.test(id));
    assert.ok(slots.length >= 8, `room for Pizlix's eight stages (${slots.length} slots)`);
    assert.deepEqual(
      slots,
      slots.map((_, i) => `stage-${i + 1}`),
      'slots are numbered in order',
    );
    const planStep = ((build.jobs.plan.steps ?? []) as Mapping[]).find((s) => s.id === 'plan')!;
    assert.equal(Number((planStep.with as Mapping)['max-stages']), slots.length, 'the plan refuses a chain longer than the slots');
    // Every slot is the first one with its index changed: same steps, same limits.
    const normalised = (i: number) =>
      JSON.stringify(build.jobs[`stage-${i + 1}`])
        .replaceAll(`[${i}]`, '[I]')
        .replaceAll(`> ${i} `, '> I ')
        .replace(/"needs":\[[^\]]*\]/, '')
        .replace(`stage ${i + 1}:`, 'stage I:');
    slots.forEach((slot, i) => {
      const job = build.jobs[slot];
      assert.deepEqual(job.needs, i === 0 ? ['plan'] : ['plan', slots[i - 1]], slot);
      assert.equal(normalised(i), normalised(0), `${slot} differs from stage-1 by more than its index`);
      assert.match(
        String(job.if),
        new RegExp(`stage-count \\|\\| '0'\\) > ${i} && contains\\(fromJSON\\(needs\\.plan\\.outputs\\.stages-to-build`),
        `${slot} runs only for a stage of the chain that is not stored`,
      );
      const stageStep = ((job.steps ?? []) as Mapping[]).find((s) => String(s.uses).startsWith('pizlix/stage@'))!;
      assert.equal((stageStep.with as Mapping).stage, `\${{ fromJSON(needs.plan.outputs.stages || '[]')[${i}] }}`);
      assert.equal((job.concurrency as Mapping).group, 'pizlix-lfs-${{ github.repository }}-${{ github.ref }}');
      assert.equal((job.concurrency as Mapping)['cancel-in-progress'], false);
      assert.equal(job['timeout-minutes'], 720, `${slot}: room for lc`);
    });
    assert.deepEqual(build.jobs['disk-image'].needs, ['plan', ...slots], 'the image waits for every slot');
    const imageStep = ((build.jobs['disk-image'].steps ?? []) as Mapping[]).find((s) => s.id === 'image')!;
    assert.equal(
      (imageStep.with as Mapping).stage,
      '${{ inputs.image-stage || needs.plan.outputs.last-stage }}',
      "the image is the chain's last stage by default",
    );
    const release = await source('workflows/pizlix-release.yml');
    assert.ok(!/postlc5|postlc6/.test(release.replace(/^#.*$/gm, '')), "the release names no stage: it takes the chain's last");
    assert.equal(build.jobs['boot-test'].if, '${{ !cancelled() }}', 'a skipped required check would count as passed');
    assert.match(String(build.jobs['gate-fork'].if), /head\.repo\.full_name != github\.repository/);
    assert.ok(build.jobs['gate-fork'].environment);
    const text = await source('workflows/pizlix-build.yml');
    assert.ok(!/pull_request_target/.test(text.replace(/^#.*$/gm, '')), 'never pull_request_target');
  });
});
