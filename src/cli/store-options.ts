/** The command line's store options, shared by every verb that reads or writes a store. */
import path from 'node:path';
import { Option, type Command } from 'commander';
import { defaultStorePath, openStore } from '../store/index.js';
import { DEFAULT_S3_PREFIX } from '../store/s3-layout.js';
import { scopeFromEnvironment } from '../store/trust.js';
import type { SnapshotStore } from '../store/types.js';

export interface StoreCommandOptions {
  store: 'local' | 's3';
  storePath: string;
  s3Bucket?: string;
  s3Prefix?: string;
  s3Endpoint?: string;
  s3Region?: string;
  s3ForcePathStyle?: boolean;
}

export function withStoreOptions(command: Command): Command {
  return command
    .addOption(new Option('--store <kind>', 'local (a directory) or s3 (an S3-compatible bucket)').choices(['local', 's3']).default('local'))
    .option('--store-path <dir>', 'directory of the local store', defaultStorePath())
    .option('--s3-bucket <name>', 'store s3: the bucket (credentials from the AWS environment, shared files or a role)')
    .option('--s3-prefix <prefix>', 'store s3: the object prefix in the bucket', DEFAULT_S3_PREFIX)
    .option('--s3-endpoint <url>', 'store s3: the S3 API address of a server other than AWS (MinIO, Ceph, R2, Garage)')
    .option('--s3-region <region>', 'store s3: the region (default AWS_REGION, else us-east-1)')
    .option('--s3-force-path-style', 'store s3: the bucket in the URL path (most self-hosted servers)');
}

/** The store the options name. A workstation's build is trusted: it writes `trusted/` of a bucket when its credential may. */
export function openCommandStore(options: StoreCommandOptions, maxSize?: string): Promise<SnapshotStore> {
  return openStore({
    kind: options.store,
    path: path.resolve(options.storePath),
    maxSize,
    s3: { bucket: options.s3Bucket, prefix: options.s3Prefix, endpoint: options.s3Endpoint, region: options.s3Region, forcePathStyle: options.s3ForcePathStyle },
    scope: scopeFromEnvironment({}),
  });
}

/** Where the store is, for messages. */
export function describeCommandStore(options: StoreCommandOptions): string {
  return options.store === 's3' ? `s3://${options.s3Bucket}/${options.s3Prefix ?? DEFAULT_S3_PREFIX}` : `at ${path.resolve(options.storePath)}`;
}
