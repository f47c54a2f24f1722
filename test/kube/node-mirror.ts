/**
 * What the node-runtime tests (containerd, podman) share: a loopback mirror
 * holding `yurthub:v1.6.0` under some path, put there by `tug copy` from an
 * OCI layout (no internet), and the sync file that maps
 * `docker.io/openyurt/*` to it.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Flavour, type GeneratedImage, multiArch, writeOciLayout } from '../support/images.ts';
import { runTug } from '../support/tug.ts';

/**
 * Puts a generated two-platform image at `docker://HOST/REPOSITORY:v1.6.0`
 * as the issue asks, with `tug sync`: it is staged under `HOST/upstream/`
 * (no internet to sync from), then a sync file maps it to REPOSITORY.
 */
export async function fillMirror(work: string, host: string, repository: string, seed: string, flavour: Flavour = 'oci'): Promise<GeneratedImage> {
  const image = await multiArch(seed, flavour);
  writeOciLayout(join(work, 'layout'), image, 'v1.6.0');
  const staged = `${host}/upstream/${repository}`;
  const copy = await runTug(['copy', '--all', `oci:${join(work, 'layout')}:v1.6.0`, `docker://${staged}:v1.6.0`]);
  assert.equal(copy.code, 0, copy.stderr);
  const file = join(work, 'fill.sync.yaml');
  writeFileSync(
    file,
    ['apiVersion: tugboat.dev/v1alpha1', 'kind: SyncConfig', 'platforms: all', 'mappings:', `  - from: ${staged}`, `    to: ${host}/${repository}`, 'images:', `  - source: ${staged}`, '    tags: [v1.6.0]', ''].join('\n'),
  );
  const sync = await runTug(['sync', '-q', file]);
  assert.equal(sync.code, 0, sync.stderr);
  return image;
}

/** A sync file mapping `docker.io/openyurt/*` to `HOST/TO_PATH/*`, the mirror on plain HTTP. Returns its path. */
export function yurthubSyncFile(work: string, host: string, toPath: string): string {
  const file = join(work, 'sync.yaml');
  writeFileSync(
    file,
    [
      'apiVersion: tugboat.dev/v1alpha1',
      'kind: SyncConfig',
      'registries:',
      `  "${host}": {plain-http: true}`,
      'mappings:',
      `  - {from: docker.io/openyurt/*, to: ${host}/${toPath}/*}`,
      'images:',
      '  - {source: docker.io/openyurt/yurthub, tags: [v1.6.0]}',
      '',
    ].join('\n'),
  );
  return file;
}
