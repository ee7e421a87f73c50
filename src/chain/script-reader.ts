/**
 * The shell-reference reader: follows every script a stage's entry script runs — `./x.sh`, `su USER ./x.sh`,
 * `bash x.sh`, `source`/`.`, `exec`, `env`, the chroot helpers with `/sources/x.sh` (a script copied into
 * $LFS/sources is the checkout file it was copied from), `../build_*.sh`, `$FILCSRC/…` — and records every
 * checkout path those scripts name, with the line that names it.
 *
 * It is not a shell: it runs nothing and reads each branch of every `if` and `case` and each loop body
 * once. It tracks what a reference needs — variables and their possible values, exports, the working
 * directory, functions and their arguments, and which checkout files have been copied where under $LFS.
 * Written here rather than taken from a library because what it computes (where a path points, what a
 * command reads) is specific to build scripts; the parsing itself is mvdan/sh's (shell-syntax.ts).
 */
import path from 'node:path';
import type { CheckoutView } from './checkout-view.js';
import { findPin, readPin } from './projeny.js';
import type { InputKind, Origin, StageReading, Trail } from './references.js';
import { parseScript, renderWord, type Assign, type Redirect, type Script, type Stmt, type Word } from './shell-syntax.js';
import {
  UNKNOWN,
  displayField,
  expandAlternatives,
  expandValue,
  expandWord,
  globMatcher,
  hasGlob,
  hasUnknown,
  isLiteral,
  plainField,
  toGlob,
  type ExpansionScope,
  type Value,
} from './shell-values.js';

/** Pizlix's LFS root; scripts that honour $LFS default to it. */
export const DEFAULT_LFS = '/mnt/lfs';
const MAX_DEPTH = 40;

/** Build outputs, never inputs, wherever the scripts name them. */
export function staticOutputs(pizlixRel: string): string[] {
  return [`${pizlixRel}/lfs-*.tar*`, '**/pizlonated-*.tar.gz', 'build/**', 'pizfix/**', '**/*.projeny.status'];
}

/** Commands whose arguments name no file the build reads. */
/** `test` operators that check a path exists. */
const FILE_TESTS = new Set(['-e', '-f', '-d', '-r', '-s', '-x', '-L', '-h', '-a']);
/** At most this many command lines per call from variables with several values; beyond, arguments pool. */
const MAX_COMMAND_LINES = 64;
/** Where `mktemp` (no template, no directory) puts its file: outside the checkout, under the system's /tmp. */
const MKTEMP_PLACE = '/tmp/mktemp.XXXXXXXXXX';
const NO_READS = new Set([
  'test',
  '[',
  'echo',
  'printf',
  'id',
  'stat',
  'ls',
  'chmod',
  'chown',
  'chgrp',
  'touch',
  'ln',
  'rm',
  'rmdir',
  'mountpoint',
  'mount',
  'umount',
  'findmnt',
  'ulimit',
  'set',
  'shopt',
  'hash',
  'trap',
  'exit',
  'return',
  'true',
  'false',
  ':',
  'wait',
  'sleep',
  'kill',
  'dirname',
  'basename',
  'realpath',
  'readlink',
  'pwd',
  'whoami',
  'nproc',
  'uname',
  'hostname',
  'date',
  'type',
  'which',
  'unset',
  'useradd',
  'groupadd',
  'usermod',
  'userdel',
  'passwd',
  'sync',
  'df',
  'du',
  'free',
  'env-update',
  'umask',
  'mktemp',
  'seq',
  'tee',
  'getent',
  'sha256sum',
  'sha512sum',
  'md5sum',
  'cut',
  'wc',
  'sort',
  'uniq',
  'tr',
  'yes',
  'logger',
  'trap',
  'break',
  'continue',
]);
/** Tools whose effect a rule below describes (knownTool): the file is an input, its body is not read. */
const KNOWN_TOOLS = new Set(['package-source.sh', 'projeny']);
const WRAPPERS = new Set(['exec', 'builtin', 'nohup', 'time', 'stdbuf', 'fakeroot', 'unshare', 'setsid']);
const SHELLS = new Set(['bash', 'sh', 'dash', 'ksh']);
const CHECKSUM = /^(?:[0-9a-f]{64}|[0-9a-f]{128})$/i;
const URL = /^(?:https?|ftp):\/\/\S+$/;

/** A place a word resolves to. */
type Place =
  { area: 'checkout'; rel: string; glob: boolean; pattern: string } | { area: 'lfs'; path: string } | { area: 'outside' } | { area: 'unknown'; text: string };

interface CopiedEntry {
  source: string;
  kind: 'file' | 'tree';
}

/** The state one running shell has; a child shell gets a copy of the exported part. */
interface Shell {
  vars: Map<string, Value>;
  exported: Set<string>;
  cwd: string | undefined;
  dirStack: Array<string | undefined>;
  functions: Map<string, Stmt[]>;
  positional: Value[];
  /** Checkout-relative script being read ($0). */
  script: string;
  /** Inside `chroot DIR`: absolute paths are below DIR. */
  chrootRoot?: string;
  /** if/case/loop nesting: an assignment there adds a possible value instead of replacing. */
  conditional: number;
  /** Call sites of the outer scripts and functions. */
  callers: Origin[];
  depth: number;
}

export interface ReaderOptions {
  view: CheckoutView;
  /** Checkout-relative pizlix directory. */
  pizlixRel: string;
}

/**
 * Reads a chain's entry scripts in order. Files copied into $LFS/sources and paths the build writes carry
 * over from one stage to the next, as /sources does between Pizlix's stages.
 */
export class ScriptReader {
  private readonly view: CheckoutView;
  private readonly pizlixRel: string;
  private readonly parsed = new Map<string, Script>();
  private readonly copied = new Map<string, CopiedEntry>();
  private readonly lfsRoots = new Set([DEFAULT_LFS]);
  /** Directories under $LFS the scripts create or copy several files into. */
  private readonly lfsDirs = new Set<string>();
  private readonly outputPatterns: string[];
  private readonly outputMatchers: Array<(rel: string) => boolean>;
  private reading!: StageReading;
  /** What the stages read so far write: carried from stage to stage, as the files stay in the checkout. */
  private readonly written: string[] = [];
  private runFiles = new Set<string>();
  /** The command being read, as written: what an unresolved reference is reported with. */
  private commandText = '';
  /** Paths the scripts test for (`if test -e x`, `test -f x &&`) around what is being read: missing, no hole. */
  private readonly guards: string[][] = [];

  constructor(options: ReaderOptions) {
    this.view = options.view;
    this.pizlixRel = options.pizlixRel;
    this.outputPatterns = staticOutputs(options.pizlixRel);
    this.outputMatchers = this.outputPatterns.map(globMatcher);
  }

