/**
 * The repository details' 标签 and 保留策略 tabs and the health line (issue
 * 16) in Chromium against a real `tug serve` and two real registries: the
 * source holds v1.0.0..v1.3.0 sharing a base layer, the mirror (deletes on)
 * holds what the sync writes plus older versions pushed straight into it.
 * The tags tab lists every tag with the API's sizes and follows one (its
 * status turns synced); retention plans keep 2, refuses a plan the mirror
 * outgrew (409: re-plan), then deletes exactly the plan, read back from the
 * mirror registry's own tag list. A viewer sees neither follow nor apply.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { formatBytes } from '../../src/api/bytes.ts';
import { type ConsoleHarness, registryBody, repoBody, startConsole } from '../support/console.ts';
import { type GeneratedImage, makeImage, pushImage } from '../support/images.ts';
import { freePort, startRegistry, type TestRegistry } from '../support/registry.ts';

const VERSIONS = ['v1.0.0', 'v1.1.0', 'v1.2.0', 'v1.3.0'];

let harness: ConsoleHarness;
let mirror: TestRegistry;
let page: Page;
const img: Record<string, GeneratedImage> = {};
const api: ConsoleHarness['api'] = (...args) => harness.api(...args);
const waitFor: ConsoleHarness['waitFor'] = (...args) => harness.waitFor(...args);

/** Images sharing the base layer, as releases of one project do. */
const image = (seed: string, own: number) => makeImage({ seed, baseLayers: [{ seed: 'app-base', size: 96 * 1024 }], layerSizes: [own, 2048] });

/** The mirror's tags as its registry lists them (not through Tugboat). */
async function mirrorTags(): Promise<string[]> {
  const res = await fetch(`${mirror.url}/v2/mirror/app/tags/list`);
  assert.equal(res.status, 200);
  return (((await res.json()) as { tags: string[] | null }).tags ?? []).sort();
}

