/**
 * The 概览 (overview) dashboard and the 存储 (storage) view in Chromium,
 * against a real `tug serve` and registry (test/support/console.ts):
 * succeeding and failing images in two namespaces, then the figures the
 * page shows are compared with what `GET /overview` and `GET /storage`
 * answer, each chart is checked for drawn pixels, the failing table's link
 * opens the details, an admin sets and clears a storage warning, and a
 * viewer sees no button it would get a 403 from.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { formatBytes } from '../../src/api/bytes.ts';
import { type ConsoleHarness, registryBody, repoBody, startConsole } from '../support/console.ts';
import { startRegistry, type TestRegistry } from '../support/registry.ts';

let harness: ConsoleHarness;
let mirrorRegistry: TestRegistry | undefined;
let page: Page;
const api: ConsoleHarness['api'] = (...args) => harness.api(...args);
const waitFor: ConsoleHarness['waitFor'] = (...args) => harness.waitFor(...args);

/** What the page shows for a count: the same grouping the console uses for Chinese. */
const zhCount = (n: number) => new Intl.NumberFormat('zh-CN').format(n);

/** The images the test creates: [namespace, name, repository, tag, extra spec]; the missing tags fail (NOT_FOUND, no retries). */
const IMAGES: [string, string, string, string, Record<string, unknown>][] = [
  // A mirror in a second registry: its blobs are copied (into the same registry they would be mounted, moving no bytes).
  ['default', 'nginx-latest', 'library/nginx', 'latest', { mirror: { registryRef: { name: 'mirror' }, repository: 'mirror/nginx' } }],
  ['default', 'redis-cache', 'library/redis', '7-alpine', {}],
  ['default', 'nginx-missing', 'library/nginx', 'does-not-exist', {}],
  ['edge', 'redis-edge', 'library/redis', '7-alpine', { registryRef: { name: 'local', namespace: 'edge' } }],
  ['edge', 'redis-missing', 'library/redis', 'no-such-tag', { registryRef: { name: 'local', namespace: 'edge' } }],
];

/** English words the API sends (states, kinds) that must not reach the Chinese UI as they are. */
const ENGLISH_STATES = /\b(Success|Failed|Syncing|Pending|Healthy|Degraded|Unhealthy|Unknown|Succeeded|Interrupted|blobs|bytes|not found)\b/;

/** How many pixels of the canvas inside `testId` are drawn (not transparent): a chart that rendered nothing has none. */
async function drawnPixels(testId: string): Promise<number> {
  const canvas = page.getByTestId(testId).locator('canvas').first();
  if ((await canvas.count()) === 0) return 0; // the chart library's chunk is still on its way
  return canvas.evaluate((el) => {
    const c = el as unknown as { width: number; height: number; getContext(k: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null };
    const ctx = c.getContext('2d');
    if (!ctx || c.width === 0 || c.height === 0) return 0;
    const { data } = ctx.getImageData(0, 0, c.width, c.height);
    let n = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) n++;
    return n;
  });
}

const text = async (testId: string) => (await page.getByTestId(testId).innerText()).trim();