  /** Everything one stage's entry script (relative to the pizlix directory) leads to. */
  readStage(stage: string, entryScript: string): StageReading {
    this.reading = { stage, inputs: [], network: [], holes: [], unresolved: [], outputs: [] };
    const script = this.pizlixRel ? path.posix.join(this.pizlixRel, entryScript) : entryScript;
    const shell = this.newShell(script, this.view.absolute(this.pizlixRel), []);
    this.input(script, 'file', false, 'entry script', [{ file: script, line: 1 }]);
    this.runScript(script, shell);
    const reading = this.reading;
    reading.outputs = [...new Set(reading.outputs)];
    return reading;
  }

  /** Whether the build writes this checkout path (so it is never an input). */
  isOutput(rel: string): boolean {
    return this.outputMatchers.some((m) => m(rel)) || this.written.some((o) => rel === o || rel.startsWith(`${o}/`) || globMatcher(o)(rel));
  }

  // ── Scripts ───────────────────────────────────────────────────────────────────────────────────

  private newShell(script: string, cwd: string | undefined, positional: Value[], parent?: Shell, chrootRoot?: string): Shell {
    const vars = new Map<string, Value>();
    const exported = new Set<string>();
    if (parent) {
      for (const name of parent.exported) {
        const value = parent.vars.get(name);
        if (value) vars.set(name, value);
        exported.add(name);
      }
    }
    return {
      vars,
      exported,
      cwd,
      dirStack: [],
      functions: new Map(),
      positional,
      script,
      chrootRoot,
      conditional: 0,
      callers: parent ? [...parent.callers] : [],
      depth: parent ? parent.depth + 1 : 0,
    };
  }

  private script(rel: string): Script | undefined {
    if (this.parsed.has(rel)) return this.parsed.get(rel);
    const text = this.view.scriptText(rel);
    const script = text === undefined ? undefined : parseScript(text, rel);
    if (script) this.parsed.set(rel, script);
    return script;
  }

  private runScript(rel: string, shell: Shell): void {
    if (shell.depth > MAX_DEPTH || shell.callers.some((c) => c.file === rel && shell.callers.filter((d) => d.file === rel).length > 2)) return;
    const script = this.script(rel);
    if (!script) return;
    this.runFiles.add(`${shell.chrootRoot ?? ''}:${rel}`);
    this.statements(script.body, shell);
  }

  /** Reads statements in order; a file test joined by `&&` guards what follows it in the and-list. */
  private statements(list: Stmt[], shell: Shell): void {
    let guard: string[] = [];
    for (const stmt of list) {
      if (stmt.after !== '&&') guard = [];
      this.guarded(guard, () => this.statement(stmt, shell));
      const tested = this.existenceTests([stmt], shell);
      guard = stmt.after === '&&' ? [...guard, ...tested] : tested;
    }
  }

  private guarded(paths: string[], read: () => void): void {
    if (paths.length === 0) return read();
    this.guards.push(paths);
    try {
      read();
    } finally {
      this.guards.pop();
    }
  }

  /** The paths `test -e|-f|-d|… PATH` and `[ -e PATH ]` calls among these statements check for (not negated). */
  private existenceTests(stmts: Stmt[], shell: Shell): string[] {
    const paths: string[] = [];
    for (const stmt of flatten(stmts)) {
      if (stmt.kind !== 'call' || stmt.args.length === 0 || !['test', '['].includes(renderWord(stmt.args[0]))) continue;
      const argv = stmt.args.flatMap((w) => this.fields(w, { ...shell, vars: new Map(shell.vars) }, stmt.line)).map(plainField);
      for (let i = 1; i < argv.length - 1; i++) {
        if (!FILE_TESTS.has(argv[i]) || argv[i - 1] === '!') continue;
        const place = this.place(argv[i + 1], shell);
        if (place.area === 'checkout' && !place.glob) paths.push(place.rel);
        else if (place.area === 'lfs') paths.push(place.path);
      }
    }
    return paths;
  }

  private statement(stmt: Stmt, shell: Shell): void {
    switch (stmt.kind) {
      case 'call':
        this.call(stmt.args, stmt.assigns, stmt.redirects, stmt.line, shell);
        break;
      case 'declare':
        for (const a of stmt.assigns) this.assign(shell, a.name, a.value ? expandValue(a.value, this.scope(shell, stmt.line)) : ['']);
        if (stmt.variant === 'export') for (const n of [...stmt.names, ...stmt.assigns.map((a) => a.name)]) shell.exported.add(n);
        this.redirects(stmt.redirects, shell, stmt.line);
        break;
      case 'group': {
        const saved = stmt.subshell ? this.snapshot(shell) : undefined;
        this.statements(stmt.body, shell);
        if (saved) this.restore(shell, saved);
        this.redirects(stmt.redirects, shell);
        break;
      }
      case 'branches': {
        this.statements(stmt.conditions, shell);
        this.conditionally(shell, stmt.branches, stmt.exhaustive, this.existenceTests(stmt.conditions, shell));
        this.redirects(stmt.redirects, shell);
        break;
      }
      case 'loop': {
        this.redirects(stmt.redirects, shell, stmt.line);
        shell.conditional++;
        if (stmt.name) {
          const items = stmt.items
            ? stmt.items.flatMap((w) => this.fields(w, shell, stmt.line)).flatMap((f) => this.globItems(f, shell))
            : shell.positional.flat();
          shell.vars.set(stmt.name, items.length > 0 ? [...new Set(items)] : ['']);
        }
        this.statements(stmt.condition, shell);
        this.statements(stmt.body, shell);
        shell.conditional--;
        break;
      }
      case 'case':
        this.fields(stmt.word, shell, 0);
        this.conditionally(shell, stmt.arms, stmt.exhaustive);
        this.redirects(stmt.redirects, shell);
        break;
      case 'function':
        shell.functions.set(stmt.name, stmt.body);
        break;
    }
  }

  /**
   * Reads every branch, each from the state before them. A variable after them has the values the branches
   * that go on leave it (a branch ending in `exit` does not go on: `*) exit 1 ;;`), and the one before when
   * no branch may run. The working directory is theirs when they agree, else the one before. The first
   * branch runs only when the paths its condition tests for exist (`if test -e x.sh; then . ./x.sh`).
   */
  private conditionally(shell: Shell, branches: Stmt[][], exhaustive: boolean, testedFirst: string[] = []): void {
    const before = this.snapshot(shell);
    const outer = shell.conditional;
    const ends: Array<ReturnType<ScriptReader['snapshot']>> = [];
    shell.conditional = 0;
    for (const [i, branch] of branches.entries()) {
      this.restore(shell, this.snapshot({ ...shell, ...before }));
      this.guarded(i === 0 ? testedFirst : [], () => this.statements(branch, shell));
      if (!endsInExit(branch)) ends.push(this.snapshot(shell));
    }
    shell.conditional = outer;
    this.restore(shell, before);
    if (ends.length === 0) return;
    const states = exhaustive ? ends : [...ends, before];
    const names = new Set(ends.flatMap((e) => [...e.vars.keys()]));
    for (const name of names) {
      const values = states.map((st) => st.vars.get(name) ?? before.vars.get(name) ?? [UNKNOWN]);
      if (values.every((v) => v === before.vars.get(name))) continue;
      this.assign(shell, name, [...new Set(values.flat())]);
    }
    for (const e of ends) for (const n of e.exported) shell.exported.add(n);
    const dirs = new Set(states.map((st) => st.cwd));
    shell.cwd = dirs.size === 1 ? [...dirs][0] : before.cwd;
  }

