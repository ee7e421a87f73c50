/** Options of the stage action and the command line's stage, build and pipeline verbs; and of the plan. */
import { chainOptions, scratchDir, storeOptions } from './common.js';
import { COMPILER_CACHE_KINDS, DEFAULT_COMPILER_CACHE_SIZE } from '../build/compiler-cache.js';
import { absolutePath, boolean, choice, numberOption, pathOption, sizeOption, text } from './option.js';

export const stageOptions = {
  stage: text('Stage to build, e.g. prelc, lc, postlc … postlc6 (a stage of the chain).', { required: 'a stage name such as prelc or postlc3' }),
  ...chainOptions,
  ...storeOptions,
  lfs: absolutePath('The LFS root the stage builds into (an absolute path). Emptied before a restore; never wiped while anything is mounted below it.', {
    default: '/mnt/lfs',
  }),
  'timeout-minutes': numberOption('Stop the stage script (and everything it started) after this many minutes.', { above: 0 }),
  'compiler-cache': choice(
    "Compiler cache of the stage's host-side builds (lc's LLVM and clang above all), carried between jobs by the store in the build's trust scope: ccache, none, or auto (ccache when it is installed). See README, Compiler cache.",
    COMPILER_CACHE_KINDS,
    { default: 'auto' },
  ),
  'compiler-cache-size': sizeOption('Most the compiler cache may hold (ccache max_size); least recently used objects are evicted beyond it, e.g. 5G.', {
    default: DEFAULT_COMPILER_CACHE_SIZE,
    min: 16 * 1024 ** 2,
    minText: '16M',
  }),
  'lookup-only': boolean('Only report whether the store has the stage (cache-hit); restore and build nothing.'),
  'pizlix-tarball': boolean(
    "'true': the stage script's lfs-<stage>.tar.gz is a real gzip tarball, as Pizlix writes it (pigz on every core), besides the store's zstd copy. " +
      "'false' (default): one zstd compression serves both: the file holds the zstd snapshot under Pizlix's name, which `tar -xpf` (so build_recover.sh and make_disk_image.sh) still reads, while gunzip and `tar -z` do not.",
  ),
  'reuse-lfs': boolean(
    'Skip a restore when $LFS already holds exactly that snapshot, as the restore of an earlier job on this runner left it (proven by the record that restore wrote and the unchanged inodes of the tree; see README, Snapshots and restores). false: always restore.',
    { default: 'true' },
  ),
  'work-dir': pathOption('Logs and scratch files.', { only: 'cli', placeholder: '<dir>', fallback: (context) => scratchDir(context) }),
};

export const planOptions = {
  ...chainOptions,
  ...storeOptions,
  'max-stages': numberOption('Fail when the chain has more stages than this: the number of stage jobs of the calling workflow. Empty for no limit.', {
    min: 1,
    integer: true,
  }),
  json: boolean('Print the plan as JSON.', { only: 'cli' }),
};

/** Options of the command line's chain verbs (inputs, check, manifest): where the chain is, nothing about stores. */
export const chainVerbOptions = {
  ...chainOptions,
  json: boolean('Print JSON.', { only: 'cli' }),
};
