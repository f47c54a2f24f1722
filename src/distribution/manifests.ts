/**
 * The manifest endpoints, `/v2/<name>/manifests/<reference>` (distribution
 * spec "Pulling manifests", "Pushing manifests", "Deleting manifests"):
 * GET, HEAD, PUT, DELETE by tag or digest.
 *
 * Hostile input is refused before it reaches a URL: every digest goes
 * through parseDigest, every tag through isValidTag, and manifests over
 * 4 MiB are refused from Content-Length and again while reading.
 */
import { RegistryError, TugError, tooLargeError } from '../errors/index.ts';
import { MAX_MANIFEST_BYTES } from '../oci/manifest.ts';
import { ACCEPTED_MANIFEST_TYPES, normalizeMediaType } from '../oci/media-types.ts';
import { digestBytes } from '../oci/verify.ts';
import { type Digest, digestAlgorithm, isDigest, parseDigest } from '../reference/digest.ts';
import { isValidTag } from '../reference/reference.ts';
import { repositoryScope } from './auth.ts';
import { errorFromNetwork, firstHeader } from './errors.ts';
import { destroyQuietly, discard } from './http.ts';
import { ManifestCache } from './manifest-cache.ts';
import { type ApiResponse, type CallOptions, type Session, pullScopes, pushScopes } from './session.ts';

/** A manifest as the registry served it: raw bytes, reported type and claimed digest. */
export interface FetchedManifest {
  bytes: Uint8Array;
  /** Content-Type without parameters. */
  mediaType: string | undefined;
  /** Docker-Content-Digest, validated; undefined when the registry sent none. */
  digest: Digest | undefined;
}

/** What a HEAD of a manifest tells, each field undefined when the registry did not say. */
export interface ManifestHead {
  digest: Digest | undefined;
  mediaType: string | undefined;
  size: number | undefined;
}

/** Options of a manifest read: `accept` replaces the Accept list of every type Tugboat reads. */
export type ManifestReadOptions = CallOptions & { accept?: readonly string[] };

/** A tag or digest made safe for a URL path, or UNSAFE_INPUT. */
function checkReference(ref: string): string {
  if (ref.includes(':')) return parseDigest(ref, 'manifest digest');
  if (!isValidTag(ref)) throw new TugError('UNSAFE_INPUT', `invalid tag ${JSON.stringify(ref.slice(0, 130))}`, { hint: 'tags match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}' });
  return ref;
}

/** The manifest endpoints of one session, with the client's cache of manifests read by digest. */
export class Manifests {
  private readonly s: Session;
  private readonly cache = new ManifestCache();

  constructor(session: Session) {
    this.s = session;
  }

  /** A GET or HEAD of a manifest by tag or digest, with an Accept of every type we read (or `accept`). */
  private async manifestRequest(method: 'GET' | 'HEAD', repository: string, ref: string, ok: number[], options: ManifestReadOptions): Promise<{ res: ApiResponse; what: string }> {
    const safeRef = checkReference(ref);
    const what = this.s.name(repository, safeRef);
    const res = await this.s.request({
      method,
      path: `/v2/${repository}/manifests/${safeRef}`,
      headers: { accept: (options.accept ?? ACCEPTED_MANIFEST_TYPES).join(', ') },
      repository,
      scopes: pullScopes(repository),
      what,
      ok,
      signal: options.signal,
    });
    return { res, what };
  }

  /** `RegistryClient.getManifest`; a manifest read by digest comes from the cache when kept. */
  async get(repository: string, ref: string, options: ManifestReadOptions = {}): Promise<FetchedManifest> {
    const byDigest = ref.includes(':');
    const cached = byDigest ? this.cache.get(repository, ref) : undefined;
    if (cached) return cached;
    const fetched = await this.fetch(repository, ref, options);
    // Kept only when the bytes are what the digest names (the engine checks again).
    if (byDigest && isDigest(ref) && digestBytes(fetched.bytes, digestAlgorithm(ref)) === ref) this.cache.set(repository, ref, fetched);
    return fetched;
  }