  private snapshot(shell: Shell): Pick<Shell, 'vars' | 'exported' | 'cwd' | 'dirStack'> {
    return { vars: new Map(shell.vars), exported: new Set(shell.exported), cwd: shell.cwd, dirStack: [...shell.dirStack] };
  }

  private restore(shell: Shell, saved: ReturnType<ScriptReader['snapshot']>): void {
    shell.vars = saved.vars;
    shell.exported = saved.exported;
    shell.cwd = saved.cwd;
    shell.dirStack = saved.dirStack;
  }

  private assign(shell: Shell, name: string, value: Value): void {
    const previous = shell.vars.get(name);
    const merged = shell.conditional > 0 ? [...new Set([...(previous ?? [UNKNOWN]), ...value])] : value;
    shell.vars.set(name, merged.length > 32 ? [UNKNOWN] : merged);
    if (name === 'LFS') for (const v of value) if (v.startsWith('/') && !v.includes(UNKNOWN)) this.lfsRoots.add(path.posix.normalize(v));
  }

  // ── Expansion ─────────────────────────────────────────────────────────────────────────────────

  private scope(shell: Shell, line: number): ExpansionScope {
    return {
      variable: (name) => this.variable(shell, name),
      assign: (name, value) => this.assign(shell, name, value),
      positional: () => shell.positional,
      substitute: (body) => this.substitute(body, shell, line),
    };
  }

  private variable(shell: Shell, name: string): Value | undefined {
    if (name === 'PWD') return [shell.cwd ?? UNKNOWN];
    if (name === '0') return [this.view.absolute(shell.script)];
    if (/^[1-9]$/.test(name)) return shell.positional[Number(name) - 1] ?? [''];
    if (name === '#') return [String(shell.positional.length)];
    if (['?', '$', '!', '-', 'EUID', 'UID', 'RANDOM', 'SECONDS'].includes(name)) return [UNKNOWN];
    return shell.vars.get(name);
  }

  private fields(word: Word, shell: Shell, line: number): string[] {
    return expandWord(word, this.scope(shell, line));
  }

  /** A for-loop item: a glob that lies in the checkout becomes the names it matches, as bash expands it. */
  private globItems(field: string, shell: Shell): string[] {
    if (!hasGlob(field) || hasUnknown(field)) return [plainField(field)];
    const place = this.place(field, shell);
    if (place.area !== 'checkout') return [plainField(field)];
    const matches = this.view.expand(place.pattern);
    if (matches.length === 0) return [plainField(field)];
    const absolute = plainField(field).startsWith('/');
    return matches.map((m) => (absolute ? this.view.absolute(m) : path.posix.relative(shell.cwd!, this.view.absolute(m))));
  }

  /**
   * $(…) and `…`: the commands inside are read like any others (they may name files), and their output is
   * known for the idioms build scripts use to find themselves: pwd, dirname, basename, cd X && pwd, echo;
   * and `mktemp [-d]` names a place in /tmp, outside the checkout.
   */
  private substitute(body: Stmt[], shell: Shell, line: number): string | undefined {
    const inner = { ...shell, vars: new Map(shell.vars), exported: new Set(shell.exported), dirStack: [...shell.dirStack] };
    let output: string | undefined;
    for (const stmt of flatten(body)) {
      if (stmt.kind !== 'call') {
        this.statement(stmt, inner);
        output = undefined;
        continue;
      }
      const argv = stmt.args.flatMap((w) => this.fields(w, inner, stmt.line || line));
      const name = argv[0] !== undefined && isLiteral(argv[0]) ? plainField(argv[0]) : undefined;
      const args = argv.slice(1).filter((a) => !a.startsWith('-'));
      if (name === 'pwd') output = inner.cwd;
      else if (name === 'dirname' && args[0] !== undefined && !hasUnknown(args[0])) output = path.posix.dirname(plainField(args[0]));
      else if (name === 'basename' && args[0] !== undefined && !hasUnknown(args[0]))
        output = path.posix.basename(plainField(args[0]), args[1] ? plainField(args[1]) : undefined);
      else if (name === 'echo') output = argv.slice(1).map(plainField).join(' ');
      else if (name === 'mktemp' && args.length === 0 && !argv.slice(1).some((a) => /^(-p|--tmpdir)/.test(plainField(a)))) output = MKTEMP_PLACE;
      else if (name === 'cd') {
        this.call(stmt.args, stmt.assigns, stmt.redirects, stmt.line || line, inner);
        output = '';
      } else {
        this.call(stmt.args, stmt.assigns, stmt.redirects, stmt.line || line, inner);
        output = undefined;
      }
    }
    return output === undefined || output.includes(UNKNOWN) ? undefined : output;
  }

  // ── Places ────────────────────────────────────────────────────────────────────────────────────

  /** Where a field points: checkout (relative, maybe a glob), under an LFS root, elsewhere, or unknown. */
  private place(field: string, shell: Shell): Place {
    if (field.startsWith(UNKNOWN) || field === '') return { area: 'unknown', text: displayField(field) };
    if (field.startsWith('~')) return { area: 'outside' };
    let absolute: string;
    if (field.startsWith('/')) absolute = shell.chrootRoot ? path.posix.join(shell.chrootRoot, field) : field;
    else if (shell.cwd === undefined || shell.cwd.includes(UNKNOWN)) return { area: 'unknown', text: displayField(field) };
    else absolute = path.posix.join(shell.cwd, field);
    absolute = path.posix.normalize(absolute);
    if (absolute.length > 1 && absolute.endsWith('/')) absolute = absolute.slice(0, -1);
    const root = this.view.root;
    if (absolute === root || absolute.startsWith(`${root}/`)) {
      const rel = absolute === root ? '' : absolute.slice(root.length + 1);
      const glob = !isLiteral(rel);
      return { area: 'checkout', rel: glob ? rel : plainField(rel), glob, pattern: glob ? toGlob(rel) : plainField(rel) };
    }
    for (const lfs of this.lfsRoots) if (absolute === lfs || absolute.startsWith(`${lfs}/`)) return { area: 'lfs', path: absolute };
    if (shell.chrootRoot && (absolute === shell.chrootRoot || absolute.startsWith(`${shell.chrootRoot}/`))) return { area: 'lfs', path: absolute };
    return { area: 'outside' };
  }

