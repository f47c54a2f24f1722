/**
 * registries.conf applied by `tug` against real registries, checked against
 * what skopeo does with the same file (`skopeo --registries-conf FILE`):
 * mirrors first (the primary's access log shows nothing), mirror-by-digest-only,
 * falling back to the primary, prefix remapping, pushes to the name as
 * written, `blocked`, and `insecure` on a TLS registry with an unknown CA.
 * Files are passed with --registries-conf and with CONTAINERS_REGISTRIES_CONF.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { Agent } from 'undici';
import { type GeneratedImage, makeImage, pushImage, sha256 } from '../support/images.ts';
import { type TestRegistry, startRegistry } from '../support/registry.ts';
import { SKOPEO_BIN, skopeo } from '../support/skopeo.ts';
import { tempDir } from '../support/tmp.ts';
import { runTug } from '../support/tug.ts';

let primary: TestRegistry;
let mirror: TestRegistry;
let other: TestRegistry;
let secure: TestRegistry;
let locked: TestRegistry;
let dir: string;
let onPrimary: GeneratedImage;
let onMirror: GeneratedImage;
let onOther: GeneratedImage;

/** Writes a registries.conf in the test's directory; returns its path. */
function conf(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** Requests the primary's access log shows for a repository (`what`: `manifests` or `blobs` only). */
const primaryHits = (repo: string, what = '') => readFileSync(primary.accessLog!, 'utf8').split('\n').filter((l) => l.includes(`/v2/${repo}/${what}`)).length;

async function tugRaw(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; digest: string; stderr: string }> {
  const r = await runTug(['inspect', '--raw', ...args], { env: { HOME: dir, ...env } });
  return { code: r.code, digest: r.code === 0 ? sha256(r.stdout) : '', stderr: r.stderr };
}

before(async () => {
  dir = tempDir(undefined, 'tug-regconf-e2e-');
  [primary, mirror, other, secure, locked] = await Promise.all([
    startRegistry({ accessLog: join(dir, 'primary.log') }),
    startRegistry(),
    startRegistry(),
    startRegistry({ tls: true }),
    startRegistry({ users: { helper: 'from-the-helper' } }),
  ]);
  [onPrimary, onMirror, onOther] = await Promise.all([
    makeImage({ seed: 'regconf-primary', layerSizes: [300] }),
    makeImage({ seed: 'regconf-mirror', layerSizes: [300] }),
    makeImage({ seed: 'regconf-other', layerSizes: [300] }),
  ]);
  await pushImage({ url: primary.url, repository: 'team/app', tag: 'v1', ...{} }, onPrimary);
  await pushImage({ url: primary.url, repository: 'team/only-primary', tag: 'v1' }, onPrimary);
  await pushImage({ url: mirror.url, repository: 'team/app', tag: 'v1' }, onMirror);
  await pushImage({ url: mirror.url, repository: 'team/mirrored', tag: 'v1' }, onMirror);
  await pushImage({ url: other.url, repository: 'remapped/app', tag: 'v1' }, onOther);
  const dispatcher = new Agent({ connect: { ca: secure.caPem } });
  await pushImage({ url: secure.url, repository: 'team/app', tag: 'v1', dispatcher }, onOther);
  await pushImage({ url: locked.url, repository: 'team/app', tag: 'v1', username: 'helper', password: 'from-the-helper' }, onOther);
  await dispatcher.close();
});

after(async () => {
  await Promise.all([primary?.stop(), mirror?.stop(), other?.stop(), secure?.stop(), locked?.stop()]);
});

test('a mirror serves first; the primary is never asked; skopeo reads the same bytes with the same file', async () => {
  // insecure on the mirror: skopeo talks plain HTTP to it only then (tug does to loopback anyway).
  const file = conf('mirror.conf', `[[registry]]\nlocation = "${primary.host}"\ninsecure = true\n[[registry.mirror]]\nlocation = "${mirror.host}"\ninsecure = true\n`);
  const name = `docker://${primary.host}/team/mirrored:v1`;
  for (const [how, args, env] of [
    ['--registries-conf', ['--registries-conf', file, name], {}],
    ['CONTAINERS_REGISTRIES_CONF', [name], { CONTAINERS_REGISTRIES_CONF: file }],
  ] as const) {
    const r = await tugRaw([...args], env);
    assert.equal(r.code, 0, `${how}: ${r.stderr}`);
    assert.equal(r.digest, onMirror.top.digest, `${how}: the mirror's image`);
  }
  assert.equal(primaryHits('team/mirrored'), 0, 'the primary\'s access log shows nothing for the image');
  const copied = join(dir, 'copied');
  const c = await runTug(['copy', '--registries-conf', file, name, `dir:${copied}`], { env: { HOME: dir } });
  assert.equal(c.code, 0, c.stderr);
  assert.equal(sha256(readFileSync(join(copied, 'manifest.json'))), onMirror.top.digest, 'copy wrote the mirror\'s manifest');
  assert.match(c.stderr, new RegExp(`reading from mirror ${mirror.host}/team/mirrored:v1`), 'the copy says which location served it');
  // The copy's referrer lookups (tag list, referrers) still ask the name as written: see the report.
  assert.equal(primaryHits('team/mirrored', 'manifests') + primaryHits('team/mirrored', 'blobs'), 0, 'no manifest or blob of the copy came from the primary');
  assert.equal(sha256(await skopeo(['--registries-conf', file, 'inspect', '--raw', name])), onMirror.top.digest, 'skopeo: same bytes');
});

test('a mirror without the image falls back to the primary; mirror-by-digest-only keeps tags on the primary', async () => {
  const file = conf('fallback.conf', `[[registry]]\nlocation = "${primary.host}"\ninsecure = true\n[[registry.mirror]]\nlocation = "${mirror.host}"\ninsecure = true\n`);
  const fallback = await tugRaw(['--registries-conf', file, `docker://${primary.host}/team/only-primary:v1`]);
  assert.equal(fallback.digest, onPrimary.top.digest, fallback.stderr);

  const byDigest = conf('by-digest.conf', `[[registry]]\nlocation = "${primary.host}"\ninsecure = true\nmirror-by-digest-only = true\n[[registry.mirror]]\nlocation = "${mirror.host}"\ninsecure = true\n`);
  const cases = [
    { name: 'tag: the primary only', ref: `${primary.host}/team/app:v1`, want: onPrimary.top.digest },
    { name: 'digest: the mirror first', ref: `${primary.host}/team/app@${onMirror.top.digest}`, want: onMirror.top.digest },
  ];
  for (const c of cases) {
    const r = await tugRaw(['--registries-conf', byDigest, `docker://${c.ref}`]);
    assert.equal(r.digest, c.want, `${c.name}: ${r.stderr}`);
    assert.equal(sha256(await skopeo(['--registries-conf', byDigest, 'inspect', '--raw', `docker://${c.ref}`])), c.want, `${c.name}: skopeo agrees`);
  }
});

test('prefix remapping sends pulls to another registry; pushes go to the name as written, as skopeo does', async () => {
  const file = conf('remap.conf', `[[registry]]\nprefix = "registry.example.com/team"\nlocation = "${other.host}/remapped"\ninsecure = true\n`);
  const r = await tugRaw(['--registries-conf', file, 'docker://registry.example.com/team/app:v1']);
  assert.equal(r.digest, onOther.top.digest, r.stderr);
  assert.equal(sha256(await skopeo(['--registries-conf', file, 'inspect', '--raw', 'docker://registry.example.com/team/app:v1'])), onOther.top.digest);

  const toPrimary = conf('remap-primary.conf', `[[registry]]\nprefix = "${primary.host}/pushed"\nlocation = "${other.host}/elsewhere"\n`);
  const push = await runTug(['copy', '--registries-conf', toPrimary, `docker://${mirror.host}/team/app:v1`, `docker://${primary.host}/pushed/app:v1`], { env: { HOME: dir } });
  assert.equal(push.code, 0, push.stderr);
  assert.equal(sha256(await skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${primary.host}/pushed/app:v1`])), onMirror.top.digest, 'written to the name as written');
  await assert.rejects(skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${other.host}/elsewhere/app:v1`]), 'not to the remapped location');
});

