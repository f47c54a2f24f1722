/**
 * Starts a throwaway PostgreSQL cluster from Debian's `postgresql` package:
 * initdb into a temp dir (trust auth, superuser `tugboat`), the server on a
 * free loopback port with fsync off, one database per caller. initdb and
 * postgres refuse to run as root, so as root both run as the `postgres`
 * system user (the package creates it; `nobody` otherwise). Every server
 * started here is killed, and its directory removed, when the test process
 * exits.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { freePort } from './registry.ts';

export interface TestPostgres {
  port: number;
  /** The cluster's data directory (what PostgreSQL keeps at rest: heap files, WAL). */
  dataDir: string;
  /** `postgres://tugboat@127.0.0.1:PORT/<database>` */
  url(database: string): string;
  /** Creates a fresh database and returns its URL. */
  createDatabase(name?: string): Promise<string>;
  stop(): Promise<void>;
}

/** The newest `/usr/lib/postgresql/<ver>/bin`, or undefined when the package is missing. */
export function postgresBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'postgres'))).sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(root, versions[0], 'bin');
}

const running = new Map<ChildProcess, string>();
function killAll(): void {
  for (const [child, dir] of running) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
  running.clear();
}
process.on('exit', killAll);
// A postmaster outlives its parent: on a signal (Ctrl-C, the runner's
// timeout) kill it first, then die of the same signal.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    killAll();
    process.kill(process.pid, signal);
  });
}

/** The uid/gid to run as: ourselves unless root, then the `postgres` (or `nobody`) user. */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  for (const user of ['postgres', 'nobody']) {
    try {
      const uid = Number(execFileSync('id', ['-u', user]).toString().trim());
      const gid = Number(execFileSync('id', ['-g', user]).toString().trim());
      return { uid, gid };
    } catch {
      /* try the next */
    }
  }
  throw new Error('running as root and neither a "postgres" nor a "nobody" user exists to run PostgreSQL as');
}

let databases = 0;

export async function startPostgres(): Promise<TestPostgres> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL is not installed: apt-get install -y postgresql');
  const user = runAs();
  const dir = mkdtempSync(join(tmpdir(), 'tug-pg-'));
  if (user) chownSync(dir, user.uid, user.gid);
  const data = join(dir, 'data');
  const spawnOpts = { ...user, cwd: dir, env: { ...process.env, LC_ALL: 'C', LANG: 'C' } };
  try {
    execFileSync(join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'tugboat', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions'], { ...spawnOpts, stdio: 'pipe' });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? String(err);
    throw new Error(`initdb failed: ${stderr}`, { cause: err });
  }
  let lastError = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const args = [
      '-D', data, '-k', dir, '-p', String(port),
      '-c', 'listen_addresses=127.0.0.1',
      '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off',
      '-c', 'max_connections=200', '-c', 'shared_buffers=32MB',
      '-c', 'dynamic_shared_memory_type=mmap',
    ];
    const child = spawn(join(bin, 'postgres'), args, { ...spawnOpts, stdio: ['ignore', 'ignore', 'pipe'] });
    running.set(child, dir);
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    let exited = false;
    const exit = new Promise<void>((resolve) =>
      child.once('exit', () => {
        exited = true;
        running.delete(child);
        resolve();
      }),
    );
    const url = (database: string) => `postgres://tugboat@127.0.0.1:${port}/${database}`;
    const deadline = Date.now() + 20_000;
    let up = false;
    while (Date.now() < deadline && !exited) {
      const client = new pg.Client({ connectionString: url('postgres') });
      try {
        await client.connect();
        await client.query('SELECT 1');
        up = true;
        break;
      } catch {
        await sleep(50);
      } finally {
        await client.end().catch(() => undefined);
      }
    }
    if (!up) {
      child.kill('SIGKILL');
      await exit;
      lastError = stderr;
      if (/could not bind|already in use/i.test(stderr)) continue;
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`postgres did not start: ${stderr}`);
    }
    return {
      port,
      dataDir: data,
      url,
      async createDatabase(name = `tug_${process.pid}_${++databases}`) {
        const client = new pg.Client({ connectionString: url('postgres') });
        await client.connect();
        try {
          await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
        } finally {
          await client.end();
        }
        return url(name);
      },
      async stop() {
        if (!exited) {
          // SIGINT is PostgreSQL's "fast" shutdown: disconnect clients, no checkpoint wait.
          child.kill('SIGINT');
          const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
          await exit;
          clearTimeout(timer);
        }
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error(`postgres did not start after 5 attempts: ${lastError}`);
}
