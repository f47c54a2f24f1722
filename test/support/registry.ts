/**
 * Starts the real CNCF distribution registry (Debian's `docker-registry`) on
 * a free loopback port with a temporary storage directory, optionally with
 * htpasswd auth and TLS from a CA generated for the test. Every registry
 * started here is killed when the test process exits.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, fetch as undiciFetch } from 'undici';
import { tempDir } from './tmp.ts';

export const REGISTRY_BIN = '/usr/bin/docker-registry';

export interface RegistryOptions {
  /** htpasswd users: { user: password } */
  users?: Record<string, string>;
  /** Serve HTTPS with a certificate from a generated CA. */
  tls?: boolean;
  /**
   * With tls: require a client certificate signed by the test CA
   * (`http.tls.clientcas`). certDir then also holds client.cert / client.key,
   * and `clientlessCertDir` only ca.crt.
   */
  clientAuth?: boolean;
  /** Serve this storage directory instead of a fresh temp one (registry-dir tests). */
  rootDirectory?: string;
  /** storage.delete.enabled (default true); false makes manifest DELETEs answer 405. */
  deleteEnabled?: boolean;
  /** `auth: token` (distribution's bearer token auth) instead of htpasswd, e.g. with test/support/token-server.ts. */
  tokenAuth?: { realm: string; service: string; issuer: string; rootCertBundle: string };
  /** Extra text appended to the log (debugging). */
  logLevel?: 'error' | 'warn' | 'info' | 'debug';
  /**
   * Append the registry's access log (combined log format, one line per
   * request, written by the registry to stdout) to this file, e.g. to count
   * requests. Default: access log disabled.
   */
  accessLog?: string;
}

