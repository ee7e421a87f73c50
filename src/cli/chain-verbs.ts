/**
 * The chain verbs: `inputs <stage>` (every input with the script line that made it one), `check` (holes and
 * unused projects), `manifest` (the chain the scripts define, as a manifest).
 */
import type { Command } from 'commander';
import path from 'node:path';
import YAML from 'yaml';
import { loadChain } from '../chain/chain.js';
import { checkChain, hasFindings, type ChainReport } from '../chain/check.js';
import { computeKeys, manifestPattern } from '../chain/keys.js';
import { findStage, MANIFEST_VERSION, type StageDefinition, type StageManifest } from '../chain/manifest.js';
import { formatTrail } from '../chain/references.js';
import { staticOutputs } from '../chain/script-reader.js';
import { globMatcher } from '../chain/shell-values.js';
import { log } from '../util/log.js';
import { omit, type Values } from '../options/option.js';
import { chainVerbOptions } from '../options/stage.js';
import { addCliOptions, readCliOptions } from '../options/surfaces.js';
import { textTable } from './table.js';

type ChainOptions = Values<typeof chainVerbOptions>;
type Parsed = Record<string, unknown>;

function chainOf(options: ChainOptions): StageManifest {
  return loadChain({ pizlixDir: options.pizlixDir, manifestFile: options.manifest });
}

export function addChainVerbs(program: Command): void {
  addCliOptions(program.command('inputs <stage>').description('every input of a stage, with the script line that made it one'), chainVerbOptions).action(
    async (stage: string, parsed: Parsed) => {
      const options = readCliOptions(chainVerbOptions, parsed);
      await printInputs(chainOf(options), stage, options);
    },
  );

  addCliOptions(
    program.command('check').description("references in the stages' scripts that resolve to nothing, and projects/ entries no stage uses"),
    chainVerbOptions,
  ).action((parsed: Parsed) => {
    const options = readCliOptions(chainVerbOptions, parsed);
    const report = checkChain(chainOf(options), options.pizlixDir);
    if (options.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else printReport(report);
    if (hasFindings(report)) process.exitCode = 1;
  });

  const manifestOptions = omit(chainVerbOptions, 'json', 'key-extra');
  addCliOptions(program.command('manifest').description('print the chain the scripts define (or --manifest gives) as a YAML manifest'), manifestOptions).action(
    (parsed: Parsed) => {
      const options = readCliOptions(manifestOptions, parsed);
      process.stdout.write(manifestYaml(loadChain({ pizlixDir: options.pizlixDir, manifestFile: options.manifest }), path.basename(options.pizlixDir)));
    },
  );
}

/** One input as `inputs` shows it. */
interface InputRow {
  path: string;
  kind: string;
  files: number;
  how: string;
  where: string;
}

async function printInputs(manifest: StageManifest, name: string, options: ChainOptions): Promise<void> {
  const stage = findStage(manifest, name);
  const keys = await computeKeys(manifest, { pizlixDir: options.pizlixDir, keyExtra: options.keyExtra });
  const key = keys.find((k) => k.stage === stage.name)!;
  const files = Object.keys(key.inputs);
  const pizlixRel = path.basename(options.pizlixDir);
  const count = (p: string, kind: string) =>
    kind === 'file' ? (p in key.inputs ? 1 : 0) : kind === 'tree' ? files.filter((f) => f.startsWith(`${p}/`)).length : files.filter(globMatcher(p)).length;
  const rows: InputRow[] = [
    ...(stage.reading?.inputs ?? []).map((i) => ({
      path: i.kind === 'tree' ? `${i.path}/` : i.path,
      kind: i.kind === 'tree' && i.onDisk ? 'tree (on disk)' : i.kind,
      files: count(i.path, i.kind),
      how: i.how,
      where: formatTrail(i.trail),
    })),
    ...stage.inputs.map((p) => {
      const w = manifestPattern(p);
      return { path: p, kind: w.kind, files: count(w.path, w.kind), how: 'manifest input', where: manifest.source };
    }),
  ];
  if (!stage.reading) rows.unshift({ path: `${pizlixRel}/${stage.script}`, kind: 'file', files: 1, how: 'entry script', where: manifest.source });
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ stage: stage.name, ownHash: key.ownHash, files: files.length, inputs: rows, network: key.network }, null, 2)}\n`);
    return;
  }
  log.info(
    `${stage.name}: own inputs ${key.ownHash.slice(0, 12)} (the key also hashes ${stage.parent ?? 'no'} parent's output), ${files.length} files from ${rows.length} inputs${key.network.length ? `, ${key.network.length} downloads` : ''} (${manifest.source})`,
  );
  log.info(textTable([['Input', 'Kind', 'Files', 'Why', 'Script line'], ...rows.map((r) => [r.path, r.kind, String(r.files), r.how, r.where])]));
  if (key.network.length > 0) {
    log.info(`\nfetches from the network:`);
    const trails = new Map((stage.reading?.network ?? []).map((n) => [n.url, formatTrail(n.trail)]));
    log.info(
      textTable([
        ['URL', 'Checksum', 'Script line'],
        ...key.network.map((n) => [n.url, n.checksums.map((c) => `sha256:${c.slice(0, 16)}…`).join(' ') || 'none', trails.get(n.url) ?? '']),
      ]),
    );
  }
  if (stage.exclude.length > 0) log.info(`\nexcluded: ${stage.exclude.join(', ')}`);
}

