/**
 * scripts/tug-launcher.sh, as scripts/setup.sh installs it (a `tug` link in
 * a PATH directory): it runs the pinned Node 24 with bin/tug.js's shebang
 * flags and environment even when an older Node comes first on PATH, and
 * without npm.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { ROOT, shebangNodeFlags } from '../../scripts/dist.ts';
import { tempDir } from '../support/tmp.ts';

const run = promisify(execFile);
const LAUNCHER = join(ROOT, 'scripts', 'tug-launcher.sh');

test('the tug launcher runs the pinned Node 24 with bin/tug.js flags, whatever node is first on PATH', async (t) => {
  const bin = tempDir(t, 'tug-launcher-bin-');
  symlinkSync(LAUNCHER, join(bin, 'tug'));
  // An old node first on PATH, as on a machine with Debian's or nvm's Node 20: it must not be the one that runs tug.
  const old = tempDir(t, 'tug-launcher-old-');
  writeFileSync(join(old, 'node'), '#!/bin/sh\necho "old node ran" >&2\nexit 99\n', { mode: 0o755 });
  writeFileSync(join(old, 'npm'), '#!/bin/sh\necho "npm ran" >&2\nexit 98\n', { mode: 0o755 });
  const env = { PATH: `${old}:${bin}:/usr/bin:/bin`, HOME: bin };
  assert.equal(spawnSync('node', ['--version'], { env }).status, 99, 'the decoy node is first on PATH');

  const { stdout, stderr } = await run('tug', ['--version'], { env });
  assert.equal(stdout.trim(), '0.1.0');
  assert.equal(stderr, '', 'no npm, no EBADENGINE, no warnings');

  // What actually ran: the pinned Node with the shebang's flags and variables (strace shows each exec with its environment).
  const shebang = readFileSync(join(ROOT, 'bin', 'tug.js'), 'utf8').split('\n')[0]!;
  const node = join(ROOT, 'node_modules', 'node', 'bin', 'node');
  const trace = spawnSync('/usr/bin/strace', ['-f', '-qq', '-e', 'trace=execve', '-s', '300', '-v', 'tug', '--version'], { env, encoding: 'utf8' });
  if (trace.error) {
    t.diagnostic('strace is not installed: checked the version only');
    return;
  }
  const exec = trace.stderr.split('\n').find((l) => l.includes(`execve("${node}"`));
  assert.ok(exec, `the pinned node was executed:\n${trace.stderr}`);
  for (const flag of shebangNodeFlags()) assert.ok(exec.includes(`"${flag}"`), `${flag} is passed (${shebang})`);
  for (const assignment of shebang.replace(/^#!\/usr\/bin\/env -S /, '').split(/\s+/).filter((w) => /^[A-Z_]+=/.test(w))) {
    assert.ok(exec.includes(`"${assignment}"`), `${assignment} is in the environment`);
  }
});