describe('web console: overview and storage', () => {
  before(async () => {
    harness = await startConsole();
    page = harness.page;
    mirrorRegistry = await startRegistry();
    for (const ns of ['default', 'edge']) assert.equal((await api('POST', `namespaces/${ns}/registries`, registryBody(ns, 'local', harness.registry.url))).status, 201);
    assert.equal((await api('POST', 'namespaces/default/registries', registryBody('default', 'mirror', mirrorRegistry.url))).status, 201);
    for (const [ns, name, repository, tag, extra] of IMAGES) {
      const body = repoBody(ns, name, repository, tag);
      assert.equal((await api('POST', `namespaces/${ns}/repositories`, { ...body, spec: { ...body.spec, ...extra } })).status, 201, `${ns}/${name}`);
    }
    // Every first sync finished (a missing tag fails at once: retryCount 0).
    await waitFor('the first syncs to finish', async () => {
      const list = await api('GET', 'repositories?limit=100');
      const done = (list.body.items as { status?: { syncStatus?: string } }[]).filter((r) => ['Success', 'Failed'].includes(r.status?.syncStatus ?? ''));
      const runs = await api('GET', 'overview?window=24h&bucket=1h');
      return done.length === IMAGES.length && runs.body.runs.total >= IMAGES.length;
    }, 60_000);
  });

  after(async () => {
    await harness?.stop();
    await mirrorRegistry?.stop();
  });

  it('shows the same counts as GET /overview, draws every chart, and the failing table opens details', async () => {
    const fetched: string[] = [];
    page.on('request', (r) => void fetched.push(new URL(r.url()).pathname));
    await harness.signIn();
    await page.getByRole('heading', { name: '镜像管理' }).waitFor();
    // Issue 16: the list's first load fetches neither the overview nor its chart library (their own lazy chunks).
    const charts = /^\/assets\/Overview(Page|Charts)-/;
    assert.deepEqual(fetched.filter((p) => charts.test(p)), [], 'the list loaded the overview or its charts');
    // 概览 is the side menu's first entry.
    const first = page.locator('.ant-menu-item').first();
    assert.equal((await first.innerText()).trim(), '概览');
    await first.click();
    await page.waitForURL(/\/overview$/);
    const shown = Date.now();
    await page.getByTestId('overview-total').waitFor();
    console.log(`overview figures on screen ${Date.now() - shown} ms after the menu click (the charts follow in a chunk of their own)`);
    const o = (await api('GET', 'overview?window=24h&bucket=1h')).body;
    assert.equal(o.repositories.total, IMAGES.length);
    assert.equal(o.repositories.byStatus.Failed, 2);
    assert.equal(await text('overview-total'), zhCount(o.repositories.total));
    for (const [state, n] of Object.entries(o.repositories.byStatus as Record<string, number>)) assert.equal(await text(`overview-status-${state}`), zhCount(n), `status ${state}`);
    for (const [state, n] of Object.entries(o.repositories.byHealth as Record<string, number>)) assert.equal(await text(`overview-health-${state}`), zhCount(n), `health ${state}`);
    assert.equal(await text('overview-runs-total'), zhCount(o.runs.total));
    assert.equal(await text('overview-runs-failed'), zhCount(o.runs.failed));
    assert.equal(await text('overview-bytes-moved'), formatBytes(o.runs.bytesMoved));
    assert.ok(o.runs.bytesMoved > 0, 'the successful syncs moved bytes');

    assert.ok(fetched.some((p) => /^\/assets\/OverviewCharts-/.test(p)), 'the overview fetched the chart chunk');
    for (const chart of ['chart-status', 'chart-runs', 'chart-bytes', 'chart-storage']) {
      let drawn = 0;
      const start = Date.now();
      await waitFor(`${chart} to draw`, async () => (drawn = await drawnPixels(chart)) > 500, 60_000);
      console.log(`${chart}: ${drawn} pixels drawn (${Date.now() - start} ms)`);
    }

    // The failing table lists both failures, each linking to its details.
    const failing = page.getByTestId('overview-failing');
    for (const f of o.failing as { namespace: string; repository: string; failures: number }[]) {
      assert.equal(await text(`overview-failures-${f.namespace}/${f.repository}`), zhCount(f.failures));
    }
    assert.deepEqual((o.failing as { repository: string }[]).map((f) => f.repository).sort(), ['nginx-missing', 'redis-missing']);
    const body = await page.locator('.content').innerText();
    assert.doesNotMatch(body, ENGLISH_STATES, 'no English state names in the Chinese overview');
    assert.equal(harness.cspViolations.length, 0, harness.cspViolations.join('\n'));
    await harness.shot('overview');

    // The 7-day window asks the server for it and keeps the counts.
    await page.getByTestId('overview-window-7d').click();
    await page.waitForURL(/window=7d/);
    await waitFor('the 7-day figures', async () => (await page.getByTestId('overview-window-7d').getAttribute('aria-pressed')) === 'true' && (await text('overview-runs-total')) === zhCount((await api('GET', 'overview?window=168h&bucket=6h')).body.runs.total));
    await page.getByTestId('overview-window-24h').click();

    await failing.getByTestId('overview-link-default/nginx-missing').click();
    await page.waitForURL(/\/repositories\/default\/nginx-missing$/);
    await page.getByTestId('failure-reason').getByText('源镜像仓库中找不到该镜像或标签').waitFor();
  });

  it('shows the overview in English once', async () => {
    await page.getByRole('menuitem', { name: '概览' }).click();
    await page.getByTestId('overview-total').waitFor();
    await page.getByTestId('lang-switch').click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await page.getByText('Failing most').waitFor();
    await waitFor('the charts to redraw', async () => (await drawnPixels('chart-runs')) > 500, 60_000);
    await page.mouse.move(600, 500); // away from the language button's tooltip
    await harness.shot('overview-en');
    await page.getByTestId('lang-switch').click();
    await page.getByRole('heading', { name: '概览' }).waitFor();
  });

  it('shows the same bytes as GET /storage; an admin sets a warning under the usage, sees it, and clears it', async () => {
    await page.getByRole('menuitem', { name: '存储' }).click();
    await page.waitForURL(/\/storage$/);
    await page.getByTestId('storage-ns-default-mirror').waitFor();
    const s = (await api('GET', 'storage?limit=20')).body;
    assert.deepEqual((s.namespaces as { name: string }[]).map((n) => n.name), ['default', 'edge']);
    for (const n of s.namespaces as { name: string; source: { bytes: number; blobs: number }; mirror: { bytes: number; blobs: number } }[]) {
      assert.equal(await text(`storage-ns-${n.name}-source`), formatBytes(n.source.bytes), `${n.name} source`);
      assert.equal(await text(`storage-ns-${n.name}-mirror`), formatBytes(n.mirror.bytes), `${n.name} mirror`);
      assert.equal(await text(`storage-ns-${n.name}-source-blobs`), `${zhCount(n.source.blobs)} 个数据块`);
    }
    for (const r of s.registries as { namespace: string; name: string; source: { bytes: number }; mirror: { bytes: number } }[]) {
      assert.equal(await text(`storage-reg-${r.namespace}/${r.name}-source`), formatBytes(r.source.bytes));
      assert.equal(await text(`storage-reg-${r.namespace}/${r.name}-mirror`), formatBytes(r.mirror.bytes));
    }
    for (const r of s.repositories as { namespace: string; name: string; source: { bytes: number } }[]) {
      assert.equal(await text(`storage-repo-${r.namespace}/${r.name}-source`), formatBytes(r.source.bytes));
    }
    const mirrorBytes = (s.namespaces as { name: string; mirror: { bytes: number } }[]).find((n) => n.name === 'default')!.mirror.bytes;
    assert.ok(mirrorBytes > 1024, `default's mirror holds ${mirrorBytes} bytes`);
    assert.equal(await text('storage-ns-default-threshold'), '未设置');

    // A bad size is refused in the form, in Chinese; then 1 KiB, under the usage.
    await page.getByTestId('storage-edit-default').click();
    await page.getByTestId('warning-input').fill('lots');
    await page.getByTestId('warning-submit').click();
    await page.getByText('请输入大于 0 的大小').waitFor();
    await page.getByTestId('warning-input').fill('1 KiB');
    await page.getByText('即 1,024 字节').waitFor();
    await page.getByTestId('warning-submit').click();
    await page.getByTestId('storage-warning-default').waitFor();
    assert.equal(await text('storage-warning-default'), '超过阈值');
    assert.equal(await text('storage-ns-default-threshold'), '1.0 KiB');
    const warned = (await api('GET', 'storage')).body.namespaces.find((n: { name: string }) => n.name === 'default');
    assert.equal(warned.warningBytes, 1024);
    assert.equal(warned.warning, true);
    assert.doesNotMatch(await page.locator('.content').innerText(), ENGLISH_STATES, 'no English in the Chinese storage view');
    await harness.shot('storage');

    await page.getByTestId('storage-clear-default').click();
    await page.getByTestId('storage-warning-default').waitFor({ state: 'detached' });
    assert.equal(await text('storage-ns-default-threshold'), '未设置');
    const cleared = (await api('GET', 'storage')).body.namespaces.find((n: { name: string }) => n.name === 'default');
    assert.equal(cleared.warningBytes, undefined);
    assert.equal(cleared.warning, false);
  });

  it('a viewer sees the storage view read-only', async () => {
    const created = await api('POST', 'tokens', { name: 'storage-viewer', role: 'viewer' });
    assert.equal(created.status, 201);
    await page.getByTestId('sign-out').click();
    // Signed in again, the console returns to where it was (the storage view), so no harness.signIn (it waits for the list).
    await page.getByLabel('访问令牌').fill(created.body.status.token);
    await page.getByRole('button', { name: /登\s*录/ }).click();
    await page.getByTestId('read-only').waitFor();
    await page.getByRole('menuitem', { name: '存储' }).click();
    await page.getByTestId('storage-ns-default-mirror').waitFor();
    await page.getByText('只有管理员可以设置存储告警。').waitFor();
    assert.equal(await page.locator('[data-testid^="storage-edit-"], [data-testid^="storage-clear-"]').count(), 0, 'no set or clear button for a viewer');
    // And the API agrees: the button would have met a 403.
    assert.equal((await api('PUT', 'namespaces/default/settings', { spec: { storageWarning: '1GiB' } }, created.body.status.token)).status, 403);
    await page.getByRole('menuitem', { name: '概览' }).click();
    await page.getByTestId('overview-total').waitFor();
    assert.equal(await text('overview-total'), zhCount(IMAGES.length));
  });
});
