/**
 * Counts what a tool asked a registry for, from the registry's own access log
 * (combined log format, one line per request, distribution writes it on
 * stdout). A window is the byte range of the log written while one command
 * ran: take `offset()` before and `window(from)` after.
 */
import { existsSync, openSync, readSync, closeSync, statSync } from 'node:fs';

export interface Request {
  method: string;
  path: string;
  query: string;
  status: number;
  bytes: number;
  userAgent: string;
}

/** What kind of registry API call a request is (OCI distribution spec endpoints). */
export type RequestKind = 'ping' | 'manifest' | 'blob' | 'upload-start' | 'mount' | 'probe' | 'upload-chunk' | 'upload-finish' | 'upload-status' | 'tags' | 'catalog' | 'referrers' | 'other';

export interface RequestSummary {
  total: number;
  /** `METHOD kind` -> count, e.g. `HEAD manifest`. */
  byKind: Record<string, number>;
  /** status -> count. */
  byStatus: Record<string, number>;
  /** Successful blob GETs (200/206) and the bytes they served. */
  blobGets: number;
  blobGetBytes: number;
  /** Distinct digests among successful blob GETs, and GETs beyond the first per digest. */
  blobGetDistinct: number;
  blobGetRepeats: number;
  blobHeads: number;
  /** Completed uploads (PUT .../uploads/...?digest=) and how many of them were of a digest already uploaded in this window (any repository). */
  uploadsFinished: number;
  uploadRepeats: number;
  /** Cross-repository mount attempts, and those the registry honoured (201). */
  mountAttempts: number;
  mountsDone: number;
  /** Mounts from the repository itself: tug's check before a write (201 present, 202 opens the upload). */
  blobProbes: number;
  /**
   * Successful uploads or mounts of a digest into a repository that had
   * already received it in this window: pure waste, and concurrent rewrites
   * of the same link file can make a stock registry briefly answer "blob
   * unknown" for it.
   */
  sameRepoRepeats: number;
  manifestPuts: number;
}

// 127.0.0.1 - - [24/Nov/2026:21:05:24 +0000] "HEAD /v2/a/b/manifests/x?y=1 HTTP/1.1" 404 91 "" "curl/7.88.1"
const LINE = /^\S+ \S+ \S+ \[[^\]]*\] "(\S+) (\S+) [^"]*" (\d{3}) (\d+|-) "[^"]*" "([^"]*)"/;

export function parseLine(line: string): Request | undefined {
  const m = LINE.exec(line);
  if (!m) return undefined;
  const [path = '', query = ''] = m[2]!.split('?', 2);
  return { method: m[1]!, path, query, status: Number(m[3]), bytes: m[4] === '-' ? 0 : Number(m[4]), userAgent: m[5]! };
}

export function kindOf(r: Request): RequestKind {
  const p = r.path;
  if (p === '/v2/' || p === '/v2') return 'ping';
  if (p === '/v2/_catalog') return 'catalog';
  if (/\/manifests\/[^/]+$/.test(p)) return 'manifest';
  if (/\/tags\/list$/.test(p)) return 'tags';
  if (/\/referrers\/[^/]+$/.test(p)) return 'referrers';
  if (/\/blobs\/uploads\/?$/.test(p)) {
    const q = new URLSearchParams(r.query);
    if (!q.has('mount')) return 'upload-start';
    return q.get('from') === p.slice('/v2/'.length, p.indexOf('/blobs/')) ? 'probe' : 'mount';
  }
  if (/\/blobs\/uploads\/[^/]+$/.test(p)) {
    if (r.method === 'PUT') return 'upload-finish';
    if (r.method === 'PATCH') return 'upload-chunk';
    return 'upload-status';
  }
  if (/\/blobs\/sha256:[0-9a-f]{64}$/.test(p)) return 'blob';
  return 'other';
}

/** Size of the log now: the start of the next window. */
export function offset(file: string): number {
  return existsSync(file) ? statSync(file).size : 0;
}

/** The requests logged from byte `from` to the current end of the file. */
export function window(file: string, from: number): Request[] {
  const end = offset(file);
  if (end <= from) return [];
  const buf = Buffer.alloc(end - from);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, buf, 0, buf.length, from);
  } finally {
    closeSync(fd);
  }
  const out: Request[] = [];
  for (const line of buf.toString('utf8').split('\n')) {
    const r = line ? parseLine(line) : undefined;
    if (r) out.push(r);
  }
  return out;
}

export function summarise(requests: Request[]): RequestSummary {
  const s: RequestSummary = {
    total: requests.length,
    byKind: {},
    byStatus: {},
    blobGets: 0,
    blobGetBytes: 0,
    blobGetDistinct: 0,
    blobGetRepeats: 0,
    blobHeads: 0,
    uploadsFinished: 0,
    uploadRepeats: 0,
    mountAttempts: 0,
    mountsDone: 0,
    blobProbes: 0,
    sameRepoRepeats: 0,
    manifestPuts: 0,
  };
  const got = new Set<string>();
  const uploaded = new Set<string>();
  const inRepo = new Set<string>();
  const repoOf = (path: string) => path.slice('/v2/'.length, path.indexOf('/blobs/'));
  const received = (repo: string, digest: string) => {
    if (inRepo.has(`${repo}@${digest}`)) s.sameRepoRepeats++;
    inRepo.add(`${repo}@${digest}`);
  };
  for (const r of requests) {
    const kind = kindOf(r);
    const key = `${r.method} ${kind}`;
    s.byKind[key] = (s.byKind[key] ?? 0) + 1;
    s.byStatus[r.status] = (s.byStatus[r.status] ?? 0) + 1;
    if (kind === 'blob' && r.method === 'GET' && (r.status === 200 || r.status === 206)) {
      const digest = r.path.slice(r.path.lastIndexOf('/') + 1);
      s.blobGets++;
      s.blobGetBytes += r.bytes;
      if (got.has(digest)) s.blobGetRepeats++;
      got.add(digest);
    }
    if (kind === 'blob' && r.method === 'HEAD') s.blobHeads++;
    if (kind === 'upload-finish' && r.status === 201) {
      const digest = new URLSearchParams(r.query).get('digest') ?? '';
      s.uploadsFinished++;
      if (uploaded.has(digest)) s.uploadRepeats++;
      uploaded.add(digest);
      received(repoOf(r.path), digest);
    }
    if (kind === 'mount') {
      s.mountAttempts++;
      if (r.status === 201) {
        s.mountsDone++;
        received(repoOf(r.path), new URLSearchParams(r.query).get('mount') ?? '');
      }
    }
    if (kind === 'probe') s.blobProbes++;
    if (kind === 'manifest' && r.method === 'PUT') s.manifestPuts++;
  }
  s.blobGetDistinct = got.size;
  return s;
}
