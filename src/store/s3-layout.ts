/**
 * Where the s3 store keeps things: the bucket and prefix it was given (validated), and the object names
 * of an entry inside a trust scope. Every name is built and parsed here, so the layout the README
 * documents (and the bucket policies rely on) has one definition.
 *
 *   <prefix>/<scope>/meta/<key>.json              the commit record (the metadata codec's JSON)
 *   <prefix>/<scope>/snapshots/<key>/<upload id>  the snapshot bytes, one object per publish
 *   <prefix>/<scope>/index/<stage>/<key>          empty marker: list(stage) finds keys here; its
 *                                                 LastModified is the entry's last use (eviction)
 *
 * <scope> is `trusted` or `untrusted/<ref slug>` (trust.ts, with '/' as separator).
 */
import { randomBytes } from 'node:crypto';
import { InputError } from '../util/errors.js';

export const DEFAULT_S3_PREFIX = 'pizlix-stage';
export const DEFAULT_S3_REGION = 'us-east-1';
export const SCOPE_SEPARATOR = '/';

/** What a build says about its bucket (inputs `s3-*`, options `--s3-*`), before validation. */
export interface S3StoreInputs {
  bucket?: string;
  prefix?: string;
  endpoint?: string;
  region?: string;
  forcePathStyle?: boolean;
}

/** A validated bucket location. */
export interface S3Location {
  bucket: string;
  /** No leading or trailing slash; never empty. */
  prefix: string;
  endpoint?: string;
  region: string;
  forcePathStyle: boolean;
}

/** Bucket names S3 and the compatible servers accept (the DNS-safe rules). */
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const PREFIX_SEGMENT = /^[A-Za-z0-9._-]+$/;
const REGION = /^[a-z0-9-]+$/;
/** Keys and stage names become one segment of an object name. */
const NAME_SEGMENT = /^[A-Za-z0-9._-]{1,200}$/;

/** Validates what a build said; every error names the input. The region defaults to the AWS environment's, else us-east-1. */
export function resolveS3Location(inputs: S3StoreInputs, env: NodeJS.ProcessEnv = process.env): S3Location {
  const bucket = checkBucket(inputs.bucket?.trim() ?? '', 's3-bucket');
  if (!bucket) throw new InputError('s3-bucket', 'is required for store s3', 'the name of the bucket that holds the snapshots');
  const region = checkRegion(inputs.region?.trim() || env.AWS_REGION || env.AWS_DEFAULT_REGION || DEFAULT_S3_REGION, 's3-region');
  return {
    bucket,
    prefix: checkPrefix(inputs.prefix?.trim() || DEFAULT_S3_PREFIX, 's3-prefix'),
    endpoint: checkEndpoint(inputs.endpoint?.trim() ?? '', 's3-endpoint') || undefined,
    region,
    forcePathStyle: inputs.forcePathStyle ?? false,
  };
}

/** A bucket name S3 and the compatible servers accept, or '' (none given). The checks below are shared with the option schema. */
export function checkBucket(bucket: string, input: string): string {
  if (bucket && (!BUCKET_NAME.test(bucket) || bucket.includes('..'))) {
    throw new InputError(
      input,
      `'${bucket}' is not a bucket name`,
      '3 to 63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit',
    );
  }
  return bucket;
}

/** The prefix without leading or trailing slashes. */
export function checkPrefix(raw: string, input: string): string {
  const prefix = raw.replace(/^\/+|\/+$/g, '');
  if (!prefix || !prefix.split('/').every((segment) => PREFIX_SEGMENT.test(segment))) {
    throw new InputError(
      input,
      `'${raw}' is not an object prefix`,
      `segments of letters, digits, '.', '_' and '-' separated by '/', e.g. ${DEFAULT_S3_PREFIX} or ci/pizlix`,
    );
  }
  return prefix;
}

/** An http(s) URL of an S3 API, or '' (AWS). */
export function checkEndpoint(endpoint: string, input: string): string {
  if (!endpoint) return '';
  let url: URL | undefined;
  try {
    url = new URL(endpoint);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.search || url.hash) {
    throw new InputError(
      input,
      `'${endpoint}' is not an http(s) URL`,
      'the S3 API address of the server, e.g. https://minio.example.com:9000 or https://<account>.r2.cloudflarestorage.com',
    );
  }
  return endpoint;
}

export function checkRegion(region: string, input: string): string {
  if (region && !REGION.test(region)) throw new InputError(input, `'${region}' is not a region name`, 'a region such as us-east-1, eu-central-1 or auto');
  return region;
}

/** Refuses a key or stage name that cannot be one segment of an object name (before any request). */
export function checkNameSegment(what: 'key' | 'stage', value: string): void {
  if (!NAME_SEGMENT.test(value)) {
    throw new InputError(what, `'${value}' cannot name an object of the s3 store`, "1 to 200 letters, digits, '.', '_' and '-'");
  }
}

/** The object names of one trust scope (`trusted` or `untrusted/<ref slug>`) under the prefix. */
export class ScopeLayout {
  readonly root: string;

  constructor(
    prefix: string,
    readonly scope: string,
  ) {
    this.root = `${prefix}/${scope}`;
  }

  meta(key: string): string {
    return `${this.root}/meta/${key}.json`;
  }

  snapshot(key: string, uploadId: string): string {
    return `${this.root}/snapshots/${key}/${uploadId}`;
  }

  snapshotsOf(key: string): string {
    return `${this.root}/snapshots/${key}/`;
  }

  indexMarker(stage: string, key: string): string {
    return `${this.root}/index/${stage}/${key}`;
  }

  indexOf(stage: string): string {
    return `${this.root}/index/${stage}/`;
  }

  get metas(): string {
    return `${this.root}/meta/`;
  }
}

/** A fresh name for the object of one publish: sortable by time, unique across concurrent publishers. */
export function newUploadId(now = new Date()): string {
  return `${now.toISOString().replace(/[-:.]/g, '')}-${randomBytes(6).toString('hex')}`;
}

/** What an object under the prefix is, read back from its name (for eviction, which lists everything). */
export type ParsedObject =
  | { kind: 'meta'; scope: string; key: string }
  | { kind: 'snapshot'; scope: string; key: string; uploadId: string }
  | { kind: 'index'; scope: string; stage: string; key: string };

export function parseObjectName(prefix: string, name: string): ParsedObject | undefined {
  if (!name.startsWith(`${prefix}/`)) return undefined;
  const segments = name.slice(prefix.length + 1).split('/');
  const scopeLength = segments[0] === 'trusted' ? 1 : segments[0] === 'untrusted' ? 2 : 0;
  if (scopeLength === 0) return undefined;
  const scope = segments.slice(0, scopeLength).join('/');
  const parts: string[] = segments.slice(scopeLength);
  const [kind, a, b] = parts;
  if (kind === 'meta' && parts.length === 2 && a.endsWith('.json')) return { kind: 'meta', scope, key: a.slice(0, -'.json'.length) };
  if (kind === 'snapshots' && parts.length === 3) return { kind: 'snapshot', scope, key: a, uploadId: b };
  if (kind === 'index' && parts.length === 3) return { kind: 'index', scope, stage: a, key: b };
  return undefined;
}
