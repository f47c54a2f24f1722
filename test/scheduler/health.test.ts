/** status.health's states from the two sides' answers (src/scheduler/health.ts healthOf): pure. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Repository } from '../../src/api/types.ts';
import { healthOf } from '../../src/scheduler/health.ts';

const repo = (observedDigest?: string): Repository => ({
  apiVersion: 'image.theriseunion.io/v1alpha1',
  kind: 'Repository',
  metadata: { name: 'r', namespace: 'ns' },
  spec: { repository: 'a/b', tag: 'v1', registryRef: { name: 'src' } },
  status: { syncStatus: 'Success', ...(observedDigest ? { observedDigest } : {}) },
});
const ok = (digest: string) => ({ ok: true, digest });
const bad = (message: string) => ({ ok: false, message });
const at = '2026-12-05T10:00:00Z';

test('Healthy: the source answers with the synced digest and the mirror holds its image', () => {
  const h = healthOf(repo('sha256:a'), ok('sha256:a'), ok('sha256:m'), at);
  assert.deepEqual([h.state, h.pullable, h.message], ['Healthy', true, undefined]);
  assert.equal(healthOf(repo('sha256:a'), ok('sha256:a'), undefined, at).state, 'Healthy', 'no mirror');
});

test('Degraded: the mirror serves but the source does not answer, or its tag moved', () => {
  const down = healthOf(repo('sha256:a'), bad('connection refused'), ok('sha256:m'), at);
  assert.deepEqual([down.state, down.pullable], ['Degraded', false]);
  assert.match(down.message!, /source: connection refused \(the mirror still serves/);
  const moved = healthOf(repo('sha256:a'), ok('sha256:b'), ok('sha256:m'), at);
  assert.equal(moved.state, 'Degraded');
  assert.match(moved.message!, /the tag moved at the source \(sha256:b, last synced sha256:a\)/);
});

test('Unhealthy: the mirror lacks its image; without a mirror, the source fails', () => {
  assert.equal(healthOf(repo('sha256:a'), ok('sha256:a'), bad('gone'), at).state, 'Unhealthy');
  assert.match(healthOf(repo('sha256:a'), ok('sha256:a'), bad('gone'), at).message!, /^mirror: gone/);
  assert.equal(healthOf(repo('sha256:a'), bad('404'), undefined, at).state, 'Unhealthy');
});
