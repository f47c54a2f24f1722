/**
 * Reading blobs, `/v2/<name>/blobs/<digest>` (distribution spec "Pulling
 * blobs"): HEAD, GET with Range from an offset, redirects followed by hand,
 * and the resumable stream over them (blob-reader.ts). Writing blobs is
 * uploads.ts.
 *
 * The Authorization header goes only to the registry's own origin, never to
 * the storage host (S3 and friends) a redirect points at: a redirect target
 * is requested by absolute URL, and session.ts authorizes an absolute URL
 * only on the origin the registry answered from.
 */
import type { Readable } from 'node:stream';
import type { SystemContext } from '../context/system-context.ts';
import { RegistryError, redactUrl } from '../errors/index.ts';
import type { Descriptor } from '../oci/manifest.ts';
import { parseDigest } from '../reference/digest.ts';
import { type BlobResponse, ResumableBlobReader } from './blob-reader.ts';
import { firstHeader } from './errors.ts';
import { discard } from './http.ts';
import { type CallOptions, type ClientTuning, type Session, pullScopes } from './session.ts';

const REDIRECTS = [301, 302, 303, 307, 308];
const MAX_REDIRECTS = 5;

/** A blob up to this size is no bulk transfer (see {@link Blobs.get}). */
const BULK_BYTES = 1024 * 1024;

/** The blob read endpoints of one session. */
export class Blobs {
  private readonly s: Session;
  private readonly ctx: SystemContext;
  private readonly tuning: ClientTuning;

  /** The streams resume as `tuning` says (`maxResumes`, `retryBaseDelayMs`) and report to `ctx.onEvent`. */
  constructor(session: Session, ctx: SystemContext, tuning: ClientTuning) {
    this.s = session;
    this.ctx = ctx;
    this.tuning = tuning;
  }

  /** HEADs a blob: its size when present (-1 when the registry sent no usable Content-Length), undefined when not. */
  async head(repository: string, digest: string, options: CallOptions = {}): Promise<number | undefined> {
    const d = parseDigest(digest, 'blob digest');
    const res = await this.s.request({
      method: 'HEAD',
      path: `/v2/${repository}/blobs/${d}`,
      repository,
      scopes: pullScopes(repository),
      what: `blob ${d} in ${this.s.name(repository)}`,
      ok: [200, 404],
      signal: options.signal,
    });
    await discard(res.body);
    if (res.status === 404) return undefined;
    const length = Number(firstHeader(res.headers, 'content-length') ?? NaN);
    return Number.isSafeInteger(length) ? length : -1;
  }

  /** `RegistryClient.openBlob`: the final answer (200 or 206) after at most 5 redirects. */
  async open(repository: string, digest: string, options: CallOptions & { offset?: number; bulk?: boolean } = {}): Promise<BlobResponse> {
    const d = parseDigest(digest, 'blob digest');
    const what = `blob ${d} in ${this.s.name(repository)}`;
    const headers: Record<string, string> = options.offset ? { range: `bytes=${options.offset}-` } : {};
    let res = await this.s.request({
      method: 'GET',
      path: `/v2/${repository}/blobs/${d}`,
      headers,
      repository,
      scopes: pullScopes(repository),
      what,
      ok: [200, 206, ...REDIRECTS],
      signal: options.signal,
      bulk: options.bulk,
    });
    for (let hops = 0; REDIRECTS.includes(res.status); hops++) {
      const location = firstHeader(res.headers, 'location');
      await discard(res.body);
      if (hops >= MAX_REDIRECTS || !location) {
        throw new RegistryError('REGISTRY', `${what}: ${location ? 'too many redirects' : 'redirect without a Location'}`, { method: 'GET', url: res.url.toString(), status: res.status });
      }
      const target = new URL(location, res.url);
      if (target.protocol !== 'https:' && target.protocol !== 'http:') {
        throw new RegistryError('UNSAFE_INPUT', `${what}: refusing a redirect to ${target.protocol} URL`, { method: 'GET', url: res.url.toString(), status: res.status });
      }
      // A registry reached over TLS must not send the blob (and a presigned
      // URL's signature) over plain HTTP, where anyone on the path reads it.
      // No opt-in: a registry that means it can be configured as plain HTTP.
      if (res.url.protocol === 'https:' && target.protocol === 'http:') {
        throw new RegistryError('UNSAFE_INPUT', `${what}: refusing a redirect from https to plain http (${redactUrl(target.origin + target.pathname)})`, { method: 'GET', url: res.url.toString(), status: res.status }, {
          hint: 'the registry or its storage redirects to http://; fix its storage URL (e.g. the S3 endpoint) to https',
        });
      }
      res = await this.s.request({ method: 'GET', url: target, headers, repository, scopes: pullScopes(repository), what, ok: [200, 206, ...REDIRECTS], signal: options.signal, bulk: options.bulk });
    }
    return { status: res.status, headers: res.headers, body: res.body, url: res.url.toString() };
  }

  /** `RegistryClient.getBlob`: the first GET is made here, so its errors reject this promise, not the stream. */
  async get(repository: string, desc: Pick<Descriptor, 'digest' | 'size'>, options: CallOptions = {}): Promise<Readable> {
    const d = parseDigest(desc.digest, 'blob digest');
    // A config or a small layer is as cheap over node:http; more is bulk (http.ts SendInit.bulk).
    const bulk = !(desc.size >= 0 && desc.size <= BULK_BYTES);
    const first = await this.open(repository, d, { ...options, bulk });
    return new ResumableBlobReader({
      open: (offset, signal) => this.open(repository, d, { offset, signal, bulk }),
      first,
      size: desc.size,
      what: `blob ${d} in ${this.s.name(repository)}`,
      maxResumes: this.tuning.maxResumes,
      baseDelayMs: this.tuning.retryBaseDelayMs,
      signal: options.signal,
      onEvent: this.ctx.onEvent,
    });
  }
}
