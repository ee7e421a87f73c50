/**
 * Fetching a Pizlix release for consumers: find the release, read its SHA256SUMS, download the
 * wanted assets verified against it, and unpack disk.img.zst into a sparse disk.img.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import picomatch from 'picomatch';
import { InputError, IntegrityError } from '../util/errors.js';
import { sha256File } from '../util/hash.js';
import { log } from '../util/log.js';
import { IMAGE_FILES, SHA256SUMS, parseChecksums } from './checksums.js';
import { writeFileAtomic } from '../util/fsx.js';
import type { GitHubConnection, Repository } from './github.js';
import { findRelease } from './releases.js';
import { downloadAsset, downloadAssetText } from './transfer.js';
import { unpackZstd } from './unpack.js';

export interface FetchReleaseOptions {
  repository: Repository;
  /** "latest" or a tag. */
  tag: string;
  /** Globs of asset names to download (SHA256SUMS always comes along). */
  patterns: string[];
  directory: string;
  unpack: boolean;
}

/** Where the fetched pieces are; each optional one is set when the release had it and it was asked for. */
export interface FetchedRelease {
  tag: string;
  url: string;
  directory: string;
  sha256sums: string;
  files: string[];
  image?: string;
  vmdk?: string;
  snapshot?: string;
}

const SNAPSHOT_NAME = /\.tar(\.(zst|gz))?$/;

export async function fetchRelease(github: GitHubConnection, options: FetchReleaseOptions): Promise<FetchedRelease> {
  if (options.patterns.length === 0) throw new InputError('files', 'names no asset', 'asset names or globs, e.g. disk.img.zst');
  const release = await findRelease(github, options.repository, options.tag);
  log.info(`release ${release.tag} (${release.htmlUrl}): ${release.assets.length} assets`);

  const sumsAsset = release.assets.find((a) => a.name === SHA256SUMS);
  if (!sumsAsset) throw new IntegrityError(`release ${release.tag} has no ${SHA256SUMS} asset, so its files cannot be verified`);
  const sumsText = await downloadAssetText(github, sumsAsset);
  const sums = parseChecksums(sumsText, `${SHA256SUMS} of ${release.tag}`);
  const wanted = selectAssets(
    release.assets.map((a) => a.name).filter((n) => n !== SHA256SUMS),
    options.patterns,
    release.tag,
  );

  await mkdir(options.directory, { recursive: true });
  const files: string[] = [];
  for (const name of wanted) {
    const asset = release.assets.find((a) => a.name === name)!;
    const expected = sums.get(name);
    if (!expected) throw new IntegrityError(`${name} is not listed in ${SHA256SUMS} of release ${release.tag}; refusing an unverifiable file`);
    const target = path.join(options.directory, name);
    if (await alreadyVerified(target, expected)) log.info(`${name} is already here and matches ${SHA256SUMS}`);
    else await downloadAsset(github, asset, target, expected);
    files.push(target);
  }
  const sha256sums = path.join(options.directory, SHA256SUMS);
  await writeFileAtomic(sha256sums, sumsText);

  const fetched: FetchedRelease = { tag: release.tag, url: release.htmlUrl, directory: options.directory, sha256sums, files };
  for (const file of files) {
    const name = path.basename(file);
    if (name === IMAGE_FILES.image) fetched.image = file;
    else if (name === IMAGE_FILES.compressed && options.unpack) {
      fetched.image = path.join(options.directory, IMAGE_FILES.image);
      await unpackZstd(file, fetched.image);
    } else if (name.endsWith('.vmdk')) fetched.vmdk ??= file;
    else if (SNAPSHOT_NAME.test(name)) fetched.snapshot ??= file;
  }
  return fetched;
}

/** Asset names matching the patterns, in release order; every pattern must match something. */
export function selectAssets(names: string[], patterns: string[], tag: string): string[] {
  for (const pattern of patterns) {
    if (!names.some((n) => picomatch.isMatch(n, pattern))) {
      throw new InputError('files', `no asset of release ${tag} matches '${pattern}'`, `names among: ${names.join(', ') || '(the release has no assets)'}`);
    }
  }
  return names.filter((n) => picomatch.isMatch(n, patterns));
}

async function alreadyVerified(file: string, expected: string): Promise<boolean> {
  try {
    return (await sha256File(file)) === expected;
  } catch {
    return false;
  }
}
