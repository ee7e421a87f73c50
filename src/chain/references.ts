/**
 * What reading a stage's scripts finds: the checkout paths it reads, what it downloads, and references that
 * lead nowhere. Every finding keeps the script lines that led to it, entry script first.
 */

/** A script line: checkout-relative file and 1-based line. */
export interface Origin {
  file: string;
  line: number;
}

/** Entry script line → … → the line that names the path. */
export type Trail = Origin[];

export type InputKind = 'file' | 'tree' | 'glob';

export interface InputReference {
  /** Checkout-relative file, directory (every file below it) or glob. */
  path: string;
  kind: InputKind;
  /**
   * Hash what is on disk, files git ignores included: copied files and globs, trees git does not track,
   * projeny work trees. Otherwise git's view counts (tracked files with their edits, untracked files).
   */
  onDisk: boolean;
  /**
   * A work tree some tool set up (projeny): only files changed after this checkout-relative file (the tool's
   * record of the setup) count, so the setup itself, run by the build, changes no key.
   */
  editedSince?: string;
  /** What the script does with it, for `inputs`: "runs", "copies", "packages", "projeny pin" … */
  how: string;
  trail: Trail;
}

export interface NetworkReference {
  url: string;
  /** sha256/sha512 checksums named on the same command line. */
  checksums: string[];
  trail: Trail;
}

/** A reference that resolves to nothing in the checkout. */
export interface Hole {
  /** Checkout-relative path or glob as the script names it. */
  path: string;
  what: string;
  trail: Trail;
}

/** A reference the reader could not evaluate; `widenedTo` is the input that stands for it. */
export interface Unresolved {
  text: string;
  widenedTo?: string;
  trail: Trail;
}

export interface StageReading {
  stage: string;
  inputs: InputReference[];
  network: NetworkReference[];
  holes: Hole[];
  unresolved: Unresolved[];
  /** Checkout paths the build writes (downloads, directories it creates): never inputs. */
  outputs: string[];
}

export function formatOrigin(origin: Origin): string {
  return `${origin.file}:${origin.line}`;
}

/** "build_x.sh:12 → package-source.sh:30": the last two steps of a trail (the caller and the line). */
export function formatTrail(trail: Trail, steps = 2): string {
  return trail.slice(-steps).map(formatOrigin).join(' → ');
}
