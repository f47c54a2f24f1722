/**
 * Writing blobs, `/v2/<name>/blobs/uploads/` (distribution spec "Pushing
 * blobs"): monolithic and chunked uploads, cross-repository mounts, and the
 * probe that asks "have you got it?" and opens the upload in one POST.
 *
 * An upload URL (Location) is requested by absolute URL, so session.ts sends
 * the Authorization header with it only when it is on the registry's origin.
 */
import { Readable } from 'node:stream';
import { RegistryError } from '../errors/index.ts';
import type { Descriptor } from '../oci/manifest.ts';
import { type Digest, parseDigest } from '../reference/digest.ts';
import { repositoryScope } from './auth.ts';
import { firstHeader } from './errors.ts';
import { discard } from './http.ts';
import { type CallOptions, type Session, pushScopes } from './session.ts';

/** Options of {@link Uploads.upload} (`RegistryClient.upload`). */
export interface UploadOptions extends CallOptions {
  /** Upload in PATCH chunks of this many bytes (then PUT); default: one monolithic PUT streaming the body. */
  chunkSize?: number | undefined;
  /** An upload session {@link Uploads.probe} (`RegistryClient.probeBlob`) opened: used instead of a new POST. */
  session?: URL | undefined;
}

/**
 * A PUT into a session opened earlier that the registry no longer knows
 * (404: it expired while the blob waited for a transfer slot) is worth a
 * retry with a new session, unlike a 404 to a fresh one.
 */
function sessionExpired(err: unknown, what: string): unknown {
  if (!(err instanceof RegistryError) || err.status !== 404) return err;
  return new RegistryError('TRANSIENT', `${what}: the registry no longer knows the upload session opened for it`, { method: err.method, url: err.url, status: 404, temporary: true }, { cause: err, hint: 'run it again: each attempt opens a new session' });
}

/** The upload endpoints of one session; remembers whether the registry honours mounts. */
export class Uploads {
  private readonly s: Session;
  private mountsHonoured = false;

  constructor(session: Session) {
    this.s = session;
  }

  /** POSTs a new upload session; returns its Location. */
  private async start(repository: string, query: string, scopes: readonly string[], what: string, signal: AbortSignal | undefined): Promise<{ status: number; location: URL | undefined }> {
    const res = await this.s.request({
      method: 'POST',
      path: `/v2/${repository}/blobs/uploads/${query}`,
      headers: { 'content-length': '0' },
      repository,
      scopes,
      what,
      write: true,
      ok: [201, 202],
      signal,
    });
    await discard(res.body);
    const location = firstHeader(res.headers, 'location');
    if (res.status === 202 && !location) {
      throw new RegistryError('REGISTRY', `${what}: the registry started an upload without a Location`, { method: 'POST', url: res.url.toString(), status: 202 });
    }
    return { status: res.status, location: location ? new URL(location, res.url) : undefined };
  }

  /** Best-effort DELETE of an upload session, so a failed upload leaves nothing behind. */
  async cancel(repository: string, location: URL): Promise<void> {
    try {
      const res = await this.s.request({
        method: 'DELETE',
        url: location,
        repository,
        scopes: pushScopes(repository),
        what: `cancelling an upload to ${this.s.name(repository)}`,
        write: true,
        ok: [200, 202, 204, 404],
      });
      await discard(res.body);
    } catch {
      /* the session expires on its own; the original error matters more */
    }
  }

