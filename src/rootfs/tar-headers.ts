/**
 * A header-only reader of tar streams: it sees every member's name, type, link target and size and
 * skips file data without copying it. Written by hand because the libraries of the field (tar-stream,
 * node-tar) hand every data chunk through a stream per member: tar-stream took 3.5 s per GiB here,
 * which was most of a restore, while this walk keeps up with tar itself.
 *
 * It reads what GNU tar writes and reads: v7, ustar (with its name prefix), GNU ('L' long names,
 * 'K' long link targets, base-256 sizes, old 'S' sparse files) and pax ('x' records for path,
 * linkpath, size and GNU's sparse names). Anything GNU tar would read differently from this walk is
 * refused instead of guessed: a header with a bad checksum (tar would skip ahead to the next header it
 * recognises), data on a member type that has none, global pax records that rename members.
 */
import { UnsafeArchiveError } from '../util/errors.js';

export type MemberType = 'file' | 'hardlink' | 'symlink' | 'character-device' | 'block-device' | 'directory' | 'fifo';

export interface TarMember {
  /** As written in the archive (not normalized), bytes decoded one to one (latin1). */
  name: string;
  type: MemberType;
  /** Target of a hard link or symlink; '' otherwise. */
  linkname: string;
  /** Bytes of file contents once extracted (a sparse file's full size). */
  size: number;
  /** Permission bits with setuid, setgid and sticky (the header's mode, less any file-type bits). */
  mode: number;
  /** Numeric owner and group (pax uid/gid when present). */
  uid: number;
  gid: number;
  /** Device numbers of a character or block device; 0 otherwise. */
  devmajor: number;
  devminor: number;
  /** Extended attributes from pax records (SCHILY.xattr.*, as GNU tar --xattrs writes them), values as latin1 bytes. */
  xattrs?: Record<string, string>;
}

/** Receives the data bytes of each member (padding excluded), in order, after its onMember call. */
export type MemberDataSink = (chunk: Buffer) => void;

const BLOCK = 512;
/** Long names and pax records are small; a huge one is a hostile archive, not a file name. */
const MAX_METADATA_BYTES = 1 << 20;

const TYPES: Record<string, MemberType> = {
  '0': 'file',
  '\0': 'file',
  '7': 'file',
  S: 'file',
  '1': 'hardlink',
  '2': 'symlink',
  '3': 'character-device',
  '4': 'block-device',
  '5': 'directory',
  D: 'directory',
  '6': 'fifo',
};
/** Types whose data blocks follow the header. */
const WITH_DATA = new Set(['0', '\0', '7', 'S', 'D', 'L', 'K', 'x', 'g']);

function field(block: Buffer, offset: number, length: number): string {
  const end = block.indexOf(0, offset);
  return block.toString('latin1', offset, end === -1 || end > offset + length ? offset + length : end);
}

/** A numeric field as GNU tar reads it: octal (spaces and NULs around it), or base-256 when the high bit is set. */
function numeric(block: Buffer, offset: number, length: number, what: string): number {
  if (block[offset] & 0x80) {
    if (block[offset] === 0xff) throw new UnsafeArchiveError(field(block, 0, 100), `negative ${what}`);
    let value = block[offset] & 0x7f;
    for (let i = offset + 1; i < offset + length; i++) value = value * 256 + block[i];
    if (!Number.isSafeInteger(value)) throw new UnsafeArchiveError(field(block, 0, 100), `${what} out of range`);
    return value;
  }
  const text = block
    .toString('latin1', offset, offset + length)
    .replace(/[\0 ]+$/, '')
    .replace(/^ +/, '');
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new UnsafeArchiveError(field(block, 0, 100), `${what} '${text}' is not an octal number`);
  return parseInt(text, 8);
}

function checksumMatches(block: Buffer): boolean {
  const recorded = numeric(block, 148, 8, 'header checksum');
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const byte = i >= 148 && i < 156 ? 0x20 : block[i];
    unsigned += byte;
    signed += byte > 127 ? byte - 256 : byte;
  }
  return recorded === unsigned || recorded === signed;
}

function isZeroBlock(block: Buffer, offset: number): boolean {
  for (let i = offset; i < offset + BLOCK; i++) if (block[i] !== 0) return false;
  return true;
}

