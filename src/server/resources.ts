/**
 * What differs between the two resource kinds: schema, defaults, which
 * edits are allowed, and (Registry) the write-only credentials. The routes in
 * routes/resources.ts are written once against {@link KindHandler}.
 */
import type { z } from 'zod';
import { DEFAULT_RETRY_COUNT, DEFAULT_SYNC_INTERVAL, DEFAULT_SYNC_TIMEOUT, registrySchema, repositorySchema } from '../api/schema.ts';
import { API_VERSION, DESCRIPTION_ANNOTATION, DISPLAY_NAME_ANNOTATION, type ObjectMeta, type Registry, type Repository } from '../api/types.ts';
import { parseLabelSelector } from '../store/query.ts';
import type { Kind, ResourceOf, Store } from '../store/types.ts';
import { type Principal, canSee } from './auth.ts';
import { ApiError, badRequest, forbidden, invalid, zodCauses } from './errors.ts';
import { isPlainObject, jsonEqual } from './merge-patch.ts';
import { type RegistrySecret, type Secrets, openRegistrySecret, sealRegistrySecret } from './secrets.ts';

type Cause = { reason?: string; message: string; field?: string };

export interface KindHandler<K extends Kind> {
  kind: K;
  plural: string;
  schema: z.ZodType;
  /** Server-side defaults (Kubernetes defaulting) applied to a validated object. */
  defaults(obj: ResourceOf<K>): ResourceOf<K>;
  /** Checks that go beyond the schema and depend on the caller (references to namespaces it cannot see). */
  authorize(obj: ResourceOf<K>, p: Principal): void;
  /**
   * Checks an edit of `old` into `next`. `patch` is the merge patch when the
   * edit is a PATCH (which may change fewer fields than a PUT).
   */
  checkEdit(old: ResourceOf<K>, next: ResourceOf<K>, patch: unknown | undefined): void;
  /** The object as clients may see it (no write-only fields). */
  present(obj: ResourceOf<K>): ResourceOf<K>;
}

/** Validates a body against `schema`; 422 with causes, or 400 when it is not an object at all. */
export function validate<K extends Kind>(h: KindHandler<K>, body: unknown): ResourceOf<K> {
  if (!isPlainObject(body)) throw badRequest(`the request body must be a ${h.kind} object (JSON or YAML)`);
  const meta = isPlainObject(body.metadata) ? body.metadata : {};
  const name = typeof meta.name === 'string' ? meta.name : '';
  if (body.apiVersion !== undefined && body.apiVersion !== API_VERSION) {
    throw badRequest(`apiVersion must be ${API_VERSION}, got ${JSON.stringify(body.apiVersion)}`, [{ reason: 'FieldValueInvalid', message: `must be ${API_VERSION}`, field: 'apiVersion' }]);
  }
  if (body.kind !== undefined && body.kind !== h.kind) {
    throw badRequest(`kind must be ${h.kind} on this endpoint, got ${JSON.stringify(body.kind)}`, [{ reason: 'FieldValueInvalid', message: `must be ${h.kind}`, field: 'kind' }]);
  }
  const parsed = h.schema.safeParse({ ...body, apiVersion: API_VERSION, kind: h.kind });
  if (!parsed.success) throw invalid(h.kind, name, zodCauses(parsed.error));
  const v = parsed.data as ResourceOf<K> & { metadata: ObjectMeta };
  const metadata: ObjectMeta = {
    name: v.metadata.name,
    namespace: v.metadata.namespace ?? '',
    ...(v.metadata.labels ? { labels: v.metadata.labels } : {}),
    ...(v.metadata.annotations ? { annotations: v.metadata.annotations } : {}),
    ...(v.metadata.resourceVersion ? { resourceVersion: v.metadata.resourceVersion } : {}),
  };
  return { apiVersion: API_VERSION, kind: h.kind, metadata, spec: v.spec } as ResourceOf<K>;
}

/** Namespace in the body must match the one in the path (Kubernetes answers 400). */
export function placeInNamespace<K extends Kind>(obj: ResourceOf<K>, namespace: string): ResourceOf<K> {
  if (obj.metadata.namespace && obj.metadata.namespace !== namespace) {
    throw badRequest(`the namespace of the provided object (${obj.metadata.namespace}) does not match the namespace sent on the request (${namespace})`, [
      { reason: 'FieldValueInvalid', message: `must be ${namespace}`, field: 'metadata.namespace' },
    ]);
  }
  obj.metadata.namespace = namespace;
  return obj;
}

function refVisible(p: Principal, ns: string, field: string): void {
  if (!canSee(p, ns)) throw forbidden(`${field} names namespace "${ns}", which this token may not use`);
}

// ---------------------------------------------------------------- Repository

const IMMUTABLE_HINT = 'field is immutable: delete and re-create the Repository to change the registry, path or tag';
const PATCHABLE_ANNOTATIONS = new Set([DISPLAY_NAME_ANNOTATION, DESCRIPTION_ANNOTATION]);

