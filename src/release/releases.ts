/** Finding releases and their assets through the REST API. */
import { callApi, isNotFound, type GitHubConnection, type Repository } from './github.js';
import type { AssetRef } from './transfer.js';

export interface Release {
  id: number;
  tag: string;
  name: string;
  draft: boolean;
  prerelease: boolean;
  htmlUrl: string;
  uploadUrl: string;
  assets: Array<AssetRef & { digest?: string }>;
}

interface ApiRelease {
  id: number;
  tag_name: string;
  name?: string | null;
  draft: boolean;
  prerelease: boolean;
  html_url: string;
  upload_url: string;
}

interface ApiAsset {
  id: number;
  name: string;
  size: number;
  url: string;
  digest?: string | null;
}

/** "latest" (GitHub's latest release: newest non-draft, non-prerelease, or the one marked latest) or a tag. */
export async function findRelease(github: GitHubConnection, repository: Repository, tag: string): Promise<Release> {
  const where = `${repository.owner}/${repository.repo}`;
  const release =
    tag === 'latest'
      ? await callApi(`finding the latest release of ${where}`, () => github.octokit.rest.repos.getLatestRelease({ ...repository }))
      : await callApi(`finding release ${tag} of ${where}`, () => github.octokit.rest.repos.getReleaseByTag({ ...repository, tag }));
  return withAssets(github, repository, release.data);
}

/** A release by tag, drafts included (the tag endpoint does not return drafts); undefined when none. */
export async function findReleaseForPublishing(github: GitHubConnection, repository: Repository, tag: string): Promise<Release | undefined> {
  try {
    return await findRelease(github, repository, tag);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  const all = await callApi(`listing the releases of ${repository.owner}/${repository.repo}`, () =>
    github.octokit.paginate(github.octokit.rest.repos.listReleases, { ...repository, per_page: 100 }),
  );
  const draft = (all as ApiRelease[]).find((r) => r.tag_name === tag);
  return draft ? withAssets(github, repository, draft) : undefined;
}

export async function withAssets(github: GitHubConnection, repository: Repository, release: ApiRelease): Promise<Release> {
  const assets = (await callApi(`listing the assets of release ${release.tag_name}`, () =>
    github.octokit.paginate(github.octokit.rest.repos.listReleaseAssets, { ...repository, release_id: release.id, per_page: 100 }),
  )) as ApiAsset[];
  return {
    id: release.id,
    tag: release.tag_name,
    name: release.name ?? release.tag_name,
    draft: release.draft,
    prerelease: release.prerelease,
    htmlUrl: release.html_url,
    uploadUrl: release.upload_url,
    assets: assets.map((a) => ({ id: a.id, name: a.name, size: a.size, url: a.url, digest: a.digest ?? undefined })),
  };
}
