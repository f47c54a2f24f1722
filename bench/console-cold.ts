/**
 * The console's cold load as issue 16 measures it: 120 repositories in two
 * namespaces, a browser that has never seen the console (a fresh profile per
 * run), 1280x800, the token in place, `/repositories`. Per run it prints the
 * time from `goto` to the first row (the page reports it through a binding,
 * so that no polling of the driver's runs in the page), the time from the navigation's
 * start to the first row in the DOM (the page's own clock, without the
 * driver's overhead), the bytes on the wire (`transferSize` of the document
 * and every resource), Chromium's script time, and the CPU time its
 * renderer processes spent from `goto` to the first row: on a machine
 * others are using, times stretch while CPU time barely moves, so that is
 * the figure to compare two builds by. Loopback only; every process is
 * stopped at the end.
 *
 *   npm run bench:console            (BENCH_CONSOLE_RUNS=5)
 *
 * Uses web/dist as built (`npm run build:web` first). With
 * BENCH_CONSOLE_BASELINE=DIR, a copy of an earlier build's web/dist (`cp -a
 * web/dist DIR` before rebuilding), a second `tug serve` serves DIR with the
 * same repositories and the runs alternate between the two builds (new, old,
 * old, new, ...), so that a busy machine weighs on both alike; the medians
 * are printed per build.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { API_PREFIX } from '../src/api/types.ts';
import { type ApiAnswer, FIRST_ROW_CLOCK, ROOT, firstRowAt, launchBrowser, registryBody, repoBody, startConsole } from '../test/support/console.ts';
import { tempDir } from '../test/support/tmp.ts';
import { TUG_ARGV, TUG_BIN } from '../test/support/tug.ts';

const RUNS = Number(process.env.BENCH_CONSOLE_RUNS ?? 5);
const BASELINE = process.env.BENCH_CONSOLE_BASELINE;
const REPOSITORIES = 120;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** A `tug serve` with a console build to load. */
interface Build {
  name: string;
  url: string;
  api(method: string, path: string, body?: unknown): Promise<ApiAnswer>;
}

interface Run {
  goto: number;
  dom: number;
  kib: number;
  script: number;
  cpu: number;
}

/**
 * `tug serve` of a copy of this checkout whose web/dist is `dist`: the
 * server reads the console from web/dist beside its own sources (by their
 * real path), so the copy has its own bin/ and src/; node_modules is shared.
 */
async function baselineServer(dist: string, tokenFile: string, token: string, stops: (() => Promise<unknown>)[]): Promise<Build> {
  const dir = tempDir(undefined, 'tug-bench-baseline-');
  for (const p of ['bin', 'src', 'package.json']) cpSync(join(ROOT, p), join(dir, p), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  mkdirSync(join(dir, 'web'));
  cpSync(dist, join(dir, 'web/dist'), { recursive: true });
  const argv = TUG_ARGV.map((a) => (a === TUG_BIN ? join(dir, 'bin/tug.js') : a));
  const child: ChildProcess = spawn(argv[0]!, [...argv.slice(1), 'serve', '--listen', '127.0.0.1:0', '--data', join(dir, 'data'), '--admin-token-file', tokenFile, '--max-concurrent-syncs', '8'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  stops.push(async () => {
    child.kill('SIGTERM');
    await exited;
  });
  const url = await new Promise<string>((resolve, reject) => {
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /listening on (https?:\/\/\S+)/.exec(stderr);
      if (m) resolve(m[1]!);
    });
    void exited.then(() => reject(new Error(`the baseline's tug serve exited:\n${stderr}`)));
  });
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${url}${API_PREFIX}/${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: /json/.test(res.headers.get('content-type') ?? '') ? await res.json() : await res.text() };
  };
  return { name: `baseline ${dist}`, url, api };
}

