/**
 * A fault-injecting HTTP proxy in front of a real registry (see
 * registry.ts): it forwards every request on its own loopback port, streaming
 * bodies both ways, and applies programmable faults - the failures a real
 * registry cannot be made to produce on demand (STYLE.md #9).
 *
 * Faults are matched in order; the first unspent one whose `method` and
 * `path` match a request applies to it, and each application counts against
 * its `times`. Only one fault applies per request.
 *
 * The request log records whether a request carried Authorization, never the value.
 */
import { Buffer } from 'node:buffer';
import { type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse, Agent, createServer, request as httpRequest } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** What a fault does to a matching request. */
export type FaultKind =
  /**
   * Answer `status` without asking upstream, with `Retry-After` when given
   * (seconds or an HTTP-date). A 404 says BLOB_UPLOAD_UNKNOWN: an upload
   * session the registry has forgotten.
   */
  | { kind: 'status'; status: 404 | 408 | 429 | 500 | 503; retryAfter?: string }
  /** Forward without the query string: a registry that ignores parameters it does not implement (`mount`, `from`). */
  | { kind: 'drop-query' }
  /** Forward the response headers and the first `bytes` body bytes, then destroy the socket. */
  | { kind: 'drop-after'; bytes: number }
  /** Flip (XOR 0xff) the body byte at `offset` (default: the middle of the body), keeping the length. */
  | { kind: 'flip-byte'; offset?: number }
  /**
   * For a request with a `Range: bytes=N-[M]` header: answer 206 with a body
   * and Content-Range starting at another offset (`start`, default 0, or 1
   * when N is 0). Requests without Range do not match this fault.
   */
  | { kind: 'lie-content-range'; start?: number }
  /**
   * Wait `ms` before forwarding. A request whose client has gone away in
   * the meantime (a killed process) is then dropped, never forwarded.
   */
  | { kind: 'delay'; ms: number };

export type Fault = FaultKind & {
  /** Request method to match; any method when omitted. */
  method?: string;
  /** Matched against the path and query (`/v2/repo/blobs/sha256:...`); any path when omitted. */
  path?: RegExp;
  /** How many matching requests this fault applies to before it is spent (default 1). */
  times?: number;
};

export interface RequestLog {
  method: string;
  /** Path and query as the client sent them. */
  path: string;
  /** Status sent to the client (0 when the connection died before a status was sent). */
  status: number;
  /** The request's Range header, if any. */
  range: string | undefined;
  /** Whether the request carried an Authorization header (its value is never recorded). */
  hadAuthorization: boolean;
  /** When the request arrived (epoch ms). */
  at: number;
  /** When its response ended or its connection closed (epoch ms); undefined while in flight. */
  doneAt?: number | undefined;
  /** The fault applied to this request, if any. */
  fault: FaultKind['kind'] | undefined;
}

export interface FaultProxy {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** `127.0.0.1:PORT` */
  host: string;
  port: number;
  /** Replaces the fault list (an empty list makes the proxy transparent). */
  setFaults(faults: Fault[]): void;
  /** Every request so far, in arrival order. Clear it with `requests.length = 0`. */
  requests: RequestLog[];
  /**
   * Resolves once no request is waiting out a delay and no exchange with
   * upstream is open: after a client is killed, what it sent has either
   * reached the registry or never will.
   */
  idle(): Promise<void>;
  /** Cuts every open client connection (a network blip: long-lived streams included); the proxy keeps listening. */
  dropConnections(): void;
  stop(): Promise<void>;
}

// RFC 9110 section 7.6.1: hop-by-hop fields are not forwarded.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

function endToEnd(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
  return out;
}

interface ActiveFault {
  fault: Fault;
  left: number;
}

/** Parses `bytes=N-` / `bytes=N-M`; undefined for anything else (suffix or multiple ranges). */
function rangeStart(range: string | undefined): number | undefined {
  const m = range ? /^bytes=(\d+)-(\d*)$/.exec(range.trim()) : null;
  return m ? Number(m[1]) : undefined;
}

