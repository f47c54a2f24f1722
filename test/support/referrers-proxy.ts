/**
 * A proxy that gives the stock registry (distribution 2.8, no referrers API)
 * the OCI 1.1 referrers API, so the API path is tested against real storage:
 *
 * - a manifest PUT whose body has a `subject` is forwarded, and when the
 *   registry stored it, answered with `OCI-Subject: <subject digest>` (the
 *   spec's sign that the registry indexes referrers) and recorded;
 * - `GET /v2/<name>/referrers/<digest>[?artifactType=]` is answered from
 *   those records, each manifest re-read from the registry (so it stays the
 *   source of truth: a deleted referrer drops out), as an OCI index of
 *   descriptors with artifactType and annotations, filtered by artifactType
 *   (with `OCI-Filters-Applied`);
 * - everything else is forwarded unchanged.
 */
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReferrersProxy {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** `127.0.0.1:PORT` */
  host: string;
  /** Manifests pushed with a subject, as recorded: what `OCI-Subject` was sent for. */
  pushes: { repository: string; subject: string; digest: string }[];
  /** Referrers API requests answered. */
  listings: { repository: string; subject: string; artifactType: string | undefined }[];
  stop(): Promise<void>;
}

const REFERRERS = /^\/v2\/(.+)\/referrers\/(sha256:[a-f0-9]{64})$/;
const MANIFEST_PUT = /^\/v2\/(.+)\/manifests\/([^/]+)$/;

async function body(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Starts the proxy in front of `upstream` (`http://127.0.0.1:PORT`). */
export async function startReferrersProxy(upstream: string): Promise<ReferrersProxy> {
  const pushes: ReferrersProxy['pushes'] = [];
  let self = '';
  const listings: ReferrersProxy['listings'] = [];

  const forward = async (req: IncomingMessage, bytes: Buffer): Promise<Response> => {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && k !== 'host' && k !== 'connection' && k !== 'content-length' && k !== 'transfer-encoding') headers[k] = v;
    const method = req.method ?? 'GET';
    return fetch(new URL(req.url ?? '/', upstream), { method, headers, body: method === 'GET' || method === 'HEAD' ? undefined : bytes, redirect: 'manual' });
  };

  const send = async (res: ServerResponse, answer: Response, extra: Record<string, string> = {}, method = 'GET') => {
    const headers: Record<string, string> = {};
    answer.headers.forEach((v, k) => {
      if (k !== 'content-encoding' && k !== 'transfer-encoding' && k !== 'connection') headers[k] = v;
    });
    // Upload locations name the upstream: point them back here, so every request passes the proxy.
    if (headers.location) headers.location = headers.location.replace(upstream, self);
    const bytes = method === 'HEAD' ? Buffer.alloc(0) : Buffer.from(await answer.arrayBuffer());
    if (method !== 'HEAD') headers['content-length'] = String(bytes.length);
    res.writeHead(answer.status, { ...headers, ...extra });
    res.end(bytes);
  };

  const listReferrers = async (res: ServerResponse, repository: string, subject: string, artifactType: string | undefined) => {
    listings.push({ repository, subject, artifactType });
    const manifests: object[] = [];
    for (const p of pushes.filter((x) => x.repository === repository && x.subject === subject)) {
      const got = await fetch(`${upstream}/v2/${repository}/manifests/${p.digest}`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json' } });
      if (got.status !== 200) continue;
      const bytes = Buffer.from(await got.arrayBuffer());
      const doc = JSON.parse(bytes.toString()) as { mediaType: string; artifactType?: string; config?: { mediaType: string }; annotations?: Record<string, string> };
      const type = doc.artifactType ?? doc.config?.mediaType;
      if (artifactType !== undefined && type !== artifactType) continue;
      if (manifests.some((m) => (m as { digest: string }).digest === p.digest)) continue;
      manifests.push({ mediaType: doc.mediaType, digest: p.digest, size: bytes.length, ...(type ? { artifactType: type } : {}), ...(doc.annotations ? { annotations: doc.annotations } : {}) });
    }
    const out = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests }));
    res.writeHead(200, { 'content-type': 'application/vnd.oci.image.index.v1+json', 'content-length': String(out.length), ...(artifactType ? { 'oci-filters-applied': 'artifactType' } : {}) });
    res.end(out);
  };

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://proxy');
      const method = req.method ?? 'GET';
      const bytes = await body(req);
      const referrers = REFERRERS.exec(url.pathname);
      if (method === 'GET' && referrers) return listReferrers(res, referrers[1]!, referrers[2]!, url.searchParams.get('artifactType') ?? undefined);
      const answer = await forward(req, bytes);
      const put = MANIFEST_PUT.exec(url.pathname);
      if (method === 'PUT' && put && answer.status === 201) {
        let subject: string | undefined;
        try {
          subject = (JSON.parse(bytes.toString()) as { subject?: { digest?: string } }).subject?.digest;
        } catch {
          subject = undefined;
        }
        const digest = answer.headers.get('docker-content-digest');
        if (subject && digest) {
          pushes.push({ repository: put[1]!, subject, digest });
          return send(res, answer, { 'oci-subject': subject }, method);
        }
      }
      return send(res, answer, {}, method);
    })().catch((err: unknown) => {
      res.writeHead(502);
      res.end(String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  self = `http://127.0.0.1:${port}`;
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    pushes,
    listings,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
