/**
 * The tar of a bundle being written: entries appended one at a time (the
 * tar is sequential) into parts (./parts.ts), each blob streamed from its
 * source straight into the parts through the engine's verifying stream, no
 * staging copy. A blob whose stream fails (wrong digest, lost connection) is
 * cut back out of the parts, so the engine's retry appends it cleanly.
 */
import type { Readable } from 'node:stream';
import { TugError } from '../errors/index.ts';
import type { Digest } from '../reference/digest.ts';
import { digestHex } from '../reference/digest.ts';
import type { ChainKnowledge } from './history.ts';
import { PartWriter } from './parts.ts';
import { TAR_END, padding, tarHeader } from './tar-format.ts';

const ZEROS = new Uint8Array(512);

/** One image as the bundle records it (bundle.json `images[]` before totals). */
export interface WrittenImage {
  repository: string;
  tag: string;
  digest: Digest;
  mediaType: string;
  topSize: number;
  manifests: Set<Digest>;
  blobs: Map<Digest, number>;
  manifestSizes: Map<Digest, number>;
  carriedBytes: number;
}

export class BundleWriter {
  readonly parts: PartWriter;
  readonly knowledge: ChainKnowledge;
  /** `--full`: carry everything, rely on nothing. */
  readonly full: boolean;
  readonly carriedBlobs = new Map<Digest, number>();
  readonly carriedManifests = new Map<Digest, number>();
  readonly #inflight = new Map<Digest, Promise<boolean>>();
  #queue: Promise<unknown> = Promise.resolve();
  #failed: unknown;

  constructor(parts: PartWriter, knowledge: ChainKnowledge, full: boolean) {
    this.parts = parts;
    this.knowledge = knowledge;
    this.full = full;
  }

  /** Runs `fn` after every earlier entry: the tar is written in order. */
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn);
    this.#queue = run.catch(() => {});
    return run;
  }

  async #entry(name: string, size: number, body: AsyncIterable<Uint8Array> | Uint8Array): Promise<void> {
    if (this.#failed) throw this.#failed;
    const mark = this.parts.mark();
    try {
      await this.parts.write(tarHeader(name, 'file', size));
      let n = 0;
      if (body instanceof Uint8Array) {
        await this.parts.write(body);
        n = body.length;
      } else {
        for await (const chunk of body) {
          n += chunk.length;
          if (n > size) throw new TugError('INTEGRITY', `${name}: more than ${size} bytes`);
          await this.parts.write(chunk);
        }
      }
      if (n !== size) throw new TugError('INTEGRITY', `${name}: ${n} bytes, expected ${size}`);
      await this.parts.write(ZEROS.subarray(0, padding(size)));
    } catch (err) {
      try {
        await this.parts.rollback(mark);
      } catch (rollbackErr) {
        // The parts cannot be trusted any more: every later write fails.
        this.#failed = rollbackErr;
      }
      throw err;
    }
  }

  /** The head of the layout: `oci-layout` and the blob directories. */
  async begin(): Promise<void> {
    await this.#serial(async () => {
      await this.#entry('oci-layout', 30, Buffer.from('{"imageLayoutVersion":"1.0.0"}'));
      for (const dir of ['blobs/', 'blobs/sha256/']) await this.parts.write(tarHeader(dir, 'directory'));
    });
  }

  /** Whether the chain before this bundle carried the blob (same size): then it is relied on, not carried. */
  reliedBlob(digest: Digest, size: number): boolean {
    return !this.full && this.knowledge.blobs.get(digest)?.size === size;
  }

  /** Whether the chain carried this manifest for the same destination repository (same size). */
  reliedManifest(digest: Digest, size: number, repository: string): boolean {
    const known = this.knowledge.manifests.get(digest);
    return !this.full && known?.size === size && known.repositories.has(repository);
  }

  /**
   * True when the blob is relied on or already in this bundle (waiting for
   * another image writing it now); false claims it: the caller writes it next.
   */
  async hasBlob(digest: Digest, size: number): Promise<boolean> {
    if (this.reliedBlob(digest, size) || this.carriedBlobs.has(digest)) return true;
    const pending = this.#inflight.get(digest);
    if (pending && (await pending)) return true;
    if (this.carriedBlobs.has(digest)) return true;
    return false;
  }

  /** Appends a blob from `stream` (the engine's verifying stream); a blob already written is not written twice. */
  async putBlob(digest: Digest, size: number, stream: Readable): Promise<boolean> {
    let settle!: (written: boolean) => void;
    const done = new Promise<boolean>((resolve) => {
      settle = resolve;
    });
    if (!this.#inflight.has(digest)) this.#inflight.set(digest, done);
    try {
      const wrote = await this.#serial(async () => {
        if (this.carriedBlobs.has(digest)) return false;
        await this.#entry(`blobs/sha256/${digestHex(digest)}`, size, stream);
        this.carriedBlobs.set(digest, size);
        return true;
      });
      settle(true);
      return wrote;
    } catch (err) {
      settle(false);
      throw err;
    } finally {
      if (this.#inflight.get(digest) === done) this.#inflight.delete(digest);
    }
  }

  /** Appends a manifest's bytes (verified by the engine) unless this bundle holds it already. */
  async putManifest(digest: Digest, bytes: Uint8Array): Promise<boolean> {
    return this.#serial(async () => {
      if (this.carriedManifests.has(digest) || this.carriedBlobs.has(digest)) return false;
      await this.#entry(`blobs/sha256/${digestHex(digest)}`, bytes.length, bytes);
      this.carriedManifests.set(digest, bytes.length);
      return true;
    });
  }

  /** The tail: index.json, then bundle.json, then the end-of-archive blocks. */
  async end(indexJson: Uint8Array, bundleJson: Uint8Array): Promise<void> {
    await this.#serial(async () => {
      await this.#entry('index.json', indexJson.length, indexJson);
      await this.#entry('bundle.json', bundleJson.length, bundleJson);
      await this.parts.write(TAR_END);
    });
  }
}
