/**
 * A loopback GitHub REST server for release tests. It follows the documented release endpoints:
 *
 *   GET    /repos/{o}/{r}/releases                 list (drafts included for an authenticated caller)
 *   GET    /repos/{o}/{r}/releases/latest          newest published, non-prerelease release (or the one marked latest)
 *   GET    /repos/{o}/{r}/releases/tags/{tag}      published release by tag
 *   POST   /repos/{o}/{r}/releases                 create (422 when the tag has a release)
 *   GET    /repos/{o}/{r}/releases/{id}/assets     list assets
 *   GET    /repos/{o}/{r}/releases/assets/{id}     asset JSON, or with Accept: application/octet-stream
 *                                                  a 302 to a signed URL on another host
 *   DELETE /repos/{o}/{r}/releases/assets/{id}     delete
 *   POST   {upload_url}?name=...                   upload, on a separate "uploads" host (422 on a duplicate name)
 *
 * Three listeners stand for the three hosts (api, uploads, signed storage). The storage host rejects a
 * request that also carries an Authorization header, as GitHub's storage does. Faults: corrupt an asset's
 * bytes on download (in-memory assets), answer 503 or cut a download off halfway, answer downloads directly (200) instead of redirecting, leave `digest` out.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StoredAsset {
  id: number;
  name: string;
  contentType: string;
  /** The bytes, or a file holding them (large assets stay on disk and are streamed). */
  content: Buffer | { file: string; size: number; sha256: string };
  createdAt: string;
}

export interface StoredRelease {
  id: number;
  tag: string;
  name: string;
  body: string;
  draft: boolean;
  prerelease: boolean;
  /** The commit the tag was created at, as the request named it (GitHub: the default branch when absent). */
  targetCommitish?: string;
  createdAt: string;
  assets: StoredAsset[];
}

export interface ServerOptions {
  /** The only token accepted; writes need it, reads work anonymously (a public repository). */
  token: string;
  /** Leave `digest` out of asset JSON, like older GitHub and GitHub Enterprise versions. */
  omitDigest?: boolean;
  /** Answer asset downloads with 200 and the bytes instead of a 302 (the API may do either). */
  directDownload?: boolean;
}

export interface LoggedRequest {
  host: 'api' | 'uploads' | 'storage';
  method: string;
  path: string;
  authorization?: string;
}

export class GitHubApiServer {
  readonly requests: LoggedRequest[] = [];
  /** Asset names whose downloaded bytes get one byte flipped. */
  readonly corrupted = new Set<string>();
  /** Faults of the storage host: answer the next so many downloads 503, or cut them off halfway. */
  readonly storageFaults = { unavailable: 0, cutOff: 0 };
  private readonly repositories = new Map<string, StoredRelease[]>();
  private readonly latest = new Map<string, number>();
  private readonly signatures = new Map<string, number>();
  private nextId = 1000;
  private clock = Date.parse('2026-01-01T00:00:00Z');
  private servers: Server[] = [];
  apiUrl = '';
  private uploadsUrl = '';
  private storageUrl = '';

  constructor(private readonly options: ServerOptions) {}

  async start(): Promise<this> {
    this.apiUrl = await this.listen('api', (req, res, body) => this.handleApi(req, res, body));
    this.uploadsUrl = await this.listen('uploads', (req, res, body) => this.handleUpload(req, res, body));
    this.storageUrl = await this.listen('storage', (req, res) => this.handleStorage(req, res));
    return this;
  }

