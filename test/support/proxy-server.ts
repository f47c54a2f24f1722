/**
 * A real forward proxy on loopback: Debian's `tinyproxy`, run in the
 * foreground with a config written into a temp directory. Tests route tug
 * through it and read its log to prove which requests went through
 * (`GET http://host:port/v2/...` for forwarded plain-HTTP requests,
 * `CONNECT host:port` for tunnels). tinyproxy resolves target names
 * itself (/etc/hosts included) and, with `auth`, answers 407 to a request
 * without the right Proxy-Authorization, which it never forwards.
 * Every proxy started here is killed when the test process exits.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { freePort } from './registry.ts';
import { tempDir } from './tmp.ts';
import { waitFor } from './wait.ts';

export const TINYPROXY_BIN = '/usr/bin/tinyproxy';

export interface ProxyServerOptions {
  /** Ports CONNECT may reach (tinyproxy's `ConnectPort`); default: any. */
  connectPorts?: readonly number[];
  /** Require Basic proxy credentials (tinyproxy's `BasicAuth`). */
  auth?: { user: string; password: string };
}

export interface ProxyServer {
  /** `127.0.0.1:PORT` */
  host: string;
  port: number;
  /** `http://127.0.0.1:PORT`, or with `auth` `http://USER:PASSWORD@127.0.0.1:PORT`. */
  url: string;
  /** The proxy's log file. */
  logFile: string;
  /** What clients asked of the proxy so far, one entry per request: `GET http://h:p/v2/ HTTP/1.1`, `CONNECT h:p HTTP/1.1`. */
  requests(): string[];
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const p of running) p.kill('SIGKILL');
});

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Starts tinyproxy on a free loopback port (tinyproxy cannot listen on port
 * 0, so a free one is picked first), allowing clients from 127.0.0.1 only.
 * With a test context, the proxy is stopped after that test.
 */
export async function startProxyServer(t: TestContext | undefined, options: ProxyServerOptions = {}): Promise<ProxyServer> {
  const dir = tempDir(t, 'tug-proxy-');
  const logFile = join(dir, 'tinyproxy.log');
  const port = await freePort();
  const lines = [
    `Port ${port}`,
    'Listen 127.0.0.1',
    'Allow 127.0.0.1',
    `LogFile "${logFile}"`,
    // Info logs each request line (CONNECT level) and the connections made.
    'LogLevel Info',
    'DisableViaHeader Yes',
    'MaxClients 64',
    'Timeout 60',
    ...(options.connectPorts ?? []).map((p) => `ConnectPort ${p}`),
    ...(options.auth ? [`BasicAuth ${options.auth.user} ${options.auth.password}`] : []),
  ];
  const conf = join(dir, 'tinyproxy.conf');
  writeFileSync(conf, `${lines.join('\n')}\n`);
  const child = spawn(TINYPROXY_BIN, ['-d', '-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  running.add(child);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  let exited = false;
  child.once('exit', () => {
    exited = true;
    running.delete(child);
  });
  try {
    await waitFor('tinyproxy to listen', async () => {
      if (exited) throw new Error(`tinyproxy exited: ${stderr.trim()}`);
      return canConnect(port);
    }, 15_000);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  const stop = async () => {
    if (exited) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await gone;
    clearTimeout(timer);
  };
  if (t) t.after(stop);
  const auth = options.auth ? `${encodeURIComponent(options.auth.user)}:${encodeURIComponent(options.auth.password)}@` : '';
  return {
    host: `127.0.0.1:${port}`,
    port,
    url: `http://${auth}127.0.0.1:${port}`,
    logFile,
    requests() {
      let text: string;
      try {
        text = readFileSync(logFile, 'utf8');
      } catch {
        return [];
      }
      return [...text.matchAll(/\]: Request \(file descriptor \d+\): (.*)$/gm)].map((m) => m[1]!);
    },
    stop,
  };
}
