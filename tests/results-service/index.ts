/**
 * A results service on loopback that follows the Twirp JSON calls @actions/cache 6 and
 * @actions/artifact 6 make (github.actions.results.api.v1.CacheService / ArtifactService), plus the
 * two GitHub REST calls @actions/artifact makes to reach another run's artifacts. Bytes go to
 * Microsoft's Azure Storage emulator (azurite) through signed (SAS) URLs, via a front that can
 * inject faults. Used by the store tests and by the stage-action tests to run the real packages.
 */
import http from 'node:http';
import type net from 'node:net';
import path from 'node:path';
import { BlobSASPermissions, generateBlobSASQueryParameters, SASProtocol, type BlockBlobClient } from '@azure/storage-blob';
import { startAzurite, type Azurite } from './azurite.js';
import { startBlobFront, type BlobFront } from './blob-front.js';
import { Faults } from './faults.js';
import { ServiceState, type Artifact, type CacheEntry } from './state.js';

const CONTAINER = 'results';
const CACHE_PREFIX = '/twirp/github.actions.results.api.v1.CacheService/';
const ARTIFACT_PREFIX = '/twirp/github.actions.results.api.v1.ArtifactService/';

export interface ResultsServiceOptions {
  /** Where the emulator keeps its blobs; removed on stop. */
  dataDir: string;
  runId?: number;
  jobId?: string;
  repository?: string;
  /** Token the REST endpoints accept (for cross-run artifact downloads). */
  githubToken?: string;
}

export interface ResultsService {
  /** Origin of the Twirp endpoints, e.g. http://127.0.0.1:41234 */
  url: string;
  /** Environment an action process needs to use the cache and artifacts of the default run. */
  env: Record<string, string>;
  /** The same for another workflow run (another run id → separate artifacts; the cache is shared). */
  envFor(runId: number, jobId?: string): Record<string, string>;
  faults: Faults;
  state: ServiceState;
  /** Bytes clients have sent to the blob front (uploads). */
  uploadedBytes(): number;
  /** Bytes the blob front has sent to clients (downloads). */
  downloadedBytes(): number;
  /** Flips one byte in the middle of a stored blob, as storage corruption would. */
  corruptCacheEntry(key: string): Promise<void>;
  corruptArtifact(runId: number, name: string): Promise<void>;
  /** Drops a cache entry, as the service's eviction of unused entries does. */
  evictCacheEntry(key: string): void;
  stop(): Promise<void>;
}

class TwirpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function startResultsService(options: ResultsServiceOptions): Promise<ResultsService> {
  const runId = options.runId ?? 1000;
  const jobId = options.jobId ?? 'job-1';
  const repository = options.repository ?? 'pizlix/pizlix-stage';
  const githubToken = options.githubToken ?? 'loopback-github-token';
  const faults = new Faults();
  const state = new ServiceState();

