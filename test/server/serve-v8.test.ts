/**
 * `tug serve` re-executes itself once with its young-generation size
 * (src/server/v8-tuning.ts): the same pid, the flag once on its command
 * line after the shebang's, the same arguments; it serves, and SIGTERM still
 * exits 0. TUG_SERVE_V8_TUNING=off keeps the CLI's command line.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { API_PREFIX } from '../../src/api/types.ts';
import { SERVE_START_FLAGS } from '../../src/server/v8-tuning.ts';
import { spawnServe } from '../support/serve.ts';
import { tempDir } from '../support/tmp.ts';
import { TUG_BIN, TUG_NODE_FLAGS } from '../support/tug.ts';

const ADMIN = 'tug_test-admin-token-0123456789abcdef';

function commandLine(pid: number): string[] {
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
}

async function serveOnce(t: import('node:test').TestContext, env: NodeJS.ProcessEnv): Promise<{ argv: string[]; args: string[]; stderr: string; code: number | null }> {
  const work = tempDir(t, 'tug-serve-v8-');
  writeFileSync(join(work, 'admin-token'), ADMIN, { mode: 0o600 });
  const args = ['--data', join(work, 'data'), '--admin-token-file', join(work, 'admin-token')];
  const server = await spawnServe(args, { env: { TUG_SECRET_KEY: '', ...env } });
  const argv = commandLine(server.child.pid!);
  // It serves: an authenticated list answers.
  const res = await fetch(`${server.url}${API_PREFIX}/repositories?limit=1`, { headers: { authorization: `Bearer ${ADMIN}` } });
  assert.equal(res.status, 200, await res.text());
  const code = await server.stop('SIGTERM');
  return { argv, args, stderr: server.stderr(), code };
}

test('tug serve runs with its young generation: re-executed once, same pid, same arguments; SIGTERM exits 0', { skip: process.platform !== 'linux' && 'reads /proc' }, async (t) => {
  const { argv, args, stderr, code } = await serveOnce(t, {});
  for (const flag of SERVE_START_FLAGS) assert.equal(argv.filter((a) => a === flag).length, 1, `${flag} once in ${argv.join(' ')}`);
  const script = argv.indexOf(TUG_BIN);
  assert.ok(script > 0, `bin/tug.js in ${argv.join(' ')}`);
  // The shebang's flags first, the server's after them (V8 takes the last of a flag), then the same command.
  assert.deepEqual(argv.slice(1, script), [...TUG_NODE_FLAGS, ...SERVE_START_FLAGS]);
  assert.deepEqual(argv.slice(script + 1), ['serve', '--listen', '127.0.0.1:0', ...args]);
  assert.equal(code, 0, stderr);
  assert.match(stderr, /SIGTERM: finishing in-flight syncs/);
  assert.doesNotMatch(stderr, /could not re-execute/);
});

test('TUG_SERVE_V8_TUNING=off: the CLI\'s command line, unchanged', { skip: process.platform !== 'linux' && 'reads /proc' }, async (t) => {
  const { argv, code, stderr } = await serveOnce(t, { TUG_SERVE_V8_TUNING: 'off' });
  for (const flag of SERVE_START_FLAGS) assert.ok(!argv.includes(flag), argv.join(' '));
  assert.deepEqual(argv.slice(1, argv.indexOf(TUG_BIN)), TUG_NODE_FLAGS);
  assert.equal(code, 0, stderr);
});
