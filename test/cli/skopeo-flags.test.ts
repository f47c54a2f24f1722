/**
 * skopeo's flags with `tug` in skopeo's place (issue 12, items 1 and 6).
 * In process, every row of SKOPEO_FLAGS (src/cli/skopeo-flags.ts) is checked
 * against the program: an implemented flag parses with skopeo's syntax
 * (`--x v`, `--x=v`, booleans `--x`, `--x=true`, `--x=false`), a refused one
 * stops the command with its one line, an `elsewhere` one is declared by
 * its owner (which tests what it does). Then the real CLI against a real
 * htpasswd registry: credentials flags, --debug's HTTP lines without
 * secrets, the TLS notice once, inspect --format, sync -s/-d --digestfile,
 * logout --all with nothing stored.
 */
import { SKOPEO_DOC, withFreshTables } from '../../scripts/skopeo-flags-doc.ts';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { CommandUnknownOpts, Option } from '@commander-js/extra-typings';
import { normalizeArgv } from '../../src/cli/argv.ts';
import { renderGoTemplate } from '../../src/cli/go-template.ts';
import { contextFrom, parseTimeout } from '../../src/cli/options.ts';
import { buildProgram } from '../../src/cli/program.ts';
import { SKOPEO_FLAGS, type SkopeoFlag } from '../../src/cli/skopeo-flags.ts';
import { TugError } from '../../src/errors/index.ts';
import { type GeneratedImage, makeImage, pushImage } from '../support/images.ts';
import { type TestRegistry, startRegistry } from '../support/registry.ts';
import { skopeo } from '../support/skopeo.ts';
import { tempDir } from '../support/tmp.ts';
import { runTug } from '../support/tug.ts';

const USER = 'script_user';
const PASS = 'Hunter2-canary-pass';
const BASIC = Buffer.from(`${USER}:${PASS}`).toString('base64');

async function commandOf(row: SkopeoFlag): Promise<{ program: CommandUnknownOpts; cmd: CommandUnknownOpts }> {
  const program = (await buildProgram(row.command === 'global' ? 'manifest-digest' : row.command)) as unknown as CommandUnknownOpts;
  const cmd = row.command === 'global' ? program : program.commands.find((c) => c.name() === row.command);
  assert.ok(cmd, `tug has a ${row.command} command`);
  return { program, cmd };
}

const optionOf = (cmd: CommandUnknownOpts, flag: string) => (cmd.options as readonly Option[]).find((o) => o.long === flag);

/** Parses `args` as options of `cmd` (no action runs) after tug's argv rewriting; returns commander's stored value. */
function parse(program: CommandUnknownOpts, cmd: CommandUnknownOpts, option: Option, args: string[]): unknown {
  const argv = cmd === program ? args : [cmd.name(), ...args];
  const normal = normalizeArgv(argv, program, cmd === program ? undefined : cmd);
  const own = cmd === program ? normal : normal.slice(1);
  const { unknown } = cmd.parseOptions(own);
  assert.deepEqual(unknown, [], `${args.join(' ')}: nothing left unparsed`);
  return cmd.getOptionValue(option.attributeName());
}

