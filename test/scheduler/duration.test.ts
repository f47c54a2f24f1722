import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatDuration, parseDuration } from '../../src/api/duration.ts';
import { humanSize } from '../../src/scheduler/sync-repository.ts';

const cases: [string, number | undefined][] = [
  ['30m', 1_800_000],
  ['1h', 3_600_000],
  ['1h30m', 5_400_000],
  ['24h', 86_400_000],
  ['1.5h', 5_400_000],
  ['90s', 90_000],
  ['500ms', 500],
  ['1h2m3s4ms', 3_723_004],
  ['0', 0],
  ['1d', undefined],
  ['-1h', undefined],
  ['h', undefined],
  ['10', undefined],
  ['', undefined],
  ['1h 30m', undefined],
  ['1H', undefined],
];
for (const [text, ms] of cases) test(`parseDuration(${JSON.stringify(text)}) = ${ms}`, () => assert.equal(parseDuration(text), ms));

for (const [ms, text] of [[5_400_000, '1h30m'], [45_000, '45s'], [250, '250ms'], [3_600_000, '1h'], [0, '0s']] as const) {
  test(`formatDuration(${ms}) = ${text}`, () => assert.equal(formatDuration(ms), text));
}

for (const [bytes, text] of [[0, '0B'], [999, '999B'], [1000, '1kB'], [15_605, '15.6kB'], [142_000_000, '142MB'], [141_987_654, '142MB'], [2_500_000_000, '2.5GB']] as const) {
  test(`humanSize(${bytes}) = ${text}`, () => assert.equal(humanSize(bytes), text));
}