  /**
   * The checkout file (or files) a path under $LFS was copied from. A glob there (`cp -r lisp/* /usr/…` in
   * /sources) is every copied file it matches, and the whole tree when it reaches into a copied directory.
   */
  private copiedFrom(lfsPath: string): Array<{ rel: string; kind: 'file' | 'tree' }> {
    const exact = this.copied.get(lfsPath);
    if (exact) return [{ rel: exact.source, kind: exact.kind }];
    for (let dir = path.posix.dirname(lfsPath); dir !== '/' && dir !== '.'; dir = path.posix.dirname(dir)) {
      const entry = this.copied.get(dir);
      if (entry?.kind !== 'tree') continue;
      const below = lfsPath.slice(dir.length + 1);
      return [isLiteral(below) ? { rel: `${entry.source}/${plainField(below)}`, kind: 'file' } : { rel: entry.source, kind: 'tree' }];
    }
    if (isLiteral(lfsPath) || hasUnknown(lfsPath)) return [];
    const matches = globMatcher(toGlob(lfsPath));
    return [...this.copied].filter(([at]) => matches(at)).map(([, entry]) => ({ rel: entry.source, kind: entry.kind }));
  }

  // ── Findings ──────────────────────────────────────────────────────────────────────────────────

  private trail(shell: Shell, line: number): Trail {
    return [...shell.callers, { file: shell.script, line }];
  }

  private input(rel: string, kind: InputKind, onDisk: boolean, how: string, trail: Trail): void {
    const existing = this.reading.inputs.find((i) => i.path === rel && i.kind === kind);
    if (existing) {
      existing.onDisk ||= onDisk;
      return;
    }
    this.reading.inputs.push({ path: rel, kind, onDisk, how, trail });
  }

  private hole(rel: string, what: string, trail: Trail): void {
    if (this.guards.some((g) => g.includes(rel))) return;
    if (!this.reading.holes.some((h) => h.path === rel && h.what === what)) this.reading.holes.push({ path: rel, what, trail });
  }

  private output(rel: string): void {
    if (!rel) return;
    this.reading.outputs.push(rel);
    this.written.push(rel);
  }

  /**
   * A checkout path the build reads. Files and directories that exist become inputs; a glob becomes one
   * pattern (matching files present later too); an unknown part widens to its enclosing directory. With
   * `required`, a path that leads nowhere is a hole.
   */
  private reads(field: string, shell: Shell, line: number, how: string, options: { onDisk?: boolean; required?: boolean; treesOnly?: boolean } = {}): void {
    const place = this.place(field, shell);
    const trail = this.trail(shell, line);
    if (place.area === 'lfs') {
      for (const source of this.copiedFrom(place.path)) {
        if (!this.isOutput(source.rel)) this.input(source.rel, source.kind, true, `${how} (copied to ${place.path})`, trail);
      }
      return;
    }
    if (place.area === 'unknown') {
      if (options.required) this.widen(place.text, shell, trail);
      return;
    }
    if (place.area !== 'checkout') return;
    const { rel, glob, pattern } = place;
    if (this.tooBroad(rel) || this.isOutput(glob ? pattern : rel)) return;
    if (glob) {
      const matches = this.view.expand(pattern).filter((m) => !this.isOutput(m));
      if (hasUnknown(rel)) this.reading.unresolved.push({ text: displayField(rel), widenedTo: pattern, trail });
      if (matches.length === 0) {
        if (options.required) this.hole(pattern, `${how}: matches nothing`, trail);
        return;
      }
      this.input(pattern, 'glob', options.onDisk ?? true, how, trail);
      return;
    }
    const kind = this.view.kind(rel);
    if (kind === 'none') {
      if (options.required) this.hole(rel, `${how}: does not exist`, trail);
      return;
    }
    if (options.treesOnly && kind !== 'dir') return;
    this.input(rel, kind === 'dir' ? 'tree' : 'file', options.onDisk ?? kind === 'file', how, trail);
  }

  /** A reference whose place is unknown: the whole directory the script works in stands for it. */
  private widen(field: string, shell: Shell, trail: Trail): void {
    const text = `${field} in \`${this.commandText}\``;
    const cwd = shell.cwd && !shell.cwd.includes(UNKNOWN) ? this.place(shell.cwd, shell) : undefined;
    if (cwd?.area === 'checkout' && !cwd.glob && !this.tooBroad(cwd.rel)) {
      this.input(cwd.rel, 'tree', false, `stands for '${text}'`, trail);
      this.reading.unresolved.push({ text, widenedTo: `${cwd.rel}/`, trail });
    } else {
      this.reading.unresolved.push({ text, trail });
    }
  }

  /** The checkout root, the pizlix directory and their parents are never inputs as a whole. */
  private tooBroad(rel: string): boolean {
    return rel === '' || rel === this.pizlixRel || this.pizlixRel.startsWith(`${rel}/`) || rel === '.git' || rel.startsWith('.git/');
  }

  private network(argv: string[], trail: Trail): void {
    const urls = argv.map(plainField).filter((a) => URL.test(a));
    if (urls.length === 0) return;
    const checksums = argv
      .map(plainField)
      .filter((a) => CHECKSUM.test(a))
      .map((c) => c.toLowerCase());
    for (const raw of urls) {
      const url = raw.includes(UNKNOWN) ? displayField(raw) : raw;
      const known = this.reading.network.find((n) => n.url === url);
      if (known) known.checksums = [...new Set([...known.checksums, ...checksums])];
      else this.reading.network.push({ url, checksums, trail });
    }
  }

  // ── Commands ──────────────────────────────────────────────────────────────────────────────────

  private redirects(list: Redirect[], shell: Shell, line = 0): void {
    for (const r of list) {
      if (!r.word || r.op === 'heredoc' || r.op === 'dup' || r.op === 'herestring') continue;
      for (const field of this.fields(r.word, shell, r.line || line)) {
        if (r.op === 'in') this.reads(field, shell, r.line || line, 'reads', { onDisk: true, required: true });
        else if (r.op === 'out' || r.op === 'append') this.writes(field, shell);
      }
    }
  }

  /**
   * A checkout path the build writes. A write whose place is only partly known marks nothing: widening an
   * output (`projects/$x` → all of projects/) would hide inputs.
   */
  private writes(field: string, shell: Shell, directory = false): void {
    const place = this.place(field, shell);
    if (place.area === 'lfs' && directory) this.lfsDirs.add(place.path);
    if (place.area !== 'checkout' || this.tooBroad(place.rel)) return;
    if (!place.glob) this.output(place.rel);
    else if (!place.pattern.includes('**') && !hasUnknown(place.rel)) this.output(place.pattern);
  }

