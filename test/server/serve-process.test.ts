/**
 * The real `tug serve` as a child process, driven by the real `tug apply`,
 * `tug get` and `tug delete`: a server killed with SIGKILL in the middle of a
 * sync and restarted on the same data directory leaves nothing `Syncing`;
 * SIGTERM shuts down cleanly.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { API_PREFIX } from '../../src/api/types.ts';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.ts';
import { makeImage, pushImage } from '../support/images.ts';
import { type TestRegistry, startRegistry } from '../support/registry.ts';
import { type ServeProcess, spawnServe } from '../support/serve.ts';
import { tempDir } from '../support/tmp.ts';
import { runTug } from '../support/tug.ts';
import { waitFor } from '../support/wait.ts';
import { SEED_REPOSITORY_EXAMPLE } from './seed-examples.ts';

const ADMIN = 'tug_test-admin-token-0123456789abcdef';
let registry: TestRegistry;
let proxy: FaultProxy;
let work: string;
/** The server of this file: one data directory, restarted on it (on whatever port the kernel gives). */
let server: ServeProcess | undefined;

async function startServe(): Promise<ServeProcess> {
  server = await spawnServe(['--data', join(work, 'data'), '--admin-token-file', join(work, 'admin-token'), '--replica-id', 'replica-under-test', '--shutdown-timeout', '2'], { env: { TUG_SECRET_KEY: '' } });
  return server;
}

/** The running server, started on the file's data directory if none is. */
async function serving(): Promise<ServeProcess> {
  return server && server.child.exitCode === null && server.child.signalCode === null ? server : startServe();
}

async function api(method: string, path: string): Promise<any> {
  const res = await fetch(`${(await serving()).url}${API_PREFIX}${path}`, { method, headers: { authorization: `Bearer ${ADMIN}` } });
  return res.json();
}

const env = () => ({ TUG_SERVER: server!.url, TUG_TOKEN: ADMIN });

function objectsFile(): string {
  const file = join(work, 'objects.yaml');
  writeFileSync(
    file,
    `apiVersion: image.theriseunion.io/v1alpha1
kind: Registry
metadata:
  name: harbor-prod
  namespace: default
spec:
  url: ${proxy.url}
  credentials:
    username: ci
    password: ci-password
---
${SEED_REPOSITORY_EXAMPLE}`,
  );
  return file;
}

/** What the later tests start from: the server up, the Registry and nginx-latest applied and synced once. */
async function withSyncedRepository(): Promise<void> {
  await serving();
  if ((await api('GET', '/namespaces/default/repositories/nginx-latest')).kind !== 'Repository') {
    const applied = await runTug(['apply', '-f', objectsFile()], { env: env() });
    assert.equal(applied.code, 0, applied.stderr);
  }
  await waitFor('a successful sync', async () => (await api('GET', '/namespaces/default/repositories/nginx-latest')).status.syncStatus === 'Success');
}

before(async () => {
  registry = await startRegistry({ users: { ci: 'ci-password' } });
  proxy = await startFaultProxy(registry.url);
  await pushImage({ url: registry.url, repository: 'library/nginx', tag: 'latest', username: 'ci', password: 'ci-password' }, await makeImage({ seed: 'crash-nginx' }));
  work = tempDir(undefined, 'tug-serve-proc-');
  writeFileSync(join(work, 'admin-token'), `${ADMIN}\n`, { mode: 0o600 });
});

after(async () => {
  await server?.stop('SIGKILL');
  await proxy?.stop();
  await registry?.stop();
});

