/**
 * The stage chain, read from the pizlix folder itself. An entry script is one that writes a stage name
 * (not `<name>-part`) into $LFS/sources/lfsbuildstate and tars $LFS into lfs-<name>.tar.gz; its gate is
 * the name it requires in the state file first. The order is the order build.sh reaches the entry scripts
 * through the build_*_continuation.sh scripts; without build.sh, the gates alone order them. A stage added
 * upstream appears here with no change to this toolkit.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '../util/errors.js';
import type { CheckoutView } from './checkout-view.js';
import type { Origin } from './references.js';
import { parseScript, type Stmt, type Word } from './shell-syntax.js';

export interface DiscoveredStage {
  name: string;
  parent: string | null;
  /** Entry script, relative to the pizlix directory. */
  script: string;
  /** The snapshot it writes, relative to the pizlix directory. */
  snapshot: string;
  /** Where it writes its name and where it checks its parent's. */
  writesState: Origin;
  gate?: Origin & { requires: string };
}

export interface DiscoveredChain {
  stages: DiscoveredStage[];
  /** Things a maintainer should know: entry scripts build.sh never reaches, and the like. */
  problems: string[];
}

interface EntryFacts {
  script: string;
  writes: Array<{ name: string; line: number }>;
  snapshot?: string;
  gate?: { requires: string; line: number };
  /** Scripts of the pizlix folder it runs (./x.sh), in order. */
  runs: string[];
}

const STAGE_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export function discoverChain(view: CheckoutView, pizlixRel: string): DiscoveredChain {
  const scripts = listScripts(view, pizlixRel);
  const facts = new Map(scripts.map((s) => [s, scanScript(view, pizlixRel, s)]));
  const entries = [...facts.values()].filter((f) => finalName(f) !== undefined);
  if (entries.length === 0) {
    throw new InputError(
      'pizlix-dir',
      `no entry script in ${view.absolute(pizlixRel)}: none writes a stage name into $LFS/sources/lfsbuildstate and tars $LFS into lfs-<stage>.tar.gz`,
      'the pizlix folder of a Fil-C checkout, or a manifest that names the stages',
    );
  }
  const problems: string[] = [];
  const ordered = facts.has('build.sh') ? orderByBuildScript(facts) : [];
  if (ordered.length === 0) ordered.push(...orderByGates(entries, problems));
  for (const entry of entries) {
    if (!ordered.includes(entry))
      problems.push(`${pizlixRel}/${entry.script} writes stage '${finalName(entry)}' but build.sh never runs it (no continuation script reaches it)`);
  }
  const stages: DiscoveredStage[] = [];
  for (const [index, entry] of ordered.entries()) {
    const name = finalName(entry)!;
    const where = `${pizlixRel}/${entry.script}`;
    const parent = index === 0 ? null : stages[index - 1].name;
    if (!STAGE_NAME.test(name))
      throw new InputError(
        'pizlix-dir',
        `${where}:${entry.writes[0].line}: stage name '${name}' is not usable`,
        `a lower-case name matching ${STAGE_NAME.source}`,
      );
    if (stages.some((s) => s.name === name))
      throw new InputError('pizlix-dir', `${where}: stage '${name}' is written by two entry scripts`, 'one entry script per stage');
    if (parent !== null && entry.gate && entry.gate.requires !== parent) {
      throw new InputError(
        'pizlix-dir',
        `${where}:${entry.gate.line} requires lfsbuildstate '${entry.gate.requires}', but build.sh runs it after '${parent}'`,
        `the continuation scripts and the gates to agree (gate '${parent}', or run it after '${entry.gate.requires}')`,
      );
    }
    if (parent !== null && !entry.gate) problems.push(`${where} does not check $LFS/sources/lfsbuildstate for '${parent}' before it starts`);
    stages.push({
      name,
      parent,
      script: entry.script,
      snapshot: entry.snapshot ?? `lfs-${name}.tar.gz`,
      writesState: { file: where, line: entry.writes.find((w) => w.name === name)!.line },
      gate: entry.gate ? { file: where, line: entry.gate.line, requires: entry.gate.requires } : undefined,
    });
  }
  return { stages, problems };
}

