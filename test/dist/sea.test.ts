/**
 * The single-file executables of `npm run dist` (scripts/dist.ts): built
 * once (or found up to date), then run as an offline host would: the amd64
 * one mirrors a multi-arch image with no `node` anywhere on PATH, serves
 * the API and its embedded console from an empty directory, reads no code
 * from outside itself; the arm64 one answers under qemu.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { promisify } from 'node:util';
import { ROOT, SEA_DIR, TARGETS, runnerFor } from '../../scripts/dist.ts';
import { multiArch, pushImage } from '../support/images.ts';
import { postgresBinDir, startPostgres } from '../support/postgres.ts';
import { startRegistry } from '../support/registry.ts';
import { rawManifest } from '../support/skopeo.ts';
import { tempDir } from '../support/tmp.ts';

const run = promisify(execFile);
const AMD64 = join(SEA_DIR, 'tug-linux-amd64');
const ARM64 = join(SEA_DIR, 'tug-linux-arm64');

before(async () => {
  // Through the script itself, as `npm run dist` runs it: incremental, so a second run costs the bundling only.
  const started = Date.now();
  const build = spawnSync(process.execPath, [join(ROOT, 'scripts', 'dist.ts')], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
  assert.equal(build.status, 0, `npm run dist failed:\n${build.stdout}\n${build.stderr}`);
  process.stderr.write(`# npm run dist: ${((Date.now() - started) / 1000).toFixed(1)} s, ${build.stdout.trim().split('\n').at(-1)}\n`);
});

/** A PATH directory holding `tug` (the amd64 executable) and nothing else. */
function binDir(t: Parameters<typeof tempDir>[0]): string {
  const dir = tempDir(t, 'tug-sea-bin-');
  symlinkSync(AMD64, join(dir, 'tug'));
  return dir;
}

function runBinary(file: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(file, args, { env, cwd, maxBuffer: 16 * 1024 * 1024 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (err: { code?: number; stdout?: string; stderr?: string }) => ({ code: typeof err.code === 'number' ? err.code : -1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' }),
  );
}

test('SHA256SUMS verifies both executables with sha256sum -c', async () => {
  const { stdout } = await run('/usr/bin/sha256sum', ['-c', 'SHA256SUMS'], { cwd: SEA_DIR });
  assert.deepEqual(stdout.trim().split('\n').sort(), TARGETS.map((t) => `${t.file}: OK`).sort());
});

test('the amd64 executable mirrors a multi-arch image on a PATH with no node', async (t) => {
  const bin = binDir(t);
  const home = tempDir(t, 'tug-sea-home-');
  const env = { PATH: bin, HOME: home };
  // The environment really has no node: the same lookup a shell does.
  assert.notEqual(spawnSync('/usr/bin/which', ['node'], { env }).status, 0, 'node must not be on PATH');
  assert.notEqual(spawnSync('/bin/sh', ['-c', 'command -v node'], { env }).status, 0, 'node must not be on PATH');

  const a = await startRegistry();
  const b = await startRegistry();
  t.after(() => Promise.all([a.stop(), b.stop()]));
  const image = await multiArch('sea-demo', 'oci');
  await pushImage({ url: a.url, repository: 'openyurt/yurthub', tag: 'v1.6.0' }, image);

  const copy = await runBinary('tug', ['copy', '--all', `docker://${a.host}/openyurt/yurthub:v1.6.0`, `docker://${b.host}/edge/yurthub:v1.6.0`], env, home);
  assert.equal(copy.code, 0, copy.stderr);
  const list = join(home, 'images.txt');
  writeFileSync(list, `${a.host}/openyurt/yurthub:v1.6.0\n`);
  const sync = await runBinary('tug', ['sync', '--all', '--src', 'list', list, `${b.host}/mirror`], env, home);
  assert.equal(sync.code, 0, sync.stderr);
  assert.doesNotMatch(copy.stderr + sync.stderr, /Code cache data rejected/);

  for (const name of [`docker://${b.host}/edge/yurthub:v1.6.0`, `docker://${b.host}/mirror/yurthub:v1.6.0`]) {
    const raw = await rawManifest(name, ['--tls-verify=false']);
    assert.equal(raw, image.top.bytes.toString(), `${name} is the source index, byte for byte`);
    for (const m of image.manifests) assert.equal(await rawManifest(`${name.replace(/:v1\.6\.0$/, '')}@${m.digest}`, ['--tls-verify=false']), m.bytes.toString());
  }
  const inspect = await runBinary('tug', ['inspect', '--raw', `docker://${b.host}/mirror/yurthub:v1.6.0`], env, home);
  assert.equal(inspect.stdout, image.top.bytes.toString());
});

/** `tug serve` from `file`, resolved once it prints its address. */
function serve(file: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(file, ['serve', '--listen', '127.0.0.1:0', ...args], { env, cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`tug serve exited (${code}):\n${stderr}`)));
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(stderr);
      if (m) resolve({ child, url: m[1]! });
    });
  });
}

