/**
 * The console's cold load as issue 16 measures it: 120 repositories in two
 * namespaces, a browser that has never seen the console (a fresh profile per
 * run), 1280x800, the token in place, `/repositories`. Per run it prints the
 * time from `goto` to the first row on screen, the time from the navigation's
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
 * Uses web/dist as built (`npm run build:web` first).
 */
import { FIRST_ROW_CLOCK, firstRowAt, launchBrowser, registryBody, repoBody, startConsole } from '../test/support/console.ts';

const RUNS = Number(process.env.BENCH_CONSOLE_RUNS ?? 5);
const REPOSITORIES = 120;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const h = await startConsole();
try {
  await h.api('POST', 'namespaces/default/registries', registryBody('default', 'local', h.registry.url));
  await Promise.all(
    Array.from({ length: REPOSITORIES }, (_, i) => {
      const ns = i % 2 ? 'edge' : 'default';
      return h.api('POST', `namespaces/${ns}/repositories`, repoBody(ns, `app-${String(i).padStart(3, '0')}`, 'library/nginx', 'latest'));
    }),
  );
  await h.waitFor('every first sync', async () => (await h.api('GET', 'repositories?fieldSelector=status.syncStatus%3DSuccess&limit=1')).body?.metadata?.totalCount === REPOSITORIES, 120_000);
  const results: { goto: number; dom: number; kib: number; script: number; cpu: number }[] = [];
  for (let i = 0; i < RUNS; i++) {
    const browser = await launchBrowser({ viewport: { width: 1280, height: 800 } });
    try {
      const page = browser.pages()[0] ?? (await browser.newPage());
      await page.addInitScript((t) => localStorage.setItem('tugboat.token', t), h.token);
      await page.addInitScript({ content: FIRST_ROW_CLOCK });
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
      await page.goto(`${h.baseUrl}/repositories`);
      await page.locator('tr[data-row-key]').first().waitFor();
      const goto = Date.now() - t0;
      const cpu = [...(await rendererCpu())].reduce((sum, [id, ms]) => sum + ms - (cpuBefore.get(id) ?? 0), 0);
      const dom = await firstRowAt(page);
      const bytes = await page.evaluate(() => {
        const perf = (globalThis as unknown as { performance: { getEntriesByType(t: string): { transferSize: number }[] } }).performance;
        return [...perf.getEntriesByType('navigation'), ...perf.getEntriesByType('resource')].reduce((sum, e) => sum + e.transferSize, 0);
      });
      const { metrics } = (await cdp.send('Performance.getMetrics')) as { metrics: { name: string; value: number }[] };
      const script = (metrics.find((m) => m.name === 'ScriptDuration')?.value ?? 0) * 1000;
      results.push({ goto, dom: Math.round(dom), kib: Math.round(bytes / 1024), script: Math.round(script), cpu: Math.round(cpu) });
      console.log(`run ${i + 1}: first rows ${goto} ms after goto, ${Math.round(dom)} ms after navigation start; ${Math.round(bytes / 1024)} KiB; script ${Math.round(script)} ms; renderer CPU ${Math.round(cpu)} ms`);
    } finally {
      await browser.close();
    }
  }
  console.log(`median of ${RUNS}: first rows ${median(results.map((r) => r.goto))} ms after goto, ${median(results.map((r) => r.dom))} ms after navigation start; ${median(results.map((r) => r.kib))} KiB; script ${median(results.map((r) => r.script))} ms; renderer CPU ${median(results.map((r) => r.cpu))} ms`);
} finally {
  await h.stop();
}