function printReport(report: ChainReport): void {
  for (const p of report.problems) log.warning(p);
  for (const h of report.holes) log.error(`${h.stage}: ${h.path}: ${h.what} (${formatTrail(h.trail)})`);
  for (const u of report.unusedProjects) log.error(`${u}: no stage reads it`);
  for (const u of report.unresolved) {
    log.info(`${u.stage}: could not evaluate '${u.text}' (${formatTrail(u.trail)})${u.widenedTo ? `; ${u.widenedTo} stands for it` : ''}`);
  }
  const summary = `${report.holes.length} reference(s) resolve to nothing, ${report.unusedProjects.length} project(s) unused, ${report.unresolved.length} reference(s) not evaluated`;
  if (report.holes.length + report.unusedProjects.length === 0) log.info(`no holes: ${summary}`);
  else log.error(summary);
}

/**
 * The chain as a mode: replace manifest, each input with the line that made it one. Given back as
 * --manifest it freezes these inputs; `mode: amend` with only extras keeps the scripts in charge.
 */
export function manifestYaml(manifest: StageManifest, pizlixRel: string): string {
  const discovered = manifest.stages.some((s) => s.reading);
  const data = {
    version: MANIFEST_VERSION,
    mode: 'replace',
    ...(discovered ? { exclude: staticOutputs(pizlixRel) } : {}),
    stages: manifest.stages.map((s) => ({
      name: s.name,
      ...(s.parent ? { parent: s.parent } : {}),
      script: s.script,
      snapshot: s.snapshot,
      inputs: inputPatterns(s, pizlixRel).map((i) => i.pattern),
      ...(s.exclude.length > 0 ? { exclude: s.exclude } : {}),
      ...(s.keyExtra !== undefined ? { 'key-extra': s.keyExtra } : {}),
    })),
  };
  const doc = new YAML.Document(data);
  doc.commentBefore = [
    ` The stage chain of ${manifest.source}: ${manifest.stages.length} stages.`,
    ' Given back as --manifest (mode: replace) it freezes these inputs, read through git like any manifest input',
    ' (ignored files in work trees no longer count); a manifest with mode: amend adds to what the scripts say.',
    ...manifest.stages.flatMap((s) =>
      (s.reading?.network ?? []).map((n) => ` ${s.name} fetches ${n.url}${n.checksums.length ? ` (sha256 ${n.checksums.join(', ')})` : ''}`),
    ),
  ].join('\n');
  manifest.stages.forEach((s, i) => {
    inputPatterns(s, pizlixRel).forEach((input, k) => {
      const node = doc.getIn(['stages', i, 'inputs', k], true) as YAML.Scalar | undefined;
      if (node && input.why) node.comment = ` ${input.why}`;
    });
  });
  return doc.toString({ lineWidth: 0 });
}

function inputPatterns(stage: StageDefinition, pizlixRel: string): Array<{ pattern: string; why?: string }> {
  const entry = `${pizlixRel}/${stage.script}`;
  const derived = (stage.reading?.inputs ?? [])
    .filter((i) => i.path !== entry)
    .map((i) => ({ pattern: i.kind === 'tree' ? `${i.path}/**` : i.path, why: `${i.how}: ${formatTrail(i.trail)}` }));
  return [...(stage.reading ? [{ pattern: entry, why: 'entry script' }] : []), ...derived, ...stage.inputs.map((p) => ({ pattern: p }))];
}