function listScripts(view: CheckoutView, pizlixRel: string): string[] {
  try {
    return readdirSync(view.absolute(pizlixRel), { withFileTypes: true })
      .filter((e) => (e.isFile() || e.isSymbolicLink()) && e.name.endsWith('.sh'))
      .map((e) => e.name)
      .sort();
  } catch {
    throw new InputError('pizlix-dir', `${view.absolute(pizlixRel)} is not a readable directory`, 'the pizlix folder of a Fil-C checkout');
  }
}

/** The stage name an entry script finishes with: the one state it writes that is not a `-part`. */
function finalName(facts: EntryFacts): string | undefined {
  if (!facts.snapshot) return undefined;
  const names = [...new Set(facts.writes.map((w) => w.name).filter((n) => !n.endsWith('-part')))];
  return names.length === 1 ? names[0] : undefined;
}

/** build.sh runs entry scripts directly or through other scripts of the folder (the continuations). */
function orderByBuildScript(facts: Map<string, EntryFacts>): EntryFacts[] {
  const order: EntryFacts[] = [];
  const visited = new Set<string>();
  const visit = (script: string) => {
    if (visited.has(script)) return;
    visited.add(script);
    const f = facts.get(script);
    if (!f) return;
    if (script !== 'build.sh' && finalName(f) !== undefined) {
      order.push(f);
      return;
    }
    for (const next of f.runs) visit(next);
  };
  visit('build.sh');
  return order;
}

function orderByGates(entries: EntryFacts[], problems: string[]): EntryFacts[] {
  const roots = entries.filter((e) => !e.gate);
  if (roots.length !== 1) {
    throw new InputError(
      'pizlix-dir',
      `cannot order the stages: no build.sh, and ${roots.length === 0 ? 'every entry script checks for an earlier stage' : `${roots.map((r) => r.script).join(', ')} all start from nothing`}`,
      'a build.sh that runs the entry scripts in order, or exactly one entry script without a lfsbuildstate check',
    );
  }
  const order = [roots[0]];
  for (;;) {
    const last = finalName(order[order.length - 1]);
    const next = entries.filter((e) => e.gate?.requires === last);
    if (next.length > 1) problems.push(`${next.map((n) => n.script).join(' and ')} both start after '${last}'; taking ${next[0].script}`);
    if (next.length === 0 || order.includes(next[0])) break;
    order.push(next[0]);
  }
  return order;
}

// ── What one script says about the state file ─────────────────────────────────────────────────────