test('blocked refuses pulls and pushes with one line, exit 3, nothing written; skopeo refuses too', async () => {
  const file = conf('blocked.conf', `[[registry]]\nlocation = "${primary.host}"\nblocked = true\n`);
  const before = primaryHits('team/app') + primaryHits('blocked/app');
  const pull = await runTug(['inspect', '--registries-conf', file, `docker://${primary.host}/team/app:v1`], { env: { HOME: dir } });
  assert.equal(pull.code, 3, pull.stderr);
  assert.match(pull.stderr, new RegExp(`registry "${primary.host}" is blocked in ${file}`));
  assert.equal(pull.stderr.trim().split('\n').length, 1, 'one line');
  const push = await runTug(['copy', '--registries-conf', file, `docker://${mirror.host}/team/app:v1`, `docker://${primary.host}/blocked/app:v1`], { env: { HOME: dir } });
  assert.equal(push.code, 3, push.stderr);
  const tags = await runTug(['list-tags', '--registries-conf', file, `docker://${primary.host}/team/app`], { env: { HOME: dir } });
  assert.equal(tags.code, 3, tags.stderr);
  assert.equal(primaryHits('team/app') + primaryHits('blocked/app'), before, 'the blocked registry received nothing');
  await assert.rejects(skopeo(['--registries-conf', file, 'inspect', '--raw', `docker://${primary.host}/team/app:v1`]), /is blocked/);
});

