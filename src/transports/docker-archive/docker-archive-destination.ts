/**
 * Writes one image into a `docker save` archive that `docker load` and
 * skopeo read: `manifest.json`, the config as `HEX.json` (HEX = the image
 * ID), each layer as an uncompressed `DIFFID.tar` (the layout skopeo 1.9
 * writes), and the legacy `repositories` file. Blobs are staged in a private
 * temp directory; `commit` packs the archive next to PATH and renames it
 * into place, so PATH is always either the old archive or the new one.
 */
import { createReadStream } from 'node:fs';
import { readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Readable, pipeline as pipelineCb } from 'node:stream';
import type { SystemContext } from '../../context/system-context.ts';
import { TugError, cancelledError, isAbortError, tooLargeError } from '../../errors/index.ts';
import { writeStreamAtomic } from '../../fs/atomic.ts';
import { makeScratchDir } from '../../fs/scratch.ts';
import { ioError, pathExists } from '../../fs/io.ts';
import type { Descriptor } from '../../oci/manifest.ts';
import { parseManifest } from '../../oci/manifest.ts';
import { integrityError } from '../../oci/verify.ts';
import { type Digest, digestHex, parseDigest } from '../../reference/digest.ts';
import { DigestingStream } from '../archive/digesting-stream.ts';
import { type ArchiveIndex, drain, forEachArchiveMember, resolveMember, scanArchive } from '../archive/safe-tar-reader.ts';
import { writeTarAtomic } from '../archive/tar-writer.ts';
import type { BlobOptions, ImageDestination, PutManifestOptions } from '../types.ts';
import {
  type ArchiveImage,
  type ArchiveRepositories,
  DOCKER_SAVE_TAR,
  diffIdsOf,
  formatRepoTag,
  parseArchiveManifest,
  parseRepositories,
  untagImages,
  untagRepositories,
} from './archive-manifest.ts';
import type { DockerArchiveReference } from './docker-archive-transport.ts';
import { decompressor, layerCompression } from './layer-compression.ts';

const MAX_CONFIG_BYTES = 16 * 1024 * 1024;
const EPOCH = new Date(0);
const noop = (): void => {};

interface StagedBlob {
  file: string;
  /** sha256 of the stored (for layers: decompressed) bytes. */
  storedDigest: Digest;
  size: number;
  isLayer: boolean;
}

interface PendingImage {
  configFile: string;
  configDigest: Digest;
  /** Staged layer files in manifest order, with their uncompressed digests (= diff_ids). */
  layers: { file: string; diffId: Digest }[];
}

/**
 * An {@link ImageDestination} that stores a single image (`supportsIndex` is
 * false: the engine picks one platform). Call order as in types.ts; nothing
 * at PATH changes before `commit`.
 *
 * If PATH already is a docker archive, its other images are kept; an image
 * that carried the same RepoTag loses it (and is dropped if it had no other
 * tag), as a re-tag followed by `docker save` would behave.
 */
export class DockerArchiveDestination implements ImageDestination {
  readonly reference: DockerArchiveReference;
  readonly supportsIndex = false;
  private readonly work: string;
  private readonly blobs = new Map<Digest, StagedBlob>();
  private pending: PendingImage | undefined;
  private committed = false;

  private constructor(reference: DockerArchiveReference, work: string) {
    this.reference = reference;
    this.work = work;
  }

  /** Creates the staging directory under `ctx.tmpDir ?? os.tmpdir()`; `close` removes it. */
  static async create(reference: DockerArchiveReference, ctx: SystemContext): Promise<DockerArchiveDestination> {
    const { dir: work } = await makeScratchDir(ctx.tmpDir ?? tmpdir(), 'docker-archive-dest');
    return new DockerArchiveDestination(reference, work);
  }

  /** True only for blobs already staged by this destination: layers in an existing archive are stored decompressed and cannot be matched by their compressed digest. */
  async hasBlob(desc: Descriptor, _options?: BlobOptions): Promise<boolean> {
    return this.blobs.has(desc.digest);
  }

  /**
   * Stages a blob. Layers (by media type) are decompressed while written,
   * and their uncompressed sha256 is recorded for the diff_ids check in
   * {@link putManifest}; other blobs are stored as received. The staged file
   * appears only if `stream` ends cleanly.
   */
  async putBlob(desc: Descriptor, stream: Readable, options: BlobOptions = {}): Promise<void> {
    const digest = parseDigest(desc.digest, 'blob digest');
    const compression = layerCompression(desc.mediaType);
    const file = join(this.work, `${digest.replace(':', '-')}`);
    const digesting = new DigestingStream();
    const inflate = compression ? decompressor(compression, `layer ${digest}`) : undefined;
    try {
      // The callback form returns the tail and destroys every stage on any error, so a
      // verifier failing upstream fails the write instead of ending it.
      const tail = inflate ? pipelineCb(stream, inflate, digesting, noop) : pipelineCb(stream, digesting, noop);
      await writeStreamAtomic(file, tail, options);
    } catch (err) {
      if (err instanceof TugError) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      if (typeof code === 'string' && code.startsWith('Z_')) {
        throw new TugError('INTEGRITY', `decompressing layer ${digest}: ${(err as Error).message}`, { cause: err, hint: 'the layer is not the compression its media type says' });
      }
      if (isAbortError(err)) throw cancelledError(`writing ${digest} to ${this.reference.toString()}`, err);
      throw ioError('staging blob for', this.reference.toString(), err);
    }
    this.blobs.set(digest, { file, storedDigest: digesting.digest, size: digesting.size, isLayer: compression !== undefined });
  }

