/**
 * The output digest of a snapshot: a hash of the tree a stage produced, computed from its tar stream
 * (the one the snapshot is written from, so the tree is never read twice), normalized so that only
 * what a later stage could notice counts:
 *   path, type, mode (setuid/setgid/sticky included), numeric owner and group, device numbers, size,
 *   BLAKE3 of the contents (contents-hash.ts says why), symlink target, hard-link group, extended attributes the archive carries
 *   (security.capability above all) — in path order, without any timestamp.
 * Hard links are normalized by group, not by which name tar met first (that follows readdir order):
 * every name of a group gets the contents' record plus the group's smallest name.
 *
 * Paths matching the stage's volatile patterns (logs, the build state file) are left out of both the
 * digest and the per-path manifest, so an explanation never lists a difference the digest ignores.
 */
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import picomatch from 'picomatch';
import { newContentsHasher, type ContentsHasher } from './contents-hash.js';
import { safeMemberPath } from './member-guard.js';
import { TarHeaderScanner, type TarMember } from './tar-headers.js';

/** 2: contents hashed with BLAKE3 (1 used sha256). */
export const OUTPUT_DIGEST_FORMAT = 2;

/** Path (relative to the root, no leading slash; '' is the root) → hash of its normalized record. */
export type OutputManifest = Map<string, string>;

export interface OutputDigest {
  /** sha256 (hex) over the manifest. */
  digest: string;
  manifest: OutputManifest;
  /** Members the archive held, volatile ones included. */
  members: number;
}

/** Bytes of a record hash kept in the manifest: 128 bits tell paths apart and keep 100k paths small. */
const RECORD_HASH_BYTES = 16;

interface Pending {
  path: string;
  member: TarMember;
  /** A regular file's contents are being hashed. */
  hashing: boolean;
}

/** Feed it the uncompressed archive (push), then finish(). */
export class OutputDigester {
  /** A digester with a contents hasher of its own. */
  static async create(volatile: readonly string[] = []): Promise<OutputDigester> {
    return new OutputDigester(volatile, await newContentsHasher());
  }

  private readonly scanner: TarHeaderScanner;
  private readonly ignored: (path: string) => boolean;
  /** path → normalized record (hard links resolved in finish). */
  private readonly records = new Map<string, string>();
  private readonly links = new Map<string, string>();
  private current?: Pending;
  private members = 0;

  constructor(
    volatile: readonly string[],
    private readonly contents: ContentsHasher,
  ) {
    this.ignored = volatile.length > 0 ? picomatch(volatile as string[], { dot: true }) : () => false;
    this.scanner = new TarHeaderScanner(
      (member) => this.onMember(member),
      (chunk) => {
        if (this.current?.hashing) this.contents.update(chunk);
      },
    );
  }

  get bytes(): number {
    return this.scanner.bytes;
  }

  push(chunk: Buffer): void {
    this.scanner.push(chunk);
  }

  finish(): OutputDigest {
    this.scanner.end();
    this.closeCurrent();
    const groups = new Map<string, string>();
    for (const [name, target] of this.links) {
      const smallest = groups.get(target) ?? target;
      groups.set(target, name < smallest ? name : smallest);
    }
    const manifest: OutputManifest = new Map();
    const paths = [...this.records.keys(), ...this.links.keys()].sort(byBytes);
    for (const p of paths) {
      const target = this.links.get(p);
      const base = target === undefined ? this.records.get(p)! : (this.records.get(target) ?? `missing-link-target\0${target}`);
      const group = groups.get(target ?? p);
      manifest.set(p, recordHash(group === undefined ? base : `${base}\0link\0${group}`));
    }
    const hash = createHash('sha256');
    for (const [p, h] of manifest) hash.update(`${p}\0${h}\n`, 'latin1');
    return { digest: hash.digest('hex'), manifest, members: this.members };
  }

  private onMember(member: TarMember): void {
    this.closeCurrent();
    this.members++;
    const name = safeMemberPath(member.name, member.name);
    if (this.ignored(name)) return;
    if (member.type === 'hardlink') {
      this.records.delete(name);
      this.links.set(name, safeMemberPath(member.linkname, member.name));
      return;
    }
    this.links.delete(name);
    const hashing = member.type === 'file';
    if (hashing) this.contents.begin();
    this.current = { path: name, member, hashing };
  }

  private closeCurrent(): void {
    const c = this.current;
    if (!c) return;
    this.current = undefined;
    this.records.set(c.path, normalizedRecord(c.member, c.hashing ? this.contents.end() : ''));
  }
}

/** Everything that counts about a member, in a fixed order; timestamps and owner names left out. */
function normalizedRecord(m: TarMember, contents: string): string {
  const xattrs = Object.entries(m.xattrs ?? {})
    .sort(([a], [b]) => byBytes(a, b))
    .map(([k, v]) => `${k}=${Buffer.from(v, 'latin1').toString('hex')}`)
    .join(',');
  const size = m.type === 'file' ? m.size : 0;
  const target = m.type === 'symlink' ? m.linkname : '';
  return [m.type, m.mode.toString(8), m.uid, m.gid, `${m.devmajor},${m.devminor}`, size, contents, target, xattrs].join('\0');
}

function recordHash(record: string): string {
  return createHash('sha256')
    .update(record, 'latin1')
    .digest('hex')
    .slice(0, RECORD_HASH_BYTES * 2);
}

/** Byte order of latin1 strings (code units are bytes), the same on every machine and locale. */
function byBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * A manifest as it travels in snapshot metadata: "<record hash> <path>\n" lines in path order, gzip,
 * base64. About 30 bytes a path after compression, so ~3 MB for Pizlix's 100k paths — small enough to
 * live in the metadata object every store already keeps, read only by explanations.
 */
export function encodeOutputManifest(manifest: OutputManifest): string {
  const lines: string[] = [];
  for (const [p, h] of manifest) lines.push(`${h} ${p}\n`);
  return gzipSync(Buffer.from(lines.join(''), 'latin1'), { level: 6 }).toString('base64');
}

export function decodeOutputManifest(encoded: string): OutputManifest {
  const text = gunzipSync(Buffer.from(encoded, 'base64')).toString('latin1');
  const manifest: OutputManifest = new Map();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const space = line.indexOf(' ');
    manifest.set(line.slice(space + 1), line.slice(0, space));
  }
  return manifest;
}

export interface OutputDifference {
  added: string[];
  removed: string[];
  changed: string[];
}

/** Which output paths differ between two manifests of one stage ('/'-rooted, as a person reads them). */
export function diffOutputs(before: OutputManifest, after: OutputManifest): OutputDifference {
  const shown = (p: string) => `/${p}`;
  const added: string[] = [];
  const changed: string[] = [];
  for (const [p, h] of after) {
    const old = before.get(p);
    if (old === undefined) added.push(shown(p));
    else if (old !== h) changed.push(shown(p));
  }
  const removed = [...before.keys()].filter((p) => !after.has(p)).map(shown);
  return { added, removed, changed };
}
