/** Formatting and client-side validation shared by the pages. */
import dayjs from 'dayjs';
import { formatBytes as bytesText } from '../../src/api/bytes.ts';
import { formatDuration, parseDuration } from '../../src/api/duration.ts';
import type { Repository, SyncStatus } from '../../src/api/types.ts';
import { DESCRIPTION_ANNOTATION, DISPLAY_NAME_ANNOTATION } from '../../src/api/types.ts';

export { DESCRIPTION_ANNOTATION, DISPLAY_NAME_ANNOTATION, parseDuration };

/** Times in the browser's zone. */
export function formatTime(iso: string | undefined): string {
  if (!iso) return '—';
  const d = dayjs(iso);
  return d.isValid() ? d.format('YYYY-MM-DD HH:mm:ss') : iso;
}

export function fromNow(iso: string | undefined): string {
  if (!iso) return '';
  const d = dayjs(iso);
  return d.isValid() ? d.fromNow() : '';
}

/** Sizes as the CLI prints them (src/api/bytes.ts); sizes arrive as numbers or decimal strings. */
export function formatBytes(n: number | string | undefined): string {
  if (n === undefined || n === '') return '—';
  const v = typeof n === 'string' ? Number(n) : n;
  return Number.isFinite(v) ? bytesText(v) : String(n);
}

/** Durations as the CLI prints elapsed times (src/api/duration.ts): `450ms`, `1.5s`, `2m3s`. */
export function formatMs(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) return '—';
  return formatDuration(ms, { tenths: true });
}

export function shortDigest(d: string | undefined): string {
  if (!d) return '—';
  const [alg, hex] = d.includes(':') ? d.split(':', 2) : ['', d];
  return `${alg ? `${alg}:` : ''}${(hex ?? '').slice(0, 12)}`;
}

export function displayName(r: { metadata: { annotations?: Record<string, string> } }): string | undefined {
  const v = r.metadata.annotations?.[DISPLAY_NAME_ANNOTATION];
  return v ? v : undefined;
}

export function description(r: { metadata: { annotations?: Record<string, string> } }): string | undefined {
  const v = r.metadata.annotations?.[DESCRIPTION_ANNOTATION];
  return v ? v : undefined;
}

export function syncStatus(r: Repository): SyncStatus {
  return r.status?.syncStatus ?? 'Pending';
}

/**
 * The image as a cluster should reference it: the mirror's copy when the
 * Repository has a mirror (status.mirror, written by the scheduler after the
 * copy: `HOST/PATH:TAG` and the digest there), else the source the last sync
 * resolved. `pinned` adds the digest (`HOST/PATH:TAG@sha256:...`), so nodes
 * pull exactly what was synced; undefined until a sync has succeeded.
 */
export function clusterReference(r: Repository): { tagged: string; pinned?: string; mirrored: boolean } | undefined {
  const s = r.status;
  if (r.spec.mirror) {
    if (!s?.mirror?.image) return undefined;
    return { tagged: s.mirror.image, mirrored: true, ...(s.mirror.digest ? { pinned: `${s.mirror.image}@${s.mirror.digest}` } : {}) };
  }
  if (!s?.domain || !s.observedDigest) return undefined;
  const tagged = `${s.domain}/${r.spec.repository}:${r.spec.tag}`;
  return { tagged, pinned: `${tagged}@${s.observedDigest}`, mirrored: false };
}

/** The host a Registry URL names (`https://h:5000` -> `h:5000`). */
export function registryHost(url: string): string {
  try {
    return new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `https://${url}`).host;
  } catch {
    return url;
  }
}

/** The same text the server's `q` searches, for live events. */
export function matchesSearch(r: Repository, q: string): boolean {
  if (!q) return true;
  const needle = q.toLowerCase();
  return [r.metadata.name, displayName(r) ?? '', `${r.spec.repository}:${r.spec.tag}`].some((p) => p.toLowerCase().includes(needle));
}

export const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
export const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const REPOSITORY_PATH = /^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$/;
export const TAG = /^[\w][\w.-]{0,127}$/;

export const isName = (s: string) => s.length <= 253 && DNS1123_SUBDOMAIN.test(s);
export const isNamespace = (s: string) => s.length <= 63 && DNS1123_LABEL.test(s);
export const isDuration = (s: string, minMs: number) => {
  const ms = parseDuration(s);
  return ms !== undefined && ms >= minMs;
};

/** Sort key of the server's lists: namespace, then name. */
export function compareKey(a: { metadata: { namespace: string; name: string } }, b: { metadata: { namespace: string; name: string } }): number {
  if (a.metadata.namespace !== b.metadata.namespace) return a.metadata.namespace < b.metadata.namespace ? -1 : 1;
  if (a.metadata.name === b.metadata.name) return 0;
  return a.metadata.name < b.metadata.name ? -1 : 1;
}

/**
 * The newer of two versions of one object (the store's resourceVersions are
 * increasing integers): a write's answer must not replace a version the
 * watch has already brought (the sync the write queued may have finished first).
 */
export function newerVersion<T extends { metadata: { resourceVersion?: string | undefined } }>(cur: T | undefined, next: T): T {
  return cur && Number(cur.metadata.resourceVersion) >= Number(next.metadata.resourceVersion) ? cur : next;
}

export const objKey = (o: { metadata: { namespace: string; name: string } }) => `${o.metadata.namespace}/${o.metadata.name}`;
