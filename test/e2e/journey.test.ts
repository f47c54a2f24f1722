/**
 * Issue 13, "What must show": the README's seed 000 journey (section "From
 * the registry into the cluster: seed 000 end to end") run as it is written.
 * The test reads README.md, takes the section's one `sh` block and runs it
 * with `bash -e` (pipes, redirections and `\` continuations are bash's own),
 * `tug` on PATH being a wrapper around this repository's bin/tug.js. Then it
 * checks what the block produced.
 *
 * The seed's site becomes a local one:
 *
 * | in the README | here |
 * |---|---|
 * | `$MIRROR` (quanzhenglong.com) | a docker-registry with htpasswd (user edge_admin), plain HTTP on loopback |
 * | `$SYNC_FILE` (examples/openyurt-1.6.sync.yaml) | a copy of it with `quanzhenglong.com` replaced by the mirror's host, `tls-verify: true` by `plain-http: true`, and the source change below |
 * | `$PASSWORD_FILE` | a file holding the mirror's password |
 * | docker.io/openyurt/* | SRC: an anonymous local registry with the three images (amd64 + arm64) under openyurt/*. The sync file copy's `images` read from SRC/openyurt/* instead, and it gains a second rule `SRC/openyurt/* -> $MIRROR/edge/*` so they land where the seed's names do; the seed's rule `docker.io/openyurt/* -> $MIRROR/edge/*` stays first, and is what rewrite, --check and mirror-config read for the values' public names. (A registries.conf `location` cannot stand in for Docker Hub here: tug, as containers/image, resolves a source's digest at the name as written, and there is no network.) |
 * | the three Helm values files | test/kube/fixtures/seed-000/*-values.public.yaml, copied into the working directory |
 * | login state, HOME | a temp HOME, `REGISTRY_AUTH_FILE` inside it |
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { type GeneratedImage, multiArch, pushImage, sha256 } from '../support/images.ts';
import { type TestRegistry, startRegistry } from '../support/registry.ts';
import { SKOPEO_BIN } from '../support/skopeo.ts';
import { tempDir } from '../support/tmp.ts';
import { TUG_ARGV } from '../support/tug.ts';

const run = promisify(execFile);
const HEADING = '### From the registry into the cluster: seed 000 end to end';
const FIXTURES = 'test/kube/fixtures/seed-000';
const USER = 'edge_admin';
const PASSWORD = 'Edge-journey-1';
const IMAGES = [
  { name: 'yurt-manager', tag: 'v1.6.0' },
  { name: 'yurthub', tag: 'v1.6.0' },
  { name: 'raven-agent', tag: 'v0.4.1' },
];

/** The one ```sh block of the README section under `heading` (up to the next ## or ### heading; the block's own comments start with one #). */
function journeyBlock(readme: string, heading: string): string {
  const start = readme.indexOf(`\n${heading}\n`);
  assert.ok(start >= 0, `README.md has no section "${heading}"`);
  const rest = readme.slice(start + heading.length + 2);
  const section = rest.slice(0, rest.search(/^#{2,3} /m) >>> 0);
  const blocks = [...section.matchAll(/^```sh\n([\s\S]*?)^```$/gm)];
  assert.equal(blocks.length, 1, `the section "${heading}" must hold exactly one sh block`);
  return blocks[0]![1]!;
}

/** The YAML below a fixture's header comment. */
const body = (text: string) => text.replace(/^(#.*\n)+/, '');
const shellQuote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;

let src: TestRegistry;
let mirror: TestRegistry;
let work: string;
let site: string;
const pushed = new Map<string, GeneratedImage>();
let result: { code: number; stdout: string; stderr: string };

before(async () => {
  work = tempDir(undefined, 'e2e-journey-');
  [src, mirror] = await Promise.all([startRegistry(), startRegistry({ users: { [USER]: PASSWORD } })]);
  for (const { name, tag } of IMAGES) {
    const image = await multiArch(`journey-${name}`);
    await pushImage({ url: src.url, repository: `openyurt/${name}`, tag }, image);
    pushed.set(name, image);
  }

  // tug on PATH, as the launcher of scripts/setup.sh runs it (the pinned Node and the shebang's flags).
  const bin = join(work, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'tug'), `#!/bin/sh\nexec ${TUG_ARGV.map(shellQuote).join(' ')} "$@"\n`);
  chmodSync(join(bin, 'tug'), 0o755);

  const example = readFileSync('examples/openyurt-1.6.sync.yaml', 'utf8');
  assert.match(example, /^ {4}tls-verify: true$/m);
  const rule = 'mappings:\n  - from: docker.io/openyurt/*\n    to: quanzhenglong.com/edge/*\n';
  assert.ok(example.includes(rule));
  const syncFile = join(work, 'openyurt-1.6.sync.yaml');
  const copy = example
    .replace(rule, `${rule}  - from: ${src.host}/openyurt/*\n    to: quanzhenglong.com/edge/*\n`)
    .replaceAll('  - source: docker.io/openyurt/', `  - source: ${src.host}/openyurt/`)
    .replaceAll('quanzhenglong.com', mirror.host)
    .replace(/^( {4})tls-verify: true$/m, '$1plain-http: true');
  writeFileSync(syncFile, copy);
  const passwordFile = join(work, 'password');
  writeFileSync(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
  const home = join(work, 'home');
  mkdirSync(home);
  site = join(work, 'site');
  mkdirSync(site);
  for (const { name } of IMAGES) copyFileSync(join(FIXTURES, `${name}-values.public.yaml`), join(site, `${name}-values.yaml`));

  const script = join(work, 'journey.sh');
  writeFileSync(script, journeyBlock(readFileSync('README.md', 'utf8'), HEADING));
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['XDG_RUNTIME_DIR', 'REGISTRY_PASSWORD', 'DOCKER_CONFIG', 'REGISTRY_AUTH_FILE', 'HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy']) delete env[k];
  Object.assign(env, {
    PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    HOME: home,
    REGISTRY_AUTH_FILE: join(home, 'auth.json'),
    MIRROR: mirror.host,
    SYNC_FILE: syncFile,
    PASSWORD_FILE: passwordFile,
  });
  result = await new Promise((resolve, reject) => {
    const child = spawn('/bin/bash', ['-e', '-x', script], { cwd: site, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
      reject(new Error(`the journey timed out\n${stderr.replaceAll(PASSWORD, '***')}`));
    }, 45_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      // bash -x traces `export REGISTRY_PASSWORD=...` with its value: masked before anything prints it.
      const mask = (text: string) => text.replaceAll(PASSWORD, '***');
      resolve({ code: code ?? -1, stdout: mask(stdout), stderr: mask(stderr) });
    });
  });
});

after(async () => {
  await Promise.all([src?.stop(), mirror?.stop()]);
});

test('the README block runs to the end (bash -e: every command exits 0)', () => {
  assert.equal(result.code, 0, `stdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
  // Each tug command of the block ran (bash -x traces them).
  const traced = result.stderr
    .split('\n')
    .filter((l) => /^\++ tug /.test(l))
    .map((l) => {
      const words = l.replace(/^\++ tug /, '').split(' ');
      return words[0] === 'kube' ? `kube ${words[1]}` : words[0];
    });
  assert.deepEqual(traced, ['login', 'sync', 'verify', 'kube rewrite', 'kube rewrite', 'kube pull-secret', 'kube mirror-config', 'kube mirror-config']);
});

test('the mirror holds every image and alias, digest for digest (skopeo inspect)', async () => {
  const creds = `--creds=${USER}:${PASSWORD}`;
  for (const { name, tag } of IMAGES) {
    for (const t of [tag, 'latest']) {
      const { stdout } = await run(SKOPEO_BIN, ['inspect', '--raw', '--tls-verify=false', creds, `docker://${mirror.host}/edge/${name}:${t}`]);
      assert.equal(sha256(stdout), pushed.get(name)!.top.digest, `${name}:${t}`);
    }
  }
});

test('the rewritten values equal the seed\'s files (with the mirror\'s host), comments kept', () => {
  for (const { name } of IMAGES) {
    const got = readFileSync(join(site, `${name}-values.yaml`), 'utf8');
    const seed = body(readFileSync(join(FIXTURES, `${name}-values.yaml`), 'utf8')).replaceAll('quanzhenglong.com', mirror.host);
    assert.equal(body(got), seed, name);
    assert.match(got, /^# Seed 000's /);
  }
});

test('the pull secret decodes to credentials that log in to the mirror; the ServiceAccount patch names it', async () => {
  const docs = parseAllDocuments(readFileSync(join(site, 'edge-registry.secret.yaml'), 'utf8')).map((d) => d.toJS() as { kind: string; type: string; metadata: { name: string; namespace: string }; data: Record<string, string> });
  assert.equal(docs.length, 1);
  const secret = docs[0]!;
  assert.deepEqual([secret.kind, secret.type, secret.metadata.name, secret.metadata.namespace], ['Secret', 'kubernetes.io/dockerconfigjson', 'edge-registry', 'kube-system']);
  const config = Buffer.from(secret.data['.dockerconfigjson']!, 'base64').toString('utf8');
  assert.deepEqual(Object.keys((JSON.parse(config) as { auths: object }).auths), [mirror.host]);
  const authfile = join(work, 'secret-config.json');
  writeFileSync(authfile, config);
  const { stdout } = await run(SKOPEO_BIN, ['list-tags', '--tls-verify=false', '--authfile', authfile, `docker://${mirror.host}/edge/yurthub`]);
  assert.deepEqual((JSON.parse(stdout) as { Tags: string[] }).Tags.sort(), ['latest', 'v1.6.0']);
  // The control: the mirror refuses anonymous reads, so the list above used the secret's credentials.
  await assert.rejects(run(SKOPEO_BIN, ['list-tags', '--tls-verify=false', '--no-creds', `docker://${mirror.host}/edge/yurthub`]));
  assert.match(readFileSync(join(site, 'serviceaccount-patch.txt'), 'utf8'), /kubectl patch serviceaccount default -n kube-system -p '\{"imagePullSecrets":\[\{"name":"edge-registry"\}\]\}'/);
});

test('the node files send docker.io/openyurt to the mirror (k3s registries.yaml, registries.conf)', () => {
  const k3s = readFileSync(join(site, 'node', 'registries.yaml'), 'utf8');
  assert.match(k3s, new RegExp(`^  docker\\.io:\\n    endpoint:\\n      - http://${mirror.host.replaceAll('.', '\\.')}\\n    rewrite:\\n      "?\\^openyurt/\\(\\.\\*\\)\\$"?: "?edge/\\$1"?$`, 'm'));
  const conf = readFileSync(join(site, 'node', 'registries.conf'), 'utf8');
  assert.match(conf, new RegExp(`prefix = "docker\\.io/openyurt"\\nlocation = "docker\\.io/openyurt"\\n\\n\\[\\[registry\\.mirror\\]\\]\\nlocation = "${mirror.host.replaceAll('.', '\\.')}/edge"\\ninsecure = true`));
});
