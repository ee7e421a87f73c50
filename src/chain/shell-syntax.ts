/**
 * Shell scripts as a small syntax tree the reference reader walks: commands with their words, redirections
 * and line numbers, inside the compound commands bash has (groups, subshells, if, loops, case, functions).
 *
 * Written here rather than taken from a library because of speed: mvdan/sh's JavaScript build (mvdan-sh)
 * needs about 40 ms to parse and walk one Pizlix script and tree-sitter's WebAssembly one about 18 ms, while
 * a Pizlix folder holds some 150 scripts that every `plan` reads. This parser covers the syntax build scripts
 * use — quoting, parameter expansion with defaults, $(…) and `…`, here-documents, arithmetic (skipped) —
 * and reads all of them in a few milliseconds.
 */
import { InputError } from '../util/errors.js';

/** One piece of a word. `quoted` pieces keep glob characters literal and are not split into fields. */
export type Part =
  | { kind: 'lit'; text: string; quoted: boolean }
  | { kind: 'param'; name: string; op?: ParamOp; arg?: Word; quoted: boolean }
  | { kind: 'subst'; body: Stmt[]; quoted: boolean }
  /** Arithmetic, process substitution, ${x/a/b} and the like: a value the reader does not compute. */
  | { kind: 'opaque'; quoted: boolean };

export type Word = Part[];
export type ParamOp = ':-' | '-' | ':=' | '=' | ':+' | '+' | ':?' | '?';

export interface Redirect {
  op: 'out' | 'append' | 'in' | 'heredoc' | 'herestring' | 'dup' | 'other';
  word?: Word;
  line: number;
}

export interface Assign {
  name: string;
  value?: Word;
}

/**
 * A statement; `after` is the operator joining it to the one before in an and-or list (`test -e x && . ./x`):
 * the reader honours the guard a test before `&&` sets up.
 */
export type Stmt = StmtBody & { after?: '&&' | '||' };

type StmtBody =
  | { kind: 'call'; line: number; assigns: Assign[]; args: Word[]; redirects: Redirect[] }
  | { kind: 'declare'; line: number; variant: string; assigns: Assign[]; names: string[]; redirects: Redirect[] }
  | { kind: 'group'; body: Stmt[]; subshell: boolean; redirects: Redirect[] }
  /** if/elif/else: every branch may run, so the reader reads all of them; `exhaustive`: one always runs (else). */
  | { kind: 'branches'; conditions: Stmt[]; branches: Stmt[][]; exhaustive: boolean; redirects: Redirect[] }
  | { kind: 'loop'; line: number; name?: string; items?: Word[]; condition: Stmt[]; body: Stmt[]; redirects: Redirect[] }
  /** `exhaustive`: an arm's pattern is `*`, so one arm always runs. */
  | { kind: 'case'; word: Word; arms: Stmt[][]; exhaustive: boolean; redirects: Redirect[] }
  | { kind: 'function'; line: number; name: string; body: Stmt[] };

export interface Script {
  file: string;
  body: Stmt[];
}

/** The parse failed: names the script and the place. */
export class ScriptSyntaxError extends InputError {
  constructor(
    readonly file: string,
    readonly line: number,
    problem: string,
  ) {
    super('pizlix-dir', `${file}:${line}: cannot read this shell script: ${problem}`, 'a script bash can run');
    this.name = 'ScriptSyntaxError';
  }
}

export function parseScript(text: string, file: string): Script {
  const parser = new Parser(text, file);
  const body = parser.list(new Set());
  parser.expectEnd();
  return { file, body };
}

const DECLARATIONS = new Set(['export', 'local', 'declare', 'readonly', 'typeset']);
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PARAM_OPS = [':-', ':=', ':+', ':?', '-', '=', '+', '?'] as const;
const OTHER_PARAM_OPS = ['%%', '##', '//', '%', '#', '/', '^^', ',,', '^', ',', ':'];

class Parser {
  private pos = 0;
  private line = 1;
  /** Here-documents whose bodies start at the next newline. */
  private pendingHeredocs: Array<{ delimiter: string; stripTabs: boolean }> = [];