  private async fetch(repository: string, ref: string, options: ManifestReadOptions): Promise<FetchedManifest> {
    const { res, what } = await this.manifestRequest('GET', repository, ref, [200], options);
    const tooBig = (n: number | string) => tooLargeError(`${what}: the manifest`, n, MAX_MANIFEST_BYTES);
    const declared = Number(firstHeader(res.headers, 'content-length') ?? NaN);
    if (declared > MAX_MANIFEST_BYTES) {
      destroyQuietly(res.body);
      throw tooBig(declared);
    }
    const chunks: Buffer[] = [];
    let total = 0;
    try {
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        total += chunk.length;
        if (total > MAX_MANIFEST_BYTES) throw tooBig(`more than ${MAX_MANIFEST_BYTES}`);
        chunks.push(chunk);
      }
    } catch (err) {
      destroyQuietly(res.body);
      throw errorFromNetwork({ method: 'GET', url: res.url.toString(), registry: this.s.registry, what }, err);
    }
    const claimed = firstHeader(res.headers, 'docker-content-digest');
    return {
      bytes: new Uint8Array(Buffer.concat(chunks)),
      mediaType: normalizeMediaType(firstHeader(res.headers, 'content-type')),
      digest: claimed === undefined || claimed === '' ? undefined : parseDigest(claimed.trim(), `Docker-Content-Digest of ${what}`),
    };
  }

  /** HEADs a manifest; undefined when it does not exist. */
  async head(repository: string, ref: string, options: ManifestReadOptions = {}): Promise<ManifestHead | undefined> {
    const { res, what } = await this.manifestRequest('HEAD', repository, ref, [200, 404], options);
    await discard(res.body);
    if (res.status === 404) return undefined;
    const claimed = firstHeader(res.headers, 'docker-content-digest');
    const length = Number(firstHeader(res.headers, 'content-length') ?? NaN);
    return {
      digest: claimed ? parseDigest(claimed.trim(), `Docker-Content-Digest of ${what}`) : undefined,
      mediaType: normalizeMediaType(firstHeader(res.headers, 'content-type')),
      size: Number.isSafeInteger(length) ? length : undefined,
    };
  }

  /** PUTs a manifest by tag or digest; returns its digest (the registry's Docker-Content-Digest, else computed). */
  async put(repository: string, ref: string, bytes: Uint8Array, mediaType: string, options: CallOptions = {}): Promise<Digest> {
    const safeRef = checkReference(ref);
    const res = await this.s.request({
      method: 'PUT',
      path: `/v2/${repository}/manifests/${safeRef}`,
      headers: { 'content-type': mediaType },
      body: bytes,
      repository,
      scopes: pushScopes(repository),
      what: `writing manifest ${this.s.name(repository, safeRef)}`,
      write: true,
      ok: [200, 201],
      signal: options.signal,
    });
    await discard(res.body);
    const claimed = firstHeader(res.headers, 'docker-content-digest');
    return claimed && isDigest(claimed.trim()) ? (claimed.trim() as Digest) : digestBytes(bytes);
  }

  /** `RegistryClient.deleteManifest`: a 405 becomes UNSUPPORTED naming `storage.delete.enabled`. */
  async delete(repository: string, digest: string, options: CallOptions = {}): Promise<void> {
    const d = parseDigest(digest, 'manifest digest');
    const what = `deleting ${this.s.name(repository, d)}`;
    try {
      const res = await this.s.request({
        method: 'DELETE',
        path: `/v2/${repository}/manifests/${d}`,
        repository,
        scopes: [repositoryScope(repository, ['pull', 'push', 'delete'])],
        what,
        write: true,
        ok: [200, 202, 204],
        signal: options.signal,
      });
      await discard(res.body);
    } catch (err) {
      if (err instanceof RegistryError && err.status === 405) {
        throw new RegistryError(
          'UNSUPPORTED',
          `${what}: the registry does not allow deletes (storage.delete.enabled)`,
          { status: 405, method: 'DELETE', url: err.url, diagnostics: err.diagnostics },
          { cause: err, hint: 'enable deletion in the registry configuration (storage.delete.enabled: true)' },
        );
      }
      throw err;
    }
  }
}
