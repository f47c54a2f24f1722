import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { TugError } from '../../src/errors/index.ts';
import { helperErase, helperGet, helperList, helperStore, lookupCredentials } from '../../src/credentials/index.ts';
import { b64, tempHome } from './fixture.ts';

const HOST = 'registry.example.com';
const SECRET = 's3cr3t-Pa55:word';

const argvCalls = (log: string): string[][] =>
  existsSync(log)
    ? readFileSync(log, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as string[])
    : [];

test('helper protocol: store, get, list, erase; secrets on stdin only', async () => {
  const t = tempHome();
  try {
    const opts = { env: t.env };
    assert.equal(await helperGet('tugtest', HOST, opts), undefined, 'empty helper: credentials not found');
    await helperStore('tugtest', HOST, { username: 'alice', password: SECRET }, opts);
    assert.deepEqual(JSON.parse(readFileSync(t.helperStore, 'utf8')), { [HOST]: { Username: 'alice', Secret: SECRET } });
    assert.deepEqual(await helperGet('tugtest', HOST, opts), { username: 'alice', password: SECRET });
    assert.deepEqual(await helperList('tugtest', opts), { [HOST]: 'alice' });
    assert.equal(await helperErase('tugtest', HOST, opts), true);
    assert.equal(await helperErase('tugtest', HOST, opts), false, 'second erase: nothing there');
    assert.equal(await helperGet('tugtest', HOST, opts), undefined);
    const calls = argvCalls(t.argvLog);
    assert.deepEqual(calls, [['get'], ['store'], ['get'], ['list'], ['erase'], ['erase'], ['get']], 'argv is the action and nothing else');
    assert.ok(!readFileSync(t.argvLog, 'utf8').includes(SECRET));
  } finally {
    t.cleanup();
  }
});

test('helper failures name the helper and never the secret', async () => {
  const t = tempHome();
  try {
    await assert.rejects(helperGet('nosuch', HOST, { env: t.env }), (err: TugError) => {
      assert.equal(err.code, 'AUTH');
      assert.match(err.message, /docker-credential-nosuch/);
      assert.match(err.message, /not found on PATH/);
      return true;
    });
    await assert.rejects(helperGet('tugtest', HOST, { env: { ...t.env, TUGTEST_SLEEP_MS: '5000' }, timeoutMs: 300 }), (err: TugError) => {
      assert.equal(err.code, 'AUTH');
      assert.match(err.message, /docker-credential-tugtest get: timed out/);
      return true;
    });
    await assert.rejects(helperGet('tugtest', HOST, { env: { ...t.env, TUGTEST_GARBAGE: '1' } }), /docker-credential-tugtest get: answered with something that is not JSON/);
    // A helper that fails on store and echoes its input must not leak the secret into our error.
    const { TUGTEST_STORE: _ignored, ...noStore } = t.env;
    await assert.rejects(helperStore('tugtest', HOST, { username: 'u', password: SECRET }, { env: noStore }), (err: TugError) => {
      assert.match(err.message, /docker-credential-tugtest store: exited with status 2/);
      assert.ok(!err.describe().includes(SECRET));
      return true;
    });
  } finally {
    t.cleanup();
  }
});

test('lookup: credHelpers, then auths, then credsStore; Docker Hub as its v1 URL', async () => {
  const t = tempHome();
  try {
    writeFileSync(
      t.helperStore,
      JSON.stringify({
        [HOST]: { Username: 'from-helper', Secret: SECRET },
        'https://index.docker.io/v1/': { Username: '<token>', Secret: 'identity-tok' },
        'store.example.com': { Username: 'from-store', Secret: 'x' },
      }),
    );
    const file = t.write('auth.json', {
      auths: { [HOST]: { auth: b64('from-file:p') }, 'files.example.com': { auth: b64('from-file:p') } },
      credHelpers: { [HOST]: 'tugtest', 'https://index.docker.io/v1/': 'tugtest', 'empty.example.com': 'tugtest' },
      credsStore: 'tugtest',
    });
    const look = (host: string) => lookupCredentials(host, { env: t.env, authFile: file });
    assert.deepEqual(await look(HOST), { username: 'from-helper', password: SECRET }, 'credHelpers beats auths');
    assert.deepEqual(await look('docker.io'), { username: '<token>', password: 'identity-tok' }, 'hub asked as its v1 URL; <token> passes through');
    assert.deepEqual(await look('files.example.com'), { username: 'from-file', password: 'p' }, 'auths beats credsStore');
    assert.deepEqual(await look('store.example.com'), { username: 'from-store', password: 'x' }, 'credsStore as the fallback');
    assert.equal(await look('empty.example.com'), undefined, 'helpers without the host: nothing');
    assert.deepEqual(argvCalls(t.argvLog).slice(0, 1), [['get']]);
    assert.ok(!readFileSync(t.argvLog, 'utf8').includes(SECRET));
  } finally {
    t.cleanup();
  }
});

test('lookup: a helper without the host lets a later file answer', async () => {
  const t = tempHome();
  try {
    t.write('home/.config/containers/auth.json', { credHelpers: { [HOST]: 'tugtest' } });
    t.write('home/.docker/config.json', { auths: { [HOST]: { auth: b64('docker:p') } } });
    assert.deepEqual(await lookupCredentials(HOST, { env: t.env }), { username: 'docker', password: 'p' });
  } finally {
    t.cleanup();
  }
});
