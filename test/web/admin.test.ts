/**
 * The console's admin pages (issue 16) in Chromium against a real `tug
 * serve`: an API token created with a role and one namespace is shown once
 * and is gone from the page and localStorage after its dialog closes; it
 * signs in elsewhere without the 系统管理 menu, and revoking it sends that
 * browser back to sign-in; the audit log, filtered in the URL, shows both;
 * a webhook to a local listener is created (secret shown once), tested
 * (the listener receives the CloudEvent, the delivery log shows OK and its
 * status code), and an address the egress policy refuses is explained in
 * Chinese; a viewer sees no admin menu.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { type ConsoleHarness, launchBrowser, registryBody, startConsole } from '../support/console.ts';
import { type RecordingListener, startListener } from '../support/listener.ts';

let harness: ConsoleHarness;
let page: Page;
let listener: RecordingListener;
let other: BrowserContext | undefined;
let editorToken = '';

/** Every value in `p`'s localStorage, joined. */
function storage(p: Page): Promise<string> {
  return p.evaluate(() => {
    const s = (globalThis as unknown as { localStorage: { length: number; key(i: number): string | null; getItem(k: string): string | null } }).localStorage;
    return Array.from({ length: s.length }, (_, i) => `${s.key(i)}=${s.getItem(s.key(i) ?? '')}`).join('\n');
  });
}

/** Server wording that must not reach the Chinese UI (the messages of src/server/routes/ and webhooks.ts). */
const ENGLISH = /egress policy|answered \d|already exists|must be|is not valid|not supported|refuses|forbidden/i;

async function signInElsewhere(token: string): Promise<Page> {
  await other?.close();
  other = await launchBrowser();
  other.setDefaultTimeout(15_000);
  const p = other.pages()[0] ?? (await other.newPage());
  await p.goto(`${harness.baseUrl}/login`);
  await p.getByLabel('访问令牌').fill(token);
  await p.getByRole('button', { name: /登\s*录/ }).click();
  await p.waitForURL(/\/repositories/);
  await p.getByRole('menuitem', { name: '镜像源' }).waitFor();
  return p;
}

