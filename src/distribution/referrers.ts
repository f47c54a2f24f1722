/**
 * Listing referrers (distribution spec v1.1 "Listing Referrers"):
 * `GET /v2/<name>/referrers/<digest>[?artifactType=]`, an OCI image index of
 * the descriptors of manifests whose `subject` is `<digest>`, page by page
 * through `Link: <...>; rel="next"`.
 *
 * A registry without the API answers 404 (the spec forbids a 404 from one
 * that has it: an unknown subject gets an empty index). That answer is
 * remembered per session, so a sync against such a registry asks once, not
 * once per image. Where there is no API, the referrers tag schema stands in:
 * the tag `<alg>-<hex>` (src/transports/referrers-tag.ts) holds an OCI index of the same descriptors,
 * kept by whoever pushes a referrer (src/copy/referrers.ts does).
 */
import { RegistryError } from '../errors/index.ts';
import { type Descriptor, MAX_MANIFEST_BYTES } from '../oci/manifest.ts';
import { MediaType } from '../oci/media-types.ts';
import { parseDigest } from '../reference/digest.ts';
import { firstHeader } from './errors.ts';
import { readText } from './http.ts';
import { type CallOptions, type Session, pullScopes } from './session.ts';
import { parseNextLink } from './tags.ts';

/** What the referrers endpoint answered: the descriptors, or `undefined` when the registry has no such API. */
export interface ReferrersAnswer {
  descriptors: Descriptor[];
  /** `OCI-Filters-Applied` named `artifactType`: the registry filtered; else the caller must. */
  filtered: boolean;
}

/** Options of {@link listReferrers}: `artifactType` asks the registry to filter (it may not). */
export type ReferrersOptions = CallOptions & { artifactType?: string | undefined };

/** Sessions that answered 404 to the referrers endpoint: no API there. */
const withoutApi = new WeakSet<Session>();
/**
 * The first referrers request of a session, while it runs: the calls made
 * meanwhile (a sync resolves many images at once) wait for its answer
 * instead of each asking a registry that may have no API.
 */
const firstCall = new WeakMap<Session, Promise<unknown>>();
const answered = new WeakSet<Session>();

/** False once this session's registry has shown it has no referrers API; true until then. */
export function mayHaveReferrersApi(s: Session): boolean {
  return !withoutApi.has(s);
}

function checkDescriptors(doc: unknown, what: string, url: string): Descriptor[] {
  const manifests = (doc as { manifests?: unknown } | null)?.manifests;
  if (!Array.isArray(manifests)) throw new RegistryError('REGISTRY', `${what}: the answer is not an image index`, { method: 'GET', url, status: 200 });
  const out: Descriptor[] = [];
  for (const m of manifests as unknown[]) {
    const d = m as Partial<Descriptor> | null;
    // Entries that are not manifest descriptors are dropped, so no bad digest reaches a URL.
    if (!d || typeof d.mediaType !== 'string' || typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0 || d.size > MAX_MANIFEST_BYTES) continue;
    try {
      parseDigest(d.digest, 'referrer digest');
    } catch {
      continue;
    }
    out.push(d as Descriptor);
  }
  return out;
}

/**
 * Lists the referrers of `subject` in `repository`; `undefined` when the
 * registry has no referrers API (a 404, remembered for the session so the
 * next call makes no request). Pages are followed on the same origin only,
 * at most 1,000 of them.
 */
export async function listReferrers(s: Session, repository: string, subject: string, options: ReferrersOptions = {}): Promise<ReferrersAnswer | undefined> {
  if (!answered.has(s)) {
    const running = firstCall.get(s);
    if (running) await running.catch(() => {});
    else {
      const mine = fetchReferrers(s, repository, subject, options);
      firstCall.set(s, mine);
      try {
        return await mine;
      } finally {
        firstCall.delete(s);
      }
    }
  }
  if (withoutApi.has(s)) return undefined;
  return fetchReferrers(s, repository, subject, options);
}

async function fetchReferrers(s: Session, repository: string, subject: string, options: ReferrersOptions): Promise<ReferrersAnswer | undefined> {
  const digest = parseDigest(subject, 'subject digest');
  const what = `listing referrers of ${s.name(repository, digest)}`;
  const query = options.artifactType ? `?artifactType=${encodeURIComponent(options.artifactType)}` : '';
  const descriptors: Descriptor[] = [];
  let filtered = false;
  let next: URL | undefined;
  const seen = new Set<string>();
  for (let page = 0; page < 1000; page++) {
    const res = await s.request({
      method: 'GET',
      ...(next ? { url: next } : { path: `/v2/${repository}/referrers/${digest}${query}` }),
      headers: { accept: MediaType.OciIndex },
      repository,
      scopes: pullScopes(repository),
      what,
      ok: [200, 404],
      signal: options.signal,
    });
    const text = await readText(res.body, MAX_MANIFEST_BYTES);
    answered.add(s);
    if (res.status === 404) {
      withoutApi.add(s);
      return undefined;
    }
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      throw new RegistryError('REGISTRY', `${what}: the answer is not JSON`, { method: 'GET', url: res.url.toString(), status: res.status });
    }
    descriptors.push(...checkDescriptors(doc, what, res.url.toString()));
    if (/(^|,)\s*artifactType\s*(,|$)/.test(firstHeader(res.headers, 'oci-filters-applied') ?? '')) filtered = true;
    const link = parseNextLink(firstHeader(res.headers, 'link'));
    if (!link) break;
    next = new URL(link, res.url);
    if (next.origin !== res.url.origin || seen.has(next.toString())) break;
    seen.add(next.toString());
  }
  return { descriptors, filtered };
}
