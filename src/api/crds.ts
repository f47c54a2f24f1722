/**
 * CustomResourceDefinitions (apiextensions.k8s.io/v1) for Registry,
 * Repository and SyncRun, generated from the zod schemas the server
 * validates with (`tug serve crds`), for clusters that keep these resources
 * in Kubernetes (seed 001's 技术实现). Pure: objects in, objects out.
 *
 * Kubernetes wants *structural* schemas: every node typed, no `$ref`, no
 * `additionalProperties` beside `properties`, nothing under `metadata` but
 * its type, and unknown fields pruned unless a node says to keep them. The
 * JSON Schema zod emits is turned into that here; what cannot be expressed
 * that way is said in the field's description rather than dropped silently.
 */
import { z } from 'zod';
import { KIND_LIST, type PrinterColumn } from './kinds.ts';
import { syncRunSchema } from './schema.ts';
import { API_VERSION, GROUP, VERSION } from './types.ts';

type Json = Record<string, unknown>;

/** Write-only fields (`tug serve`'s API seals them): a CRD would keep them in plain text in etcd, so they are left out. */
const WRITE_ONLY: Record<string, readonly string[]> = {
  Registry: ['credentials.password', 'credentials.token'],
};

/** Turns zod's JSON Schema into a structural schema (see the module comment). */
export function structural(node: Json, path = ''): Json {
  const out: Json = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === '$schema' || key === 'propertyNames') continue;
    if (key === 'const') {
      out.enum = [value];
      continue;
    }
    if (key === 'additionalProperties') {
      // Beside `properties` it is forbidden (unknown fields are pruned anyway); alone it types a map.
      if (node.properties === undefined && value && typeof value === 'object' && Object.keys(value).length > 0) out.additionalProperties = structural(value as Json, `${path}.*`);
      continue;
    }
    if (key === 'properties') {
      out.properties = Object.fromEntries(Object.entries(value as Record<string, Json>).map(([k, v]) => [k, structural(v, path ? `${path}.${k}` : k)]));
      continue;
    }
    if (key === 'items') {
      out.items = structural(value as Json, `${path}[]`);
      continue;
    }
    out[key] = value;
  }
  if (out.type === undefined && out['x-kubernetes-preserve-unknown-fields'] === undefined) {
    throw new Error(`field ${path || '(root)'} has no type: a CRD schema must be structural (give it one in src/api/schema.ts)`);
  }
  return out;
}

function withoutFields(spec: Json, fields: readonly string[]): Json {
  const copy = structuredClone(spec);
  for (const field of fields) {
    const parts = field.split('.');
    let node: Json | undefined = copy;
    for (const part of parts.slice(0, -1)) node = (node?.properties as Record<string, Json> | undefined)?.[part];
    const props = node?.properties as Record<string, Json> | undefined;
    if (props) delete props[parts.at(-1)!];
  }
  return copy;
}

interface CrdKind {
  kind: string;
  plural: string;
  listKind: string;
  shortNames: readonly string[];
  schema: z.ZodType;
  columns: readonly PrinterColumn<never>[];
  /** True when status has a schema of its own (else it is kept as the server writes it). */
  typedStatus: boolean;
}

const CRD_KINDS: readonly CrdKind[] = [
  ...KIND_LIST.map((k) => ({ kind: k.kind, plural: k.plural, listKind: k.listKind, shortNames: k.shortNames, schema: k.schema, columns: k.columns as readonly PrinterColumn<never>[], typedStatus: false })),
  {
    kind: 'SyncRun',
    plural: 'syncruns',
    listKind: 'SyncRunList',
    shortNames: ['run', 'runs'],
    schema: syncRunSchema,
    columns: [
      { name: 'REPOSITORY', value: () => undefined, jsonPath: '.spec.repositoryName' },
      { name: 'PHASE', value: () => undefined, jsonPath: '.status.phase' },
      { name: 'TRIGGER', value: () => undefined, jsonPath: '.spec.trigger' },
      { name: 'STARTED', type: 'date', value: () => undefined, jsonPath: '.status.startTime' },
      { name: 'BYTES', wide: true, value: () => undefined, jsonPath: '.status.bytesMoved' },
    ],
    typedStatus: true,
  },
];

/** One CRD per kind, in a stable order. */
export function customResourceDefinitions(): Json[] {
  return CRD_KINDS.map((k) => {
    const json = z.toJSONSchema(k.schema, { io: 'input', unrepresentable: 'any' }) as Json;
    const props = json.properties as Record<string, Json>;
    let spec = structural(props.spec!, 'spec');
    const dropped = WRITE_ONLY[k.kind] ?? [];
    if (dropped.length > 0) {
      spec = withoutFields(spec, dropped);
      spec.description = `${dropped.map((f) => `spec.${f}`).join(' and ')} are accepted only by tug serve's API, which seals them; in Kubernetes keep them in a Secret.`;
    }
    const status = k.typedStatus && props.status ? structural(props.status, 'status') : { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, description: 'Written by tug serve (docs/api.md).' };
    const lower = k.kind.toLowerCase();
    return {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: `${k.plural}.${GROUP}`, labels: { 'app.kubernetes.io/name': 'tugboat' } },
      spec: {
        group: GROUP,
        scope: 'Namespaced',
        names: { kind: k.kind, listKind: k.listKind, plural: k.plural, singular: lower, shortNames: k.shortNames.filter((n) => n !== lower && n !== k.plural), categories: ['tugboat'] },
        versions: [
          {
            name: VERSION,
            served: true,
            storage: true,
            subresources: { status: {} },
            additionalPrinterColumns: [
              ...k.columns.filter((c) => c.jsonPath).map((c) => ({ name: titleCase(c.name), type: c.type === 'date' ? 'date' : 'string', jsonPath: c.jsonPath!, ...(c.wide ? { priority: 1 } : {}) })),
              { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
            ],
            schema: {
              openAPIV3Schema: {
                type: 'object',
                description: `${k.kind} of Tugboat (${API_VERSION}); generated by tug serve crds from the schemas the server validates with.`,
                required: ['spec'],
                properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' }, spec, status },
              },
            },
          },
        ],
      },
    };
  });
}

const titleCase = (s: string) => s.toLowerCase().replace(/(^|\s)\S/g, (c) => c.toUpperCase());
