/**
 * The console's layout at the two sizes issue 16 was tried at, 1280x800 and
 * 1920x1080, in Chinese and English (defect 6): the namespace column never
 * wraps "kubesphere-system", the name column keeps its width at 1280 px,
 * column widths do not jump as rows load, the details' labels stay on one
 * line and an image reference breaks only after its separators, never
 * inside "v1.6.0". Each case takes the README's screenshots.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { type ConsoleHarness, registryBody, repoBody, startConsole } from '../support/console.ts';

let h: ConsoleHarness;
let page: Page;

const SIZES = [
  { width: 1280, height: 800 },
  { width: 1920, height: 1080 },
] as const;

/**
 * In the page: how many lines the text of NODE takes, or only the part
 * WANT of it (one client rect per line box). Plain JavaScript, since the
 * tests are type-checked without the DOM's types.
 */
const LINE_COUNT = `globalThis.__lineCount = (node, want) => {
  const range = document.createRange();
  if (want) {
    const walker = document.createTreeWalker(node, NodeFilter.SHOW_TEXT);
    let all = '';
    const texts = [];
    for (let n = walker.nextNode(); n; n = walker.nextNode()) { texts.push({ node: n, start: all.length }); all += n.data; }
    const at = all.indexOf(want);
    if (at < 0) return -1;
    const end = at + want.length;
    const first = texts.findLast((t) => t.start <= at);
    const last = texts.findLast((t) => t.start < end);
    range.setStart(first.node, at - first.start);
    range.setEnd(last.node, end - last.start);
  } else {
    range.selectNodeContents(node);
  }
  return new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top))).size;
};`;

/** How many lines the text of `el` (or only `text` within it) takes. */
function lineCount(el: Locator, text?: string): Promise<number> {
  return el.evaluate((node, want) => (globalThis as unknown as { __lineCount(n: unknown, w?: string): number }).__lineCount(node, want), text);
}

/** The header cells' widths, left to right. */
function headerWidths(): Promise<number[]> {
  return page.locator('.ant-table-thead th').evaluateAll((ths) => ths.map((th) => Math.round(th.getBoundingClientRect().width)));
}

async function columnIndex(title: RegExp): Promise<number> {
  const titles = await page.locator('.ant-table-thead th').allInnerTexts();
  const i = titles.findIndex((t) => title.test(t.trim()));
  assert.ok(i >= 0, `a column titled ${title} among ${JSON.stringify(titles)}`);
  return i;
}

describe('console layout at 1280x800 and 1920x1080', () => {
  before(async () => {
    h = await startConsole({ viewport: SIZES[0] });
    page = h.page;
    await page.addInitScript({ content: LINE_COUNT });
    assert.equal((await h.api('POST', 'namespaces/default/registries', registryBody('default', 'local', h.registry.url))).status, 201);
    // One namespace with the longest name the issue saw wrap, names and paths as long as real ones, and enough rows for two pages.
    const creates = [
      h.api('POST', 'namespaces/kubesphere-system/repositories', repoBody('kubesphere-system', 'ks-controller-manager-v3.4.1', 'library/nginx', 'latest')),
      h.api('POST', 'namespaces/kubesphere-system/repositories', repoBody('kubesphere-system', 'yurt-manager-v1.6.0', 'library/redis', '7-alpine')),
      ...Array.from({ length: 70 }, (_, i) => h.api('POST', 'namespaces/kubesphere-system/repositories', repoBody('kubesphere-system', `openyurt-component-${String(i).padStart(2, '0')}`, 'library/nginx', 'latest'))),
    ];
    for (const c of await Promise.all(creates)) assert.equal(c.status, 201);
  });

  after(() => h?.stop());

  for (const size of SIZES) {
    for (const lang of ['zh', 'en'] as const) {
      it(`${size.width}x${size.height}, ${lang}: columns hold their width and text does not wrap mid-token`, async () => {
        await page.setViewportSize(size);
        await page.goto(`${h.baseUrl}/login`);
        // Signed out (the previous case signed in) and in this case's language.
        await page.evaluate((l) => {
          localStorage.removeItem('tugboat.token');
          localStorage.setItem('tugboat.lang', l);
        }, lang);
        await h.signIn();
        await page.goto(`${h.baseUrl}/repositories?ns=kubesphere-system`);
        const row = h.row('kubesphere-system/ks-controller-manager-v3.4.1');
        await row.waitFor();
        await h.waitFor('every row synced', async () => (await page.locator('tr[data-row-key]').filter({ hasText: lang === 'zh' ? '已同步' : 'Synced' }).count()) >= 5, 60_000);

        const nsCol = await columnIndex(lang === 'zh' ? /^命名空间$/ : /^Namespace$/);
        const nameCol = await columnIndex(lang === 'zh' ? /^名称$/ : /^Name$/);
        assert.equal(await lineCount(row.locator('td').nth(nsCol)), 1, '"kubesphere-system" on one line');
        const widths = await headerWidths();
        console.log(`${size.width} ${lang}: header widths ${widths.join(' ')}`);
        assert.ok(widths[0]! <= 64, `the checkbox column is ${widths[0]} px wide (at most 64)`);
        assert.ok(widths[nameCol]! >= 150, `the name column is ${widths[nameCol]} px wide (at least 150)`);

        // More rows arrive (the next page, then a change of one row): the columns stay where they were.
        await page.locator('.ant-table-body, .ant-table-tbody-virtual-holder').first().evaluate((el) => el.scrollTo(0, el.scrollHeight));
        await h.waitFor('the second page', async () => /72\D+72/.test(await page.getByTestId('loaded-count').innerText()));
        assert.deepEqual(await headerWidths(), widths, 'the header cells keep their widths as rows load');
        await h.shot(`layout-list-${size.width}${lang === 'en' ? '-en' : ''}`);

        // Details: labels on one line, the image reference whole within its separators.
        await page.goto(`${h.baseUrl}/repositories/kubesphere-system/ks-controller-manager-v3.4.1`);
        const info = page.getByTestId('basic-info');
        await info.waitFor();
        for (const label of await info.locator('.ant-descriptions-item-label').all()) {
          assert.equal(await lineCount(label), 1, `the label "${await label.innerText()}" on one line`);
        }
        const ref = info.locator('.image-ref').first();
        assert.equal(await lineCount(ref, 'latest'), 1, 'the tag "latest" is never broken');
        assert.equal(await lineCount(ref, h.registry.host), 1, `the host ${h.registry.host} is never broken`);
        await h.shot(`layout-details-${size.width}${lang === 'en' ? '-en' : ''}`);
      });
    }
  }

  it('broke no rule of the Content-Security-Policy', () => assert.deepEqual(h.cspViolations, []));
});
