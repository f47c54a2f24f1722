/**
 * A pass-through that measures what flows through it. The archive
 * transports need the sha256 and size of bytes they produce themselves
 * (decompressed layers, extracted archive members), where there is no
 * expected digest to verify against yet.
 */
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import type { Digest } from '../../reference/digest.ts';

/** Counts and sha256-hashes the bytes passing through; read {@link digest} and {@link size} after it ended. */
export class DigestingStream extends Transform {
  private readonly hash: Hash = createHash('sha256');
  private bytes = 0;
  private result: Digest | undefined;
  private readonly limit: { bytes: number; refuse: (total: number) => Error } | undefined;

  /** With `limit`, the stream fails with `limit.refuse(total)` as soon as more than `limit.bytes` passed (a decompression bomb). */
  constructor(limit?: { bytes: number; refuse: (total: number) => Error }) {
    super();
    this.limit = limit;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.limit && this.bytes > this.limit.bytes) {
      cb(this.limit.refuse(this.bytes));
      return;
    }
    this.hash.update(chunk);
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    this.result = `sha256:${this.hash.digest('hex')}` as Digest;
    cb();
  }

  /** The sha256 of everything that passed; throws if the stream has not ended. */
  get digest(): Digest {
    if (this.result === undefined) throw new Error('DigestingStream: digest read before the stream ended');
    return this.result;
  }

  get size(): number {
    return this.bytes;
  }
}