  const azurite = await startAzurite(path.join(options.dataDir, 'azurite'));
  let front: BlobFront | undefined;
  let server: http.Server | undefined;
  try {
    await azurite.service.getContainerClient(CONTAINER).createIfNotExists();
    front = await startBlobFront(azurite.port, faults);
    const signer = new UrlSigner(azurite, front.port);
    server = http.createServer((req, res) => {
      handle(req, res, { state, faults, signer, githubToken }).catch((err: unknown) => {
        const e = err instanceof TwirpError ? err : new TwirpError(500, 'internal', String(err));
        if (!res.headersSent) res.writeHead(e.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ code: e.code, msg: e.message }));
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  } catch (err) {
    await front?.stop();
    await azurite.stop();
    throw err;
  }
  const port = (server.address() as net.AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  const envFor = (run: number, job = jobId): Record<string, string> => ({
    ACTIONS_CACHE_SERVICE_V2: 'true',
    ACTIONS_RESULTS_URL: `${url}/`,
    ACTIONS_RUNTIME_TOKEN: runtimeToken(runBackendId(run), job),
    GITHUB_RUN_ID: String(run),
    GITHUB_REPOSITORY: repository,
    GITHUB_REPOSITORY_OWNER: repository.split('/')[0],
    GITHUB_API_URL: url,
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_TOKEN: githubToken,
    // Cache blob URLs name *.blob.core.windows.net; the blob front proxies them to the emulator.
    HTTP_PROXY: `http://127.0.0.1:${front!.port}`,
    http_proxy: `http://127.0.0.1:${front!.port}`,
    NO_PROXY: '127.0.0.1,localhost',
    no_proxy: '127.0.0.1,localhost',
  });
  const blobClient = (blobName: string) => azurite.service.getContainerClient(CONTAINER).getBlockBlobClient(blobName);
  const sockets = new Set<net.Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  return {
    url,
    env: envFor(runId),
    envFor,
    faults,
    state,
    uploadedBytes: () => front!.bytesIn(),
    downloadedBytes: () => front!.bytesOut(),
    corruptCacheEntry: async (key) => {
      const entry = state.cache.find((e) => e.finalized && e.key === key);
      if (!entry) throw new Error(`no cache entry ${key}`);
      await flipMiddleByte(blobClient(entry.blobName));
    },
    corruptArtifact: async (run, name) => {
      const artifact = state.artifactsOfRun(runBackendId(run)).find((a) => a.name === name);
      if (!artifact) throw new Error(`no artifact ${name} in run ${run}`);
      await flipMiddleByte(blobClient(artifact.blobName));
    },
    evictCacheEntry: (key) => {
      const index = state.cache.findIndex((e) => e.finalized && e.key === key);
      if (index < 0) throw new Error(`no cache entry ${key}`);
      state.cache.splice(index, 1);
    },
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server!.close(() => resolve()));
      await front!.stop();
      await azurite.stop();
    },
  };
}

function runBackendId(runId: number): string {
  return `run-${runId}`;
}

/** An unsigned JWT: the packages only decode it to read the scp claim. */
function runtimeToken(runBackend: string, jobBackend: string): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part({ scp: `Actions.GenericRead:00000000 Actions.Results:${runBackend}:${jobBackend}`, exp: 4102444800 })}.`;
}

class UrlSigner {
  constructor(
    private readonly azurite: Azurite,
    private readonly frontPort: number,
  ) {}

  /**
   * A signed URL for a blob. `azureHost` names it as github.com's service does
   * (https://<account>.blob.core.windows.net/..., here over http through the front as a proxy), which
   * is what makes @actions/cache use its segmented Azure SDK download; otherwise a loopback URL.
   */
  sign(blobName: string, permissions: string, azureHost = false): string {
    const sas = generateBlobSASQueryParameters(
      {
        containerName: CONTAINER,
        blobName,
        permissions: BlobSASPermissions.parse(permissions),
        expiresOn: new Date(Date.now() + 6 * 3600_000),
        protocol: SASProtocol.HttpsAndHttp,
      },
      this.azurite.credential,
    ).toString();
    const account = this.azurite.credential.accountName;
    return azureHost
      ? `http://${account}.blob.core.windows.net/${CONTAINER}/${blobName}?${sas}`
      : `http://127.0.0.1:${this.frontPort}/${account}/${CONTAINER}/${blobName}?${sas}`;
  }
}

async function flipMiddleByte(blob: BlockBlobClient): Promise<void> {
  const data = await blob.downloadToBuffer();
  data[Math.floor(data.length / 2)] ^= 0xff;
  const props = await blob.getProperties();
  await blob.uploadData(data, { blobHTTPHeaders: { blobContentType: props.contentType } });
}

interface Context {
  state: ServiceState;
  faults: Faults;
  signer: UrlSigner;
  githubToken: string;
}

