/**
 * Starts Debian's real Docker daemon (`dockerd`) for tests: its own data
 * root, exec root, socket, pid file and (empty) config file under a temp
 * dir, so it never touches the machine's daemon or images; no iptables, no
 * bridge, the vfs storage driver (works on any file system, in a container
 * too). It needs root: {@link dockerdSkipReason} says when a test must skip.
 *
 * dockerd starts a containerd of its own (its pid in
 * EXEC_ROOT/containerd/containerd.pid); `stop` stops dockerd by its pid,
 * then that containerd if it outlived it, so no process is left behind.
 *
 * Pulls from a test registry need no flag: dockerd treats 127.0.0.0/8 as an
 * insecure registry by default (moby registry/config.go), so it talks plain
 * HTTP to `127.0.0.1:PORT`.
 */
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, makeTlsFiles } from './registry.ts';
import { tempDir } from './tmp.ts';
import { waitFor } from './wait.ts';

export const DOCKERD_BIN = '/usr/sbin/dockerd';
export const DOCKER_BIN = 'docker';

const run = promisify(execFile);

export interface TestDockerd {
  /** `unix:///.../docker.sock`: what DOCKER_HOST / --daemon-host take. */
  host: string;
  /** The socket's path. */
  socket: string;
  /** dockerd's pid (the latest process's, after {@link restart}). */
  readonly pid: number;
  /** With `tcp`: `127.0.0.1:PORT`, where the daemon also listens (TLS with `tcp: 'tls'`). */
  tcpAddress?: string;
  /** With `tcp: 'tls'`: DOCKER_CERT_PATH's layout: the CA of the daemon's certificate (ca.pem) and a client certificate it signed (cert.pem, key.pem). */
  certDir?: string;
  /** Runs the `docker` client against this daemon; resolves with stdout, rejects with stderr. */
  docker(args: string[], options?: { input?: Buffer | string; timeoutMs?: number }): Promise<string>;
  /** SIGKILLs dockerd (a crash), then its containerd, keeping the daemon's directories for {@link restart}. */
  kill(): Promise<void>;
  /** Starts dockerd again over the same directories (after {@link kill}) and waits for /_ping. */
  restart(): Promise<void>;
  /** Stops dockerd and its containerd by pid and removes every directory of the daemon. */
  stop(): Promise<void>;
}

/** Why dockerd cannot run here (not root), or undefined: pass as `test(..., { skip })`. Anything else that stops it starting fails the test. */
export function dockerdSkipReason(): string | undefined {
  return process.getuid?.() === 0 ? undefined : 'dockerd needs root (CI runs the suite as root)';
}

const alive = new Set<number>();
const roots = new Set<string>();

/**
 * dockerd bind-mounts its data root onto itself (moby's
 * setupDaemonRootPropagation) and undoes it only on a clean shutdown: after
 * a kill the mount stays, and the directory cannot be removed until it goes.
 */
function unmountUnder(root: string): void {
  const mounts = readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[1]?.replace(/\\040/g, ' '))
    .filter((m): m is string => m !== undefined && m.startsWith(`${root}/`));
  for (const m of mounts.reverse()) execFileSync('umount', ['-l', m], { stdio: 'ignore' });
}

