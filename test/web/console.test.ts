/**
 * The web console end to end: a real `tug serve` (child process, temp data
 * dir, admin token file) serving web/dist, a real registry with pushed
 * images, and Debian's Chromium driven by playwright-core. Walks what a user
 * does: sign in, add and test a registry, add images and watch them sync
 * live, a failing one with its reason, details (history, log, manifest,
 * dependencies, sync now), search, namespace filter, infinite scroll over
 * 300 repositories, edit, delete, batch delete, language switch, sign-out
 * and a revoked token; the live list reconnecting after a dropped stream.
 * Takes screenshots on the way; they are saved to docs/screenshots/ only
 * with UPDATE_SCREENSHOTS=1, so that a test run leaves the working tree as
 * it found it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { BrowserContext, Locator, Page, Response } from 'playwright-core';
import { startFaultProxy } from '../support/fault-proxy.ts';
import { type ConsoleHarness, FIRST_ROW_CLOCK, firstRowAt, launchBrowser, repoBody, startConsole } from '../support/console.ts';
import type { TestRegistry } from '../support/registry.ts';
import { LATER_CLASS } from '../../web/src/antdSplit.ts';

const BULK = 300;

let harness: ConsoleHarness;
let registry: TestRegistry;
let baseUrl = '';
let token = '';
let context: BrowserContext;
let page: Page;
let cspViolations: string[];
const api: ConsoleHarness['api'] = (...args) => harness.api(...args);
const waitFor: ConsoleHarness['waitFor'] = (...args) => harness.waitFor(...args);
const pickOption: ConsoleHarness['pickOption'] = (...args) => harness.pickOption(...args);
const shot: ConsoleHarness['shot'] = (name) => harness.shot(name);
const row = (key: string): Locator => harness.row(key);

// Never skipped: a machine without Chromium fails in before(), and scripts/setup.sh installs it.
describe('web console', () => {
  before(async () => {
    harness = await startConsole();
    ({ registry, baseUrl, token, context, page, cspViolations } = harness);
  });

  after(() => harness?.stop());

  it('signs in with a token (a wrong one is refused)', async () => {
    await page.goto(`${baseUrl}/`);
    await page.waitForURL(/\/login/);
    const input = page.getByLabel('访问令牌');
    await input.fill('tug_wrong_token_0123456789');
    await page.getByRole('button', { name: /登\s*录/ }).click();
    await page.getByTestId('login-error').waitFor();
    // Issue 16: the refusal in Chinese, not "令牌无效：the bearer token is not valid".
    assert.equal(await page.getByTestId('login-error').innerText(), '令牌无效或已被撤销，请重新登录');
    await input.fill(token);
    await page.getByRole('button', { name: /登\s*录/ }).click();
    await page.waitForURL(/\/repositories/);
    await page.getByText('请先在「镜像源」中添加镜像源').first().waitFor();
    // The token survives a reload.
    await page.reload();
    await page.getByRole('heading', { name: '镜像管理' }).waitFor();
  });

  it('adds an image source and tests its connection', async () => {
    await page.getByRole('menuitem', { name: '镜像源' }).click();
    await page.waitForURL(/\/registries/);
    await page.getByText('还没有镜像源').waitFor();
    await page.getByTestId('add-registry').click();
    await page.getByLabel('名称', { exact: true }).fill('local');
    await page.getByLabel('命名空间').fill('default');
    await page.getByLabel('地址').fill(registry.url);
    await page.getByTestId('registry-submit').click();
    await page.getByText('已添加镜像源 local').waitFor();
    // Checked on creation: the row leaves 未检查 without a click.
    await page.getByTestId('conn-local').getByText('可访问').waitFor();
    await page.getByTestId('test-local').click();
    const result = page.getByTestId('test-result');
    await result.waitFor();
    await result.getByText('连接成功').waitFor();
    await result.getByText('可访问').first().waitFor();
    // The test registry is open: the result says so, rather than "认证成功" (issue 16), and labels do not repeat their values.
    assert.equal(await result.getAttribute('data-outcome'), 'anonymous');
    await result.getByText('匿名访问（未使用凭证）').waitFor();
    assert.doesNotMatch(await result.innerText(), /认证成功|without authentication/);
    await page.getByTestId('close-result').click();
    await page.getByTestId('conn-local').getByText('可访问').waitFor();
    // Password fields are write-only: an edit shows "unchanged" once one is set.
    const put = await api('GET', 'namespaces/default/registries/local');
    const withPassword = { ...put.body, spec: { ...put.body.spec, credentials: { username: 'robot', password: 's3cret' } } };
    assert.equal((await api('PUT', 'namespaces/default/registries/local', withPassword)).status, 200);
    await page.getByRole('button', { name: '刷新' }).click();
    await page.getByText('robot / ••••••').waitFor();
    // 拉取凭证: the commands name the host and user; the stored password is never in the page.
    await page.getByTestId('pull-secret-local').click();
    const tugCommand = page.getByTestId('pull-secret-tug');
    await tugCommand.getByText(`-u robot --password-stdin ${registry.host}`).waitFor();
    await page.getByLabel('Secret 名称').fill('edge-registry');
    await page.getByLabel('集群命名空间').fill('kube-system');
    // The fields refetch after a pause, name and namespace possibly in two answers: wait for the one with both.
    const kubectl = page.getByTestId('pull-secret-kubectl');
    await kubectl.getByText('--docker-password="$PASSWORD" -n kube-system').waitFor();
    assert.match(await kubectl.innerText(), /^kubectl create secret docker-registry edge-registry --docker-server=\S+ --docker-username=robot --docker-password="\$PASSWORD" -n kube-system$/);
    assert.equal(await page.getByTestId('pull-secret').locator('.ant-typography-copy').count(), 2);
    assert.doesNotMatch(await page.getByTestId('pull-secret').innerText(), /s3cret/);
    await page.getByTestId('close-pull-secret').click();
    await page.getByTestId('reg-actions-local').click();
    await page.getByRole('menuitem', { name: '编辑' }).click();
    const pw = page.getByLabel('密码', { exact: true });
    await pw.waitFor();
    assert.equal(await pw.inputValue(), '');
    assert.equal(await pw.getAttribute('placeholder'), '不修改（已设置）');
    // Remove the credentials again (the test registry is open).
    await page.getByLabel('用户名').fill('');
    await page.getByLabel('清除已保存的密码').check();
    await page.getByTestId('registry-submit').click();
    await page.getByText('已保存').first().waitFor();
    const after = await api('GET', 'namespaces/default/registries/local');
    assert.equal(after.body.spec.credentials, undefined);
    await shot('registries');
  });

  it('adds a repository and watches its first sync turn 🟢 without a reload', async () => {
    await page.getByRole('menuitem', { name: '镜像管理' }).last().click();
    await page.waitForURL(/\/repositories/);
    await page.evaluate(() => ((globalThis as unknown as { marker: number }).marker = 42));
    await page.getByTestId('add-repo').click();
    await page.getByLabel('名称', { exact: true }).fill('Bad_Name');
    await page.getByLabel('镜像仓库').fill('library/nginx');
    await page.getByLabel('同步间隔').fill('soon');
    await page.getByTestId('repo-submit').click();
    await page.getByText('只能包含小写字母、数字').first().waitFor();
    await page.getByText('请输入 Go 时长').first().waitFor();
    await page.getByLabel('名称', { exact: true }).fill('nginx-latest');
    await page.getByLabel('显示名称').fill('Nginx 最新版本');
    await page.getByLabel('描述').fill('Nginx web 服务器');
    await page.getByLabel('同步间隔').fill('1h');
    await shot('add-panel');
    await page.getByTestId('repo-submit').click();
    await page.getByText('已添加 nginx-latest，首次同步已排队').waitFor();
    const r = row('default/nginx-latest');
    await r.waitFor();
    // The sync takes a fraction of a second, yet 🔄 同步中 reaches the screen before 🟢 (issue 16: the server's Syncing is held SYNCING_MIN_MS).
    await r.locator('[data-status="Syncing"]').waitFor({ timeout: 20_000 });
    await r.locator('[data-status="Success"]').waitFor({ timeout: 20_000 });
    await r.getByText('Nginx 最新版本').waitFor();
    await r.getByText(registry.host).waitFor();
    await r.getByText('library/nginx:latest').waitFor();
    assert.equal(await page.evaluate(() => (globalThis as unknown as { marker?: number }).marker), 42, 'the page was not reloaded');

    // The server's answer for a name that exists is shown next to the name field.
    await page.getByTestId('add-repo').click();
    await page.getByLabel('名称', { exact: true }).fill('nginx-latest');
    await page.getByLabel('镜像仓库').fill('library/nginx');
    await page.getByTestId('repo-submit').click();
    // In the user's language (issue 16), the server's English kept for the tooltip only.
    await page.locator('#repo_name_help').getByText('镜像「default/nginx-latest」已存在，请换一个名称').waitFor();
    assert.doesNotMatch(await page.locator('#repo_name_help').innerText(), /already exists/);
    // Esc on a filled form asks first (issue 16); 继续编辑 keeps every field as it was.
    await page.keyboard.press('Escape');
    await page.locator('.ant-modal-confirm-title', { hasText: '放弃未保存的内容？' }).waitFor();
    await page.getByRole('button', { name: '继续编辑' }).click();
    await page.locator('.ant-modal-confirm-title', { hasText: '放弃未保存的内容？' }).waitFor({ state: 'hidden' });
    assert.equal(await page.getByLabel('名称', { exact: true }).inputValue(), 'nginx-latest');
    assert.equal(await page.getByLabel('镜像仓库').inputValue(), 'library/nginx');
    await page.keyboard.press('Escape');
    await page.getByTestId('discard-confirm').click();
    await page.getByTestId('repo-submit').waitFor({ state: 'hidden' });
  });

  it('shows a failing repository 🔴 with its reason in details', async () => {
    await page.getByTestId('add-repo').click();
    await page.getByLabel('名称', { exact: true }).fill('nginx-missing');
    await page.getByLabel('镜像仓库').fill('library/nginx');
    await page.getByLabel('镜像标签').fill('does-not-exist');
    await page.getByText('高级设置').click();
    await page.getByLabel('重试次数').fill('0');
    await page.getByTestId('repo-submit').click();
    const r = row('default/nginx-missing');
    await r.locator('[data-status="Failed"]').waitFor({ timeout: 20_000 });
    await r.getByRole('link', { name: 'nginx-missing' }).click();
    await page.waitForURL(/\/repositories\/default\/nginx-missing/);
    // Why, in Chinese (status.reason NOT_FOUND), the server's own words folded under it (issue 16).
    await page.getByTestId('failure-reason').getByText('源镜像仓库中找不到该镜像或标签').waitFor();
    const reason = page.getByTestId('failure-message');
    assert.match((await reason.textContent()) ?? '', /does-not-exist|not found|unknown/i);
    assert.equal(await reason.isVisible(), false, 'folded until asked for');
    assert.equal((await api('GET', 'namespaces/default/repositories/nginx-missing')).body.status.reason, 'NOT_FOUND');
    await page.getByRole('tab', { name: '同步历史' }).click();
    await page.locator('[data-phase="Failed"]').first().click();
    await page.getByTestId('run-log').waitFor();
    await page.keyboard.press('Escape');
    await page.goBack();
  });

  it('shows details: info, history with log, manifest, dependencies and 立即同步', async () => {
    // A second image sharing the base layer, for dependencies.
    assert.equal((await api('POST', 'namespaces/default/repositories', { ...repoBody('default', 'redis-cache', 'library/redis', '7-alpine'), metadata: { name: 'redis-cache', namespace: 'default', annotations: { 'theriseunion.io/display-name': 'Redis 缓存' } } })).status, 201);
    await row('default/redis-cache').locator('[data-status="Success"]').waitFor({ timeout: 20_000 });
    await shot('list');

    await row('default/nginx-latest').locator('td').nth(4).click(); // any column opens details
    await page.waitForURL(/\/repositories\/default\/nginx-latest/);
    await page.getByTestId('basic-info').getByText('Nginx web 服务器').waitFor();
    // 集群引用地址: the reference pinned to the synced digest, and by tag, each with a copy button.
    const ref = page.getByTestId('cluster-ref');
    assert.match((await ref.getByTestId('cluster-ref-pinned').innerText()).trim(), new RegExp(`^${registry.host.replace(/[.]/g, '\\.')}/library/nginx:latest@sha256:[0-9a-f]{64}$`));
    assert.equal((await ref.getByTestId('cluster-ref-tagged').innerText()).trim(), `${registry.host}/library/nginx:latest`);
    assert.equal(await ref.locator('.ant-typography-copy').count(), 2);
    await page.getByRole('tab', { name: '镜像清单' }).click();
    await page.getByText('linux/amd64').first().waitFor();
    await page.getByText('层（3）').waitFor();
    await page.getByRole('tab', { name: '依赖关系' }).click();
    await page.getByRole('link', { name: 'redis-cache' }).waitFor();
    await page.getByText('1 / 3').waitFor();

    await page.getByRole('tab', { name: '同步历史' }).click();
    await page.locator('[data-phase="Succeeded"]').first().waitFor();
    const runsBefore = (await api('GET', 'namespaces/default/repositories/nginx-latest/syncruns')).body.items.length;
    await page.getByTestId('sync-now').click();
    await page.getByText('已开始同步 nginx-latest').waitFor();
    await waitFor('the manual run to show', async () => (await page.getByText('手动').count()) > 0);
    await page.getByText('手动').first().locator('xpath=ancestor::tr').locator('[data-phase="Succeeded"]').waitFor();
    assert.ok((await api('GET', 'namespaces/default/repositories/nginx-latest/syncruns')).body.items.length > runsBefore);
    await page.getByText('手动').first().click();
    await page.getByTestId('run-log').waitFor();
    await page.keyboard.press('Escape');
    await page.getByRole('tab', { name: '镜像清单' }).click();
    await shot('details');
    await page.getByRole('link', { name: '镜像管理' }).click();
    await page.waitForURL(/\/repositories$/);
  });

  it('searches over name, alias and path (server-side q)', async () => {
    const search = page.getByTestId('repo-search');
    await search.fill('redis');
    await page.waitForURL(/q=redis/);
    await waitFor('search results', async () => (await page.locator('tbody tr[data-row-key]').count()) === 1);
    await row('default/redis-cache').waitFor();
    await search.fill('最新版本');
    await row('default/nginx-latest').waitFor();
    await waitFor('alias search', async () => (await page.locator('tbody tr[data-row-key]').count()) === 1);
    await search.fill('does-not-exist');
    await row('default/nginx-missing').waitFor();
    await waitFor('path:tag search', async () => (await page.locator('tbody tr[data-row-key]').count()) === 1);
    await search.fill('zzz-nothing');
    await page.getByText('没有匹配「zzz-nothing」的镜像').waitFor();
    await search.fill('');
    await waitFor('all rows back', async () => (await page.locator('tbody tr[data-row-key]').count()) === 3);
  });

  it(`filters by namespace and scrolls through ${BULK} repositories`, async () => {
    // Create them through the API, quickly; they point at the real registry.
    const t0 = Date.now();
    const names = Array.from({ length: BULK }, (_, i) => `app-${String(i).padStart(3, '0')}`);
    for (let i = 0; i < names.length; i += 25) {
      const res = await Promise.all(names.slice(i, i + 25).map((n) => api('POST', 'namespaces/bulk/repositories', repoBody('bulk', n, 'library/redis', '7-alpine'))));
      for (const x of res) assert.equal(x.status, 201, JSON.stringify(x.body));
    }
    const t1 = Date.now();
    // Without a reload, the live list grows its total.
    await waitFor('total to include the bulk', async () => /共 303 条/.test(await page.getByTestId('loaded-count').innerText()));
    console.log(`created ${BULK} in ${t1 - t0} ms; the list showed them ${Date.now() - t1} ms later`);

    await pickOption('命名空间', 'default');
    await page.waitForURL(/ns=default/);
    await waitFor('default only', async () => /已加载 3 \/ 共 3 条/.test(await page.getByTestId('loaded-count').innerText()));
    await page.getByTestId('all-loaded').waitFor();

    await pickOption('命名空间', 'bulk');
    await page.waitForURL(/ns=bulk/);
    await row('bulk/app-000').waitFor();
    const first = /已加载 (\d+) \/ 共 300 条/.exec(await page.getByTestId('loaded-count').innerText());
    assert.ok(first && Number(first[1]) < BULK, 'the first pages do not hold everything');
    // Scroll the (virtual) table's body: each time near its end, the next page loads.
    const body = page.locator('.repo-list .ant-table-tbody-virtual-holder');
    await waitFor(
      'every page to load by scrolling',
      async () => {
        await body.evaluate((el) => {
          el.scrollTop = el.scrollHeight;
        });
        return (await page.getByTestId('all-loaded').count()) > 0;
      },
      40_000,
    );
    assert.match(await page.getByTestId('loaded-count').innerText(), /已加载 300 \/ 共 300 条/);
    await waitFor('the last row', async () => {
      await body.evaluate((el) => {
        el.scrollTop = el.scrollHeight;
      });
      return row('bulk/app-299').isVisible();
    });
    // Virtual (issue 16): 300 loaded rows, a window of them in the DOM.
    const inDom = await page.locator('tbody tr[data-row-key]').count();
    assert.ok(inDom < 100, `${inDom} rows in the DOM`);

    await pickOption('命名空间', '全部项目');
    await waitFor('all projects', async () => /共 303 条/.test(await page.getByTestId('loaded-count').innerText()));
  });

  it('a cold load (empty cache) sends compressed, cacheable assets and shows the first rows', async () => {
    // A browser that has never seen the console: its own profile, so nothing is cached.
    const cold = await launchBrowser({ viewport: { width: 1280, height: 800 } });
    try {
      const p = cold.pages()[0] ?? (await cold.newPage());
      await p.addInitScript((t) => localStorage.setItem('tugboat.token', t), token);
      await p.addInitScript({ content: FIRST_ROW_CLOCK });
      // Bodies are read after the timing: reading them through the driver during the load costs the browser CPU the page needs.
      const responses: Response[] = [];
      p.on('response', (res) => {
        if (new URL(res.url()).pathname.startsWith('/assets/')) responses.push(res);
      });
      const pages: string[] = [];
      p.on('request', (req) => {
        const url = new URL(req.url());
        if (url.pathname.endsWith('/repositories') && url.searchParams.get('watch') !== 'true' && url.searchParams.get('limit') !== '1') pages.push(url.search);
      });
      const t0 = Date.now();
      await p.goto(`${baseUrl}/repositories?ns=bulk`);
      await p.locator('tr[data-row-key="bulk/app-000"]').waitFor();
      const firstRowsMs = Date.now() - t0;
      // Issue 16 defect 2: at scroll position 0 only the first page loads (it used to load a second at once).
      await p.waitForTimeout(1000);
      assert.match(await p.getByTestId('loaded-count').innerText(), /已加载 50 \/ 共 300 条/);
      assert.equal(pages.filter((q) => q.includes('continue=')).length, 0, `pages asked for at scroll 0: ${pages.join(' ')}`);
      // What crossed the wire: the document and every resource, as the browser counted it (headers and compressed bodies).
      const bytes = await p.evaluate(() => {
        const perf = (globalThis as unknown as { performance: { getEntriesByType(t: string): { transferSize: number }[] } }).performance;
        return [...perf.getEntriesByType('navigation'), ...perf.getEntriesByType('resource')].reduce((sum, e) => sum + e.transferSize, 0);
      });
      const loaded = await Promise.all(responses.map(async (res) => ({ url: res.url(), encoding: res.headers()['content-encoding'], cacheControl: res.headers()['cache-control'], size: (await res.body()).length })));
      console.log(`cold load at 1280x800: first rows ${await firstRowAt(p)} ms after navigation start (${firstRowsMs} ms after goto), ${(bytes / 1024).toFixed(0)} KiB transferred, ${loaded.length} assets`);
      assert.ok(loaded.length > 0, 'the page loaded its assets');
      for (const a of loaded) {
        // The build leaves files under 1 KiB uncompressed (web/vite.config.ts).
        if (a.size >= 1024) assert.equal(a.encoding, 'br', `${a.url} (${a.size} bytes) is sent brotli-compressed`);
        assert.match(a.cacheControl ?? '', /immutable/, `${a.url} is cached as immutable`);
      }
      // Issue 16's budget for the first load (the time is printed, not asserted: timed tests lie on a shared machine).
      assert.ok(bytes < 600 * 1024, `a cold load moves ${bytes} bytes, over the 600 KB budget`);
      // The first load carries only the first screen's part of antd's CSS (web/src/antdSplit.ts): nothing on the list may need the rest.
      const classes = (await p.evaluate(`[...new Set([...document.querySelectorAll('[class*="ant-"]')].flatMap((e) => [...e.classList]))]`)) as string[];
      assert.deepEqual(classes.filter((c) => LATER_CLASS.test(c)), [], 'the list shows a component whose CSS loads later (web/src/antdSplit.ts)');
      assert.ok(!loaded.some((a) => /antdLater/.test(a.url)), 'the later part of the CSS is not part of the first load');
      // ... and a dialog brings it: the add drawer is styled (antd's .ant-drawer-content-wrapper is absolutely placed).
      await p.getByTestId('add-repo').click();
      await p.locator('.ant-drawer-content-wrapper').waitFor();
      assert.equal(await p.evaluate(`getComputedStyle(document.querySelector('.ant-drawer-content-wrapper')).position`), 'absolute');
    } finally {
      await cold.close();
    }
  });

  it('edits the display name and description only', async () => {
    await pickOption('命名空间', 'default');
    await waitFor('default only', async () => /已加载 3 \/ 共 3 条/.test(await page.getByTestId('loaded-count').innerText()));
    await page.getByTestId('actions-nginx-latest').click();
    await page.getByRole('menuitem', { name: '编辑信息' }).click();
    await page.getByLabel('显示名称').fill('Nginx 稳定版');
    await page.getByLabel('描述').fill('前端 Web 服务器');
    await page.getByRole('button', { name: /保\s*存/ }).click();
    await row('default/nginx-latest').getByText('Nginx 稳定版').waitFor();
    const got = await api('GET', 'namespaces/default/repositories/nginx-latest');
    assert.equal(got.body.metadata.annotations['theriseunion.io/description'], '前端 Web 服务器');
    assert.equal(got.body.spec.tag, 'latest');
  });

  it('deletes a repository after its name is typed', async () => {
    await page.getByTestId('actions-nginx-missing').click();
    await page.getByRole('menuitem', { name: '删除' }).click();
    const ok = page.getByTestId('confirm-delete');
    assert.equal(await ok.isDisabled(), true);
    await page.getByLabel('请输入镜像名称 nginx-missing 以确认删除').fill('nginx-missin');
    assert.equal(await ok.isDisabled(), true);
    await page.getByLabel('请输入镜像名称 nginx-missing 以确认删除').fill('nginx-missing');
    await ok.click();
    await row('default/nginx-missing').waitFor({ state: 'detached' });
    await waitFor('total to drop', async () => /已加载 2 \/ 共 2 条/.test(await page.getByTestId('loaded-count').innerText()));
    assert.equal((await api('GET', 'namespaces/default/repositories/nginx-missing')).status, 404);
  });

  it('batch deletes the selected rows after the count is typed', async () => {
    await pickOption('命名空间', 'bulk');
    await row('bulk/app-000').waitFor();
    for (const n of ['app-000', 'app-001', 'app-002']) await row(`bulk/${n}`).locator('.ant-checkbox-input').check();
    await page.getByText('已选择 3 项').waitFor();
    await page.getByTestId('batch-delete').click();
    // The confirmation names what goes, and does not give the answer away as a placeholder.
    assert.deepEqual(await page.getByTestId('confirm-items').locator('li').allInnerTexts(), ['bulk/app-000', 'bulk/app-001', 'bulk/app-002']);
    assert.equal(await page.getByLabel(/请输入删除数量 3/).getAttribute('placeholder'), null);
    await page.getByLabel(/请输入删除数量 3/).fill('3');
    await page.getByTestId('confirm-delete').click();
    await row('bulk/app-000').waitFor({ state: 'detached' });
    await waitFor('bulk total 297', async () => /共 297 条/.test(await page.getByTestId('loaded-count').innerText()));
    // Deleted elsewhere (the API): the row vanishes live.
    assert.equal((await api('DELETE', 'namespaces/bulk/repositories/app-003')).status, 200);
    await row('bulk/app-003').waitFor({ state: 'detached' });
    await waitFor('bulk total 296', async () => /共 296 条/.test(await page.getByTestId('loaded-count').innerText()));
  });

  it('switches the language and remembers it', async () => {
    await pickOption('命名空间', 'default');
    await page.getByTestId('lang-switch').click();
    await page.getByRole('heading', { name: 'Images', exact: true }).waitFor();
    await page.getByRole('button', { name: 'Add image' }).waitFor();
    await row('default/nginx-latest').getByText('Synced').waitFor();
    await page.reload();
    await page.getByRole('heading', { name: 'Images', exact: true }).waitFor();
    await shot('list-en');
    await page.getByTestId('lang-switch').click();
    await page.getByRole('heading', { name: '镜像管理' }).waitFor();
  });

  it('signs out, and a revoked token sends the user back to sign-in', async () => {
    await page.getByTestId('sign-out').click();
    await page.waitForURL(/\/login/);
    await page.goto(`${baseUrl}/repositories`);
    await page.waitForURL(/\/login/);
    await page.evaluate(() => (globalThis as unknown as { localStorage: { setItem(k: string, v: string): void } }).localStorage.setItem('tugboat.token', 'tug_revoked_token_0123456789'));
    await page.goto(`${baseUrl}/repositories`);
    await page.waitForURL(/\/login/);
    await page.getByTestId('login-reason').waitFor();
    assert.equal(await page.evaluate(() => (globalThis as unknown as { localStorage: { getItem(k: string): string | null } }).localStorage.getItem('tugboat.token')), null);
  });

  it('a viewer token sees everything and no button it would get a 403 from', async () => {
    const created = await api('POST', 'tokens', { name: 'console-viewer', role: 'viewer' });
    assert.equal(created.status, 201);
    await page.evaluate(() => (globalThis as unknown as { localStorage: { removeItem(k: string): void } }).localStorage.removeItem('tugboat.token'));
    await page.goto(`${baseUrl}/login`);
    await page.getByLabel('访问令牌').fill(created.body.status.token);
    await page.getByRole('button', { name: /登\s*录/ }).click();
    await page.waitForURL(/\/repositories/);
    await page.getByTestId('read-only').waitFor();
    await page.goto(`${baseUrl}/repositories?ns=default`);
    await row('default/nginx-latest').waitFor();
    assert.equal(await page.getByTestId('add-repo').count(), 0, 'no add button');
    assert.equal(await page.locator('.ant-table-selection-column').count(), 0, 'no row selection (batch delete)');
    await page.getByTestId('actions-nginx-latest').click();
    const menu = page.locator('.ant-dropdown:visible .ant-dropdown-menu-item');
    await menu.first().waitFor();
    assert.deepEqual(await menu.allInnerTexts(), ['查看详情'], 'only "view" in the row menu');
    await page.keyboard.press('Escape');
    await row('default/nginx-latest').getByRole('link').click();
    await page.waitForURL(/\/repositories\/default\/nginx-latest/);
    await page.getByRole('tab').first().waitFor();
    assert.equal(await page.getByTestId('sync-now').count(), 0, 'no sync button on the detail page');
    await page.goto(`${baseUrl}/registries`);
    await page.getByText('local').first().waitFor();
    assert.equal(await page.getByTestId('add-registry').count(), 0);
    assert.equal(await page.getByTestId('test-local').count(), 0, 'no test button (it writes the registry status)');
    // 拉取凭证 only reads: a viewer has it.
    await page.getByTestId('pull-secret-local').click();
    await page.getByTestId('pull-secret-tug').getByText(registry.host).waitFor();
    await page.getByTestId('close-pull-secret').click();
  });

  it('the live list reconnects after its stream is cut, and shows what changed meanwhile', async (t) => {
    // A page of its own, through a proxy that can cut connections and refuse the reconnection.
    const proxy = await startFaultProxy(baseUrl);
    t.after(() => proxy.stop());
    const live = await context!.newPage();
    t.after(() => live.close());
    live.on('console', (msg) => {
      if (/Content Security Policy/i.test(msg.text())) cspViolations.push(msg.text());
    });
    const state = (s: string) => live.locator(`[data-testid="live-state"][data-state="${s}"]`);
    await live.goto(`${proxy.url}/login`);
    await live.getByLabel('访问令牌').fill(token);
    await live.getByRole('button', { name: /登\s*录/ }).click();
    await live.waitForURL(/\/repositories/);
    await live.goto(`${proxy.url}/repositories?ns=live`);
    await state('open').waitFor();
    assert.equal((await api('POST', 'namespaces/live/repositories', repoBody('live', 'gone-while-away', 'library/nginx', 'latest'))).status, 201);
    await live.locator('tr[data-row-key="live/gone-while-away"]').waitFor();
    await live.evaluate(() => ((globalThis as unknown as { marker: number }).marker = 7));

    // Cut the stream and refuse the console's next attempts, so that changes happen while it is away:
    // one added (a new stream lists it anyway), one deleted (only reading the list again shows that).
    proxy.setFaults([{ kind: 'status', status: 503, path: /[?&]watch=true/, times: 1_000 }]);
    proxy.dropConnections();
    await state('reconnecting').waitFor();
    await waitFor('a refused reconnection', async () => proxy.requests.some((r) => r.status === 503));
    assert.equal((await api('POST', 'namespaces/live/repositories', repoBody('live', 'while-away', 'library/nginx', 'latest'))).status, 201);
    assert.equal((await api('DELETE', 'namespaces/live/repositories/gone-while-away')).status, 200);
    proxy.setFaults([]);

    // Back: the list is read again (the events were missed), and the stream is live.
    await state('open').waitFor({ timeout: 40_000 });
    await live.locator('tr[data-row-key="live/while-away"]').waitFor();
    await live.locator('tr[data-row-key="live/gone-while-away"]').waitFor({ state: 'detached' });
    assert.equal((await api('POST', 'namespaces/live/repositories', repoBody('live', 'after-reconnect', 'library/nginx', 'latest'))).status, 201);
    await live.locator('tr[data-row-key="live/after-reconnect"]').waitFor();
    assert.equal(await live.evaluate(() => (globalThis as unknown as { marker?: number }).marker), 7, 'the page was not reloaded');
  });

  it('broke no rule of the Content-Security-Policy on the way', async () => {
    const res = await fetch(`${baseUrl}/`);
    assert.match(res.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    assert.deepEqual(cspViolations, []);
  });
});
