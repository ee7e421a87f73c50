/**
 * A pass-through HTTP front in front of the emulator: signed URLs point here, so faults can hit the
 * byte stream (status errors, a connection dropped mid-upload, a stalled download). It also counts
 * the bytes each way, so tests can see an upload was under way.
 *
 * It is also an HTTP proxy for `<account>.blob.core.windows.net`: @actions/cache uses the Azure SDK
 * (segmented downloads with a segment timeout) only for URLs on that domain, so the cache's signed
 * URLs name it, and clients reach it through HTTP_PROXY pointing here. Such absolute-form requests
 * are rewritten to the emulator's path-style URLs (the SAS signature does not cover the host).
 */
import http from 'node:http';
import type net from 'node:net';
import type { Faults } from './faults.js';

export interface BlobFront {
  port: number;
  /** Body bytes received from clients (uploads). */
  bytesIn(): number;
  /** Body bytes sent to clients (downloads). */
  bytesOut(): number;
  stop(): Promise<void>;
}

export async function startBlobFront(targetPort: number, faults: Faults): Promise<BlobFront> {
  let bytesIn = 0;
  let bytesOut = 0;
  const sockets = new Set<net.Socket>();

  const server = http.createServer((req, res) => {
    if (/^https?:\/\//i.test(req.url ?? '') && emulatorPath(req.url!) === req.url) {
      // Proxied request for some other host: this front only stands in for the blob domain.
      req.resume();
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`the loopback blob front proxies only *.blob.core.windows.net, not ${req.url}`);
      return;
    }
    const status = faults.takeBlobStatus();
    if (status) {
      req.resume();
      res.writeHead(status, { 'content-type': 'application/xml', 'x-ms-error-code': 'InternalError' });
      res.end('<?xml version="1.0" encoding="utf-8"?><Error><Code>InternalError</Code><Message>injected fault</Message></Error>');
      return;
    }
    const isUpload = req.method === 'PUT';
    const isDownload = req.method === 'GET' && !/[?&](comp|restype)=/.test(req.url ?? '');
    const dropAfter = isUpload ? faults.takeUploadDrop() : undefined;

    const upstream = http.request(
      { host: '127.0.0.1', port: targetPort, method: req.method, path: emulatorPath(req.url ?? '/'), headers: { ...req.headers, host: `127.0.0.1:${targetPort}` } },
      (upstreamRes) => {
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.statusMessage, upstreamRes.headers);
        if (isDownload && faults.takeDownloadStall(Number(upstreamRes.headers['content-length'] ?? 0))) {
          res.flushHeaders();
          upstreamRes.destroy();
          // Headers only, then silence: the client must give up on its own.
          return;
        }
        upstreamRes.on('data', (chunk: Buffer) => (bytesOut += chunk.length));
        upstreamRes.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    let seen = 0;
    req.on('data', (chunk: Buffer) => {
      seen += chunk.length;
      bytesIn += chunk.length;
      if (dropAfter !== undefined && seen >= dropAfter) {
        upstream.destroy();
        req.socket.destroy();
      }
    });
    req.pipe(upstream);
  });
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
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * `http://acct.blob.core.windows.net/c/b?q` (proxy form) → `/acct/c/b?q`. A proxy-form request for a
 * loopback address (a client that sends even the front's own path-style URLs through the proxy, as
 * some Azure SDK versions do whatever NO_PROXY says) → its path. Path-style URLs stay.
 */
function emulatorPath(url: string): string {
  const m = /^https?:\/\/([^./]+)\.blob\.core\.windows\.net(\/[^?]*)?(\?.*)?$/i.exec(url);
  if (m) return `/${m[1]}${m[2] ?? '/'}${m[3] ?? ''}`;
  const loopback = /^https?:\/\/(?:127\.0\.0\.1|localhost)(?::\d+)?(\/.*)?$/i.exec(url);
  return loopback ? (loopback[1] ?? '/') : url;
}
