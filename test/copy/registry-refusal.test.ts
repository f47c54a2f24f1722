/**
 * Issue 10, item 14: a 500 that says what is wrong (distribution's error
 * codes in the body) is not temporary. The real registry answers a manifest
 * whose layer has foreign `urls` with 500 UNKNOWN + MANIFEST_BLOB_UNKNOWN;
 * the copy must stop at the first answer with exit 1, not retry and end as
 * exit 4 ("re-run"). The fault proxy only counts requests.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.ts';
import { makeImage, sha256, writeOciLayout } from '../support/images.ts';
import { type TestRegistry, startRegistry } from '../support/registry.ts';
import { runTug } from '../support/tug.ts';
import { tempDir } from '../support/tmp.ts';

let registry: TestRegistry;
let proxy: FaultProxy;
let work: string;

before(async () => {
  registry = await startRegistry();
  proxy = await startFaultProxy(registry.url);
  work = tempDir(undefined, 'tug-refusal-');
});

after(async () => {
  await proxy.stop();
  await registry.stop();
});

test('a 500 naming MANIFEST_BLOB_UNKNOWN (foreign urls) is not retried: exit 1 after one PUT', async () => {
  const image = await makeImage({ seed: 'foreign-urls', flavour: 'docker' });
  const m = image.manifests[0]!;
  const doc = JSON.parse(m.bytes.toString()) as { layers: { mediaType: string; urls?: string[] }[] };
  doc.layers[0]!.mediaType = 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip';
  doc.layers[0]!.urls = ['https://example.com/layer.tar.gz'];
  m.bytes = Buffer.from(JSON.stringify(doc));
  m.digest = sha256(m.bytes);
  image.top = m;
  const layout = join(work, 'foreign');
  writeOciLayout(layout, image, 'v1');

  const run = await runTug(['copy', '--retry-times', '4', `oci:${layout}:v1`, `docker://${proxy.host}/edge/foreign:v1`]);
  assert.equal(run.code, 1, run.stderr);
  assert.match(run.stderr, /refused the request \(HTTP 500 UNKNOWN,MANIFEST_BLOB_UNKNOWN\)/);
  assert.doesNotMatch(run.stderr, /Retrying/);
  const puts = proxy.requests.filter((r) => r.method === 'PUT' && r.path.includes('/manifests/'));
  assert.equal(puts.length, 1, `manifest PUTs: ${puts.map((r) => `${r.status} ${r.path}`).join(', ')}`);
  assert.equal(puts[0]!.status, 500);
});

test('a plain 500 (no error code in the body) is still retried and ends as exit 4', async () => {
  proxy.requests.length = 0;
  proxy.setFaults([{ kind: 'status', status: 500, path: /\/manifests\//, times: 100 }]);
  try {
    const run = await runTug(['inspect', '--raw', '--retry-times', '2', `docker://${proxy.host}/edge/none:v1`]);
    assert.equal(run.code, 4, run.stderr);
  } finally {
    proxy.setFaults([]);
  }
});
