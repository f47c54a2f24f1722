/**
 * Writes an image into a Docker daemon with `docker load`: the image is
 * staged as for docker-archive: (archive-staging.ts), and `commit` streams
 * the `docker save` tar of it straight into `POST /images/load`, packing it
 * as the daemon reads (no second copy on disk).
 *
 * All or nothing: the daemon unpacks the whole tar before it tags anything,
 * so a load cut short (a failed stream, a killed daemon, an abort) leaves no
 * new tag; layers it had already registered stay as unreferenced data, as
 * after a failed `docker load`.
 */
import type { SystemContext } from '../../context/system-context.ts';
import type { Reference } from '../../reference/reference.ts';
import type { ArchiveRepositories } from '../docker-archive/archive-manifest.ts';
import { tarReadable } from '../archive/tar-writer.ts';
import { StagingArchiveDestination, addImageFiles, addRepositoriesEntry, archiveEntry, archiveTags, jsonBytes } from '../docker-archive/archive-staging.ts';
import type { DockerDaemonReference } from './docker-daemon-transport.ts';
import { EngineClient } from './engine-client.ts';

/**
 * An {@link ImageDestination} for one tagged image in a daemon
 * (`supportsIndex` false: the engine picks one platform). Nothing reaches
 * the daemon before `commit`; `close` removes the staged blobs.
 */
export class DockerDaemonDestination extends StagingArchiveDestination {
  readonly reference: DockerDaemonReference;
  private readonly client: EngineClient;
  private committed = false;

  /** The names the image is loaded with: the reference's own and `ctx.additionalTags`. */
  private readonly tags: readonly Reference[];

  private constructor(reference: DockerDaemonReference, client: EngineClient, tags: readonly Reference[], work: string) {
    super(work);
    this.reference = reference;
    this.client = client;
    this.tags = tags;
  }

  /** Checks the daemon address and `ctx.additionalTags` (USAGE for bad ones) and creates the staging directory under `ctx.tmpDir ?? os.tmpdir()`. */
  static async create(reference: DockerDaemonReference, ctx: SystemContext): Promise<DockerDaemonDestination> {
    const client = new EngineClient(ctx);
    const tags = archiveTags(reference.ref, ctx.additionalTags);
    return new DockerDaemonDestination(reference, client, tags, await StagingArchiveDestination.stagingDir(ctx, 'docker-daemon-dest'));
  }

  /** Streams the image's tar into `docker load`, tagged with the reference's NAME:TAG. Idempotent. */
  async commit(): Promise<void> {
    if (this.committed) return;
    const image = this.stagedImage();
    const entry = archiveEntry(image, this.tags);
    const repositories: ArchiveRepositories = {};
    addRepositoriesEntry(repositories, entry, this.tags);
    const { stream, filled } = tarReadable(async (add) => {
      await addImageFiles(add, image, entry, new Set());
      // manifest.json last: a tar cut before it has nothing a daemon could tag.
      for (const [name, doc] of [['repositories', repositories], ['manifest.json', [entry]]] as const) {
        const bytes = jsonBytes(doc);
        await add({ name, type: 'file', size: bytes.byteLength }, bytes);
      }
    });
    try {
      await this.client.loadImage(stream);
    } finally {
      stream.destroy();
    }
    await filled;
    this.committed = true;
  }
}
