/**
 * examples/serve/*.yaml are accepted by the API as written, driven
 * in-process with app.inject (no scheduler: nothing contacts the example
 * hosts).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { API_PREFIX } from '../../src/api/types.ts';
import { parseDocuments } from '../../src/cli/commands/apply.ts';
import { buildApp } from '../../src/server/app.ts';
import { createToken } from '../../src/server/auth.ts';
import { createLogger } from '../../src/server/logger.ts';
import { createSecrets } from '../../src/server/secrets.ts';
import { openStore } from '../../src/store/index.ts';
import { tempDir } from '../support/tmp.ts';

const examples = fileURLToPath(new URL('../../examples/serve/', import.meta.url));

test('the example registries and the seed\'s three repositories are accepted as written', async (t) => {
  const dir = tempDir(t, 'tug-examples-');
  const store = await openStore({ data: dir });
  const logger = createLogger({ destination: new Writable({ write: (_c, _e, cb) => cb() }) });
  const app = await buildApp({ store, secrets: createSecrets(randomBytes(32)), logger, webRoot: null });
  try {
    const { token } = await createToken(store, { name: 'admin', role: 'admin' });
    const names: string[] = [];
    for (const file of ['registries.yaml', 'repositories.yaml', 'mirror.yaml']) {
      for (const doc of await parseDocuments(readFileSync(join(examples, file), 'utf8'), file)) {
        const plural = doc.kind === 'Registry' ? 'registries' : 'repositories';
        const ns = (doc.metadata?.namespace as string | undefined) ?? 'default';
        const res = await app.inject({ method: 'POST', url: `${API_PREFIX}/namespaces/${ns}/${plural}`, headers: { authorization: `Bearer ${token}` }, payload: doc });
        assert.equal(res.statusCode, 201, `${file} ${String(doc.metadata?.name)}: ${res.body}`);
        names.push(`${ns}/${String(doc.metadata?.name)}`);
      }
    }
    assert.deepEqual(names.sort(), ['default/dockerhub-public', 'default/harbor-prod', 'default/nginx-latest', 'default/redis-mirrored', 'default/redis-multiarch', 'production/harbor-prod', 'production/myapp-v1.0.0']);
    const list = await app.inject({ method: 'GET', url: `${API_PREFIX}/repositories`, headers: { authorization: `Bearer ${token}` } });
    assert.equal(list.json().metadata.totalCount, 4);
    assert.doesNotMatch((await app.inject({ method: 'GET', url: `${API_PREFIX}/registries`, headers: { authorization: `Bearer ${token}` } })).body, /CHANGE-ME/);
  } finally {
    await app.close();
    await store.close();
  }
});
