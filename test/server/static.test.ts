/** The console from web/dist: files at /, SPA fallback to index.html, API paths still answer Status. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import fastify from 'fastify';
import { buildApp } from '../../src/server/app.ts';
import { createLogger } from '../../src/server/logger.ts';
import { createSecrets } from '../../src/server/secrets.ts';
import { acceptedEncodings, memoryFiles } from '../../src/server/web-assets.ts';
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

/**
 * Issue 16: the build writes NAME.br and NAME.gz beside each asset
 * (web/vite.config.ts); a browser gets the smallest it accepts, hashed
 * assets are cached for good, and index.html is revalidated every load.
 * Checked for web/dist on disk (through buildApp) and for the copy held in
 * memory by a single-file executable (memoryFiles).
 */
test('sends precompressed assets by accept-encoding; hashed assets immutable, index.html revalidated', async (t) => {
  const js = Buffer.from(`console.log(${JSON.stringify('x'.repeat(4096))})`);
  const files = new Map<string, Buffer>([
    ['/index.html', Buffer.from('<!doctype html><title>Tugboat</title>')],
    ['/assets/app-1a2b3c.js', js],
    ['/assets/app-1a2b3c.js.br', brotliCompressSync(js)],
    ['/assets/app-1a2b3c.js.gz', gzipSync(js)],
    ['/assets/tiny-4d5e6f.css', Buffer.from('body{}')],
  ]);
  const dir = tempDir(t, 'tug-static-enc-');
  const web = join(dir, 'web');
  for (const [path, body] of files) {
    mkdirSync(dirname(join(web, path)), { recursive: true });
    writeFileSync(join(web, path), body);
  }
  const store = await openStore({ data: join(dir, 'data') });
  const onDisk = await buildApp({ store, secrets: createSecrets(randomBytes(32)), logger: createLogger({ destination: new Writable({ write: (_c, _e, cb) => cb() }) }), webRoot: web });
  const inMemory = fastify();
  await memoryFiles(files)!.register(inMemory);
  t.after(async () => {
    await onDisk.close();
    await inMemory.close();
    await store.close();
  });
  for (const [origin, app] of [['web/dist', onDisk], ['embedded', inMemory]] as const) {
    const get = (url: string, acceptEncoding?: string) => app.inject({ method: 'GET', url, headers: acceptEncoding === undefined ? {} : { 'accept-encoding': acceptEncoding } });
    const br = await get('/assets/app-1a2b3c.js', 'gzip, deflate, br, zstd');
    assert.equal(br.headers['content-encoding'], 'br', origin);
    assert.deepEqual(brotliDecompressSync(br.rawPayload), js, origin);
    assert.match(String(br.headers.vary), /accept-encoding/i, origin);
    assert.equal(br.headers['cache-control'], 'public, max-age=31536000, immutable', origin);
    assert.match(String(br.headers['content-type']), /javascript/, origin);
    const gz = await get('/assets/app-1a2b3c.js', 'gzip;q=1, br;q=0');
    assert.equal(gz.headers['content-encoding'], 'gzip', origin);
    assert.deepEqual(gunzipSync(gz.rawPayload), js, origin);
    const plain = await get('/assets/app-1a2b3c.js');
    assert.equal(plain.headers['content-encoding'], undefined, origin);
    assert.deepEqual(plain.rawPayload, js, origin);
    const tiny = await get('/assets/tiny-4d5e6f.css', 'br');
    assert.equal(tiny.headers['content-encoding'], undefined, `${origin}: a file without variants is sent as is`);
    assert.equal(tiny.body, 'body{}', origin);
    for (const url of ['/', '/index.html']) {
      const index = await get(url, 'br');
      assert.equal(index.statusCode, 200, `${origin} ${url}`);
      assert.equal(index.headers['cache-control'], 'no-cache', `${origin} ${url}`);
    }
  }
  const spa = await onDisk.inject({ method: 'GET', url: '/repositories/default/x' });
  assert.equal(spa.headers['cache-control'], 'no-cache', 'a console route answers index.html, revalidated');
});

test('accept-encoding: q=0 refuses a coding, * allows the rest', () => {
  const names = (h: string | undefined) => acceptedEncodings(h).map((e) => e.name);
  assert.deepEqual(names('gzip, deflate, br'), ['br', 'gzip']);
  assert.deepEqual(names('br;q=0, gzip'), ['gzip']);
  assert.deepEqual(names('*'), ['br', 'gzip']);
  assert.deepEqual(names('*, br;q=0'), ['gzip']);
  assert.deepEqual(names('identity'), []);
  assert.deepEqual(names(undefined), []);
  assert.deepEqual(names('GZIP;Q=0.5'), ['gzip']);
});
