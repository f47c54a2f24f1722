/**
 * A Registry's `spec.proxy` in `tug serve`: the scheduled sync of a
 * Repository (the tag read and the mirror written) goes through the named
 * proxy (tinyproxy, whose log says so), and the API refuses a proxy it
 * could not use or would have to store a password of.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { API_PREFIX } from '../../src/api/types.ts';
import { makeImage, pushImage, type GeneratedImage } from '../support/images.ts';
import { startProxyServer } from '../support/proxy-server.ts';
import { type TestRegistry, startRegistry } from '../support/registry.ts';
import { type ServeProcess, spawnServe } from '../support/serve.ts';
import { rawManifest } from '../support/skopeo.ts';
import { tempDir } from '../support/tmp.ts';
import { waitFor } from '../support/wait.ts';

const ADMIN = 'tug_proxy-admin-token-0123456789abcdef';
const API = 'image.theriseunion.io/v1alpha1';
let registry: TestRegistry;
let server: ServeProcess;
let image: GeneratedImage;

before(async () => {
  const work = tempDir(undefined, 'tug-serve-proxy-');
  writeFileSync(join(work, 'admin-token'), `${ADMIN}\n`, { mode: 0o600 });
  registry = await startRegistry();
  image = await makeImage({ seed: 'served-through-a-proxy' });
  await pushImage({ url: registry.url, repository: 'library/app', tag: 'v1' }, image);
  // No proxy of the test runner's own: only spec.proxy may route anything.
  server = await spawnServe(['--data', join(work, 'data'), '--admin-token-file', join(work, 'admin-token'), '--shutdown-timeout', '2'], {
    env: { TUG_SECRET_KEY: '', HTTP_PROXY: '', HTTPS_PROXY: '', http_proxy: '', https_proxy: '', NO_PROXY: '', no_proxy: '' },
  });
});

after(async () => {
  await server?.stop();
  await registry?.stop();
});

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${server.url}${API_PREFIX}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, json: await res.json() };
}

test("a scheduled sync of a Registry with spec.proxy goes through that proxy, and the mirror is whole", async (t) => {
  const proxy = await startProxyServer(t, { connectPorts: [registry.port] });
  const created = await api('POST', '/namespaces/default/registries', { apiVersion: API, kind: 'Registry', metadata: { name: 'proxied' }, spec: { url: registry.host, proxy: proxy.url } });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  assert.equal(created.json.spec.proxy, proxy.url);
  const repo = await api('POST', '/namespaces/default/repositories', {
    apiVersion: API,
    kind: 'Repository',
    metadata: { name: 'app' },
    spec: { repository: 'library/app', tag: 'v1', registryRef: { name: 'proxied' }, mirror: { registryRef: { name: 'proxied' }, repository: 'mirrored/app' }, retryCount: 0 },
  });
  assert.equal(repo.status, 201, JSON.stringify(repo.json));
  const synced = await waitFor('the scheduled sync', async () => {
    const r = (await api('GET', '/namespaces/default/repositories/app')).json;
    if (r.status?.syncStatus === 'Failed') throw new Error(JSON.stringify(r.status));
    return r.status?.syncStatus === 'Success' && r;
  });
  assert.equal(synced.status.mirror.digest, image.top.digest);
  const seen = proxy.requests();
  assert.ok(seen.some((r) => new RegExp(`^(GET|HEAD) http://${registry.host}/v2/library/app/manifests/v1 `).test(r)), `the tag was read through the proxy: ${seen.join('\n')}`);
  assert.ok(seen.some((r) => r.startsWith(`PUT http://${registry.host}/v2/mirrored/app/manifests/v1 `)), 'the mirror was written through the proxy');
  const raw = await rawManifest(`docker://${registry.host}/mirrored/app:v1`, ['--tls-verify=false']);
  assert.equal(`sha256:${createHash('sha256').update(raw).digest('hex')}`, image.top.digest);
});

const refused: [name: string, proxy: string, pattern: RegExp][] = [
  ['user:password in the URL', 'http://user:s3cret-pw@127.0.0.1:3128', /user:password/],
  ['a SOCKS proxy', 'socks5://127.0.0.1:1080', /scheme socks5/],
  ['not a URL', 'proxy:3128', /scheme proxy|http:\/\//],
];
for (const [name, value, pattern] of refused) {
  test(`spec.proxy refused: ${name}, in one line without the password`, async () => {
    const res = await api('POST', '/namespaces/default/registries', { apiVersion: API, kind: 'Registry', metadata: { name: `bad-${name.length}` }, spec: { url: registry.host, proxy: value } });
    assert.equal(res.status, 422, JSON.stringify(res.json));
    const text = JSON.stringify(res.json);
    assert.match(text, pattern);
    assert.match(text, /proxy/);
    assert.ok(!text.includes('s3cret-pw'), text);
  });
}
