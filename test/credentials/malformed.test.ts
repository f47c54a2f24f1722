import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TugError } from '../../src/errors/index.ts';
import { lookupCredentials, parseCredsFlag, storeCredentials } from '../../src/credentials/index.ts';
import { b64, tempHome } from './fixture.ts';

const SECRET = 'hunter2-very-secret';

const malformed: Array<{ name: string; text: string; what: RegExp }> = [
  { name: 'truncated JSON', text: `{"auths": {"r.example.com": {"auth": "${b64(`u:${SECRET}`)}"`, what: /not valid JSON/ },
  { name: 'secret in a syntax error', text: `{"auths": {"r.example.com": {"auth": ${SECRET}}}}`, what: /not valid JSON/ },
  { name: 'top level array', text: `["${SECRET}"]`, what: /top level is not a JSON object/ },
  { name: 'auths not an object', text: `{"auths": "${SECRET}"}`, what: /"auths" is not an object/ },
  { name: 'entry not an object', text: `{"auths": {"r.example.com": "${SECRET}"}}`, what: /entry for "r.example.com" is not an object/ },
  { name: 'auth not a string', text: `{"auths": {"r.example.com": {"auth": ["${SECRET}"]}}}`, what: /"auth" of "r.example.com" is not a string/ },
  { name: 'auth without a colon', text: `{"auths": {"r.example.com": {"auth": "${b64(SECRET)}"}}}`, what: /"auth" of "r.example.com" is not base64 of "user:password"/ },
  { name: 'bad credHelpers', text: `{"credHelpers": {"r.example.com": "${SECRET}; rm -rf"}}`, what: /credHelpers\["r.example.com"\] is not a helper name/ },
];

for (const c of malformed) {
  test(`malformed auth file: ${c.name}`, async () => {
    const t = tempHome();
    try {
      const file = t.write('auth.json', c.text);
      await assert.rejects(lookupCredentials('r.example.com', { env: t.env, authFile: file }), (err: unknown) => {
        assert.ok(err instanceof TugError);
        assert.equal(err.code, 'USAGE');
        assert.ok(err.message.includes(file), 'names the file');
        assert.match(err.message, c.what);
        assert.ok(!err.describe().includes(SECRET), 'never quotes the secret');
        assert.ok(!err.describe().includes(b64(SECRET).slice(0, 12)), 'nor its base64');
        return true;
      });
      const store = storeCredentials('r.example.com', { username: 'u', password: 'p' }, { env: t.env, authFile: file });
      if (c.name === 'auth without a colon') {
        // Entries are decoded when used: a login replaces the bad one.
        await store;
        assert.deepEqual(await lookupCredentials('r.example.com', { env: t.env, authFile: file }), { username: 'u', password: 'p' });
      } else {
        // A file that cannot be parsed is refused, not replaced.
        await assert.rejects(store, /is malformed/);
      }
    } finally {
      t.cleanup();
    }
  });
}

test('an empty auth file is an empty file, not an error', async () => {
  const t = tempHome();
  try {
    const file = t.write('auth.json', '');
    assert.equal(await lookupCredentials('r.example.com', { env: t.env, authFile: file }), undefined);
  } finally {
    t.cleanup();
  }
});

test('parseCredsFlag', () => {
  const ok: Array<[string, string, string]> = [
    ['user:pass', 'user', 'pass'],
    ['user:pa:ss:', 'user', 'pa:ss:'],
    ['user:', 'user', ''],
    ['<token>:abc', '<token>', 'abc'],
  ];
  for (const [input, username, password] of ok) assert.deepEqual(parseCredsFlag(input), { username, password }, input);
  for (const bad of [SECRET, `:${SECRET}`, '']) {
    assert.throws(
      () => parseCredsFlag(bad),
      (err: unknown) => err instanceof TugError && err.code === 'USAGE' && !err.describe().includes(SECRET) && /--creds/.test(err.message),
      JSON.stringify(bad),
    );
  }
});
