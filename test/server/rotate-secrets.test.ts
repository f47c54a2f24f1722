/**
 * Secret key rotation: a previous key opens but never seals, and
 * rotate-secrets leaves every stored credential sealed with the current key
 * only, on both stores and through the real CLI.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { openStore } from '../../src/store/index.ts';
import { rotateSecrets } from '../../src/server/rotate-secrets.ts';
import { createSecrets, openRegistrySecret, registrySecretAad, secretAad } from '../../src/server/secrets.ts';
import type { Registry } from '../../src/api/types.ts';
import { backends, registry } from '../store/backends.ts';
import { runTug } from '../support/tug.ts';
import { tempDir } from '../support/tmp.ts';

const oldKey = randomBytes(32);
const newKey = randomBytes(32);
const strangerKey = randomBytes(32);

function withCreds(r: Registry): Registry {
  return { ...r, spec: { ...r.spec, credentials: { username: 'ci', hasPassword: true } } };
}

for (const backend of backends) {
  describe(`rotate-secrets (${backend.name})`, () => {
    test('previous keys open, the current key seals; a rotation leaves only the current key needed, and a second run changes nothing', async () => {
      const store = await (await backend.database()).open();
      const old = createSecrets(oldKey);
      const harbor = withCreds(registry('team-a', 'harbor', 'https://harbor.example.com'));
      const quay = withCreds(registry('team-b', 'quay', 'https://quay.example.com:8443'));
      await store.create('Registry', harbor, { secret: old.seal({ password: 'hunter2' }, registrySecretAad(harbor)) });
      // A v1 value (identity only), as written before endpoint binding.
      const legacy = old.seal({ token: 'tok-123' }, secretAad('team-b', 'quay')).replace(/^v2\./, 'v1.');
      await store.create('Registry', quay, { secret: legacy });
      const untouched = registry('team-a', 'anonymous');
      await store.create('Registry', untouched);

      const rotating = createSecrets(newKey, [oldKey]);
      const sealedHarbor = (await store.getSecret('Registry', 'team-a', 'harbor'))!;
      assert.deepEqual(openRegistrySecret(rotating, harbor, sealedHarbor), { password: 'hunter2' }, 'a previous key opens');
      assert.equal(rotating.isCurrent(sealedHarbor, registrySecretAad(harbor)), false);
      assert.match(rotating.seal({ password: 'x' }, 'aad'), /^v2\./);
      assert.throws(() => old.open(rotating.seal({ password: 'x' }, 'aad'), 'aad'), /cannot be decrypted/, 'new seals use the current key, not a previous one');

      const first = await rotateSecrets(store, rotating);
      assert.deepEqual(first, { rotated: ['team-a/harbor', 'team-b/quay'], current: [], raced: [], failed: [] });

      const onlyNew = createSecrets(newKey);
      for (const [r, expected] of [[harbor, { password: 'hunter2' }], [quay, { token: 'tok-123' }]] as const) {
        const sealed = (await store.getSecret('Registry', r.metadata.namespace, r.metadata.name))!;
        assert.match(sealed, /^v2\./, 'rotation also moves v1 values to the endpoint-bound format');
        assert.deepEqual(openRegistrySecret(onlyNew, r, sealed), expected);
        assert.throws(() => openRegistrySecret(old, r, sealed), /cannot be decrypted/, 'the old key no longer opens anything');
      }
      assert.equal(await store.getSecret('Registry', 'team-a', 'anonymous'), undefined);
      const rv = (await store.get('Registry', 'team-a', 'harbor'))!.metadata.resourceVersion;

      const second = await rotateSecrets(store, rotating);
      assert.deepEqual(second, { rotated: [], current: ['team-a/harbor', 'team-b/quay'], raced: [], failed: [] });
      assert.equal((await store.get('Registry', 'team-a', 'harbor'))!.metadata.resourceVersion, rv, 'the object is not rewritten: watchers see nothing');
    });

    test('a value no key opens is reported, the rest still rotate; a value changed meanwhile is kept', async () => {
      const store = await (await backend.database()).open();
      const lost = withCreds(registry('default', 'lost'));
      const fine = withCreds(registry('default', 'fine'));
      await store.create('Registry', lost, { secret: createSecrets(strangerKey).seal({ password: 'p' }, registrySecretAad(lost)) });
      const sealed = createSecrets(oldKey).seal({ password: 'q' }, registrySecretAad(fine));
      await store.create('Registry', fine, { secret: sealed });

      const report = await rotateSecrets(store, createSecrets(newKey, [oldKey]));
      assert.deepEqual(report.rotated, ['default/fine']);
      assert.equal(report.failed.length, 1);
      assert.match(report.failed[0]!, /^default\/lost: stored credentials of Registry\/default\/lost cannot be decrypted$/);

      assert.equal(await store.replaceSecret('Registry', 'default', 'fine', sealed, 'v2.stale'), false, 'compare-and-set refuses a value that changed');
      assert.notEqual(await store.getSecret('Registry', 'default', 'fine'), 'v2.stale');
    });
  });
}

describe('tug serve rotate-secrets and token create (the CLI, SQLite)', () => {
  const work = tempDir(undefined, 'tug-rotate-');
  const data = join(work, 'data');
  const oldFile = join(work, 'old.key');
  const newFile = join(work, 'new.key');
  writeFileSync(oldFile, `${oldKey.toString('base64')}\n`, { mode: 0o600 });
  writeFileSync(newFile, `${newKey.toString('base64')}\n`, { mode: 0o600 });

  test('re-seals with --secret-key-file, exits 5 naming the key to add when a value opens with none', async () => {
    const store = await openStore({ data });
    const harbor = withCreds(registry('default', 'harbor'));
    try {
      await store.create('Registry', harbor, { secret: createSecrets(oldKey).seal({ password: 'hunter2' }, registrySecretAad(harbor)) });
    } finally {
      await store.close();
    }

    const without = await runTug(['serve', 'rotate-secrets', '--data', data, '--secret-key-file', newFile], { env: { TUG_SECRET_KEY: '' } });
    assert.equal(without.code, 5, without.stderr);
    assert.match(without.stdout, /^rotated 0, already current 0, changed meanwhile 0, failed 1$/m);
    assert.match(without.stderr, /default\/harbor: stored credentials of Registry\/default\/harbor cannot be decrypted/);
    assert.match(without.stderr, /--previous-secret-key-file/);
    assert.doesNotMatch(without.stderr + without.stdout, /hunter2/);

    const run = await runTug(['serve', 'rotate-secrets', '--data', data, '--secret-key-file', newFile, '--previous-secret-key-file', oldFile], { env: { TUG_SECRET_KEY: '' } });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^rotated 1, already current 0, changed meanwhile 0, failed 0$/m);

    const after_ = await openStore({ data });
    try {
      const sealed = (await after_.getSecret('Registry', 'default', 'harbor'))!;
      assert.deepEqual(openRegistrySecret(createSecrets(newKey), harbor, sealed), { password: 'hunter2' });
    } finally {
      await after_.close();
    }
  });

  test('a subcommand\'s --data is its own: token create writes the token into that store, not ./.tugboat', async () => {
    const dir = join(work, 'tokens');
    const run = await runTug(['serve', 'token', 'create', '--name', 'ci', '--role', 'viewer', '--data', dir], { env: { TUG_SECRET_KEY: '' } });
    assert.equal(run.code, 0, run.stderr);
    const store = await openStore({ data: dir });
    try {
      assert.deepEqual((await store.listTokens()).map((t) => t.name), ['ci']);
    } finally {
      await store.close();
    }
  });

  test('token create refuses what POST /tokens refuses, in one line: the reserved file name, a bad name, a taken name', async () => {
    const dir = join(work, 'tokens-refused');
    const create = (...extra: string[]) => runTug(['serve', 'token', 'create', '--role', 'admin', '--data', dir, ...extra], { env: { TUG_SECRET_KEY: '' } });
    for (const [args, message] of [
      [['--name', 'admin-file'], /"admin-file" is reserved for the --admin-token-file token/],
      [['--name', 'Not_A_Name'], /^tug: error: token name: /m],
      [['--name', 'ok', '--namespace', 'UPPER'], /^tug: error: token namespaces\.0: /m],
    ] as const) {
      const run = await create(...args);
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, message);
    }
    assert.equal((await create('--name', 'ops')).code, 0);
    const again = await create('--name', 'ops');
    assert.equal(again.code, 2);
    assert.match(again.stderr, /a token named "ops" already exists/);
  });

  test('never generates a key of its own: no key is one line and exit 2', async () => {
    const empty = join(work, 'empty');
    const run = await runTug(['serve', 'rotate-secrets', '--data', empty], { env: { TUG_SECRET_KEY: '' } });
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /no secret key for registry credentials/);
  });
});