for (const row of SKOPEO_FLAGS) {
  const name = `${row.command} ${row.flag}${row.short ? ` (${row.short})` : ''}: ${row.status}`;
  test(name, async () => {
    const { program, cmd } = await commandOf(row);
    const option = optionOf(cmd, row.flag) ?? (row.command !== 'global' ? optionOf(program, row.flag) : undefined);
    if (row.status === 'elsewhere') {
      // Declared and tested by the part that implements it (its note names it); here only its presence.
      assert.ok(option, `${row.flag} is not declared on ${row.command} (owned by ${row.note ?? 'another part'})`);
      return;
    }
    if (row.status === 'refused') {
      // As many operands as the command takes: commander checks their count before any hook.
      const operands = (row.command === 'global' ? program.commands.find((c) => c.name() === 'manifest-digest')! : cmd).registeredArguments.filter((a) => a.required).map(() => 'x');
      const given = row.value !== undefined ? [`${row.flag}=${row.value}`] : [row.flag];
      const args = row.command === 'global' ? [...given, 'manifest-digest', ...operands] : [row.command, ...given, ...operands];
      const run = program.parseAsync(args, { from: 'user' });
      await assert.rejects(run, (err: unknown) => {
        assert.ok(err instanceof TugError, String(err));
        assert.equal(err.code, 'USAGE');
        assert.match(err.describe(), new RegExp(`^${row.flag} is not supported: .+\\(.+\\)$`));
        assert.doesNotMatch(err.describe(), /\n/);
        return true;
      });
      return;
    }
    assert.ok(option, `${row.flag} is declared`);
    if (row.short) assert.equal(option.short, row.short, `${row.flag} has skopeo's short flag`);
    if (row.flag === '--version') return;
    if (row.value !== undefined) {
      assert.ok(option.required, `${row.flag} takes a value`);
      // Each form on a program of its own: a repeatable flag (--additional-tag) collects across parses.
      const parseFresh = async (args: string[]) => {
        const fresh = await commandOf(row);
        return parse(fresh.program, fresh.cmd, optionOf(fresh.cmd, row.flag) ?? optionOf(fresh.program, row.flag)!, args);
      };
      const spaced = parse(program, cmd, option, [row.flag, row.value]);
      const joined = await parseFresh([`${row.flag}=${row.value}`]);
      assert.notEqual(spaced, undefined);
      assert.deepEqual(joined, spaced, '--flag=value and --flag value mean the same');
      if (row.short) assert.deepEqual(await parseFresh([row.short, row.value]), spaced);
    } else {
      // A negated flag (--no-tags) stores false under its positive name.
      const on = !option.negate;
      assert.equal(parse(program, cmd, option, [row.flag]), on);
      assert.equal(parse(program, cmd, option, [`${row.flag}=true`]), on);
      const fresh = await commandOf(row);
      const freshOption = optionOf(fresh.cmd, row.flag) ?? optionOf(fresh.program, row.flag)!;
      const off = parse(fresh.program, fresh.cmd, freshOption, [`${row.flag}=false`]);
      assert.ok(off === undefined || off === !on, `${row.flag}=false leaves it off (got ${String(off)})`);
    }
  });
}

test('docs/skopeo.md shows the table as it is (npm run docs:skopeo rewrites it)', () => {
  const text = readFileSync(SKOPEO_DOC, 'utf8');
  assert.equal(text, withFreshTables(text), 'docs/skopeo.md is stale: run npm run docs:skopeo');
});

test('every skopeo command has rows, and no flag is listed twice', () => {
  const seen = new Set<string>();
  for (const r of SKOPEO_FLAGS) {
    const key = `${r.command} ${r.flag}`;
    assert.ok(!seen.has(key), `${key} twice`);
    seen.add(key);
    if (r.status !== 'implemented' && r.status !== 'elsewhere') assert.ok(r.note, `${key} says how it differs or why it is refused`);
    if (r.status === 'refused') assert.match(r.note ?? '', / \| /, `${key}: why | what to do instead`);
  }
  for (const c of ['global', 'copy', 'sync', 'inspect', 'list-tags', 'delete', 'login', 'logout']) assert.ok(SKOPEO_FLAGS.some((r) => r.command === c), c);
});

const durations: [string, number | undefined][] = [
  ['10m', 600_000],
  ['1h30m', 5_400_000],
  ['90s', 90_000],
  ['1.5s', 1_500],
  ['600', 600_000], // tug's old spelling: seconds
  ['0', undefined],
  ['ten', undefined],
  ['-5s', undefined],
  ['5d', undefined],
];
for (const [text, ms] of durations) {
  test(`--command-timeout=${text}`, () => {
    if (ms === undefined) assert.throws(() => parseTimeout(text), /expected a Go duration/);
    else assert.equal(parseTimeout(text), ms);
  });
}

test('credential flags: username+password, no-creds, retry-delay; conflicts are one line', () => {
  const both = contextFrom({ srcUsername: 'u', srcPassword: 'p', retryDelay: 2000 } as never, 'src-');
  assert.deepEqual(both.credentials, { username: 'u', password: 'p' });
  assert.equal(both.retryMaxDelayMs, 2000);
  assert.equal(contextFrom({ noCreds: true } as never, '').noAuthFile, true);
  assert.throws(() => contextFrom({ destUsername: 'u' } as never, 'dest-'), /--dest-username needs --dest-password/);
  assert.throws(() => contextFrom({ creds: 'a:b', noCreds: true } as never, ''), /--creds and --no-creds conflict/);
});

test("argv: a command's own short flag shadows the program's; booleans take true/false only", async () => {
  const program = (await buildProgram('login')) as unknown as CommandUnknownOpts;
  const login = program.commands.find((c) => c.name() === 'login')!;
  assert.deepEqual(normalizeArgv(['login', '-v', 'h'], program, login), ['login', '--verbose', 'h']);
  assert.deepEqual(normalizeArgv(['-v'], program, undefined), ['-v']);
  assert.deepEqual(normalizeArgv(['--debug=false', 'login', '--password-stdin=true', 'h'], program, login), ['login', '--password-stdin', 'h']);
  assert.throws(() => normalizeArgv(['login', '--get-login=yes', 'h'], program, login), /--get-login takes true or false, got "yes"/);
  assert.deepEqual(normalizeArgv(['login', '--', '--get-login=yes'], program, login), ['login', '--', '--get-login=yes']);
});

