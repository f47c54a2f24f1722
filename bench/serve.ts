/**
 * `npm run bench:serve`: `tug serve` under load at 10,000 (or 100,000)
 * Repositories (issue 15, "Scale"). Everything on loopback, every process
 * started here stopped by pid, every phase bounded in time:
 *
 * 1. a stock docker-registry with a few small two-platform images;
 * 2. `tug serve` on SQLite in a temp dir and/or PostgreSQL (test/support's
 *    throwaway cluster), one process;
 * 3. N Repositories in 10 namespaces. `api` seeding creates them through the
 *    batch import endpoint (POST /namespaces/{ns}/imports, 1,000 rows a
 *    request) and waits for every first sync; `direct` seeding (the default
 *    above 20,000) writes them through the store before the server starts,
 *    each with a synced-looking status (two platforms, layers), its next
 *    sync an hour away (no first sync runs) and its health checks due evenly
 *    over the 10-minute interval, as in a server that has run for a while
 *    (PostgreSQL: then VACUUM ANALYZE, as autovacuum would after the load);
 * 4. the mixed load for a bounded time: 8 readers (a single GET, a 50-row
 *    list page followed by `continue`, a search), 50 watchers (resumed from
 *    a list's resourceVersion, as an informer does after its first list) and
 *    a manual sync every 50 ms;
 * 5. p50/p99 per request kind, reads/s, the server's peak RSS (VmHWM from
 *    /proc), judged against the issue's targets; the figures go to
 *    bench/results/serve-LABEL-STORE-N.json and, with BENCH_SERVE_DOCS=1,
 *    every saved run into the generated section of docs/benchmarks.md.
 *
 * Environment:
 *   BENCH_SERVE_REPOS=10000      Repositories (10 namespaces)
 *   BENCH_SERVE_STORE=both       sqlite | postgres | both | none (no run: the docs from the results on disk)
 *   BENCH_SERVE_SEED=api|direct  default api up to 20,000, direct above
 *   BENCH_SERVE_SECONDS=30       length of the mixed load
 *   BENCH_SERVE_LABEL=current    the run's name in the results (e.g. before, after)
 *   BENCH_SERVE_DOCS=0|1         write docs/benchmarks.md's serve section from bench/results/serve-*.json
 *   BENCH_SERVE_PROF=DIR         run the server with --cpu-prof into DIR
 *   BENCH_SERVE_SYNC_WAIT=900    seconds the first syncs may take (api seeding)
 *   BENCH_SERVE_VARIANTS=        A/B: `NAME[:VAR=VALUE,...];NAME...`, the server's environment per variant
 *                                (e.g. `cli-heap:TUG_SERVE_V8_TUNING=off;serve-heap`), each run on a copy
 *                                of one seeded store (direct seeding), interleaved, the order rotated each round
 *   BENCH_SERVE_ROUNDS=1         rounds of every variant; the summary gives each variant's medians
 */
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { Agent, Pool, request } from 'undici';
import type { Repository } from '../src/api/types.ts';
import { openStore } from '../src/store/index.ts';
import { type GeneratedImage, multiArch, pushImage } from '../test/support/images.ts';
import { startPostgres } from '../test/support/postgres.ts';
import { startRegistry } from '../test/support/registry.ts';
import { type ServeProcess, spawnServe } from '../test/support/serve.ts';
import { SERVE_END, SERVE_START, withSection } from './doc-sections.ts';
import { tempDir } from '../test/support/tmp.ts';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const API = '/oapis/image.theriseunion.io/v1alpha1';
const N = Number(process.env.BENCH_SERVE_REPOS ?? 10_000);
const NAMESPACES = 10;
const SECONDS = Number(process.env.BENCH_SERVE_SECONDS ?? 30);
const SEED = (process.env.BENCH_SERVE_SEED ?? (N > 20_000 ? 'direct' : 'api')) as 'api' | 'direct';
const LABEL = process.env.BENCH_SERVE_LABEL ?? 'current';
const STORE_CHOICE = process.env.BENCH_SERVE_STORE ?? 'both';
/** `none` runs nothing: with BENCH_SERVE_DOCS=1 it rewrites the docs' section from the results on disk. */
const STORES = STORE_CHOICE === 'both' ? ['sqlite', 'postgres'] : STORE_CHOICE === 'none' ? [] : [STORE_CHOICE];
const SYNC_WAIT_MS = Number(process.env.BENCH_SERVE_SYNC_WAIT ?? 900) * 1000;
const READERS = 8;
const WATCHERS = 50;
const SYNC_EVERY_MS = 50;
const IMAGES = 4;

/** A server environment to compare (BENCH_SERVE_VARIANTS); the unnamed default changes nothing. */
interface Variant { name: string; env: Record<string, string> }
const VARIANTS: Variant[] = (process.env.BENCH_SERVE_VARIANTS ?? '').split(';').map((v) => v.trim()).filter(Boolean).map((v) => {
  const at = v.indexOf(':');
  const name = at < 0 ? v : v.slice(0, at);
  if (!/^[a-z0-9][-a-z0-9.]*$/i.test(name)) throw new Error(`BENCH_SERVE_VARIANTS: "${name}" is not a variant name (letters, digits, - and .)`);
  const env: Record<string, string> = {};
  for (const pair of at < 0 ? [] : v.slice(at + 1).split(',')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`BENCH_SERVE_VARIANTS: "${pair}" in variant ${name} is not VAR=VALUE`);
    env[pair.slice(0, eq).trim()] = pair.slice(eq + 1);
  }
  return { name, env };
});
const ROUNDS = Number(process.env.BENCH_SERVE_ROUNDS ?? 1);

/** What the issue asks for at 10,000 Repositories (lists < 100 ms at 100,000). */
const TARGETS = { getP99: 20, listP99: N > 20_000 ? 100 : 50, searchP99: N > 20_000 ? 100 : 50, readsPerSecond: 1000, rssMiB: 200 };