  /**
   * `RegistryClient.upload`. On any failure the session is cancelled; the
   * stream's own error wins, else a 404 to a session opened earlier becomes
   * TRANSIENT ({@link sessionExpired}).
   */
  async upload(repository: string, desc: Pick<Descriptor, 'digest' | 'size'>, stream: Readable, options: UploadOptions = {}): Promise<void> {
    const d = parseDigest(desc.digest, 'blob digest');
    const what = `uploading blob ${d} to ${this.s.name(repository)}`;
    let streamError: unknown;
    const onStreamError = (err: unknown) => {
      streamError ??= err;
    };
    stream.on('error', onStreamError);
    let location = options.session;
    try {
      location ??= (await this.start(repository, '', pushScopes(repository), what, options.signal)).location;
      if (!location) throw new RegistryError('REGISTRY', `${what}: no upload location`, { method: 'POST', url: '' });
      // Chunked: PATCH the data, then a closing PUT with no body. Monolithic: the PUT carries it all.
      const chunked = Boolean(options.chunkSize && options.chunkSize > 0);
      if (chunked) location = await this.patchChunks(repository, location, stream, options.chunkSize!, what, options.signal);
      const url = new URL(location);
      url.searchParams.set('digest', d);
      const res = await this.s.request({
        method: 'PUT',
        url,
        headers: chunked ? { 'content-length': '0' } : { 'content-type': 'application/octet-stream', 'content-length': String(desc.size) },
        ...(chunked ? {} : { body: stream }),
        repository,
        scopes: pushScopes(repository),
        what,
        write: true,
        ok: [201, 204],
        signal: options.signal,
      });
      await discard(res.body);
    } catch (err) {
      if (!stream.destroyed) stream.destroy();
      if (location) await this.cancel(repository, location);
      throw streamError ?? (options.session ? sessionExpired(err, what) : err);
    } finally {
      stream.off('error', onStreamError);
    }
    if (streamError) throw streamError;
  }

  private async patchChunks(repository: string, start: URL, stream: Readable, chunkSize: number, what: string, signal: AbortSignal | undefined): Promise<URL> {
    let location = start;
    let offset = 0;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const flush = async (final: boolean) => {
      while (pendingBytes >= chunkSize || (final && pendingBytes > 0)) {
        const all = Buffer.concat(pending);
        const chunk = all.subarray(0, Math.min(chunkSize, all.length));
        const rest = all.subarray(chunk.length);
        pending = rest.length ? [rest] : [];
        pendingBytes = rest.length;
        const res = await this.s.request({
          method: 'PATCH',
          url: location,
          headers: {
            'content-type': 'application/octet-stream',
            'content-length': String(chunk.length),
            // distribution's form (no "bytes " prefix), which the OCI spec adopted for chunked uploads
            'content-range': `${offset}-${offset + chunk.length - 1}`,
          },
          // A one-shot stream: a failed PATCH is not retried on its own, since the
          // session's offset is then unknown; the whole upload is retried instead.
          body: Readable.from([chunk]),
          repository,
          scopes: pushScopes(repository),
          what,
          write: true,
          ok: [202, 204],
          signal,
        });
        await discard(res.body);
        offset += chunk.length;
        const next = firstHeader(res.headers, 'location');
        if (next) location = new URL(next, res.url);
      }
    };
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      pending.push(chunk);
      pendingBytes += chunk.length;
      if (pendingBytes >= chunkSize) await flush(false);
    }
    await flush(true);
    return location;
  }

  /** `RegistryClient.mountBlob`: true on 201; the session a 202 opened instead is cancelled. */
  async mount(repository: string, digest: string, fromRepository: string, options: CallOptions = {}): Promise<boolean> {
    const d = parseDigest(digest, 'blob digest');
    const what = `mounting blob ${d} from ${this.s.name(fromRepository)} into ${this.s.name(repository)}`;
    const { status, location } = await this.startMount(repository, d, fromRepository, what, options.signal);
    if (status === 201) {
      this.mountsHonoured = true;
      return true;
    }
    if (location) await this.cancel(repository, location);
    return false;
  }

  /** POST ?mount=D&from=R: 201 when the registry linked the blob, else (202) the upload session it opened instead. */
  private startMount(repository: string, digest: Digest, fromRepository: string, what: string, signal: AbortSignal | undefined) {
    const query = `?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(fromRepository)}`;
    const scopes = fromRepository === repository ? pushScopes(repository) : [...pushScopes(repository), repositoryScope(fromRepository, ['pull'])];
    return this.start(repository, query, scopes, what, signal);
  }

  /** True once this registry has answered a mount with 201: it links blobs it holds into other repositories on request. */
  get honoursMounts(): boolean {
    return this.mountsHonoured;
  }

  /**
   * `RegistryClient.probeBlob`: a mount from the repository into itself, so
   * 201 means "already there" (undefined) and 202 hands back the session.
   * Meaningful only when {@link honoursMounts}: a registry that ignores
   * mounts opens a session even for a blob it has.
   */
  async probe(repository: string, digest: string, options: CallOptions = {}): Promise<URL | undefined> {
    const d = parseDigest(digest, 'blob digest');
    const { status, location } = await this.startMount(repository, d, repository, `blob ${d} in ${this.s.name(repository)}`, options.signal);
    return status === 201 ? undefined : location;
  }
}
