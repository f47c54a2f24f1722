/**
 * 批量添加 and 导出 YAML in Chromium (issue 16): a pasted list with one bad
 * row previews that row's problem in Chinese (no English server text on the
 * page) and cannot be created; fixed, it creates all and the list shows
 * them; a skopeo sync YAML file dropped on the upload previews the rows the
 * API plans; a tag-regex entry previews as one repository with the tags it
 * follows; the form survives leaving the page; the export of selected rows
 * downloads exactly those Repositories, without secrets, and the import takes
 * the file back into another namespace. A real registry, a real `tug serve`.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import YAML from 'yaml';
import { type ConsoleHarness, registryBody, startConsole } from '../support/console.ts';
import { makeImage, pushImage } from '../support/images.ts';
import { tempDir } from '../support/tmp.ts';

/** What the server says in English about a bad import row: none of it may be the page's text. */
const SERVER_ENGLISH = /no Registry|points at|add one|in this import twice|already exists|follows tags|not YAML/;
const SECRET = 'import-test-secret-pw';

let h: ConsoleHarness;
let page: Page;
let host = '';

const text = () => page.locator('body').innerText();
const previewRow = (name: string) => page.getByTestId('import-preview').locator('tr', { hasText: name });

describe('batch add and export', () => {
  before(async () => {
    h = await startConsole();
    page = h.page;
    host = new URL(h.registry.url).host;
    for (const ns of ['default', 'edge']) {
      // The registry asks for no credentials; the stored password is there to prove the export leaves it out.
      const reg = await h.api('POST', `namespaces/${ns}/registries`, registryBody(ns, 'local', h.registry.url, { credentials: { username: 'robot', password: SECRET } }));
      assert.equal(reg.status, 201, JSON.stringify(reg.body));
    }
    await h.signIn();
  });

  after(() => h?.stop());

  it('previews a pasted list: the bad row says why in Chinese, and nothing can be created', async () => {
    await h.pickOption('命名空间', 'default');
    await page.getByTestId('open-import').click();
    await page.waitForURL(/\/repositories\/import\?ns=default/);
    await page.getByRole('heading', { name: '批量添加镜像' }).waitFor();
    const list = [`${host}/library/nginx:latest`, `${host}/library/redis:7-alpine`, 'ghcr.io/acme/tool:1.0', ''].join('\n');
    await page.getByTestId('import-text').fill(list);
    await page.getByTestId('import-preview-button').click();
    await page.getByTestId('import-summary').getByText('共 3 行（格式：镜像列表（每行一个））：可创建 2，已存在 0，无效 1').waitFor();
    const bad = previewRow('ghcr.io/acme/tool:1.0');
    assert.equal(await bad.getByTestId('import-cause').innerText(), '命名空间 default 中没有地址为 ghcr.io 的镜像源，请先添加该镜像源');
    // The server's words are the tooltip, not the text.
    assert.match((await bad.getByTestId('import-cause').getAttribute('title')) ?? '', /no Registry in default points at ghcr\.io/);
    assert.match(await bad.innerText(), /第 3 行/);
    assert.match(await previewRow('nginx-latest').innerText(), /第 1 行[\s\S]*将创建/);
    assert.doesNotMatch(await text(), SERVER_ENGLISH);
    assert.equal(await page.getByTestId('import-create').isDisabled(), true);
    assert.match(await page.getByTestId('import-blocked').innerText(), /有 1 行无效/);
    await page.getByTestId('import-preview').scrollIntoViewIfNeeded();
    await h.shot('import');

    await page.getByTestId('lang-switch').click();
    await page.getByRole('heading', { name: 'Batch add images' }).waitFor();
    assert.equal(await bad.getByTestId('import-cause').innerText(), 'No registry in default points at ghcr.io: add one first');
    await page.mouse.move(600, 600); // no tooltip over the top bar
    await page.getByTestId('import-preview').scrollIntoViewIfNeeded();
    await h.shot('import-en');
    await page.getByTestId('lang-switch').click();
    await page.getByRole('heading', { name: '批量添加镜像' }).waitFor();
  });

  it('keeps the form when the user leaves the page and comes back', async () => {
    await page.getByRole('menuitem', { name: '镜像管理' }).click();
    await page.getByRole('heading', { name: '镜像管理' }).waitFor();
    await page.getByTestId('open-import').click();
    await page.getByRole('heading', { name: '批量添加镜像' }).waitFor();
    assert.match(await page.getByTestId('import-text').inputValue(), /ghcr\.io\/acme\/tool:1\.0/);
  });

  it('creates all once the bad row is fixed, and the list shows them', async () => {
    await page.getByTestId('import-preview-button').click();
    await page.getByTestId('import-blocked').getByText(/有 1 行无效/).waitFor();
    const fixed = [`${host}/library/nginx:latest`, `${host}/library/redis:7-alpine`, ''].join('\n');
    await page.getByTestId('import-text').fill(fixed);
    // The old preview no longer matches the text: creating waits for a new one.
    await page.getByTestId('import-blocked').getByText('内容或选项已修改，请重新预览后再创建。').waitFor();
    assert.equal(await page.getByTestId('import-create').isDisabled(), true);
    await page.getByTestId('import-preview-button').click();
    await page.getByTestId('import-summary').getByText('共 2 行（格式：镜像列表（每行一个））：可创建 2，已存在 0，无效 0').waitFor();
    await page.getByTestId('import-create').click();
    await page.getByTestId('import-done').getByText('已创建 2 个对象').waitFor();
    await page.getByTestId('import-view-list').click();
    await page.waitForURL(/\/repositories\?ns=default/);
    await h.row('default/nginx-latest').waitFor();
    await h.row('default/redis-7-alpine').waitFor();
    const created = await h.api('GET', 'namespaces/default/repositories/nginx-latest');
    assert.deepEqual(created.body.spec.registryRef, { name: 'local', namespace: 'default' });
  });

  it('reads a dropped skopeo sync YAML file and previews the rows the API plans', async (t) => {
    const skopeo = [`${host}:`, '  tls-verify: false', '  images:', '    library/nginx:', '      - latest', '    library/redis:', '      - 7-alpine', ''].join('\n');
    const file = join(tempDir(t, 'tug-import-'), 'edge.skopeo.yaml');
    writeFileSync(file, skopeo);
    await page.getByTestId('open-import').click();
    await page.getByRole('heading', { name: '批量添加镜像' }).waitFor();
    await page.getByLabel('目标命名空间').fill('edge');
    await page.getByTestId('import-upload').locator('input[type=file]').setInputFiles(file);
    await page.getByText('已读取文件 edge.skopeo.yaml').first().waitFor();
    assert.equal(await page.getByTestId('import-text').inputValue(), skopeo);
    await page.getByTestId('import-preview-button').click();
    await page.getByTestId('import-summary').getByText(/格式：skopeo sync YAML/).waitFor();
    const planned = await h.api('POST', 'namespaces/edge/imports', { content: skopeo, dryRun: true });
    assert.equal(planned.status, 200, JSON.stringify(planned.body));
    const shown = await page.getByTestId('import-preview').locator('tbody tr.ant-table-row').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => (td as unknown as { innerText: string }).innerText.trim())));
    assert.deepEqual(
      shown.map((cells) => [cells[0], cells[1], cells[3], cells[4], cells[5]]),
      planned.body.rows.map((r: any) => [String(r.row), r.origin.replace(/^line (\d+)$/, '第 $1 行'), r.name, r.source, '将创建']),
    );
    assert.equal(planned.body.rows.length, 2);
  });

  it('previews a tag-regex entry as one repository, the newest match its tag, the tags it follows beside it', async () => {
    for (const tag of ['1.36', '1.37', 'musl']) await pushImage({ url: h.registry.url, repository: 'library/busybox', tag }, await makeImage({ seed: `import-regex-${tag}` }));
    const skopeo = [`${host}:`, '  tls-verify: false', '  images-by-tag-regex:', '    library/busybox: ^1\\.', ''].join('\n');
    await page.getByTestId('import-text').fill(skopeo);
    await page.getByTestId('import-preview-button').click();
    const row = previewRow('busybox-all');
    await row.waitFor();
    assert.match(await row.innerText(), new RegExp(`${host.replace(/[.]/g, '\\.')}/library/busybox:1\\.37`));
    assert.equal(await row.getByTestId('import-followed-tags').innerText(), '跟踪 2 个标签：1.37, 1.36');
    assert.doesNotMatch(await text(), SERVER_ENGLISH);
  });

  it('stays responsive with a 1,000-line paste', async () => {
    const lines = Array.from({ length: 1000 }, (_, i) => `${host}/bulk/app-${String(i).padStart(4, '0')}:v1`).join('\n');
    const started = Date.now();
    await page.getByTestId('import-text').fill(lines);
    const filled = Date.now();
    await page.getByTestId('import-preview-button').click();
    await page.getByTestId('import-summary').getByText('共 1000 行（格式：镜像列表（每行一个））：可创建 1000，已存在 0，无效 0').waitFor();
    await previewRow('app-0000-v1').waitFor();
    // One page of rows is rendered, not a thousand.
    assert.equal(await page.getByTestId('import-preview').locator('tbody tr.ant-table-row').count(), 50);
    const shown = Date.now();
    // The same fill into a bare textarea, for scale (the machine's load varies between runs).
    await page.evaluate("document.body.append(Object.assign(document.createElement('textarea'), { id: 'bare-textarea' }))");
    const bareStarted = Date.now();
    await page.locator('#bare-textarea').fill(lines);
    const bareMs = Date.now() - bareStarted;
    await page.evaluate("document.getElementById('bare-textarea').remove()");
    // One more keystroke into the full form with its preview on screen.
    const keyStarted = Date.now();
    await page.getByTestId('import-text').press('End');
    await page.getByTestId('import-text').press('x');
    await page.getByTestId('import-blocked').getByText('内容或选项已修改，请重新预览后再创建。').waitFor();
    console.log(`1,000-line paste: fill ${filled - started} ms (a bare textarea: ${bareMs} ms), preview shown ${shown - filled} ms, a keystroke with the preview shown ${Date.now() - keyStarted} ms`);
    await page.getByTestId('import-clear').click();
    await page.getByTestId('discard-confirm').click();
    await page.getByTestId('import-text').waitFor();
    assert.equal(await page.getByTestId('import-text').inputValue(), '');
  });

  it('exports the selected rows as YAML without secrets, which the import takes into another namespace', async (t) => {
    await page.goto(`${h.baseUrl}/repositories?ns=default`);
    await h.row('default/nginx-latest').waitFor();
    await h.row('default/nginx-latest').locator('.ant-checkbox-input').check();
    await h.row('default/redis-7-alpine').locator('.ant-checkbox-input').check();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-yaml').click()]);
    assert.equal(download.suggestedFilename(), 'tugboat-default.yaml');
    const file = join(tempDir(t, 'tug-export-'), 'export.yaml');
    await download.saveAs(file);
    const yaml = readFileSync(file, 'utf8');
    assert.doesNotMatch(yaml, new RegExp(`${SECRET}|password|hasPassword|status:`));
    const docs = YAML.parseAllDocuments(yaml).map((d) => d.toJS() as { kind: string; metadata: { name: string } });
    assert.deepEqual(docs.map((d) => `${d.kind}/${d.metadata.name}`).sort(), ['Registry/local', 'Repository/nginx-latest', 'Repository/redis-7-alpine']);
    const back = await h.api('POST', 'namespaces/copy/imports', { content: yaml, dryRun: true });
    assert.equal(back.status, 200, JSON.stringify(back.body));
    assert.equal(back.body.format, 'resources');
    assert.deepEqual(back.body.rows.map((r: any) => `${r.kind}/${r.name}:${r.state}`), ['Registry/local:create', 'Repository/nginx-latest:create', 'Repository/redis-7-alpine:create']);
  });

  it('a viewer exports the whole namespace but sees no batch-add button it would get a 403 from', async (t) => {
    const viewer = await h.api('POST', 'tokens', { name: 'import-viewer', role: 'viewer' });
    assert.equal(viewer.status, 201);
    await page.evaluate("localStorage.removeItem('tugboat.token')");
    await h.signIn(viewer.body.status.token);
    await page.goto(`${h.baseUrl}/repositories?ns=default`);
    await h.row('default/nginx-latest').waitFor();
    assert.equal(await page.getByTestId('open-import').count(), 0);
    await page.getByTestId('export-yaml').click();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-whole-confirm').click()]);
    const file = join(tempDir(t, 'tug-export-'), 'whole.yaml');
    await download.saveAs(file);
    const names = YAML.parseAllDocuments(readFileSync(file, 'utf8')).map((d) => (d.toJS() as { kind: string; metadata: { name: string } })).filter((d) => d.kind === 'Repository').map((d) => d.metadata.name);
    assert.deepEqual(names.sort(), ['nginx-latest', 'redis-7-alpine']);
    await page.goto(`${h.baseUrl}/repositories/import`);
    await page.getByText('当前令牌只能查看，不能批量添加镜像。').waitFor();
    assert.equal(await page.getByTestId('import-preview-button').count(), 0);
    assert.deepEqual(h.cspViolations, []);
  });
});