interface KindFigures { count: number; errors: number; p50: number; p99: number; max: number }
export interface ServeBenchResult {
  label: string;
  store: string;
  repositories: number;
  seed: 'api' | 'direct';
  date: string;
  commit: string;
  createPerSecond?: number | undefined;
  createP99Ms?: number | undefined;
  firstSyncsSeconds?: number | undefined;
  seconds: number;
  kinds: Record<string, KindFigures>;
  readsPerSecond: number;
  watchEvents: number;
  rssPeakMiB: number;
  rssEndMiB: number;
  listItemBytes: number;
  /** The machine's 1-minute load average at the end of the load: how much CPU the server had to share. */
  loadAverage?: number | undefined;
  /** CPU the server used during the load, as a share of one core, and the reads it served per CPU-second. */
  serverCpuPercent?: number | undefined;
  readsPerCpuSecond?: number | undefined;
  /** What the server itself took per request (fastify's elapsedTime from its log lines): the client's figures minus the loopback and the load generator's own delays. */
  serverKinds?: Record<string, KindFigures> | undefined;
  /** The load generator's own event-loop delay (ms) and CPU (share of one core): it shares the 2 cores with the server. */
  clientLoop?: { p50: number; p99: number; max: number; cpuPercent: number } | undefined;
  /** The server's event-loop delay, stalls and GC (TUG_SERVE_LOOP_STATS=1, src/server/loop-stats.ts). */
  serverLoop?: unknown;
  /** GC time (from serverLoop) as a share of the server's CPU during the load. */
  gcPercentOfCpu?: number | undefined;
  /** BENCH_SERVE_VARIANTS: the variant's name and server environment, and the round. */
  variant?: { name: string; env: Record<string, string>; round: number } | undefined;
}

const say = (line: string) => process.stderr.write(`${line}\n`);
const ns = (i: number) => `bench-${i % NAMESPACES}`;
const repoName = (i: number) => `repo-${String(i).padStart(6, '0')}`;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function figures(samples: number[], errors: number): KindFigures {
  const s = [...samples].sort((a, b) => a - b);
  const r = (x: number) => Math.round(x * 10) / 10;
  return { count: s.length, errors, p50: r(percentile(s, 50)), p99: r(percentile(s, 99)), max: r(s.at(-1) ?? 0) };
}

/** Per-kind server-side times from the server's one log line a request (`"msg":"request"`, `ms`); a list and a search share a path. */
function serverFigures(stdout: string): Record<string, KindFigures> {
  const samples: Record<string, number[]> = { get: [], 'list+search': [], sync: [] };
  for (const line of stdout.split('\n')) {
    if (!line.includes('"msg":"request"')) continue;
    const r = JSON.parse(line) as { method: string; path: string; ms: number };
    if (r.ms > 5000) continue; // a watch
    const kind = r.method === 'POST' ? (r.path.endsWith('/sync') ? 'sync' : undefined) : /\/namespaces\/[^/]+\/repositories\/[^/]+$/.test(r.path) ? 'get' : /\/repositories$/.test(r.path) ? 'list+search' : undefined;
    if (kind) samples[kind]!.push(r.ms);
  }
  return Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, figures(v, 0)]));
}

function procStatus(pid: number, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : 0;
}

/** utime + stime of a process, in seconds (/proc/PID/stat, clock ticks of 1/100 s). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function commitOf(): string {
  try {
    const head = readFileSync(join(repoRoot, '.git', 'HEAD'), 'utf8').trim();
    const ref = /^ref: (.+)$/.exec(head)?.[1];
    return (ref ? readFileSync(join(repoRoot, '.git', ref), 'utf8') : head).trim().slice(0, 7);
  } catch {
    return 'unknown';
  }
}

/** The status a first sync writes for a two-platform image: what direct seeding stores. */
function syncedStatus(image: GeneratedImage, host: string, path: string): Repository['status'] {
  const platforms = image.manifests.map((m) => {
    const json = JSON.parse(m.bytes.toString('utf8')) as { config: { size: number }; layers: { digest: string; size: number; mediaType: string }[] };
    const sizeBytes = json.config.size + json.layers.reduce((a, l) => a + l.size, 0);
    return {
      digest: m.digest,
      architecture: m.platform?.architecture ?? 'amd64',
      os: m.platform?.os ?? 'linux',
      ...(m.platform?.variant ? { variant: m.platform.variant } : {}),
      size: `${Math.round(sizeBytes / 1000)}kB`,
      sizeBytes,
      created: '2026-01-01T00:00:00Z',
      layers: json.layers.map((l) => ({ digest: l.digest, size: String(l.size), mediaType: l.mediaType })),
    };
  });
  const now = new Date().toISOString();
  return {
    syncStatus: 'Success',
    domain: host,
    lastSynced: now,
    nextSyncTime: new Date(Date.now() + 3_600_000).toISOString(),
    observedDigest: image.top.digest,
    mediaType: image.top.mediaType,
    manifest: platforms[0],
    platforms,
    message: `synced ${host}/${path}:v1`,
  } as Repository['status'];
}

function repositoryObject(i: number): Repository {
  return {
    apiVersion: 'image.theriseunion.io/v1alpha1',
    kind: 'Repository',
    metadata: { name: repoName(i), namespace: ns(i), labels: { team: `t${i % 7}`, tier: i % 3 === 0 ? 'gold' : 'std' }, annotations: { 'theriseunion.io/display-name': `Bench image ${i}` } },
    spec: { repository: `bench/img-${i % IMAGES}`, tag: 'v1', registryRef: { name: 'src', namespace: ns(i) }, syncInterval: '1h', syncTimeout: '10m', retryCount: 3 },
  } as Repository;
}

