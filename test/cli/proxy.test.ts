/**
 * `tug copy` and `tug sync` through a real forward proxy (tinyproxy), as a
 * user behind a corporate proxy runs them: HTTPS_PROXY / HTTP_PROXY /
 * NO_PROXY in the environment, or a sync file's per-registry `proxy`. The
 * proxy's own log says which requests went through it; what the
 * destination registry reads back says the copy is whole; a recording
 * forwarder between the proxy and the registry says the proxy's
 * credentials never reached the registry.
 *
 * Go (and so tug) never proxies loopback targets from the environment, so
 * the environment tests reach the registry by this machine's host name,
 * which /etc/hosts maps to 127.0.0.1 for tinyproxy to resolve (skipped
 * where it does not).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startProxy } from '../distribution/proxy.ts';
import { type GeneratedImage, makeImage, pushImage } from '../support/images.ts';
import { startProxyServer } from '../support/proxy-server.ts';
import { type TestRegistry, startRegistry } from '../support/registry.ts';
import { rawManifest } from '../support/skopeo.ts';
import { tempDir } from '../support/tmp.ts';
import { runTug } from '../support/tug.ts';

const sha = (s: string) => `sha256:${createHash('sha256').update(s).digest('hex')}`;
/** No proxy variable of the test runner's own may leak into a run. */
const CLEAN = { HTTP_PROXY: '', HTTPS_PROXY: '', NO_PROXY: '', http_proxy: '', https_proxy: '', no_proxy: '' };
const NAME = hostname();
let byName = false;
let reg: TestRegistry;
let image: GeneratedImage;

before(async () => {
  reg = await startRegistry();
  image = await makeImage({ seed: 'through-a-proxy', flavour: 'oci' });
  await pushImage({ url: reg.url, repository: 'src/app', tag: 'v1' }, image);
  byName = await lookup(NAME, { family: 4 }).then((a) => a.address === '127.0.0.1', () => false);
});

after(async () => {
  await reg.stop();
});

/** The destination's manifest as skopeo reads it (directly, not through any proxy). */
async function assertCopied(repository: string): Promise<void> {
  const raw = await rawManifest(`docker://${reg.host}/${repository}`, ['--tls-verify=false']);
  assert.equal(sha(raw), image.top.digest, 'the destination holds the same manifest, byte for byte');
}

test('tug copy with HTTPS_PROXY / HTTP_PROXY goes through the proxy (CONNECT for https, forwarding for http)', async (t) => {
  if (!byName) return t.skip(`${NAME} does not resolve to 127.0.0.1`);
  const proxy = await startProxyServer(t, { connectPorts: [reg.port] });
  const at = `${NAME}:${reg.port}`;
  // A non-loopback name is tried over https first: --tls-verify=false lets it fall back to http.
  const run = await runTug(['copy', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${at}/src/app:v1`, `docker://${at}/env/app:v1`], {
    env: { ...CLEAN, HTTPS_PROXY: proxy.url, HTTP_PROXY: proxy.url },
  });
  assert.equal(run.code, 0, run.stderr);
  const seen = proxy.requests();
  assert.ok(seen.includes(`CONNECT ${at} HTTP/1.1`), `a CONNECT tunnel was tried for https: ${seen.join('\n')}`);
  assert.ok(seen.some((r) => r.startsWith(`GET http://${at}/v2/src/app/manifests/v1 `)), 'the source manifest was read through the proxy');
  assert.ok(seen.some((r) => r.startsWith(`PUT http://${at}/v2/env/app/manifests/v1 `)), 'the destination manifest was written through the proxy');
  await assertCopied('env/app:v1');
});

