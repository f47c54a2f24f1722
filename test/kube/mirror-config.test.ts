/**
 * The node-config generators (src/kube/mirror-config/): for each format,
 * what a set of mappings becomes, and which mappings it reports as not
 * expressible instead of writing them.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mapperFromRules, mappingRulesFromFlags } from '../../src/kube/mapper.ts';
import { hostSettingsFrom, MIRROR_CONFIG_FORMATS, type MirrorConfig } from '../../src/kube/mirror-config/index.ts';

const RENAME = 'docker.io/openyurt/*=quanzhenglong.com/edge/*';
const PREFIXED = 'docker.io/openyurt/*=mirror.local:5000/cache/openyurt/*';
const SAME = 'quay.io/*=mirror.local:5000/*';
const ONE = 'nginx=mirror.local:5000/library/nginx';

function generate(format: string, maps: string[], hosts = {}): MirrorConfig {
  const f = MIRROR_CONFIG_FORMATS.find((x) => x.name === format)!;
  return f.generate({ rules: mapperFromRules(mappingRulesFromFlags(maps)).rules, hosts, from: 'test' });
}
const file = (c: MirrorConfig, path: string) => c.files.find((f) => f.path === path)?.content ?? '';

const cases: { name: string; format: string; maps: string[]; hosts?: Record<string, object>; files: Record<string, RegExp[]>; unexpressed: RegExp[] }[] = [
  {
    name: 'containerd: a mirror path in front of the upstream path is override_path',
    format: 'containerd',
    maps: [PREFIXED, SAME],
    hosts: { 'mirror.local:5000': { plainHttp: true, tlsVerify: false, caFile: '/etc/certs/ca.crt' } },
    files: {
      'certs.d/docker.io/hosts.toml': [/^server = "https:\/\/registry-1\.docker\.io"$/m, /^\[host\."http:\/\/mirror\.local:5000\/v2\/cache"\]\n {2}capabilities = \["pull", "resolve"\]\n {2}override_path = true\n {2}skip_verify = true\n {2}ca = "\/etc\/certs\/ca\.crt"$/m],
      'certs.d/quay.io/hosts.toml': [/^server = "https:\/\/quay\.io"$/m, /^\[host\."http:\/\/mirror\.local:5000"\]\n {2}capabilities = \["pull", "resolve"\]\n {2}skip_verify/m],
    },
    unexpressed: [],
  },
  {
    name: 'containerd: a renaming mapping is reported, not written',
    format: 'containerd',
    maps: [RENAME],
    files: {},
    unexpressed: [/^docker\.io\/openyurt\/\* -> quanzhenglong\.com\/edge\/\*: containerd sends the repository path unchanged .*instead: rewrite the manifests/],
  },
  {
    name: 'k3s: renames become rewrite rules; TLS settings go to configs',
    format: 'k3s',
    maps: [RENAME, ONE],
    hosts: { 'quanzhenglong.com': { caFile: '/etc/ssl/q.crt' } },
    files: {
      'registries.yaml': [/^mirrors:\n {2}docker\.io:\n {4}endpoint:\n {6}- https:\/\/quanzhenglong\.com\n {4}rewrite:\n {6}\^openyurt\/\(\.\*\)\$: edge\/\$1$/m, /^configs:\n {2}quanzhenglong\.com:\n {4}tls:\n {6}ca_file: \/etc\/ssl\/q\.crt$/m],
    },
    unexpressed: [/^docker\.io\/library\/nginx -> mirror\.local:5000\/library\/nginx: k3s rewrites apply to every endpoint of docker\.io, which already goes to quanzhenglong\.com/],
  },
  {
    name: 'registries.conf: every mapping, renames included, as prefix + mirror',
    format: 'registries-conf',
    maps: [RENAME, SAME],
    hosts: { 'mirror.local:5000': { plainHttp: true } },
    files: {
      'registries.conf': [
        /^\[\[registry\]\]\nprefix = "docker\.io\/openyurt"\nlocation = "docker\.io\/openyurt"\n\n\[\[registry\.mirror\]\]\nlocation = "quanzhenglong\.com\/edge"$/m,
        /^\[\[registry\]\]\nprefix = "quay\.io"\nlocation = "quay\.io"\n\n\[\[registry\.mirror\]\]\nlocation = "mirror\.local:5000"\ninsecure = true$/m,
      ],
    },
    unexpressed: [],
  },
  {
    name: 'docker: only Docker Hub, only unchanged names',
    format: 'docker',
    maps: ['docker.io/*=mirror.local:5000/*', RENAME, SAME],
    hosts: { 'mirror.local:5000': { plainHttp: true } },
    files: { 'daemon.json': [/"registry-mirrors": \[\n {4}"http:\/\/mirror\.local:5000"\n {2}\]/, /"insecure-registries": \[\n {4}"mirror\.local:5000"\n {2}\]/] },
    unexpressed: [/^docker\.io\/openyurt\/\* -> quanzhenglong\.com\/edge\/\*: Docker asks a registry mirror for Docker Hub's own repository names/, /^quay\.io\/\* -> mirror\.local:5000\/\*: Docker's registry-mirrors apply to Docker Hub only/],
  },
];

for (const c of cases) {
  test(c.name, () => {
    const out = generate(c.format, c.maps, c.hosts);
    assert.deepEqual(out.files.map((f) => f.path).sort(), Object.keys(c.files).sort());
    for (const [path, patterns] of Object.entries(c.files)) for (const p of patterns) assert.match(file(out, path), p, `${path}:\n${file(out, path)}`);
    assert.equal(out.unexpressed.length, c.unexpressed.length, JSON.stringify(out.unexpressed, null, 2));
    c.unexpressed.forEach((p, i) => {
      const u = out.unexpressed[i]!;
      assert.match(`${u.mapping}: ${u.reason}; instead: ${u.instead}`, p);
      assert.equal(u.origin, `--map:${c.maps.findIndex((m) => u.mapping.startsWith(m.split('=')[0]!.replace(/^nginx$/, 'docker.io/library/nginx'))) + 1}`);
    });
  });
}

test('a listed image a mapping already covers adds nothing; sync-file settings become host settings', () => {
  assert.deepEqual(hostSettingsFrom({ 'm:5000': { plainHttp: true, certDir: '/c/' }, 'quay.io/coreos': { tlsVerify: false } }), { 'm:5000': { plainHttp: true, tlsVerify: undefined, caFile: '/c/ca.crt' } });
});

test('CLI: the example sync file in containerd is a warning plus a JSON report, exit 1 and no file; in k3s a rewrite rule', async () => {
  const { runTug } = await import('../support/tug.ts');
  const r = await runTug(['kube', 'mirror-config', '--for', 'containerd', '-f', 'examples/openyurt-1.6.sync.yaml', '--format', 'json']);
  assert.equal(r.code, 1);
  const report = JSON.parse(r.stdout);
  assert.deepEqual(report.files, []);
  assert.equal(report.unexpressed[0].mapping, 'docker.io/openyurt/* -> quanzhenglong.com/edge/*');
  assert.match(report.unexpressed[0].instead, /keep the upstream path in the mirror \(to: quanzhenglong\.com\/edge\/openyurt\/\*\)/);
  assert.match(r.stderr, /^warning: examples\/openyurt-1\.6\.sync\.yaml:37: docker\.io\/openyurt\/\* -> quanzhenglong\.com\/edge\/\*: not expressible in containerd: /m);
  const k3s = await runTug(['kube', 'mirror-config', '--for', 'k3s', '-f', 'examples/openyurt-1.6.sync.yaml']);
  assert.equal(k3s.code, 0, k3s.stderr);
  assert.match(k3s.stdout, /^# ---- registries\.yaml\n[^]*\n {4}rewrite:\n {6}\^openyurt\/\(\.\*\)\$: edge\/\$1\n/m);
});