describe('admin pages', () => {
  before(async () => {
    harness = await startConsole();
    page = harness.page;
    // A receiver that takes every event (204), as a CI system's endpoint would.
    listener = await startListener((_req, res) => {
      res.writeHead(204);
      res.end();
    });
    // Namespaces come from what they hold: team-a and team-b each get a registry.
    for (const ns of ['team-a', 'team-b']) assert.equal((await harness.api('POST', `namespaces/${ns}/registries`, registryBody(ns, 'hub', harness.registry.url))).status, 201);
  });

  after(async () => {
    await other?.close();
    await listener?.stop();
    await harness?.stop();
  });

  it('creates an editor token for one namespace, shown once, then gone from the page and storage', async () => {
    await harness.signIn();
    await page.getByRole('menuitem', { name: '系统管理' }).waitFor();
    await page.getByRole('menuitem', { name: '访问令牌' }).click();
    await page.waitForURL(/\/admin\/tokens/);
    await harness.row('admin-file').or(page.getByText('还没有令牌')).first().waitFor();
    await page.getByTestId('create-token').click();
    await page.getByLabel('名称', { exact: true }).fill('ci-editor');
    await harness.pickOption('角色', '编辑');
    await harness.pickOption('命名空间', 'team-a');
    // A multiple Select stays open after a pick: a click on the title closes it.
    await page.locator('.ant-modal-title').click();
    await page.locator('.ant-select-dropdown:visible').waitFor({ state: 'detached' }).catch(() => undefined);
    await page.getByTestId('token-submit').click();
    const value = page.getByTestId('once-value');
    await value.waitFor();
    editorToken = (await value.innerText()).trim();
    assert.match(editorToken, /^tug_/);
    await page.getByText('关闭此窗口后将无法再次查看').waitFor();
    // Closing asks first; 返回 keeps the token on screen.
    await page.getByTestId('once-done').click();
    const askTitle = page.locator('.ant-modal-confirm-title', { hasText: '确定已保存？' });
    await askTitle.waitFor();
    await page.getByRole('button', { name: '返回' }).click();
    await askTitle.waitFor({ state: 'detached' });
    assert.equal(await value.innerText(), editorToken);
    await page.keyboard.press('Escape');
    await page.getByTestId('once-close-confirm').click();
    await value.waitFor({ state: 'detached' });
    await harness.row('ci-editor').waitFor();
    // The signed-in token cannot be revoked from its own session.
    await page.getByTestId('current-admin-file').waitFor();
    assert.equal(await page.getByTestId('revoke-admin-file').count(), 0);
    assert.equal(await harness.row('ci-editor').locator('td').nth(1).innerText(), '编辑');
    assert.equal(await harness.row('ci-editor').locator('td').nth(2).innerText(), 'team-a');
    assert.ok(!(await page.content()).includes(editorToken), 'the token is not in the page any more');
    assert.ok(!(await storage(page)).includes(editorToken), 'nor in localStorage');
    await harness.shot('tokens');
    const listed = await harness.api('GET', 'tokens');
    assert.ok(!JSON.stringify(listed.body).includes(editorToken), 'nor in the API');
    // The same name again: the name field says so, in Chinese.
    await page.getByTestId('create-token').click();
    await page.getByLabel('名称', { exact: true }).fill('ci-editor');
    await page.getByTestId('token-submit').click();
    await page.getByText('名称「ci-editor」已被使用，请换一个名称').waitFor();
    await page.getByRole('button', { name: '取消' }).click();
    await page.getByTestId('discard-confirm').click();
  });

  it('the token signs in elsewhere without the admin menu; revoking it sends that browser to sign-in', async () => {
    const elsewhere = await signInElsewhere(editorToken);
    assert.equal(await elsewhere.getByRole('menuitem', { name: '系统管理' }).count(), 0, 'no admin menu for an editor');
    // A namespace's webhooks are its editors' (docs/api.md): their entry is beside the images, not under 系统管理.
    await elsewhere.getByRole('menuitem', { name: 'Webhook 通知' }).click();
    await elsewhere.waitForURL(/\/webhooks/);
    await elsewhere.getByTestId('create-webhook').waitFor();
    await elsewhere.goto(`${harness.baseUrl}/registries`);
    await elsewhere.getByTestId('test-hub').waitFor();
    // Back on the live list, whose watch stream the revocation ends.
    await elsewhere.goto(`${harness.baseUrl}/repositories`);
    await elsewhere.locator('[data-testid="live-state"][data-state="open"]').waitFor();

    await page.getByTestId('revoke-ci-editor').click();
    const ok = page.getByTestId('confirm-delete');
    assert.ok(await ok.isDisabled(), 'OK waits for the typed name');
    await page.getByLabel('请输入令牌名称 ci-editor 以确认撤销').fill('ci-editor');
    await ok.click();
    await page.getByText('已撤销令牌 ci-editor').waitFor();
    await harness.row('ci-editor').waitFor({ state: 'detached' });
    // Its open watch ends at once; the reconnect answers 401 and the console signs out.
    await elsewhere.waitForURL(/\/login/);
    await elsewhere.getByTestId('login-reason').waitFor();

    await page.getByTestId('lang-switch').click();
    await page.getByRole('heading', { name: 'API tokens' }).waitFor();
    await page.mouse.move(700, 700); // no tooltip on the language switch
    await harness.shot('tokens-en');
    await page.getByTestId('lang-switch').click();
    await page.getByRole('heading', { name: '访问令牌' }).waitFor();
  });

  it('the audit log, filtered by user, kind and verb in the URL, shows the creation and the revocation', async () => {
    await page.getByRole('menuitem', { name: '审计日志' }).click();
    await page.waitForURL(/\/admin\/audit/);
    await page.getByLabel('用户').fill('admin-file');
    await page.waitForURL(/user=admin-file/);
    // These Selects show their name in front of the value ("类型:访问令牌").
    await harness.pickOption('类型', /访问令牌$/);
    await page.waitForURL(/kind=Token/);
    const rows = page.locator('[data-testid="audit-table"] tbody tr.ant-table-row');
    await harness.waitFor('the create and delete of ci-editor', async () => (await rows.allInnerTexts()).filter((r) => r.includes('ci-editor')).length === 2);
    const texts = await rows.allInnerTexts();
    assert.ok(texts.some((r) => /创建/.test(r) && r.includes('ci-editor')), texts.join('\n'));
    assert.ok(texts.some((r) => /删除/.test(r) && r.includes('ci-editor')), texts.join('\n'));
    await harness.pickOption('操作', /删除$/);
    await page.waitForURL(/verb=delete/);
    await harness.waitFor('only the revocation', async () => {
      const r = await rows.allInnerTexts();
      return r.length === 1 && r[0]!.includes('ci-editor') && r[0]!.includes('删除');
    });
    // A reload keeps the filters.
    await page.reload();
    await harness.waitFor('the filtered list after a reload', async () => (await rows.count()) === 1);
    assert.equal(await page.getByLabel('用户').inputValue(), 'admin-file');
    await harness.pickOption('操作', /全部$/);
    await harness.waitFor('both rows again', async () => (await rows.count()) >= 2);
    await harness.shot('audit');
    // A time range that holds nothing.
    await page.goto(`${harness.baseUrl}/admin/audit?since=2000-01-01T00:00:00.000Z&until=2000-01-02T00:00:00.000Z`);
    await page.getByText('没有符合条件的审计记录。').waitFor();
  });

  it('a webhook: created with its secret shown once, tested against a local listener, its delivery log shows OK', async () => {
    await page.getByRole('menuitem', { name: 'Webhook 通知' }).click();
    await page.waitForURL(/\/webhooks/);
    // The first namespace is chosen once the namespaces arrive; then the pick.
    await page.getByText('该命名空间还没有 Webhook。').waitFor();
    await harness.pickOption('命名空间', /team-b$/);
    await page.waitForURL(/namespace=team-b/);
    await harness.pickOption('命名空间', /team-a$/);
    await page.waitForURL(/namespace=team-a/);
    await page.getByText('该命名空间还没有 Webhook。').waitFor();
    await page.getByTestId('create-webhook').click();
    await page.getByLabel('名称', { exact: true }).fill('ci');
    // Refused before it is sent, in Chinese.
    await page.getByLabel('接收地址').fill('ftp://example.com/hook');
    await page.getByTestId('webhook-submit').click();
    await page.getByText('请输入 http:// 或 https:// 开头的地址').waitFor();
    await page.getByLabel('接收地址').fill(`${listener.url}/tugboat`);
    await page.getByLabel('同步完成').check();
    await page.getByTestId('webhook-submit').click();
    const secret = page.getByTestId('once-value');
    await secret.waitFor();
    const secretText = (await secret.innerText()).trim();
    assert.match(secretText, /^whsec_/);
    await page.getByTestId('once-done').click();
    await page.getByTestId('once-close-confirm').click();
    await secret.waitFor({ state: 'detached' });
    await harness.row('ci').waitFor();
    assert.ok(!(await page.content()).includes(secretText), 'the secret is not in the page any more');

    const before = listener.requests.length;
    await page.getByTestId('hook-test-ci').click();
    const result = page.getByTestId('hook-test-result');
    await result.getByText('测试事件已送达 ci（HTTP 204').waitFor();
    assert.equal(listener.requests.length, before + 1, 'the listener received the test event');
    assert.equal(listener.requests.at(-1)!.url, '/tugboat');
    await page.getByTestId('hook-log-ci').click();
    const log = page.getByTestId('delivery-log');
    await log.getByText('测试事件').waitFor();
    const first = log.locator('tbody tr.ant-table-row').first();
    assert.equal(await first.getByTestId('delivery-status').innerText(), '204');
    await first.getByText('成功').waitFor();
    await page.keyboard.press('Escape');
    await log.waitFor({ state: 'detached' });
    await harness.shot('webhooks');
  });

  it('an address the egress policy refuses, and a taken name, are explained in Chinese', async () => {
    await page.getByTestId('create-webhook').click();
    await page.getByLabel('名称', { exact: true }).fill('metadata');
    await page.getByLabel('接收地址').fill('http://169.254.169.254/latest/meta-data/');
    await page.getByTestId('webhook-submit').click();
    await page.getByTestId('once-done').click();
    await page.getByTestId('once-close-confirm').click();
    await harness.row('metadata').waitFor();
    await page.getByTestId('hook-test-metadata').click();
    const result = page.getByTestId('hook-test-result');
    await result.getByText('出站策略禁止连接该地址').waitFor();
    assert.doesNotMatch(await result.innerText(), ENGLISH);
    // Worded from the delivery's reason code, not from the server's English (which stays the detail).
    const log = await harness.api('GET', 'namespaces/team-a/webhooks/metadata/deliveries');
    assert.equal(log.body.items[0].reason, 'EgressRefused', JSON.stringify(log.body.items[0]));

    await page.getByTestId('create-webhook').click();
    await page.getByLabel('名称', { exact: true }).fill('ci');
    await page.getByLabel('接收地址').fill(`${listener.url}/again`);
    await page.getByTestId('webhook-submit').click();
    await page.getByText('名称「ci」已被使用，请换一个名称').waitFor();
    assert.doesNotMatch(await page.locator('.ant-modal').innerText(), ENGLISH);
    await page.getByRole('button', { name: '取消' }).click();
    await page.getByTestId('discard-confirm').click();

    await page.getByTestId('hook-delete-metadata').click();
    await page.getByLabel('请输入 Webhook 名称 metadata 以确认删除').fill('metadata');
    await page.getByTestId('confirm-delete').click();
    await harness.row('metadata').waitFor({ state: 'detached' });
    assert.doesNotMatch(await page.locator('.content').innerText(), ENGLISH);
    assert.deepEqual(harness.cspViolations, []);
  });

  it('a viewer token sees no admin menu', async () => {
    const created = await harness.api('POST', 'tokens', { name: 'admin-page-viewer', role: 'viewer' });
    assert.equal(created.status, 201);
    const elsewhere = await signInElsewhere(created.body.status.token);
    await elsewhere.getByTestId('read-only').waitFor();
    assert.equal(await elsewhere.getByRole('menuitem', { name: '系统管理' }).count(), 0);
    assert.equal(await elsewhere.getByRole('menuitem', { name: '访问令牌' }).count(), 0);
    assert.equal(await elsewhere.getByRole('menuitem', { name: 'Webhook 通知' }).count(), 0, 'webhooks are the editors\'');
    // By URL: the server's 403 in Chinese, and no button.
    await elsewhere.goto(`${harness.baseUrl}/admin/tokens`);
    await elsewhere.getByText('当前令牌没有执行此操作的权限').waitFor();
    assert.equal(await elsewhere.getByTestId('create-token').count(), 0);
    // The old address still leads there (and the viewer gets the 403 in Chinese, no button).
    await elsewhere.goto(`${harness.baseUrl}/admin/webhooks`);
    await elsewhere.waitForURL(/\/webhooks$/);
    await elsewhere.getByText('当前令牌没有执行此操作的权限').waitFor();
    assert.equal(await elsewhere.getByTestId('create-webhook').count(), 0);
  });
});
