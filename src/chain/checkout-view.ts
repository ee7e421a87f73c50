/**
 * The checkout's file system as the reference reader sees it while deriving inputs: what exists, what a
 * glob matches, what a script says. Every answer is cached, so reading a hundred scripts costs a few
 * hundred system calls, not a walk of the checkout.
 */
import { lstatSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { globBase, globMatcher } from './shell-values.js';

export type EntryKind = 'file' | 'dir' | 'none';

export class CheckoutView {
  private readonly kinds = new Map<string, EntryKind>();
  private readonly listings = new Map<string, string[]>();
  private readonly texts = new Map<string, string | undefined>();

  /** root: the checkout's absolute path. */
  constructor(readonly root: string) {}

  absolute(rel: string): string {
    return rel ? path.join(this.root, rel) : this.root;
  }

  /** A symbolic link to a directory counts as a directory (cp and cd follow it). */
  kind(rel: string): EntryKind {
    let kind = this.kinds.get(rel);
    if (kind === undefined) {
      try {
        const stat = lstatSync(this.absolute(rel));
        kind = stat.isDirectory()
          ? 'dir'
          : stat.isSymbolicLink()
            ? statSync(this.absolute(rel), { throwIfNoEntry: false })?.isDirectory()
              ? 'dir'
              : 'file'
            : 'file';
      } catch {
        kind = 'none';
      }
      this.kinds.set(rel, kind);
    }
    return kind;
  }

  /** Names in a directory ('' for the root), without .git. */
  list(rel: string): string[] {
    let names = this.listings.get(rel);
    if (!names) {
      try {
        names = readdirSync(this.absolute(rel))
          .filter((n) => n !== '.git')
          .sort();
      } catch {
        names = [];
      }
      this.listings.set(rel, names);
    }
    return names;
  }

  /** Checkout paths (files and directories) a picomatch glob matches, walking only below its base. */
  expand(pattern: string): string[] {
    const base = globBase(pattern);
    if (this.kind(base) !== 'dir') return [];
    const matches = globMatcher(pattern);
    const depth = pattern.includes('**') ? Infinity : pattern.split('/').length - (base ? base.split('/').length : 0);
    const found: string[] = [];
    const walk = (dir: string, level: number) => {
      for (const name of this.list(dir)) {
        const rel = dir ? `${dir}/${name}` : name;
        if (matches(rel)) found.push(rel);
        if (level < depth && this.kind(rel) === 'dir') walk(rel, level + 1);
      }
    };
    walk(base, 1);
    return found;
  }

  /** A shell script's text; undefined for binaries, huge files and what does not exist. */
  scriptText(rel: string): string | undefined {
    if (this.texts.has(rel)) return this.texts.get(rel);
    let text: string | undefined;
    try {
      const buffer = readFileSync(this.absolute(rel));
      const looksLikeShell = rel.endsWith('.sh') || /^#!\s*\S*\b(ba|da|k)?sh\b/.test(buffer.subarray(0, 80).toString());
      if (looksLikeShell && buffer.length < 4 << 20 && !buffer.includes(0)) text = buffer.toString('utf8');
    } catch {
      text = undefined;
    }
    this.texts.set(rel, text);
    return text;
  }

  readText(rel: string, maxBytes = 1 << 20): string | undefined {
    try {
      const buffer = readFileSync(this.absolute(rel));
      return buffer.length <= maxBytes ? buffer.toString('utf8') : undefined;
    } catch {
      return undefined;
    }
  }
}