  private call(words: Word[], assigns: Assign[], redirects: Redirect[], line: number, shell: Shell): void {
    const scope = this.scope(shell, line);
    const env = new Map<string, Value>();
    for (const a of assigns) env.set(a.name, a.value ? expandValue(a.value, scope) : ['']);
    const text = words.map(renderWord).join(' ');
    this.commandText = text;
    this.redirects(redirects, shell, line);
    if (words.length === 0) {
      for (const [name, value] of env) this.assign(shell, name, value);
      return;
    }
    // Each possible command line runs: a word with several values (a for-loop variable, a variable set in
    // two branches) gives one command per value, so `tar -xf $pkg.tar.xz` reads every package's archive.
    // Each line starts where the call starts; the working directory (and directory stack, positional
    // arguments) after it is the first line's: `cd $pkg … cd ..` in a loop over packages comes back.
    const lines = commandLines(words.map((w) => expandAlternatives(w, scope)));
    const start = { cwd: shell.cwd, dirStack: [...shell.dirStack], positional: shell.positional };
    let first: typeof start | undefined;
    for (const argv of lines) {
      Object.assign(shell, { ...start, dirStack: [...start.dirStack] });
      this.commandText = text;
      if (argv.length > 0) this.command(argv, env, shell, line);
      first ??= { cwd: shell.cwd, dirStack: shell.dirStack, positional: shell.positional };
    }
    if (first && lines.length > 1) Object.assign(shell, first);
  }

  private command(argv: string[], env: Map<string, Value>, shell: Shell, line: number, clearEnv = false): void {
    if (argv.length === 0) return;
    const name = isLiteral(argv[0]) ? plainField(argv[0]) : undefined;
    const base = name ? path.posix.basename(name) : undefined;
    const args = argv.slice(1);
    const trail = this.trail(shell, line);
    if (base && !NO_READS.has(base)) this.network(argv, trail);

    if (name && !name.includes('/') && shell.functions.has(name)) return this.callFunction(name, args, shell, line);
    if (base && WRAPPERS.has(base)) return this.command(args, env, shell, line, clearEnv);
    switch (base) {
      case 'command':
        if (args[0] === '-v' || args[0] === '-V') return;
        return this.command(args, env, shell, line, clearEnv);
      case 'nice':
        return this.command(dropOptions(args, ['-n']), env, shell, line, clearEnv);
      case 'env':
        return this.viaEnv(args, env, shell, line);
      case 'sudo':
        return this.command(dropOptions(args, ['-u', '-g', '-C', '-D', '-h', '-p', '-r', '-t', '-U']), env, shell, line, !args.includes('-E'));
      case 'su':
        return this.viaSu(args, env, shell, line);
      case 'chroot':
        return this.viaChroot(args, shell, line);
      case 'source':
      case '.':
        return this.sourceScript(args, shell, line);
      case 'cd':
        return this.changeDirectory(args[0], shell, line, 'builds in');
      case 'pushd':
        shell.dirStack.push(shell.cwd);
        return this.changeDirectory(args[0], shell, line, 'builds in');
      case 'popd':
        shell.cwd = shell.dirStack.pop() ?? shell.cwd;
        return;
      case 'shift':
        shell.positional = shell.positional.slice(Number(args[0] ?? 1) || 1);
        return;
      case 'read':
        for (const a of args.filter((x) => !x.startsWith('-'))) this.assign(shell, plainField(a), [UNKNOWN]);
        return;
      case 'set':
        if (args[0] === '--') shell.positional = args.slice(1).map((a) => [a]);
        return;
      case 'mkdir':
      case 'install':
        if (base === 'mkdir' || args.includes('-d')) {
          for (const a of operandsOf(args, ['-m', '-o', '-g', '-t', '--mode', '--owner', '--group'])) this.writes(a, shell, true);
          return;
        }
        return this.copy(args, shell, line, 'copies');
      case 'cp':
      case 'rsync':
        return this.copy(args, shell, line, 'copies');
      case 'mv':
        return this.move(args, shell, line);
      case 'tar':
        return this.tar(args, shell, line);
      case 'curl':
      case 'wget':
        return this.download(base, args, shell);
      case 'patch':
        return this.patch(args, shell, line);
    }
    if (base && NO_READS.has(base)) return;
    if (base && SHELLS.has(base)) return this.viaShell(args, shell, line, env, clearEnv);
    if (base) this.knownTool(base, args, shell, line);
    // A path (also one with a part the reader cannot know: ./install-$OS.sh) runs that script.
    if (plainField(argv[0]).includes('/') && this.runPath(argv[0], args, env, shell, line, clearEnv, !KNOWN_TOOLS.has(base ?? ''))) return;
    this.generic(args, shell, line);
  }

  /** Arguments that name what a known tool reads, beyond the generic rule. */
  private knownTool(base: string, args: string[], shell: Shell, line: number): void {
    if (base === 'package-source.sh' && args[0] !== undefined) this.reads(args[0], shell, line, 'packages', { required: true, treesOnly: false });
    else if (base === 'projeny') this.projeny(args, shell, line);
    else if (base === 'cmake') this.cmake(args, shell, line);
    else if (base === 'make' || base === 'ninja' || base === 'git') {
      const dir = optionValue(args, '-C');
      if (dir !== undefined) this.reads(dir, shell, line, 'builds in', { treesOnly: true });
    }
  }

  private callFunction(name: string, args: string[], shell: Shell, line: number): void {
    if (shell.depth > MAX_DEPTH) return;
    const saved = shell.positional;
    shell.positional = args.map((a) => [a]);
    shell.callers = [...shell.callers, { file: shell.script, line }];
    shell.depth++;
    this.statements(shell.functions.get(name)!, shell);
    shell.depth--;
    shell.callers = shell.callers.slice(0, -1);
    shell.positional = saved;
  }

  /** Runs a checkout script as a child shell. Returns false when the path is not a checkout script. */
  private runPath(commandField: string, args: string[], env: Map<string, Value>, shell: Shell, line: number, clearEnv: boolean, follow = true): boolean {
    const place = this.place(commandField, shell);
    const trail = this.trail(shell, line);
    if (place.area === 'lfs') {
      const [source] = this.copiedFrom(place.path);
      if (!source) {
        if (place.path.endsWith('.sh')) this.hole(place.path, 'runs a script that no stage copies into $LFS', trail);
        return true;
      }
      this.input(source.rel, 'file', true, 'runs', trail);
      this.child(source.rel, args, env, shell, line, clearEnv, shell.chrootRoot);
      return true;
    }
    if (place.area !== 'checkout') return false;
    if (place.glob) {
      this.reads(commandField, shell, line, 'runs', { required: true });
      return true;
    }
    if (this.isOutput(place.rel)) return true;
    if (this.view.kind(place.rel) !== 'file') {
      this.hole(place.rel, 'runs a script that does not exist', trail);
      return true;
    }
    this.input(place.rel, 'file', true, 'runs', trail);
    if (!follow) return true;
    this.child(place.rel, args, env, shell, line, clearEnv, shell.chrootRoot);
    this.scriptArguments(args, shell, line);
    return true;
  }

