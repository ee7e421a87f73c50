/**
 * The fault proxy (tests/harness/fault-proxy.ts) in front of the emulator: signed URLs point here, so
 * faults can hit the byte stream, and the bytes each way are counted.
 *
 * It is also an HTTP proxy for `<account>.blob.core.windows.net`: @actions/cache uses the Azure SDK
 * (segmented downloads with a segment timeout) only for URLs on that domain, so the cache's signed
 * URLs name it, and clients reach it through HTTP_PROXY pointing here. Such absolute-form requests
 * are rewritten to the emulator's path-style URLs (the SAS signature does not cover the host).
 */
import { startFaultProxy, type FaultProxy } from '../harness/fault-proxy.js';
import type { Faults } from './faults.js';

export type BlobFront = FaultProxy;

export function startBlobFront(targetPort: number, faults: Faults): Promise<BlobFront> {
  return startFaultProxy({
    targetPort,
    faults,
    // A proxied request for some other host is refused: this front only stands in for the blob domain.
    upstreamPath: (url) => (/^https?:\/\//i.test(url) && emulatorPath(url) === url ? undefined : emulatorPath(url)),
    isDownload: (req) => req.method === 'GET' && !/[?&](comp|restype)=/.test(req.url ?? ''),
  });
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