async function mirrorHas(tag: string): Promise<boolean> {
  const res = await fetch(`${mirror.url}/v2/mirror/app/manifests/${tag}`, { method: 'HEAD', headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
  return res.status === 200;
}

/** Only CJK, digits, tags and punctuation: no English sentence from the server. */
function assertNoEnglish(text: string, what: string): void {
  assert.doesNotMatch(text, /\b(the|not|could|listing|refused|connect|mirror|changed|plan)\b/i, `${what} shows English: ${text}`);
}

/** Waits for the tags tab to show `tag` synced; on a timeout prints what the API says (for the report). */
async function rowSynced(tag: string): Promise<void> {
  await harness.row(tag).locator('[data-testid="tag-follow"][data-status="Success"]').waitFor({ timeout: 30_000 }).catch(async (err: unknown) => {
    const r = (await api('GET', 'namespaces/default/repositories/app')).body;
    const runs = (await api('GET', 'namespaces/default/repositories/app/syncruns?limit=5')).body.items.map((x: { metadata: { name: string }; spec: { trigger: string }; status: { phase: string; startTime: string; completionTime?: string } }) => [x.metadata.name, x.spec.trigger, x.status.phase, x.status.startTime, x.status.completionTime]);
    console.error('not synced:', JSON.stringify({ now: new Date().toISOString(), resourceVersion: r.metadata.resourceVersion, tags: r.spec.tags, status: r.status.syncStatus, next: r.status.nextSyncTime, statusTags: r.status.tags, runs }));
    throw err;
  });
}

/** How many sync runs app has had. */
async function runCount(): Promise<number> {
  return (await api('GET', 'namespaces/default/repositories/app/syncruns?limit=1')).body.metadata.totalCount as number;
}

/** Waits until app has had a run after the first `before` and none is running; returns the new count. */
async function settledAfter(before: number): Promise<number> {
  let count = before;
  await waitFor('the sync an edit queued', async () => {
    const runs = (await api('GET', 'namespaces/default/repositories/app/syncruns?limit=1')).body;
    const repo = (await api('GET', 'namespaces/default/repositories/app')).body;
    count = runs.metadata.totalCount;
    return count > before && runs.items[0].status.phase !== 'Running' && repo.status.syncStatus !== 'Syncing';
  }, 30_000);
  return count;
}

async function openTab(name: string, tab: RegExp): Promise<void> {
  await page.goto(`${harness.baseUrl}/repositories/default/${name}`);
  await page.getByRole('tab', { name: tab }).click();
}

describe('repository details: tags, retention, health', () => {
  before(async () => {
    harness = await startConsole();
    page = harness.page;
    mirror = await startRegistry({ deleteEnabled: true });
    for (const [i, v] of VERSIONS.entries()) {
      img[v] = await image(`app-${v}`, 4096 * (i + 1));
      await pushImage({ url: harness.registry.url, repository: 'team/app', tag: v }, img[v]!);
    }
    // Older versions only the mirror holds; v0.7.0 is v1.3.0's manifest (what the sync will mirror), latest is not a version.
    for (const v of ['v0.5.0', 'v0.6.0', 'v0.8.0', 'v0.9.0', 'latest']) img[v] = await image(`old-${v}`, 1024);
    for (const [tag, from] of [['v0.6.0', 'v0.6.0'], ['v0.7.0', 'v1.3.0'], ['v0.8.0', 'v0.8.0'], ['v0.9.0', 'v0.9.0'], ['v1.0.0', 'v1.0.0'], ['latest', 'latest']] as const) {
      await pushImage({ url: mirror.url, repository: 'mirror/app', tag }, img[from]!);
    }
    const down = await freePort();
    for (const [name, url] of [['local', harness.registry.url], ['mirror', mirror.url], ['down', `http://127.0.0.1:${down}`]] as const) {
      assert.equal((await api('POST', 'namespaces/default/registries', registryBody('default', name, url))).status, 201);
    }
    const created = await api('POST', 'namespaces/default/repositories', repoBody('default', 'app', 'team/app', 'v1.3.0', { mirror: { registryRef: { name: 'mirror' }, repository: 'mirror/app' } }));
    assert.equal(created.status, 201);
    assert.equal((await api('POST', 'namespaces/default/repositories', repoBody('default', 'unreachable', 'team/app', 'v1.3.0', { registryRef: { name: 'down' } }))).status, 201);
    await waitFor('app synced', async () => (await api('GET', 'namespaces/default/repositories/app')).body.status?.syncStatus === 'Success', 30_000);
    await harness.signIn();
  });

  after(async () => {
    await harness?.stop();
    await mirror?.stop();
  });

  it('lists every tag at the source with the API\'s digests and sizes', async () => {
    await openTab('app', /^标签$/);
    const listed = await api('GET', 'namespaces/default/repositories/app/tags?limit=20');
    assert.equal(listed.status, 200);
    assert.deepEqual(listed.body.items.map((x: { tag: string }) => x.tag), [...VERSIONS].reverse());
    for (const item of listed.body.items as { tag: string; digest: string; sizeBytes: number; platforms: string[] }[]) {
      const row = harness.row(item.tag);
      await row.waitFor();
      const size = row.getByTestId('tag-size');
      assert.equal(Number(await size.getAttribute('data-bytes')), item.sizeBytes);
      assert.equal(await size.innerText(), formatBytes(item.sizeBytes));
      // The pushed image's own bytes: config + layers.
      const pushed = img[item.tag]!;
      const m = pushed.manifests[0]!;
      assert.equal(item.sizeBytes, m.config.size + m.layers.reduce((n, l) => n + l.size, 0));
      assert.equal(item.digest, pushed.top.digest);
      assert.match(await row.getByTestId('tag-digest').innerText(), new RegExp(`^${item.digest.slice(0, 19)}`));
      assert.match(await row.innerText(), /linux\/amd64/);
    }
    assert.match(await harness.row('v1.3.0').innerText(), /主标签/);
    assert.equal(await harness.row('v1.3.0').getByTestId('tag-follow').getAttribute('data-status'), 'Success');
    assert.match(await harness.row('v1.0.0').innerText(), /未跟踪/);
    assert.match(await page.getByTestId('tags-loaded').innerText(), /已加载 4 \/ 共 4 个标签/);
  });

  it('follows tags: spec.tags.list holds them and their status turns synced; unfollows one', async () => {
    let runs = await runCount();
    await page.getByTestId('follow-v1.1.0').click();
    await page.getByText('已跟踪 v1.1.0').waitFor();
    assert.deepEqual((await api('GET', 'namespaces/default/repositories/app')).body.spec.tags, { list: ['v1.1.0'] });
    await rowSynced('v1.1.0');
    // The sync that edit queued done before the next edit, so that each edit's sync is its own.
    runs = await settledAfter(runs);
    await page.getByTestId('follow-v1.2.0').click();
    await page.getByText('已跟踪 v1.2.0').waitFor();
    assert.deepEqual((await api('GET', 'namespaces/default/repositories/app')).body.spec.tags, { list: ['v1.1.0', 'v1.2.0'] });
    for (const tag of ['v1.1.0', 'v1.2.0']) {
      await rowSynced(tag);
      assert.ok(await mirrorHas(tag), `${tag} is in the mirror`);
    }
    await settledAfter(runs);
    const status = (await api('GET', 'namespaces/default/repositories/app')).body.status.tags as { tag: string; syncStatus: string }[];
    assert.deepEqual(status.map((x) => `${x.tag} ${x.syncStatus}`), ['v1.3.0 Success', 'v1.2.0 Success', 'v1.1.0 Success']);
    // Unfollow v1.2.0 (a PATCH on the live version): the list goes back to v1.1.0 alone, the button at once.
    await page.getByTestId('unfollow-v1.2.0').click();
    await page.getByTestId('follow-v1.2.0').waitFor();
    assert.deepEqual((await api('GET', 'namespaces/default/repositories/app')).body.spec.tags, { list: ['v1.1.0'] });
    // The sync after the unfollow leaves v1.2.0 out of status.tags (retention below may then take it); its mirror copy stays.
    await waitFor('status.tags without v1.2.0', async () => {
      const r = (await api('GET', 'namespaces/default/repositories/app')).body;
      return r.status.syncStatus === 'Success' && !(r.status.tags as { tag: string }[]).some((x) => x.tag === 'v1.2.0');
    }, 30_000);
    assert.ok(await mirrorHas('v1.2.0'));
    await harness.shot('tags');
    await page.getByTestId('lang-switch').click();
    await page.getByRole('tab', { name: /^Tags$/ }).waitFor();
    await page.getByText('Loaded 4 of 4 tags').waitFor();
    // Away from the language button, and its tooltip gone, before the picture.
    await page.mouse.move(700, 700);
    await page.getByTestId('lang-switch').blur();
    await page.locator('.ant-tooltip:visible').waitFor({ state: 'hidden' });
    await harness.shot('tags-en');
    await page.getByTestId('lang-switch').click();
    await page.getByRole('tab', { name: /^标签$/ }).waitFor();
  });

  it('says in Chinese why a tag list could not be read', async () => {
    await openTab('unreachable', /^标签$/);
    const reason = page.getByTestId('tags-error-reason');
    await reason.waitFor();
    assert.equal(await reason.innerText(), '无法连接到镜像源：请检查镜像源地址、网络、证书或代理。');
    assertNoEnglish(await page.getByTestId('tags-error').locator('.ant-alert-title').innerText(), 'the alert title');
    // The server's words are kept, folded, for a bug report.
    assert.match(await page.getByTestId('tags-error').locator('details .mono').textContent() ?? '', /listing the tags of team\/app/);
    // No retention tab without a mirror.
    assert.equal(await page.getByRole('tab', { name: /^保留策略$/ }).count(), 0);
  });

  it('plans retention, refuses a plan the mirror outgrew, then deletes exactly the plan', async () => {
    await openTab('app', /^保留策略$/);
    await page.getByRole('spinbutton', { name: '保留数量' }).fill('2');
    await page.getByTestId('retention-plan').click();
    const planned = page.getByTestId('retention-planned');
    await planned.waitFor();
    const deleteTags = async () => (await page.getByTestId('retention-delete').locator('tbody tr.ant-table-row td:first-child').allInnerTexts()).sort();
    // Followed (v1.1.0, v1.3.0), not a version (latest), newest 2 of the rest (v1.2.0 was mirrored while followed, v1.0.0),
    // v0.7.0 shares v1.3.0's manifest: v0.6.0, v0.8.0 and v0.9.0 go.
    assert.deepEqual(await deleteTags(), ['v0.6.0', 'v0.8.0', 'v0.9.0']);
    const whys = Object.fromEntries(await Promise.all((await page.getByTestId('retention-keep-list').locator('tbody tr.ant-table-row').all()).map(async (r) => [await r.locator('td').first().innerText(), await r.getByTestId('retention-why').innerText()])));
    assert.deepEqual(whys, {
      latest: '不是版本号',
      'v0.7.0': '其镜像清单也被保留或同步中的标签使用',
      'v1.0.0': '最新的 2 个之一',
      'v1.1.0': '有镜像配置同步到此标签（集群在使用）',
      'v1.2.0': '最新的 2 个之一',
      'v1.3.0': '有镜像配置同步到此标签（集群在使用）',
    });
    assertNoEnglish(await planned.innerText(), 'the plan');
    await harness.shot('retention');

    // The mirror changes after the plan was read: apply is refused (409) and says to plan again.
    await pushImage({ url: mirror.url, repository: 'mirror/app', tag: 'v0.5.0' }, img['v0.5.0']!);
    await page.getByTestId('retention-apply').click();
    const confirm = page.getByTestId('confirm-delete');
    assert.equal(await page.locator('#typed-confirm').getAttribute('placeholder'), null, 'no placeholder answer');
    assert.deepEqual((await page.getByTestId('confirm-items').locator('li').allInnerTexts()).sort(), ['mirror/app:v0.6.0', 'mirror/app:v0.8.0', 'mirror/app:v0.9.0']);
    assert.ok(await confirm.isDisabled());
    await page.locator('#typed-confirm').fill('app');
    await confirm.click();
    await page.locator('.ant-modal').getByText('生成计划后镜像目标已发生变化，请重新生成计划并核对。').waitFor();
    assert.ok(await mirrorHas('v0.6.0'), 'nothing deleted by the refused apply');
    await page.locator('.ant-modal').getByRole('button', { name: /取\s*消/ }).click();
    await page.getByTestId('retention-stale').waitFor();
    assert.equal(await page.getByTestId('retention-apply').count(), 0, 'no apply of a stale plan');

    await page.getByTestId('retention-plan').click();
    await planned.waitFor();
    await waitFor('the new plan', async () => (await deleteTags()).includes('v0.5.0'));
    assert.deepEqual(await deleteTags(), ['v0.5.0', 'v0.6.0', 'v0.8.0', 'v0.9.0']);
    await page.getByTestId('retention-apply').click();
    await page.locator('#typed-confirm').fill('app');
    await page.getByTestId('confirm-delete').click();
    const result = page.getByTestId('retention-result');
    await result.waitFor({ timeout: 30_000 });
    assert.match(await result.innerText(), /已删除 4 个，失败 0 个/);
    assert.deepEqual(await mirrorTags(), ['latest', 'v0.7.0', 'v1.0.0', 'v1.1.0', 'v1.2.0', 'v1.3.0']);
    // v0.7.0's manifest is v1.3.0's, the image clusters pull: both still answer.
    assert.ok(await mirrorHas('v0.7.0'));
    assert.ok(await mirrorHas('v1.3.0'));
  });

  it('shows the health in the basic information', async () => {
    await waitFor('a health check or a sync on app', async () => (await api('GET', 'namespaces/default/repositories/app')).body.status?.health !== undefined);
    await page.goto(`${harness.baseUrl}/repositories/default/app`);
    const health = page.getByTestId('health');
    await health.waitFor();
    assert.match(await health.innerText(), /(健康|可拉取).*检查于 \d{4}-\d{2}-\d{2}/s);
    assertNoEnglish(await health.innerText(), 'the health');
  });

  it('a viewer can read the tags and a plan, and has neither follow nor apply', async () => {
    const created = await api('POST', 'tokens', { name: 'detail-viewer', role: 'viewer' });
    assert.equal(created.status, 201);
    await page.evaluate(() => (globalThis as unknown as { localStorage: { removeItem(k: string): void } }).localStorage.removeItem('tugboat.token'));
    await harness.signIn(created.body.status.token);
    await page.getByTestId('read-only').waitFor();
    await openTab('app', /^标签$/);
    await harness.row('v1.0.0').waitFor();
    assert.equal(await page.locator('[data-testid^="follow-"], [data-testid^="unfollow-"]').count(), 0);
    await page.getByRole('tab', { name: /^保留策略$/ }).click();
    await page.getByRole('spinbutton', { name: '保留数量' }).fill('1');
    await page.getByTestId('retention-plan').click();
    await page.getByTestId('retention-planned').waitFor();
    assert.ok((await page.getByTestId('retention-delete').locator('tbody tr.ant-table-row').count()) > 0, 'keep 1 has deletes to show');
    assert.equal(await page.getByTestId('retention-apply').count(), 0);
  });

  it('broke no rule of the Content-Security-Policy', () => {
    assert.deepEqual(harness.cspViolations, []);
  });
});
