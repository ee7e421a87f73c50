/**
 * Faults the loopback service injects on request. Each fault is armed for a number of calls and
 * disarms itself; tests arm them between steps and read what fired.
 */

export type TwirpService = 'CacheService' | 'ArtifactService';

interface StatusFault {
  /** Twirp method name (e.g. "CreateCacheEntry"), or "*" for every method. */
  method: string;
  status: 500 | 429 | 503;
  remaining: number;
}

export class Faults {
  private statusFaults: StatusFault[] = [];
  private blobStatus: { status: number; remaining: number } | undefined;
  private uploadDrop: { afterBytes: number; remaining: number } | undefined;
  private downloadStall: { remaining: number; minBytes: number } | undefined;
  /** What fired, in order, for assertions ("CreateCacheEntry:429", "blob-upload-dropped", ...). */
  readonly fired: string[] = [];

  /** The next `times` calls of a Twirp method answer `status`. */
  failTwirp(method: string, status: 500 | 429 | 503, times = 1): void {
    this.statusFaults.push({ method, status, remaining: times });
  }

  /** The next `times` blob requests (any verb) answer `status` without reaching the emulator. */
  failBlob(status: 500 | 503, times = 1): void {
    this.blobStatus = { status, remaining: times };
  }

  /** The next `times` blob uploads have their connection destroyed after `afterBytes` body bytes. */
  dropUpload(afterBytes: number, times = 1): void {
    this.uploadDrop = { afterBytes, remaining: times };
  }

  /**
   * The next `times` blob downloads of at least `minBytes` send the emulator's headers and then no
   * body, holding the connection open.
   */
  stallDownload(times = 1, minBytes = 0): void {
    this.downloadStall = { remaining: times, minBytes };
  }

  clear(): void {
    this.statusFaults = [];
    this.blobStatus = this.uploadDrop = this.downloadStall = undefined;
  }

  takeTwirpStatus(method: string): number | undefined {
    const fault = this.statusFaults.find((f) => f.remaining > 0 && (f.method === method || f.method === '*'));
    if (!fault) return undefined;
    fault.remaining--;
    this.fired.push(`${method}:${fault.status}`);
    return fault.status;
  }

  takeBlobStatus(): number | undefined {
    if (!this.blobStatus || this.blobStatus.remaining <= 0) return undefined;
    this.blobStatus.remaining--;
    this.fired.push(`blob:${this.blobStatus.status}`);
    return this.blobStatus.status;
  }

  takeUploadDrop(): number | undefined {
    if (!this.uploadDrop || this.uploadDrop.remaining <= 0) return undefined;
    this.uploadDrop.remaining--;
    this.fired.push('blob-upload-dropped');
    return this.uploadDrop.afterBytes;
  }

  takeDownloadStall(contentLength: number): boolean {
    if (!this.downloadStall || this.downloadStall.remaining <= 0 || contentLength < this.downloadStall.minBytes) return false;
    this.downloadStall.remaining--;
    this.fired.push('blob-download-stalled');
    return true;
  }
}
