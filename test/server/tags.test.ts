/**
 * The tags of a Repository's image at its source (issue 15 item 3, the
 * details page's 标签 tab): every tag a page at a time, newest-looking first,
 * each described (digest, platforms, size, created) as skopeo sees it, and
 * marked with the Repository that follows it.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type GeneratedImage, makeImage, multiArch, pushImage } from '../support/images.ts';
import { type TestRegistry, startRegistry } from '../support/registry.ts';
import { skopeo } from '../support/skopeo.ts';
import { type TestServer, registryDoc, repositoryDoc, startTestServer } from './harness.ts';

let src: TestRegistry;
let s: TestServer;
const pushed: Record<string, GeneratedImage> = {};
before(async () => {
  src = await startRegistry();
  for (const tag of ['v1.9.0', 'v1.10.0', 'v1.2.0']) {
    pushed[tag] = await makeImage({ seed: `tags-${tag}`, created: '2026-01-02T03:04:05Z' });
    await pushImage({ url: src.url, repository: 'team/app', tag }, pushed[tag]!);
  }
  pushed.multi = await multiArch('tags-multi');
  await pushImage({ url: src.url, repository: 'team/app', tag: 'multi' }, pushed.multi);
  s = await startTestServer();
  assert.equal((await s.api('POST', '/namespaces/default/registries', { body: registryDoc('src', src.url) })).status, 201);
  assert.equal((await s.api('POST', '/namespaces/default/repositories', { body: repositoryDoc('app', { repository: 'team/app', tag: 'v1.9.0', registryRef: { name: 'src' }, retryCount: 0 }) })).status, 201);
});
after(async () => {
  await s?.close();
  await src?.stop();
});

test('every tag, newest-looking first, a page at a time, described as skopeo sees it, followed ones marked', async () => {
  const first = await s.api('GET', '/namespaces/default/repositories/app/tags?limit=2');
  assert.equal(first.status, 200, first.text);
  assert.equal(first.body.kind, 'RepositoryTagList');
  assert.equal(first.body.metadata.totalCount, 4);
  assert.deepEqual(first.body.items.map((t: any) => t.tag), ['v1.10.0', 'v1.9.0']);
  const next = await s.api('GET', `/namespaces/default/repositories/app/tags?limit=2&continue=${first.body.metadata.continue}`);
  assert.deepEqual(next.body.items.map((t: any) => t.tag), ['v1.2.0', 'multi']);
  assert.equal(next.body.metadata.continue, undefined);
  const byTag = Object.fromEntries([...first.body.items, ...next.body.items].map((t: any) => [t.tag, t]));
  const inspect = JSON.parse(await skopeo(['inspect', '--tls-verify=false', `docker://${src.host}/team/app:v1.10.0`]));
  assert.equal(byTag['v1.10.0'].digest, inspect.Digest);
  assert.equal(byTag['v1.10.0'].created, '2026-01-02T03:04:05Z');
  const image = pushed['v1.10.0']!;
  assert.equal(byTag['v1.10.0'].sizeBytes, image.manifests[0]!.config.size + image.manifests[0]!.layers.reduce((n, l) => n + l.size, 0));
  assert.deepEqual(byTag.multi.platforms, ['linux/amd64', 'linux/arm64/v8']);
  assert.equal(byTag.multi.digest, pushed.multi!.top.digest);
  assert.equal(byTag['v1.9.0'].followedBy.name, 'app');
  assert.equal(byTag['v1.10.0'].followedBy, undefined);
  assert.equal((await s.api('GET', '/namespaces/default/repositories/app/tags?limit=0')).status, 400);
  assert.equal((await s.api('GET', '/namespaces/default/repositories/app/tags?continue=..%2F')).status, 400);
});

test('a source that does not answer: an empty list that says why', async () => {
  assert.equal((await s.api('POST', '/namespaces/default/registries', { body: registryDoc('gone', 'http://127.0.0.1:9') })).status, 201);
  assert.equal((await s.api('POST', '/namespaces/default/repositories', { body: repositoryDoc('lost', { repository: 'team/app', tag: 'v1', registryRef: { name: 'gone' }, retryCount: 0 }) })).status, 201);
  const r = await s.api('GET', '/namespaces/default/repositories/lost/tags');
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.items, []);
  assert.match(r.body.metadata.error, /listing the tags of team\/app at http:\/\/127\.0\.0\.1:9/);
});