/** "<length> <key>=<value>\n" records of a pax extended header. */
function parsePaxRecords(data: Buffer): Map<string, string> {
  const records = new Map<string, string>();
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    const length = space === -1 ? NaN : Number(data.toString('latin1', at, space));
    if (!Number.isSafeInteger(length) || length <= 0 || at + length > data.length) {
      if (data.subarray(at).every((b) => b === 0)) break;
      throw new UnsafeArchiveError('(pax header)', 'malformed pax record');
    }
    const record = data.toString('latin1', space + 1, at + length - 1);
    const equals = record.indexOf('=');
    if (equals > 0) records.set(record.slice(0, equals), record.slice(equals + 1));
    at += length;
  }
  return records;
}

/** Pending metadata that applies to the next real member. */
interface Pending {
  longName?: string;
  longLink?: string;
  pax?: Map<string, string>;
}

type Collecting = { kind: 'L' | 'K' | 'x' | 'g'; chunks: Buffer[]; remaining: number; padding: number };

/**
 * Feed it the archive's bytes in order (push), then end(); a chunk may be reused once push returns (the data sink
 * must copy what it keeps). It calls onMember for each member and
 * throws UnsafeArchiveError (from push or end) on anything it will not vouch for.
 */
export class TarHeaderScanner {
  private header = Buffer.alloc(BLOCK);
  private headerFill = 0;
  /** Bytes of data (and padding) still to skip. */
  private skip = 0;
  /** GNU sparse extension headers still to read. */
  private sparseExtensions = 0;
  /** Data blocks of a GNU sparse member, skipped once its extension headers are read. */
  private sparseData = 0;
  private collecting?: Collecting;
  private pending: Pending = {};
  private offset = 0;
  private ended = false;
  /** Of `skip`, bytes that are the current member's data (the rest is padding), for the data sink. */
  private dataLeft = 0;
  /** Stored data bytes of a GNU sparse member, passed on once its extension headers are read. */
  private sparseStored = 0;
  /** Bytes consumed so far (the uncompressed archive). */
  get bytes(): number {
    return this.offset;
  }
  /** True once the end-of-archive block was seen; later bytes are ignored, as GNU tar ignores them. */
  get complete(): boolean {
    return this.ended;
  }