test('argv: a bare tri-state boolean never takes the next word (pflag), true/false after it stay its value', async () => {
  const program = (await buildProgram('copy')) as unknown as CommandUnknownOpts;
  const copy = program.commands.find((c) => c.name() === 'copy')!;
  assert.deepEqual(normalizeArgv(['copy', '--dest-tls-verify', 'docker://a/b:1', 'docker://c/d:1'], program, copy), ['copy', '--dest-tls-verify=true', 'docker://a/b:1', 'docker://c/d:1']);
  assert.deepEqual(normalizeArgv(['copy', '--src-plain-http', '--dest-plain-http', 'docker://a/b:1', 'dir:/x'], program, copy), ['copy', '--src-plain-http=true', '--dest-plain-http=true', 'docker://a/b:1', 'dir:/x']);
  assert.deepEqual(normalizeArgv(['copy', '--dest-tls-verify', 'false', 'docker://a/b:1', 'docker://c/d:1'], program, copy), ['copy', '--dest-tls-verify', 'false', 'docker://a/b:1', 'docker://c/d:1']);
  assert.deepEqual(normalizeArgv(['copy', 'docker://a/b:1', 'docker://c/d:1', '--dest-tls-verify'], program, copy), ['copy', 'docker://a/b:1', 'docker://c/d:1', '--dest-tls-verify=true']);
});

const templates: [string, string][] = [
  ['{{.Digest}}', 'sha256:abc'],
  ['Name: {{.Name}} Tags: {{.RepoTags}}', 'Name: r.example/app Tags: [v1 v2]'],
  ['{{.Labels.version}}', '1.2'],
  ['{{json .Labels}}', '{"version":"1.2"}'],
  ['{{.Missing}}', '<no value>'],
  ['a {{- .Digest -}} b', 'asha256:abcb'],
];
const data = { Digest: 'sha256:abc', Name: 'r.example/app', RepoTags: ['v1', 'v2'], Labels: { version: '1.2' } };
for (const [template, want] of templates) test(`--format ${template}`, () => assert.equal(renderGoTemplate(template, data), want));
test('--format refuses what it cannot run, naming it', () => {
  assert.throws(() => renderGoTemplate('{{range .RepoTags}}{{.}}{{end}}', data), /tug does not run the template action \{\{range \.RepoTags\}\}/);
  assert.throws(() => renderGoTemplate('{{.Name | upper}}', data), /\{\{\.Name \| upper\}\}/);
});

describeRegistry();

