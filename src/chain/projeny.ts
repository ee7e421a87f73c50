/**
 * projeny pins (`projects/<name>.projeny`): a release tarball plus a patch. The headers name the tarball
 * (`Archive:`, next to the pin) and the work tree (`Name:`, next to the pin) that `projeny setup` unpacks;
 * `projeny package` packages that work tree as it is, uncommitted edits included, so the pin, its tarball
 * and its work tree are all inputs. Git tracks the pin and the tarball, never the work tree.
 */
import path from 'node:path';
import type { CheckoutView } from './checkout-view.js';

export interface ProjenyPin {
  /** Checkout-relative path of the .projeny file. */
  pin: string;
  /** Checkout-relative path of the tarball its Archive: header names. */
  archive?: string;
  /** Checkout-relative path of the work tree its Name: header names. */
  workTree?: string;
}

/** Reads the header block (up to the first blank line) of a .projeny file. */
export function parseProjenyHeaders(text: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (line.trim() === '') break;
    const match = /^([A-Za-z][\w-]*):\s*(.*?)\s*$/.exec(line);
    if (match) headers[match[1]] = match[2];
  }
  return headers;
}

/**
 * The pin a `projeny <command> <arg>` names: the .projeny file itself, a work tree `<dir>` whose pin is
 * `<dir>.projeny`, or a directory holding exactly one pin.
 */
export function findPin(view: CheckoutView, rel: string): string | undefined {
  if (rel.endsWith('.projeny')) return view.kind(rel) === 'file' ? rel : undefined;
  if (view.kind(`${rel}.projeny`) === 'file') return `${rel}.projeny`;
  if (view.kind(rel) === 'dir') {
    const pins = view.list(rel).filter((n) => n.endsWith('.projeny'));
    if (pins.length === 1) return `${rel}/${pins[0]}`;
  }
  return undefined;
}

export function readPin(view: CheckoutView, pin: string): ProjenyPin {
  const headers = parseProjenyHeaders(view.readText(pin, 64 << 20) ?? '');
  const dir = path.posix.dirname(pin);
  const near = (name: string | undefined) => (name && !name.includes('/') && name !== '..' ? (dir === '.' ? name : `${dir}/${name}`) : undefined);
  return { pin, archive: near(headers.Archive), workTree: near(headers.Name) };
}
