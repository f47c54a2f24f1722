/** spec.importMode / spec.platforms as a pure choice (src/scheduler/import-mode.ts): seed 004's Legacy order and PreserveOriginal's cut. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ManifestInfo } from '../../src/api/types.ts';
import { TugError } from '../../src/errors/index.ts';
import { mirrorSelection } from '../../src/scheduler/import-mode.ts';

const info = (os: string, architecture: string, variant?: string): ManifestInfo => ({ os, architecture, ...(variant ? { variant } : {}), digest: `sha256:${architecture}${variant ?? ''}`, size: '1kB', sizeBytes: 1000, layers: [] });
const index = [info('linux', 'arm', 'v7'), info('linux', 'arm64', 'v8'), info('linux', 'amd64'), info('linux', 'ppc64le')];
const amd64 = { os: 'linux', architecture: 'amd64' };
const arm64 = { os: 'linux', architecture: 'arm64' };

test('the default is PreserveOriginal: the whole index, status shows linux/amd64', () => {
  const s = mirrorSelection({}, index, true, arm64);
  assert.equal(s.multiArch, 'all');
  assert.equal(s.platforms, undefined);
  assert.equal(s.shown?.architecture, 'amd64');
  assert.deepEqual(s.holds, ['linux/arm/v7', 'linux/arm64/v8', 'linux/amd64', 'linux/ppc64le']);
});

test('Legacy picks in seed 004\'s order: spec.platforms (first present), the server\'s platform, linux/amd64, the first image', () => {
  const pick = (spec: { platforms?: string[] }, described: ManifestInfo[], host = arm64) => {
    const s = mirrorSelection({ importMode: 'Legacy', ...spec }, described, true, host);
    assert.equal(s.multiArch, 'system');
    return `${s.platformOverride?.os}/${s.platformOverride?.arch}${s.platformOverride?.variant ? `/${s.platformOverride.variant}` : ''} ${s.describe.match(/picked by ([^;]+)/)?.[1]}`;
  };
  assert.equal(pick({ platforms: ['linux/s390x', 'linux/ppc64le'] }, index), 'linux/ppc64le spec.platforms');
  assert.equal(pick({}, index), 'linux/arm64/v8 the server\'s platform');
  assert.equal(pick({}, index, { os: 'linux', architecture: 'riscv64' }), 'linux/amd64 linux/amd64');
  assert.equal(pick({}, [info('linux', 'ppc64le'), info('linux', 's390x')], { os: 'linux', architecture: 'riscv64' }), 'linux/ppc64le the first image of the index');
});

test('PreserveOriginal with spec.platforms cuts the index; a platform it lacks is NOT_FOUND naming what it has', () => {
  const s = mirrorSelection({ platforms: ['linux/arm64', 'linux/arm'] }, index, true, amd64);
  assert.equal(s.multiArch, 'all');
  assert.deepEqual(s.platforms?.map((p) => p.architecture), ['arm64', 'arm']);
  assert.deepEqual(s.holds, ['linux/arm/v7', 'linux/arm64/v8']);
  assert.throws(() => mirrorSelection({ platforms: ['linux/s390x'] }, index, true, amd64), (err) => err instanceof TugError && err.code === 'NOT_FOUND' && /available: linux\/arm\/v7, linux\/arm64\/v8, linux\/amd64, linux\/ppc64le/.test(err.message));
});

test('a single image: nothing to choose; spec.platforms it does not satisfy fails', () => {
  const one = [info('linux', 'amd64')];
  assert.equal(mirrorSelection({ importMode: 'Legacy' }, one, false, arm64).multiArch, 'system');
  assert.deepEqual(mirrorSelection({ platforms: ['linux/amd64'] }, one, false, arm64).holds, ['linux/amd64']);
  assert.throws(() => mirrorSelection({ platforms: ['linux/arm64'] }, one, false, arm64), /single linux\/amd64 image/);
});
