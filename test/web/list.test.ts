/**
 * The repository list (issue 16): the health and storage columns against
 * the API's own figures, the sync-status and health filters sent as the
 * server's fieldSelector (list and watch) and kept in the URL, and the
 * virtual table with 10,000 Repositories: scrolled to the end, the last row
 * shows while the DOM holds only a window of rows. Scroll frame times and
 * page-size timings are printed, never asserted (a shared machine).
 */
import assert from 'node:assert/strict';
import { type Server, type Socket, createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { formatBytes } from '../../src/api/bytes.ts';
import { type ConsoleHarness, registryBody, repoBody, startConsole } from '../support/console.ts';
import { makeImage, pushImage } from '../support/images.ts';

const BIG = 10_000;

let h: ConsoleHarness;
let page: Page;
/** The list requests the page made (path and query), watches included. */
const requests: string[] = [];

const repo = async (ns: string, name: string) => (await h.api('GET', `namespaces/${ns}/repositories/${name}`)).body;
const rowCount = () => page.locator('tbody tr[data-row-key]').count();

/** A TCP listener that accepts and never answers: syncs against it wait, so 10,000 Repositories stay unsynced without keeping the scheduler busy. */
async function silentListener(): Promise<{ port: number; stop(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('repository list: health, storage, filters, 10,000 rows', () => {
  before(async () => {
    // Health checks every 10 s (the least), so a synced Repository gets its state while the test waits.
    // 1920 px wide: the storage column shows from 1600 px (useRepositoryColumns.tsx; layout.test.ts checks 1280 px).
    h = await startConsole({ serveArgs: ['--health-interval', '10s'], viewport: { width: 1920, height: 1080 } });
    page = h.page;
    page.on('request', (req) => {
      const url = new URL(req.url());
      if (url.pathname.endsWith('/repositories')) requests.push(`${url.pathname}${url.search}`);
    });
    assert.equal((await h.api('POST', 'namespaces/default/registries', registryBody('default', 'local', h.registry.url))).status, 201);
    const create = async (name: string, repository: string, tag: string, extra: Record<string, unknown> = {}) =>
      assert.equal((await h.api('POST', 'namespaces/default/repositories', repoBody('default', name, repository, tag, extra))).status, 201);
    await create('nginx', 'library/nginx', 'latest', { mirror: { registryRef: { name: 'local' }, repository: 'mirror/nginx' } });
    await create('redis', 'library/redis', '7-alpine');
    await create('missing', 'library/missing', '1');
    await h.waitFor('two synced, one failed', async () => {
      const [a, b, c] = await Promise.all(['nginx', 'redis', 'missing'].map((n) => repo('default', n)));
      return a.status?.syncStatus === 'Success' && b.status?.syncStatus === 'Success' && c.status?.syncStatus === 'Failed';
    }, 30_000);
    // redis's tag moves at the source after its sync: the health checker calls it Degraded.
    await pushImage({ url: h.registry.url, repository: 'library/redis', tag: '7-alpine' }, await makeImage({ seed: 'redis-moved', layerSizes: [2048] }));
    await h.waitFor('health states', async () => (await repo('default', 'nginx')).status?.health?.state === 'Healthy' && (await repo('default', 'redis')).status?.health?.state === 'Degraded', 30_000);
  });

  after(() => h?.stop());

  it('shows each repository\'s health and storage as the API reports them, in Chinese and English', async () => {
    await h.signIn();
    for (const name of ['nginx', 'redis', 'missing']) {
      const r = await repo('default', name);
      const row = h.row(`default/${name}`);
      await row.waitFor();
      // The list keeps itself current: wait until the row shows what the API says now.
      const state = r.status?.health?.state ?? 'Unknown';
      await h.waitFor(`${name}'s health ${state}`, async () => (await row.locator('[data-health]').getAttribute('data-health')) === state);
      const storage = row.locator('.storage-cell, [data-storage]');
      if (r.status?.storage) {
        assert.ok(r.status.storage.source.bytes > 0, `${name} has a size`);
        assert.equal(Number(await storage.getAttribute('data-source-bytes')), r.status.storage.source.bytes, name);
        // The figure shown is what clusters pull from: the mirror's when there is one.
        const shown = r.spec.mirror ? r.status.storage.mirror.bytes : r.status.storage.source.bytes;
        assert.equal((await storage.innerText()).trim(), formatBytes(shown), name);
      } else {
        assert.equal(await storage.getAttribute('data-storage'), 'none', `${name} never synced: no size`);
      }
    }
    const nginx = await repo('default', 'nginx');
    assert.equal(Number(await h.row('default/nginx').locator('.storage-cell').getAttribute('data-mirror-bytes')), nginx.status.storage.mirror.bytes, 'the mirror\'s bytes');
    // The storage figures are GET /storage's (shared layers once).
    const report = (await h.api('GET', 'storage?namespace=default&limit=100')).body;
    const inReport = report.repositories.find((x: { name: string }) => x.name === 'nginx');
    assert.deepEqual({ source: inReport.source, mirror: inReport.mirror }, nginx.status.storage);
    assert.match(await h.row('default/nginx').innerText(), /健康/);
    assert.match(await h.row('default/redis').innerText(), /降级/);
    assert.match(await h.row('default/missing').innerText(), /未检查/);
    // The tooltip: what Degraded means in Chinese, when it was checked; the checker's English only as the detail after it.
    await h.row('default/redis').locator('[data-health]').hover();
    const tip = page.getByTestId('health-tooltip');
    await tip.waitFor();
    const tipText = await tip.innerText();
    assert.match(tipText, /镜像副本仍可拉取|源标签在上次同步后已变化/);
    assert.match(tipText, /检查时间：\d{4}-\d\d-\d\d/);
    assert.match(tipText.split('\n')[0]!, /^[^a-zA-Z]*$/, `the first line is Chinese: ${tipText}`);
    await h.shot('list-health');
    await page.mouse.move(0, 0);

    await page.getByTestId('lang-switch').click();
    await page.getByRole('columnheader', { name: 'Health' }).waitFor();
    await page.getByRole('columnheader', { name: 'Storage' }).waitFor();
    assert.match(await h.row('default/redis').innerText(), /Degraded/);
    assert.match(await h.row('default/missing').innerText(), /Unknown/);
    await h.shot('list-health-en');
    await page.getByTestId('lang-switch').click();
    await page.getByRole('columnheader', { name: '健康状态' }).waitFor();
  });

  it('filters by sync status and health on the server (list and watch), keeps them in the URL, and rows leave as they change', async () => {
    requests.length = 0;
    await h.pickOption('同步状态筛选', '同步失败');
    await page.waitForURL(/status=Failed/);
    await h.waitFor('only the failed one', async () => (await rowCount()) === 1 && (await h.row('default/missing').count()) === 1);
    const selector = 'fieldSelector=status.syncStatus%3DFailed';
    assert.ok(requests.some((r) => r.includes(selector) && !r.includes('watch=true')), `the list asked the server: ${requests.join(' ')}`);
    assert.ok(requests.some((r) => r.includes(selector) && r.includes('watch=true')), `the watch asked the server: ${requests.join(' ')}`);
    // A reload keeps the filter, in the URL and in the toolbar.
    await page.reload();
    await h.row('default/missing').waitFor();
    assert.equal(await rowCount(), 1);
    assert.match(await page.getByTestId('filter-status').innerText(), /同步失败/);

    // The failed image appears at the source and syncs: it stops matching, and its row leaves without a reload.
    await pushImage({ url: h.registry.url, repository: 'library/missing', tag: '1' }, await makeImage({ seed: 'missing-now', layerSizes: [1024] }));
    assert.equal((await h.api('POST', 'namespaces/default/repositories/missing/sync', {})).status, 202);
    await h.row('default/missing').waitFor({ state: 'detached', timeout: 30_000 });
    await page.getByText('没有符合筛选条件的镜像').waitFor();

    // Health, with the status filter cleared: only the Degraded one.
    requests.length = 0;
    await page.getByTestId('filter-status').hover();
    await page.getByTestId('filter-status').locator('.ant-select-clear').click();
    await h.pickOption('健康状态筛选', '降级');
    await page.waitForURL((u) => u.searchParams.get('health') === 'Degraded' && !u.searchParams.has('status'));
    await h.waitFor('only the degraded one', async () => (await rowCount()) === 1 && (await h.row('default/redis').count()) === 1);
    assert.ok(requests.some((r) => r.includes('fieldSelector=status.health.state%3DDegraded')), requests.join(' '));
    await page.reload();
    await h.row('default/redis').waitFor();
    assert.equal(await rowCount(), 1);
    await page.getByTestId('filter-health').hover();
    await page.getByTestId('filter-health').locator('.ant-select-clear').click();
    await h.waitFor('every row back', async () => (await rowCount()) === 3);
  });

  it(`keeps ${BIG.toLocaleString('en')} loaded rows in a window of the DOM and scrolls to the last`, async () => {
    const silent = await silentListener();
    try {
      const host = `127.0.0.1:${silent.port}`;
      assert.equal((await h.api('POST', 'namespaces/bulk/registries', registryBody('bulk', 'silent', `http://${host}`))).status, 201);
      const name = (i: number) => `app-${String(i).padStart(5, '0')}`;
      const t0 = Date.now();
      // Imports of 1,000 rows, two at a time (one request of 5,000 ran past a minute on a busy machine).
      const CHUNK = 1000;
      const chunks = Array.from({ length: BIG / CHUNK }, (_, c) => Array.from({ length: CHUNK }, (_, i) => `${host}/bulk/${name(c * CHUNK + i + 1)}:v1`).join('\n'));
      for (let c = 0; c < chunks.length; c += 2) {
        const made = await Promise.all(chunks.slice(c, c + 2).map((content) => h.api('POST', 'namespaces/bulk/imports', { content, format: 'list', syncInterval: '24h' })));
        for (const m of made) assert.equal(m.status, 201, JSON.stringify(m.body).slice(0, 500));
      }
      console.log(`created ${BIG} Repositories through ${chunks.length} imports in ${Date.now() - t0} ms`);

      // The page size after the first page: what the server takes for 50 and for 500 items, per item (printed).
      // Taken in turns, so that a busy moment of the machine falls on both.
      const spent = { 50: 0, 500: 0 };
      for (let i = 0; i < 6; i++) {
        for (const limit of i % 2 ? ([500, 50] as const) : ([50, 500] as const)) {
          const start = performance.now();
          assert.equal((await h.api('GET', `namespaces/bulk/repositories?limit=${limit}`)).status, 200);
          spent[limit] += performance.now() - start;
        }
      }
      const [small, large] = [spent[50] / 6, spent[500] / 6];
      console.log(`list page of 50: ${small.toFixed(1)} ms (${(small / 50).toFixed(2)} ms/item); of 500: ${large.toFixed(1)} ms (${(large / 500).toFixed(2)} ms/item); 10,000 rows = 200 x 50 (${((small * 200) / 1000).toFixed(1)} s) or 1 x 50 + 20 x 500 (${((small + large * 20) / 1000).toFixed(1)} s)`);

      // Signed in already unless this test runs alone (--test-name-pattern).
      await page.goto(`${h.baseUrl}/`);
      await page.waitForURL(/\/(login|repositories)/);
      if (page.url().includes('/login')) await h.signIn();
      requests.length = 0;
      const t1 = Date.now();
      await page.goto(`${h.baseUrl}/repositories?ns=bulk`);
      const firstPage = page.waitForResponse((res) => /\/namespaces\/bulk\/repositories\?/.test(res.url()) && !res.url().includes('watch=true')).then(() => Date.now() - t1);
      await h.row(`bulk/${name(1)}-v1`).waitFor({ timeout: 30_000 });
      console.log(`first rows of ${BIG} after ${Date.now() - t1} ms (the first page's answer after ${await firstPage} ms)`);
      await page.waitForTimeout(500);
      assert.match(await page.getByTestId('loaded-count').innerText(), new RegExp(`已加载 50 / 共 ${BIG} 条`), 'one page at scroll position 0');

      // Scroll the table's body to its end again and again: each time near the end, the next page loads.
      const holder = page.locator('.repo-list .ant-table-tbody-virtual-holder');
      let most = 0;
      const t2 = Date.now();
      await h.waitFor(
        'every page by scrolling',
        async () => {
          await holder.evaluate((el) => {
            el.scrollTop = el.scrollHeight;
          });
          most = Math.max(most, await rowCount());
          return (await page.getByTestId('all-loaded').count()) > 0;
        },
        120_000,
      );
      const pages = requests.filter((r) => !r.includes('watch=true') && !r.includes('limit=1&') && !r.endsWith('limit=1'));
      console.log(`scrolled through ${BIG} in ${Date.now() - t2} ms, ${pages.length} list requests`);
      assert.match(await page.getByTestId('loaded-count').innerText(), new RegExp(`已加载 ${BIG} / 共 ${BIG} 条`));
      const last = h.row(`bulk/${name(BIG)}-v1`);
      await h.waitFor('the last row on screen', async () => {
        await holder.evaluate((el) => {
          el.scrollTop = el.scrollHeight;
        });
        return last.isVisible();
      });
      most = Math.max(most, await rowCount());
      assert.ok(most < 100, `the DOM held at most ${most} rows of ${BIG}`);
      console.log(`rows in the DOM: at most ${most} of ${BIG}`);

      // Frame times while the wheel scrolls the 10,000 rows back up (printed, not asserted), and for a second without scrolling.
      const box = (await holder.boundingBox())!;
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      const idle = await page.evaluate(
        () =>
          new Promise<number[]>((resolve) => {
            const w = globalThis as unknown as { requestAnimationFrame(f: (t: number) => void): void };
            const out: number[] = [];
            const tick = (t: number) => {
              out.push(t);
              if (t - out[0]! < 1000) w.requestAnimationFrame(tick);
              else resolve(out);
            };
            w.requestAnimationFrame(tick);
          }),
      );
      console.log(`idle (no scrolling): ${idle.length - 1} frames in ${(idle.at(-1)! - idle[0]!).toFixed(0)} ms`);
      await page.evaluate(() => {
        const w = globalThis as unknown as { __frames: number[]; __stop: boolean; requestAnimationFrame(f: (t: number) => void): void };
        w.__frames = [];
        w.__stop = false;
        const tick = (t: number) => {
          w.__frames.push(t);
          if (!w.__stop) w.requestAnimationFrame(tick);
        };
        w.requestAnimationFrame(tick);
      });
      for (let i = 0; i < 60; i++) {
        await page.mouse.wheel(0, -600);
        most = Math.max(most, i % 10 === 0 ? await rowCount() : 0);
      }
      const frames = await page.evaluate(() => {
        const w = globalThis as unknown as { __frames: number[]; __stop: boolean };
        w.__stop = true;
        return w.__frames;
      });
      const gaps = frames.slice(1).map((t, i) => t - frames[i]!).sort((a, b) => a - b);
      const pct = (p: number) => gaps[Math.min(gaps.length - 1, Math.floor(gaps.length * p))]!.toFixed(1);
      console.log(`wheel scrolling ${BIG} rows: ${gaps.length} frames, p50 ${pct(0.5)} ms, p95 ${pct(0.95)} ms, max ${gaps.at(-1)!.toFixed(1)} ms; rows in the DOM at most ${most}`);
      assert.ok(most < 100, `the DOM held at most ${most} rows while scrolling`);

      // Selection and batch delete still work in the virtual body.
      const firstKey = await page.locator('tbody tr[data-row-key]').first().getAttribute('data-row-key');
      assert.ok(firstKey);
      await page.locator(`tr[data-row-key="${firstKey}"] .ant-checkbox-input`).check();
      await page.getByTestId('batch-delete').click();
      const dialog = page.getByRole('dialog');
      await dialog.getByText(firstKey).waitFor();
      await dialog.locator('#typed-confirm').fill('1');
      await page.getByTestId('confirm-delete').click();
      await h.row(firstKey).waitFor({ state: 'detached' });
      await h.waitFor('the total drops', async () => new RegExp(`共 ${BIG - 1} 条`).test(await page.getByTestId('loaded-count').innerText()));
      assert.equal((await h.api('GET', `namespaces/${firstKey.replace('/', '/repositories/')}`)).status, 404);
    } finally {
      await silent.stop();
    }
  });
});
