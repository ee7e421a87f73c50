/**
 * Faults the loopback services inject on request. Each fault is armed for a number of calls and
 * disarms itself; tests arm them between steps and read what fired.
 *
 * Twirp faults hit the results service's API. Request faults hit the byte stream of a fault proxy
 * (tests/harness/fault-proxy.ts): the blob front of the results service, where every request is the
 * operation "blob", or the front of the S3 server, whose requests are S3 operations ("UploadPart",
 * "GetObject", …); `operation` aims a fault at one of them ('*': any).
 */

export type TwirpService = 'CacheService' | 'ArtifactService';

interface StatusFault {
  /** Twirp method name (e.g. "CreateCacheEntry"), or "*" for every method. */
  method: string;
  status: 500 | 429 | 503;
  remaining: number;
}

interface RequestFault {
  operation: string;
  remaining: number;
}

export class Faults {
  private statusFaults: StatusFault[] = [];
  private requestStatus: Array<RequestFault & { status: number }> = [];
  private uploadDrops: Array<RequestFault & { afterBytes: number }> = [];
  private downloadDrops: Array<RequestFault & { afterBytes: number }> = [];
  private downloadStalls: Array<RequestFault & { minBytes: number }> = [];
  private pauses: Array<RequestFault & { run: () => Promise<void> }> = [];
  /** What fired, in order, for assertions ("CreateCacheEntry:429", "blob-upload-dropped", "UploadPart:500", ...). */
  readonly fired: string[] = [];

  /** The next `times` calls of a Twirp method answer `status`. */
  failTwirp(method: string, status: 500 | 429 | 503, times = 1): void {
    this.statusFaults.push({ method, status, remaining: times });
  }

  /** The next `times` proxied requests (of `operation`) answer `status` without reaching the server. */
  failBlob(status: 500 | 501 | 503 | 429 | 412, times = 1, operation = '*'): void {
    this.requestStatus.push({ status, remaining: times, operation });
  }

  /** The next `times` uploads (of `operation`) have their connection destroyed after `afterBytes` body bytes. */
  dropUpload(afterBytes: number, times = 1, operation = '*'): void {
    this.uploadDrops.push({ afterBytes, remaining: times, operation });
  }

  /** The next `times` downloads (of `operation`) longer than `afterBytes` have their connection destroyed after that many body bytes. */
  dropDownload(afterBytes: number, times = 1, operation = '*'): void {
    this.downloadDrops.push({ afterBytes, remaining: times, operation });
  }

  /**
   * The next `times` downloads of at least `minBytes` send the server's headers and then no
   * body, holding the connection open.
   */
  stallDownload(times = 1, minBytes = 0, operation = '*'): void {
    this.downloadStalls.push({ remaining: times, minBytes, operation });
  }

  /**
   * The next request of `operation` waits until `run` has finished, then goes on: orders concurrent work
   * (another job's publish between two steps of this one) without relying on timing.
   */
  pauseBefore(operation: string, run: () => Promise<void>): void {
    this.pauses.push({ operation, remaining: 1, run });
  }

  clear(): void {
    this.pauses = [];
    this.statusFaults = [];
    this.requestStatus = [];
    this.uploadDrops = [];
    this.downloadDrops = [];
    this.downloadStalls = [];
  }

  takeTwirpStatus(method: string): number | undefined {
    const fault = this.statusFaults.find((f) => f.remaining > 0 && (f.method === method || f.method === '*'));
    if (!fault) return undefined;
    fault.remaining--;
    this.fired.push(`${method}:${fault.status}`);
    return fault.status;
  }

  takePause(operation: string): (() => Promise<void>) | undefined {
    const pause = take(this.pauses, operation);
    if (pause) this.fired.push(`${operation}-paused`);
    return pause?.run;
  }

  takeBlobStatus(operation = 'blob'): number | undefined {
    const fault = take(this.requestStatus, operation);
    if (fault) this.fired.push(`${operation}:${fault.status}`);
    return fault?.status;
  }

  takeUploadDrop(operation = 'blob'): number | undefined {
    const fault = take(this.uploadDrops, operation);
    if (fault) this.fired.push(`${operation}-upload-dropped`);
    return fault?.afterBytes;
  }

  takeDownloadDrop(contentLength: number, operation = 'blob'): number | undefined {
    const fault = take(this.downloadDrops, operation, (f) => contentLength > f.afterBytes);
    if (fault) this.fired.push(`${operation}-download-dropped`);
    return fault?.afterBytes;
  }

  takeDownloadStall(contentLength: number, operation = 'blob'): boolean {
    const fault = take(this.downloadStalls, operation, (f) => contentLength >= f.minBytes);
    if (fault) this.fired.push(`${operation}-download-stalled`);
    return fault !== undefined;
  }
}

/** The first armed fault aimed at `operation` (and passing `fits`), counted down. */
function take<F extends RequestFault>(faults: F[], operation: string, fits: (f: F) => boolean = () => true): F | undefined {
  const fault = faults.find((f) => f.remaining > 0 && (f.operation === '*' || f.operation === operation) && fits(f));
  if (fault) fault.remaining--;
  return fault;
}