  constructor(
    private readonly src: string,
    private readonly file: string,
    /** Stop at an unmatched `)` (inside $( … )) or a backquote (inside ` … `). */
    private readonly closer?: ')' | '`',
  ) {}

  fail(problem: string): never {
    throw new ScriptSyntaxError(this.file, this.line, problem);
  }

  expectEnd(): void {
    this.skipBlank(true);
    if (this.pos < this.src.length) this.fail(`unexpected '${this.src[this.pos]}'`);
  }

  // ── Characters ──────────────────────────────────────────────────────────────────────────────

  private peek(offset = 0): string {
    return this.src[this.pos + offset] ?? '';
  }

  private startsWith(text: string): boolean {
    return this.src.startsWith(text, this.pos);
  }

  private advance(count = 1): void {
    for (let i = 0; i < count && this.pos < this.src.length; i++) {
      if (this.src[this.pos] === '\n') this.newline();
      this.pos++;
    }
  }

  /** Stepping over a newline: here-document bodies that start after it are skipped, lines counted. */
  private newline(): void {
    this.line++;
    if (this.pendingHeredocs.length === 0) return;
    const docs = this.pendingHeredocs;
    this.pendingHeredocs = [];
    let at = this.pos + 1;
    for (const doc of docs) {
      while (at < this.src.length) {
        const end = this.src.indexOf('\n', at);
        const lineText = this.src.slice(at, end < 0 ? this.src.length : end);
        at = end < 0 ? this.src.length : end + 1;
        this.line++;
        if ((doc.stripTabs ? lineText.replace(/^\t+/, '') : lineText) === doc.delimiter) break;
      }
    }
    // advance() steps from here onto the first character after the bodies.
    this.pos = at - 1;
  }

  /** Spaces, tabs, line continuations and comments; with `newlines`, newlines too. */
  private skipBlank(newlines: boolean): void {
    for (;;) {
      const c = this.peek();
      if (c === ' ' || c === '\t' || c === '\r') this.pos++;
      else if (c === '\\' && this.peek(1) === '\n') {
        this.pos++;
        this.advance();
      } else if (c === '#') {
        while (this.pos < this.src.length && this.peek() !== '\n') this.pos++;
      } else if (c === '\n' && newlines) this.advance();
      else return;
    }
  }

  private atCloser(): boolean {
    return this.closer !== undefined && this.peek() === this.closer;
  }

  // ── Lists and commands ──────────────────────────────────────────────────────────────────────

  /** Commands until a keyword in `stop` (at command position), a closer or the end. */
  list(stop: Set<string>): Stmt[] {
    const out: Stmt[] = [];
    for (;;) {
      this.skipBlank(true);
      while (this.peek() === ';' && this.peek(1) !== ';') {
        this.pos++;
        this.skipBlank(true);
      }
      if (this.pos >= this.src.length || this.atCloser()) return out;
      if (this.peek() === ')' || this.startsWith(';;') || (this.peek() === '}' && stop.has('}'))) return out;
      const keyword = this.keywordHere();
      if (keyword && stop.has(keyword)) return out;
      out.push(...this.andOr(stop));
    }
  }

  /** A word at the cursor that ends where a keyword would. */
  private keywordHere(): string | undefined {
    const match = /^(?:[A-Za-z_[\]{}!]+)/.exec(this.src.slice(this.pos, this.pos + 12));
    if (!match) return undefined;
    const after = this.src[this.pos + match[0].length] ?? '';
    if (after && !/[\s;&|()<>]/.test(after)) return undefined;
    return match[0];
  }

  private andOr(stop: Set<string>): Stmt[] {
    const out: Stmt[] = [];
    let after: '&&' | '||' | undefined;
    for (;;) {
      const pipeline = this.pipeline(stop);
      if (after && pipeline[0]) pipeline[0].after = after;
      out.push(...pipeline);
      this.skipBlank(false);
      if (this.startsWith('&&') || this.startsWith('||')) {
        after = this.startsWith('&&') ? '&&' : '||';
        this.pos += 2;
        this.skipBlank(true);
        continue;
      }
      if (this.peek() === ';' && this.peek(1) !== ';') this.pos++;
      else if (this.peek() === '&' && this.peek(1) !== '>') this.pos++;
      return out;
    }
  }