test('tug apply creates from multi-document YAML; re-apply is unchanged; immutable edits are refused', async () => {
  await serving();
  const file = objectsFile();
  const first = await runTug(['apply', '-f', file], { env: env() });
  assert.equal(first.code, 0, first.stderr);
  assert.equal(first.stdout, 'registry.image.theriseunion.io/harbor-prod created\nrepository.image.theriseunion.io/nginx-latest created\n');
  await waitFor('the first sync', async () => (await api('GET', '/namespaces/default/repositories/nginx-latest')).status.syncStatus === 'Success');

  const again = await runTug(['apply', '-f', file], { env: env() });
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /repository\.image\.theriseunion\.io\/nginx-latest unchanged/);

  writeFileSync(join(work, 'changed.yaml'), readFileSync(file, 'utf8').split('---')[1]!.replace('tag: "latest"', 'tag: "1.27"').replace('Nginx 最新版本', 'Nginx'));
  const changed = await runTug(['apply', '-f', join(work, 'changed.yaml')], { env: env() });
  assert.notEqual(changed.code, 0);
  assert.match(changed.stderr, /delete and re-create/);

  const get = await runTug(['get', 'repositories'], { env: env() });
  assert.equal(get.code, 0, get.stderr);
  assert.match(get.stdout, /^NAME\s+DISPLAY NAME\s+REGISTRY\s+IMAGE\s+STATUS/);
  assert.match(get.stdout, /nginx-latest\s+Nginx 最新版本\s+127\.0\.0\.1:\d+\s+library\/nginx:latest\s+Success/);
  const json = await runTug(['get', 'repository', 'nginx-latest', '-o', 'json'], { env: env() });
  assert.equal(JSON.parse(json.stdout).status.syncStatus, 'Success');
  const yaml = await runTug(['get', 'registries', '-A', '-o', 'yaml'], { env: env() });
  assert.match(yaml.stdout, /hasPassword: true/);
  assert.doesNotMatch(yaml.stdout, /ci-password/);
  const runs = await runTug(['get', 'syncruns', 'nginx-latest', '-o', 'wide'], { env: env() });
  assert.match(runs.stdout, /create\s+1\s+Succeeded/);
  const denied = await runTug(['get', 'repositories'], { env: { ...env(), TUG_TOKEN: '' } });
  assert.equal(denied.code, 5);
  assert.match(denied.stderr, /authentication required/);
});

test('killed with SIGKILL mid-sync and restarted: the run is Interrupted, nothing stays Syncing', async () => {
  await withSyncedRepository();
  // Hold the registry's answers so the manual sync is surely in flight.
  proxy.setFaults([{ kind: 'delay', ms: 60_000, path: /\/manifests\//, times: 100 }]);
  const r = await api('POST', '/namespaces/default/repositories/nginx-latest/sync');
  assert.equal(r.kind, 'SyncRun');
  await waitFor('Syncing', async () => (await api('GET', '/namespaces/default/repositories/nginx-latest')).status.syncStatus === 'Syncing');
  const running = (await api('GET', '/namespaces/default/repositories/nginx-latest/syncruns')).items[0];
  assert.equal(running.status.phase, 'Running');
  await server!.stop('SIGKILL');
  proxy.setFaults([]);

  await startServe();
  const interrupted = await waitFor('the run to be marked Interrupted', async () => {
    const run = (await api('GET', `/namespaces/default/repositories/nginx-latest/syncruns/${running.metadata.name}`));
    return run.status.phase === 'Interrupted' && run;
  }, 20_000);
  assert.match(interrupted.status.error, /interrupted/);
  const repo = await waitFor('the repository to sync again', async () => {
    const x = await api('GET', '/namespaces/default/repositories/nginx-latest');
    return x.status.syncStatus === 'Success' && x;
  }, 30_000);
  assert.notEqual(repo.status.lastRunName, running.metadata.name);
  const runs = (await api('GET', '/namespaces/default/repositories/nginx-latest/syncruns')).items;
  assert.ok(runs.some((x: any) => x.spec.trigger === 'recovery' && x.status.phase === 'Succeeded'), JSON.stringify(runs.map((x: any) => [x.spec.trigger, x.status.phase])));
  assert.ok(runs.every((x: any) => x.status.phase !== 'Running'));
});

test('tug delete repository, then SIGTERM exits cleanly', async () => {
  await withSyncedRepository();
  const del = await runTug(['delete', 'repository', 'nginx-latest', '-n', 'default'], { env: env() });
  assert.equal(del.code, 0, del.stderr);
  assert.equal(del.stdout, 'repository.image.theriseunion.io "nginx-latest" deleted\n');
  const gone = await runTug(['get', 'repository', 'nginx-latest'], { env: env() });
  assert.equal(gone.code, 1);
  assert.match(gone.stderr, /not found/);
  assert.equal(await server!.stop('SIGTERM'), 0, server!.stderr());
});
