/**
 * Word expansion for the reference reader: parameters, defaults, "$@", field splitting, brace expansion
 * and glob characters — without running anything. What cannot be known (a command's output, a variable
 * from the environment) becomes the UNKNOWN mark, so a path keeps its known parts and can still be placed.
 * A variable may hold several values (a for loop, assignments in different branches): each is expanded.
 */
import picomatch from 'picomatch';
import type { Part, Stmt, Word } from './shell-syntax.js';

/** Stands for text the reader cannot know. */
export const UNKNOWN = '\u0000';
/** Marks the next character as an active glob character (unquoted `*`, `?`, `[`). */
const GLOB = '\u0001';
/** At most this many alternatives per word; beyond, the word is unknown. */
const MAX_ALTERNATIVES = 32;

/** A variable's possible values (raw text, possibly holding UNKNOWN); undefined when never set. */
export type Value = string[];

export interface ExpansionScope {
  variable(name: string): Value | undefined;
  assign(name: string, value: Value): void;
  /** $1 … $9, in order. */
  positional(): Value[];
  /** The output of $(…), when the reader can tell it; undefined otherwise. */
  substitute(body: Stmt[]): string | undefined;
}

/** The fields a word expands to; alternatives of multi-valued variables each add their fields. */
export function expandWord(word: Word, scope: ExpansionScope): string[] {
  return expandAlternatives(word, scope).flat();
}

/** Each possible expansion of a word (one per combination of variable values), as its list of fields. */
export function expandAlternatives(word: Word, scope: ExpansionScope): string[][] {
  let alternatives: Array<Piece[]> = [[]];
  for (const part of word) {
    const options = expandPart(part, scope);
    const next: Array<Piece[]> = [];
    for (const left of alternatives) for (const right of options) next.push([...left, ...right]);
    alternatives = next.length > MAX_ALTERNATIVES ? [[{ text: UNKNOWN, split: false }]] : next;
  }
  return alternatives.map((pieces) => joinPieces(pieces).flatMap(expandBraces));
}

/** A word's value as one string (assignments: no splitting, no globbing); alternatives kept. */
export function expandValue(word: Word, scope: ExpansionScope): Value {
  let alternatives: string[] = [''];
  for (const part of word) {
    const options = expandPart(part, scope).map((pieces) => pieces.map((p) => unmark(p.text)).join(''));
    const next: string[] = [];
    for (const left of alternatives) for (const right of options) next.push(left + right);
    alternatives = next.length > MAX_ALTERNATIVES ? [UNKNOWN] : next;
  }
  return [...new Set(alternatives)];
}

/** Text with a part that came unquoted from a variable may still split into fields at whitespace. */
interface Piece {
  text: string;
  split: boolean;
}

function expandPart(part: Part, scope: ExpansionScope): Array<Piece[]> {
  switch (part.kind) {
    case 'lit':
      return [[{ text: part.quoted ? part.text : markGlobs(part.text), split: false }]];
    case 'opaque':
      return [[{ text: UNKNOWN, split: false }]];
    case 'subst': {
      const out = scope.substitute(part.body);
      return [[{ text: out === undefined ? UNKNOWN : part.quoted ? out : markGlobs(out), split: !part.quoted }]];
    }
    case 'param': {
      if (part.name === '@' || part.name === '*') return positionalPieces(scope.positional(), part.quoted && part.name === '@', part.quoted);
      const values = parameterValue(part, scope);
      return values.map((v) => [{ text: part.quoted ? v : markGlobs(v), split: !part.quoted }]);
    }
  }
}

function parameterValue(part: Extract<Part, { kind: 'param' }>, scope: ExpansionScope): Value {
  const value = scope.variable(part.name);
  const set = value !== undefined;
  const nonEmpty = set && value.some((v) => v !== '');
  const argument = () => (part.arg ? expandValue(part.arg, scope) : ['']);
  switch (part.op) {
    case undefined:
    case ':?':
    case '?':
      return value ?? [UNKNOWN];
    case ':-':
      return nonEmpty ? value! : argument();
    case '-':
      return set ? value! : argument();
    case ':=':
    case '=': {
      if (part.op === ':=' ? nonEmpty : set) return value!;
      const assigned = argument();
      scope.assign(part.name, assigned);
      return assigned;
    }
    case ':+':
      return nonEmpty ? argument() : [''];
    case '+':
      return set ? argument() : [''];
  }
}

