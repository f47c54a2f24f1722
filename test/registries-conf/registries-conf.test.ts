/**
 * registries.conf parsing, merging, finding and resolving, table-driven
 * against the semantics of containers/image pkg/sysregistriesv2 (its
 * system_registries_v2_test.go covers the same ground).
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { TugError } from '../../src/errors/index.ts';
import { parseReference } from '../../src/reference/reference.ts';
import { findRegistry, mergeRegistriesConf, parseRegistriesConf, pullSources, readRegistriesConf, registriesConfPaths } from '../../src/registries-conf/index.ts';
import { setsNothing } from '../../src/registries-conf/load.ts';
import { tempDir } from '../support/tmp.ts';

const FILE = '/etc/containers/registries.conf';
const DIGEST = `sha256:${'a'.repeat(64)}`;

const CONF = `
unqualified-search-registries = ["registry.fedoraproject.org", "docker.io"]
short-name-mode = "enforcing"

[[registry]]
prefix = "docker.io/library"
location = "mirror.local:5000/hub/"
insecure = true

[[registry.mirror]]
location = "digest-mirror.local/hub"
pull-from-mirror = "digest-only"

[[registry.mirror]]
location = "tag-mirror.local/hub"
pull-from-mirror = "tag-only"

[[registry.mirror]]
location = "any-mirror.local/hub"

[[registry]]
location = "docker.io"

[[registry]]
location = "quay.io"
mirror-by-digest-only = true
[[registry.mirror]]
location = "quay-mirror.local"

[[registry]]
prefix = "*.corp.example"
blocked = true

[[registry]]
prefix = "example.com/foo"
location = "other.example/bar"

[aliases]
"fedora" = "registry.fedoraproject.org/fedora"
`;

test('parse: fields, defaults, trailing slashes, sorted by prefix', () => {
  const c = parseRegistriesConf(CONF, FILE);
  assert.deepEqual(
    c.registries.map((r) => [r.prefix, r.location, r.insecure, r.blocked, r.mirrorByDigestOnly, r.mirrors.map((m) => `${m.location}:${m.pullFromMirror}`)]),
    [
      ['*.corp.example', '', false, true, false, []],
      ['docker.io', 'docker.io', false, false, false, []],
      ['docker.io/library', 'mirror.local:5000/hub', true, false, false, ['digest-mirror.local/hub:digest-only', 'tag-mirror.local/hub:tag-only', 'any-mirror.local/hub:all']],
      ['example.com/foo', 'other.example/bar', false, false, false, []],
      ['quay.io', 'quay.io', false, false, true, ['quay-mirror.local:all']],
    ],
  );
  assert.deepEqual(c.unqualifiedSearchRegistries, ['registry.fedoraproject.org', 'docker.io']);
  assert.equal(c.shortNameMode, 'enforcing');
  assert.equal(c.credentialHelpers, undefined);
});

test('parse: the v1 format converts as containers/image converts it', () => {
  const c = parseRegistriesConf('[registries.search]\nregistries = ["docker.io"]\n[registries.insecure]\nregistries = ["old.local:5000"]\n[registries.block]\nregistries = ["bad.example"]\n', FILE);
  assert.deepEqual(c.registries.map((r) => [r.prefix, r.insecure, r.blocked]), [['bad.example', false, true], ['old.local:5000', true, false]]);
  assert.deepEqual(c.unqualifiedSearchRegistries, ['docker.io']);
});

test('parse: hostile or broken files are refused with one line naming the file and the field', () => {
  const cases: Array<{ name: string; text: string; dropIn?: boolean; field: RegExp }> = [
    { name: 'not TOML', text: 'registry = [\n', field: /not valid TOML/ },
    { name: 'quoted boolean', text: '[[registry]]\nlocation = "a.example"\ninsecure = "true"\n', field: /registry\[0\]\.insecure must be true or false/ },
    { name: 'URL scheme', text: '[[registry]]\nlocation = "https://a.example"\n', field: /registry\[0\]\.location .*URL scheme/ },
    { name: 'no location nor prefix', text: '[[registry]]\ninsecure = true\n', field: /registry\[0\]\.location and prefix are both unset/ },
    { name: 'prefix without location', text: '[[registry]]\nprefix = "a.example/x"\n', field: /registry\[0\]\.location is unset/ },
    { name: 'wildcard with a path', text: '[[registry]]\nprefix = "*.a.example/x"\nblocked = true\n', field: /registry\[0\]\.prefix .*wildcard/ },
    { name: 'pull-from-mirror on a registry', text: '[[registry]]\nlocation = "a.example"\npull-from-mirror = "all"\n', field: /registry\[0\]\.pull-from-mirror is only allowed/ },
    { name: 'unknown pull-from-mirror', text: '[[registry]]\nlocation = "a.example"\n[[registry.mirror]]\nlocation = "m.example"\npull-from-mirror = "sometimes"\n', field: /registry\[0\]\.mirror\[0\]\.pull-from-mirror "sometimes"/ },
    { name: 'mirror without location', text: '[[registry]]\nlocation = "a.example"\n[[registry.mirror]]\ninsecure = true\n', field: /registry\[0\]\.mirror\[0\]\.location is unset/ },
    { name: 'both mirror restrictions', text: '[[registry]]\nlocation = "a.example"\nmirror-by-digest-only = true\n[[registry.mirror]]\nlocation = "m.example"\npull-from-mirror = "tag-only"\n', field: /pull-from-mirror cannot be combined with mirror-by-digest-only/ },
    { name: 'conflicting insecure', text: '[[registry]]\nlocation = "a.example"\n[[registry]]\nprefix = "b.example"\nlocation = "a.example"\ninsecure = true\n', field: /"a.example" is defined several times with different insecure/ },
    { name: 'v1 in a drop-in', text: '[registries.search]\nregistries = ["a.example"]\n', dropIn: true, field: /registries is the v1 format, which drop-in files may not use/ },
    { name: 'v1 mixed with v2', text: 'short-name-mode = "enforcing"\n[registries.search]\nregistries = ["a.example"]\n', field: /mixed here with v2/ },
    { name: 'bad short-name-mode', text: 'short-name-mode = "lenient"\n', field: /short-name-mode "lenient"/ },
    { name: 'search entry with a path', text: 'unqualified-search-registries = ["a.example/ns"]\n', field: /unqualified-search-registries entry "a.example\/ns"/ },
    { name: 'registry not a table array', text: 'registry = "a.example"\n', field: /registry must be tables/ },
  ];
  for (const c of cases) {
    assert.throws(
      () => parseRegistriesConf(c.text, '/x/bad.conf', { dropIn: c.dropIn }),
      (err: TugError) => err.code === 'USAGE' && err.message.startsWith('registries.conf "/x/bad.conf": ') && c.field.test(err.message) && !err.message.includes('\n') && err.hint !== undefined,
      c.name,
    );
  }
});

test('merge: a drop-in replaces entries by prefix and each field it sets', () => {
  const base = parseRegistriesConf('unqualified-search-registries = ["a.example"]\n[[registry]]\nlocation = "a.example"\n[[registry]]\nlocation = "b.example"\n', FILE);
  const dropIn = parseRegistriesConf('credential-helpers = ["containers-auth.json", "pass"]\n[[registry]]\nlocation = "b.example"\nblocked = true\n', '/d/1.conf', { dropIn: true });
  const m = mergeRegistriesConf(base, dropIn);
  assert.deepEqual(m.registries.map((r) => [r.prefix, r.blocked, r.file]), [['a.example', false, FILE], ['b.example', true, '/d/1.conf']]);
  assert.deepEqual(m.unqualifiedSearchRegistries, ['a.example'], 'unset in the drop-in: kept');
  assert.deepEqual(m.credentialHelpers, ['containers-auth.json', 'pass']);
  assert.deepEqual(m.files, [FILE, '/d/1.conf']);
});

test('findRegistry: longest prefix, path boundaries, wildcards', () => {
  const c = parseRegistriesConf(CONF, FILE);
  const cases: Array<[string, string | undefined]> = [
    ['docker.io/library/nginx', 'docker.io/library'],
    ['docker.io/team/app', 'docker.io'],
    ['example.com/foo/app', 'example.com/foo'],
    ['example.com/foobar/app', undefined],
    ['git.corp.example/team/app', '*.corp.example'],
    ['a.b.corp.example:5000/x', '*.corp.example'],
    ['corp.example/x', undefined],
    ['evil.example/git.corp.example/x', undefined],
    ['quay.io/org/app', 'quay.io'],
  ];
  for (const [name, want] of cases) assert.equal(findRegistry(c, name)?.prefix, want, name);
});

test('pullSources: mirrors in order by the kind of reference, then the rewritten location', () => {
  const c = parseRegistriesConf(CONF, FILE);
  const cases: Array<{ ref: string; want: string[] }> = [
    { ref: 'nginx:1.27', want: ['tag-mirror.local/hub/nginx:1.27', 'any-mirror.local/hub/nginx:1.27', 'mirror.local:5000/hub/nginx:1.27'] },
    { ref: `nginx@${DIGEST}`, want: [`digest-mirror.local/hub/nginx@${DIGEST}`, `any-mirror.local/hub/nginx@${DIGEST}`, `mirror.local:5000/hub/nginx@${DIGEST}`] },
    { ref: 'quay.io/org/app:v1', want: ['quay.io/org/app:v1'] },
    { ref: `quay.io/org/app@${DIGEST}`, want: [`quay-mirror.local/org/app@${DIGEST}`, `quay.io/org/app@${DIGEST}`] },
    { ref: 'example.com/foo/app:v1', want: ['other.example/bar/app:v1'] },
    { ref: 'git.corp.example/team/app:v1', want: ['git.corp.example/team/app:v1'] },
    { ref: 'unlisted.example/app:v1', want: ['unlisted.example/app:v1'] },
  ];
  for (const x of cases) assert.deepEqual(pullSources(c, parseReference(x.ref)).map((s) => s.reference.toString()), x.want, x.ref);
  const hub = pullSources(c, parseReference('nginx'));
  assert.deepEqual(hub.map((s) => [s.mirror, s.insecure]), [[true, false], [true, false], [false, true]]);
});

test('files: the user file replaces the system one; --registries-conf keeps the drop-ins; a broken drop-in is an error', async (t) => {
  const home = tempDir(t, 'tug-regconf-');
  const userDir = join(home, '.config/containers');
  assert.deepEqual(await registriesConfPaths({ env: { HOME: home } }), { file: '/etc/containers/registries.conf', named: false, dirs: ['/etc/containers/registries.conf.d', join(userDir, 'registries.conf.d')] });
  mkdirSync(join(userDir, 'registries.conf.d'), { recursive: true });
  writeFileSync(join(userDir, 'registries.conf'), '[[registry]]\nlocation = "user.example"\n');
  assert.deepEqual(await registriesConfPaths({ env: { HOME: home } }), { file: join(userDir, 'registries.conf'), named: false, dirs: [join(userDir, 'registries.conf.d')] });
  const named = join(home, 'named.conf');
  writeFileSync(named, '[[registry]]\nlocation = "named.example"\nblocked = true\n');
  for (const options of [{ path: named, env: { HOME: home } }, { env: { HOME: home, CONTAINERS_REGISTRIES_CONF: named } }]) {
    assert.equal((await registriesConfPaths(options)).file, named);
  }
  writeFileSync(join(userDir, 'registries.conf.d', '10-ok.conf'), '[[registry]]\nlocation = "dropin.example"\ninsecure = true\n');
  writeFileSync(join(userDir, 'registries.conf.d', 'ignored.txt'), 'not toml [');
  const c = await readRegistriesConf({ path: named, env: { HOME: home } });
  assert.deepEqual(c.registries.filter((r) => r.prefix.endsWith('.example')).map((r) => r.prefix), ['dropin.example', 'named.example']);
  writeFileSync(join(userDir, 'registries.conf.d', '20-broken.conf'), '[[registry]]\nlocation = "x.example"\nblocked = "yes"\n');
  await assert.rejects(readRegistriesConf({ path: named, env: { HOME: home } }), (err: TugError) => err.code === 'USAGE' && err.message.includes('20-broken.conf') && err.message.includes('registry[0].blocked'));
  await assert.rejects(readRegistriesConf({ path: join(home, 'missing.conf'), env: { HOME: home } }), (err: TugError) => err.message.includes('missing.conf'));
});

// Files that set nothing tug reads skip the TOML parser (load.ts setsNothing): each such text must read
// exactly as the parser reads it, and every text the parser refuses must go to the parser.
const inertCases: [name: string, text: string, setsNothing: boolean][] = [
  ['comments and blank lines (Debian registries.conf)', '# unqualified-search-registries = ["example.com"]\n\n  # [[registry]]\n\t\n', true],
  ['an aliases table (Debian shortnames.conf)', '[aliases]\n  # docker\n  "alpine" = "docker.io/library/alpine"\n  "busybox" = "docker.io/library/busybox" # trailing\r\n"" = ""\n', true],
  ['an empty file', '', true],
  ['a registry table', '[[registry]]\nlocation = "x.example"\n', false],
  ['a top-level key', 'short-name-mode = "permissive"\n', false],
  ['an alias before [aliases] is a top-level key', '"alpine" = "docker.io/library/alpine"\n', false],
  ['a duplicate alias (a TOML error)', '[aliases]\n"a" = "x"\n"a" = "y"\n', false],
  ['[aliases] twice (a TOML error)', '[aliases]\n"a" = "x"\n[aliases]\n"b" = "y"\n', false],
  ['an escape in a value', '[aliases]\n"a" = "x\\u0041"\n', false],
  ['a bare key', '[aliases]\na = "x"\n', false],
  ['a control character in a comment (a TOML error)', '# bell \u0007\n', false],
  ['a lone carriage return (a TOML error)', '# a\rb\n', false],
  ['broken TOML', '[aliases\n', false],
];
for (const [name, text, expected] of inertCases) {
  test(`setsNothing: ${name}`, () => {
    assert.equal(setsNothing(text), expected);
    let parsed: ReturnType<typeof parseRegistriesConf> | undefined;
    try {
      parsed = parseRegistriesConf(text, FILE, { dropIn: true });
    } catch {
      parsed = undefined;
    }
    if (expected) assert.deepEqual(parsed, { files: [FILE], registries: [], unqualifiedSearchRegistries: undefined, shortNameMode: undefined, credentialHelpers: undefined });
    if (parsed === undefined) assert.equal(expected, false);
  });
}

test('files that set nothing read as the parser reads them, and a drop-in that sets something still applies', async (t) => {
  const home = tempDir(t, 'tug-regconf-inert-');
  const dropIns = join(home, '.config/containers/registries.conf.d');
  mkdirSync(dropIns, { recursive: true });
  const main = join(home, 'main.conf');
  writeFileSync(main, '# all commented out\n');
  writeFileSync(join(dropIns, '000-shortnames.conf'), '[aliases]\n"alpine" = "docker.io/library/alpine"\n');
  const inert = await readRegistriesConf({ path: main, env: { HOME: home } });
  const system = await readRegistriesConf({ path: join(home, 'none.conf'), env: { HOME: home } }).catch(() => undefined);
  assert.equal(system, undefined, 'a named main file that is missing is still an error');
  const viaParser = mergeRegistriesConf(parseRegistriesConf('# all commented out\n', main), parseRegistriesConf('[aliases]\n"alpine" = "docker.io/library/alpine"\n', join(dropIns, '000-shortnames.conf'), { dropIn: true }));
  // the main file first, then the drop-ins (this machine's system ones, then the user's), as the parser lists them
  assert.deepEqual([inert.files[0], inert.files.at(-1)], viaParser.files);
  assert.deepEqual({ ...inert, files: [] }, { ...viaParser, files: [] });
  writeFileSync(join(dropIns, '010-mirror.conf'), '[[registry]]\nlocation = "mirror.example"\ninsecure = true\n');
  const applied = await readRegistriesConf({ path: main, env: { HOME: home } });
  assert.deepEqual(applied.registries.map((r) => [r.prefix, r.insecure]), [['mirror.example', true]]);
});
