/**
 * containers-policy.json under the real CLI against a real registry
 * (./fixtures.ts): `--policy` with a `reject` default and `sigstoreSigned`
 * scopes, signedIdentity, the default policy file, `tug sync` with a refused
 * image, and skopeo 1.9 reading the same policy.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { SKOPEO_BIN } from '../support/skopeo.ts';
import { tempDir } from '../support/tmp.ts';
import { runTug } from '../support/tug.ts';
import { CASES, type SignedRegistry, startSignedRegistry } from './fixtures.ts';

let f: SignedRegistry;

before(async () => {
  f = await startSignedRegistry();
});

after(async () => {
  await f.reg.stop();
});

/** policy.json: reject by default; each test repository must be signed by a.pub. */
function writePolicy(name: string, signedIdentity?: object): string {
  const file = join(f.work, name);
  const rule = { type: 'sigstoreSigned', keyPath: f.pubA, ...(signedIdentity ? { signedIdentity } : {}) };
  const scopes = Object.fromEntries(CASES.map((c) => [`${f.reg.host}/${c.repo}`, [rule]]));
  writeFileSync(file, JSON.stringify({ default: [{ type: 'reject' }], transports: { docker: scopes } }));
  return file;
}

test('--policy: reject by default, sigstoreSigned for a scope, the signedIdentity honoured', async () => {
  const policies = [
    { name: 'matchRepository', file: writePolicy('repo.json', { type: 'matchRepository' }), accepts: new Set(['sig/good']) },
    // cosign signs the repository name without a tag: the default (matchRepoDigestOrExact) refuses it for a tag, as containers/image does.
    { name: 'default signedIdentity', file: writePolicy('default.json'), accepts: new Set<string>(), only: ['sig/good'] },
  ];
  for (const p of policies) {
    // (wrong-key and tampered signatures fail as in the --require-signed tests above.)
    for (const repo of p.only ?? ['sig/good', 'sig/none', 'sig/mismatch', 'other/app']) {
      const dir = tempDir(undefined, 'tug-sig-dir-');
      const tug = await runTug(['--policy', p.file, 'copy', `docker://${f.reg.host}/${repo}:v1`, `dir:${dir}`]);
      const want = p.accepts.has(repo);
      assert.equal(tug.code, want ? 0 : 3, `${p.name} ${repo}: ${tug.stderr}`);
      assert.equal(existsSync(join(dir, 'manifest.json')), want, `${p.name} ${repo}: manifest written only when accepted`);
      if (repo === 'other/app') assert.match(tug.stderr, /other\/app:v1 \(sha256:[0-9a-f]{64}\) is rejected by .*\.json default/);
      if (p.name !== 'matchRepository' && repo === 'sig/good') assert.match(tug.stderr, /names 127\.0\.0\.1:\d+\/sig\/good, which the policy's signedIdentity does not accept/);
    }
  }
});

test('skopeo 1.9 and tug agree on the same policy.json: reject, insecureAcceptAnything, sigstoreSigned refusals', async () => {
  // Debian's skopeo 1.9.3 is built without sigstore ("sigstore disabled"): it refuses every
  // sigstoreSigned image, so agreement on an accepted signature cannot be shown with it.
  const file = join(f.work, 'mixed.json');
  const accept = [{ type: 'insecureAcceptAnything' }];
  const signedRule = [{ type: 'sigstoreSigned', keyPath: f.pubA, signedIdentity: { type: 'matchRepository' } }];
  writeFileSync(file, JSON.stringify({ default: [{ type: 'reject' }], transports: { docker: { [`${f.reg.host}/sig/good`]: accept, [`${f.reg.host}/sig/none`]: signedRule } } }));
  const exec = promisify(execFile);
  for (const [repo, accepted] of [['sig/good', true], ['sig/none', false], ['other/app', false]] as const) {
    const from = `docker://${f.reg.host}/${repo}:v1`;
    const tug = await runTug(['--policy', file, 'copy', from, `dir:${tempDir(undefined, 'tug-sig-dir-')}`]);
    const skopeo = await exec(SKOPEO_BIN, ['--policy', file, 'copy', '--src-tls-verify=false', from, `dir:${tempDir(undefined, 'skopeo-sig-dir-')}`]).then(
      () => 0,
      (err: { code?: number }) => err.code ?? 1,
    );
    assert.equal(tug.code === 0, accepted, `${repo}: tug ${tug.code} ${tug.stderr}`);
    assert.equal(skopeo === 0, accepted, `${repo}: skopeo exit ${skopeo}`);
  }
});

test('tug sync --keep-going under --policy: the refused image fails, the others are copied', async () => {
  const list = join(f.work, 'images.txt');
  writeFileSync(list, `${f.reg.host}/sig/good:v1\n${f.reg.host}/sig/none:v1\n`);
  const run = await runTug(['--policy', writePolicy('sync.json', { type: 'matchRepository' }), 'sync', '--keep-going', list, `${f.reg.host}/synced`]);
  assert.notEqual(run.code, 0);
  assert.match(run.stdout + run.stderr, /sig\/none:v1.*is not signed/);
  assert.equal(f.written('synced/good'), true, run.stdout + run.stderr);
  assert.equal(f.written('synced/none'), false);
});

test('tug sync --dry-run under --policy says what the real run would: the refused image fails, exit 3 when every failure is a refusal, nothing written', async () => {
  const list = join(f.work, 'dry-images.txt');
  writeFileSync(list, `${f.reg.host}/sig/none:v1\n`);
  const run = await runTug(['--policy', writePolicy('dry.json', { type: 'matchRepository' }), 'sync', '--dry-run', list, `${f.reg.host}/dry`]);
  assert.equal(run.code, 3, run.stdout + run.stderr);
  assert.match(run.stdout + run.stderr, /sig\/none:v1.*is not signed/);
  assert.equal(f.written('dry/none'), false);
});

test('without --policy, $HOME/.config/containers/policy.json is honoured; --insecure-policy skips it', async () => {
  const home = tempDir(undefined, 'tug-sig-home-');
  mkdirSync(join(home, '.config/containers'), { recursive: true });
  writeFileSync(join(home, '.config/containers/policy.json'), JSON.stringify({ default: [{ type: 'reject' }] }));
  const from = `docker://${f.reg.host}/sig/good:v1`;
  const env = { ...process.env, HOME: home };
  const refused = await runTug(['copy', from, `dir:${tempDir(undefined, 'tug-sig-dir-')}`], { env });
  assert.equal(refused.code, 3, refused.stderr);
  assert.match(refused.stderr, /sig\/good:v1 \(sha256:[0-9a-f]{64}\) is rejected by .*\.config\/containers\/policy\.json default/);
  const dir = tempDir(undefined, 'tug-sig-dir-');
  const skipped = await runTug(['--insecure-policy', 'copy', from, `dir:${dir}`], { env });
  assert.equal(skipped.code, 0, skipped.stderr);
  assert.equal(existsSync(join(dir, 'manifest.json')), true);
});
