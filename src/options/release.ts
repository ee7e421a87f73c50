/** Options of the fetch and publish-release actions and the command line's fetch verb. */
import { scratchDir, storeOptions } from './common.js';
import { MAKE_LATEST } from '../release/publish.js';
import { boolean, choice, list, optionalChoice, numberOption, optionalText, pathOption, text } from './option.js';

export const fetchOptions = {
  source: optionalChoice(
    '`release` (GitHub Releases of `repository`) or `store` (one snapshot from a store by `key`). Default: store when key is given, else release.',
    ['release', 'store'] as const,
  ),
  repository: text('Repository whose releases to read, as owner/name (for source release); with run-id, the repository whose run holds the artifacts.', {
    placeholder: '<owner/name>',
  }),
  tag: text("Release tag, or `latest` for the repository's latest release.", { default: 'latest', placeholder: '<tag>' }),
  files: list('Asset names or globs to download, one per line or comma-separated; SHA256SUMS always comes along.', {
    default: 'disk.img.zst',
    placeholder: '<globs>',
  }),
  directory: pathOption('Where the files go. Default $RUNNER_TEMP/pizlix-release; pizlix-release on the command line.', {
    placeholder: '<dir>',
    fallback: (context) => (context.surface === 'action' ? scratchDir(context, 'pizlix-release') : 'pizlix-release'),
  }),
  unpack: boolean('Unpack disk.img.zst into disk.img (sparse) next to it.', { default: 'true' }),
  token: text('Token for the GitHub API (needed for private repositories; raises the rate limit). Default github.token; GITHUB_TOKEN on the command line.', {
    secret: true,
    actionDefault: '${{ github.token }}',
    only: 'action',
  }),
  ...storeOptions,
  'run-id': numberOption(
    "For store artifact: read the snapshots of this workflow run (of `repository`, default this repository) with `token`, e.g. a release pipeline reusing a build run's.",
    { min: 1, integer: true },
    {
      only: 'action',
    },
  ),
  stage: optionalText('Stage whose snapshot the key names (for source store); checked against the entry.', { placeholder: '<stage>' }),
  key: optionalText("Store key of the snapshot (for source store), e.g. the stage action's `key` output.", { placeholder: '<key>' }),
};

export const publishOptions = {
  tag: text("Tag of the release, e.g. v2026.11.25. Created at the workflow's commit when it does not exist.", {
    required: 'a release tag such as v2026.11.25',
  }),
  name: text('Title of the release. Default the tag.'),
  body: optionalText('Release notes (markdown).'),
  files: list('Files to upload, one path or glob per line (relative to the workspace). A SHA256SUMS among them is checked, otherwise one is computed.', {
    newlineOnly: true,
    required: 'one path or glob per line',
  }),
  repository: text('Repository to publish to, as owner/name.', {
    actionDefault: '${{ github.repository }}',
    fallback: (context) => context.env.GITHUB_REPOSITORY ?? '',
    required: 'owner/name',
  }),
  token: text('Token with contents write permission.', {
    secret: true,
    actionDefault: '${{ github.token }}',
    required: 'a token with contents: write permission',
  }),
  draft: boolean('Create the release as a draft.'),
  prerelease: boolean('Mark the release as a prerelease.'),
  'make-latest': choice("`true`, `false` or `legacy` (latest by date and version), as GitHub's make_latest.", MAKE_LATEST, { default: 'true' }),
};
