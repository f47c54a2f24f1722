/**
 * Manifests fetched by digest, kept for the life of a client. A digest names
 * its bytes, so an entry can never be stale; the engine still verifies every
 * manifest it reads, so a bad entry could not pass unnoticed either. This is
 * what lets a sync weigh its images up front (to start the biggest first)
 * without reading any manifest twice.
 */
import type { FetchedManifest } from './manifests.ts';

/** Total bytes kept (default 8 MiB: thousands of typical manifests). Least recently used entries go first. */
export const MANIFEST_CACHE_BYTES = 8 * 1024 * 1024;

export class ManifestCache {
  private readonly entries = new Map<string, FetchedManifest>();
  private bytes = 0;
  private readonly limit: number;

  constructor(limit = MANIFEST_CACHE_BYTES) {
    this.limit = limit;
  }

  /** The manifest `repository@digest`, if kept (a copy: callers may not alter ours). */
  get(repository: string, digest: string): FetchedManifest | undefined {
    const key = `${repository}@${digest}`;
    const hit = this.entries.get(key);
    if (!hit) return undefined;
    this.entries.delete(key);
    this.entries.set(key, hit);
    return { ...hit, bytes: hit.bytes.slice() };
  }

  set(repository: string, digest: string, manifest: FetchedManifest): void {
    const key = `${repository}@${digest}`;
    if (manifest.bytes.length > this.limit || this.entries.has(key)) return;
    this.entries.set(key, { ...manifest, bytes: manifest.bytes.slice() });
    this.bytes += manifest.bytes.length;
    for (const [k, v] of this.entries) {
      if (this.bytes <= this.limit) break;
      this.entries.delete(k);
      this.bytes -= v.bytes.length;
    }
  }
}