test('insecure = true reaches a TLS registry whose CA is unknown (no verification), as skopeo does', async () => {
  const name = `docker://${secure.host}/team/app:v1`;
  const strict = await tugRaw([name]);
  assert.equal(strict.code, 5, `without the file: a TLS error\n${strict.stderr}`);
  const file = conf('insecure.conf', `[[registry]]\nlocation = "${secure.host}"\ninsecure = true\n`);
  const r = await tugRaw(['--registries-conf', file, name]);
  assert.equal(r.digest, onOther.top.digest, r.stderr);
  assert.equal(sha256(await skopeo(['--registries-conf', file, 'inspect', '--raw', name])), onOther.top.digest);
  const explicit = await tugRaw(['--registries-conf', file, '--tls-verify=true', name]);
  assert.equal(explicit.code, 5, `an explicit --tls-verify=true wins, as in skopeo\n${explicit.stderr}`);
});

test('a broken registries.conf is one line naming the file and the field, exit 2', async () => {
  const file = conf('broken.conf', '[[registry]]\nlocation = "a.example"\ninsecure = "yes"\n');
  const r = await runTug(['inspect', '--registries-conf', file, `docker://${primary.host}/team/app:v1`], { env: { HOME: dir } });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /registries\.conf ".*broken\.conf": registry\[0\]\.insecure must be true or false/);
  assert.equal(r.stderr.trim().split('\n').length, 1);
});

test('credential-helpers replaces the auth files by its list, as in skopeo', async () => {
  // test/support/cred-helper/docker-credential-tugtest, holding the registry's password; no auth file anywhere.
  const store = join(dir, 'helper-store.json');
  writeFileSync(store, JSON.stringify({ [locked.host]: { Username: 'helper', Secret: 'from-the-helper' } }));
  const env = { PATH: [resolve(import.meta.dirname, '../support/cred-helper'), dirname(process.execPath), '/usr/bin', '/bin'].join(':'), TUGTEST_STORE: store };
  const name = `docker://${locked.host}/team/app:v1`;
  const cases = [
    { helpers: '["containers-auth.json"]', code: 5 },
    { helpers: '["containers-auth.json", "tugtest"]', code: 0 },
  ];
  for (const c of cases) {
    const file = conf('helpers.conf', `credential-helpers = ${c.helpers}\n[[registry]]\nlocation = "${locked.host}"\ninsecure = true\n`);
    const r = await tugRaw(['--registries-conf', file, name], env);
    assert.equal(r.code, c.code, `${c.helpers}: ${r.stderr}`);
    if (c.code === 0) assert.equal(r.digest, onOther.top.digest);
    assert.ok(!r.stderr.includes('from-the-helper'), 'the secret is never printed');
  }
  const file = conf('helpers.conf', `credential-helpers = ["tugtest"]\n[[registry]]\nlocation = "${locked.host}"\ninsecure = true\n`);
  const viaSkopeo = await new Promise<string>((done, fail) => {
    execFile(SKOPEO_BIN, ['--registries-conf', file, 'inspect', '--raw', name], { env: { ...env, HOME: dir } }, (err, stdout) => (err ? fail(err) : done(stdout)));
  });
  assert.equal(sha256(viaSkopeo), onOther.top.digest, 'skopeo reads the same file the same way');
});