/**
 * Starts the proxy on a free loopback port in front of `upstreamUrl`
 * (`http://127.0.0.1:PORT`, plain HTTP). Stop it with `stop()` in an `after`/`finally`.
 */
export async function startFaultProxy(upstreamUrl: string): Promise<FaultProxy> {
  const upstream = new URL(upstreamUrl);
  if (upstream.protocol !== 'http:') throw new Error(`fault proxy: upstream must be plain http, got ${upstreamUrl}`);
  const agent = new Agent({ keepAlive: true });
  const requests: RequestLog[] = [];
  let faults: ActiveFault[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const sockets = new Set<Socket>();
  let proxyOrigin = '';
  // Requests not yet settled: answered by a fault, dropped, or their upstream exchange closed.
  let open = 0;
  const idleWaiters: (() => void)[] = [];
  const settler = () => {
    let settled = false;
    return () => {
      if (settled) return;
      settled = true;
      if (--open === 0) for (const wake of idleWaiters.splice(0)) wake();
    };
  };

  const take = (req: IncomingMessage): Fault | undefined => {
    for (const f of faults) {
      if (f.left <= 0) continue;
      if (f.fault.method && f.fault.method.toUpperCase() !== req.method) continue;
      if (f.fault.path && !f.fault.path.test(req.url ?? '')) continue;
      if (f.fault.kind === 'lie-content-range' && rangeStart(req.headers.range) === undefined) continue;
      f.left--;
      return f.fault;
    }
    return undefined;
  };

  const rewriteLocation = (headers: OutgoingHttpHeaders): void => {
    const loc = headers.location;
    if (typeof loc === 'string' && loc.startsWith(upstream.origin)) headers.location = proxyOrigin + loc.slice(upstream.origin.length);
  };

  const handle = (req: IncomingMessage, res: ServerResponse, fault: Fault | undefined, entry: RequestLog, settle: () => void): void => {
    const headers = endToEnd(req.headers);
    headers.host = upstream.host;
    let lieStart: number | undefined;
    if (fault?.kind === 'lie-content-range') {
      const asked = rangeStart(req.headers.range)!;
      lieStart = fault.start ?? (asked === 0 ? 1 : 0);
      headers.range = `bytes=${lieStart}-`;
    }
    const path = fault?.kind === 'drop-query' ? (req.url ?? '').split('?')[0] : req.url;
    const up = httpRequest({ host: upstream.hostname, port: upstream.port, method: req.method, path, headers, agent });
    up.once('close', settle);
    up.on('error', () => {
      if (!res.headersSent) {
        entry.status = 502;
        res.writeHead(502, { 'content-type': 'text/plain' }).end('fault proxy: upstream failed\n');
      } else res.destroy();
    });
    req.pipe(up);
    up.on('response', (ur) => {
      const out = endToEnd(ur.headers);
      rewriteLocation(out);
      let status = ur.statusCode ?? 502;
      let skip = 0;
      if (lieStart !== undefined) {
        // Upstream may ignore Range (200): cut the body ourselves.
        const total = status === 206 ? Number(/\/(\d+)$/.exec(String(ur.headers['content-range']))?.[1]) : Number(ur.headers['content-length']);
        if (status === 200 && Number.isFinite(total)) {
          skip = lieStart;
          out['content-range'] = `bytes ${lieStart}-${total - 1}/${total}`;
          out['content-length'] = String(Math.max(0, total - lieStart));
        }
        if (status === 200 || status === 206) status = 206;
      }
      entry.status = status;
      res.writeHead(status, out);
      // Headers go out now even if the body is cut at byte 0.
      if (fault?.kind === 'drop-after') res.flushHeaders();
      if (req.method === 'HEAD') {
        ur.resume();
        res.end();
        return;
      }
      const length = Number(ur.headers['content-length']);
      const flipAt = fault?.kind === 'flip-byte' ? (fault.offset ?? (Number.isFinite(length) ? Math.floor(length / 2) : 0)) : -1;
      const dropAfter = fault?.kind === 'drop-after' ? fault.bytes : -1;
      let sent = 0; // body bytes sent to the client
      ur.on('data', (chunk: Buffer) => {
        let c = chunk;
        if (skip > 0) {
          const cut = Math.min(skip, c.length);
          skip -= cut;
          c = c.subarray(cut);
          if (c.length === 0) return;
        }
        if (flipAt >= sent && flipAt < sent + c.length) {
          c = Buffer.from(c);
          c[flipAt - sent] = c[flipAt - sent]! ^ 0xff;
        }
        if (dropAfter >= 0 && sent + c.length >= dropAfter) {
          const part = c.subarray(0, dropAfter - sent);
          sent += part.length;
          ur.destroy();
          if (part.length > 0) res.write(part);
          // Flush what we promised (headers included), then cut the connection mid-body.
          const socket = res.socket;
          if (socket) {
            socket.once('finish', () => socket.destroy());
            socket.end();
          }
          return;
        }
        sent += c.length;
        if (!res.write(c)) {
          ur.pause();
          res.once('drain', () => ur.resume());
        }
      });
      ur.on('end', () => {
        if (!res.destroyed) res.end();
      });
      ur.on('error', () => res.destroy());
    });
    res.on('close', () => {
      if (!res.writableFinished) up.destroy();
    });
  };

  const server = createServer((req, res) => {
    open++;
    const settle = settler();
    const fault = take(req);
    const entry: RequestLog = {
      method: req.method ?? '',
      path: req.url ?? '',
      status: 0,
      range: req.headers.range,
      hadAuthorization: req.headers.authorization !== undefined,
      at: Date.now(),
      fault: fault?.kind,
    };
    requests.push(entry);
    res.once('close', () => {
      entry.doneAt = Date.now();
    });
    if (fault?.kind === 'status') {
      const headers: OutgoingHttpHeaders = { 'content-type': 'application/json', 'docker-distribution-api-version': 'registry/2.0' };
      if (fault.retryAfter !== undefined) headers['retry-after'] = fault.retryAfter;
      const code = fault.status === 429 ? 'TOOMANYREQUESTS' : fault.status === 404 ? 'BLOB_UPLOAD_UNKNOWN' : 'UNAVAILABLE';
      const body = JSON.stringify({ errors: [{ code, message: `fault proxy: injected ${fault.status}` }] });
      // Answer once the request body is in, so the client is not cut off mid-upload.
      req.resume();
      req.on('end', () => {
        entry.status = fault.status;
        res.writeHead(fault.status, { ...headers, 'content-length': Buffer.byteLength(body) }).end(body);
      });
      res.once('close', settle);
      return;
    }
    if (fault?.kind === 'delay') {
      req.pause();
      // A client that goes away while held is dropped at once: never forwarded, settled now.
      const gone = () => {
        clearTimeout(timer);
        timers.delete(timer);
        settle();
      };
      const timer = setTimeout(() => {
        timers.delete(timer);
        res.off('close', gone);
        handle(req, res, fault, entry, settle);
      }, fault.ms);
      timers.add(timer);
      res.once('close', gone);
      return;
    }
    handle(req, res, fault, entry, settle);
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  proxyOrigin = `http://127.0.0.1:${port}`;

  return {
    url: proxyOrigin,
    host: `127.0.0.1:${port}`,
    port,
    requests,
    setFaults(list: Fault[]) {
      faults = list.map((fault) => ({ fault, left: fault.times ?? 1 }));
    },
    idle() {
      return open === 0 ? Promise.resolve() : new Promise<void>((resolve) => idleWaiters.push(resolve));
    },
    dropConnections() {
      for (const s of sockets) s.destroy();
    },
    async stop() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      agent.destroy();
      await closed;
    },
  };
}