function scanScript(view: CheckoutView, pizlixRel: string, script: string): EntryFacts {
  const rel = `${pizlixRel}/${script}`;
  const facts: EntryFacts = { script, writes: [], runs: [] };
  const text = view.scriptText(rel);
  if (text === undefined) return facts;
  let body: Stmt[];
  try {
    body = parseScript(text, rel).body;
  } catch {
    return facts;
  }
  const values = new Map<string, string>();
  const stateVars = new Set<string>();
  const literal = (word: Word | undefined): string | undefined => {
    if (!word) return undefined;
    let out = '';
    for (const part of word) {
      if (part.kind === 'lit') out += part.text;
      else if (part.kind === 'param' && values.has(part.name) && !part.op) out += values.get(part.name);
      else return undefined;
    }
    return out;
  };
  /** The text after the last non-literal part: enough to see `…/lfsbuildstate` or `…/lfs-x.tar.gz`. */
  const tail = (word: Word | undefined): string => {
    let out = '';
    for (const part of word ?? [])
      out = part.kind === 'lit' ? out + part.text : part.kind === 'param' && values.has(part.name) && !part.op ? out + values.get(part.name) : '';
    return out;
  };
  const mentionsState = (stmts: Stmt[]): boolean => JSON.stringify(stmts).includes('lfsbuildstate');
  walk(body, (stmt) => {
    if (stmt.kind === 'declare') {
      for (const a of stmt.assigns) {
        const v = literal(a.value);
        if (v !== undefined) values.set(a.name, v);
      }
      return;
    }
    if (stmt.kind !== 'call') return;
    for (const a of stmt.assigns) {
      const v = literal(a.value);
      if (v !== undefined) values.set(a.name, v);
      if (a.value?.some((p) => p.kind === 'subst' && mentionsState(p.body))) stateVars.add(a.name);
    }
    const argv = stmt.args;
    const name = literal(argv[0]);
    if (name === undefined) return;
    // echo "<stage>" > …/lfsbuildstate
    if ((name === 'echo' || name === 'printf') && stmt.redirects.some((r) => (r.op === 'out' || r.op === 'append') && tail(r.word).endsWith('lfsbuildstate'))) {
      const written = literal(argv[argv.length - 1]);
      if (written !== undefined && argv.length >= 2) facts.writes.push({ name: written.trim(), line: stmt.line });
    }
    // tar -c…f …/lfs-<stage>.tar.gz
    if (name === 'tar') {
      const args = argv.slice(1);
      const create = args.some((a) => /^-?[a-zA-Z]*c[a-zA-Z]*$/.test(literal(a) ?? '') || literal(a) === '--create');
      for (const a of args) {
        const base = path.posix.basename(tail(a));
        if (create && /^lfs-[^/]+\.tar(\.\w+)?$/.test(base)) facts.snapshot = base;
      }
    }
    // test "x$state" = "x<parent>"
    if ((name === 'test' || name === '[') && argv.length >= 4) {
      const ops = argv.map((w) => literal(w));
      const at = ops.findIndex((o) => o === '=' || o === '==');
      if (at > 1) {
        const left = argv[at - 1];
        const right = argv[at + 1];
        const gate = gateName(left, right, stateVars, literal) ?? gateName(right, left, stateVars, literal);
        if (gate !== undefined) facts.gate = { requires: gate, line: stmt.line };
      }
    }
    // ./x.sh, bash x.sh: what this script runs from the folder
    const target = name === 'bash' || name === 'sh' ? literal(argv[1]) : name;
    if (target && /^(\.\/)?[^/]+\.sh$/.test(target) && (target.startsWith('./') || name !== target)) facts.runs.push(target.replace(/^\.\//, ''));
  });
  return facts;
}

/** `"x$state" = "xprelc"`: the literal around the state variable is stripped from the other side. */
function gateName(
  variableSide: Word | undefined,
  literalSide: Word | undefined,
  stateVars: Set<string>,
  literal: (w: Word | undefined) => string | undefined,
): string | undefined {
  if (!variableSide || !literalSide) return undefined;
  const param = variableSide.findIndex((p) => p.kind === 'param' && stateVars.has(p.name));
  if (param < 0) return undefined;
  const before = variableSide
    .slice(0, param)
    .map((p) => (p.kind === 'lit' ? p.text : ''))
    .join('');
  const after = variableSide
    .slice(param + 1)
    .map((p) => (p.kind === 'lit' ? p.text : ''))
    .join('');
  const other = literal(literalSide);
  if (other === undefined || !other.startsWith(before) || !other.endsWith(after)) return undefined;
  return other.slice(before.length, other.length - after.length);
}

function walk(stmts: Stmt[], visit: (stmt: Stmt) => void): void {
  for (const stmt of stmts) {
    visit(stmt);
    if (stmt.kind === 'group') walk(stmt.body, visit);
    else if (stmt.kind === 'branches') {
      walk(stmt.conditions, visit);
      for (const b of stmt.branches) walk(b, visit);
    } else if (stmt.kind === 'loop') {
      walk(stmt.condition, visit);
      walk(stmt.body, visit);
    } else if (stmt.kind === 'case') for (const arm of stmt.arms) walk(arm, visit);
  }
}