  private pipeline(stop: Set<string>): Stmt[] {
    const out: Stmt[] = [];
    this.skipBlank(false);
    if (this.peek() === '!' && /\s/.test(this.peek(1))) this.pos++;
    for (;;) {
      out.push(...this.command(stop));
      this.skipBlank(false);
      if (this.peek() === '|' && this.peek(1) !== '|') {
        this.pos += this.peek(1) === '&' ? 2 : 1;
        this.skipBlank(true);
        continue;
      }
      return out;
    }
  }

  private command(stop: Set<string>): Stmt[] {
    this.skipBlank(false);
    const line = this.line;
    if (this.peek() === '(' && this.peek(1) === '(') {
      this.skipBalanced('((', '))');
      return [];
    }
    if (this.peek() === '(') {
      this.pos++;
      const body = this.list(new Set([')']));
      this.expect(')');
      return [{ kind: 'group', body, subshell: true, redirects: this.trailingRedirects() }];
    }
    const keyword = this.keywordHere();
    switch (keyword) {
      case '{': {
        this.pos++;
        const body = this.list(new Set(['}']));
        this.expectWord('}');
        return [{ kind: 'group', body, subshell: false, redirects: this.trailingRedirects() }];
      }
      case 'if':
        return [this.ifClause()];
      case 'while':
      case 'until':
        return [this.whileClause(line)];
      case 'for':
        return [this.forClause(line)];
      case 'case':
        return [this.caseClause()];
      case 'function':
        return [this.functionDefinition(line, true)];
      case '[[':
        this.skipUntilWord(']]');
        this.trailingRedirects();
        return [];
    }
    if (keyword && stop.has(keyword)) return [];
    // name() { … }
    const fn = /^([A-Za-z_][\w.:-]*)[ \t]*\([ \t]*\)/.exec(this.src.slice(this.pos, this.pos + 200));
    if (fn) return [this.functionDefinition(line, false)];
    return this.simpleCommand(line);
  }

  private expect(text: string): void {
    this.skipBlank(true);
    if (!this.startsWith(text)) this.fail(`expected '${text}'`);
    this.pos += text.length;
  }

  private expectWord(word: string): void {
    this.skipBlank(true);
    if (this.keywordHere() !== word) this.fail(`expected '${word}'`);
    this.pos += word.length;
  }

  private ifClause(): Stmt {
    const conditions: Stmt[] = [];
    const branches: Stmt[][] = [];
    this.expectWord('if');
    for (;;) {
      conditions.push(...this.list(new Set(['then'])));
      this.expectWord('then');
      branches.push(this.list(new Set(['elif', 'else', 'fi'])));
      const next = this.keywordHere();
      if (next === 'elif') {
        this.pos += 4;
        continue;
      }
      if (next === 'else') {
        this.pos += 4;
        branches.push(this.list(new Set(['fi'])));
      }
      this.expectWord('fi');
      return { kind: 'branches', conditions, branches, exhaustive: next === 'else', redirects: this.trailingRedirects() };
    }
  }

  private whileClause(line: number): Stmt {
    this.pos += this.keywordHere()!.length;
    const condition = this.list(new Set(['do']));
    this.expectWord('do');
    const body = this.list(new Set(['done']));
    this.expectWord('done');
    return { kind: 'loop', line, condition, body, redirects: this.trailingRedirects() };
  }

