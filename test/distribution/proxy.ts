/**
 * A small loopback HTTP proxy in front of the real registry, for answers a
 * stock registry cannot be made to give (Link pagination of tags, which
 * distribution 2.8 does not implement; a body that breaks off mid-way; a
 * bad Content-Range; a redirect; an oversized manifest). Everything the
 * hook does not answer itself is forwarded unchanged.
 */
import { type IncomingMessage, type ServerResponse, createServer, request as httpRequest } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

export interface Forwarded {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface ProxyHooks {
  /** Serve HTTPS with this PEM certificate and key (a TLS front of a plain-HTTP registry). */
  tls?: { cert: string; key: string };
  /** Return true when the request has been answered. `forward` fetches the registry's answer (buffered). */
  handle?: (req: IncomingMessage, res: ServerResponse, forward: (headerChanges?: Record<string, string | undefined>, path?: string) => Promise<Forwarded>) => Promise<boolean> | boolean;
}

export interface TestProxy {
  host: string;
  url: string;
  /** Every request seen: method, url and headers. */
  seen: { method: string; url: string; headers: Record<string, string | string[] | undefined> }[];
  stop(): Promise<void>;
}

export async function startProxy(targetUrl: string, hooks: ProxyHooks = {}): Promise<TestProxy> {
  const target = new URL(targetUrl);
  const seen: TestProxy['seen'] = [];
  const scheme = hooks.tls ? 'https' : 'http';
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: { ...req.headers } });
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const reqBody = Buffer.concat(chunks);
      // headerChanges: a value replaces the header, undefined removes it.
      const forward = (headerChanges: Record<string, string | undefined> = {}, path = req.url) =>
        new Promise<Forwarded>((resolve, reject) => {
          const headers: Record<string, string | string[] | undefined> = { ...req.headers, ...headerChanges, host: target.host };
          for (const [k, v] of Object.entries(headerChanges)) if (v === undefined) delete headers[k];
          const out = httpRequest({ host: target.hostname, port: target.port, method: req.method, path, headers }, (up) => {
            const body: Buffer[] = [];
            up.on('data', (c: Buffer) => body.push(c));
            up.on('end', () => resolve({ status: up.statusCode ?? 502, headers: up.headers, body: Buffer.concat(body) }));
            up.on('error', reject);
          });
          out.on('error', reject);
          out.end(reqBody);
        });
      void (async () => {
        try {
          if (hooks.handle && (await hooks.handle(req, res, forward))) return;
          const f = await forward();
          const headers = { ...f.headers };
          // Rewrite Locations so the client keeps talking to the proxy.
          if (typeof headers.location === 'string') headers.location = headers.location.replace(target.origin, `${scheme}://${addr()}`);
          res.writeHead(f.status, headers);
          res.end(req.method === 'HEAD' ? undefined : f.body);
        } catch (err) {
          res.writeHead(502);
          res.end(String(err));
        }
      })();
    });
  };
  const server = hooks.tls ? createHttpsServer({ cert: hooks.tls.cert, key: hooks.tls.key }, handler) : createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = () => `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    host: addr(),
    url: `${scheme}://${addr()}`,
    seen,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
