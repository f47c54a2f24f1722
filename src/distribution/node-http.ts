/**
 * The other way an exchange can travel: Node's own node:http/node:https
 * instead of undici, for the commands that make a handful of requests and
 * exit (`tug inspect`, `tug copy`). undici with its WebAssembly parser and
 * node:http2 costs such a command ~80 ms of CPU at start, a third of it
 * (measured: one GET 232-243 ms of CPU through undici, 156-158 ms through
 * node:http; issue 14 item 7). Long runs (sync, bundle, serve) keep undici.
 *
 * Only the transport differs. http.ts chooses per origin (with the same
 * proxy decision and TLS settings) and hands the exchange to whichever
 * dispatcher it built; auth, redirects, retries, credential scoping and
 * error mapping stay above, written once. An origin reached through a proxy,
 * or a client with an egress policy, always goes through undici (whose
 * connector enforces both), never here.
 *
 * The modules come from process.getBuiltinModule: an `import` of node:http
 * builds its ESM facade, which loads Node's bundled undici (~80 ms).
 */
import type { Agent as HttpAgent, ClientRequest, IncomingMessage, RequestOptions } from 'node:http';
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';

/** What {@link NodeHttpDispatcher.request} takes: the part of undici's request options http.ts uses. */
export interface NodeHttpRequest {
  path: string;
  method: string;
  headers: Record<string, string>;
  body: Uint8Array | Readable | null;
  signal?: AbortSignal | undefined;
}

/** The TLS settings of the connection (http.ts builds them once for both stacks). */
export interface NodeHttpTls {
  rejectUnauthorized?: boolean;
  ca?: string | string[];
  cert?: string;
  key?: string;
}

/** As undici's defaults: 10 s to connect, 300 s without a byte of headers or body. */
const CONNECT_TIMEOUT_MS = 10_000;
const IDLE_TIMEOUT_MS = 300_000;

/** An error with the `code` the error mapping (errors.ts) reads. */
function codeError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

/**
 * Keep-alive connections to one origin over node:http(s), with the
 * undici-shaped `request()` that {@link Connections.send} calls.
 */
export class NodeHttpDispatcher {
  private readonly origin: URL;
  private readonly agent: HttpAgent;
  private readonly module: typeof import('node:http');

  constructor(origin: string, tls: NodeHttpTls) {
    this.origin = new URL(origin);
    const https = this.origin.protocol === 'https:';
    this.module = process.getBuiltinModule(https ? 'node:https' : 'node:http') as typeof import('node:http');
    // The TLS options go on the agent: its connections are made with them (and pooled by them).
    this.agent = new this.module.Agent({ keepAlive: true, keepAliveMsecs: 10_000, ...(https ? tls : {}) } as ConstructorParameters<typeof HttpAgent>[0]);
  }

  /** One exchange; resolves with the status and headers, the body still to be read (or discarded). */
  request(options: NodeHttpRequest): Promise<Dispatcher.ResponseData> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(signal.reason instanceof Error ? signal.reason : codeError('This operation was aborted', 'ABORT_ERR'));
    const init: RequestOptions = {
      protocol: this.origin.protocol,
      hostname: this.origin.hostname.replace(/^\[|\]$/g, ''),
      port: this.origin.port || undefined,
      path: options.path,
      method: options.method,
      headers: options.headers,
      agent: this.agent,
      ...(signal ? { signal } : {}),
    };
    return new Promise((resolve, reject) => {
      let req: ClientRequest;
      try {
        req = this.module.request(init);
      } catch (err) {
        reject(err as Error);
        return;
      }
      req.on('error', reject);
      req.on('socket', (socket) => {
        // A connection from the pool is already connected; a new one gets undici's connect timeout.
        if (!socket.connecting) return;
        const timer = setTimeout(() => req.destroy(codeError(`connect timeout after ${CONNECT_TIMEOUT_MS} ms`, 'ETIMEDOUT')), CONNECT_TIMEOUT_MS);
        socket.once('connect', () => clearTimeout(timer));
        socket.once('close', () => clearTimeout(timer));
      });
      req.setTimeout(IDLE_TIMEOUT_MS, () => req.destroy(codeError(`no data for ${IDLE_TIMEOUT_MS / 1000} s`, 'ETIMEDOUT')));
      req.on('response', (res: IncomingMessage) => {
        resolve({ statusCode: res.statusCode ?? 0, headers: headersOf(res), body: withDump(res), trailers: {}, opaque: null, context: {} } as unknown as Dispatcher.ResponseData);
      });
      const body = options.body;
      if (body === null) req.end();
      else if (body instanceof Uint8Array) req.end(body);
      else {
        // A stream body: an error on either side ends the exchange.
        body.on('error', (err) => req.destroy(err));
        body.pipe(req);
      }
    });
  }

  async close(): Promise<void> {
    this.agent.destroy();
  }

  async destroy(): Promise<void> {
    this.agent.destroy();
  }
}

/**
 * The headers as undici gives them: a repeated header (two WWW-Authenticate
 * challenges) as an array, not joined with commas as `res.headers` does.
 */
function headersOf(res: IncomingMessage): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, values] of Object.entries(res.headersDistinct)) if (values) out[name] = values.length === 1 ? values[0]! : values;
  return out;
}

/**
 * Gives the body undici's `dump({ limit })` (http.ts `discard`): a small
 * leftover is read to its end so the connection goes back to the pool; a
 * bigger one is destroyed with its connection, as undici does.
 */
function withDump(res: IncomingMessage): IncomingMessage {
  return Object.assign(res, {
    dump: ({ limit }: { limit: number }) =>
      new Promise<void>((done) => {
        if (res.complete || res.destroyed) {
          res.resume();
          done();
          return;
        }
        const length = Number(res.headers['content-length']);
        if (!(length <= limit)) {
          res.destroy();
          done();
          return;
        }
        res.once('end', () => done());
        res.once('close', () => done());
        res.resume();
      }),
  });
}

/**
 * Whether new connections go through node:http (set once by a short CLI
 * command before its first request; never by sync, bundle or serve).
 */
let preferred = false;

/** Makes the connections opened from now on use node:http(s) where allowed (see the module comment). */
export function preferNodeHttp(): void {
  preferred = true;
}

/** Whether {@link preferNodeHttp} was called. */
export function nodeHttpPreferred(): boolean {
  return preferred;
}
