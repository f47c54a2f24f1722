/**
 * Byte verification. Sources are raw; the engine wraps every blob stream in
 * {@link verifyingStream} so that nothing is committed unless its size and
 * digest match the descriptor that named it.
 */
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { TugError } from '../errors/index.ts';
import { type Digest, digestAlgorithm, digestHex } from '../reference/digest.ts';

export function digestBytes(bytes: Uint8Array, algorithm: 'sha256' | 'sha512' = 'sha256'): Digest {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}` as Digest;
}

export function integrityError(what: string, problem: string): TugError {
  return new TugError('INTEGRITY', `${what}: ${problem}`, { hint: 'the data was corrupted in transit or at the source; nothing was written that points at it' });
}

/** Checks that in-memory bytes (a manifest, a config) have the expected digest and, if given, size. */
export function verifyBytes(bytes: Uint8Array, expected: Digest, what: string, expectedSize?: number): void {
  if (expectedSize !== undefined && bytes.byteLength !== expectedSize) {
    throw integrityError(what, `size ${bytes.byteLength} does not match the expected ${expectedSize}`);
  }
  const actual = digestBytes(bytes, digestAlgorithm(expected));
  if (actual !== expected) throw integrityError(what, `digest ${actual} does not match the expected ${expected}`);
}

/**
 * A pass-through stream that counts and hashes what flows through it and
 * fails (instead of ending) when the total size or digest is wrong. A
 * consumer that only commits on a clean `end` therefore never commits bad data.
 * Fails early, as soon as more bytes than `size` arrive.
 */
export class VerifyingStream extends Transform {
  readonly expectedDigest: Digest;
  readonly expectedSize: number | undefined;
  private readonly hash: Hash;
  private seen = 0;
  private readonly what: string;

  private readonly onBytes: ((total: number) => void) | undefined;

  /** `onBytes` is called with the running total after each chunk (progress reporting). */
  constructor(expected: { digest: Digest; size?: number | undefined }, what: string, onBytes?: (total: number) => void) {
    super();
    this.onBytes = onBytes;
    this.expectedDigest = expected.digest;
    this.expectedSize = expected.size !== undefined && expected.size >= 0 ? expected.size : undefined;
    this.hash = createHash(digestAlgorithm(expected.digest));
    this.what = what;
  }

  get bytesSeen(): number {
    return this.seen;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.seen += chunk.length;
    if (this.expectedSize !== undefined && this.seen > this.expectedSize) {
      cb(integrityError(this.what, `more than the expected ${this.expectedSize} bytes`));
      return;
    }
    this.hash.update(chunk);
    this.onBytes?.(this.seen);
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    if (this.expectedSize !== undefined && this.seen !== this.expectedSize) {
      cb(integrityError(this.what, `got ${this.seen} bytes, expected ${this.expectedSize}`));
      return;
    }
    const actual = this.hash.digest('hex');
    if (actual !== digestHex(this.expectedDigest)) {
      cb(integrityError(this.what, `digest ${digestAlgorithm(this.expectedDigest)}:${actual} does not match the expected ${this.expectedDigest}`));
      return;
    }
    cb();
  }
}

export function verifyingStream(expected: { digest: Digest; size?: number | undefined }, what: string, onBytes?: (total: number) => void): VerifyingStream {
  return new VerifyingStream(expected, what, onBytes);
}
