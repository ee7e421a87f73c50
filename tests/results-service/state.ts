/** What the loopback results service remembers: cache entries and artifacts, in memory. */

export interface CacheEntry {
  id: number;
  key: string;
  version: string;
  blobName: string;
  sizeBytes: number;
  created: number;
  finalized: boolean;
}

export interface Artifact {
  id: number;
  runBackendId: string;
  jobBackendId: string;
  name: string;
  blobName: string;
  mimeType: string;
  size: number;
  digest: string | undefined;
  created: number;
  finalized: boolean;
}

export class ServiceState {
  private nextId = 1;
  readonly cache: CacheEntry[] = [];
  readonly artifacts: Artifact[] = [];

  newId(): number {
    return this.nextId++;
  }

  finalizedCacheEntry(key: string, version: string): CacheEntry | undefined {
    return this.cache.find((e) => e.finalized && e.key === key && e.version === version);
  }

  /**
   * The service's documented matching rule: the primary key exactly, then as a prefix; then each
   * restore key exactly, then as a prefix. Among prefix matches the newest entry wins. Only entries of
   * the same version match.
   */
  matchCacheEntry(key: string, restoreKeys: string[], version: string): CacheEntry | undefined {
    for (const wanted of [key, ...restoreKeys]) {
      const exact = this.finalizedCacheEntry(wanted, version);
      if (exact) return exact;
      const byPrefix = this.cache
        .filter((e) => e.finalized && e.version === version && e.key.startsWith(wanted))
        .sort((a, b) => b.created - a.created || b.id - a.id);
      if (byPrefix.length > 0) return byPrefix[0];
    }
    return undefined;
  }

  artifactsOfRun(runBackendId: string): Artifact[] {
    return this.artifacts.filter((a) => a.finalized && a.runBackendId === runBackendId);
  }
}