async function seedDirect(database: { data?: string; database?: string }, registryUrl: string, images: GeneratedImage[]): Promise<void> {
  const store = await openStore(database);
  const host = new URL(registryUrl).host;
  const started = Date.now();
  try {
    for (let n = 0; n < NAMESPACES; n++) {
      await store.create('Registry', { apiVersion: 'image.theriseunion.io/v1alpha1', kind: 'Registry', metadata: { name: 'src', namespace: ns(n) }, spec: { url: registryUrl } } as never);
    }
    let next = 0;
    const far = Date.now() + 3_600_000;
    await Promise.all(Array.from({ length: database.database ? 8 : 1 }, async () => {
      while (next < N) {
        const i = next++;
        const obj = repositoryObject(i);
        // The store keeps a status given at creation: one write instead of two.
        await store.create('Repository', { ...obj, status: syncedStatus(images[i % IMAGES]!, host, obj.spec.repository) });
        await store.setNextSync(obj.metadata.namespace, obj.metadata.name, far);
        if (i % 10_000 === 9_999) say(`  seeded ${i + 1} (${Math.round((Date.now() - started) / 1000)} s)`);
      }
    }));
    // Health checks as in a server that has run for a while: due evenly over the
    // default 10-minute interval (about 17 a second at 10,000), not all at once.
    const interval = 600_000;
    for (let done = 0, batch = 0; done < N; batch++) {
      done += (await store.claimHealthChecks(Date.now(), Date.now() + Math.round((batch * 100 * interval) / N), 100)).length;
    }
  } finally {
    await store.close();
  }
  if (database.database) {
    // What autovacuum does within a minute of a bulk load (PostgreSQL plans a
    // table it has no statistics for as if it were empty): not measured here.
    const client = new pg.Client({ connectionString: database.database });
    await client.connect();
    try {
      await client.query('VACUUM ANALYZE objects');
    } finally {
      await client.end();
    }
  }
}

const EVENT = Buffer.from('event: ');

/** SSE frames in a chunk of a watch stream: `event: ` at the start of a line, counted in the chunk that holds the frame's start (as the text match did). */
function countEvents(chunk: Buffer): number {
  let n = 0;
  for (let at = chunk.indexOf(EVENT); at !== -1; at = chunk.indexOf(EVENT, at + EVENT.length)) if (at === 0 || chunk[at - 1] === 0x0a) n++;
  return n;
}

/** A list's `metadata.continue`: metadata comes before the items (src/server/routes/resources.ts), so the head of the body holds it. */
function continueOf(body: string): string | undefined {
  const head = body.slice(0, body.indexOf('"items"'));
  const m = /"continue":"([^"]*)"/.exec(head);
  return m ? m[1] : undefined;
}

type Call = (method: 'GET' | 'POST', path: string, body?: unknown) => Promise<{ status: number; body: string; ms: number }>;

