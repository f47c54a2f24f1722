/**
 * Writes one image into a `docker save` archive that `docker load` and
 * skopeo read: `manifest.json`, the config as `HEX.json` (HEX = the image
 * ID), each layer as an uncompressed `DIFFID.tar` (the layout skopeo 1.9
 * writes), and the legacy `repositories` file. Blobs are staged in a private
 * temp directory (archive-staging.ts, shared with docker-daemon:); `commit` packs the archive next to PATH and renames it
 * into place, so PATH is always either the old archive or the new one.
 */
import { stat } from 'node:fs/promises';
import type { SystemContext } from '../../context/system-context.ts';
import { TugError } from '../../errors/index.ts';
import { ioError, pathExists } from '../../fs/io.ts';
import type { Reference } from '../../reference/reference.ts';
import { type ArchiveIndex, drain, forEachArchiveMember, resolveMember, scanArchive } from '../archive/safe-tar-reader.ts';
import { writeTarAtomic } from '../archive/tar-writer.ts';
import {
  type ArchiveImage,
  type ArchiveRepositories,
  DOCKER_SAVE_TAR,
  parseArchiveManifest,
  parseRepositories,
  untagImages,
  untagRepositories,
} from './archive-manifest.ts';
import { StagingArchiveDestination, addImageFiles, addRepositoriesEntry, archiveEntry, archiveTags, jsonBytes } from './archive-staging.ts';
import type { DockerArchiveReference } from './docker-archive-transport.ts';

const EPOCH = new Date(0);

/**
 * An {@link ImageDestination} that stores a single image (`supportsIndex` is
 * false: the engine picks one platform). Call order as in types.ts; nothing
 * at PATH changes before `commit`.
 *
 * If PATH already is a docker archive, its other images are kept; an image
 * that carried the same RepoTag loses it (and is dropped if it had no other
 * tag), as a re-tag followed by `docker save` would behave.
 */
export class DockerArchiveDestination extends StagingArchiveDestination {
  readonly reference: DockerArchiveReference;
  private committed = false;

  /** The names the image is tagged with: the reference's own and `ctx.additionalTags`. */
  private readonly tags: readonly Reference[];

  private constructor(reference: DockerArchiveReference, tags: readonly Reference[], work: string) {
    super(work);
    this.reference = reference;
    this.tags = tags;
  }

  /** Checks `ctx.additionalTags` (USAGE), then creates the staging directory under `ctx.tmpDir ?? os.tmpdir()`; `close` removes it. */
  static async create(reference: DockerArchiveReference, ctx: SystemContext): Promise<DockerArchiveDestination> {
    const tags = archiveTags(reference.ref, ctx.additionalTags);
    return new DockerArchiveDestination(reference, tags, await StagingArchiveDestination.stagingDir(ctx, 'docker-archive-dest'));
  }

  /**
   * Packs the archive at a temp path next to PATH and renames it into
   * place. Members of an existing archive at PATH are streamed across
   * unchanged except manifest.json, repositories, and the files only a
   * dropped (fully re-tagged) image used. Idempotent.
   */
  async commit(): Promise<void> {
    if (this.committed) return;
    const image = this.stagedImage();
    const path = this.reference.absolutePath;
    const existing = await readExisting(path);
    // Every name the new image takes is moved off any image that had it; an image left with none is dropped.
    let kept = existing?.images ?? [];
    const dropped: ArchiveImage[] = [];
    let repositories: ArchiveRepositories = existing?.repositories ?? {};
    for (const ref of this.tags) {
      const untagged = untagImages(kept, ref);
      kept = untagged.kept;
      dropped.push(...untagged.dropped);
      repositories = untagRepositories(repositories, ref);
    }
    const newEntry = archiveEntry(image, this.tags);
    addRepositoriesEntry(repositories, newEntry, this.tags);

    const written = new Set<string>(['manifest.json', 'repositories']);
    const skip = existing ? filesOnlyUsedBy(existing.index, dropped, kept) : new Set<string>();

    try {
      await writeTarAtomic(path, async (add) => {
        await addImageFiles(add, image, newEntry, written);
        if (existing) {
          await forEachArchiveMember(existing.index, async (m, body) => {
            if (written.has(m.name) || skip.has(m.name)) return drain(body);
            written.add(m.name);
            const linkname = m.type === 'symlink' ? m.linkname : m.type === 'link' ? m.target : undefined;
            await add({ name: m.name, type: m.type, size: m.size, mode: m.mode, mtime: m.mtime ?? EPOCH, ...(linkname !== undefined ? { linkname } : {}) }, body);
          });
        }
        const manifestJson = jsonBytes([...kept, newEntry]);
        const repositoriesJson = jsonBytes(repositories);
        await add({ name: 'manifest.json', type: 'file', size: manifestJson.byteLength }, manifestJson);
        await add({ name: 'repositories', type: 'file', size: repositoriesJson.byteLength }, repositoriesJson);
      });
    } catch (err) {
      throw ioError('writing docker archive', path, err);
    }
    this.committed = true;
  }
}

interface ExistingArchive {
  index: ArchiveIndex;
  images: ArchiveImage[];
  repositories: ArchiveRepositories;
}

/** Reads the archive already at `path`, if any. A file that is not a docker archive is refused rather than overwritten. */
async function readExisting(path: string): Promise<ExistingArchive | undefined> {
  if (!(await pathExists(path))) return undefined;
  const st = await stat(path).catch((err: unknown) => {
    throw ioError('reading', path, err);
  });
  if (!st.isFile()) throw new TugError('USAGE', `${path} exists and is not a file`, { hint: 'choose another archive path' });
  if (st.size === 0) return undefined;
  const index = await scanArchive(path, { ...DOCKER_SAVE_TAR, keep: ['manifest.json', 'repositories'] });
  const manifest = index.kept.get('manifest.json');
  if (!manifest) {
    throw new TugError('USAGE', `${path} exists and is not a docker archive (no manifest.json)`, { hint: 'remove it or choose another path; tug will not overwrite it' });
  }
  return { index, images: parseArchiveManifest(manifest, path), repositories: parseRepositories(index.kept.get('repositories')) };
}

/**
 * Member names (and links to them) used by `dropped` images and by no
 * `kept` one: these are left out of the rewritten archive.
 */
function filesOnlyUsedBy(index: ArchiveIndex, dropped: readonly ArchiveImage[], kept: readonly ArchiveImage[]): Set<string> {
  const filesOf = (images: readonly ArchiveImage[]): Set<string> => {
    const out = new Set<string>();
    for (const img of images) {
      for (const name of [img.Config, ...img.Layers]) {
        try {
          out.add(resolveMember(index, name, 'member').name);
        } catch {
          /* a broken entry of an old image: nothing to keep or drop */
        }
      }
    }
    return out;
  };
  const keep = filesOf(kept);
  const skip = new Set([...filesOf(dropped)].filter((n) => !keep.has(n)));
  // Links that lead to a skipped file (skopeo's legacy ID/layer.tar) would dangle: skip them too.
  for (const m of index.members.values()) {
    if (m.type !== 'symlink' && m.type !== 'link') continue;
    try {
      if (skip.has(resolveMember(index, m.name, 'member').name)) skip.add(m.name);
    } catch {
      /* dangling already: keep as is */
    }
  }
  return skip;
}
