/** Options several verbs share: where the chain is (checkout, manifest, key material) and which store holds the snapshots. */
import os from 'node:os';
import path from 'node:path';
import type { StoreOptions } from '../store/index.js';
import { checkBucket, checkEndpoint, checkPrefix, checkRegion, DEFAULT_S3_PREFIX } from '../store/s3-layout.js';
import { STORE_KINDS } from '../store/types.js';
import { scopeFromEnvironment } from '../store/trust.js';
import { boolean, choice, list, optionalText, pathOption, refine, sizeOption, text } from './option.js';
import type { ReadContext } from './option.js';

/** Scratch directory of a verb: under RUNNER_TEMP in an action, under the system's temporary directory elsewhere. */
export function scratchDir(context: ReadContext, ...parts: string[]): string {
  const base =
    context.env.RUNNER_TEMP || path.join(context.env.TMPDIR || os.tmpdir(), context.surface === 'action' ? 'pizlix-stage-runner-temp' : 'pizlix-stage');
  return path.join(base, ...parts);
}

export const chainOptions = {
  'pizlix-dir': pathOption('The pizlix folder of the Fil-C checkout (relative to the workspace); its parent is the checkout whose files the keys hash.', {
    default: 'pizlix',
    placeholder: '<dir>',
  }),
  manifest: pathOption('A YAML stage manifest replacing or amending the chain read from the pizlix folder (see README).', { placeholder: '<file>' }),
  'key-extra': optionalText(
    'Extra key material, e.g. the runner image id, so that different build hosts do not share snapshots; must match across the jobs of a build.',
    {
      placeholder: '<text>',
    },
  ),
};

export const storeOptions = {
  store: choice(
    'Where snapshots live between jobs: local (a directory on the runner or a shared disk), s3 (an S3-compatible bucket, s3-*), actions-cache, artifact, or auto (s3 when s3-bucket is set, else local when store-path is set, else actions-cache). Default auto; local on the command line.',
    STORE_KINDS,
    {
      actionDefault: 'auto',
      fallback: (context) => (context.surface === 'cli' ? 'local' : 'auto'),
    },
  ),
  'store-path': pathOption('Directory of the local store. Default $RUNNER_TOOL_CACHE/pizlix-stage/store (~/.cache/pizlix-stage/store outside a runner).', {
    placeholder: '<dir>',
  }),
  's3-bucket': refine(
    optionalText(
      "Store s3: the bucket that holds the snapshots (with store auto, setting it picks s3). Credentials come from the AWS SDK's default chain, e.g. aws-actions/configure-aws-credentials.",
      { placeholder: '<name>' },
    ),
    (bucket, name) => (bucket ? checkBucket(bucket, name) : undefined),
  ),
  's3-prefix': refine(
    text('Store s3: the object prefix in the bucket; entries go under <prefix>/trusted/ and <prefix>/untrusted/<ref>/.', {
      default: DEFAULT_S3_PREFIX,
      placeholder: '<prefix>',
    }),
    (prefix, name) => checkPrefix(prefix, name),
  ),
  's3-endpoint': refine(
    optionalText('Store s3: the S3 API address of a server other than AWS (MinIO, Ceph RGW, R2, Garage), e.g. https://minio.example.com:9000.', {
      placeholder: '<url>',
    }),
    (endpoint, name) => (endpoint ? checkEndpoint(endpoint, name) : undefined),
  ),
  's3-region': refine(
    optionalText('Store s3: the region. Default AWS_REGION or AWS_DEFAULT_REGION, else us-east-1.', { placeholder: '<region>' }),
    (region, name) => (region ? checkRegion(region, name) : undefined),
  ),
  's3-force-path-style': boolean(
    'Store s3: address the bucket in the URL path (https://host/bucket/key) instead of the host name; true for most self-hosted servers.',
  ),
  'store-max-size': sizeOption('Evict least-recently-used entries of the local or s3 store beyond this size, e.g. 300G.'),
  'cache-budget': sizeOption(
    "The repository's Actions cache size limit (store actions-cache), e.g. 10G (github.com's default) or what the repository's settings allow. A snapshot of a fifth of it or more earns a warning in the job summary.",
    { default: '10G', only: 'action' },
  ),
  'trusted-refs': list('Refs whose builds are trusted (globs, comma or newline separated). Default the default branch and tags.', { only: 'action' }),
};

/** What openStore needs, from the store options as read (the trust scope from the job's environment). */
export function storeRequest(
  values: {
    store: string;
    storePath?: string;
    storeMaxSize?: number;
    cacheBudget?: number;
    trustedRefs?: string[];
    s3Bucket?: string;
    s3Prefix?: string;
    s3Endpoint?: string;
    s3Region?: string;
    s3ForcePathStyle?: boolean;
  },
  env: NodeJS.ProcessEnv = process.env,
): StoreOptions {
  return {
    kind: values.store,
    path: values.storePath,
    maxBytes: values.storeMaxSize,
    cacheBudgetBytes: values.cacheBudget,
    s3: { bucket: values.s3Bucket, prefix: values.s3Prefix, endpoint: values.s3Endpoint, region: values.s3Region, forcePathStyle: values.s3ForcePathStyle },
    scope: scopeFromEnvironment(env, values.trustedRefs),
  };
}
