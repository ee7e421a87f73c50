/** Options of the stage action and the command line's stage, build and pipeline verbs; and of the plan. */
import { chainOptions, scratchDir, storeOptions } from './common.js';
import { COMPILER_CACHE_KINDS, DEFAULT_COMPILER_CACHE_SIZE } from '../build/compiler-cache.js';
import { absolutePath, boolean, choice, numberOption, pathOption, sizeOption, text } from './option.js';

export const stageOptions = {
  stage: text('Stage to build, e.g. prelc, lc, postlc … postlc6 (a stage of the chain).', { required: 'a stage name such as prelc or postlc3' }),
  ...chainOptions,
  ...storeOptions,
  lfs: absolutePath('The LFS root the stage builds into (an absolute path). Emptied before a restore; never wiped while anything is mounted below it.', { default: '/mnt/lfs' }),
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
  'work-dir': pathOption('Logs and scratch files.', { only: 'cli', placeholder: '<dir>', fallback: (context) => scratchDir(context) }),
};

export const planOptions = {
  ...chainOptions,
  ...storeOptions,
  json: boolean('Print the plan as JSON.', { only: 'cli' }),
};
