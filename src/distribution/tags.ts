/**
 * Listing tags, `/v2/<name>/tags/list` (distribution spec "Listing Tags"),
 * page by page through `Link: <...>; rel="next"`.
 */
import { RegistryError } from '../errors/index.ts';
import { isValidTag } from '../reference/reference.ts';
import { firstHeader } from './errors.ts';
import { readText } from './http.ts';
import { type CallOptions, type Session, pullScopes } from './session.ts';

/** Parses `Link: <url>; rel="next"` (RFC 8288), returning the next-page URL if any. */
export function parseNextLink(link: string | undefined): string | undefined {
  if (!link) return undefined;
  for (const part of link.split(/,(?=\s*<)/)) {
    const m = /^\s*<([^>]*)>(.*)$/.exec(part);
    if (m && /;\s*rel="?([^";]*\s)?next(\s[^";]*)?"?\s*(;|$)/i.test(m[2]!)) return m[1];
  }
  return undefined;
}

/** Options of {@link listTags}: `pageSize` asks for `?n=` per page (the registry may send fewer). */
export type ListTagsOptions = CallOptions & { pageSize?: number };

/**
 * Lists a repository's tags, following `Link: <...>; rel="next"` pages (same
 * origin only, each page once, at most 10,000 pages). Entries that are not
 * valid tags are dropped, so none can reach a URL later.
 */
export async function listTags(s: Session, repository: string, options: ListTagsOptions = {}): Promise<string[]> {
  const what = `listing tags of ${s.name(repository)}`;
  const tags: string[] = [];
  const seen = new Set<string>();
  let next: URL | undefined;
  for (let page = 0; page < 10_000; page++) {
    const res = await s.request({
      method: 'GET',
      ...(next ? { url: next } : { path: `/v2/${repository}/tags/list${options.pageSize ? `?n=${options.pageSize}` : ''}` }),
      headers: { accept: 'application/json' },
      repository,
      scopes: pullScopes(repository),
      what,
      ok: [200],
      signal: options.signal,
    });
    const text = await readText(res.body, 16 * 1024 * 1024);
    let doc: { tags?: unknown };
    try {
      doc = JSON.parse(text) as { tags?: unknown };
    } catch {
      throw new RegistryError('REGISTRY', `${what}: the answer is not JSON`, { method: 'GET', url: res.url.toString(), status: res.status });
    }
    if (doc.tags !== null && doc.tags !== undefined && !Array.isArray(doc.tags)) {
      throw new RegistryError('REGISTRY', `${what}: "tags" is not a list`, { method: 'GET', url: res.url.toString(), status: res.status });
    }
    for (const t of (doc.tags as unknown[] | null | undefined) ?? []) if (typeof t === 'string' && isValidTag(t)) tags.push(t);
    const link = parseNextLink(firstHeader(res.headers, 'link'));
    if (!link) return tags;
    next = new URL(link, res.url);
    if (next.origin !== res.url.origin) {
      throw new RegistryError('UNSAFE_INPUT', `${what}: refusing a next-page link to another host (${next.origin})`, { method: 'GET', url: res.url.toString(), status: res.status });
    }
    if (seen.has(next.toString())) return tags;
    seen.add(next.toString());
  }
  return tags;
}
