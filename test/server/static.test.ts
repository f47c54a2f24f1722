/** The console from web/dist: files at /, SPA fallback to index.html, API paths still answer Status. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { buildApp } from '../../src/server/app.ts';
import { createLogger } from '../../src/server/logger.ts';
import { createSecrets } from '../../src/server/secrets.ts';
import { openStore } from '../../src/store/index.ts';
import { tempDir } from '../support/tmp.ts';

test('serves web/dist with an SPA fallback, never for API paths', async (t) => {
  const dir = tempDir(t, 'tug-static-');
  const web = join(dir, 'web');
  mkdirSync(join(web, 'assets'), { recursive: true });
  writeFileSync(join(web, 'index.html'), '<!doctype html><title>Tugboat</title>');
  writeFileSync(join(web, 'assets', 'app.js'), 'console.log(1)');
  const store = await openStore({ data: join(dir, 'data') });
  const app = await buildApp({ store, secrets: createSecrets(randomBytes(32)), logger: createLogger({ destination: new Writable({ write: (_c, _e, cb) => cb() }) }), webRoot: web });
  try {
    const index = await app.inject({ method: 'GET', url: '/' });
    assert.equal(index.statusCode, 200);
    assert.match(index.body, /<title>Tugboat/);
    const asset = await app.inject({ method: 'GET', url: '/assets/app.js' });
    assert.equal(asset.statusCode, 200);
    assert.match(asset.headers['content-type'] as string, /javascript/);
    const route = await app.inject({ method: 'GET', url: '/repositories/default/nginx-latest' });
    assert.equal(route.statusCode, 200);
    assert.match(route.body, /<title>Tugboat/);
    const api = await app.inject({ method: 'GET', url: '/oapis/image.theriseunion.io/v1alpha1/nothing-here' });
    assert.equal(api.statusCode, 401);
    assert.equal(api.json().kind, 'Status');
    const traversal = await app.inject({ method: 'GET', url: '/../data/tugboat.db' });
    assert.doesNotMatch(traversal.body, /SQLite format/);
    assert.equal((await app.inject({ method: 'GET', url: '/healthz' })).json().status, 'ok');
  } finally {
    await app.close();
    await store.close();
  }
});