/** One cold load of `build` in a browser profile of its own. */
async function coldLoad(build: Build, token: string): Promise<Run> {
  const browser = await launchBrowser({ viewport: { width: 1280, height: 800 } });
  try {
    const page = browser.pages()[0] ?? (await browser.newPage());
    await page.addInitScript((t) => localStorage.setItem('tugboat.token', t), token);
    await page.addInitScript({ content: FIRST_ROW_CLOCK });
    // The first row, as the page reports it (FIRST_ROW_CLOCK): a locator's polling would run Playwright's script in the page during the load.
    let seen!: () => void;
    const rowsSeen = new Promise<void>((resolve) => (seen = resolve));
    await page.exposeBinding('__tugRowsSeen', () => seen());
    const cdp = await browser.newCDPSession(page);
    await cdp.send('Performance.enable');
    // CPU time per Chromium process (seconds since it started): the renderers' growth is the page's work.
    const browserCdp = await browser.browser()!.newBrowserCDPSession();
    const rendererCpu = async () => {
      const { processInfo } = (await browserCdp.send('SystemInfo.getProcessInfo')) as { processInfo: { type: string; id: number; cpuTime: number }[] };
      return new Map(processInfo.filter((p) => p.type === 'renderer').map((p) => [p.id, p.cpuTime * 1000]));
    };
    const cpuBefore = await rendererCpu();
    const t0 = Date.now();
    await page.goto(`${build.url}/repositories`, { waitUntil: 'commit' });
    await rowsSeen;
    const goto = Date.now() - t0;
    await page.locator('tr[data-row-key]').first().waitFor();
    const cpu = [...(await rendererCpu())].reduce((sum, [id, ms]) => sum + ms - (cpuBefore.get(id) ?? 0), 0);
    const dom = await firstRowAt(page);
    const bytes = await page.evaluate(() => {
      const perf = (globalThis as unknown as { performance: { getEntriesByType(t: string): { transferSize: number }[] } }).performance;
      return [...perf.getEntriesByType('navigation'), ...perf.getEntriesByType('resource')].reduce((sum, e) => sum + e.transferSize, 0);
    });
    const { metrics } = (await cdp.send('Performance.getMetrics')) as { metrics: { name: string; value: number }[] };
    const script = (metrics.find((m) => m.name === 'ScriptDuration')?.value ?? 0) * 1000;
    return { goto, dom: Math.round(dom), kib: Math.round(bytes / 1024), script: Math.round(script), cpu: Math.round(cpu) };
  } finally {
    await browser.close();
  }
}

const describe = (r: Run) => `first rows ${r.goto} ms after goto, ${r.dom} ms after navigation start; ${r.kib} KiB; script ${r.script} ms; renderer CPU ${r.cpu} ms`;

const h = await startConsole();
const stops: (() => Promise<unknown>)[] = [];
try {
  const builds: Build[] = [{ name: 'web/dist', url: h.baseUrl, api: h.api }];
  if (BASELINE) builds.push(await baselineServer(BASELINE, join(h.dataDir, 'admin-token'), h.token, stops));
  for (const b of builds) {
    await b.api('POST', 'namespaces/default/registries', registryBody('default', 'local', h.registry.url));
    await Promise.all(
      Array.from({ length: REPOSITORIES }, (_, i) => {
        const ns = i % 2 ? 'edge' : 'default';
        return b.api('POST', `namespaces/${ns}/repositories`, repoBody(ns, `app-${String(i).padStart(3, '0')}`, 'library/nginx', 'latest'));
      }),
    );
    await h.waitFor(`every first sync (${b.name})`, async () => (await b.api('GET', 'repositories?fieldSelector=status.syncStatus%3DSuccess&limit=1')).body?.metadata?.totalCount === REPOSITORIES, 120_000);
  }
  const results = new Map<Build, Run[]>(builds.map((b) => [b, []]));
  for (let i = 0; i < RUNS; i++) {
    // ABBA order: neither build always runs first (right after the other's browser closed).
    for (const b of i % 2 ? [...builds].reverse() : builds) {
      const r = await coldLoad(b, h.token);
      results.get(b)!.push(r);
      console.log(`${builds.length > 1 ? `${b.name} ` : ''}run ${i + 1}: ${describe(r)}`);
    }
  }
  for (const [b, rs] of results) {
    const m = (k: keyof Run) => median(rs.map((r) => r[k]));
    console.log(`${builds.length > 1 ? `${b.name}: ` : ''}median of ${RUNS}: ${describe({ goto: m('goto'), dom: m('dom'), kib: m('kib'), script: m('script'), cpu: m('cpu') })}`);
  }
} finally {
  for (const s of stops.reverse()) await s().catch(() => {});
  await h.stop();
}