function client(pool: Pool, token: string): Call {
  return async (method, path, body) => {
    const t0 = performance.now();
    const res = await request(`http://bench${API}${path}`, {
      dispatcher: pool,
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.body.text();
    return { status: res.statusCode, body: text, ms: performance.now() - t0 };
  };
}

async function seedApi(call: Call, registryUrl: string): Promise<{ perSecond: number; p99: number }> {
  for (let n = 0; n < NAMESPACES; n++) {
    const r = await call('POST', `/namespaces/${ns(n)}/registries`, { metadata: { name: 'src' }, spec: { url: registryUrl } });
    if (r.status !== 201) throw new Error(`creating registry in ${ns(n)}: ${r.status} ${r.body.slice(0, 300)}`);
  }
  const perRequest: number[] = [];
  const started = performance.now();
  const BATCH = 1000;
  for (let n = 0; n < NAMESPACES; n++) {
    const mine = Array.from({ length: N }, (_, i) => i).filter((i) => i % NAMESPACES === n);
    for (let b = 0; b < mine.length; b += BATCH) {
      const content = mine.slice(b, b + BATCH).map((i) => JSON.stringify(repositoryObject(i))).join('\n---\n');
      const r = await call('POST', `/namespaces/${ns(n)}/imports`, { format: 'resources', content });
      if (r.status !== 201 && r.status !== 200) throw new Error(`import into ${ns(n)}: ${r.status} ${r.body.slice(0, 500)}`);
      perRequest.push(r.ms / Math.min(BATCH, mine.length - b));
    }
  }
  const seconds = (performance.now() - started) / 1000;
  return { perSecond: Math.round(N / seconds), p99: figures(perRequest, 0).p99 };
}

async function waitFirstSyncs(call: Call): Promise<number> {
  const started = Date.now();
  let last = 0;
  for (;;) {
    const count = async (status: string) => {
      const r = await call('GET', `/repositories?limit=1&fieldSelector=status.syncStatus%3D${status}`);
      return (JSON.parse(r.body) as { metadata: { totalCount: number } }).metadata.totalCount;
    };
    const done = (await count('Success')) + (await count('Failed'));
    if (done >= N) return (Date.now() - started) / 1000;
    if (Date.now() - started > SYNC_WAIT_MS) throw new Error(`first syncs: ${done} of ${N} after ${SYNC_WAIT_MS / 1000} s (BENCH_SERVE_SYNC_WAIT)`);
    if (Date.now() - last > 15_000) {
      say(`  first syncs: ${done}/${N} after ${Math.round((Date.now() - started) / 1000)} s`);
      last = Date.now();
    }
    await sleep(1000);
  }
}

/** The mixed load; returns per-kind figures. */
async function mixedLoad(serve: ServeProcess, token: string): Promise<{ kinds: Record<string, KindFigures>; readsPerSecond: number; watchEvents: number; listItemBytes: number; clientLoop: NonNullable<ServeBenchResult['clientLoop']> }> {
  const pool = new Pool(serve.url, { connections: READERS + 2 });
  const watchAgent = new Agent({ connections: WATCHERS + 5, bodyTimeout: 0, headersTimeout: 120_000 });
  const call = client(pool, token);
  const samples: Record<string, number[]> = { get: [], list: [], search: [], sync: [] };
  const errors: Record<string, number> = { get: 0, list: 0, search: 0, sync: 0 };
  const rand = (n: number) => Math.floor(Math.random() * n);
  let stop = false;
  let watchEvents = 0;
  let listItemBytes = 0;
  let listPages = 0;
  const record = (kind: string, r: { status: number; ms: number }, ok: number) => {
    if (r.status === ok) samples[kind]!.push(r.ms);
    else errors[kind]!++;
  };
  // A token holds at most 10 watches (src/server/watch.ts): the watchers are 5 viewers' consoles.
  const viewers: string[] = [];
  for (let v = 0; v < Math.ceil(WATCHERS / 10); v++) {
    const r = await call('POST', '/tokens', { name: `bench-viewer-${v}`, role: 'viewer' });
    if (r.status !== 201) throw new Error(`creating a viewer token: ${r.status} ${r.body.slice(0, 300)}`);
    viewers.push((JSON.parse(r.body) as { status: { token: string } }).status.token);
  }
  // Watchers: list one row for a resourceVersion, then watch from it (10 over every namespace, 40 over one).
  const controllers: AbortController[] = [];
  const watchers = Array.from({ length: WATCHERS }, async (_, w) => {
    const path = w < 10 ? '/repositories' : `/namespaces/${ns(w)}/repositories`;
    const first = await call('GET', `${path}?limit=1`);
    const rv = (JSON.parse(first.body) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
    const ac = new AbortController();
    controllers.push(ac);
    try {
      const res = await request(`${serve.url}${API}${path}?watch=true&resourceVersion=${rv}`, { dispatcher: watchAgent, headers: { authorization: `Bearer ${viewers[w % viewers.length]}` }, signal: ac.signal });
      if (res.statusCode !== 200) throw new Error(`watch ${path}: ${res.statusCode} ${await res.body.text()}`);
      // Counted in the bytes: decoding and matching 50 copies of every event as
      // text was a good part of the load generator's CPU, which shares the 2
      // cores with the server (its own event-loop delay adds to every latency it measures).
      for await (const chunk of res.body as AsyncIterable<Buffer>) watchEvents += countEvents(chunk);
    } catch (err) {
      if (!stop) throw err;
    }
  });
  const started = performance.now();
  const deadline = started + SECONDS * 1000;
  const loopDelay = monitorEventLoopDelay({ resolution: 5 });
  loopDelay.enable();
  const cpuAtStart = process.cpuUsage();
  const readers = Array.from({ length: READERS }, async (_, reader) => {
    let cont: string | undefined;
    let listPath = '';
    let pages = 0;
    for (let op = reader; performance.now() < deadline; op++) {
      const kind = (['get', 'list', 'search'] as const)[op % 3]!;
      if (kind === 'get') {
        const i = rand(N);
        record('get', await call('GET', `/namespaces/${ns(i)}/repositories/${repoName(i)}`), 200);
      } else if (kind === 'list') {
        if (!cont || pages >= 5) {
          listPath = rand(4) === 0 ? '/repositories' : `/namespaces/${ns(rand(NAMESPACES))}/repositories`;
          cont = undefined;
          pages = 0;
        }
        const r = await call('GET', `${listPath}?limit=50${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`);
        record('list', r, 200);
        if (r.status === 200) {
          // The continue token from the list's metadata (before its items), not
          // a JSON.parse of every 60 KB page: the item size from every 20th.
          cont = continueOf(r.body);
          pages++;
          if (listPages++ % 20 === 0) {
            const page = JSON.parse(r.body) as { metadata: { continue?: string }; items: unknown[] };
            if (page.metadata.continue !== cont) throw new Error(`the continue token read from a list page (${cont}) is not its metadata.continue (${page.metadata.continue})`);
            if (page.items.length > 0) listItemBytes = Math.max(listItemBytes, Math.round(Buffer.byteLength(r.body) / page.items.length));
          }
        }
      } else {
        // A fragment of a name: matches about ten Repositories across the namespaces.
        const q = `repo-${String(rand(Math.ceil(N / 10))).padStart(5, '0')}`;
        record('search', await call('GET', `/repositories?limit=50&q=${q}`), 200);
      }
    }
  });
  const syncer = (async () => {
    while (performance.now() < deadline) {
      const tick = performance.now();
      const i = rand(N);
      record('sync', await call('POST', `/namespaces/${ns(i)}/repositories/${repoName(i)}/sync`), 202);
      const wait = SYNC_EVERY_MS - (performance.now() - tick);
      if (wait > 0) await sleep(wait);
    }
  })();
  await Promise.all([...readers, syncer]);
  const seconds = (performance.now() - started) / 1000;
  loopDelay.disable();
  const cpu = process.cpuUsage(cpuAtStart);
  const nsToMs = (ns: number) => Math.round(ns / 1e5) / 10;
  const clientLoop = { p50: nsToMs(loopDelay.percentile(50)), p99: nsToMs(loopDelay.percentile(99)), max: nsToMs(loopDelay.max), cpuPercent: Math.round(((cpu.user + cpu.system) / 1e6 / seconds) * 100) };
  stop = true;
  for (const ac of controllers) ac.abort();
  await Promise.allSettled(watchers);
  await pool.close();
  await watchAgent.destroy();
  const kinds = Object.fromEntries(Object.entries(samples).map(([k, s]) => [k, figures(s, errors[k]!)]));
  const reads = samples.get!.length + samples.list!.length + samples.search!.length;
  return { kinds, readsPerSecond: Math.round(reads / seconds), watchEvents, listItemBytes, clientLoop };
}

/** A store seeded once (direct seeding) that every run copies: the SQLite data directory or a PostgreSQL template database. */
interface Seeded {
  pgServer?: Awaited<ReturnType<typeof startPostgres>> | undefined;
  /** SQLite: the seeded data directory. */
  data?: string | undefined;
  /** PostgreSQL: the seeded database's name, copied with CREATE DATABASE ... TEMPLATE. */
  template?: string | undefined;
}

async function seedOnce(storeKind: string, registryUrl: string, images: GeneratedImage[]): Promise<Seeded> {
  const pgServer = storeKind === 'postgres' ? await startPostgres() : undefined;
  try {
    say(`${storeKind}: seeding ${N} Repositories through the store`);
    if (pgServer) {
      await seedDirect({ database: await pgServer.createDatabase('bench_template') }, registryUrl, images);
      return { pgServer, template: 'bench_template' };
    }
    const data = join(tempDir(undefined, 'tug-bench-serve-seed-'), 'data');
    await seedDirect({ data }, registryUrl, images);
    return { data };
  } catch (err) {
    await pgServer?.stop();
    throw err;
  }
}

/** A fresh copy of the seeded store for one run. */
async function copySeeded(seeded: Seeded, dir: string, run: number): Promise<{ data: string; database?: string | undefined }> {
  const data = join(dir, 'data');
  if (seeded.data) {
    cpSync(seeded.data, data, { recursive: true });
    return { data };
  }
  const name = `bench_run_${run}`;
  const client = new pg.Client({ connectionString: seeded.pgServer!.url('postgres') });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name} TEMPLATE ${seeded.template!}`);
  } finally {
    await client.end();
  }
  return { data, database: seeded.pgServer!.url(name) };
}

let runs = 0;

async function runOne(storeKind: string, registryUrl: string, images: GeneratedImage[], variant: Variant | undefined, seeded: Seeded | undefined): Promise<ServeBenchResult> {
  const dir = tempDir(undefined, 'tug-bench-serve-');
  const token = randomBytes(32).toString('base64url');
  writeFileSync(join(dir, 'admin.token'), token, { mode: 0o600 });
  const pgServer = seeded ? undefined : storeKind === 'postgres' ? await startPostgres() : undefined;
  let serve: ServeProcess | undefined;
  try {
    let data = join(dir, 'data');
    let database = pgServer ? await pgServer.createDatabase('bench') : undefined;
    if (seeded) {
      ({ data, database } = await copySeeded(seeded, dir, ++runs));
    } else if (SEED === 'direct') {
      say(`${storeKind}: seeding ${N} Repositories through the store`);
      await seedDirect({ data, database }, registryUrl, images);
    }
    const prof = process.env.BENCH_SERVE_PROF;
    if (prof) mkdirSync(prof, { recursive: true });
    serve = await spawnServe(['--data', data, '--admin-token-file', join(dir, 'admin.token'), ...(database ? ['--database', database] : [])], {
      env: { TUG_SECRET_KEY: randomBytes(32).toString('base64'), TUG_SERVE_LOOP_STATS: '1', ...(prof ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${prof}` } : {}), ...variant?.env },
      timeoutMs: 120_000,
    });
    say(`${storeKind}${variant ? ` [${variant.name}]` : ''}: tug serve at ${serve.url} (pid ${serve.child.pid})`);
    const pool = new Pool(serve.url, { connections: 4 });
    const call = client(pool, token);
    let create: { perSecond: number; p99: number } | undefined;
    let firstSyncsSeconds: number | undefined;
    if (SEED === 'api') {
      create = await seedApi(call, registryUrl);
      say(`${storeKind}: created ${N} Repositories at ${create.perSecond}/s; waiting for the first syncs`);
      firstSyncsSeconds = await waitFirstSyncs(call);
      say(`${storeKind}: first syncs done in ${Math.round(firstSyncsSeconds)} s`);
    }
    await pool.close();
    say(`${storeKind}: mixed load for ${SECONDS} s (${READERS} readers, ${WATCHERS} watchers, a sync every ${SYNC_EVERY_MS} ms)`);
    const pid = serve.child.pid!;
    const cpuBefore = cpuSeconds(pid);
    const loadStarted = performance.now();
    const load = await mixedLoad(serve, token);
    const cpu = cpuSeconds(pid) - cpuBefore;
    const wall = (performance.now() - loadStarted) / 1000;
    const result: ServeBenchResult = {
      label: LABEL,
      store: storeKind,
      repositories: N,
      seed: SEED,
      date: new Date().toISOString(),
      commit: commitOf(),
      createPerSecond: create?.perSecond,
      createP99Ms: create?.p99,
      firstSyncsSeconds: firstSyncsSeconds === undefined ? undefined : Math.round(firstSyncsSeconds),
      seconds: SECONDS,
      ...load,
      rssPeakMiB: procStatus(pid, 'VmHWM'),
      rssEndMiB: procStatus(pid, 'VmRSS'),
      loadAverage: Math.round(loadavg()[0]! * 10) / 10,
      serverCpuPercent: Math.round((cpu / wall) * 100),
      readsPerCpuSecond: Math.round((load.readsPerSecond * wall) / Math.max(cpu, 0.01)),
    };
    const timer = setTimeout(() => serve?.child.kill('SIGKILL'), 30_000);
    await serve.stop('SIGTERM');
    clearTimeout(timer);
    result.serverKinds = serverFigures(serve.stdout());
    const loop = /loop-stats (\{.*\})/.exec(serve.stderr())?.[1];
    if (loop) {
      result.serverLoop = JSON.parse(loop) as unknown;
      const gcMs = (result.serverLoop as { gc?: { ms?: number } }).gc?.ms;
      if (gcMs !== undefined) result.gcPercentOfCpu = Math.round((gcMs / 1000 / Math.max(cpu, 0.01)) * 1000) / 10;
    }
    return result;
  } finally {
    if (serve && serve.child.exitCode === null && serve.child.signalCode === null) {
      const timer = setTimeout(() => serve?.child.kill('SIGKILL'), 30_000);
      await serve.stop('SIGTERM');
      clearTimeout(timer);
    }
    await pgServer?.stop();
  }
}

