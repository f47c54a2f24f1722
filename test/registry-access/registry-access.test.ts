/**
 * The server reaches a Registry only with what the Registry stores: its URL,
 * TLS settings and decrypted credentials, never an auth file or credential
 * helper of the server's user (SystemContext.noAuthFile).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { API_VERSION, type Registry } from '../../src/api/types.ts';
import { resolveCredentials } from '../../src/distribution/credentials.ts';
import { registryAccess } from '../../src/registry-access/registry-access.ts';
import { b64, tempHome } from '../credentials/fixture.ts';

const HOST = 'registry.example.com:5000';

function registry(spec: Registry['spec']): Registry {
  return { apiVersion: API_VERSION, kind: 'Registry', metadata: { namespace: 'team', name: 'harbor' }, spec };
}

test('registryAccess: the stored URL and credentials, and no auth file', () => {
  const cases: { name: string; spec: Registry['spec']; secret?: { password?: string; token?: string }; want: { host: string; credentials?: unknown; registryToken?: string; plainHttp?: boolean } }[] = [
    { name: 'anonymous', spec: { url: `https://${HOST}` }, want: { host: HOST } },
    { name: 'username and password', spec: { url: `https://${HOST}`, credentials: { username: 'robot' } }, secret: { password: 'pw' }, want: { host: HOST, credentials: { username: 'robot', password: 'pw' } } },
    { name: 'token wins over password', spec: { url: `https://${HOST}`, credentials: { username: 'robot' } }, secret: { password: 'pw', token: 't0k' }, want: { host: HOST, registryToken: 't0k' } },
    { name: 'plain HTTP from the URL', spec: { url: `http://${HOST}` }, want: { host: HOST, plainHttp: true } },
  ];
  for (const c of cases) {
    const { host, ctx } = registryAccess(registry(c.spec), c.secret);
    assert.equal(host, c.want.host, c.name);
    assert.equal(ctx.noAuthFile, true, `${c.name}: the server user's auth files stay out`);
    assert.equal(ctx.authFile, undefined, `${c.name}: no placeholder path stands in for "no auth file"`);
    assert.deepEqual(ctx.credentials, c.want.credentials, c.name);
    assert.equal(ctx.registryToken, c.want.registryToken, c.name);
    assert.equal(ctx.plainHttp, c.want.plainHttp, c.name);
  }
});

test('resolveCredentials: noAuthFile reads no auth file; explicit credentials still apply', async () => {
  const t = tempHome();
  try {
    const file = t.write('auth.json', { auths: { [HOST]: { auth: b64('alice:from-file') } } });
    assert.deepEqual(await resolveCredentials(HOST, undefined, { authFile: file }), { username: 'alice', password: 'from-file' }, 'the file is read without noAuthFile');
    assert.equal(await resolveCredentials(HOST, undefined, { authFile: file, noAuthFile: true }), undefined);
    const creds = { username: 'robot', password: 'stored' };
    assert.deepEqual(await resolveCredentials(HOST, undefined, { authFile: file, noAuthFile: true, credentials: creds }), creds);
  } finally {
    t.cleanup();
  }
});