  async close(): Promise<void> {
    await Promise.all(this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    this.servers.forEach((s) => s.closeAllConnections());
  }

  addRepository(fullName: string): void {
    if (!this.repositories.has(fullName)) this.repositories.set(fullName, []);
  }

  /** Seeds a release as if it had been published earlier. */
  addRelease(fullName: string, release: { tag: string; prerelease?: boolean; draft?: boolean; assets: Record<string, Buffer> }): StoredRelease {
    const stored = this.createRelease(fullName, {
      tag: release.tag,
      name: release.tag,
      body: '',
      draft: release.draft ?? false,
      prerelease: release.prerelease ?? false,
      makeLatest: 'true',
    });
    for (const [name, content] of Object.entries(release.assets)) this.storeAsset(stored, name, content);
    return stored;
  }

  /** Adds an asset served from a file on disk, streamed, for large downloads. */
  async addFileAsset(fullName: string, tag: string, name: string, file: string, sha256: string): Promise<void> {
    const release = this.release(fullName, tag);
    if (!release) throw new Error(`no release ${tag}`);
    release.assets.push({
      id: this.nextId++,
      name,
      contentType: 'application/octet-stream',
      content: { file, size: (await stat(file)).size, sha256 },
      createdAt: this.tick(),
    });
  }

  release(fullName: string, tag: string): StoredRelease | undefined {
    return this.repositories.get(fullName)?.find((r) => r.tag === tag);
  }

  private listen(host: LoggedRequest['host'], handle: (req: IncomingMessage, res: ServerResponse, body: Buffer) => void): Promise<string> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.requests.push({ host, method: req.method ?? '', path: req.url ?? '', authorization: req.headers.authorization });
        try {
          handle(req, res, Buffer.concat(chunks));
        } catch (err) {
          send(res, 500, { message: (err as Error).message });
        }
      });
    });
    this.servers.push(server);
    return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
  }

  /** undefined: anonymous; true: the right token; false: a wrong one. */
  private authenticated(req: IncomingMessage): boolean | undefined {
    const header = req.headers.authorization;
    if (!header) return undefined;
    const match = /^(?:token|bearer) (.+)$/i.exec(header);
    return match?.[1] === this.options.token;
  }

  private handleApi(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
    const auth = this.authenticated(req);
    if (auth === false) return send(res, 401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' });
    const url = new URL(req.url ?? '/', this.apiUrl);
    const match = /^\/repos\/([^/]+)\/([^/]+)\/releases(\/.*)?$/.exec(url.pathname);
    const releases = match ? this.repositories.get(`${match[1]}/${match[2]}`) : undefined;
    if (!match || !releases) return notFound(res);
    const fullName = `${match[1]}/${match[2]}`;
    const rest = match[3] ?? '';
    const method = req.method ?? 'GET';
    const published = releases.filter((r) => !r.draft);
    let m: RegExpExecArray | null;

    if (method === 'GET' && rest === '') {
      const visible = auth ? releases : published;
      const perPage = Number(url.searchParams.get('per_page') ?? 30);
      const page = Number(url.searchParams.get('page') ?? 1);
      const sorted = [...visible].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
      return send(
        res,
        200,
        sorted.slice((page - 1) * perPage, page * perPage).map((r) => this.releaseJson(fullName, r)),
      );
    }
    if (method === 'POST' && rest === '') {
      if (!auth) return send(res, 401, { message: 'Requires authentication' });
      const request = JSON.parse(body.toString() || '{}') as {
        tag_name?: string;
        target_commitish?: string;
        name?: string;
        body?: string;
        draft?: boolean;
        prerelease?: boolean;
        make_latest?: string;
      };
      if (!request.tag_name)
        return send(res, 422, { message: 'Validation Failed', errors: [{ resource: 'Release', code: 'missing_field', field: 'tag_name' }] });
      if (releases.some((r) => r.tag === request.tag_name)) {
        return send(res, 422, { message: 'Validation Failed', errors: [{ resource: 'Release', code: 'already_exists', field: 'tag_name' }] });
      }
      const created = this.createRelease(fullName, {
        tag: request.tag_name,
        name: request.name ?? request.tag_name,
        body: request.body ?? '',
        draft: request.draft ?? false,
        prerelease: request.prerelease ?? false,
        makeLatest: request.make_latest ?? 'true',
        targetCommitish: request.target_commitish,
      });
      return send(res, 201, this.releaseJson(fullName, created));
    }
    if (method === 'GET' && rest === '/latest') {
      const latest = published.find((r) => r.id === this.latest.get(fullName));
      return latest ? send(res, 200, this.releaseJson(fullName, latest)) : notFound(res);
    }
    if (method === 'GET' && (m = /^\/tags\/(.+)$/.exec(rest))) {
      const release = published.find((r) => r.tag === decodeURIComponent(m![1]));
      return release ? send(res, 200, this.releaseJson(fullName, release)) : notFound(res);
    }
    if (method === 'GET' && (m = /^\/(\d+)\/assets$/.exec(rest))) {
      const release = releases.find((r) => r.id === Number(m![1]) && (auth || !r.draft));
      return release
        ? send(
            res,
            200,
            release.assets.map((a) => this.assetJson(fullName, a)),
          )
        : notFound(res);
    }
    if ((m = /^\/assets\/(\d+)$/.exec(rest))) {
      const release = releases.find((r) => r.assets.some((a) => a.id === Number(m![1])) && (auth || !r.draft));
      const asset = release?.assets.find((a) => a.id === Number(m![1]));
      if (!release || !asset) return notFound(res);
      if (method === 'DELETE') {
        if (!auth) return send(res, 401, { message: 'Requires authentication' });
        release.assets.splice(release.assets.indexOf(asset), 1);
        res.writeHead(204).end();
        return;
      }
      if (method !== 'GET') return notFound(res);
      if (!(req.headers.accept ?? '').includes('application/octet-stream')) return send(res, 200, this.assetJson(fullName, asset));
      if (this.options.directDownload) return this.sendAsset(res, asset);
      const signature = randomBytes(16).toString('hex');
      this.signatures.set(signature, asset.id);
      res.writeHead(302, { location: `${this.storageUrl}/github-production-release-asset/${asset.id}?X-Signature=${signature}` }).end();
      return;
    }
    return notFound(res);
  }

  private handleUpload(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
    const auth = this.authenticated(req);
    if (!auth) return send(res, 401, { message: auth === false ? 'Bad credentials' : 'Requires authentication' });
    const url = new URL(req.url ?? '/', this.uploadsUrl);
    const match = /^\/repos\/([^/]+)\/([^/]+)\/releases\/(\d+)\/assets$/.exec(url.pathname);
    const fullName = match ? `${match[1]}/${match[2]}` : '';
    const release = this.repositories.get(fullName)?.find((r) => r.id === Number(match?.[3]));
    if (req.method !== 'POST' || !release) return notFound(res);
    const name = url.searchParams.get('name');
    if (!name) return send(res, 422, { message: 'Validation Failed', errors: [{ resource: 'ReleaseAsset', code: 'missing_field', field: 'name' }] });
    if (Number(req.headers['content-length']) !== body.length) return send(res, 400, { message: 'Content-Length does not match the body' });
    if (release.assets.some((a) => a.name === name)) {
      return send(res, 422, { message: 'Validation Failed', errors: [{ resource: 'ReleaseAsset', code: 'already_exists', field: 'name' }] });
    }
    const asset = this.storeAsset(release, name, body, String(req.headers['content-type'] ?? 'application/octet-stream'));
    return send(res, 201, this.assetJson(fullName, asset));
  }

  private handleStorage(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', this.storageUrl);
    const assetId = this.signatures.get(url.searchParams.get('X-Signature') ?? '');
    if (req.headers.authorization)
      return send(res, 400, { message: 'Only one auth mechanism allowed; only the X-Signature parameter or the Authorization header may be given' });
    const asset = [...this.repositories.values()]
      .flat()
      .flatMap((r) => r.assets)
      .find((a) => a.id === assetId);
    if (!asset || url.pathname !== `/github-production-release-asset/${assetId}`)
      return send(res, 403, { message: 'Request has expired or the signature does not match' });
    if (this.storageFaults.unavailable > 0) {
      this.storageFaults.unavailable--;
      return send(res, 503, { message: 'Service Unavailable' });
    }
    if (this.storageFaults.cutOff > 0 && Buffer.isBuffer(asset.content)) {
      this.storageFaults.cutOff--;
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(asset.content.length) });
      res.write(asset.content.subarray(0, asset.content.length >> 1), () => res.destroy());
      return;
    }
    this.sendAsset(res, asset);
  }

  private sendAsset(res: ServerResponse, asset: StoredAsset): void {
    const { content } = asset;
    if (!Buffer.isBuffer(content)) {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(content.size) });
      pipeline(createReadStream(content.file), res).catch(() => res.destroy());
      return;
    }
    if (!this.corrupted.has(asset.name)) return sendBytes(res, content);
    const copy = Buffer.from(content);
    copy[Math.floor(copy.length / 2)] ^= 0xff;
    sendBytes(res, copy);
  }

  private createRelease(
    fullName: string,
    r: { tag: string; name: string; body: string; draft: boolean; prerelease: boolean; makeLatest: string; targetCommitish?: string },
  ): StoredRelease {
    this.addRepository(fullName);
    const release: StoredRelease = {
      id: this.nextId++,
      tag: r.tag,
      name: r.name,
      body: r.body,
      draft: r.draft,
      prerelease: r.prerelease,
      targetCommitish: r.targetCommitish,
      createdAt: this.tick(),
      assets: [],
    };
    this.repositories.get(fullName)!.push(release);
    if (!r.draft && !r.prerelease && r.makeLatest !== 'false') this.latest.set(fullName, release.id);
    return release;
  }

  private storeAsset(release: StoredRelease, name: string, content: Buffer, contentType = 'application/octet-stream'): StoredAsset {
    const asset: StoredAsset = { id: this.nextId++, name, contentType, content, createdAt: this.tick() };
    release.assets.push(asset);
    return asset;
  }

  private tick(): string {
    this.clock += 60_000;
    return new Date(this.clock).toISOString();
  }

  private releaseJson(fullName: string, r: StoredRelease): object {
    const base = `${this.apiUrl}/repos/${fullName}/releases/${r.id}`;
    return {
      url: base,
      html_url: `https://github.com/${fullName}/releases/tag/${r.tag}`,
      assets_url: `${base}/assets`,
      upload_url: `${this.uploadsUrl}/repos/${fullName}/releases/${r.id}/assets{?name,label}`,
      id: r.id,
      tag_name: r.tag,
      name: r.name,
      body: r.body,
      draft: r.draft,
      prerelease: r.prerelease,
      created_at: r.createdAt,
      published_at: r.draft ? null : r.createdAt,
      assets: r.assets.map((a) => this.assetJson(fullName, a)),
    };
  }

  private assetJson(fullName: string, a: StoredAsset): object {
    const release = this.repositories.get(fullName)!.find((r) => r.assets.includes(a))!;
    return {
      url: `${this.apiUrl}/repos/${fullName}/releases/assets/${a.id}`,
      browser_download_url: `https://github.com/${fullName}/releases/download/${release.tag}/${a.name}`,
      id: a.id,
      name: a.name,
      label: '',
      state: 'uploaded',
      content_type: a.contentType,
      size: Buffer.isBuffer(a.content) ? a.content.length : a.content.size,
      ...(this.options.omitDigest
        ? {}
        : { digest: `sha256:${Buffer.isBuffer(a.content) ? createHash('sha256').update(a.content).digest('hex') : a.content.sha256}` }),
      download_count: 0,
      created_at: a.createdAt,
      updated_at: a.createdAt,
    };
  }
}

export function startGitHubApiServer(options: ServerOptions): Promise<GitHubApiServer> {
  return new GitHubApiServer(options).start();
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
}

function sendBytes(res: ServerResponse, bytes: Buffer): void {
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(bytes.length) }).end(bytes);
}

function notFound(res: ServerResponse): void {
  send(res, 404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest/releases/releases' });
}