function verdict(r: ServeBenchResult): string[] {
  const k = r.kinds;
  const mark = (ok: boolean) => (ok ? 'met' : 'missed');
  return [
    `GET p99 ${k.get?.p99} ms (< ${TARGETS.getP99}): ${mark((k.get?.p99 ?? Infinity) < TARGETS.getP99)}`,
    `list p99 ${k.list?.p99} ms (< ${r.repositories > 20_000 ? 100 : 50}): ${mark((k.list?.p99 ?? Infinity) < (r.repositories > 20_000 ? 100 : 50))}`,
    `search p99 ${k.search?.p99} ms (< ${r.repositories > 20_000 ? 100 : 50}): ${mark((k.search?.p99 ?? Infinity) < (r.repositories > 20_000 ? 100 : 50))}`,
    `${r.readsPerSecond} reads/s (> ${TARGETS.readsPerSecond}): ${mark(r.readsPerSecond > TARGETS.readsPerSecond)}`,
    `peak RSS ${r.rssPeakMiB} MiB (< ${TARGETS.rssMiB}): ${mark(r.rssPeakMiB < TARGETS.rssMiB)}`,
  ];
}


/** The serve section of docs/benchmarks.md, from every saved run. */
export function serveMarkdown(results: ServeBenchResult[]): string {
  const sorted = [...results].sort((a, b) => a.repositories - b.repositories || a.store.localeCompare(b.store) || a.date.localeCompare(b.date));
  const lines = [
    SERVE_START,
    '## tug serve under load (`npm run bench:serve`)',
    '',
    'bench/serve.ts (issue 15, "Scale"): a stock docker-registry with four small two-platform images, `tug serve` (one process,',
    'SQLite in a temp dir or a throwaway PostgreSQL), N Repositories in 10 namespaces, then for a bounded time 8 readers',
    '(in turn: a single GET, a 50-row list page followed by `continue`, a search `q=` matching about ten objects),',
    '50 watchers (resumed from a list\'s resourceVersion) and a manual sync every 50 ms. Seeding `api` creates the',
    'Repositories through `POST /namespaces/{ns}/imports` (1,000 rows a request) and waits for every first sync;',
    '`direct` writes them through the store before the server starts, each with a synced two-platform status, next sync',
    'an hour away. Peak RSS is the server\'s VmHWM. Targets: GET p99 < 20 ms, list and search p99 < 50 ms (< 100 ms at',
    '100,000), > 1,000 reads/s, RSS < 200 MiB.',
    '',
    '```sh',
    'BENCH_SERVE_LABEL=after BENCH_SERVE_DOCS=1 npm run bench:serve                       # 10,000, SQLite and PostgreSQL',
    'BENCH_SERVE_REPOS=100000 BENCH_SERVE_STORE=sqlite BENCH_SERVE_DOCS=1 npm run bench:serve   # seeds through the store',
    '```',
    '',
    'What the profile showed (`BENCH_SERVE_PROF=DIR`, `--cpu-prof` on the server, 10,000 Repositories, SQLite) and what changed:',
    '',
    '- Searches read every row\'s JSON: SQLite keeps the `search` column behind the ~3 KB `object` in overflow pages, so',
    '  `search LIKE \'%q%\'` (twice: count, then page) walked 60 MB; 60 ms a query at 10,000, on the one event loop. Migration 8',
    '  adds a covering index (kind, namespace, name, search); a page picks its keys from it and reads the JSON of its own rows',
    '  only, and a search collects every match\'s key in one pass for its count and page (60 + 57 ms -> about 2 ms).',
    '- The health checker\'s claim sorted every row by `COALESCE(next_health_at, 0)` each tick (35 ms at 10,000): the same',
    '  expression is indexed now (0.01 ms).',
    '- `continue` pages compared `namespace > a OR (namespace = a AND name > b)`, which SQLite answered by scanning the',
    '  namespace (4.5 ms); a row value `(namespace, name) > (a, b)` follows the index (0.08 ms), on PostgreSQL too.',
    '- 50 watchers cost 50 `JSON.stringify` calls and 50 UTF-8 encodings of the whole object per change: a change\'s frame is',
    '  built once, as bytes, and written to every stream.',
    '- List items carried every platform\'s manifest with its layers (3.1 KB here, ~4 KB with real images): a Repository list item',
    '  leaves out `status.platforms` and the manifest\'s layers and config (1.2 KB), removed by the database (`json_remove`, `#-`)',
    '  before the JSON reaches the server; a GET and watch events keep everything. The console\'s 依赖关系 tab, which compared',
    '  list items\' layers, asks `GET .../repositories/{name}/dependencies` instead.',
    '- A GET and a list parsed every object\'s JSON from the database and serialised it again: a kind with nothing to hide',
    '  (Repository) now answers the stored text as it is (`Store.getJson`, `listJson`; PostgreSQL `::text`), and a list page',
    '  takes the cut-down text of each object whose resourceVersion it has seen from a bounded cache (src/store/sql/item-cache.ts;',
    '  a write gives the object a new version, so no entry is ever stale), so `json_remove` runs for the others only.',
    '  Server CPU per request, interleaved A/B on copies of one 10,000-Repository database (median of 5 rounds of 300, load',
    '  average 22-27): 50-row list of a namespace 1.47 -> 1.07 ms, of every namespace 1.10 -> 0.57 ms (three A/B runs, all',
    '  this way); a GET within the noise (0.3-0.4 ms either way: HTTP and authentication are most of it).',
    '- fastify\'s two log lines a request (with the serialised request and reply) became one line of plain fields; a search',
    '  compares with `instr` / `strpos` instead of `LIKE \'%q%\' ESCAPE` (about 20% less per row scanned, the same matches).',
    '- A search still compared every row\'s search text (1 ms at 10,000, 10 ms at 100,000, on the event loop). Migration 9',
    '  adds a trigram index (SQLite FTS5 kept by triggers; PostgreSQL pg_trgm where the extension can be created, else the',
    '  scan as before) that narrows the rows by the last six characters of `q` (the starts of names are shared by thousands',
    '  of rows); the same text comparison still decides every match (tested against a plain scan on both databases).',
    '- The scheduler\'s lease check sorted every Repository (`listLeases`, 47 ms at 10,000 every lease period, ~10x at',
    '  100,000): it follows its index and sorts in code now (0.04 ms).',
    '- A PostgreSQL list page was a transaction of six round trips; it is one statement for keys, count and version, plus',
    '  one for objects the item cache lacks (read again the old way if an object changed in between). SQLite keeps its',
    '  transaction: the combined statement cost it twice as much.',
    '- PostgreSQL looked a token up on every request: each replica remembers tokens it found (at most 60 s), and a delete',
    '  notifies every replica (LISTEN/NOTIFY) to forget them; nothing is remembered while that connection is down. Server',
    '  CPU per request against one PostgreSQL, one client: GET 1.02 -> 0.62 ms, list 1.8 -> 0.98 ms, search 2.3 -> 1.25 ms.',
    '- What a p99 is made of (the bench now records it: "server p99" is fastify\'s own time per request from the server\'s log,',
    '  "client loop p99" the load generator\'s event-loop delay, and with `TUG_SERVE_LOOP_STATS=1` (src/server/loop-stats.ts)',
    '  the server\'s loop delay, stalls and GC): at 10,000 on SQLite the server answered a GET in 0.1-0.3 ms and a list or search',
    '  in 0.5-1 ms of its own time (p99 1-4 ms) while the client saw p99 35-40 ms. The rest is waiting: the server is',
    '  saturated (8 readers that never pause, one core), and its loop stalls behind GC (10-14% of its CPU, incremental',
    '  marking steps of ~10 ms), the syncs\' own work and, now and then, a commit that checkpointed the WAL and fsynced',
    '  (20-300 ms on the shared disk); the load generator\'s own loop delay (p99 14-19 ms) added to every figure.',
    '- A page\'s keys came with their resourceVersion (the item cache\'s key) from the table\'s rows, ~3 KB each, so a',
    '  50-row page read 51 rows that GETs of random objects had pushed out of SQLite\'s page cache (0.29 ms; 0.07 ms',
    '  with migration 10\'s index (kind, namespace, name, resource_version, search), which replaces objects_search). Server',
    '  reads per CPU-second on SQLite, 7 interleaved A/B pairs at load average 3-11: ahead in every pair, 1.1-2.4x (median',
    '  1.6x); on PostgreSQL (the same index, INCLUDE) 3 pairs within the noise.',
    '- WAL checkpoints run in a worker thread with its own connection (src/store/sqlite/checkpointer.ts, PASSIVE once',
    '  a second; the serving connection\'s own checkpoint only past 16 MB of log, was 1,000 pages), not in a commit on the event loop: with a status',
    '  write every 5 ms on a 10,000-Repository copy, a write\'s p99 12.6-17.7 -> 3.2-4.1 ms, the same CPU in all.',
    '- The load generator counts watch events in the bytes and reads a list\'s `continue` from the head of its text',
    '  (parsing every 20th page in full, checking the two agree) instead of decoding and parsing every event and page.',
    '- After both (rows "after, checkpoint worker and page index"; SQLite 10,000 re-run at 3bfcedf, where the worker runs',
    '  PASSIVE checkpoints only and the serving connection its own past 16 MB of log): three runs of the same build on the',
    '  quiet machine gave GET p99 31.3, 28.0 and 19.5 ms and 1,027, 1,256 and 1,648 reads/s (the row is the middle one; the',
    '  build before it, with a RESTART in the worker, 21.9 ms and 1,603). The server\'s own p99 stays under 1 ms for a GET',
    '  and about 3 ms for a list or search: the GET target (< 20 ms) is lost to queueing in a saturated server and the',
    '  machine\'s run-to-run spread, which is wider than the margin, not to any request\'s work.',
    '  The old generation\'s growth was tried for the server alone (v8.setFlagsFromString at start, one run each): V8\'s',
    '  default factor gave GET p99 19.1 ms but 253 MiB peak RSS (target < 200), 50% gave 22.5 ms and 176 MiB: within',
    '  the run-to-run spread, so the shebang\'s 20% stays. PostgreSQL at 10,000: the server waits on the database (its',
    '  own GET p50 5.3 ms, p99 27 ms) on the same 2 cores, and a 1 MB young generation costs it 14% of its CPU in',
    '  scavenges (pg\'s row parsing allocates): 512 reads/s.',
    '',
    'The rows labelled "after, trigram search" and "after, checkpoint worker and page index" ran on a quiet machine',
    '(load average 2-5.5: the load generator and, for PostgreSQL, the database share the 2 cores with the server).',
    '',
    'The machine: 2 cores shared with three other engineers\' test runs (load average 8-18 during these runs), so the',
    'server had a fraction of a core and absolute figures swing by 1.5x between identical runs; the ratios are the finding.',
    '"server CPU" is the CPU the server process used during the load as a share of one core (from /proc/PID/stat), and',
    '"reads per CPU-s" the reads it served per second of its own CPU: what it would serve with a core to itself.',
    '',
    '| run | store | Repositories (seed) | create/s (p99 ms) | first syncs | GET p50 / p99 | list p50 / p99 | search p50 / p99 | sync p99 | reads/s | watch events | list item | peak RSS | load avg | server CPU | reads per CPU-s | server p99 GET / list+search | client loop p99 |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of sorted) {
    const k = r.kinds;
    const pp = (f: KindFigures | undefined) => (f ? `${f.p50} / ${f.p99} ms${f.errors ? ` (${f.errors} errors)` : ''}` : '-');
    lines.push(`| ${r.label} (${r.commit}, ${r.date.slice(0, 10)}) | ${r.store} | ${r.repositories.toLocaleString('en')} (${r.seed}) | ${r.createPerSecond === undefined ? '-' : `${r.createPerSecond} (${r.createP99Ms})`} | ${r.firstSyncsSeconds === undefined ? '-' : `${r.firstSyncsSeconds} s`} | ${pp(k.get)} | ${pp(k.list)} | ${pp(k.search)} | ${k.sync ? `${k.sync.p99} ms` : '-'} | ${r.readsPerSecond} | ${r.watchEvents} | ${(r.listItemBytes / 1024).toFixed(1)} KiB | ${r.rssPeakMiB} MiB | ${r.loadAverage ?? '-'} | ${r.serverCpuPercent === undefined ? '-' : `${r.serverCpuPercent}%`} | ${r.readsPerCpuSecond ?? '-'} | ${r.serverKinds ? `${r.serverKinds['get']?.p99} / ${r.serverKinds['list+search']?.p99} ms` : '-'} | ${r.clientLoop ? `${r.clientLoop.p99} ms` : '-'} |`);
  }
  lines.push('', SERVE_END);
  return lines.join('\n');
}

