/**
 * Pure helpers shared by both SQL dialects: label selectors, page sizes,
 * continue tokens and the search text. No I/O here.
 */
import { type Kind, type ResourceOf, kindOf } from '../api/kinds.ts';
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

/** Escapes `%`, `_` and `\` for `LIKE ... ESCAPE '\'`. */
export function likePattern(q: string): string {
  return `%${q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