function describeRegistry(): void {
  let reg: TestRegistry;
  let image: GeneratedImage;
  before(async () => {
    reg = await startRegistry({ users: { [USER]: PASS } });
    image = await makeImage({ seed: 'skopeo-flags', flavour: 'oci', labels: { version: '1.2' } });
    await pushImage({ url: reg.url, repository: 'edge/app', tag: 'v1', username: USER, password: PASS }, image);
  });
  after(async () => reg.stop());

  const noSecrets = (text: string) => {
    assert.ok(!text.includes(PASS), 'the password never appears');
    assert.ok(!text.includes(BASIC), 'the Basic credentials never appear');
    assert.doesNotMatch(text, /authorization|Bearer [A-Za-z0-9]/i);
  };

  test('copy --src-username/--src-password --debug: HTTP exchanges on stderr, no secrets; the TLS note once', async (t) => {
    const dest = join(tempDir(t, 'tug-skopeo-dir-'), 'img');
    const run = await runTug(['--debug', 'copy', '--src-username', USER, `--src-password=${PASS}`, `docker://${reg.host}/edge/app:v1`, `dir:${dest}`]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, new RegExp(`HTTP GET http://${reg.host.replace(/\./g, '\\.')}/v2/edge/app/manifests/v1 -> 200`));
    assert.match(run.stderr, /HTTP GET \S+\/v2\/edge\/app\/blobs\/sha256:[0-9a-f]{64} -> 200/);
    noSecrets(run.stdout + run.stderr);
    assert.equal(run.stderr.match(/does not speak TLS/g)?.length, 1, 'the plain-HTTP note is printed once per registry');
    assert.equal(readFileSync(join(dest, 'manifest.json')).toString(), image.top.bytes.toString(), 'the manifest arrived byte for byte');
  });

  test('without --debug no HTTP lines; with --src-tls-verify=false no TLS note (the user said so)', async (t) => {
    const dest = join(tempDir(t, 'tug-skopeo-dir-'), 'img');
    const run = await runTug(['copy', '--src-tls-verify=false', '--src-creds', `${USER}:${PASS}`, `docker://${reg.host}/edge/app:v1`, `dir:${dest}`]);
    assert.equal(run.code, 0, run.stderr);
    assert.doesNotMatch(run.stderr, /HTTP GET|does not speak TLS/);
  });

  test('inspect --format with --username/--password gives what skopeo gives', async () => {
    const args = ['--format', 'Name: {{.Name}} Digest: {{.Digest}} {{.Labels.version}}', `docker://${reg.host}/edge/app:v1`];
    const run = await runTug(['--command-timeout=10m', 'inspect', '--tls-verify=false', '--username', USER, '--password', PASS, ...args]);
    assert.equal(run.code, 0, run.stderr);
    const theirs = await skopeo(['inspect', '--tls-verify=false', '--creds', `${USER}:${PASS}`, ...args]);
    assert.equal(run.stdout, theirs);
    assert.match(run.stdout, /Digest: sha256:[0-9a-f]{64} 1\.2\n$/);
  });

  test('list-tags --no-creds is anonymous (401), --creds lists', async () => {
    const anon = await runTug(['list-tags', '--no-creds', `docker://${reg.host}/edge/app`]);
    assert.equal(anon.code, 5, anon.stderr);
    const ok = await runTug(['list-tags', '--creds', `${USER}:${PASS}`, `docker://${reg.host}/edge/app`]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.deepEqual(JSON.parse(ok.stdout).Tags, ['v1']);
  });

  test('sync -s docker -d dir --digestfile --retry-delay=1s --all=false', async (t) => {
    const dir = tempDir(t, 'tug-skopeo-sync-');
    const digests = join(dir, 'digests');
    const run = await runTug(['sync', '-s', 'docker', '-d', 'dir', '--all=false', '--retry-delay=1s', '--src-creds', `${USER}:${PASS}`, '--digestfile', digests, `${reg.host}/edge/app`, join(dir, 'out')]);
    assert.equal(run.code, 0, run.stderr);
    const [line] = readFileSync(digests, 'utf8').trim().split('\n');
    assert.match(line!, new RegExp(`^${image.top.digest} \\S*app:v1$`));
    assert.ok(readdirSync(join(dir, 'out'), { recursive: true }).some((f) => String(f).endsWith('manifest.json')));
  });

  // skopeo 1.9.3 (Debian's) predates --append-suffix (skopeo 1.13), so the result is checked with skopeo instead of compared.
  test('sync --append-suffix lands every tag with the suffix, the same image', async () => {
    const creds = ['--src-creds', `${USER}:${PASS}`, '--dest-creds', `${USER}:${PASS}`];
    const ours = await runTug(['sync', '-s', 'docker', '-d', 'docker', '--append-suffix=-mirror', ...creds, `${reg.host}/edge/app`, `${reg.host}/tug-suffix`]);
    assert.equal(ours.code, 0, ours.stderr);
    const list = JSON.parse(await skopeo(['list-tags', '--tls-verify=false', '--creds', `${USER}:${PASS}`, `docker://${reg.host}/tug-suffix/app`])) as { Tags: string[] };
    assert.deepEqual(list.Tags, ['v1-mirror']);
    const digest = await skopeo(['inspect', '--tls-verify=false', '--creds', `${USER}:${PASS}`, '--format', '{{.Digest}}', `docker://${reg.host}/tug-suffix/app:v1-mirror`]);
    assert.equal(digest.trim(), image.top.digest);
    const bad = await runTug(['sync', '-s', 'docker', '--append-suffix', 'bad/suffix', `${reg.host}/edge/app`, `${reg.host}/x`]);
    assert.equal(bad.code, 2);
  });

  test('a refused flag stops the real CLI with one line and exit 2, writing nothing', async (t) => {
    const dest = join(tempDir(t, 'tug-skopeo-dir-'), 'img');
    const run = await runTug(['copy', '--encryption-key', 'jwe:key.pem', `docker://${reg.host}/edge/app:v1`, `dir:${dest}`]);
    assert.equal(run.code, 2);
    assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
    assert.match(run.stderr, /^tug: error: --encryption-key is not supported: /);
    assert.throws(() => readdirSync(dest));
  });

  test('logout --all with nothing stored exits 0, as skopeo', async (t) => {
    const auth = join(tempDir(t, 'tug-skopeo-auth-'), 'auth.json');
    writeFileSync(auth, '{"auths":{}}');
    const run = await runTug(['logout', '--all', '--authfile', auth]);
    assert.equal(run.code, 0, run.stderr);
    const one = await runTug(['logout', '--authfile', auth, reg.host]);
    assert.equal(one.code, 1, 'logging out of one registry one is not logged into still fails');
  });
}