function writeDocs(): void {
  const dir = join(repoRoot, 'bench', 'results');
  const results = readdirSync(dir).filter((f) => f.startsWith('serve-') && f.endsWith('.json')).map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as ServeBenchResult);
  const path = join(repoRoot, 'docs', 'benchmarks.md');
  const next = withSection(readFileSync(path, 'utf8'), 'serve', serveMarkdown(results));
  writeFileSync(`${path}.tmp`, next);
  renameSync(`${path}.tmp`, path);
}

async function main(): Promise<void> {
  if (STORES.length > 0) await runAll();
  if (process.env.BENCH_SERVE_DOCS === '1' && existsSync(join(repoRoot, 'docs', 'benchmarks.md'))) {
    writeDocs();
    say('wrote the serve section of docs/benchmarks.md');
  }
}

function report(storeKind: string, result: ServeBenchResult, out: string): void {
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  say(`${storeKind}${result.variant ? ` [${result.variant.name}, round ${result.variant.round}]` : ''}: ${JSON.stringify(result.kinds)}`);
  say(`  server side: ${JSON.stringify(result.serverKinds)}`);
  say(`  client loop: ${JSON.stringify(result.clientLoop)}; server loop: ${JSON.stringify(result.serverLoop)}`);
  say(`  server CPU ${result.serverCpuPercent}%, ${result.readsPerCpuSecond} reads per CPU-s, GC ${result.gcPercentOfCpu ?? '-'}% of its CPU, load average ${result.loadAverage}`);
  for (const line of verdict(result)) say(`  ${line}`);
  say(`  wrote ${out}`);
}