  private forClause(line: number): Stmt {
    this.pos += 3;
    this.skipBlank(false);
    if (this.startsWith('((')) {
      this.skipBalanced('((', '))');
      this.skipBlank(true);
      if (this.peek() === ';') this.pos++;
      this.expectWord('do');
      const body = this.list(new Set(['done']));
      this.expectWord('done');
      return { kind: 'loop', line, condition: [], body, redirects: this.trailingRedirects() };
    }
    const name = this.rawName();
    this.skipBlank(true);
    let items: Word[] | undefined;
    if (this.keywordHere() === 'in') {
      this.pos += 2;
      items = [];
      for (;;) {
        this.skipBlank(false);
        if (this.peek() === ';' || this.peek() === '\n' || this.pos >= this.src.length) break;
        items.push(this.word());
      }
    }
    this.skipBlank(true);
    if (this.peek() === ';') this.pos++;
    this.expectWord('do');
    const body = this.list(new Set(['done']));
    this.expectWord('done');
    return { kind: 'loop', line, name, items, condition: [], body, redirects: this.trailingRedirects() };
  }

  private caseClause(): Stmt {
    this.pos += 4;
    this.skipBlank(false);
    const word = this.word();
    this.skipBlank(true);
    this.expectWord('in');
    const arms: Stmt[][] = [];
    let exhaustive = false;
    for (;;) {
      this.skipBlank(true);
      if (this.keywordHere() === 'esac') break;
      if (this.pos >= this.src.length) this.fail("expected 'esac'");
      if (this.peek() === '(') this.pos++;
      // The patterns: words separated by |, up to the ).
      for (;;) {
        this.skipBlank(false);
        const pattern = this.word();
        if (pattern.length === 1 && pattern[0].kind === 'lit' && !pattern[0].quoted && pattern[0].text === '*') exhaustive = true;
        this.skipBlank(false);
        if (this.peek() === '|') {
          this.pos++;
          continue;
        }
        break;
      }
      this.expect(')');
      arms.push(this.list(new Set(['esac'])));
      this.skipBlank(true);
      if (this.startsWith(';;&')) this.pos += 3;
      else if (this.startsWith(';;') || this.startsWith(';&')) this.pos += 2;
    }
    this.pos += 4;
    return { kind: 'case', word, arms, exhaustive, redirects: this.trailingRedirects() };
  }

  private functionDefinition(line: number, keyword: boolean): Stmt {
    if (keyword) {
      this.pos += 8;
      this.skipBlank(false);
    }
    const name = this.rawName(/[\w.:-]/);
    this.skipBlank(false);
    if (this.peek() === '(') {
      this.pos++;
      this.skipBlank(false);
      this.expect(')');
    }
    this.skipBlank(true);
    const body = this.command(new Set());
    return { kind: 'function', line, name, body };
  }

  private rawName(chars = /\w/): string {
    const start = this.pos;
    while (this.pos < this.src.length && chars.test(this.peek())) this.pos++;
    if (this.pos === start) this.fail('expected a name');
    return this.src.slice(start, this.pos);
  }

  private simpleCommand(line: number): Stmt[] {
    const assigns: Assign[] = [];
    const args: Word[] = [];
    const redirects: Redirect[] = [];
    for (;;) {
      this.skipBlank(false);
      const c = this.peek();
      if (!c || c === '\n' || c === ';' || c === '|' || c === ')' || this.atCloser()) break;
      if (c === '&' && this.peek(1) !== '>') break;
      if (c === '(' && args.length === 0 && assigns.length === 0) break;
      const redirect = this.redirect();
      if (redirect) {
        redirects.push(redirect);
        continue;
      }
      if (args.length === 0) {
        const assign = this.assignment();
        if (assign) {
          assigns.push(assign);
          continue;
        }
      }
      const start = this.pos;
      const word = this.word();
      if (this.pos === start) this.fail(`unexpected '${c}'`);
      args.push(word);
      // export/local …: the rest are assignments or names.
      if (args.length === 1 && word.length === 1 && word[0].kind === 'lit' && !word[0].quoted && DECLARATIONS.has(word[0].text)) {
        return [this.declaration(line, word[0].text, redirects)];
      }
    }
    if (args.length === 0 && assigns.length === 0 && redirects.length === 0) return [];
    return [{ kind: 'call', line, assigns, args, redirects }];
  }