export interface TestRegistry {
  /** `127.0.0.1:PORT` */
  host: string;
  port: number;
  /** `http://127.0.0.1:PORT` or `https://...` */
  url: string;
  /** Storage root (docker/registry/v2 lives below it). */
  root: string;
  /** Directory holding ca.crt (containers-certs.d layout) when tls is on. */
  certDir?: string;
  /** With clientAuth: a cert dir with ca.crt only (no client certificate). */
  clientlessCertDir?: string;
  /** PEM of the CA, when tls is on. */
  caPem?: string;
  /** The access log file, when `accessLog` was given. */
  accessLog?: string;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const p of running) p.kill('SIGKILL');
});

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolvePort(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** Generates a CA and a server certificate for 127.0.0.1 / localhost with openssl. */
export function makeTlsFiles(dir: string): { caPem: string; cert: string; key: string; caFile: string } {
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=tugboat-test-ca']);
  run(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1']);
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n');
  run(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'san.ext']);
  return { caPem: execFileSync('cat', [join(dir, 'ca.crt')]).toString(), cert: join(dir, 'server.crt'), key: join(dir, 'server.key'), caFile: join(dir, 'ca.crt') };
}

/** Polls GET /v2/ until the registry answers 200 or 401, it exits, or 15 s pass. */
async function waitUntilUp(url: string, clientCertDir: string | undefined, exited: () => boolean): Promise<boolean> {
  const clientCert = clientCertDir ? { cert: readFileSync(join(clientCertDir, 'client.cert')), key: readFileSync(join(clientCertDir, 'client.key')) } : {};
  const dispatcher = new Agent({ connect: { rejectUnauthorized: false, ...clientCert } });
  const deadline = Date.now() + 15_000;
  try {
    while (Date.now() < deadline && !exited()) {
      try {
        const res = await undiciFetch(`${url}/v2/`, { dispatcher });
        await res.body?.cancel();
        if (res.status === 200 || res.status === 401) return true;
      } catch {
        /* not up yet */
      }
      await sleep(50);
    }
    return false;
  } finally {
    await dispatcher.close();
  }
}

export async function startRegistry(options: RegistryOptions = {}): Promise<TestRegistry> {
  // Removed by stop(), or at exit (a failed start, a stop() never reached).
  const work = tempDir(undefined, 'tug-registry-');
  const root = options.rootDirectory ?? join(work, 'storage');
  let lastError = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const lines = [
      'version: 0.1',
      'log:',
      `  level: ${options.logLevel ?? 'error'}`,
      '  accesslog:',
      `    disabled: ${options.accessLog === undefined}`,
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${root}`,
      '  delete:',
      `    enabled: ${options.deleteEnabled ?? true}`,
      '  maintenance:',
      '    uploadpurging:',
      '      enabled: false',
      'http:',
      `  addr: 127.0.0.1:${port}`,
      // a random secret per start: upload state would otherwise be signed with a new one each time anyway
      `  secret: tugboat-test-${port}`,
    ];
    let certDir: string | undefined;
    let clientless: string | undefined;
    let caPem: string | undefined;
    if (options.tls) {
      const tlsDir = join(work, 'tls');
      execFileSync('mkdir', ['-p', tlsDir]);
      const files = makeTlsFiles(tlsDir);
      caPem = files.caPem;
      certDir = join(work, 'certs.d');
      execFileSync('mkdir', ['-p', certDir]);
      writeFileSync(join(certDir, 'ca.crt'), files.caPem);
      lines.push('  tls:', `    certificate: ${files.cert}`, `    key: ${files.key}`);
      if (options.clientAuth) {
        const run = (args: string[]) => execFileSync('openssl', args, { cwd: tlsDir, stdio: 'pipe' });
        run(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(certDir, 'client.key'), '-out', 'client.csr', '-subj', '/CN=tugboat-test-client']);
        writeFileSync(join(tlsDir, 'client.ext'), 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n');
        run(['x509', '-req', '-in', 'client.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', join(certDir, 'client.cert'), '-days', '2', '-extfile', 'client.ext']);
        clientless = join(work, 'certs.d-clientless');
        execFileSync('mkdir', ['-p', clientless]);
        writeFileSync(join(clientless, 'ca.crt'), files.caPem);
        lines.push('    clientcas:', `      - ${files.caFile}`);
      }
    }
    if (options.users && Object.keys(options.users).length > 0) {
      const htpasswd = join(work, 'htpasswd');
      writeFileSync(htpasswd, '');
      for (const [user, password] of Object.entries(options.users)) {
        // -i reads the password from stdin: it never appears in argv.
        execFileSync('htpasswd', ['-iB', htpasswd, user], { input: password, stdio: ['pipe', 'pipe', 'pipe'] });
      }
      lines.push('auth:', '  htpasswd:', '    realm: tugboat-test', `    path: ${htpasswd}`);
    }
    if (options.tokenAuth) {
      const t = options.tokenAuth;
      lines.push('auth:', '  token:', `    realm: ${t.realm}`, `    service: ${t.service}`, `    issuer: ${t.issuer}`, `    rootcertbundle: ${t.rootCertBundle}`);
    }
    const configPath = join(work, 'config.yml');
    writeFileSync(configPath, `${lines.join('\n')}\n`);
    // The child gets its own descriptor for the access log; ours is closed right after the spawn.
    const logFd = options.accessLog === undefined ? undefined : openSync(options.accessLog, 'a');
    const child = spawn(REGISTRY_BIN, ['serve', configPath], { stdio: ['ignore', logFd ?? 'ignore', 'pipe'] });
    if (logFd !== undefined) closeSync(logFd);
    running.add(child);
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    let exited = false;
    child.on('exit', () => {
      exited = true;
      running.delete(child);
    });
    const scheme = options.tls ? 'https' : 'http';
    const url = `${scheme}://127.0.0.1:${port}`;
    let up: boolean;
    try {
      up = await waitUntilUp(url, options.clientAuth && certDir ? certDir : undefined, () => exited);
    } catch (err) {
      // Never leave a registry behind a failed start: it would keep the test process alive.
      child.kill('SIGKILL');
      throw err;
    }
    if (!up) {
      child.kill('SIGKILL');
      lastError = stderr;
      if (/address already in use/.test(stderr)) continue;
      throw new Error(`docker-registry did not start: ${stderr}`);
    }
    const stop = async () => {
      if (exited) return;
      const done = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await done;
      clearTimeout(timer);
      // With rootDirectory the storage lives outside `work`; the config dir is ours either way.
      rmSync(work, { recursive: true, force: true });
    };
    const reg: TestRegistry = { host: `127.0.0.1:${port}`, port, url, root, stop };
    if (certDir) reg.certDir = certDir;
    if (clientless) reg.clientlessCertDir = clientless;
    if (caPem) reg.caPem = caPem;
    if (options.accessLog !== undefined) reg.accessLog = options.accessLog;
    return reg;
  }
  throw new Error(`docker-registry did not start after 5 attempts: ${lastError}`);
}
