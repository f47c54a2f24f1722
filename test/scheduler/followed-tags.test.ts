/**
 * Which tags a Repository follows (spec.tags): spec.tag, the list (never
 * narrowed by the filters), then the sync file's filters over the listed
 * tags, bounded; and the regular expressions spec.tags refuses.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tagRegexProblem } from '../../src/api/repository-kind.ts';
import { MAX_FOLLOWED_TAGS, type RepositorySpec } from '../../src/api/types.ts';
import { followedTags, needsTagList, tagsToDate } from '../../src/scheduler/followed-tags.ts';

const listed = ['latest', 'dev', 'v1.0.0', 'v1.1.0', 'v1.10.0', 'v2.0.0-rc.1', 'v2.0.0', `sha256-${'a'.repeat(64)}.sig`];
const spec = (tags: RepositorySpec['tags']): Pick<RepositorySpec, 'tag' | 'tags'> => ({ tag: 'latest', tags });

const cases: { name: string; tags: RepositorySpec['tags']; created?: Map<string, string>; want: string[]; listing: boolean }[] = [
  { name: 'a plain list needs no listing and is followed as given', tags: { list: ['dev', 'v9.9.9'] }, want: ['latest', 'dev', 'v9.9.9'], listing: false },
  { name: 'semver range, newest-looking first, pre-releases out', tags: { semver: '>=1.0.0' }, want: ['latest', 'v2.0.0', 'v1.10.0', 'v1.1.0', 'v1.0.0'], listing: true },
  { name: 'list + semver + newest 2: the list is not narrowed by the filters', tags: { list: ['dev'], semver: '^1', newest: { count: 2 } }, want: ['latest', 'dev', 'v1.10.0', 'v1.1.0'], listing: true },
  { name: 'regex then exclude', tags: { regex: '^v1\\.', exclude: ['^v1\\.1'] }, want: ['latest', 'v1.0.0'], listing: true },
  { name: 'newest by created', tags: { regex: '^v', newest: { count: 1, by: 'created' } }, created: new Map([['v1.0.0', '2026-01-01T00:00:00Z'], ['v2.0.0', '2025-01-01T00:00:00Z']]), want: ['latest', 'v1.0.0'], listing: true },
  { name: 'artifact tags are never followed', tags: { regex: '^sha256-' }, want: ['latest'], listing: true },
];

for (const c of cases) {
  test(c.name, () => {
    assert.equal(needsTagList(spec(c.tags)), c.listing);
    assert.deepEqual(followedTags(spec(c.tags), c.listing ? listed : undefined, c.created).tags, c.want);
  });
}

test('past MAX_FOLLOWED_TAGS the newest-looking are kept and the rest counted', () => {
  const many = Array.from({ length: 150 }, (_, i) => `v1.0.${i}`);
  const set = followedTags({ tag: 'latest', tags: { list: ['dev'], semver: '1.x' } }, many);
  assert.equal(set.tags.length, MAX_FOLLOWED_TAGS + 1);
  assert.deepEqual(set.tags.slice(0, 4), ['latest', 'dev', 'v1.0.149', 'v1.0.148']);
  assert.equal(set.omitted, 150 - (MAX_FOLLOWED_TAGS - 1));
});

test('tags to date for newest-by-created: the filtered candidates only', () => {
  assert.deepEqual(tagsToDate(spec({ regex: '^v1', newest: { count: 1, by: 'created' } }), listed), ['v1.10.0', 'v1.1.0', 'v1.0.0']);
  assert.deepEqual(tagsToDate(spec({ regex: '^v1', newest: { count: 1 } }), listed), []);
});

test('regular expressions: bad syntax and nested quantifiers are refused, ordinary ones pass', () => {
  assert.match(tagRegexProblem('(') ?? '', /is not a regular expression/);
  assert.match(tagRegexProblem('^(a+)+$') ?? '', /nests a quantifier/);
  assert.match(tagRegexProblem('^(\\d*)*$') ?? '', /nests a quantifier/);
  for (const ok of ['^v1\\.[0-9]+\\.[0-9]+$', '^(dev|main)-[a-f0-9]{7}$', 'rc']) assert.equal(tagRegexProblem(ok), undefined, ok);
});
