/**
 * Repositories synced by the real scheduler against a real docker-registry:
 * status matches skopeo, multi-arch platforms, failure reasons, timeouts,
 * retries, mirrors that move only new layers, registry checks, and a canary
 * password that must never leave the server (responses, logs, database).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.ts';
import { makeImage, multiArch, pushImage, sha256 } from '../support/images.ts';
import { type TestRegistry, startRegistry } from '../support/registry.ts';
import { rawManifest, skopeo } from '../support/skopeo.ts';
import { type TestServer, registryDoc, repositoryDoc, startTestServer, waitFor } from './harness.ts';

const CANARY = 'CANARY-pw-7f3a9c1e5b';

let src: TestRegistry;
let mirror: TestRegistry;
let proxy: FaultProxy;
let s: TestServer;

async function settled(name: string, ns = 'default', timeoutMs = 30_000): Promise<any> {
  return waitFor(`${ns}/${name} to settle`, async () => {
    const r = await s.api('GET', `/namespaces/${ns}/repositories/${name}`);
    const st = r.body?.status?.syncStatus;
    return (st === 'Success' || st === 'Failed') && r.body;
  }, timeoutMs);
}

async function runs(name: string, ns = 'default'): Promise<any[]> {
  return (await s.api('GET', `/namespaces/${ns}/repositories/${name}/syncruns`)).body.items;
}

before(async () => {
  src = await startRegistry({ users: { alice: CANARY } });
  mirror = await startRegistry({ users: { mirror: 'mirror-pw' } });
  proxy = await startFaultProxy(src.url);
  const auth = { username: 'alice', password: CANARY };
  await pushImage({ url: src.url, repository: 'library/nginx', tag: 'latest', ...auth }, await makeImage({ seed: 'nginx', layerSizes: [300_000, 4096], created: '2024-01-08T08:00:00Z' }));
  await pushImage({ url: src.url, repository: 'library/redis', tag: '7-alpine', ...auth }, await multiArch('redis'));
  s = await startTestServer({ retryBaseMs: 50 });
  const mk = async (doc: object, ns = 'default') => assert.equal((await s.api('POST', `/namespaces/${ns}/registries`, { body: doc })).status, 201);
  await mk(registryDoc('harbor-prod', src.url, { credentials: { username: 'alice', password: CANARY } }));
  await mk(registryDoc('wrong-pw', src.url, { credentials: { username: 'alice', password: 'not-it' } }));
  await mk(registryDoc('anonymous', src.url));
  await mk(registryDoc('slow', proxy.url, { credentials: { username: 'alice', password: CANARY } }));
  await mk(registryDoc('mirror', mirror.url, { credentials: { username: 'mirror', password: 'mirror-pw' } }));
});

after(async () => {
  await s?.close();
  await proxy?.stop();
  await src?.stop();
  await mirror?.stop();
});

describe('sync against a real registry', () => {
  test('a new Repository goes Pending -> Success; its status matches skopeo', async () => {
    const created = await s.api('POST', '/namespaces/default/repositories', { body: repositoryDoc('nginx-latest', { repository: 'library/nginx', tag: 'latest', registryRef: { name: 'harbor-prod' } }) });
    assert.equal(created.status, 201);
    assert.equal(created.body.status.syncStatus, 'Pending');
    const repo = await settled('nginx-latest');
    assert.equal(repo.status.syncStatus, 'Success', repo.status.message);
    const creds = ['--creds', `alice:${CANARY}`, '--tls-verify=false'];
    const raw = await rawManifest(`docker://${src.host}/library/nginx:latest`, creds);
    const inspect = JSON.parse(await skopeo(['inspect', ...creds, `docker://${src.host}/library/nginx:latest`]));
    const manifest = JSON.parse(raw);
    assert.equal(repo.status.observedDigest, sha256(Buffer.from(raw)));
    assert.equal(repo.status.observedDigest, inspect.Digest);
    assert.equal(repo.status.domain, src.host);
    assert.equal(repo.status.manifest.architecture, inspect.Architecture);
    assert.equal(repo.status.manifest.os, inspect.Os);
    assert.equal(repo.status.manifest.created, inspect.Created);
    assert.deepEqual(repo.status.manifest.layers.map((l: any) => l.digest), inspect.Layers);
    assert.deepEqual(repo.status.manifest.layers.map((l: any) => [l.digest, l.size]), manifest.layers.map((l: any) => [l.digest, String(l.size)]));
    const total = manifest.config.size + manifest.layers.reduce((n: number, l: any) => n + l.size, 0);
    assert.equal(repo.status.manifest.sizeBytes, total);
    assert.match(repo.status.manifest.size, /^\d+(\.\d+)?(B|kB|MB)$/);
    assert.ok(repo.status.lastSynced);
    assert.ok(Date.parse(repo.status.nextSyncTime) > Date.now() + 50 * 60_000, 'next sync about an hour away');
    assert.equal(repo.status.health.pullable, true);
    const [run] = await runs('nginx-latest');
    assert.equal(run.spec.trigger, 'create');
    assert.equal(run.status.phase, 'Succeeded');
    assert.equal(run.status.digestAfter, repo.status.observedDigest);
    assert.equal(run.status.layersAdded.length, 2);
    const log = await s.api('GET', `/namespaces/default/repositories/nginx-latest/syncruns/${run.metadata.name}/log`);
    assert.equal(log.status, 200);
    assert.ok(log.body.lines.some((l: any) => l.message.includes(repo.status.observedDigest)));
    assert.equal((await s.api('GET', `/namespaces/default/repositories/nginx-latest/syncruns/${run.metadata.name}`)).body.metadata.name, run.metadata.name);
  });

  test('a multi-arch image records every platform', async () => {
    await s.api('POST', '/namespaces/default/repositories', { body: repositoryDoc('redis-multiarch', { repository: 'library/redis', tag: '7-alpine', registryRef: { name: 'harbor-prod' }, syncInterval: '12h' }) });
    const repo = await settled('redis-multiarch');
    assert.equal(repo.status.syncStatus, 'Success', repo.status.message);
    const index = JSON.parse(await rawManifest(`docker://${src.host}/library/redis:7-alpine`, ['--creds', `alice:${CANARY}`, '--tls-verify=false']));
    assert.equal(repo.status.mediaType, 'application/vnd.oci.image.index.v1+json');
    assert.deepEqual(
      repo.status.platforms.map((p: any) => [p.digest, p.os, p.architecture, p.variant ?? '']),
      index.manifests.map((m: any) => [m.digest, m.platform.os, m.platform.architecture, m.platform.variant ?? '']),
    );
    assert.equal(repo.status.manifest.architecture, 'amd64');
    for (const p of repo.status.platforms) assert.equal(p.layers.length, 3);
  });

  test('manual sync: 202 with the run; unchanged tag keeps its status', async () => {
    await s.api('POST', '/namespaces/default/repositories', { body: repositoryDoc('manual-me', { repository: 'library/nginx', tag: 'latest', registryRef: { name: 'harbor-prod' } }) });
    assert.equal((await settled('manual-me')).status.syncStatus, 'Success');
    const r = await s.api('POST', '/namespaces/default/repositories/manual-me/sync');
    assert.equal(r.status, 202, r.text);
    assert.equal(r.body.kind, 'SyncRun');
    assert.equal(r.body.spec.trigger, 'manual');
    await waitFor('the manual run to finish', async () => (await runs('manual-me')).find((x) => x.metadata.name === r.body.metadata.name && x.status.phase === 'Succeeded'));
    const [latest] = await runs('manual-me');
    assert.deepEqual(latest.status.layersAdded, []);
    assert.deepEqual(latest.status.layersRemoved, []);
  });

  test('bad credentials: Failed, the message says authentication; not retried (failed logins lock accounts)', async () => {
    await s.api('POST', '/namespaces/default/repositories', { body: repositoryDoc('bad-auth', { repository: 'library/nginx', tag: 'latest', registryRef: { name: 'wrong-pw' }, retryCount: 2 }) });
    const repo = await settled('bad-auth');
    assert.equal(repo.status.syncStatus, 'Failed');
    // "not retried" is the scheduler's last word on this claim (no attempt follows it), and the next sync is an interval away.
    assert.match(repo.status.message, /authenticat.*not retried/i);
    assert.ok(Date.parse(repo.status.nextSyncTime) > Date.now() + 30 * 60_000, `next sync ${repo.status.nextSyncTime}: an interval away, not a retry`);
    assert.equal(repo.status.health.pullable, false);
    const all = await runs('bad-auth');
    assert.deepEqual(all.map((x: any) => [x.spec.attempt, x.status.phase]), [[1, 'Failed']]);
    assert.match(all[0].status.error, /authenticat/i);
  });

  test('a temporary failure is retried: every attempt is its own run', async () => {
    // Five 503s use up the first attempt's per-request retries (Retry-After: 0, no waiting); the second attempt gets through.
    proxy.setFaults([{ kind: 'status', status: 503, retryAfter: '0', path: /\/manifests\//, times: 5 }]);
    try {
      await s.api('POST', '/namespaces/default/repositories', { body: repositoryDoc('flaky', { repository: 'library/nginx', tag: 'latest', registryRef: { name: 'slow' }, retryCount: 2 }) });
      const repo = await settled('flaky');
      assert.equal(repo.status.syncStatus, 'Success', repo.status.message);
      const all = (await runs('flaky')).sort((a: any, b: any) => a.spec.attempt - b.spec.attempt);
      assert.deepEqual(all.map((x: any) => [x.spec.attempt, x.spec.trigger, x.status.phase]), [[1, 'create', 'Failed'], [2, 'retry', 'Succeeded']]);
      assert.match(all[0].status.error, /503/);
    } finally {
      proxy.setFaults([]);
    }
  });

  test('anonymous access to a protected registry fails with an authentication message', async () => {
    await s.api('POST', '/namespaces/default/repositories', { body: repositoryDoc('anon', { repository: 'library/nginx', tag: 'latest', registryRef: { name: 'anonymous' }, retryCount: 0 }) });
    const repo = await settled('anon');
    assert.equal(repo.status.syncStatus, 'Failed');
    assert.match(repo.status.message, /authenticat/i);
  });

  test('a missing tag: Failed, not found', async () => {
    await s.api('POST', '/namespaces/default/repositories', { body: repositoryDoc('no-tag', { repository: 'library/nginx', tag: 'does-not-exist', registryRef: { name: 'harbor-prod' }, retryCount: 0 }) });
    const repo = await settled('no-tag');
    assert.equal(repo.status.syncStatus, 'Failed');
    assert.match(repo.status.message, /not found|manifest unknown/i);
  });

  test('a missing Registry: Failed, says which', async () => {
    await s.api('POST', '/namespaces/default/repositories', { body: repositoryDoc('no-registry', { repository: 'library/nginx', tag: 'latest', registryRef: { name: 'ghost' }, retryCount: 0 }) });
    const repo = await settled('no-registry');
    assert.match(repo.status.message, /registry default\/ghost .* does not exist/);
  });

  test('syncTimeout aborts a slow sync: "syncTimeout exceeded"', async () => {
    proxy.setFaults([{ kind: 'delay', ms: 4000, path: /\/manifests\//, times: 10 }]);
    try {
      await s.api('POST', '/namespaces/default/repositories', { body: repositoryDoc('too-slow', { repository: 'library/nginx', tag: 'latest', registryRef: { name: 'slow' }, syncTimeout: '1s', retryCount: 0 }) });
      proxy.requests.length = 0;
      const repo = await settled('too-slow');
      assert.equal(repo.status.syncStatus, 'Failed');
      // Aborted before the registry answered: the held request was never forwarded (the proxy drops a request whose client left).
      await proxy.idle();
      const held = proxy.requests.filter((r) => r.fault === 'delay');
      assert.ok(held.length > 0);
      assert.deepEqual(held.map((r) => r.status), held.map(() => 0), 'no held request reached the registry');
      assert.match(repo.status.message, /syncTimeout 1s exceeded/);
      const [run] = await runs('too-slow');
      assert.match(run.status.error, /syncTimeout 1s exceeded/);
    } finally {
      proxy.setFaults([]);
    }
  });

  test('mirror: the first sync copies everything, the next only new layers', async () => {
    const base = [{ seed: 'app-base', size: 200_000 }];
    const v1 = await makeImage({ seed: 'app-v1', baseLayers: base, layerSizes: [50_000] });
    await pushImage({ url: src.url, repository: 'team/app', tag: 'stable', username: 'alice', password: CANARY }, v1);
    const created = await s.api('POST', '/namespaces/default/repositories', {
      body: repositoryDoc('app-mirrored', { repository: 'team/app', tag: 'stable', registryRef: { name: 'harbor-prod' }, mirror: { registryRef: { name: 'mirror' }, repository: 'mirror/app' } }),
    });
    assert.equal(created.status, 201, created.text);
    let repo = await settled('app-mirrored');
    assert.equal(repo.status.syncStatus, 'Success', repo.status.message);
    const first = (await runs('app-mirrored'))[0];
    const v1Bytes = [...v1.blobs.values()].reduce((n, b) => n + b.size, 0);
    assert.equal(first.status.bytesMoved, v1Bytes);
    assert.equal(repo.status.mirror.image, `${mirror.host}/mirror/app:stable`);
    assert.equal(repo.status.mirror.digest, v1.top.digest);
    const mirrored = await rawManifest(`docker://${mirror.host}/mirror/app:stable`, ['--creds', 'mirror:mirror-pw', '--tls-verify=false']);
    assert.equal(sha256(Buffer.from(mirrored)), v1.top.digest);

    // v2 shares the base layer: only its own layer and config move.
    const v2 = await makeImage({ seed: 'app-v2', baseLayers: base, layerSizes: [60_000] });
    await pushImage({ url: src.url, repository: 'team/app', tag: 'stable', username: 'alice', password: CANARY }, v2);
    const manual = await s.api('POST', '/namespaces/default/repositories/app-mirrored/sync');
    assert.equal(manual.status, 202);
    repo = await waitFor('the second mirror sync', async () => {
      const r = (await s.api('GET', '/namespaces/default/repositories/app-mirrored')).body;
      return r.status.observedDigest === v2.top.digest && r.status.syncStatus === 'Success' && r;
    });
    const second = (await runs('app-mirrored'))[0];
    const newLayer = v2.manifests[0]!.layers[1]!;
    assert.equal(second.status.bytesMoved, newLayer.size + v2.manifests[0]!.config.size);
    assert.deepEqual(second.status.layersAdded, [newLayer.digest]);
    assert.deepEqual(second.status.layersRemoved, [v1.manifests[0]!.layers[1]!.digest]);
    assert.equal(second.status.digestBefore, v1.top.digest);
    assert.equal(second.status.digestAfter, v2.top.digest);
    assert.equal(repo.status.mirror.digest, v2.top.digest);
    const m = await s.api('GET', '/metrics');
    assert.match(m.text, /tug_sync_bytes_moved_total \d+/);
    assert.match(m.text, /tug_syncs_total\{result="success"\} \d+/);
  });

  test('import modes (seed 004): PreserveOriginal cut to spec.platforms, Legacy keeps one image; a platform the index lacks fails naming what it has', async () => {
    const redis = await multiArch('redis');
    const arm = redis.manifests.find((m) => m.platform.architecture === 'arm64')!;
    const amd = redis.manifests.find((m) => m.platform.architecture === 'amd64')!;
    const mirrorCreds = ['--creds', 'mirror:mirror-pw', '--tls-verify=false'];
    const mk = async (name: string, extra: Record<string, unknown>) => {
      const r = await s.api('POST', '/namespaces/default/repositories', {
        body: repositoryDoc(name, { repository: 'library/redis', tag: '7-alpine', registryRef: { name: 'harbor-prod' }, retryCount: 0, mirror: { registryRef: { name: 'mirror' }, repository: `modes/${name}` }, ...extra }),
      });
      assert.equal(r.status, 201, r.text);
      return settled(name);
    };

    // PreserveOriginal with spec.platforms: an index holding only arm64, recording the index it was cut from.
    const cut = await mk('redis-arm-only', { importMode: 'PreserveOriginal', platforms: ['linux/arm64'] });
    assert.equal(cut.status.syncStatus, 'Success', cut.status.message);
    const index = JSON.parse(await rawManifest(`docker://${mirror.host}/modes/redis-arm-only:7-alpine`, mirrorCreds));
    assert.deepEqual(index.manifests.map((d: any) => d.digest), [arm.digest]);
    assert.equal(index.annotations['io.tugboat.image.source.digest'], redis.top.digest);
    assert.deepEqual(cut.status.mirror.platforms, ['linux/arm64/v8']);
    assert.equal(cut.status.observedDigest, redis.top.digest, 'the source is described as it is');
    assert.equal(cut.status.platforms.length, 2);

    // Legacy: the index is dropped; spec.platforms (the tag annotation's role) picks arm64 over the server's own amd64.
    const legacy = await mk('redis-legacy-arm', { importMode: 'Legacy', platforms: ['linux/s390x', 'linux/arm64'] });
    assert.equal(legacy.status.syncStatus, 'Success', legacy.status.message);
    const single = await rawManifest(`docker://${mirror.host}/modes/redis-legacy-arm:7-alpine`, mirrorCreds);
    assert.equal(sha256(Buffer.from(single)), arm.digest);
    assert.equal(legacy.status.mirror.digest, arm.digest);
    assert.equal(legacy.status.manifest.architecture, 'arm64');
    const log = (await s.api('GET', `/namespaces/default/repositories/redis-legacy-arm/syncruns/${legacy.status.lastRunName}/log`)).body.lines.map((l: any) => l.message).join('\n');
    assert.match(log, /Legacy: linux\/arm64\/v8 only \(picked by spec\.platforms/);

    // Legacy without platforms: the server's platform (amd64 here), then linux/amd64.
    await mk('redis-legacy', { importMode: 'Legacy' });
    assert.equal(sha256(Buffer.from(await rawManifest(`docker://${mirror.host}/modes/redis-legacy:7-alpine`, mirrorCreds))), amd.digest);

    // A platform the index does not have: Failed, naming what it has; nothing in the mirror.
    const missing = await mk('redis-s390x', { platforms: ['linux/s390x'] });
    assert.equal(missing.status.syncStatus, 'Failed');
    assert.match(missing.status.message, /spec\.platforms names linux\/s390x, which the index does not have \(available: linux\/amd64, linux\/arm64\/v8\)/);
    await assert.rejects(rawManifest(`docker://${mirror.host}/modes/redis-s390x:7-alpine`, mirrorCreds));

    // Validation: seed 004's message for a bad mode; a bad platform names itself.
    const bad = await s.api('POST', '/namespaces/default/repositories', { body: repositoryDoc('bad-mode', { repository: 'library/redis', tag: '7-alpine', registryRef: { name: 'harbor-prod' }, importMode: 'Everything', platforms: ['arm64'] }) });
    assert.equal(bad.status, 422, bad.text);
    const causes = JSON.stringify(bad.body.details.causes);
    assert.match(causes, /valid importMode values are Legacy or PreserveOriginal/);
    assert.ok(bad.body.details.causes.some((c: any) => c.field === 'spec.platforms[0]' && c.message.startsWith('"arm64" is not a platform')), causes);
  });
});

describe('TLS registries', () => {
  test('caBundle is trusted for that registry only; without it the sync fails on the certificate', async () => {
    const tls = await startRegistry({ tls: true });
    try {
      const { Agent } = await import('undici');
      await pushImage({ url: tls.url, repository: 'secure/app', tag: 'v1', dispatcher: new Agent({ connect: { ca: tls.caPem } }) }, await makeImage({ seed: 'tls-app' }));
      assert.equal((await s.api('POST', '/namespaces/default/registries', { body: registryDoc('tls-ca', tls.url, { caBundle: tls.caPem }) })).status, 201);
      assert.equal((await s.api('POST', '/namespaces/default/registries', { body: registryDoc('tls-no-ca', tls.url) })).status, 201);
      await s.api('POST', '/namespaces/default/repositories', { body: repositoryDoc('tls-ok', { repository: 'secure/app', tag: 'v1', registryRef: { name: 'tls-ca' }, retryCount: 0 }) });
      await s.api('POST', '/namespaces/default/repositories', { body: repositoryDoc('tls-bad', { repository: 'secure/app', tag: 'v1', registryRef: { name: 'tls-no-ca' }, retryCount: 0 }) });
      const ok = await settled('tls-ok');
      assert.equal(ok.status.syncStatus, 'Success', ok.status.message);
      const bad = await settled('tls-bad', 'default', 60_000);
      assert.equal(bad.status.syncStatus, 'Failed');
      assert.match(bad.status.message, /certificate|TLS/i);
    } finally {
      await tls.stop();
    }
  });
});

describe('registry test endpoint', () => {
  test('good credentials: reachable and authenticated', async () => {
    const r = await s.api('POST', '/namespaces/default/registries/harbor-prod/test');
    assert.equal(r.status, 200);
    assert.equal(r.body.reachable, true);
    assert.equal(r.body.authenticated, true);
    assert.match((await s.api('GET', '/metrics')).text, /tug_registry_healthy\{namespace="default",name="harbor-prod"\} 1/);
  });
  test('bad credentials: reachable, not authenticated, says why', async () => {
    const r = await s.api('POST', '/namespaces/default/registries/wrong-pw/test');
    assert.equal(r.body.reachable, true);
    assert.equal(r.body.authenticated, false);
    assert.match(r.body.message, /authenticat|unauthorized|credentials/i);
    const reg = (await s.api('GET', '/namespaces/default/registries/wrong-pw')).body;
    assert.equal(reg.status.authenticated, false);
  });
  test('no credentials on a protected registry: says to add them', async () => {
    const r = await s.api('POST', '/namespaces/default/registries/anonymous/test');
    assert.equal(r.body.reachable, true);
    assert.equal(r.body.authenticated, false);
    assert.match(r.body.message, /requires authentication/);
  });
});

describe('the canary password never leaves the server', () => {
  // The password at work, whatever else ran before: a check and a sync that use it.
  before(async () => {
    assert.equal((await s.api('POST', '/namespaces/default/registries/harbor-prod/test')).body.authenticated, true);
    await s.api('POST', '/namespaces/default/repositories', { body: repositoryDoc('canary-used', { repository: 'library/nginx', tag: 'latest', registryRef: { name: 'harbor-prod' } }) });
    assert.equal((await settled('canary-used')).status.syncStatus, 'Success');
  });
  test('not in any API answer', async () => {
    const paths = ['/registries', '/repositories', '/namespaces/default/registries/harbor-prod', '/auditlogs?limit=1000', '/openapi.json'];
    for (const p of paths) assert.doesNotMatch((await s.api('GET', p)).text, new RegExp(CANARY), p);
    const repositories = (await s.api('GET', '/namespaces/default/repositories?limit=1000')).body.items.map((x: any) => x.metadata.name);
    assert.ok(repositories.includes('canary-used'));
    for (const r of repositories) {
      for (const run of await runs(r)) {
        const log = await s.api('GET', `/namespaces/default/repositories/${r}/syncruns/${run.metadata.name}/log`);
        assert.doesNotMatch(log.text, new RegExp(CANARY));
      }
    }
  });
  test('not in any log line', () => {
    assert.ok(s.logs.length > 0);
    assert.doesNotMatch(s.logs.join(''), new RegExp(CANARY));
  });
  test('not in the database files (SQLite file, WAL) in plaintext', () => {
    const files = readdirSync(s.dataDir);
    assert.ok(files.includes('tugboat.db'), files.join(','));
    for (const f of files) {
      const bytes = readFileSync(join(s.dataDir, f));
      assert.equal(bytes.indexOf(CANARY), -1, `${f} holds the password`);
      assert.equal(bytes.indexOf(Buffer.from(CANARY, 'utf16le')), -1, `${f} holds the password (utf-16)`);
    }
  });
});