/** "$@" gives one field per argument; $* and unquoted $@ join and split. */
function positionalPieces(args: Value[], separate: boolean, quoted: boolean): Array<Piece[]> {
  if (args.length === 0) return [[]];
  if (separate) {
    // Each argument is its own field: joined with a field break the later split honours.
    return [args.flatMap((v, i) => [...(i > 0 ? [{ text: FIELD_BREAK, split: false }] : []), { text: v.length === 1 ? v[0] : UNKNOWN, split: false }])];
  }
  const joined = args.map((v) => (v.length === 1 ? v[0] : UNKNOWN)).join(' ');
  return [[{ text: quoted ? joined : markGlobs(joined), split: !quoted }]];
}

const FIELD_BREAK = '\u0002';

function joinPieces(pieces: Piece[]): string[] {
  const fields: string[] = [];
  let current = '';
  let started = false;
  for (const piece of pieces) {
    if (piece.text === FIELD_BREAK) {
      fields.push(current);
      current = '';
      started = false;
      continue;
    }
    if (!piece.split) {
      current += piece.text;
      started = true;
      continue;
    }
    const words = piece.text.split(/[ \t\n]+/);
    for (const [i, w] of words.entries()) {
      if (i > 0) {
        if (started || current) fields.push(current);
        current = '';
        started = false;
      }
      current += w;
      if (w) started = true;
    }
  }
  if (started || current) fields.push(current);
  return fields;
}

function markGlobs(text: string): string {
  return text.replace(/[*?[]/g, (c) => GLOB + c);
}

function unmark(text: string): string {
  return text.split(GLOB).join('');
}

/** Bash brace expansion of unquoted text: `a/{b,c}` → a/b a/c. */
function expandBraces(field: string): string[] {
  const open = field.indexOf('{');
  if (open < 0) return [field];
  let depth = 0;
  const commas: number[] = [];
  for (let i = open; i < field.length; i++) {
    const c = field[i];
    if (c === '{') depth++;
    else if (c === '}') {
      depth--;
      if (depth === 0) {
        if (commas.length === 0) return [field];
        const head = field.slice(0, open);
        const tail = field.slice(i + 1);
        const bounds = [open, ...commas, i];
        const options = bounds.slice(0, -1).map((b, k) => field.slice(b + 1, bounds[k + 1]));
        const out = options.flatMap((o) => expandBraces(head + o + tail));
        return out.length > MAX_ALTERNATIVES ? [field] : out;
      }
    } else if (c === ',' && depth === 1) commas.push(i);
  }
  return [field];
}

/** Whether the field is plain text: no unknown part, no active glob. */
export function isLiteral(field: string): boolean {
  return !field.includes(UNKNOWN) && !field.includes(GLOB);
}

export function hasUnknown(field: string): boolean {
  return field.includes(UNKNOWN);
}

export function hasGlob(field: string): boolean {
  return field.includes(GLOB);
}

/** The field as a person would read it: unknown parts as `…`. */
export function displayField(field: string): string {
  return unmark(field).split(UNKNOWN).join('…');
}

/** The field as plain text with marks removed (only meaningful when isLiteral). */
export function plainField(field: string): string {
  return unmark(field);
}

/**
 * The field as a picomatch glob: literal characters escaped, active glob characters kept, and unknown parts
 * widened — within a name to `*`, a whole unknown name to `**` (everything below the enclosing directory).
 */
export function toGlob(field: string): string {
  return field
    .split('/')
    .map((segment) => {
      if (segment === UNKNOWN || (segment.replaceAll(UNKNOWN, '') === '' && segment !== '')) return '**';
      let out = '';
      for (let i = 0; i < segment.length; i++) {
        const c = segment[i];
        if (c === GLOB) {
          out += segment[++i] ?? '';
        } else if (c === UNKNOWN) {
          if (!out.endsWith('*')) out += '*';
        } else out += /[*?[\]{}()!+@\\]/.test(c) ? `\\${c}` : c;
      }
      return out;
    })
    .join('/');
}

/** A compiled glob, cached: stage matchers and expansions compile each pattern once. */
const compiled = new Map<string, (path: string) => boolean>();
export function globMatcher(pattern: string): (path: string) => boolean {
  let matcher = compiled.get(pattern);
  if (!matcher) {
    const test = picomatch(pattern, { dot: true });
    // One argument only: picomatch's second (returnObject) would make `paths.filter(matcher)` match all.
    matcher = (p: string) => test(p);
    compiled.set(pattern, matcher);
  }
  return matcher;
}

/** The directory part of a glob before its first wildcard segment. */
export function globBase(pattern: string): string {
  const segments = pattern.split('/');
  const base: string[] = [];
  for (const s of segments) {
    if (picomatch.scan(s).isGlob) break;
    base.push(s.replace(/\\(.)/g, '$1'));
  }
  return base.join('/');
}

export function isGlobPattern(pattern: string): boolean {
  return picomatch.scan(pattern).isGlob;
}
