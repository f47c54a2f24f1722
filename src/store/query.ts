/**
 * Pure helpers shared by both SQL dialects: label selectors, page sizes,
 * continue tokens and the search text. No I/O here.
 */
import { type Kind, RESOURCE_KINDS, type ResourceOf, kindOf } from '../api/kinds.ts';
import { DISPLAY_NAME_ANNOTATION } from '../api/types.ts';
import { TugError } from '../errors/index.ts';

/** One requirement of an equality-based label selector. */
export type LabelRequirement =
  | { op: 'eq'; key: string; value: string }
  | { op: 'neq'; key: string; value: string }
  | { op: 'exists'; key: string };

// Kubernetes label keys: optional DNS-subdomain prefix and a name of at most 63
// characters; values at most 63 characters. Kept permissive on length (the
// server's schema validates labels on write), strict on the character set so a
// key can be embedded in a JSON path safely.
const KEY = /^([a-z0-9]([a-z0-9.-]*[a-z0-9])?\/)?[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/;
const VALUE = /^([A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?)?$/;

/**
 * Parses `a=b,c!=d,e` (also `a==b`) into requirements, all of which must hold.
 * Throws a TugError USAGE naming the part it could not read.
 * https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#equality-based-requirement
 */
export function parseLabelSelector(selector: string): LabelRequirement[] {
  const out: LabelRequirement[] = [];
  if (selector.trim() === '') return out;
  for (const raw of selector.split(',')) {
    const part = raw.trim();
    const bad = (why: string) => new TugError('USAGE', `invalid labelSelector part "${part}": ${why}`, { hint: 'use key=value, key!=value or key, separated by commas' });
    if (part === '') throw bad('empty requirement');
    const m = /^([^=!]+?)\s*(!=|==|=)\s*(.*)$/.exec(part);
    if (m) {
      const key = m[1] ?? '';
      const value = m[3] ?? '';
      if (!KEY.test(key)) throw bad(`bad key "${key}"`);
      if (!VALUE.test(value)) throw bad(`bad value "${value}"`);
      out.push(m[2] === '!=' ? { op: 'neq', key, value } : { op: 'eq', key, value });
    } else {
      if (part.startsWith('!')) throw bad('"!key" (key does not exist) is not supported');
      if (!KEY.test(part)) throw bad(`bad key "${part}"`);
      out.push({ op: 'exists', key: part });
    }
  }
  return out;
}

/** One requirement of a field selector: the field as a path into the object. */
export interface FieldRequirement {
  field: string;
  path: readonly string[];
  op: 'eq' | 'neq';
  value: string;
}

/** Fields every kind can be selected by, as in Kubernetes. */
const COMMON_FIELDS = ['metadata.name', 'metadata.namespace'];

/**
 * Parses a Kubernetes field selector (`status.syncStatus=Failed`,
 * `metadata.name!=a`, `==` too) for `kind`: only the fields the kind
 * declares (`selectableFields` in src/api/) are accepted, so a typo is an
 * error naming the fields there are rather than an empty list.
 */
export function parseFieldSelector(kind: Kind, selector: string): FieldRequirement[] {
  const out: FieldRequirement[] = [];
  if (selector.trim() === '') return out;
  const fields = [...COMMON_FIELDS, ...(RESOURCE_KINDS[kind].selectableFields ?? [])];
  for (const raw of selector.split(',')) {
    const part = raw.trim();
    const m = /^([A-Za-z0-9.]+)\s*(!=|==|=)\s*(.*)$/.exec(part);
    if (!m) throw new TugError('USAGE', `invalid fieldSelector part "${part}"`, { hint: 'use field=value or field!=value, separated by commas' });
    const field = m[1]!;
    const value = m[3]!;
    if (!fields.includes(field)) throw new TugError('USAGE', `field label not supported for ${kind}: "${field}"`, { hint: `fieldSelector takes ${fields.join(', ')}` });
    if (!VALUE.test(value) || value.length > 253) throw new TugError('USAGE', `invalid fieldSelector value "${value}" for ${field}`);
    out.push({ field, path: field.split('.'), op: m[2] === '!=' ? 'neq' : 'eq', value });
  }
  return out;
}

/** A field's value as a selector compares it: a missing field is the empty string (Kubernetes' rule). */
export function fieldValue(obj: unknown, path: readonly string[]): string {
  let v: unknown = obj;
  for (const key of path) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined;
  return typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);
}

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;

/** Clamps a page size: undefined -> 100, at most 1000, at least 1. */
export function pageLimit(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return DEFAULT_LIMIT;
  return Math.min(MAX_LIMIT, Math.max(1, Math.floor(limit)));
}

/** Encodes a keyset position as an opaque token (base64url of JSON). */
export function encodeContinue(position: unknown[]): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

/**
 * Decodes a token from {@link encodeContinue} and checks its shape against
 * `types` ('s' string, 'n' number). Throws a TugError USAGE when it is not one.
 */
export function decodeContinue(token: string, types: readonly ('s' | 'n')[]): (string | number)[] {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  const ok = Array.isArray(value) && value.length === types.length
    && value.every((v, i) => (types[i] === 's' ? typeof v === 'string' : Number.isSafeInteger(v)));
  if (!ok) throw new TugError('USAGE', 'invalid continue token', { hint: 'pass the token from the previous page unchanged, or start again without one' });
  return value as (string | number)[];
}

/**
 * The lower-cased text `q` searches: name, display name and the kind's own
 * search text (src/api/kinds.ts; a Repository's `repository:tag`, a
 * Registry's URL). Lines are separated so a query cannot match across two
 * fields.
 */
export function searchText(obj: ResourceOf<Kind>): string {
  return [obj.metadata.name, obj.metadata.annotations?.[DISPLAY_NAME_ANNOTATION] ?? '', kindOf(obj).searchText(obj)].join('\n').toLowerCase();
}