async function handle(req: http.IncomingMessage, res: http.ServerResponse, ctx: Context): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://loopback');
  if (req.method === 'POST' && (url.pathname.startsWith(CACHE_PREFIX) || url.pathname.startsWith(ARTIFACT_PREFIX))) {
    const method = url.pathname.slice(url.pathname.lastIndexOf('/') + 1);
    const body = JSON.parse((await readBody(req)) || '{}') as Record<string, unknown>;
    if (!/^Bearer .+/.test(req.headers.authorization ?? '')) throw new TwirpError(401, 'unauthenticated', 'no bearer token');
    const injected = ctx.faults.takeTwirpStatus(method);
    if (injected) throw new TwirpError(injected, injected === 429 ? 'resource_exhausted' : 'internal', 'injected fault');
    const handler = url.pathname.startsWith(CACHE_PREFIX) ? CACHE_METHODS[method] : ARTIFACT_METHODS[method];
    if (!handler) throw new TwirpError(404, 'bad_route', `no method ${method}`);
    const answer = handler(body, ctx);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(answer));
    return;
  }
  if (req.method === 'GET' && url.pathname.startsWith('/repos/')) {
    await handleRest(req, res, url, ctx);
    return;
  }
  throw new TwirpError(404, 'bad_route', `no route ${req.method} ${url.pathname}`);
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString()));
    req.on('error', reject);
  });
}

type Handler = (body: Record<string, unknown>, ctx: Context) => object;

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
/** google.protobuf wrappers arrive as bare JSON values. */
const wrapped = (v: unknown): string | undefined => (v === undefined || v === null ? undefined : String(v));

const CACHE_METHODS: Record<string, Handler> = {
  CreateCacheEntry(body, { state, signer }) {
    const key = str(body.key);
    const version = str(body.version);
    if (!key || !version) throw new TwirpError(400, 'invalid_argument', 'key and version are required');
    if (state.finalizedCacheEntry(key, version)) {
      throw new TwirpError(409, 'already_exists', 'cache entry with the same key, version, and scope already exists');
    }
    // An unfinalized reservation (an interrupted upload) is replaced: it was never visible.
    const stale = state.cache.findIndex((e) => !e.finalized && e.key === key && e.version === version);
    if (stale >= 0) state.cache.splice(stale, 1);
    const id = state.newId();
    const entry: CacheEntry = { id, key, version, blobName: `cache/${id}`, sizeBytes: 0, created: Date.now(), finalized: false };
    state.cache.push(entry);
    return { ok: true, signed_upload_url: signer.sign(entry.blobName, 'cw', true) };
  },
  FinalizeCacheEntryUpload(body, { state }) {
    const entry = state.cache.find((e) => !e.finalized && e.key === str(body.key) && e.version === str(body.version));
    if (!entry) return { ok: false, entry_id: '0', message: `no reservation for key ${str(body.key)}` };
    entry.finalized = true;
    entry.sizeBytes = Number(body.size_bytes ?? 0);
    return { ok: true, entry_id: String(entry.id) };
  },
  GetCacheEntryDownloadURL(body, { state, signer }) {
    const restoreKeys = Array.isArray(body.restore_keys) ? body.restore_keys.map(str) : [];
    const entry = state.matchCacheEntry(str(body.key), restoreKeys, str(body.version));
    if (!entry) return { ok: false, signed_download_url: '', matched_key: '' };
    return { ok: true, signed_download_url: signer.sign(entry.blobName, 'r', true), matched_key: entry.key };
  },
};

function artifactJson(a: Artifact): object {
  return {
    workflow_run_backend_id: a.runBackendId,
    workflow_job_run_backend_id: a.jobBackendId,
    database_id: String(a.id),
    name: a.name,
    size: String(a.size),
    created_at: new Date(a.created).toISOString(),
    ...(a.digest ? { digest: a.digest } : {}),
  };
}

