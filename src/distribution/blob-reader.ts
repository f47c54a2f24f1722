/**
 * A Readable over a blob GET that survives dropped connections. When the body
 * ends early or errors, it asks again with `Range: bytes=N-` and splices the
 * continuation only when the answer is `206` with exactly
 * `Content-Range: bytes N-(size-1)/size`. A `200` answer (the server ignored
 * the Range) restarts from byte 0 and skips the N bytes already delivered.
 * Any other 206 is refused with TRANSIENT: splicing a different range would
 * produce a blob that only fails verification much later.
 *
 * The reader does not verify the digest; the copy engine does.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TransportEvent } from '../context/system-context.ts';
import { RegistryError, TugError, cancelledError } from '../errors/index.ts';
import { firstHeader } from './errors.ts';

/** One (re)connection: the answer to a GET of the blob, from `offset` when it is > 0. */
export interface BlobResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Readable;
  /** The URL that answered (after redirects), for messages. */
  url: string;
}

export type BlobOpener = (offset: number, signal: AbortSignal | undefined) => Promise<BlobResponse>;

export interface ResumableBlobOptions {
  open: BlobOpener;
  /** The descriptor's size: the reader knows it is done only when it has delivered this many bytes. */
  size: number;
  /** `blob sha256:... in host/repo`, for messages and events. */
  what: string;
  /** The answer to the first GET, when the caller already made it (so 404 / 401 surface before a stream exists). */
  first?: BlobResponse | undefined;
  /** Reconnections allowed over the stream's life (default 5). */
  maxResumes?: number | undefined;
  /** Wait before reconnect k is up to `baseDelayMs * 2^(k-1)` (default 200 ms, full jitter). */
  baseDelayMs?: number | undefined;
  signal?: AbortSignal | undefined;
  onEvent?: ((e: TransportEvent) => void) | undefined;
}

const header = firstHeader;

/** See the module comment. Emits `{type:'resume', offset}` before each reconnection. */
export class ResumableBlobReader extends Readable {
  private readonly options: ResumableBlobOptions;
  /** Bytes delivered downstream. */
  private offset = 0;
  /** Bytes still to discard from the current body (after a 200 answer to a Range request). */
  private skip = 0;
  private body: Readable | undefined;
  private opening = false;
  private resumes = 0;
  private readonly detachers: (() => void)[] = [];

