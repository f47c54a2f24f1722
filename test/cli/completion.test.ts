/**
 * `tug completion bash|zsh|fish`: the scripts complete for real. bash runs
 * the generated `_tug` with COMP_WORDS / COMP_LINE as bash sets them; fish
 * answers `complete -C`; zsh loads the script (through bashcompinit).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { promisify } from 'node:util';
import { tempDir } from '../support/tmp.ts';
import { runTug } from '../support/tug.ts';

const exec = promisify(execFile);
let dir: string;
const scripts: Record<string, string> = {};

before(async () => {
  dir = tempDir(undefined, 'tug-completion-');
  mkdirSync(join(dir, 'layout-a'));
  mkdirSync(join(dir, 'layout-b'));
  writeFileSync(join(dir, 'auth.json'), '{}');
  for (const shell of ['bash', 'zsh', 'fish']) {
    const run = await runTug(['completion', shell]);
    assert.equal(run.code, 0, run.stderr);
    scripts[shell] = join(dir, `tug.${shell}`);
    writeFileSync(scripts[shell]!, run.stdout);
  }
});

/** COMPREPLY for a command line, the cursor at its end; words split as bash splits them (at spaces and ":"). */
async function bashComplete(line: string): Promise<string[]> {
  const words = line.split(/(:)|\s+/).filter((w) => w !== undefined && w !== '');
  if (line.endsWith(' ')) words.push('');
  const quoted = words.map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(' ');
  const program = `source '${scripts.bash}'; COMP_LINE='${line}'; COMP_POINT=${line.length}; COMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; _tug; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const { stdout } = await exec('bash', ['--norc', '-c', program], { cwd: dir });
  return stdout.split('\n').filter(Boolean);
}

const cases: { line: string; want: string[]; exact?: boolean }[] = [
  { line: 'tug co', want: ['copy', 'completion'], exact: true },
  { line: 'tug --debug sy', want: ['sync'], exact: true },
  { line: 'tug copy --src-tl', want: ['--src-tls-verify'], exact: true },
  { line: 'tug copy --image-par', want: ['--image-parallel-copies'], exact: true },
  { line: 'tug inspect --no-t', want: ['--no-tags'], exact: true },
  { line: 'tug copy --multi-arch ', want: ['system', 'all', 'index-only'], exact: true },
  { line: 'tug copy oc', want: ['oci:', 'oci-archive:'], exact: true },
  { line: 'tug copy docker', want: ['docker://', 'docker-archive:', 'docker-daemon:'], exact: true },
  // After "oci:" bash replaces only the part after the colon.
  { line: 'tug copy oci:layout-', want: ['layout-a', 'layout-b'], exact: true },
  { line: 'tug inspect --authfile au', want: ['auth.json'], exact: true },
];
for (const c of cases) {
  test(`bash: ${JSON.stringify(c.line)}`, async () => {
    const got = await bashComplete(c.line);
    if (c.exact) assert.deepEqual([...got].sort(), [...c.want].sort());
    else for (const w of c.want) assert.ok(got.includes(w), `${w} in ${got.join(' ')}`);
  });
}

test('an unknown shell is one line naming the three', async () => {
  const run = await runTug(['completion', 'tcsh']);
  assert.equal(run.code, 2);
  assert.match(run.stderr, /^tug: error: no completion for shell "tcsh" \(use one of bash, zsh, fish\)\n$/);
});

const fish = existsSync('/usr/bin/fish');
test('fish: the script parses and completes commands, flags and transports', { skip: !fish && 'fish is not installed (apt-get install fish)' }, async () => {
  await exec('fish', ['--no-execute', scripts.fish!]);
  const complete = async (line: string) =>
    (await exec('fish', ['--no-config', '-c', `source ${scripts.fish}; complete -C '${line}'`], { cwd: dir })).stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('\t')[0]);
  assert.ok((await complete('tug cop')).includes('copy'));
  assert.ok((await complete('tug copy --src-tl')).includes('--src-tls-verify'));
  assert.ok((await complete('tug copy oc')).includes('oci:'));
  assert.ok((await complete('tug copy oci:layout-')).includes('oci:layout-a/'));
});

const zsh = existsSync('/usr/bin/zsh');
test('zsh: the script parses and loads', { skip: !zsh && 'zsh is not installed (apt-get install zsh)' }, async () => {
  await exec('zsh', ['-n', scripts.zsh!]);
  const { stdout } = await exec('zsh', ['-f', '-c', `autoload -U compinit && compinit -u -D; source ${scripts.zsh}; whence -w _tug`]);
  assert.match(stdout, /_tug: function/);
});
