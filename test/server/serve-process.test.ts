/**
 * The real `tug serve` as a child process, driven by the real `tug apply`,
 * `tug get` and `tug delete`: a server killed with SIGKILL in the middle of a
 * sync and restarted on the same data directory leaves nothing `Syncing`;
 * SIGTERM shuts down cleanly.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { API_PREFIX } from '../../src/api/types.ts';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.ts';
import { makeImage, pushImage } from '../support/images.ts';
import { type TestRegistry, freePort, startRegistry } from '../support/registry.ts';
import { SEED_REPOSITORY_EXAMPLE } from './seed-examples.ts';
import { TUG_BIN, runTug } from '../support/tug.ts';
import { waitFor } from './harness.ts';

const ADMIN = 'tug_test-admin-token-0123456789abcdef';
let registry: TestRegistry;
let proxy: FaultProxy;
let work: string;
let port: number;
let server: ChildProcess | undefined;
let stderr = '';
const children = new Set<ChildProcess>();

function startServe(): ChildProcess {
  const child = spawn(process.execPath, [TUG_BIN, 'serve', '--listen', `127.0.0.1:${port}`, '--data', join(work, 'data'), '--admin-token-file', join(work, 'admin-token'), '--replica-id', 'replica-under-test', '--shutdown-timeout', '2'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TUG_SECRET_KEY: '' },
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  child.stdout!.on('data', (d: Buffer) => void d);
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return child;
}

async function api(method: string, path: string): Promise<any> {
  const res = await fetch(`http://127.0.0.1:${port}${API_PREFIX}${path}`, { method, headers: { authorization: `Bearer ${ADMIN}` } });
  return res.json();
}

async function ready(): Promise<void> {
  await waitFor('tug serve to be ready', async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok, 20_000);
}

const env = () => ({ TUG_SERVER: `http://127.0.0.1:${port}`, TUG_TOKEN: ADMIN });

before(async () => {
  registry = await startRegistry({ users: { ci: 'ci-password' } });
  proxy = await startFaultProxy(registry.url);
  await pushImage({ url: registry.url, repository: 'library/nginx', tag: 'latest', username: 'ci', password: 'ci-password' }, await makeImage({ seed: 'crash-nginx' }));
  work = mkdtempSync(join(tmpdir(), 'tug-serve-proc-'));
  writeFileSync(join(work, 'admin-token'), `${ADMIN}\n`, { mode: 0o600 });
  port = await freePort();
});

after(async () => {
  for (const c of children) c.kill('SIGKILL');
  await proxy?.stop();
  await registry?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

test('tug apply creates from multi-document YAML; re-apply is unchanged; immutable edits are refused', async () => {
  server = startServe();
  await ready();
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
  // Hold the registry's answers so the manual sync is surely in flight.
  proxy.setFaults([{ kind: 'delay', ms: 60_000, path: /\/manifests\//, times: 100 }]);
  const r = await api('POST', '/namespaces/default/repositories/nginx-latest/sync');
  assert.equal(r.kind, 'SyncRun');
  await waitFor('Syncing', async () => (await api('GET', '/namespaces/default/repositories/nginx-latest')).status.syncStatus === 'Syncing');
  const running = (await api('GET', '/namespaces/default/repositories/nginx-latest/syncruns')).items[0];
  assert.equal(running.status.phase, 'Running');
  server!.kill('SIGKILL');
  await new Promise((res) => server!.once('exit', res));
  proxy.setFaults([]);

  server = startServe();
  await ready();
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
  const del = await runTug(['delete', 'repository', 'nginx-latest', '-n', 'default'], { env: env() });
  assert.equal(del.code, 0, del.stderr);
  assert.equal(del.stdout, 'repository.image.theriseunion.io "nginx-latest" deleted\n');
  const gone = await runTug(['get', 'repository', 'nginx-latest'], { env: env() });
  assert.equal(gone.code, 1);
  assert.match(gone.stderr, /not found/);
  const exited = new Promise<number | null>((res) => server!.once('exit', (code) => res(code)));
  server!.kill('SIGTERM');
  assert.equal(await exited, 0, stderr);
});
