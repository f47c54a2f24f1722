/**
 * Issue 12 item 5 in `tug sync`: signatures and referrers travel with each
 * image, a second sync copies nothing, a new signature at the source makes
 * its (otherwise unchanged) image copy again, and the no-op sync costs what
 * src/sync/referrers-check.ts says (counted at a proxy in front of the
 * real registry).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.ts';
import { type GeneratedImage, makeImage, pushImage } from '../support/images.ts';
import { type TestRegistry, startRegistry } from '../support/registry.ts';
import { cosignSignatureImage, cosignTag, generateCosignKeyPair, pushReferrer, pushSignature, referrerImage } from '../support/signing.ts';
import { tempDir } from '../support/tmp.ts';
import { runTug } from '../support/tug.ts';

let registry: TestRegistry;
let proxy: FaultProxy;
let file: string;
let app: GeneratedImage;
let sbomDigest: string;

async function manifest(repository: string, ref: string): Promise<{ status: number; bytes: Buffer }> {
  const res = await fetch(`${registry.url}/v2/${repository}/manifests/${ref}`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json' } });
  return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()) };
}

before(async () => {
  registry = await startRegistry();
  proxy = await startFaultProxy(registry.url);
  const target = { url: registry.url, repository: 'src/app' };
  app = await makeImage({ seed: 'referrers-sync-app', flavour: 'oci' });
  await pushImage({ ...target, tag: 'v1' }, app);
  const subject = app.top.digest;
  await pushSignature(target, subject, cosignSignatureImage({ dockerReference: `${registry.host}/src/app`, manifestDigest: subject, privateKey: generateCosignKeyPair().privateKey }));
  sbomDigest = await pushReferrer(target, referrerImage({ subject: { digest: subject, size: app.top.bytes.length, mediaType: app.top.mediaType }, artifactType: 'application/spdx+json', content: '{}' }), { fallbackIndex: true });
  for (const tag of ['v1', 'v2']) await pushImage({ url: registry.url, repository: 'src/web', tag }, await makeImage({ seed: `referrers-sync-web-${tag}`, flavour: 'oci' }));
  file = join(tempDir(undefined, 'tug-referrers-sync-'), 'sync.yaml');
  writeFileSync(file, `${proxy.host}:\n  tls-verify: false\n  images:\n    src/app: [v1]\n    src/web: [v1, v2]\n`);
});

after(async () => {
  await proxy.stop();
  await registry.stop();
});

/** Runs a sync through the proxy; returns the run and the requests it made. */
async function sync(args: string[]): Promise<{ code: number; stdout: string; stderr: string; requests: number }> {
  proxy.requests.length = 0;
  const run = await runTug(['sync', '--src', 'yaml', ...args, file, `${proxy.host}/dst`]);
  return { ...run, code: run.code ?? -1, requests: proxy.requests.length };
}

test('sync carries the signature and the SBOM; the no-op sync copies nothing and stays within its request budget', async () => {
  const first = await sync([]);
  assert.equal(first.code, 0, first.stderr);
  const subject = app.top.digest;
  assert.ok((await manifest('dst/app', cosignTag(subject))).bytes.equals((await manifest('src/app', cosignTag(subject))).bytes), 'signature byte-identical');
  assert.ok((await manifest('dst/app', sbomDigest)).bytes.equals((await manifest('src/app', sbomDigest)).bytes), 'SBOM byte-identical');
  const index = JSON.parse((await manifest('dst/app', subject.replace(':', '-'))).bytes.toString()) as { manifests: { digest: string }[] };
  assert.deepEqual(index.manifests.map((m) => m.digest), [sbomDigest]);

  const on = await sync(['--json']);
  const onLog = proxy.requests.map((r) => `${r.method} ${r.path} ${r.status}`);
  assert.equal(on.code, 0, on.stderr);
  assert.doesNotMatch(on.stdout, /"status":"copied"/);
  const off = await sync(['--json', '--no-referrers']);
  assert.equal(off.code, 0, off.stderr);
  // 3 tags, 2 repositories. Referrers on adds: the source's referrers API probe (one
  // 404 per registry client), a tag list per source repository, and the destination's
  // tag list where the source has artifacts; the signed image's .sig and referrers
  // index are judged by their tag names (--verify-existing compares digests).
  const extra = on.requests - off.requests;
  if (process.env.TUG_DEBUG_REQUESTS) process.stdout.write(`${JSON.stringify(onLog)}\n`);
  process.stdout.write(`# no-op sync: ${off.requests} requests without referrers, ${on.requests} with (+${extra} for 3 tags, 1 of them signed with an SBOM)\n`);
  assert.ok(extra <= 1 + 2 + 1, `referrers on cost ${extra} more requests`);
});

test('a new signature under the same tag: trusted by name, as blobs are; --verify-existing compares digests and copies it, --dry-run says why', async () => {
  const target = { url: registry.url, repository: 'src/app' };
  const subject = app.top.digest;
  // Re-signed with another key: same tag, new digest (what cosign does when a signature is added).
  await pushSignature(target, subject, cosignSignatureImage({ dockerReference: `${registry.host}/src/app`, manifestDigest: subject, privateKey: generateCosignKeyPair().privateKey }));
  const byName = await sync(['--json']);
  assert.equal(byName.code, 0, byName.stderr);
  assert.doesNotMatch(byName.stdout, /"status":"copied"/);
  const dry = await sync(['--dry-run', '--json', '--verify-existing']);
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /not all its signatures\/referrers/);
  const run = await sync(['--json', '--verify-existing']);
  assert.equal(run.code, 0, run.stderr);
  assert.equal((run.stdout.match(/"status":"copied"/g) ?? []).length, 1, run.stdout);
  assert.ok((await manifest('dst/app', cosignTag(subject))).bytes.equals((await manifest('src/app', cosignTag(subject))).bytes), 'the new signature arrived');
});

test('a whole repository (--src docker): artifact tags travel with their image, not as images; the re-sync is a no-op', async () => {
  const run = await runTug(['sync', '--src', 'docker', '--json', `${proxy.host}/src/app`, `${proxy.host}/whole`]);
  assert.equal(run.code, 0, run.stderr);
  const items = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; source: string; status: string }).filter((e) => e.type === 'item-done');
  assert.deepEqual(items.map((e) => [e.source.split('/').pop(), e.status]), [['app:v1', 'copied']]);
  const subject = app.top.digest;
  assert.ok((await manifest('whole/app', cosignTag(subject))).bytes.equals((await manifest('src/app', cosignTag(subject))).bytes));
  const again = await runTug(['sync', '--src', 'docker', '--json', `${proxy.host}/src/app`, `${proxy.host}/whole`]);
  assert.equal(again.code, 0, again.stderr);
  assert.doesNotMatch(again.stdout, /"status":"copied"/);
});
