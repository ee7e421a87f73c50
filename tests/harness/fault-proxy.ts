/**
 * A pass-through HTTP front in front of a loopback server, so faults can hit the byte stream (status
 * errors, a connection dropped mid-upload or mid-download, a stalled download). It also counts the body
 * bytes each way, so tests can see a transfer was under way. The results service's blob front and the
 * S3 server's front are both this proxy, configured for their protocol.
 */
import http from 'node:http';
import type net from 'node:net';
import type { Faults } from '../results-service/faults.js';

export interface FaultProxyOptions {
  targetPort: number;
  faults: Faults;
  /** The upstream path of a request URL; undefined refuses the request with 502. Default: the URL as sent. */
  upstreamPath?: (url: string) => string | undefined;
  /** Keep the client's Host header (a signed request, e.g. S3's SigV4, covers it) instead of naming the target. */
  keepHost?: boolean;
  /** The operation a request is, for faults aimed at one. Default "blob". */
  operationOf?: (req: http.IncomingMessage) => string;
  /** Whether a request is a download, whose response body faults may drop or stall. Default: GET. */
  isDownload?: (req: http.IncomingMessage) => boolean;
}

export interface FaultProxy {
  port: number;
  /** Body bytes received from clients (uploads). */
  bytesIn(): number;
  /** Body bytes sent to clients (downloads). */
  bytesOut(): number;
  /** The operations of the requests seen so far, in order (tests splice it). */
  readonly operations: string[];
  stop(): Promise<void>;
}

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const { targetPort, faults } = options;
  let bytesIn = 0;
  let bytesOut = 0;
  const sockets = new Set<net.Socket>();
  const operations: string[] = [];

  const server = http.createServer((req, res) => {
    const operation = options.operationOf?.(req) ?? 'blob';
    operations.push(operation);
    const pause = faults.takePause(operation);
    if (!pause) return forward(req, res, operation);
    req.pause();
    pause().then(
      () => forward(req, res, operation),
      () => res.destroy(),
    );
  });

  function forward(req: http.IncomingMessage, res: http.ServerResponse, operation: string): void {
    const upstreamPath = options.upstreamPath ? options.upstreamPath(req.url ?? '/') : (req.url ?? '/');
    if (upstreamPath === undefined) {
      req.resume();
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`this loopback front does not proxy ${req.url}`);
      return;
    }
    const status = faults.takeBlobStatus(operation);
    if (status) {
      req.resume();
      res.writeHead(status, { 'content-type': 'application/xml', 'x-ms-error-code': 'InternalError' });
      const code = { 412: 'PreconditionFailed', 429: 'SlowDown', 501: 'NotImplemented' }[status] ?? 'InternalError';
      res.end(`<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>injected fault</Message></Error>`);
      return;
    }
    const isUpload = req.method === 'PUT' || req.method === 'POST';
    const isDownload = options.isDownload ? options.isDownload(req) : req.method === 'GET';
    const dropUploadAfter = isUpload ? faults.takeUploadDrop(operation) : undefined;

    const headers = options.keepHost ? req.headers : { ...req.headers, host: `127.0.0.1:${targetPort}` };
    const upstream = http.request({ host: '127.0.0.1', port: targetPort, method: req.method, path: upstreamPath, headers }, (upstreamRes) => {
      res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.statusMessage, upstreamRes.headers);
      if (isDownload && faults.takeDownloadStall(Number(upstreamRes.headers['content-length'] ?? 0), operation)) {
        res.flushHeaders();
        upstreamRes.destroy();
        // Headers only, then silence: the client must give up on its own.
        return;
      }
      const dropDownloadAfter = isDownload ? faults.takeDownloadDrop(Number(upstreamRes.headers['content-length'] ?? 0), operation) : undefined;
      let sent = 0;
      upstreamRes.on('data', (chunk: Buffer) => {
        bytesOut += chunk.length;
        sent += chunk.length;
        if (dropDownloadAfter !== undefined && sent >= dropDownloadAfter) {
          upstreamRes.destroy();
          res.socket?.destroy();
        }
      });
      upstreamRes.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    let seen = 0;
    req.on('data', (chunk: Buffer) => {
      seen += chunk.length;
      bytesIn += chunk.length;
      if (dropUploadAfter !== undefined && seen >= dropUploadAfter) {
        upstream.destroy();
        req.socket.destroy();
      }
    });
    req.pipe(upstream);
  }
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    port,
    bytesIn: () => bytesIn,
    bytesOut: () => bytesOut,
    operations,
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
