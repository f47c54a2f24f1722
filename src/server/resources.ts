/**
 * The server's view of the resource kinds of src/api/kinds.ts: one
 * {@link KindHandler} per kind, built from the kind's table entry, so the
 * routes in routes/resources.ts (written once) serve every kind. What stays
 * here is what only the server knows: callers' namespaces, errors as
 * Status answers, and (Registry) sealing the write-only credentials.
 */
import type { z } from 'zod';
import { KIND_LIST, type Kind, type ResourceKind, type ResourceOf } from '../api/kinds.ts';
import { isPlainObject } from '../api/merge-patch.ts';
import { API_VERSION, type ObjectMeta, type Registry } from '../api/types.ts';
import { fieldValue, parseFieldSelector, parseLabelSelector, searchText } from '../store/query.ts';
import type { Store } from '../store/types.ts';
import { type Principal, canSee } from './auth.ts';
import { ApiError, badRequest, forbidden, invalid, zodCauses } from './errors.ts';
import { type RegistrySecret, type Secrets, openRegistrySecret, sealRegistrySecret } from './secrets.ts';

export interface KindHandler<K extends Kind> {
  kind: K;
  plural: string;
  listKind: string;
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
  /**
   * True when {@link present} changes nothing: reads answer the stored JSON
   * text as it is, never parsed and serialised again (issue 15, "Scale").
   */
  presentsAsStored: boolean;
}

function handlerFor<K extends Kind>(k: ResourceKind<ResourceOf<K>>): KindHandler<K> {
  return {
    kind: k.kind as K,
    plural: k.plural,
    listKind: k.listKind,
    schema: k.schema,
    defaults: (obj) => k.defaults?.(obj) ?? obj,
    authorize(obj, p) {
      for (const { field, namespace } of k.references?.(obj) ?? []) {
        if (!canSee(p, namespace)) throw forbidden(`${field} names namespace "${namespace}", which this token may not use`);
      }
    },
    checkEdit(old, next, patch) {
      const causes = k.checkEdit?.(old, next, patch) ?? [];
      if (causes.length > 0) throw invalid(k.kind, old.metadata.name, causes);
    },
    present: (obj) => k.present?.(obj) ?? obj,
    presentsAsStored: k.present === undefined,
  };
}

/** One handler per kind of the table, in its order (the order routes are registered in). */
export const handlers: readonly KindHandler<Kind>[] = KIND_LIST.map((k) => handlerFor(k));

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

/**
 * What a list leaves out of each Repository (issue 15, "Scale"): the
 * per-platform manifests (`status.platforms`) and the default platform's
 * layers and config, which made an item ~4 KB and belong to a single GET
 * (and to watch events, which the details page applies as the whole object).
 * The store drops them in the database (ListOptions.omit); {@link listItem}
 * drops them from objects that come from elsewhere.
 */
export const LIST_OMITTED: Partial<Record<Kind, readonly (readonly string[])[]>> = {
  // status.tags (spec.tags' per-tag lines, up to ~20 KB) is the details page's too.
  Repository: [['status', 'platforms'], ['status', 'manifest', 'layers'], ['status', 'manifest', 'config'], ['status', 'tags']],
};

/** `obj` as a list carries it: without its kind's {@link LIST_OMITTED} paths (a copy; `obj` is left alone). */
export function listItem<T>(obj: T): T {
  const omitted = LIST_OMITTED[(obj as { kind?: Kind }).kind as Kind];
  if (!omitted) return obj;
  const out = structuredClone(obj) as Record<string, unknown>;
  for (const path of omitted) {
    let at: unknown = out;
    for (const key of path.slice(0, -1)) at = at !== null && typeof at === 'object' ? (at as Record<string, unknown>)[key] : undefined;
    if (at !== null && typeof at === 'object') delete (at as Record<string, unknown>)[path.at(-1)!];
  }
  return out as T;
}

/** The same filters the store applies to lists, for live watch events. */
export function listMatcher<K extends Kind>(kind: K, selectors: { labelSelector?: string | undefined; fieldSelector?: string | undefined; q?: string | undefined }): (obj: ResourceOf<K>) => boolean {
  const reqs = parseLabelSelector(selectors.labelSelector ?? '');
  const fields = parseFieldSelector(kind, selectors.fieldSelector ?? '');
  const needle = selectors.q?.toLowerCase();
  return (obj) => {
    const labels = obj.metadata.labels ?? {};
    for (const r of reqs) {
      const v = labels[r.key];
      if (r.op === 'exists' && v === undefined) return false;
      if (r.op === 'eq' && v !== r.value) return false;
      if (r.op === 'neq' && v === r.value) return false;
    }
    for (const f of fields) if ((fieldValue(obj, f.path) === f.value) !== (f.op === 'eq')) return false;
    return !needle || searchText(obj).includes(needle);
  };
}

export { ApiError };
