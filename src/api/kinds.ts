/**
 * The resource kinds of the API, registered once (as Kubernetes' scheme
 * registers each kind): everything else derives from {@link RESOURCE_KINDS}:
 * the server's routes and validation, /openapi.json, the store's `Kind`
 * and `ResourceOf`, and the CLI's get / apply / delete. A new kind is a
 * module `src/api/NAME-kind.ts` exporting a {@link ResourceKind} and one
 * line in {@link KINDS}.
 */
import type { z } from 'zod';
import type { ObjectMeta } from './types.ts';
import { registryKind } from './registry-kind.ts';
import { repositoryKind } from './repository-kind.ts';

/** What every stored object has. */
export interface Resource {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec: object;
  status?: unknown;
}

/** A problem with one field, as `Status.details.causes` carries it. */
export interface Cause {
  reason?: string;
  message: string;
  field?: string;
}

/** A column of `tug get`, like a CRD's additionalPrinterColumns. */
export interface PrinterColumn<R> {
  name: string;
  /** The cell text; for a `date` column an ISO time, shown as an age (`5m`); undefined prints `-`. */
  value(obj: R): string | undefined;
  type?: 'date';
  /** Only with `-o wide`. */
  wide?: boolean;
  /** The field the column shows, when it is one field: what a CRD's additionalPrinterColumns use (`tug serve crds`). */
  jsonPath?: string;
}

/**
 * One kind: its names, its schema, and the rules the server applies beyond
 * the schema. Optional rules default to none (the object as sent, as stored).
 */
export interface ResourceKind<R extends Resource> {
  kind: R['kind'];
  /** The URL segment and what `tug get` takes: `repositories`. */
  plural: string;
  /** The kind of a list of them: `RepositoryList`. */
  listKind: `${R['kind']}List`;
  /** Other names people type besides the kind and the plural (any case): `repo`. */
  shortNames: readonly string[];
  /** zod schema of a whole object as clients send it; also generates /openapi.json. */
  schema: z.ZodType;
  /** What `?q=` searches besides the name and display name. */
  searchText(obj: R): string;
  /**
   * Fields `?fieldSelector=` takes besides `metadata.name` and
   * `metadata.namespace`, as dotted paths into the object (Kubernetes lets
   * each kind pick its own: `status.phase` for Pods).
   */
  selectableFields?: readonly string[];
  /** The columns of `tug get` between NAME and AGE (`wide` ones after AGE). */
  columns: readonly PrinterColumn<R>[];
  /** Server-side defaults (Kubernetes defaulting) for a validated object. */
  defaults?(obj: R): R;
  /** Namespaces the object refers to, by field: the caller must be allowed to see each. */
  references?(obj: R): { field: string; namespace: string }[];
  /** Why `old` may not become `next` (immutable fields); `patch` is the merge patch of a PATCH, else undefined. */
  checkEdit?(old: R, next: R, patch: unknown): Cause[];
  /** The object as clients may see it (no write-only fields). */
  present?(obj: R): R;
  /** True when a document's spec sets write-only fields: `tug apply` cannot tell whether it changes anything. */
  writesSecret?(spec: Record<string, unknown> | undefined): boolean;
}

/** Every kind, one line each. */
const KINDS = [repositoryKind, registryKind] as const;

type AnyKind = (typeof KINDS)[number];
export type Kind = AnyKind['kind'];
type ObjectOf<T> = T extends ResourceKind<infer R> ? R : never;
/** Each kind's object type, by kind. */
type KindMap = { [T in AnyKind as T['kind']]: ObjectOf<T> };
/** The object type of a kind: `ResourceOf<'Registry'>` is `Registry`. */
export type ResourceOf<K extends Kind> = KindMap[K];

/** The kinds by name. */
export const RESOURCE_KINDS = Object.fromEntries(KINDS.map((k) => [k.kind, k])) as { [K in Kind]: ResourceKind<ResourceOf<K>> };

/** Every kind, in registration order. */
export const KIND_LIST: readonly ResourceKind<ResourceOf<Kind>>[] = KINDS;

/** The kind of a stored object, for rules written once for every kind. */
export function kindOf(obj: ResourceOf<Kind>): ResourceKind<Resource> {
  return RESOURCE_KINDS[obj.kind] as unknown as ResourceKind<Resource>;
}

/** The kind a person means by `text`: its kind, plural or a short name, in any case; undefined when none. */
export function kindNamed(text: string): ResourceKind<Resource> | undefined {
  const t = text.toLowerCase();
  const hit = KINDS.find((k) => k.kind.toLowerCase() === t || k.plural === t || k.shortNames.includes(t));
  return hit as ResourceKind<Resource> | undefined;
}
