/**
 * `tug serve crds` (issue 15 item 9): CustomResourceDefinitions that parse as
 * apiextensions.k8s.io/v1 (kubernetes-models' schema of the Kubernetes API),
 * whose schemas are structural (the rules the API server enforces on
 * `openAPIV3Schema`), and that accept what the server accepts: the repo's
 * examples validate against them, and the write-only credentials are not in them.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Ajv } from 'ajv';
import { CustomResourceDefinition } from 'kubernetes-models/apiextensions.k8s.io/v1/CustomResourceDefinition';
import YAML from 'yaml';
import { customResourceDefinitions, structural } from '../../src/api/crds.ts';
import { TUG_ARGV } from '../support/tug.ts';

type Json = Record<string, any>;

/** The structural-schema rules (k8s.io/apiextensions-apiserver structural validation), as far as a CRD author can break them. */
function structuralProblems(node: Json, path: string, out: string[]): string[] {
  if (node.type === undefined && !node['x-kubernetes-preserve-unknown-fields'] && !node['x-kubernetes-int-or-string']) out.push(`${path}: no type`);
  for (const banned of ['$ref', '$schema', 'const', 'propertyNames', 'definitions', '$defs']) if (banned in node) out.push(`${path}: ${banned} is not allowed`);
  if (node.properties && node.additionalProperties !== undefined) out.push(`${path}: additionalProperties beside properties`);
  for (const [k, v] of Object.entries((node.properties ?? {}) as Record<string, Json>)) structuralProblems(v, `${path}.${k}`, out);
  if (node.items) structuralProblems(node.items, `${path}[]`, out);
  if (node.additionalProperties && typeof node.additionalProperties === 'object') structuralProblems(node.additionalProperties, `${path}.*`, out);
  return out;
}

const crds = customResourceDefinitions();

test('one CRD per kind: Registry, Repository, SyncRun, each valid apiextensions.k8s.io/v1', () => {
  assert.deepEqual(crds.map((c) => c.metadata && (c.metadata as Json).name).sort(), ['registries.image.theriseunion.io', 'repositories.image.theriseunion.io', 'syncruns.image.theriseunion.io']);
  for (const crd of crds) {
    new CustomResourceDefinition(crd as never).validate();
    const v = (crd.spec as Json).versions[0];
    assert.equal(v.name, 'v1alpha1');
    assert.deepEqual(v.subresources, { status: {} });
    assert.ok(v.additionalPrinterColumns.every((c: Json) => /^\.(spec|status|metadata)\./.test(c.jsonPath)));
  }
});

test('every schema is structural; metadata is only typed', () => {
  for (const crd of crds) {
    const root = (crd.spec as Json).versions[0].schema.openAPIV3Schema as Json;
    assert.deepEqual(structuralProblems(root, (crd.spec as Json).names.kind, []), []);
    assert.deepEqual(root.properties.metadata, { type: 'object' });
  }
  assert.throws(() => structural({ type: 'object', properties: { x: { anyOf: [{ type: 'string' }, { type: 'number' }] } } }), /field x has no type/);
});

test('the examples the server accepts validate against the CRDs; secrets have no place in them', () => {
  const ajv = new Ajv({ strict: false, allErrors: true });
  const byKind = new Map(crds.map((c) => [(c.spec as Json).names.kind as string, ajv.compile((c.spec as Json).versions[0].schema.openAPIV3Schema)]));
  let checked = 0;
  for (const file of ['examples/serve/registries.yaml', 'examples/serve/repositories.yaml', 'examples/serve/mirror.yaml']) {
    for (const doc of YAML.parseAllDocuments(readFileSync(file, 'utf8'))) {
      const obj = doc.toJS() as Json | null;
      if (!obj?.kind) continue;
      const validate = byKind.get(obj.kind)!;
      // What a cluster would store: the write-only fields live in a Secret there.
      if (obj.spec?.credentials) delete obj.spec.credentials.password;
      assert.ok(validate(obj), `${file} ${obj.kind} ${obj.metadata?.name}: ${JSON.stringify(validate.errors)}`);
      checked++;
    }
  }
  assert.ok(checked >= 3, `only ${checked} examples`);
  const reg = crds.find((c) => (c.spec as Json).names.kind === 'Registry')!;
  const creds = (reg.spec as Json).versions[0].schema.openAPIV3Schema.properties.spec.properties.credentials.properties;
  assert.deepEqual(Object.keys(creds).sort(), ['hasPassword', 'hasToken', 'username']);
  const repo = byKind.get('Repository')!;
  assert.equal(repo({ apiVersion: 'image.theriseunion.io/v1alpha1', kind: 'Repository', metadata: { name: 'x' }, spec: { repository: 'a/b', tag: 'v1', registryRef: { name: 'r' }, importMode: 'Everything' } }), false, 'importMode is an enum');
});

test('tug serve crds prints them as YAML documents (and -o json as a List)', () => {
  const yaml = execFileSync(TUG_ARGV[0]!, [...TUG_ARGV.slice(1), 'serve', 'crds'], { encoding: 'utf8' });
  const docs = YAML.parseAllDocuments(yaml).map((d) => d.toJS() as Json);
  assert.deepEqual(docs, crds);
  const json = JSON.parse(execFileSync(TUG_ARGV[0]!, [...TUG_ARGV.slice(1), 'serve', 'crds', '-o', 'json'], { encoding: 'utf8' }));
  assert.equal(json.kind, 'List');
  assert.equal(json.items.length, 3);
});
