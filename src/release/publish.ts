/**
 * Publishing release files as GitHub Release assets. Idempotent: re-running on an existing release
 * uploads what is missing, replaces what changed and leaves identical assets alone. SHA256SUMS is
 * computed over the files unless one is given (then it must list every file correctly), and is
 * uploaded last, so a consumer never sees it list a file whose upload is still missing.
 */
import { mkdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { InputError, IntegrityError } from '../util/errors.js';
import { writeFileAtomic } from '../util/fsx.js';
import { sha256Text } from '../util/hash.js';
import { log } from '../util/log.js';
import { SHA256SUMS, assertChecksum, checksumFiles, formatChecksums, parseChecksums, type Checksums } from './checksums.js';
import { callApi, type GitHubConnection, type Repository } from './github.js';
import { findReleaseForPublishing, withAssets, type Release } from './releases.js';
import { downloadAssetText, uploadAsset } from './transfer.js';

export const MAKE_LATEST = ['true', 'false', 'legacy'] as const;

export interface PublishOptions {
  repository: Repository;
  tag: string;
  name: string;
  files: string[];
  draft: boolean;
  prerelease: boolean;
  makeLatest: (typeof MAKE_LATEST)[number];
  body?: string;
  /** Commit the tag is created at when it does not exist yet (the workflow's GITHUB_SHA). */
  targetCommit?: string;
  /** Where a computed SHA256SUMS is written. */
  workDir: string;
}

export interface PublishedRelease {
  tag: string;
  url: string;
  created: boolean;
  uploaded: string[];
  replaced: string[];
  unchanged: string[];
  sha256sums: string;
}

type AssetAction = 'uploaded' | 'replaced' | 'unchanged';

export async function publishRelease(github: GitHubConnection, options: PublishOptions): Promise<PublishedRelease> {
  const { payload, sums, sumsFile } = await prepareFiles(options.files, options.workDir);
  const existing = await findReleaseForPublishing(github, options.repository, options.tag);
  const release = existing ?? (await createRelease(github, options));
  log.info(`${existing ? 'updating' : 'created'} release ${release.tag}: ${release.htmlUrl}`);
  const previousSums = await previousChecksums(github, release);

  const result: PublishedRelease = {
    tag: release.tag,
    url: release.htmlUrl,
    created: !existing,
    uploaded: [],
    replaced: [],
    unchanged: [],
    sha256sums: sumsFile,
  };
  const sumsHash = sha256Text(await readFile(sumsFile));
  for (const [file, hash] of [...payload.map((f) => [f, sums.get(path.basename(f))!] as const), [sumsFile, sumsHash] as const]) {
    const action = await putAsset(github, options.repository, release, previousSums, file, hash);
    result[action].push(path.basename(file));
  }
  return result;
}

/** Hashes the files and writes (or checks) SHA256SUMS. */
async function prepareFiles(files: string[], workDir: string): Promise<{ payload: string[]; sums: Checksums; sumsFile: string }> {
  const names = files.map((f) => path.basename(f));
  const duplicate = names.find((n, i) => names.indexOf(n) !== i);
  if (duplicate) throw new InputError('files', `two files are named ${duplicate}; release assets need unique names`, 'files with distinct base names');
  const given = files.find((f) => path.basename(f) === SHA256SUMS);
  const payload = files.filter((f) => f !== given);
  if (payload.length === 0) throw new InputError('files', 'lists no file to publish besides SHA256SUMS', 'the release files');
  const sums = await checksumFiles(payload);
  if (given) {
    const listed = parseChecksums(await readFile(given, 'utf8'), given);
    for (const [name, actual] of sums) {
      const expected = listed.get(name);
      if (!expected) throw new IntegrityError(`${given} does not list ${name}`);
      assertChecksum(name, expected, actual);
    }
    return { payload, sums, sumsFile: given };
  }
  await mkdir(workDir, { recursive: true });
  const sumsFile = path.join(workDir, SHA256SUMS);
  await writeFileAtomic(sumsFile, formatChecksums(sums));
  return { payload, sums, sumsFile };
}

async function createRelease(github: GitHubConnection, options: PublishOptions): Promise<Release> {
  const { data } = await callApi(`creating release ${options.tag}`, () =>
    github.octokit.rest.repos.createRelease({
      ...options.repository,
      tag_name: options.tag,
      // Without it GitHub tags the default branch's head, which need not be what was built.
      ...(options.targetCommit ? { target_commitish: options.targetCommit } : {}),
      name: options.name || options.tag,
      body: options.body,
      draft: options.draft,
      prerelease: options.prerelease,
      // Drafts and prereleases cannot be the latest release; GitHub decides that when they are published.
      ...(options.draft || options.prerelease ? {} : { make_latest: options.makeLatest }),
    }),
  );
  return withAssets(github, options.repository, data);
}

/** The hashes the release's current SHA256SUMS records: how to tell changed assets where GitHub reports no digest. */
async function previousChecksums(github: GitHubConnection, release: Release): Promise<Checksums> {
  const asset = release.assets.find((a) => a.name === SHA256SUMS);
  if (!asset) return new Map();
  try {
    return parseChecksums(await downloadAssetText(github, asset));
  } catch (err) {
    log.warning(`the release's current ${SHA256SUMS} is unreadable (${(err as Error).message}); every asset will be re-uploaded`);
    return new Map();
  }
}

async function putAsset(
  github: GitHubConnection,
  repository: Repository,
  release: Release,
  previous: Checksums,
  file: string,
  hash: string,
): Promise<AssetAction> {
  const name = path.basename(file);
  const current = release.assets.find((a) => a.name === name);
  if (current) {
    const size = (await stat(file)).size;
    const same = current.digest ? current.digest === `sha256:${hash}` : current.size === size && previous.get(name) === hash;
    if (same) {
      log.info(`${name}: already on the release, unchanged`);
      return 'unchanged';
    }
    log.info(`${name}: changed since the last upload; replacing it`);
    await callApi(`deleting the old ${name}`, () => github.octokit.rest.repos.deleteReleaseAsset({ ...repository, asset_id: current.id }));
  }
  await uploadAsset(github, release.uploadUrl, file, name);
  return current ? 'replaced' : 'uploaded';
}