  /**
   * A checkout script given `/sources/x.sh` runs it in the chroot (build_chroot.sh and friends pass "$@" to
   * chroot). When reading the helper did not already lead there, the argument is followed here.
   */
  private scriptArguments(args: string[], shell: Shell, line: number): void {
    for (const arg of args) {
      if (!isLiteral(arg) || !plainField(arg).startsWith('/') || !plainField(arg).endsWith('.sh')) continue;
      for (const lfs of this.lfsRoots) {
        const lfsPath = path.posix.join(lfs, plainField(arg));
        const [source] = this.copiedFrom(lfsPath);
        if (!source) continue;
        if (this.runFiles.has(`${lfs}:${source.rel}`)) break;
        this.input(source.rel, 'file', true, `runs in the chroot`, this.trail(shell, line));
        this.child(source.rel, [], new Map(), shell, line, true, lfs);
        break;
      }
    }
  }

  private child(rel: string, args: string[], env: Map<string, Value>, shell: Shell, line: number, clearEnv: boolean, chrootRoot?: string): void {
    const parent = clearEnv ? { ...shell, exported: new Set<string>() } : shell;
    const child = this.newShell(
      rel,
      chrootRoot && chrootRoot !== shell.chrootRoot ? chrootRoot : shell.cwd,
      args.map((a) => [a]),
      parent,
      chrootRoot,
    );
    child.callers = [...shell.callers, { file: shell.script, line }];
    for (const [name, value] of env) {
      child.vars.set(name, value);
      child.exported.add(name);
    }
    this.runScript(rel, child);
  }

  private sourceScript(args: string[], shell: Shell, line: number): void {
    if (args[0] === undefined) return;
    const place = this.place(args[0], shell);
    const trail = this.trail(shell, line);
    let rel: string | undefined;
    if (place.area === 'checkout' && !place.glob) rel = place.rel;
    else if (place.area === 'lfs') rel = this.copiedFrom(place.path)[0]?.rel;
    else if (place.area === 'unknown') return this.widen(place.text, shell, trail);
    if (!rel) return;
    if (this.view.kind(rel) !== 'file') return this.hole(rel, 'sources a script that does not exist', trail);
    this.input(rel, 'file', true, 'sources', trail);
    const saved = { script: shell.script, positional: shell.positional, callers: shell.callers };
    shell.callers = [...shell.callers, { file: shell.script, line }];
    shell.script = rel;
    if (args.length > 1) shell.positional = args.slice(1).map((a) => [a]);
    shell.depth++;
    this.runScript(rel, shell);
    shell.depth--;
    Object.assign(shell, saved);
  }