/** The parts of the server's loop-stats line (src/server/loop-stats.ts) the summary reads. */
interface LoopFigures {
  delay?: { p99?: number };
  stalls?: { over20?: number; ms?: number; gcMs?: number };
  gc?: { byKind?: Record<string, { count: number; ms: number }> };
}
const loopOf = (r: ServeBenchResult) => r.serverLoop as LoopFigures | undefined;
/** A count during the load per 1,000 reads served. */
const perReads = (r: ServeBenchResult, n: number | undefined) => (n === undefined ? undefined : Math.round((n / Math.max(1, r.readsPerSecond * r.seconds)) * 10_000) / 10);

/** Each variant's runs side by side and its medians: the figures an A/B is judged on. */
function summary(storeKind: string, variants: readonly Variant[], results: readonly ServeBenchResult[]): string {
  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  };
  const columns: [string, (r: ServeBenchResult) => number | undefined][] = [
    ['GET p99', (r) => r.kinds['get']?.p99],
    ['list p99', (r) => r.kinds['list']?.p99],
    ['search p99', (r) => r.kinds['search']?.p99],
    ['reads/s', (r) => r.readsPerSecond],
    ['reads/CPU-s', (r) => r.readsPerCpuSecond],
    ['GC % CPU', (r) => r.gcPercentOfCpu],
    ['peak RSS', (r) => r.rssPeakMiB],
    ['srv loop p99', (r) => loopOf(r)?.delay?.p99],
    ['scavenges/1k reads', (r) => perReads(r, loopOf(r)?.gc?.byKind?.['scavenge']?.count)],
    ['mark-compacts/1k reads', (r) => perReads(r, loopOf(r)?.gc?.byKind?.['markCompact']?.count)],
    ['stalls >20 ms', (r) => loopOf(r)?.stalls?.over20],
    ['stall ms', (r) => loopOf(r)?.stalls?.ms],
    ['GC ms in stalls', (r) => loopOf(r)?.stalls?.gcMs],
    ['load', (r) => r.loadAverage],
  ];
  const lines = [`${storeKind}, ${N} Repositories: median (every run in round order)`];
  for (const v of variants) {
    const mine = results.filter((r) => r.variant?.name === v.name);
    const cells = columns.map(([title, pick]) => {
      const xs = mine.map(pick).filter((x): x is number => x !== undefined);
      return `${title} ${Math.round(median(xs) * 10) / 10} (${xs.join(' ')})`;
    });
    lines.push(`  ${v.name}: ${cells.join('; ')}`);
  }
  return lines.join('\n');
}