export const repositoryHandler: KindHandler<'Repository'> = {
  kind: 'Repository',
  plural: 'repositories',
  schema: repositorySchema,
  defaults(obj) {
    const ns = obj.metadata.namespace;
    const spec = { ...obj.spec };
    spec.registryRef = { name: spec.registryRef.name, namespace: spec.registryRef.namespace ?? ns };
    spec.syncInterval ??= DEFAULT_SYNC_INTERVAL;
    spec.syncTimeout ??= DEFAULT_SYNC_TIMEOUT;
    spec.retryCount ??= DEFAULT_RETRY_COUNT;
    if (spec.mirror) spec.mirror = { ...spec.mirror, registryRef: { name: spec.mirror.registryRef.name, namespace: spec.mirror.registryRef.namespace ?? ns } };
    return { ...obj, spec };
  },
  authorize(obj, p) {
    refVisible(p, obj.spec.registryRef.namespace ?? obj.metadata.namespace, 'spec.registryRef.namespace');
    if (obj.spec.mirror) refVisible(p, obj.spec.mirror.registryRef.namespace ?? obj.metadata.namespace, 'spec.mirror.registryRef.namespace');
  },
  checkEdit(old, next, patch) {
    const causes: Cause[] = [];
    for (const field of ['repository', 'tag', 'registryRef'] as const) {
      if (!jsonEqual(old.spec[field], next.spec[field])) causes.push({ reason: 'FieldValueForbidden', message: IMMUTABLE_HINT, field: `spec.${field}` });
    }
    if (patch !== undefined) {
      const before = old.metadata.annotations ?? {};
      const after = next.metadata.annotations ?? {};
      for (const k of new Set([...Object.keys(before), ...Object.keys(after)])) {
        if (before[k] !== after[k] && !PATCHABLE_ANNOTATIONS.has(k)) {
          causes.push({
            reason: 'FieldValueForbidden',
            message: `PATCH may change only the ${DISPLAY_NAME_ANNOTATION} and ${DESCRIPTION_ANNOTATION} annotations; replace the object with PUT to change others`,
            field: `metadata.annotations[${k}]`,
          });
        }
      }
    }
    if (causes.length > 0) throw invalid('Repository', old.metadata.name, causes);
  },
  present(obj) {
    return obj;
  },
};

// ---------------------------------------------------------------- Registry

type Creds = NonNullable<Registry['spec']['credentials']>;

/**
 * The secret a Registry edit leaves behind. `incoming` is what the request
 * said about password / token: undefined = keep the old value, null or ""
 * = remove it, a string = the new value. Without `spec.credentials` in the
 * new object nothing is kept.
 */
export function nextSecret(old: RegistrySecret | undefined, incoming: Record<string, unknown> | undefined, hasCredentials: boolean): RegistrySecret | undefined {
  if (!hasCredentials) return undefined;
  const pick = (k: 'password' | 'token'): string | undefined => {
    const v = incoming?.[k];
    if (v === undefined) return old?.[k];
    return typeof v === 'string' && v !== '' ? v : undefined;
  };
  const password = pick('password');
  const token = pick('token');
  return password === undefined && token === undefined ? undefined : { ...(password !== undefined ? { password } : {}), ...(token !== undefined ? { token } : {}) };
}

/** The public spec.credentials for a secret: username plus hasPassword / hasToken. */
export function publicCredentials(creds: Creds | undefined, secret: RegistrySecret | undefined): Creds | undefined {
  if (!creds) return undefined;
  const out: Creds = {};
  if (creds.username !== undefined) out.username = creds.username;
  out.hasPassword = secret?.password !== undefined;
  out.hasToken = secret?.token !== undefined;
  return out;
}

export function sealSecret(secrets: Secrets, obj: Registry, secret: RegistrySecret | undefined): string | null {
  return secret ? sealRegistrySecret(secrets, obj, secret) : null;
}

/**
 * A Registry and its decrypted credentials, as the scheduler and the test
 * endpoint use them. The credentials open only for the endpoint they were
 * stored for (secrets.ts), so a Registry whose URL changed behind the API's
 * back fails here instead of sending them to the new host.
 */
export async function loadRegistry(store: Store, secrets: Secrets, namespace: string, name: string): Promise<{ registry: Registry; credentials: RegistrySecret | undefined } | undefined> {
  const registry = await store.get('Registry', namespace, name);
  if (!registry) return undefined;
  const sealed = await store.getSecret('Registry', namespace, name);
  return { registry, credentials: sealed ? openRegistrySecret(secrets, registry, sealed) : undefined };
}

export const registryHandler: KindHandler<'Registry'> = {
  kind: 'Registry',
  plural: 'registries',
  schema: registrySchema,
  defaults(obj) {
    return obj;
  },
  authorize() {},
  checkEdit() {},
  present(obj) {
    const creds = obj.spec.credentials;
    if (!creds) return obj;
    const { password: _p, token: _t, ...rest } = creds;
    return { ...obj, spec: { ...obj.spec, credentials: { ...rest, hasPassword: rest.hasPassword === true, hasToken: rest.hasToken === true } } };
  },
};

export const handlers = { Repository: repositoryHandler, Registry: registryHandler } as const;

/** The same filters the store applies to lists, for live watch events. */
export function listMatcher<K extends Kind>(labelSelector: string | undefined, q: string | undefined): (obj: ResourceOf<K>) => boolean {
  const reqs = parseLabelSelector(labelSelector ?? '');
  const needle = q?.toLowerCase();
  return (obj) => {
    const labels = obj.metadata.labels ?? {};
    for (const r of reqs) {
      const v = labels[r.key];
      if (r.op === 'exists' && v === undefined) return false;
      if (r.op === 'eq' && v !== r.value) return false;
      if (r.op === 'neq' && v === r.value) return false;
    }
    if (!needle) return true;
    const parts = [obj.metadata.name, obj.metadata.annotations?.[DISPLAY_NAME_ANNOTATION] ?? ''];
    if (obj.kind === 'Repository') parts.push(`${(obj as Repository).spec.repository}:${(obj as Repository).spec.tag}`);
    else parts.push((obj as Registry).spec.url);
    return parts.some((p) => p.toLowerCase().includes(needle));
  };
}

export { ApiError };