const ARTIFACT_METHODS: Record<string, Handler> = {
  CreateArtifact(body, { state, signer }) {
    const run = str(body.workflow_run_backend_id);
    const name = str(body.name);
    if (state.artifactsOfRun(run).some((a) => a.name === name)) {
      throw new TwirpError(409, 'already_exists', `an artifact with this name already exists on the workflow run`);
    }
    const stale = state.artifacts.findIndex((a) => !a.finalized && a.runBackendId === run && a.name === name);
    if (stale >= 0) state.artifacts.splice(stale, 1);
    const id = state.newId();
    const artifact: Artifact = {
      id,
      runBackendId: run,
      jobBackendId: str(body.workflow_job_run_backend_id),
      name,
      blobName: `artifacts/${run}/${id}/${encodeURIComponent(name)}`,
      mimeType: wrapped(body.mime_type) ?? 'application/zip',
      size: 0,
      digest: undefined,
      created: Date.now(),
      finalized: false,
    };
    state.artifacts.push(artifact);
    return { ok: true, signed_upload_url: signer.sign(artifact.blobName, 'cw') };
  },
  FinalizeArtifact(body, { state }) {
    const artifact = state.artifacts.find((a) => !a.finalized && a.runBackendId === str(body.workflow_run_backend_id) && a.name === str(body.name));
    if (!artifact) throw new TwirpError(404, 'not_found', `no artifact ${str(body.name)} being uploaded`);
    artifact.finalized = true;
    artifact.size = Number(body.size ?? 0);
    artifact.digest = wrapped(body.hash);
    return { ok: true, artifact_id: String(artifact.id) };
  },
  ListArtifacts(body, { state }) {
    const nameFilter = wrapped(body.name_filter);
    const idFilter = wrapped(body.id_filter);
    const artifacts = state
      .artifactsOfRun(str(body.workflow_run_backend_id))
      .filter((a) => (nameFilter === undefined || a.name === nameFilter) && (idFilter === undefined || String(a.id) === idFilter));
    return { artifacts: artifacts.map(artifactJson) };
  },
  GetSignedArtifactURL(body, { state, signer }) {
    const artifact = state.artifactsOfRun(str(body.workflow_run_backend_id)).find((a) => a.name === str(body.name));
    if (!artifact) throw new TwirpError(404, 'not_found', `no artifact ${str(body.name)}`);
    return { signed_url: signer.sign(artifact.blobName, 'r') };
  },
  DeleteArtifact(body, { state }) {
    const index = state.artifacts.findIndex((a) => a.runBackendId === str(body.workflow_run_backend_id) && a.name === str(body.name));
    if (index < 0) throw new TwirpError(404, 'not_found', `no artifact ${str(body.name)}`);
    const [artifact] = state.artifacts.splice(index, 1);
    return { ok: true, artifact_id: String(artifact.id) };
  },
};

/** GET /repos/{o}/{r}/actions/runs/{run}/artifacts[?name=] and GET /repos/{o}/{r}/actions/artifacts/{id}/zip */
async function handleRest(req: http.IncomingMessage, res: http.ServerResponse, url: URL, ctx: Context): Promise<void> {
  const auth = req.headers.authorization ?? '';
  const json = (status: number, body: object) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  if (!auth.endsWith(` ${ctx.githubToken}`)) return json(401, { message: 'Bad credentials' });
  const list = /^\/repos\/[^/]+\/[^/]+\/actions\/runs\/(\d+)\/artifacts$/.exec(url.pathname);
  if (list) {
    const name = url.searchParams.get('name');
    const artifacts = ctx.state.artifactsOfRun(runBackendId(Number(list[1]))).filter((a) => name === null || a.name === name);
    return json(200, {
      total_count: artifacts.length,
      artifacts: artifacts.map((a) => ({
        id: a.id,
        name: a.name,
        size_in_bytes: a.size,
        created_at: new Date(a.created).toISOString(),
        expired: false,
        digest: a.digest ?? null,
        workflow_run: { id: Number(list[1]) },
      })),
    });
  }
  const download = /^\/repos\/[^/]+\/[^/]+\/actions\/artifacts\/(\d+)\/zip$/.exec(url.pathname);
  if (download) {
    const artifact = ctx.state.artifacts.find((a) => a.finalized && String(a.id) === download[1]);
    if (!artifact) return json(404, { message: 'Not Found' });
    res.writeHead(302, { location: ctx.signer.sign(artifact.blobName, 'r') });
    res.end();
    return;
  }
  json(404, { message: 'Not Found' });
}