  constructor(options: ResumableBlobOptions) {
    // One socket read's worth: a sync runs eight of these at once, and more buffered here only sits (was 256 KB).
    super({ highWaterMark: 64 * 1024 });
    this.options = options;
    if (options.first) this.attach(options.first);
    options.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /** Bytes delivered so far. */
  get bytesDelivered(): number {
    return this.offset;
  }

  /** Reconnections so far. */
  get resumeCount(): number {
    return this.resumes;
  }

  private readonly onAbort = (): void => {
    this.destroy(cancelledError(this.options.what, this.options.signal?.reason));
  };

  override _read(): void {
    if (this.body) this.body.resume();
    else if (!this.opening) void this.reconnect(false);
  }

  private attach(res: BlobResponse): void {
    const body = res.body;
    this.body = body;
    const onData = (chunk: Buffer) => {
      let c = chunk;
      if (this.skip > 0) {
        if (c.length <= this.skip) {
          this.skip -= c.length;
          return;
        }
        c = c.subarray(this.skip);
        this.skip = 0;
      }
      this.offset += c.length;
      if (!this.push(c)) body.pause();
    };
    const onEnd = () => {
      this.detach();
      if (this.offset >= this.options.size) this.push(null);
      else this.dropped(new Error(`connection ended after ${this.offset} of ${this.options.size} bytes`));
    };
    const onError = (err: Error) => {
      this.detach();
      this.dropped(err);
    };
    body.on('data', onData);
    body.once('end', onEnd);
    body.once('error', onError);
    this.detachers.push(() => {
      body.off('data', onData);
      body.off('end', onEnd);
      body.off('error', onError);
    });
  }

  private detach(): void {
    for (const d of this.detachers.splice(0)) d();
    const body = this.body;
    this.body = undefined;
    if (body && !body.destroyed) {
      body.on('error', () => {}); // a late error on a body we gave up on must not crash the process
      body.destroy();
    }
  }

  private dropped(err: Error): void {
    if (this.destroyed) return;
    if (this.options.signal?.aborted) return this.onAbort();
    void this.reconnect(true, err);
  }

  private fail(err: unknown): void {
    if (this.destroyed) return;
    this.destroy(err instanceof Error ? err : new Error(String(err)));
  }

  private async reconnect(isResume: boolean, cause?: Error): Promise<void> {
    this.opening = true;
    try {
      for (;;) {
        if (isResume) {
          if (this.resumes >= (this.options.maxResumes ?? 5)) {
            throw new RegistryError(
              'TRANSIENT',
              `${this.options.what}: the connection dropped ${this.resumes + 1} times (last at byte ${this.offset} of ${this.options.size}: ${cause?.message ?? 'unknown'})`,
              { method: 'GET', url: '', temporary: true },
              { cause, hint: 'the network or the registry is unstable; try again' },
            );
          }
          this.resumes++;
          this.options.onEvent?.({ type: 'resume', what: this.options.what, offset: this.offset });
          const ceiling = (this.options.baseDelayMs ?? 200) * 2 ** (this.resumes - 1);
          await sleep(Math.round(Math.random() * ceiling), undefined, this.options.signal ? { signal: this.options.signal } : {});
        }
        if (this.destroyed) return;
        let res: BlobResponse;
        try {
          res = await this.options.open(this.offset, this.options.signal);
        } catch (err) {
          // A temporary failure to reconnect counts as another drop; anything else is final.
          const temporary = err instanceof RegistryError ? err.temporary || err.code === 'TRANSIENT' : err instanceof TugError ? err.code === 'TRANSIENT' : true;
          if (!temporary) throw err;
          cause = err as Error;
          isResume = true;
          continue;
        }
        if (this.destroyed) {
          res.body.on('error', () => {});
          res.body.destroy();
          return;
        }
        this.accept(res);
        this.attach(res);
        this.body?.resume();
        return;
      }
    } catch (err) {
      this.fail(err);
    } finally {
      this.opening = false;
    }
  }

  /** Decides how to continue from an answer to a (possibly ranged) GET; throws when it cannot be spliced. */
  private accept(res: BlobResponse): void {
    const { size, what } = this.options;
    if (this.offset === 0) {
      if (res.status !== 200) {
        res.body.on('error', () => {});
        res.body.destroy();
        throw new RegistryError('REGISTRY', `${what}: unexpected HTTP ${res.status} to a blob GET`, { method: 'GET', url: res.url, status: res.status });
      }
      return;
    }
    if (res.status === 200) {
      // The server ignored the Range: the body starts at byte 0 again.
      this.skip = this.offset;
      return;
    }
    const expected = `bytes ${this.offset}-${size - 1}/${size}`;
    const got = header(res.headers, 'content-range');
    if (res.status !== 206 || got?.trim() !== expected) {
      res.body.on('error', () => {});
        res.body.destroy();
      throw new RegistryError(
        'TRANSIENT',
        `${what}: cannot resume at byte ${this.offset}: the registry answered HTTP ${res.status} with Content-Range ${JSON.stringify(got ?? null)}, expected ${JSON.stringify(expected)}; not splicing`,
        { method: 'GET', url: res.url, status: res.status, temporary: true },
      );
    }
  }

  override _destroy(err: Error | null, cb: (error?: Error | null) => void): void {
    this.options.signal?.removeEventListener('abort', this.onAbort);
    this.detach();
    cb(err);
  }
}