  private viaEnv(args: string[], env: Map<string, Value>, shell: Shell, line: number): void {
    let clear = false;
    const extra = new Map(env);
    let i = 0;
    for (; i < args.length; i++) {
      const a = plainField(args[i]);
      if (a === '-i' || a === '-' || a === '--ignore-environment') clear = true;
      else if (a === '-u' || a === '-C') i++;
      else if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(a)) extra.set(a.slice(0, a.indexOf('=')), [args[i].slice(args[i].indexOf('=') + 1)]);
      else if (!a.startsWith('-')) break;
    }
    this.command(args.slice(i), extra, shell, line, clear);
  }

  /** `su [options] USER [script args…]` or `su USER -c 'command'`: the script runs as USER, here. */
  private viaSu(args: string[], env: Map<string, Value>, shell: Shell, line: number): void {
    let login = false;
    let commandText: string | undefined;
    const rest: string[] = [];
    let user: string | undefined;
    for (let i = 0; i < args.length; i++) {
      const a = plainField(args[i]);
      if (a === '-' || a === '-l' || a === '--login') login = true;
      else if (a === '-c' || a === '--command') commandText = plainField(args[++i] ?? '');
      else if (a.startsWith('--command=')) commandText = a.slice('--command='.length);
      else if (a === '-s' || a === '--shell' || a === '-g' || a === '-G') i++;
      else if (a.startsWith('-') && user === undefined) continue;
      else if (user === undefined) user = a;
      else rest.push(args[i]);
    }
    const target = login ? { ...shell, cwd: undefined } : shell;
    if (commandText !== undefined) return this.inlineScript(commandText, target, line, env, login);
    if (rest.length > 0) this.viaShell(rest, target, line, env, login);
  }

  /** `bash [options] script args…` or `bash -c 'command'`. */
  private viaShell(args: string[], shell: Shell, line: number, env: Map<string, Value>, clearEnv: boolean): void {
    for (let i = 0; i < args.length; i++) {
      const a = plainField(args[i]);
      if (a === '-c') return this.inlineScript(plainField(args[i + 1] ?? ''), shell, line, env, clearEnv);
      if (a === '-o' || a === '+o') {
        i++;
        continue;
      }
      if (a.startsWith('-') || a.startsWith('+')) continue;
      const place = this.place(args[i], shell);
      if (place.area === 'checkout' || place.area === 'lfs') {
        const script = args[i].includes('/') || place.area === 'lfs' ? args[i] : `./${args[i]}`;
        this.runPath(script, args.slice(i + 1), env, shell, line, clearEnv);
      } else if (place.area === 'unknown') this.widen(place.text, shell, this.trail(shell, line));
      return;
    }
  }

  /** A command given as a string (`su -c`, `bash -c`): parsed and read in place. */
  private inlineScript(text: string, shell: Shell, line: number, env: Map<string, Value>, clearEnv: boolean): void {
    if (text.includes(UNKNOWN)) return;
    let script: Script;
    try {
      script = parseScript(text, shell.script);
    } catch {
      return;
    }
    const inner = clearEnv ? { ...shell, vars: new Map<string, Value>(), exported: new Set<string>() } : { ...shell, vars: new Map(shell.vars) };
    for (const [name, value] of env) inner.vars.set(name, value);
    const relined = (stmts: Stmt[]): Stmt[] => stmts.map((s) => (s.kind === 'call' ? { ...s, line } : s));
    this.statements(relined(script.body), inner);
  }

  /** `chroot DIR command…`: the command runs with DIR as its root, environment from the command only. */
  private viaChroot(args: string[], shell: Shell, line: number): void {
    const rest = dropOptions(args, []);
    const dir = rest[0];
    if (dir === undefined) return;
    const place = this.place(dir, shell);
    if (place.area !== 'lfs') return;
    const inside = this.newShell(shell.script, place.path, shell.positional, undefined, place.path);
    inside.callers = shell.callers;
    inside.depth = shell.depth;
    this.command(rest.slice(1), new Map(), inside, line, true);
  }

  /** `cd DIR`: the directory a script builds in is an input (not the checkout root or the pizlix dir). */
  private changeDirectory(field: string | undefined, shell: Shell, line: number, how: string): void {
    if (field === undefined || field === '-') {
      shell.cwd = field === undefined ? undefined : shell.cwd;
      return;
    }
    const place = this.place(field, shell);
    if (place.area === 'unknown') {
      shell.cwd = undefined;
      return;
    }
    if (place.area === 'checkout') {
      if (place.glob) {
        shell.cwd = undefined;
        return;
      }
      // A directory that does not exist yet is one the script makes (by unpacking, say): no hole.
      if (!this.tooBroad(place.rel) && !this.isOutput(place.rel) && this.view.kind(place.rel) === 'dir') {
        this.input(place.rel, 'tree', false, how, this.trail(shell, line));
      }
      shell.cwd = this.view.absolute(place.rel);
      return;
    }
    shell.cwd = place.area === 'lfs' ? place.path : field.startsWith('/') ? path.posix.normalize(field) : undefined;
  }

  /** cp/install/rsync SOURCES… DEST: sources are read as they are on disk; DEST under $LFS remembers them. */
  private copy(args: string[], shell: Shell, line: number, how: string): void {
    const target = optionValue(args, '-t') ?? longOption(args, '--target-directory');
    const operands = operandsOf(args, ['-t', '-m', '-o', '-g', '-S', '--target-directory', '--exclude', '-e']);
    const recursive = args.some((a) => /^-[a-zA-Z]*[rRa]/.test(a) || a === '--recursive' || a === '--archive');
    const dest = target ?? (operands.length > 1 ? operands[operands.length - 1] : undefined);
    const sources = target ? operands : operands.slice(0, -1);
    if (dest === undefined) return;
    const destPlace = this.place(dest, shell);
    for (const source of sources) {
      this.reads(source, shell, line, how, { onDisk: true, required: true });
      if (destPlace.area === 'lfs') this.remember(source, destPlace.path, sources.length > 1 || dest.endsWith('/') || target !== undefined, recursive, shell);
    }
    if (destPlace.area === 'checkout') this.writes(dest, shell);
  }

  /** Records which checkout files now sit where below $LFS. */
  private remember(sourceField: string, destPath: string, severalSources: boolean, recursive: boolean, shell: Shell): void {
    const place = this.place(sourceField, shell);
    if (place.area !== 'checkout') return;
    // A destination that is a directory (known to be one, or given several sources) receives <dest>/<name>;
    // otherwise it may also be the copy itself (cp a.conf $LFS/sources/b.conf).
    const destIsDir = severalSources || this.lfsDirs.has(destPath) || [...this.lfsRoots].some((r) => destPath === r || destPath === `${r}/sources`);
    if (severalSources) this.lfsDirs.add(destPath);
    const sources = place.glob ? this.view.expand(place.pattern) : [place.rel];
    for (const rel of sources.filter((r) => !this.isOutput(r))) {
      const kind = this.view.kind(rel);
      if (kind === 'none') continue;
      const name = path.posix.basename(rel);
      const entry: CopiedEntry = { source: rel, kind: kind === 'dir' && recursive ? 'tree' : 'file' };
      this.copied.set(path.posix.join(destPath, name), entry);
      if (!destIsDir && path.posix.basename(destPath) !== name) this.copied.set(destPath, entry);
    }
  }

  private move(args: string[], shell: Shell, line: number): void {
    const operands = operandsOf(args, ['-t', '-S', '--target-directory']);
    for (const source of operands.slice(0, -1)) this.reads(source, shell, line, 'moves', { onDisk: true });
    if (operands.length > 1) this.writes(operands[operands.length - 1], shell);
  }

  /** tar: the archive it extracts or lists is read; the one it creates is written; members are read. */
  private tar(args: string[], shell: Shell, line: number): void {
    let mode = '';
    let file: string | undefined;
    let directory: string | undefined;
    const members: string[] = [];
    for (let i = 0; i < args.length; i++) {
      const a = plainField(args[i]);
      if (a.startsWith('--')) {
        if (a === '--file') file = args[++i];
        else if (a === '--directory') directory = args[++i];
        else if (a.startsWith('--file=')) file = args[i].slice(7);
        else if (a.startsWith('--directory=')) directory = args[i].slice(12);
        else if (['--create', '--extract', '--list', '--get'].includes(a)) mode += a[2] === 'g' ? 'x' : a[2] === 'l' ? 't' : a[2];
      } else if (a.startsWith('-') || (i === 0 && /^[a-zA-Z]+$/.test(a))) {
        const flags = a.replace(/^-/, '');
        for (let k = 0; k < flags.length; k++) {
          const f = flags[k];
          if ('cxtru'.includes(f)) mode += f;
          if (f === 'f') file = k === flags.length - 1 ? args[++i] : args[i].slice(args[i].indexOf('f') + 1);
          if (f === 'C') directory = args[++i];
          if (f === 'f' || f === 'C') break;
        }
      } else members.push(args[i]);
    }
    if (file !== undefined && plainField(file) !== '-') {
      if (mode.includes('c')) this.writes(file, shell);
      else this.reads(file, shell, line, 'unpacks', { onDisk: true, required: true });
    }
    if (mode.includes('c')) {
      const memberShell = directory !== undefined ? { ...shell, cwd: this.absoluteOf(directory, shell) } : shell;
      for (const m of members) this.reads(m, memberShell, line, 'archives', { onDisk: true });
    }
  }

  private absoluteOf(field: string, shell: Shell): string | undefined {
    const place = this.place(field, shell);
    if (place.area === 'checkout' && !place.glob) return this.view.absolute(place.rel);
    if (place.area === 'lfs') return place.path;
    return undefined;
  }

  private patch(args: string[], shell: Shell, line: number): void {
    const input = optionValue(args, '-i') ?? longOption(args, '--input');
    const dir = optionValue(args, '-d') ?? longOption(args, '--directory');
    const patchShell = dir !== undefined ? { ...shell, cwd: this.absoluteOf(dir, shell) } : shell;
    if (input !== undefined) this.reads(input, shell, line, 'applies', { onDisk: true, required: true });
    for (const operand of operandsOf(args, ['-i', '-d', '-p', '-o', '-r', '-B', '-D', '-F', '-V', '-z', '--input', '--directory'])) {
      this.reads(operand, patchShell, line, 'patches', { onDisk: true });
    }
  }

  /** curl/wget: the URL is a network input (checked above); the file written is a download, not an input. */
  private download(tool: string, args: string[], shell: Shell): void {
    const output =
      tool === 'curl' ? (optionValue(args, '-o') ?? longOption(args, '--output')) : (optionValue(args, '-O') ?? longOption(args, '--output-document'));
    if (output !== undefined) this.writes(output, shell);
    const prefix = tool === 'wget' ? (optionValue(args, '-P') ?? longOption(args, '--directory-prefix')) : undefined;
    if (prefix !== undefined) this.writes(prefix, shell);
    if (tool === 'curl' && (args.includes('-O') || args.includes('--remote-name'))) {
      for (const url of args.map(plainField).filter((a) => URL.test(a))) this.writes(path.posix.basename(url.split('?')[0]), shell);
    }
  }

  /**
   * `projeny package PIN OUT [PIN OUT]…` and `projeny setup|extract|… PIN`: each pin, its Archive: tarball and
   * its Name: work tree.
   */
  private projeny(args: string[], shell: Shell, line: number): void {
    const [command, ...operands] = args;
    if (!['package', 'setup', 'extract', 'commit', 'rebase'].includes(plainField(command ?? ''))) return;
    const step = plainField(command) === 'package' ? 2 : operands.length;
    for (let i = 0; i < operands.length; i += Math.max(step, 1)) this.projenyPin(operands[i], step === 2 ? operands[i + 1] : undefined, shell, line);
  }

  private projenyPin(target: string, out: string | undefined, shell: Shell, line: number): void {
    const trail = this.trail(shell, line);
    const place = this.place(target, shell);
    if (place.area === 'unknown') return this.widen(place.text, shell, trail);
    if (place.area !== 'checkout' || place.glob) return;
    const pinPath = findPin(this.view, place.rel);
    if (!pinPath) return this.hole(place.rel, 'projeny: the pin does not exist', trail);
    const pin = readPin(this.view, pinPath);
    this.input(pin.pin, 'file', true, 'projeny pin', trail);
    if (!pin.archive || this.view.kind(pin.archive) !== 'file')
      this.hole(pin.archive ?? pin.pin, `projeny: the tarball ${pin.pin} names (Archive:) does not exist`, trail);
    else this.input(pin.archive, 'file', true, 'projeny archive', trail);
    if (pin.workTree) {
      this.input(pin.workTree, 'tree', true, 'projeny work tree (edits since setup)', trail);
      this.reading.inputs.find((i) => i.path === pin.workTree && i.kind === 'tree')!.editedSince = `${pin.pin}.status`;
    }
    if (out !== undefined) this.writes(out, shell);
  }

  /**
   * cmake: its source directory (-S, or the one positional directory) is read by the generic rule; the LLVM
   * monorepo's projects and runtimes named in -DLLVM_ENABLE_PROJECTS/-DLLVM_ENABLE_RUNTIMES are siblings of
   * the source directory, and so are the shared cmake/ and third-party/ trees LLVM's build reads.
   */
  private cmake(args: string[], shell: Shell, line: number): void {
    const source = optionValue(args, '-S') ?? args.find((a) => !a.startsWith('-') && this.place(a, shell).area === 'checkout');
    if (source === undefined) return;
    const place = this.place(source, shell);
    if (place.area !== 'checkout' || place.glob || this.view.kind(place.rel) !== 'dir') return;
    const parent = path.posix.dirname(place.rel) === '.' ? '' : path.posix.dirname(place.rel);
    const siblings = new Set<string>();
    for (const a of args.map(plainField)) {
      const m = /^-DLLVM_ENABLE_(?:PROJECTS|RUNTIMES)(?::\w+)?=(.*)$/.exec(a);
      if (m) for (const item of m[1].split(/[;,]/).filter(Boolean)) siblings.add(item === 'all' ? '' : item);
    }
    if (siblings.size > 0 || ['llvm', 'runtimes'].includes(path.posix.basename(place.rel))) {
      siblings.add('cmake');
      siblings.add('third-party');
    }
    for (const s of siblings) {
      if (!s) continue;
      const rel = parent ? `${parent}/${s}` : s;
      if (this.view.kind(rel) === 'dir' && !this.tooBroad(rel)) this.input(rel, 'tree', false, `cmake builds ${place.rel} with it`, this.trail(shell, line));
    }
  }

  /**
   * Any other command: each argument (or the value of `--opt=value`, and the items of a `;` list) that
   * names an existing checkout file or directory is read. Nothing is reported missing: an argument need not
   * be a path at all.
   */
  private generic(args: string[], shell: Shell, line: number): void {
    for (const arg of args) {
      const candidates: string[] = [];
      if (arg.startsWith('-')) {
        const eq = arg.indexOf('=');
        if (eq < 0) continue;
        candidates.push(arg.slice(eq + 1));
      } else candidates.push(arg);
      for (const candidate of candidates) {
        if (!candidate || hasUnknown(candidate.split('/')[0] ?? '')) continue;
        const parts = candidate.includes(';') || candidate.includes(',') ? [candidate, ...candidate.split(/[;,]/)] : [candidate];
        for (const p of parts) {
          const place = this.place(p, shell);
          if (place.area === 'lfs') this.reads(p, shell, line, 'reads');
          else if (place.area === 'checkout' && !place.glob && this.view.kind(place.rel) !== 'none') this.reads(p, shell, line, 'reads');
        }
      }
    }
  }
}