test('tug serve from the executable answers /healthz and serves the embedded console', async (t) => {
  // An empty directory, no repository anywhere near: the console can only come from inside the executable.
  const cwd = tempDir(t, 'tug-sea-serve-');
  const server = await serve(AMD64, ['--data', join(cwd, 'data')], { PATH: '/usr/bin:/bin', HOME: cwd }, cwd);
  t.after(() => server.child.kill('SIGKILL'));
  const health = await fetch(`${server.url}/healthz`);
  assert.equal(health.status, 200);
  assert.equal(((await health.json()) as { status: string }).status, 'ok');

  const index = await fetch(`${server.url}/`);
  assert.equal(index.status, 200);
  assert.match(index.headers.get('content-type')!, /text\/html/);
  assert.equal(await index.text(), readFileSync(join(ROOT, 'web', 'dist', 'index.html'), 'utf8'));
  const route = await fetch(`${server.url}/repositories/default/x`);
  assert.equal(await route.text(), readFileSync(join(ROOT, 'web', 'dist', 'index.html'), 'utf8'), 'SPA routes answer index.html');
  const script = readdirSync(join(ROOT, 'web', 'dist', 'assets')).find((f) => f.endsWith('.js'))!;
  const asset = await fetch(`${server.url}/assets/${script}`);
  assert.equal(asset.status, 200);
  assert.match(asset.headers.get('content-type')!, /javascript/);
  assert.ok(Buffer.from(await asset.arrayBuffer()).equals(readFileSync(join(ROOT, 'web', 'dist', 'assets', script))));
  const api = await fetch(`${server.url}/oapis/image.theriseunion.io/v1alpha1/nothing-here`);
  assert.equal(api.status, 401, 'API paths still need a token');
  server.child.kill('SIGTERM');
});

test('tug serve from the executable runs on PostgreSQL (pg is inside too)', async (t) => {
  if (postgresBinDir() === undefined) {
    t.skip('PostgreSQL is not installed (scripts/setup.sh installs it)');
    return;
  }
  const pg = await startPostgres();
  t.after(() => pg.stop());
  const cwd = tempDir(t, 'tug-sea-pg-');
  const env = { PATH: '/usr/bin:/bin', HOME: cwd, TUG_SECRET_KEY: Buffer.alloc(32, 7).toString('base64') };
  const server = await serve(AMD64, ['--database', await pg.createDatabase()], env, cwd);
  t.after(() => server.child.kill('SIGKILL'));
  const ready = await fetch(`${server.url}/readyz`);
  assert.equal(ready.status, 200, 'the store answers');
  assert.equal(existsSync(join(cwd, '.tugboat')), false, 'no SQLite store was made instead');
});

test('the executable loads no code from outside itself: not NODE_OPTIONS, not node_modules of its directory', async (t) => {
  const cwd = tempDir(t, 'tug-sea-evil-');
  const marker = join(cwd, 'ran');
  const evil = `require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'x');`;
  writeFileSync(join(cwd, 'evil.cjs'), evil);
  for (const pkg of ['undici', 'commander', '@commander-js/extra-typings', 'yaml']) {
    mkdirSync(join(cwd, 'node_modules', pkg), { recursive: true });
    writeFileSync(join(cwd, 'node_modules', pkg, 'package.json'), JSON.stringify({ name: pkg, main: 'index.js' }));
    writeFileSync(join(cwd, 'node_modules', pkg, 'index.js'), evil);
  }
  const env = { PATH: '/usr/bin:/bin', HOME: cwd, NODE_OPTIONS: `--require ${join(cwd, 'evil.cjs')} --import ${join(cwd, 'evil.cjs')}`, NODE_PATH: join(cwd, 'node_modules') };
  const result = await runBinary(AMD64, ['inspect', '--help'], env, cwd);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /Usage: tug inspect/);
  assert.equal(existsSync(marker), false, 'no outside code ran');
});

test('the arm64 executable runs --version under qemu-aarch64-static', async (t) => {
  const runner = runnerFor('arm64');
  if (runner === undefined || runner.length === 0) {
    t.skip('qemu-aarch64-static or the arm64 sysroot (/usr/aarch64-linux-gnu) is missing: scripts/setup.sh installs qemu-user-static, libc6-arm64-cross and libstdc++6-arm64-cross');
    return;
  }
  const { stdout } = await run(runner[0]!, [...runner.slice(1), ARM64, '--version']);
  assert.equal(stdout.trim(), '0.1.0');
  const head = Buffer.alloc(20);
  const fd = openSync(ARM64, 'r');
  readSync(fd, head, 0, 20, 0);
  closeSync(fd);
  assert.equal(head.readUInt16LE(18), 183, 'an aarch64 ELF executable');
});