// Prepended: it must run before tmp.ts's exit handler removes the directories.
process.prependListener('exit', () => {
  for (const pid of alive) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  for (const root of roots) {
    try {
      unmountUnder(root);
    } catch {
      /* best effort at exit */
    }
  }
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** GET /_ping on the socket: true when the daemon answers OK. */
function ping(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath: socket, path: '/_ping', timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/** Stops `pid` with SIGTERM, then SIGKILL after `graceMs`; resolves when it is gone. */
async function stopPid(pid: number, graceMs: number, what: string): Promise<void> {
  if (!isAlive(pid)) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  try {
    await waitFor(`${what} (pid ${pid}) to exit`, () => !isAlive(pid), graceMs);
  } catch {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
    await waitFor(`${what} (pid ${pid}) to die`, () => !isAlive(pid), 5000);
  }
}

/**
 * Starts a daemon and waits (up to 60 s) until `/_ping` answers. Throws with
 * the end of dockerd's log when it does not come up; check
 * {@link dockerdSkipReason} first.
 */
export async function startDockerd(options: { tcp?: 'plain' | 'tls' } = {}): Promise<TestDockerd> {
  // Short: a unix socket path must stay under 108 bytes.
  const root = tempDir(undefined, 'tug-dockerd-');
  roots.add(root);
  const dirs = { data: join(root, 'data'), exec: join(root, 'exec'), config: join(root, 'client') };
  for (const d of Object.values(dirs)) mkdirSync(d);
  const socket = join(root, 'docker.sock');
  const configFile = join(root, 'daemon.json');
  writeFileSync(configFile, '{}\n');
  const args = [
    '--config-file', configFile,
    '--iptables=false',
    '--ip6tables=false',
    '--bridge=none',
    '--storage-driver=vfs',
    '--data-root', dirs.data,
    '--exec-root', dirs.exec,
    '--pidfile', join(root, 'dockerd.pid'),
    '-H', `unix://${socket}`,
  ];
  let tcpAddress: string | undefined;
  let certDir: string | undefined;
  if (options.tcp) {
    tcpAddress = `127.0.0.1:${await freePort()}`;
    args.push('-H', `tcp://${tcpAddress}`);
  }
  if (options.tcp === 'tls') {
    const tls = join(root, 'tls');
    mkdirSync(tls);
    const files = makeTlsFiles(tls);
    certDir = join(root, 'client-certs');
    mkdirSync(certDir);
    writeFileSync(join(certDir, 'ca.pem'), files.caPem);
    // A client certificate too: skopeo loads cert.pem and key.pem from the directory whenever it is given.
    const openssl = (sslArgs: string[]) => execFileSync('openssl', sslArgs, { cwd: tls, stdio: 'pipe' });
    openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(certDir, 'key.pem'), '-out', 'client.csr', '-subj', '/CN=tugboat-test-client']);
    writeFileSync(join(tls, 'client.ext'), 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n');
    openssl(['x509', '-req', '-in', 'client.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', join(certDir, 'cert.pem'), '-days', '2', '-extfile', 'client.ext']);
    // --tls without --tlsverify: the server proves itself; clients need no certificate.
    // --tlscacert too: dockerd reads it (default ~/.docker/ca.pem) even when it verifies no client.
    args.push('--tls', '--tlsverify=false', '--tlscacert', files.caFile, '--tlscert', files.cert, '--tlskey', files.key);
  }
  const containerdPid = (): number | undefined => {
    try {
      const n = Number(readFileSync(join(dirs.exec, 'containerd', 'containerd.pid'), 'utf8').trim());
      return Number.isInteger(n) && n > 0 ? n : undefined;
    } catch {
      return undefined;
    }
  };

  /** One dockerd process over the daemon's directories, and the containerd it started. */
  interface Running {
    child: ChildProcess;
    pid: number;
    exited: boolean;
    stderr: string;
    containerd: number | undefined;
  }
  let current: Running | undefined;
  let lastPid = 0;

  /** Stops the running dockerd (SIGTERM, or SIGKILL with `kill`) and its containerd, by pid; leaves the directories. */
  const halt = async (kill: boolean): Promise<void> => {
    const r = current;
    if (!r) return;
    current = undefined;
    r.containerd ??= containerdPid();
    if (!r.exited) {
      const done = new Promise<void>((resolve) => r.child.once('exit', () => resolve()));
      r.child.kill(kill ? 'SIGKILL' : 'SIGTERM');
      const timer = setTimeout(() => r.child.kill('SIGKILL'), 20_000);
      await done;
      clearTimeout(timer);
    }
    alive.delete(r.pid);
    // dockerd stops the containerd it started; one it could not (SIGKILL) is stopped here.
    if (r.containerd !== undefined) {
      await stopPid(r.containerd, 10_000, 'containerd');
      alive.delete(r.containerd);
    }
    unmountUnder(root);
  };

  const stop = async (): Promise<void> => {
    await halt(false);
    roots.delete(root);
    rmSync(root, { recursive: true, force: true });
  };

  /** Starts dockerd over the daemon's directories and waits (up to 60 s) for /_ping. */
  const launch = async (): Promise<void> => {
    const child: ChildProcess = spawn(DOCKERD_BIN, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    if (child.pid === undefined) throw new Error(`${DOCKERD_BIN} did not start`);
    const r: Running = { child, pid: child.pid, exited: false, stderr: '', containerd: undefined };
    current = r;
    lastPid = r.pid;
    alive.add(r.pid);
    child.stderr?.on('data', (d: Buffer) => {
      r.stderr = (r.stderr + d.toString()).slice(-8000);
    });
    child.on('exit', () => {
      r.exited = true;
    });
    try {
      await waitFor('dockerd to answer /_ping', async () => r.exited || (await ping(socket)), 60_000, 100);
      if (r.exited) throw new Error('exited');
    } catch {
      await stop();
      throw new Error(`dockerd did not start (${DOCKERD_BIN} ${args.join(' ')}):\n${r.stderr}`);
    }
    r.containerd = containerdPid();
    if (r.containerd !== undefined) alive.add(r.containerd);
  };

  await launch();

  const host = `unix://${socket}`;
  const docker = async (dockerArgs: string[], options: { input?: Buffer | string; timeoutMs?: number } = {}): Promise<string> => {
    // DOCKER_CONFIG: the client never reads or writes the machine's ~/.docker.
    const env = { ...process.env, DOCKER_HOST: host, DOCKER_CONFIG: dirs.config };
    try {
      if (options.input === undefined) {
        const { stdout } = await run(DOCKER_BIN, dockerArgs, { env, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8', timeout: options.timeoutMs ?? 120_000 });
        return stdout;
      }
      return await new Promise<string>((resolve, reject) => {
        const p = spawn(DOCKER_BIN, dockerArgs, { env, stdio: ['pipe', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        p.stdout.on('data', (d: Buffer) => (out += d.toString()));
        p.stderr.on('data', (d: Buffer) => (err += d.toString()));
        p.on('error', reject);
        p.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(err))));
        p.stdin.end(options.input);
      });
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`docker ${dockerArgs.join(' ')} failed: ${e.stderr ?? e.message}`, { cause: err });
    }
  };
  return {
    host,
    socket,
    get pid() {
      return lastPid;
    },
    docker,
    kill: () => halt(true),
    restart: launch,
    stop,
    ...(tcpAddress ? { tcpAddress } : {}),
    ...(certDir ? { certDir } : {}),
  };
}