test('NO_PROXY and loopback targets bypass the environment proxy, as in Go', async (t) => {
  const proxy = await startProxyServer(t);
  const env = { ...CLEAN, HTTPS_PROXY: proxy.url, HTTP_PROXY: proxy.url };
  const loop = await runTug(['copy', `docker://${reg.host}/src/app:v1`, `docker://${reg.host}/loop/app:v1`], { env });
  assert.equal(loop.code, 0, loop.stderr);
  if (byName) {
    const at = `${NAME}:${reg.port}`;
    const run = await runTug(['copy', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${at}/src/app:v1`, `docker://${at}/noproxy/app:v1`], { env: { ...env, NO_PROXY: `other.example,${NAME.toUpperCase()}` } });
    assert.equal(run.code, 0, run.stderr);
    await assertCopied('noproxy/app:v1');
  }
  assert.deepEqual(proxy.requests(), [], 'nothing went through the proxy');
  await assertCopied('loop/app:v1');
});

test('tug sync with a per-registry proxy in the sync file goes through it, loopback included', async (t) => {
  const proxy = await startProxyServer(t, { connectPorts: [reg.port] });
  const dir = tempDir(t, 'tug-proxy-sync-');
  const file = join(dir, 'sync.yaml');
  writeFileSync(
    file,
    [
      'apiVersion: tugboat.dev/v1alpha1',
      'kind: SyncConfig',
      'registries:',
      `  ${reg.host}:`,
      `    proxy: ${proxy.url}`,
      'images:',
      `  - source: ${reg.host}/src/app`,
      '    tags: [v1]',
      '',
    ].join('\n'),
  );
  const run = await runTug(['sync', file, `${reg.host}/synced`], { env: CLEAN });
  assert.equal(run.code, 0, run.stderr);
  const seen = proxy.requests();
  assert.ok(seen.some((r) => r.startsWith(`HEAD http://${reg.host}/v2/src/app/manifests/v1 `)), `the source was read through the proxy: ${seen.join('\n')}`);
  assert.ok(seen.some((r) => r.startsWith(`PUT http://${reg.host}/v2/synced/app/manifests/v1 `)), 'the destination was written through the proxy');
  await assertCopied('synced/app:v1');
});

test('the proxy credentials go to the proxy only: never to the registry, never into output', async (t) => {
  // tug -> tinyproxy (Basic auth) -> a recording forwarder -> the registry.
  const recorder = await startProxy(reg.url);
  t.after(() => recorder.stop());
  const password = 'pr0xy-Secret-77';
  const proxy = await startProxyServer(t, { auth: { user: 'mover', password } });
  const dir = tempDir(t, 'tug-proxy-auth-');
  const file = join(dir, 'sync.yaml');
  const yaml = (proxyLine: string) =>
    ['apiVersion: tugboat.dev/v1alpha1', 'kind: SyncConfig', 'registries:', `  ${recorder.host}:`, proxyLine, 'images:', `  - source: ${recorder.host}/src/app`, '    tags: [v1]', ''].join('\n');
  // A sync file holds no passwords: a proxy with user:password is refused there, by line.
  writeFileSync(file, yaml(`    proxy: ${proxy.url}`));
  const refused = await runTug(['sync', file, `${recorder.host}/authed`], { env: CLEAN });
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /sync\.yaml:5: .*proxy.*HTTPS_PROXY/);
  assert.doesNotMatch(refused.stderr, new RegExp(password));
  // In the environment they are fine: the recorder is reached by name, since loopback targets skip the environment's proxy.
  if (!byName) return t.skip(`${NAME} does not resolve to 127.0.0.1`);
  const at = `${NAME}:${recorder.host.split(':')[1]}`;
  const env = { ...CLEAN, HTTPS_PROXY: proxy.url, HTTP_PROXY: proxy.url };
  const run = await runTug(['--debug', 'copy', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${at}/src/app:v1`, `docker://${at}/authed/app:v1`], { env });
  assert.equal(run.code, 0, run.stderr);
  assert.ok(recorder.seen.length > 0, 'the registry was reached through the proxy');
  for (const r of recorder.seen) {
    assert.equal(r.headers['proxy-authorization'], undefined, `${r.method} ${r.url} carried Proxy-Authorization`);
    assert.doesNotMatch(JSON.stringify(r.headers), /pr0xy|bW92ZXI6/, 'no trace of the proxy credentials');
  }
  assert.doesNotMatch(run.stdout + run.stderr, new RegExp(password));
  await assertCopied('authed/app:v1');
  // A wrong password: one line, no password in it.
  const wrong = await runTug(['copy', '--retry-times=0', '--src-tls-verify=false', `docker://${at}/src/app:v1`, `dir:${join(dir, 'out')}`], {
    env: { ...env, HTTPS_PROXY: proxy.url.replace(password, 'Wr0ng-pass'), HTTP_PROXY: proxy.url.replace(password, 'Wr0ng-pass') },
  });
  assert.equal(wrong.code, 5, wrong.stderr);
  assert.match(wrong.stderr, new RegExp(`the proxy ${proxy.host} refused its credentials`));
  assert.match(wrong.stderr, /HTTPS_PROXY/);
  assert.doesNotMatch(wrong.stderr, /Wr0ng-pass/);
});

test('--tls-verify=true on a plain-HTTP loopback registry refuses instead of falling back; the default still falls back', async (t) => {
  const dir = tempDir(t, 'tug-tls-explicit-');
  const explicit = await runTug(['copy', '--src-tls-verify=true', `docker://${reg.host}/src/app:v1`, `dir:${join(dir, 'a')}`], { env: CLEAN });
  assert.equal(explicit.code, 5, explicit.stderr);
  assert.match(explicit.stderr, /does not speak TLS/);
  assert.match(explicit.stderr, /--tls-verify=false|--plain-http/);
  const file = join(dir, 'sync.yaml');
  writeFileSync(file, ['apiVersion: tugboat.dev/v1alpha1', 'kind: SyncConfig', 'registries:', `  ${reg.host}:`, '    tls-verify: true', 'images:', `  - source: ${reg.host}/src/app`, '    tags: [v1]', ''].join('\n'));
  const sync = await runTug(['sync', file, `${reg.host}/tls-explicit`], { env: CLEAN });
  assert.notEqual(sync.code, 0);
  assert.match(sync.stdout + sync.stderr, /does not speak TLS/);
  const skopeoYaml = join(dir, 'skopeo.yaml');
  writeFileSync(skopeoYaml, [`${reg.host}:`, '  tls-verify: true', '  images:', '    src/app: [v1]', ''].join('\n'));
  const skopeoSync = await runTug(['sync', skopeoYaml, `${reg.host}/tls-explicit-skopeo`], { env: CLEAN });
  assert.notEqual(skopeoSync.code, 0);
  assert.match(skopeoSync.stdout + skopeoSync.stderr, /does not speak TLS/);
  const dflt = await runTug(['copy', `docker://${reg.host}/src/app:v1`, `dir:${join(dir, 'b')}`], { env: CLEAN });
  assert.equal(dflt.code, 0, dflt.stderr);
});