  /**
   * Records the top-level image manifest: every layer's uncompressed digest
   * must equal the config's `rootfs.diff_ids` entry at its position
   * (INTEGRITY otherwise). An index is UNSUPPORTED (the engine must pick a
   * platform); instance manifests (`instance: true`) are ignored, since an
   * archive stores no manifests of its own.
   */
  async putManifest(manifest: { bytes: Uint8Array; mediaType: string; digest: Digest }, options: PutManifestOptions): Promise<void> {
    if (options.instance) return;
    const parsed = parseManifest(manifest.bytes, manifest.mediaType, `manifest ${manifest.digest}`);
    if (parsed.kind !== 'image') {
      throw new TugError('UNSUPPORTED', `${this.reference.toString()}: a docker archive holds one image, not ${parsed.kind === 'index' ? 'an index' : 'a schema1 manifest'}`, {
        hint: 'choose a platform (--override-arch / --platform) when copying a multi-arch image',
      });
    }
    const { config, layers } = parsed.manifest;
    const staged = (d: Descriptor, what: string): StagedBlob => {
      const b = this.blobs.get(d.digest);
      if (!b) throw new TugError('INTERNAL', `${this.reference.toString()}: ${what} ${d.digest} was not written before its manifest`);
      return b;
    };
    const configBlob = staged(config, 'config');
    if (configBlob.size > MAX_CONFIG_BYTES) throw tooLargeError(`config ${config.digest}`, configBlob.size, MAX_CONFIG_BYTES);
    const diffIds = diffIdsOf(await readFile(configBlob.file), `config ${config.digest}`);
    if (diffIds.length !== layers.length) {
      throw integrityError(`manifest ${manifest.digest}`, `has ${layers.length} layers but its config lists ${diffIds.length} diff_ids`);
    }
    const out: PendingImage['layers'] = layers.map((l, i) => {
      const b = staged(l, 'layer');
      if (!b.isLayer) throw new TugError('UNSUPPORTED', `layer ${l.digest} has media type ${l.mediaType}, which a docker archive cannot store`);
      if (b.storedDigest !== diffIds[i]) {
        throw integrityError(`layer ${l.digest}`, `uncompressed sha256 ${b.storedDigest} does not match the config's diff_id ${diffIds[i]}`);
      }
      return { file: b.file, diffId: b.storedDigest };
    });
    this.pending = { configFile: configBlob.file, configDigest: parseDigest(config.digest), layers: out };
  }

  /**
   * Packs the archive at a temp path next to PATH and renames it into
   * place. Members of an existing archive at PATH are streamed across
   * unchanged except manifest.json, repositories, and the files only a
   * dropped (fully re-tagged) image used. Idempotent.
   */
  async commit(): Promise<void> {
    if (this.committed) return;
    const image = this.pending;
    if (!image) throw new TugError('INTERNAL', `${this.reference.toString()}: commit called before the image manifest was written`);
    const path = this.reference.absolutePath;
    const existing = await readExisting(path);
    const ref = this.reference.ref;
    const { kept, dropped } = untagImages(existing?.images ?? [], ref);

    const configName = `${digestHex(image.configDigest)}.json`;
    const layerNames = image.layers.map((l) => `${digestHex(l.diffId)}.tar`);
    const newEntry: ArchiveImage = { Config: configName, RepoTags: ref ? [formatRepoTag(ref)] : [], Layers: layerNames };
    const repositories: ArchiveRepositories = untagRepositories(existing?.repositories ?? {}, ref);
    const top = layerNames.at(-1);
    if (ref && top) {
      const repo = formatRepoTag(ref).slice(0, formatRepoTag(ref).lastIndexOf(':'));
      // Legacy value: docker wrote the top layer's v1 ID; nothing modern reads it (manifest.json wins).
      repositories[repo] = { ...repositories[repo], [ref.tag ?? 'latest']: top.slice(0, -'.tar'.length) };
    }

    const written = new Set<string>(['manifest.json', 'repositories']);
    const skip = existing ? filesOnlyUsedBy(existing.index, dropped, kept) : new Set<string>();

    try {
      await writeTarAtomic(path, async (add) => {
        const addFile = async (name: string, file: string): Promise<void> => {
          if (written.has(name)) return;
          written.add(name);
          const { size } = await stat(file);
          await add({ name, type: 'file', size }, createReadStream(file));
        };
        await addFile(configName, image.configFile);
        for (const [i, l] of image.layers.entries()) await addFile(layerNames[i]!, l.file);
        if (existing) {
          await forEachArchiveMember(existing.index, async (m, body) => {
            if (written.has(m.name) || skip.has(m.name)) return drain(body);
            written.add(m.name);
            const linkname = m.type === 'symlink' ? m.linkname : m.type === 'link' ? m.target : undefined;
            await add({ name: m.name, type: m.type, size: m.size, mode: m.mode, mtime: m.mtime ?? EPOCH, ...(linkname !== undefined ? { linkname } : {}) }, body);
          });
        }
        const json = (doc: unknown) => Buffer.from(JSON.stringify(doc));
        await add({ name: 'manifest.json', type: 'file', size: json([...kept, newEntry]).byteLength }, json([...kept, newEntry]));
        await add({ name: 'repositories', type: 'file', size: json(repositories).byteLength }, json(repositories));
      });
    } catch (err) {
      throw ioError('writing docker archive', path, err);
    }
    this.committed = true;
  }

  /** Removes the staging directory. Without `commit`, PATH is untouched. */
  async close(): Promise<void> {
    await rm(this.work, { recursive: true, force: true });
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