async function runAll(): Promise<void> {
  const registry = await startRegistry();
  try {
    const images: GeneratedImage[] = [];
    for (let i = 0; i < IMAGES; i++) {
      const image = await multiArch(`bench-serve-${i}`);
      await pushImage({ url: registry.url, repository: `bench/img-${i}`, tag: 'v1' }, image);
      images.push(image);
    }
    for (const storeKind of STORES) {
      if (VARIANTS.length === 0 && ROUNDS === 1) {
        report(storeKind, await runOne(storeKind, registry.url, images, undefined, undefined), join(repoRoot, 'bench', 'results', `serve-${LABEL}-${storeKind}-${N}.json`));
        continue;
      }
      if (SEED !== 'direct') throw new Error('BENCH_SERVE_VARIANTS and BENCH_SERVE_ROUNDS need BENCH_SERVE_SEED=direct (every run copies one seeded store)');
      const variants = VARIANTS.length > 0 ? VARIANTS : [{ name: 'default', env: {} }];
      const seeded = await seedOnce(storeKind, registry.url, images);
      const results: ServeBenchResult[] = [];
      try {
        for (let round = 1; round <= ROUNDS; round++) {
          // Rotated each round, so no variant always runs first (a cold page cache) or after the same neighbour.
          for (let i = 0; i < variants.length; i++) {
            const variant = variants[(i + round - 1) % variants.length]!;
            const result = await runOne(storeKind, registry.url, images, variant, seeded);
            result.label = `${LABEL}-${variant.name}`;
            result.variant = { ...variant, round };
            results.push(result);
            report(storeKind, result, join(repoRoot, 'bench', 'results', `serve-${LABEL}-${variant.name}-${storeKind}-${N}-r${round}.json`));
          }
        }
      } finally {
        await seeded.pgServer?.stop();
        if (seeded.data) rmSync(join(seeded.data, '..'), { recursive: true, force: true });
      }
      say(summary(storeKind, variants, results));
    }
  } finally {
    await registry.stop();
  }
}

await main();
