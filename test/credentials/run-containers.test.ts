/**
 * Issue 12: with XDG_RUNTIME_DIR unset (cron, ssh, sudo), `skopeo login`
 * keeps logins in /run/containers/$UID/auth.json. tug must read that file and
 * `tug login` must write it, so either tool finds the other's login.
 *
 * /run/containers/$UID is a real system path, so everything runs inside a
 * private mount namespace (`unshare --mount`) with a tmpfs over /run: the
 * files both tools write vanish with the namespace and the host's /run is
 * never touched. That needs root; without it the test is skipped.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { makeImage, pushImage, sha256 } from '../support/images.ts';
import { type TestRegistry, startRegistry } from '../support/registry.ts';
import { SKOPEO_BIN } from '../support/skopeo.ts';
import { tempDir } from '../support/tmp.ts';
import { TUG_ARGV } from '../support/tug.ts';

const USER = 'alice';
const PASSWORD = 'cron: no session';
const isRoot = process.getuid?.() === 0;
let registry: TestRegistry;
let manifest: Buffer;

const q = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;

/**
 * Runs `script` (sh) in a fresh mount namespace with an empty tmpfs on /run,
 * HOME in a temp dir and no XDG_RUNTIME_DIR / REGISTRY_AUTH_FILE /
 * DOCKER_CONFIG. `tug` and `skopeo` are shell functions; the password
 * reaches them on stdin from $PW, never in argv. Returns stdout.
 */
function inPrivateRun(script: string, out: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const home = join(out, 'home');
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home, PW: PASSWORD, OUT: out };
  const prelude = [
    'set -e',
    `mkdir -p "$HOME"`,
    'mount -t tmpfs -o mode=0755 tmpfs /run',
    `tug() { ${TUG_ARGV.map(q).join(' ')} "$@"; }`,
    `skopeo() { ${q(SKOPEO_BIN)} "$@"; }`,
  ].join('\n');
  return new Promise((resolve) => {
    execFile('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', `${prelude}\n${script}`], { env, encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

before(async () => {
  if (!isRoot) return;
  registry = await startRegistry({ users: { [USER]: PASSWORD } });
  const image = await makeImage({ seed: 'run-containers', layerSizes: [200] });
  manifest = image.top.bytes;
  await pushImage({ url: registry.url, repository: 'team/app', tag: 'v1', username: USER, password: PASSWORD }, image);
});

after(async () => {
  await registry?.stop();
});

const basic = Buffer.from(`${USER}:${PASSWORD}`).toString('base64');
const entry = (out: string, f: string) => (JSON.parse(readFileSync(join(out, f), 'utf8')) as { auths: Record<string, { auth: string }> }).auths[registry.host]?.auth;
const skip = !isRoot && 'needs root for a private mount namespace';

test('skopeo login without XDG_RUNTIME_DIR -> tug reads /run/containers/UID/auth.json', { skip }, async (t) => {
  const out = tempDir(t, 'tug-runc-');
  const uid = process.getuid!();
  const r = await inPrivateRun(
    [
      `printf '%s\\n' "$PW" | skopeo login --tls-verify=false -u ${USER} --password-stdin ${registry.host}`,
      `cp /run/containers/${uid}/auth.json "$OUT/skopeo-wrote.json"`,
      `tug inspect --raw docker://${registry.host}/team/app:v1 > "$OUT/tug-read"`,
    ].join('\n'),
    out,
  );
  assert.equal(r.code, 0, r.stderr);
  assert.equal(entry(out, 'skopeo-wrote.json'), basic, 'skopeo wrote its login to /run/containers/UID');
  assert.equal(sha256(readFileSync(join(out, 'tug-read'))), sha256(manifest), 'tug authenticated with it and read the manifest bytes');
});

test('tug login without XDG_RUNTIME_DIR -> /run/containers/UID/auth.json, where skopeo reads it', { skip }, async (t) => {
  const out = tempDir(t, 'tug-runc-');
  const uid = process.getuid!();
  const r = await inPrivateRun(
    [
      `printf '%s\\n' "$PW" | tug login -u ${USER} --password-stdin ${registry.host}`,
      `cp /run/containers/${uid}/auth.json "$OUT/tug-wrote.json"`,
      `skopeo inspect --raw --tls-verify=false docker://${registry.host}/team/app:v1 > "$OUT/skopeo-read"`,
      `ls -A "$HOME" > "$OUT/home-listing"`,
    ].join('\n'),
    out,
  );
  assert.equal(r.code, 0, r.stderr);
  assert.ok(!r.stderr.includes(PASSWORD) && !r.stdout.includes(PASSWORD), 'the password is never printed');
  assert.equal(entry(out, 'tug-wrote.json'), basic, 'tug login wrote /run/containers/UID/auth.json');
  assert.equal(sha256(readFileSync(join(out, 'skopeo-read'))), sha256(manifest), 'skopeo authenticated with tug\'s login');
  assert.equal(readFileSync(join(out, 'home-listing'), 'utf8'), '', 'nothing went to ~/.docker or ~/.config');
});
