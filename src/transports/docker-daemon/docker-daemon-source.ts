/**
 * Reads an image out of a Docker daemon: the `docker save` stream is written
 * to a private temp file (never held in memory; capped by the free disk as
 * an archive's extraction is), read with the docker-archive source, and
 * removed once its image is extracted. containers/image's daemon source
 * spools to a temp file for the same reason: a tar's members come in an
 * order the copy engine does not choose.
 */
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { SystemContext } from '../../context/system-context.ts';
import { TugError, cancelledError } from '../../errors/index.ts';
import { ioError } from '../../fs/io.ts';
import { makeScratchDir } from '../../fs/scratch.ts';
import type { Descriptor } from '../../oci/manifest.ts';
import type { Digest } from '../../reference/digest.ts';
import { DigestingStream } from '../archive/digesting-stream.ts';
import { diskBudget } from '../archive/extract-budget.ts';
import { DockerArchiveSource } from '../docker-archive/docker-archive-source.ts';
import type { BlobOptions, ImageSource, RawManifest } from '../types.ts';
import type { DockerDaemonReference } from './docker-daemon-transport.ts';
import { EngineClient } from './engine-client.ts';

/** An {@link ImageSource} over one image of a Docker daemon. Create with {@link DockerDaemonSource.open}; `close` removes the extracted files. */
export class DockerDaemonSource implements ImageSource {
  readonly reference: DockerDaemonReference;
  private readonly archive: DockerArchiveSource;
  private readonly work: string;

  private constructor(reference: DockerDaemonReference, archive: DockerArchiveSource, work: string) {
    this.reference = reference;
    this.archive = archive;
    this.work = work;
  }

  /**
   * Asks the daemon for the image (NOT_FOUND when it has none by that name
   * or ID), spools the tar under `ctx.tmpDir ?? os.tmpdir()` and extracts
   * the image from it; the tar itself is removed before this resolves.
   */
  static async open(reference: DockerDaemonReference, ctx: SystemContext, options: BlobOptions = {}): Promise<DockerDaemonSource> {
    const client = new EngineClient(ctx);
    const scratch = ctx.tmpDir ?? tmpdir();
    const { dir: work } = await makeScratchDir(scratch, 'docker-daemon');
    try {
      const tar = join(work, 'image.tar');
      const budget = await diskBudget(`Docker daemon image ${reference.reference}`, `from ${client.endpoint.display}`, scratch);
      const body = await client.saveImage(reference.reference, { signal: options.signal });
      try {
        await pipeline(body, new DigestingStream(budget), createWriteStream(tar, { flags: 'wx', mode: 0o600 }), options.signal ? { signal: options.signal } : {});
      } catch (err) {
        if (err instanceof TugError) throw err;
        if (options.signal?.aborted) throw cancelledError(`reading ${reference.toString()}`, err);
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE') {
          throw new TugError('TRANSIENT', `the Docker daemon at ${client.endpoint.display} stopped sending ${reference.reference} midway`, { cause: err, hint: 'is the daemon still running? try again' });
        }
        throw ioError('spooling the docker save stream to', tar, err);
      }
      const archive = await DockerArchiveSource.openFile(reference, { path: tar, label: `${reference.toString()} (docker save)`, selector: {} }, ctx);
      await rm(tar, { force: true });
      return new DockerDaemonSource(reference, archive, work);
    } catch (err) {
      await rm(work, { recursive: true, force: true });
      throw err;
    }
  }

  /** The schema2 manifest synthesised over the saved image (see docker-archive-source.ts). */
  getManifest(digest?: Digest, options?: BlobOptions): Promise<RawManifest> {
    return this.archive.getManifest(digest, options);
  }

  getBlob(desc: Descriptor, options?: BlobOptions): Promise<Readable> {
    return this.archive.getBlob(desc, options);
  }

  /** Removes the extracted files. Safe to call twice. */
  async close(): Promise<void> {
    await this.archive.close();
    await rm(this.work, { recursive: true, force: true });
  }
}
