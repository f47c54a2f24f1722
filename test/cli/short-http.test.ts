/**
 * The short commands' HTTP stack (src/distribution/node-http.ts): `tug
 * inspect` and a `tug copy` whose blobs are all present never load undici
 * (its start-up is a third of such a command's CPU), while blob bytes (a
 * layer over 1 MiB read, any upload) still travel through undici in the same
 * process. Each loads only the transports its image names use
 * (src/transports/table.ts). Real CLI, real registries; a
 * module hook in the child (NODE_OPTIONS=--import) reports whether any file
 * of undici was loaded, and which transports.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';
import { type GeneratedImage, makeImage, pushImage, sha256 } from '../support/images.ts';
import { type TestRegistry, startRegistry } from '../support/registry.ts';
import { runTug } from '../support/tug.ts';
import { tempDir } from '../support/tmp.ts';
import { startTokenServer } from '../support/token-server.ts';

let src: TestRegistry;
let dest: TestRegistry;
let hookEnv: NodeJS.ProcessEnv;
let small: GeneratedImage;
let big: GeneratedImage;

before(async () => {
  const work = tempDir(undefined, 'tug-short-http-');
  const hook = join(work, 'undici-hook.mjs');
  writeFileSync(
    hook,
    [
      "import { registerHooks } from 'node:module';",
      "import { writeSync } from 'node:fs';",
      'let undici = false;',
      'const transports = new Set();',
      'let modules = 0;',
      'registerHooks({ load(url, context, next) {',
      "  modules++;",
      "  if (url.includes('/node_modules/undici/')) undici = true;",
      "  const t = /\\/transports\\/([a-z-]+)\\//.exec(url);",
      '  if (t) transports.add(t[1]);',
      '  return next(url, context);',
      '} });',
      "process.on('exit', () => writeSync(2, `undici loaded: ${undici}\\ntransports loaded: ${[...transports].sort().join(' ')}\\nmodules loaded: ${modules}\\n`));",
      '',
    ].join('\n'),
  );
  hookEnv = { NODE_OPTIONS: `--import=${pathToFileURL(hook).href}` };
  src = await startRegistry();
  dest = await startRegistry();
  small = await makeImage({ seed: 'short-http-small' });
  // One layer of 2 MiB: more than the 1 MiB a short command reads over node:http (blobs.ts BULK_BYTES).
  big = await makeImage({ seed: 'short-http-big', layerSizes: [2 * 1024 * 1024] });
  await pushImage({ url: src.url, repository: 'short/small', tag: 'v1' }, small);
  await pushImage({ url: src.url, repository: 'short/big', tag: 'v1' }, big);
});

after(async () => {
  await src.stop();
  await dest.stop();
});

const loaded = (stderr: string) => /undici loaded: (true|false)/.exec(stderr)?.[1];
/** The transport folders (src/transports/NAME/) the command loaded: a short command loads only those its names use (transports/table.ts). */
const transportsLoaded = (stderr: string) => /transports loaded: (.*)/.exec(stderr)?.[1];
/** How many modules the command loaded (printed by the tests, for start-up work; not asserted). */
const modulesLoaded = (stderr: string) => /modules loaded: (\d+)/.exec(stderr)?.[1];

test('inspect --raw prints the manifest without loading undici', async () => {
  const r = await runTug(['inspect', '--raw', '--tls-verify=false', `docker://${src.host}/short/small:v1`], { env: hookEnv });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(sha256(r.stdout), small.top.digest);
  assert.equal(loaded(r.stderr), 'false', r.stderr);
  assert.equal(transportsLoaded(r.stderr), 'docker', r.stderr);
  console.log(`inspect --raw loaded ${modulesLoaded(r.stderr)} modules`);
});

test('a copy, then again with every blob present: correct both times, and the second never loads undici', async () => {
  const args = ['copy', '-q', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${src.host}/short/small:v1`, `docker://${dest.host}/short/small:v1`];
  for (const round of ['blobs copied', 'blobs present']) {
    const r = await runTug(args, { env: hookEnv });
    assert.equal(r.code, 0, `${round}: ${r.stderr}`);
    // Uploads stream through undici (http.ts): only a copy that uploads nothing is spared it.
    if (round === 'blobs present') assert.equal(loaded(r.stderr), 'false', `${round}: ${r.stderr}`);
    if (round === 'blobs present') console.log(`copy, blobs present, loaded ${modulesLoaded(r.stderr)} modules`);
    assert.equal(transportsLoaded(r.stderr), 'docker', `${round}: ${r.stderr}`);
    const res = await fetch(`${dest.url}/v2/short/small/manifests/v1`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
    assert.equal(sha256(Buffer.from(await res.arrayBuffer())), small.top.digest, round);
  }
});

test('a copy into an oci: layout loads that transport too, and inspect --raw reads the copy back', async () => {
  const layout = join(tempDir(undefined, 'tug-short-oci-'), 'layout');
  const copy = await runTug(['copy', '-q', '--src-tls-verify=false', `docker://${src.host}/short/small:v1`, `oci:${layout}:v1`], { env: hookEnv });
  assert.equal(copy.code, 0, copy.stderr);
  assert.equal(transportsLoaded(copy.stderr), 'docker oci-layout', copy.stderr);
  const r = await runTug(['inspect', '--raw', `oci:${layout}:v1`], { env: hookEnv });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(sha256(r.stdout), small.top.digest);
  assert.equal(transportsLoaded(r.stderr), 'oci-layout', r.stderr);
});

test('a copy with a layer over 1 MiB moves it through undici, byte for byte', async () => {
  const r = await runTug(['copy', '-q', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${src.host}/short/big:v1`, `docker://${dest.host}/short/big:v1`], { env: hookEnv });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(loaded(r.stderr), 'true', r.stderr);
  for (const [digest, blob] of big.blobs) {
    const res = await fetch(`${dest.url}/v2/short/big/blobs/${digest}`);
    assert.equal(res.status, 200, digest);
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), blob.bytes, digest);
  }
});

test('bearer tokens over node:http: a copy with credentials into a token-auth registry, then inspect --raw from it', async (t) => {
  const tokens = await startTokenServer({ users: { alice: 'wonder-Land-9' } });
  t.after(() => tokens.stop());
  const reg = await startRegistry({ tokenAuth: { realm: tokens.realm, service: tokens.service, issuer: tokens.issuer, rootCertBundle: tokens.rootCertBundle } });
  t.after(() => reg.stop());
  const copy = await runTug(['copy', '-q', '--src-tls-verify=false', '--dest-tls-verify=false', '--dest-creds=alice:wonder-Land-9', `docker://${src.host}/short/small:v1`, `docker://${reg.host}/tok/small:v1`], { env: hookEnv });
  assert.equal(copy.code, 0, copy.stderr);
  const r = await runTug(['inspect', '--raw', '--tls-verify=false', '--creds=alice:wonder-Land-9', `docker://${reg.host}/tok/small:v1`], { env: hookEnv });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(sha256(r.stdout), small.top.digest);
  assert.equal(loaded(r.stderr), 'false', r.stderr);
  assert.ok(tokens.requests.some((q) => q.user === 'alice' && q.scopes.includes('repository:tok/small:pull')), 'inspect asked the realm for a pull token as alice');
  const denied = await runTug(['inspect', '--raw', '--tls-verify=false', '--creds=alice:wrong', `docker://${reg.host}/tok/small:v1`], { env: hookEnv });
  assert.equal(denied.code, 5, denied.stderr);
  assert.doesNotMatch(denied.stderr, /wrong/);
});
