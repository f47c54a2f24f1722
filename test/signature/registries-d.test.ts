/**
 * `--registries.d`: honoured where Tugboat has something to honour (cosign
 * attachments are always read), refused with one line where it cannot (a
 * lookaside signature store), never ignored.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { lookasideField } from '../../src/signature/registries-d.ts';
import { makeImage, writeOciLayout } from '../support/images.ts';
import { tempDir } from '../support/tmp.ts';
import { runTug } from '../support/tug.ts';

const cases: { name: string; yaml: string; field: string | undefined }[] = [
  { name: 'default-docker lookaside', yaml: 'default-docker:\n  lookaside: file:///var/lib/containers/sigstore\n', field: 'default-docker.lookaside' },
  { name: 'old name sigstore', yaml: 'default-docker:\n  sigstore: https://sigs.example.com\n', field: 'default-docker.sigstore' },
  { name: 'a scope with lookaside-staging', yaml: 'docker:\n  registry.example.com/team:\n    lookaside-staging: file:///tmp/s\n', field: 'docker.registry.example.com/team.lookaside-staging' },
  { name: 'use-sigstore-attachments only', yaml: 'default-docker:\n  use-sigstore-attachments: true\n', field: undefined },
  { name: 'empty file', yaml: '', field: undefined },
  { name: 'a scalar', yaml: '42\n', field: undefined },
];
for (const c of cases) {
  test(`lookasideField: ${c.name}`, () => {
    assert.equal(lookasideField(parse(c.yaml)), c.field);
  });
}

test('tug --registries.d: a lookaside store is refused in one line before anything runs; attachments-only runs', async (t) => {
  const dir = tempDir(t, 'tug-registries-d-');
  const image = await makeImage({ seed: 'registries-d' });
  writeOciLayout(join(dir, 'oci'), image, 'v1');
  const lookaside = join(dir, 'lookaside.d');
  mkdirSync(lookaside);
  writeFileSync(join(lookaside, 'default.yaml'), 'default-docker:\n  lookaside: file:///var/lib/containers/sigstore\n');
  const refused = await runTug(['--registries.d', lookaside, 'copy', `oci:${join(dir, 'oci')}:v1`, `dir:${join(dir, 'out')}`]);
  assert.equal(refused.code, 2, refused.stderr);
  assert.equal(refused.stderr.trim().split('\n').length, 1, refused.stderr);
  assert.match(refused.stderr, /default\.yaml: default-docker\.lookaside names a lookaside signature store, which tug does not read/);
  const attachments = join(dir, 'attachments.d');
  mkdirSync(attachments);
  writeFileSync(join(attachments, 'default.yaml'), 'default-docker:\n  use-sigstore-attachments: true\n');
  const ok = await runTug(['copy', '--registries.d', attachments, '-q', `oci:${join(dir, 'oci')}:v1`, `dir:${join(dir, 'out')}`]);
  assert.equal(ok.code, 0, ok.stderr);
  const missing = await runTug(['--registries.d', join(dir, 'nope'), 'inspect', `oci:${join(dir, 'oci')}:v1`]);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /cannot read --registries\.d/);
});
