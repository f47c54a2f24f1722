/**
 * Starts `tug serve`'s pieces in-process for tests: the real SQLite store in a
 * temp directory, the real scheduler (fast polling), the app on a real
 * loopback socket, JSON logs captured in memory. Everything is closed by
 * `close()`.
 */
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { API_PREFIX } from '../../src/api/types.ts';
import { type RunningServer, startServer } from '../../src/server/serve.ts';
import { createToken } from '../../src/server/auth.ts';
import type { Role } from '../../src/api/types.ts';
import { tempDir } from '../support/tmp.ts';

export { waitFor } from '../support/wait.ts';

export interface TestServer extends RunningServer {
  dataDir: string;
  adminToken: string;
  logs: string[];
  /** fetch against the API prefix with a token (default: admin). */
  api(method: string, path: string, options?: { token?: string | null; body?: unknown; contentType?: string; raw?: string; headers?: Record<string, string> }): Promise<{ status: number; body: any; text: string; headers: Headers }>;
  token(name: string, role: Role, namespaces?: string[]): Promise<string>;
  close(): Promise<void>;
}

/**
 * The store: `database`, a PostgreSQL URL (with a secret key file in the data
 * directory, since PostgreSQL replicas never generate one), or SQLite in
 * `data` (the caller's directory, left in place) or in a temp directory
 * removed by close().
 */
export async function startTestServer(options: { webhookRetryDelaysMs?: number[]; healthIntervalMs?: number; maxConcurrentSyncs?: number; retryBaseMs?: number; leaseMs?: number; heartbeatMs?: number; webRoot?: string; egressAllow?: string[]; egressDeny?: string[]; trustProxy?: string[]; database?: string; data?: string } = {}): Promise<TestServer> {
  const dataDir = options.data ?? tempDir(undefined, 'tug-serve-');
  let secretKeyFile: string | undefined;
  if (options.database) {
    secretKeyFile = join(dataDir, 'secret.key');
    writeFileSync(secretKeyFile, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  }
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk));
      cb();
    },
  });
  let adminToken = '';
  const server = await startServer({
    listen: '127.0.0.1:0',
    data: dataDir,
    database: options.database,
    secretKeyFile,
    logDestination: destination,
    say: (line) => {
      const m = /(tug_[A-Za-z0-9_-]+)/.exec(line);
      if (m) adminToken = m[1]!;
    },
    maxConcurrentSyncs: options.maxConcurrentSyncs,
    pollMs: 100,
    leaseMs: options.leaseMs ?? 5000,
    retryBaseMs: options.retryBaseMs ?? 100,
    heartbeatMs: options.heartbeatMs ?? 15_000,
    // Off unless a test is about them: a check is a HEAD per side and a status write, which other tests would see.
    healthIntervalMs: options.healthIntervalMs ?? 0,
    webhookRetryDelaysMs: options.webhookRetryDelaysMs,
    shutdownDeadlineMs: 2000,
    webRoot: options.webRoot ?? null,
    egressAllow: options.egressAllow,
    trustProxy: options.trustProxy,
    egressDeny: options.egressDeny,
  });
  if (!adminToken) throw new Error('no admin token was printed');
  const api: TestServer['api'] = async (method, path, o = {}) => {
    const headers: Record<string, string> = { ...o.headers };
    const token = o.token === undefined ? adminToken : o.token;
    if (token) headers.authorization = `Bearer ${token}`;
    let body: string | undefined;
    if (o.raw !== undefined) body = o.raw;
    else if (o.body !== undefined) body = JSON.stringify(o.body);
    if (body !== undefined) headers['content-type'] = o.contentType ?? 'application/json';
    const res = await fetch(`${server.url}${path.startsWith('/') && !path.startsWith('/oapis') && !['/healthz', '/readyz', '/metrics', '/openapi.json'].includes(path.split('?')[0]!) ? API_PREFIX : ''}${path}`, { method, headers, body });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: res.status, body: parsed, text, headers: res.headers };
  };
  return {
    ...server,
    dataDir,
    adminToken,
    logs,
    api,
    async token(name, role, namespaces) {
      return (await createToken(server.store, { name, role, namespaces })).token;
    },
    async close() {
      await server.stop();
      if (options.data === undefined) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function registryDoc(name: string, url: string, extra: Record<string, unknown> = {}, namespace = 'default') {
  return { apiVersion: 'image.theriseunion.io/v1alpha1', kind: 'Registry', metadata: { name, namespace }, spec: { url, ...extra } };
}

export function repositoryDoc(name: string, spec: Record<string, unknown>, namespace = 'default', metadata: Record<string, unknown> = {}) {
  return { apiVersion: 'image.theriseunion.io/v1alpha1', kind: 'Repository', metadata: { name, namespace, ...metadata }, spec };
}
