import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TugError } from '../../src/errors/index.ts';
import type { Digest } from '../../src/reference/digest.ts';
import { selectTags } from '../../src/sync/filter.ts';
import { assemblePlan, type Observation } from '../../src/sync/plan.ts';
import type { SyncSource, TagFilter } from '../../src/sync/spec.ts';
import { destinationRepository } from '../../src/sync/targets.ts';

const tags = ['v1.5.0', 'v1.6.0', 'v1.6.1', 'v1.7.0-rc.1', 'latest', 'v0.4.1', '1.10', 'nightly-2025'];
const filterCases: { name: string; filter: TagFilter; expect: string[] }[] = [
  { name: 'all tags, sorted', filter: {}, expect: [...tags].sort() },
  { name: 'explicit tags keep their order', filter: { tags: ['v1.6.0', 'latest'] }, expect: ['v1.6.0', 'latest'] },
  { name: 'regex', filter: { regex: '^v1\\.6\\.' }, expect: ['v1.6.0', 'v1.6.1'] },
  { name: 'semver range with a v prefix (pre-releases excluded)', filter: { semver: '>=1.6.0 <2' }, expect: ['v1.6.0', 'v1.6.1'] },
  { name: 'semver range naming a pre-release', filter: { semver: '>=1.7.0-rc.0' }, expect: ['v1.7.0-rc.1'] },
  { name: 'exclude', filter: { regex: '^v', exclude: ['-rc'] }, expect: ['v0.4.1', 'v1.5.0', 'v1.6.0', 'v1.6.1'] },
  { name: 'newest 2 by semver', filter: { newest: { count: 2, by: 'semver' }, exclude: ['-rc'] }, expect: ['v1.6.1', 'v1.6.0'] },
];
for (const c of filterCases) {
  test(`tags: ${c.name}`, () => assert.deepEqual(selectTags(c.filter, { listed: tags }), c.expect));
}

test('tags: newest by creation time', () => {
  const created = new Map([['a', '2025-01-01T00:00:00Z'], ['b', '2025-03-01T00:00:00Z'], ['c', '2025-02-01T00:00:00Z']]);
  assert.deepEqual(selectTags({ newest: { count: 2, by: 'created' } }, { listed: ['a', 'b', 'c'], created }), ['b', 'c']);
});

const src = (repository: string, extra: Partial<SyncSource> = {}): SyncSource => ({ repository, filter: {}, origin: { file: 'f.yaml', line: 3 }, ...extra });
const targetCases: { name: string; source: SyncSource; opts: Parameters<typeof destinationRepository>[2]; expect: string }[] = [
  { name: 'prefix takes the last component (skopeo)', source: src('docker.io/openyurt/yurthub'), opts: { prefix: 'r.example.com/edge' }, expect: 'r.example.com/edge/yurthub' },
  { name: '--scoped keeps the full name', source: src('docker.io/openyurt/yurthub'), opts: { prefix: 'r.example.com/edge', scoped: true }, expect: 'r.example.com/edge/docker.io/openyurt/yurthub' },
  { name: 'explicit destination wins', source: src('docker.io/openyurt/yurthub', { destination: 'r.example.com/x/y' }), opts: { prefix: 'r.example.com/edge' }, expect: 'r.example.com/x/y' },
  { name: 'a mapping rule with *', source: src('docker.io/openyurt/yurthub'), opts: { prefix: 'ignored.io' }, expect: 'quanzhenglong.com/edge/yurthub' },
];
const mappings = [{ from: 'docker.io/openyurt/*', to: 'quanzhenglong.com/edge/*', origin: { file: 'f.yaml', line: 1 } }];
for (const c of targetCases) {
  test(`target: ${c.name}`, () => assert.equal(destinationRepository(c.source, c.name.includes('mapping') ? mappings : [], c.opts), c.expect));
}
test('target: no destination at all names the file and line', () => {
  assert.throws(() => destinationRepository(src('docker.io/a/b'), [], {}), (e: unknown) => e instanceof TugError && /f\.yaml:3/.test(e.message));
});

const D = (c: string) => `sha256:${c.repeat(64)}` as Digest;
const obs = (o: Partial<Observation> & { destination: string }): Observation => ({ source: 'r.io/a:v1', platforms: 'all', ...o });

test('plan: copy, skip, retag, fail', () => {
  const plan = assemblePlan([
    obs({ destination: 'docker://m/a:v1', sourceDigest: D('a') }),
    obs({ destination: 'docker://m/a:latest', sourceDigest: D('a'), aliasOf: 'v1' }),
    obs({ source: 'r.io/b:v1', destination: 'docker://m/b:v1', sourceDigest: D('b'), destinationDigest: D('b') }),
    obs({ source: 'r.io/c:v1', destination: 'docker://m/c:v1', sourceDigest: D('c'), destinationDigest: D('0') }),
    obs({ source: 'r.io/d:v1', destination: 'docker://m/d:v1', error: 'd:v1 not found at the source' }),
    obs({ source: 'r.io/e:v1', destination: 'docker://m/e:v1', sourceDigest: D('e'), expectedDigest: D('f'), destinationDigest: D('f') }),
    obs({ source: 'r.io/g:v1', destination: 'docker://m/g:v1', sourceDigest: D('1'), destinationDigest: D('2'), destinationRecordedSource: D('1') }),
  ]);
  assert.deepEqual(plan.items.map((i) => i.action), ['copy', 'retag', 'skip', 'copy', 'fail', 'skip', 'skip']);
  assert.equal(plan.items[1]!.after, 0);
  assert.match(plan.items[3]!.reason, /destination has/);
  assert.deepEqual(plan.counts, { copy: 2, retag: 1, skip: 3, fail: 1 });
});

test('plan: two sources for one destination is a failure naming both', () => {
  const plan = assemblePlan([
    obs({ source: 'r.io/a:v1', destination: 'docker://m/a:v1', sourceDigest: D('a') }),
    obs({ source: 'q.io/a:v1', destination: 'docker://m/a:v1', sourceDigest: D('b') }),
    obs({ source: 'r.io/a:v1', destination: 'docker://m/a:v1', sourceDigest: D('a') }),
  ]);
  assert.equal(plan.items.length, 2, 'the same image listed twice is merged');
  assert.equal(plan.items[1]!.action, 'fail');
  assert.match(plan.items[1]!.reason, /r\.io\/a:v1/);
});

test('plan: an alias already in place is skipped; a missing alias of an up-to-date tag is retagged from the mirror', () => {
  const plan = assemblePlan([
    obs({ destination: 'docker://m/a:v1', sourceDigest: D('a'), destinationDigest: D('a') }),
    obs({ destination: 'docker://m/a:latest', sourceDigest: D('a'), destinationDigest: D('a'), aliasOf: 'v1' }),
    obs({ source: 'r.io/b:v1', destination: 'docker://m/b:v1', sourceDigest: D('b'), destinationDigest: D('b') }),
    obs({ source: 'r.io/b:v1', destination: 'docker://m/b:latest', sourceDigest: D('b'), aliasOf: 'v1' }),
  ]);
  assert.deepEqual(plan.items.map((i) => i.action), ['skip', 'skip', 'skip', 'retag']);
  assert.equal(plan.items[3]!.after, 2);
});
