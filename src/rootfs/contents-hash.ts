/**
 * The hash of a member's contents inside an output digest: BLAKE3, one file at a time.
 *
 * Why BLAKE3 and not sha256 (which every other hash here is): the digest is taken while the save runs, and on a
 * 2-core runner the save's zstd keeps both cores busy, so every CPU second of the digest lengthens the save.
 * sha256 of the stream took about 1 s per GB there (SHA-NI, under that load) and was most of a 20 % longer save;
 * BLAKE3's native code hashes at about 5 GB/s (AVX-512, AVX2). It is @napi-rs/blake-hash's prebuilt binding for
 * x86-64 Linux with glibc, Pizlix's only platform, taken as an optional dependency of its own (the umbrella package
 * lists every platform's binding, which npm's lock file does not keep: npm/cli#4828); elsewhere hash-wasm's BLAKE3
 * computes the same bytes more slowly (about 0.7 GB/s), so a digest never depends on the machine that took it.
 */
import { createBLAKE3, type IHasher } from 'hash-wasm';
import { errorMessage } from '../util/errors.js';
import { log } from '../util/log.js';

/** Hashes one member's contents after another (begin, update…, end); one member at a time. */
export interface ContentsHasher {
  readonly implementation: 'native' | 'portable';
  begin(): void;
  update(data: Uint8Array): void;
  /** Hex BLAKE3 of what was given since begin. */
  end(): string;
}

/** Which implementation this process uses, decided (and any warning given) once. */
let chosen: Promise<() => Promise<ContentsHasher>> | undefined;

/**
 * A hasher of its own for one digester (a hasher holds one member's state, so digesters never share one): the
 * native binding when it loads, else the portable one.
 */
export async function newContentsHasher(): Promise<ContentsHasher> {
  chosen ??= nativeHasher().then(
    () => nativeHasher,
    (err) => {
      log.warning(`BLAKE3's native binding did not load (${errorMessage(err)}); output digests use the portable one, several times slower`);
      return portableHasher;
    },
  );
  return (await chosen)();
}

export async function nativeHasher(): Promise<ContentsHasher> {
  if (process.platform !== 'linux' || process.arch !== 'x64') throw new Error(`no binding is bundled for ${process.platform}-${process.arch}`);
  const { Blake3Hasher } = (await import('./blake3-binding.cjs')).default; // module.exports, under Node and in the bundle
  const hasher = new Blake3Hasher();
  return {
    implementation: 'native',
    begin: () => hasher.reset(),
    update: (data) => void hasher.update(data),
    end: () => hasher.digest('hex'),
  };
}

export async function portableHasher(): Promise<ContentsHasher> {
  const hasher: IHasher = await createBLAKE3();
  return {
    implementation: 'portable',
    begin: () => void hasher.init(),
    update: (data) => void hasher.update(data),
    end: () => hasher.digest('hex'),
  };
}