  constructor(
    private readonly onMember: (member: TarMember) => void,
    private readonly onData?: MemberDataSink,
  ) {}

  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length && !this.ended) {
      const before = at;
      if (this.skip > 0) {
        at += Math.min(this.skip, chunk.length - at);
        this.skip -= at - before;
        if (this.dataLeft > 0) {
          const data = Math.min(this.dataLeft, at - before);
          this.dataLeft -= data;
          this.onData?.(chunk.subarray(before, before + data));
        }
      } else if (this.collecting) {
        at = this.collect(chunk, at);
      } else if (this.headerFill === 0 && chunk.length - at >= BLOCK) {
        // A whole header in the chunk is read in place; one split across chunks is copied together first.
        at += BLOCK;
        this.onHeaderBlock(chunk.subarray(before, at));
      } else {
        at += Math.min(BLOCK - this.headerFill, chunk.length - at);
        chunk.copy(this.header, this.headerFill, before, at);
        this.headerFill += at - before;
        if (this.headerFill === BLOCK) {
          this.headerFill = 0;
          this.onHeaderBlock(this.header);
        }
      }
      this.offset += at - before;
    }
  }

  /** Throws when the stream stopped inside a member. */
  end(): void {
    if (this.ended) return;
    if (this.skip > 0 || this.headerFill > 0 || this.collecting || this.sparseExtensions > 0 || Object.keys(this.pending).length > 0) {
      throw new UnsafeArchiveError('(end of archive)', 'the archive is truncated: it ends inside a member');
    }
  }

  private onHeaderBlock(block: Buffer): void {
    if (this.sparseExtensions > 0) {
      // 21 sparse entries of 24 bytes, then the "more extensions follow" flag at 504.
      this.sparseExtensions = block[504] ? 1 : 0;
      if (this.sparseExtensions === 0) {
        this.skip = this.sparseData;
        this.dataLeft = this.sparseStored;
      }
      return;
    }
    if (isZeroBlock(block, 0)) {
      this.ended = true;
      return;
    }
    if (!checksumMatches(block)) throw new UnsafeArchiveError(field(block, 0, 100), "its header's checksum does not match (a damaged or crafted archive)");
    const typeflag = String.fromCharCode(block[156]);
    const size = numeric(block, 124, 12, 'size');
    const dataBlocks = Math.ceil(size / BLOCK) * BLOCK;
    if (typeflag === 'L' || typeflag === 'K' || typeflag === 'x' || typeflag === 'g') {
      if (size > MAX_METADATA_BYTES) throw new UnsafeArchiveError(field(block, 0, 100), `a ${size}-byte metadata header`);
      this.collecting = { kind: typeflag, chunks: [], remaining: size, padding: dataBlocks - size };
      return;
    }
    if (typeflag === 'M' || typeflag === 'N')
      throw new UnsafeArchiveError(field(block, 0, 100), `member type '${typeflag}' (multi-volume or old GNU long names) is not supported`);
    if (typeflag === 'V') {
      this.skip = dataBlocks; // a volume label: GNU tar extracts nothing
      this.pending = {};
      return;
    }
    const type = TYPES[typeflag] ?? 'file'; // GNU tar extracts unknown types as regular files
    const pax = this.pending.pax;
    const dataSize = pax?.has('size') ? Number(pax.get('size')) : size;
    if (!Number.isSafeInteger(dataSize) || dataSize < 0) throw new UnsafeArchiveError(field(block, 0, 100), 'pax size is not a number');
    if (dataSize > 0 && !WITH_DATA.has(typeflag) && TYPES[typeflag] !== undefined) {
      throw new UnsafeArchiveError(field(block, 0, 100), `a ${type} member carrying ${dataSize} bytes of data`);
    }
    const member: TarMember = {
      name: this.memberName(block),
      type,
      linkname: this.pending.longLink ?? pax?.get('linkpath') ?? field(block, 157, 100),
      size: dataSize,
      mode: numeric(block, 100, 8, 'mode') & 0o7777,
      uid: pax?.has('uid') ? Number(pax.get('uid')) : numeric(block, 108, 8, 'uid'),
      gid: pax?.has('gid') ? Number(pax.get('gid')) : numeric(block, 116, 8, 'gid'),
      devmajor: type === 'character-device' || type === 'block-device' ? numeric(block, 329, 8, 'device major') : 0,
      devminor: type === 'character-device' || type === 'block-device' ? numeric(block, 337, 8, 'device minor') : 0,
    };
    if (pax) {
      for (const [k, v] of pax) if (k.startsWith('SCHILY.xattr.')) (member.xattrs ??= {})[k.slice('SCHILY.xattr.'.length)] = v;
    }
    if (typeflag === 'S') {
      member.size = numeric(block, 483, 12, 'sparse real size');
      if (block[482]) {
        this.sparseExtensions = 1;
        this.sparseData = Math.ceil(dataSize / BLOCK) * BLOCK;
        this.sparseStored = dataSize;
      }
    } else if (pax?.has('GNU.sparse.realsize') || pax?.has('GNU.sparse.size')) {
      member.size = Number(pax.get('GNU.sparse.realsize') ?? pax.get('GNU.sparse.size'));
    }
    if (type === 'directory' && typeflag !== 'D') member.size = 0;
    this.pending = {};
    this.onMember(member);
    if (this.sparseExtensions === 0) {
      this.skip = Math.ceil(dataSize / BLOCK) * BLOCK;
      this.dataLeft = dataSize;
    }
  }

  private memberName(block: Buffer): string {
    const pax = this.pending.pax;
    const sparseName = pax?.get('GNU.sparse.name');
    if (sparseName !== undefined) return sparseName;
    if (this.pending.longName !== undefined) return this.pending.longName;
    if (pax?.has('path')) return pax.get('path')!;
    const name = field(block, 0, 100);
    // POSIX ustar ("ustar\0") splits long names into prefix/name; GNU's "ustar  " uses those bytes for times.
    if (block.toString('latin1', 257, 263) === 'ustar\0') {
      const prefix = field(block, 345, 155);
      if (prefix) return `${prefix}/${name}`;
    }
    return name;
  }

  private collect(chunk: Buffer, at: number): number {
    const c = this.collecting!;
    if (c.remaining > 0) {
      const n = Math.min(c.remaining, chunk.length - at);
      c.chunks.push(Buffer.from(chunk.subarray(at, at + n))); // a copy: the caller may reuse its chunk after push
      c.remaining -= n;
      at += n;
      if (c.remaining > 0) return at;
    }
    this.collecting = undefined;
    this.skip = c.padding;
    const data = Buffer.concat(c.chunks);
    if (c.kind === 'L') this.pending.longName = field(data, 0, data.length);
    else if (c.kind === 'K') this.pending.longLink = field(data, 0, data.length);
    else if (c.kind === 'x') this.pending.pax = new Map([...(this.pending.pax ?? []), ...parsePaxRecords(data)]);
    else {
      const global = parsePaxRecords(data);
      for (const key of ['path', 'linkpath', 'size', 'GNU.sparse.name']) {
        if (global.has(key)) throw new UnsafeArchiveError('(pax global header)', `a global '${key}' record, which would apply to every later member`);
      }
    }
    return at;
  }
}