/** Whether a branch's last statement leaves the script (`exit`), so nothing after the branch runs from it. */
function endsInExit(branch: Stmt[]): boolean {
  const last = branch[branch.length - 1];
  return last?.kind === 'call' && last.after === undefined && last.args.length > 0 && renderWord(last.args[0]) === 'exit';
}

/**
 * The command lines a call's words make, one per combination of their alternatives; beyond
 * MAX_COMMAND_LINES combinations the alternatives of the arguments are pooled into one line (every value
 * still read, positions no longer exact).
 */
function commandLines(words: string[][][]): string[][] {
  const [head = [[]], ...rest] = words;
  const combinations = rest.reduce((n, alternatives) => n * Math.max(1, alternatives.length), 1) * head.length;
  if (combinations > MAX_COMMAND_LINES) {
    const pooled = rest.flatMap((alternatives) => alternatives.flat());
    return head.map((h) => [...h, ...pooled]);
  }
  let lines: string[][] = head.map((h) => [...h]);
  for (const alternatives of rest) {
    if (alternatives.length === 0) continue;
    lines = lines.flatMap((l) => alternatives.map((fields) => [...l, ...fields]));
  }
  return lines;
}

/** The statements a $(…) runs, with groups (a && b) opened up. */
function flatten(body: Stmt[]): Stmt[] {
  return body.flatMap((s) => (s.kind === 'group' && !s.subshell ? flatten(s.body) : [s]));
}

/** Drops leading options (and the values of those listed) before a command. */
function dropOptions(args: string[], withValue: string[]): string[] {
  let i = 0;
  while (i < args.length && args[i].startsWith('-')) {
    if (withValue.includes(args[i])) i++;
    i++;
  }
  return args.slice(i);
}

/** The value of `-x VALUE` or `-xVALUE`. */
function optionValue(args: string[], option: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === option) return args[i + 1];
    if (args[i].startsWith(option) && args[i].length > option.length && !args[i].startsWith('--')) return args[i].slice(option.length);
  }
  return undefined;
}

function longOption(args: string[], option: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === option) return args[i + 1];
    if (args[i].startsWith(`${option}=`)) return args[i].slice(option.length + 1);
  }
  return undefined;
}

/** Arguments that are not options or option values. */
function operandsOf(args: string[], withValue: string[]): string[] {
  const operands: string[] = [];
  let optionsDone = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!optionsDone && a === '--') {
      optionsDone = true;
      continue;
    }
    if (!optionsDone && a.startsWith('-') && a !== '-') {
      if (withValue.includes(a)) i++;
      continue;
    }
    operands.push(a);
  }
  return operands;
}