  private declaration(line: number, variant: string, redirects: Redirect[]): Stmt {
    const assigns: Assign[] = [];
    const names: string[] = [];
    for (;;) {
      this.skipBlank(false);
      const c = this.peek();
      if (!c || c === '\n' || c === ';' || c === '|' || c === '&' || c === ')' || this.atCloser()) break;
      const redirect = this.redirect();
      if (redirect) {
        redirects.push(redirect);
        continue;
      }
      const assign = this.assignment();
      if (assign) {
        assigns.push(assign);
        continue;
      }
      const word = this.word();
      if (word.length === 1 && word[0].kind === 'lit' && NAME.test(word[0].text)) names.push(word[0].text);
    }
    return { kind: 'declare', line, variant, assigns, names, redirects };
  }

  /** NAME=value or NAME+=value at the cursor (arrays are values the reader does not compute). */
  private assignment(): Assign | undefined {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)(\+?=)/.exec(this.src.slice(this.pos, this.pos + 80));
    if (!match) return undefined;
    this.pos += match[0].length;
    if (this.peek() === '(') {
      this.skipBalanced('(', ')');
      return { name: match[1], value: [{ kind: 'opaque', quoted: false }] };
    }
    const c = this.peek();
    const value = !c || /[\s;&|)]/.test(c) ? [] : this.word();
    return { name: match[1], value };
  }

  private redirect(): Redirect | undefined {
    const match = /^(?:\d+|\{[A-Za-z_]\w*\})?(<<<|<<-|<<|<>|<&|>&|>>|>\||&>>|&>|<|>)/.exec(this.src.slice(this.pos, this.pos + 12));
    if (!match) return undefined;
    const line = this.line;
    this.pos += match[0].length;
    const operator = match[1];
    this.skipBlank(false);
    if (operator === '<<' || operator === '<<-') {
      const delimiterWord = this.word();
      const delimiter = delimiterWord.map((p) => (p.kind === 'lit' ? p.text : '')).join('');
      this.pendingHeredocs.push({ delimiter, stripTabs: operator === '<<-' });
      return { op: 'heredoc', line };
    }
    const word = this.word();
    const op: Redirect['op'] =
      operator === '>' || operator === '>|' || operator === '&>'
        ? 'out'
        : operator === '>>' || operator === '&>>'
          ? 'append'
          : operator === '<'
            ? 'in'
            : operator === '<<<'
              ? 'herestring'
              : operator === '>&' || operator === '<&'
                ? word.length === 1 && word[0].kind === 'lit' && /^(\d+|-)$/.test(word[0].text)
                  ? 'dup'
                  : 'out'
                : 'other';
    return { op, word, line };
  }

  private trailingRedirects(): Redirect[] {
    const out: Redirect[] = [];
    for (;;) {
      this.skipBlank(false);
      const redirect = this.redirect();
      if (!redirect) return out;
      out.push(redirect);
    }
  }

  // ── Words ───────────────────────────────────────────────────────────────────────────────────

  /** One word: literal text, quotes, expansions, up to an unquoted metacharacter. */
  word(): Word {
    const parts: Part[] = [];
    const lit = (text: string, quoted: boolean) => {
      const last = parts[parts.length - 1];
      if (last?.kind === 'lit' && last.quoted === quoted) last.text += text;
      else parts.push({ kind: 'lit', text, quoted });
    };
    for (;;) {
      const c = this.peek();
      if (!c || /[\s;&|<>()]/.test(c) || this.atCloser()) {
        // `(` inside a word (a glob like @(a|b), or a=(…)) is literal; at its start it ends it.
        if (c === '(' && parts.length > 0 && /[@!?*+]$/.test(this.lastText(parts))) {
          const start = this.pos;
          this.skipBalanced('(', ')');
          lit(this.src.slice(start, this.pos), false);
          continue;
        }
        return parts;
      }
      if (c === '\\') {
        if (this.peek(1) === '\n') {
          this.pos++;
          this.advance();
          continue;
        }
        lit(this.peek(1), true);
        this.pos += 2;
      } else if (c === "'") {
        const end = this.src.indexOf("'", this.pos + 1);
        if (end < 0) this.fail('unterminated single quote');
        const text = this.src.slice(this.pos + 1, end);
        this.advanceTo(end + 1);
        lit(text, true);
      } else if (c === '"') {
        this.pos++;
        this.doubleQuoted(parts, lit);
      } else if (c === '$') {
        this.dollar(parts, false, lit);
      } else if (c === '`') {
        parts.push({ kind: 'subst', body: this.backquoted(), quoted: false });
      } else {
        lit(c, false);
        this.pos++;
      }
    }
  }

  private lastText(parts: Part[]): string {
    const last = parts[parts.length - 1];
    return last?.kind === 'lit' ? last.text : '';
  }

  private advanceTo(end: number): void {
    while (this.pos < end) this.advance();
  }

  private doubleQuoted(parts: Part[], lit: (text: string, quoted: boolean) => void): void {
    for (;;) {
      const c = this.peek();
      if (!c) this.fail('unterminated double quote');
      if (c === '"') {
        this.pos++;
        if (parts.length === 0) lit('', true);
        return;
      }
      if (c === '\\' && '$`"\\\n'.includes(this.peek(1))) {
        if (this.peek(1) !== '\n') lit(this.peek(1), true);
        this.advance(2);
      } else if (c === '$') this.dollar(parts, true, lit);
      else if (c === '`') parts.push({ kind: 'subst', body: this.backquoted(), quoted: true });
      else {
        lit(c, true);
        this.advance();
      }
    }
  }

  private dollar(parts: Part[], quoted: boolean, lit: (text: string, quoted: boolean) => void): void {
    const next = this.peek(1);
    if (next === '(' && this.peek(2) === '(') {
      this.pos++;
      this.skipBalanced('((', '))');
      parts.push({ kind: 'opaque', quoted });
    } else if (next === '(') {
      this.pos += 2;
      const inner = new Parser(this.src, this.file, ')');
      inner.pos = this.pos;
      inner.line = this.line;
      const body = inner.list(new Set());
      this.pos = inner.pos;
      this.line = inner.line;
      if (this.peek() !== ')') this.fail('unterminated $(');
      this.pos++;
      parts.push({ kind: 'subst', body, quoted });
    } else if (next === '{') {
      this.pos += 2;
      parts.push(this.braced(quoted));
    } else if (next === "'" && !quoted) {
      const end = this.src.indexOf("'", this.pos + 2);
      if (end < 0) this.fail("unterminated $'");
      this.advanceTo(end + 1);
      parts.push({ kind: 'opaque', quoted: true });
    } else if (/[A-Za-z_]/.test(next)) {
      this.pos++;
      parts.push({ kind: 'param', name: this.rawName(), quoted });
    } else if (/[0-9@*#?$!-]/.test(next)) {
      this.pos += 2;
      parts.push({ kind: 'param', name: next, quoted });
    } else {
      lit('$', quoted);
      this.pos++;
    }
  }

  /** ${…}: a name, maybe an operator and its word. */
  private braced(quoted: boolean): Part {
    const start = this.pos;
    const special = /^[#!]/.test(this.peek()) && this.peek(1) !== '}';
    if (special) this.pos++;
    const nameMatch = /^([A-Za-z_]\w*|\d+|[@*#?$!-])/.exec(this.src.slice(this.pos, this.pos + 80));
    if (!nameMatch) {
      this.skipToBrace(start);
      return { kind: 'opaque', quoted };
    }
    const name = nameMatch[1];
    this.pos += name.length;
    if (this.peek() === '}') {
      this.pos++;
      return special ? { kind: 'opaque', quoted } : { kind: 'param', name, quoted };
    }
    const op = PARAM_OPS.find((o) => this.startsWith(o));
    if (special || !op || this.peek() === '[' || OTHER_PARAM_OPS.some((o) => this.startsWith(o) && o.length > op.length)) {
      this.skipToBrace(start);
      return { kind: 'opaque', quoted };
    }
    this.pos += op.length;
    const arg = this.braceWord(quoted);
    return { kind: 'param', name, op, arg, quoted };
  }

  /** The word after a ${name op …} operator, up to the matching brace. */
  private braceWord(quoted: boolean): Word {
    const parts: Part[] = [];
    const lit = (text: string, q: boolean) => {
      const last = parts[parts.length - 1];
      if (last?.kind === 'lit' && last.quoted === q) last.text += text;
      else parts.push({ kind: 'lit', text, quoted: q });
    };
    for (;;) {
      const c = this.peek();
      if (!c) this.fail('unterminated ${');
      if (c === '}') {
        this.pos++;
        return parts;
      }
      if (c === '\\') {
        lit(this.peek(1), true);
        this.advance(2);
      } else if (c === "'" && !quoted) {
        const end = this.src.indexOf("'", this.pos + 1);
        if (end < 0) this.fail('unterminated single quote');
        lit(this.src.slice(this.pos + 1, end), true);
        this.advanceTo(end + 1);
      } else if (c === '"') {
        this.pos++;
        this.doubleQuoted(parts, lit);
      } else if (c === '$') this.dollar(parts, quoted, lit);
      else if (c === '`') parts.push({ kind: 'subst', body: this.backquoted(), quoted });
      else {
        lit(c, quoted);
        this.advance();
      }
    }
  }

  private skipToBrace(start: number): void {
    let depth = 1;
    while (this.pos < this.src.length && depth > 0) {
      const c = this.peek();
      if (c === '{') depth++;
      else if (c === '}') depth--;
      this.advance();
    }
    if (depth > 0) {
      this.pos = start;
      this.fail('unterminated ${');
    }
  }

  /** `…`: the text up to the closing backquote, parsed as commands. */
  private backquoted(): Stmt[] {
    this.pos++;
    let text = '';
    const line = this.line;
    for (;;) {
      const c = this.peek();
      if (!c) this.fail('unterminated backquote');
      if (c === '`') {
        this.pos++;
        break;
      }
      if (c === '\\' && '$`\\'.includes(this.peek(1))) {
        text += this.peek(1);
        this.advance(2);
        continue;
      }
      text += c;
      this.advance();
    }
    const inner = new Parser(text, this.file);
    inner.line = line;
    const body = inner.list(new Set());
    return body;
  }

  /** Skips from an opening token to its closing one, counting nested parentheses and quotes. */
  private skipBalanced(open: string, close: string): void {
    const line = this.line;
    this.pos += open.length;
    let depth = 1;
    while (this.pos < this.src.length) {
      const c = this.peek();
      if (c === '\\') {
        this.advance(2);
        continue;
      }
      if (c === "'" || c === '"') {
        const end = this.src.indexOf(c, this.pos + 1);
        this.advanceTo(end < 0 ? this.src.length : end + 1);
        continue;
      }
      if (this.startsWith(close) && depth === 1) {
        this.pos += close.length;
        return;
      }
      if (c === '(') depth++;
      else if (c === ')') depth--;
      this.advance();
    }
    this.line = line;
    this.fail(`unterminated ${open}`);
  }

  private skipUntilWord(word: string): void {
    while (this.pos < this.src.length) {
      this.skipBlank(true);
      if (this.keywordHere() === word) {
        this.pos += word.length;
        return;
      }
      const start = this.pos;
      if (this.redirect()) continue;
      this.word();
      if (this.pos === start) this.advance();
    }
    this.fail(`expected '${word}'`);
  }
}

/** A word as a person would read it in the script: `$X`, `${X:-…}`, `$(…)`. */
export function renderWord(word: Word): string {
  return word
    .map((p) => {
      switch (p.kind) {
        case 'lit':
          return p.text;
        case 'param':
          return p.op ? `\${${p.name}${p.op}${renderWord(p.arg ?? [])}}` : `$${p.name}`;
        case 'subst':
          return '$(…)';
        case 'opaque':
          return '…';
      }
    })
    .join('');
}
