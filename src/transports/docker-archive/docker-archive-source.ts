/**
 * Reads one image out of a `docker save` archive. The chosen image's config
 * and layers are extracted (safely, see archive/safe-tar-reader.ts) to a
 * private temp directory, and the source presents them as a Docker schema2 image:
 * config `application/vnd.docker.container.image.v1+json`, layers
 * `application/vnd.docker.image.rootfs.diff.tar` whose digests are the
 * sha256 of the uncompressed layer tars, i.e. the config's diff_ids.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { SystemContext } from '../../context/system-context.ts';
import { TugError, tooLargeError } from '../../errors/index.ts';
import { ioError } from '../../fs/io.ts';
import { makeScratchDir } from '../../fs/scratch.ts';
import type { Descriptor } from '../../oci/manifest.ts';
import { encodeManifest } from '../../oci/manifest.ts';
import { MediaType } from '../../oci/media-types.ts';
import { digestBytes, integrityError } from '../../oci/verify.ts';
import type { Digest } from '../../reference/digest.ts';
import { DigestingStream } from '../archive/digesting-stream.ts';
import { diskBudget, isGzipFile } from '../archive/extract-budget.ts';
import { type ArchiveBudget, extractMembers, resolveMember, scanArchive } from '../archive/safe-tar-reader.ts';
import type { BlobOptions, ImageReference, ImageSource, RawManifest } from '../types.ts';
import { DOCKER_SAVE_TAR, type ImageSelector, diffIdsOf, parseArchiveManifest, selectImage } from './archive-manifest.ts';
import type { DockerArchiveReference } from './docker-archive-transport.ts';
import { decompressor, sniffFileCompression } from './layer-compression.ts';

/** Configs larger than this are refused before being read into memory. */
const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

/** A `docker save` tar on disk and the image to read from it. */
export interface ArchiveFile {
  /** Absolute path of the tar. */
  path: string;
  /** Names the archive in messages (the path as typed, or where the tar came from). */
  label: string;
  selector: ImageSelector;
}

/**
 * An {@link ImageSource} over one image of a docker archive. Create with
 * {@link DockerArchiveSource.open} (or {@link DockerArchiveSource.openFile}
 * for a tar another transport fetched); `close` removes the extracted files.
 */
export class DockerArchiveSource implements ImageSource {
  readonly reference: ImageReference;
  private readonly work: string;
  private readonly manifest: Uint8Array;
  private readonly manifestDigest: Digest;
  private readonly files: Map<Digest, string>;

  private constructor(reference: ImageReference, work: string, manifest: Uint8Array, files: Map<Digest, string>) {
    this.reference = reference;
    this.work = work;
    this.manifest = manifest;
    this.manifestDigest = digestBytes(manifest);
    this.files = files;
  }

  /**
   * Scans the archive, picks the image the reference names (see
   * `selectImage`), and extracts its config and layers to a new directory
   * under `ctx.tmpDir ?? os.tmpdir()`. Compressed layer members are
   * decompressed. Each uncompressed layer must hash to the config's diff_id
   * at its position (INTEGRITY otherwise), as `docker load` demands.
   */
  static open(reference: DockerArchiveReference, ctx: SystemContext): Promise<DockerArchiveSource> {
    return DockerArchiveSource.openFile(reference, { path: reference.absolutePath, label: reference.path, selector: { ref: reference.ref, index: reference.index } }, ctx);
  }

  /**
   * As {@link open}, for the tar `archive` names, presented as `reference`
   * (docker-daemon: reads `docker save` output this way). The tar is only
   * read: once this resolves, the caller may remove it.
   */
  static async openFile(reference: ImageReference, archive: ArchiveFile, ctx: SystemContext): Promise<DockerArchiveSource> {
    const { path, label } = archive;
    const scratch = ctx.tmpDir ?? tmpdir();
    // Only a gzip-compressed archive can inflate past its own size while it is scanned.
    const scanBudget = (await isGzipFile(path).catch(() => false)) ? await diskBudget('docker archive', label, scratch) : undefined;
    const index = await scanArchive(path, { ...DOCKER_SAVE_TAR, keep: ['manifest.json'], budget: scanBudget });
    const manifestJson = index.kept.get('manifest.json');
    if (!manifestJson) {
      throw new TugError('UNSUPPORTED', `${label} has no manifest.json`, { hint: 'only archives from docker save 1.10+ (or skopeo, tug) are supported' });
    }
    const { image } = selectImage(parseArchiveManifest(manifestJson, label), archive.selector, label);
    const configMember = resolveMember(index, image.Config, 'config');
    if (configMember.size > MAX_CONFIG_BYTES) throw tooLargeError(`${label}: config "${image.Config}"`, configMember.size, MAX_CONFIG_BYTES);
    const layerMembers = image.Layers.map((l) => resolveMember(index, l, 'layer'));

    const { dir: work } = await makeScratchDir(scratch, 'docker-archive');
    try {
      // docker save's manifest.json declares no sizes: what is extracted and inflated is capped by the free disk only.
      const budget = await diskBudget('docker archive', label, scratch);
      let used = 0;
      const remaining = () => ({ bytes: budget.bytes - used, refuse: (n: number) => budget.refuse(used + n) });
      // File names are ours (m0, m1...), never taken from the archive.
      const wanted = new Map<string, string>();
      for (const m of [configMember, ...layerMembers]) if (!wanted.has(m.name)) wanted.set(m.name, join(work, `m${wanted.size}`));
      const extracted = await extractMembers(index, wanted, remaining());
      for (const e of extracted.values()) used += e.size;

      const configFile = wanted.get(configMember.name)!;
      const configBytes = await readFile(configFile);
      const configDigest = digestBytes(configBytes);
      const diffIds = diffIdsOf(configBytes, `${label} config`);
      if (diffIds.length !== layerMembers.length) {
        throw integrityError(label, `the config lists ${diffIds.length} diff_ids but manifest.json lists ${layerMembers.length} layers`);
      }

      const files = new Map<Digest, string>([[configDigest, configFile]]);
      const layers: Descriptor[] = [];
      const uncompressed = new Map<string, { digest: Digest; size: number; file: string }>();
      for (const [i, member] of layerMembers.entries()) {
        let layer = uncompressed.get(member.name);
        if (!layer) {
          const file = wanted.get(member.name)!;
          const stored = extracted.get(member.name)!;
          layer = { ...stored, file };
          const compression = await sniffFileCompression(file);
          if (compression !== 'none') {
            layer = await decompressFile(file, join(work, `u${uncompressed.size}`), decompressor(compression, `layer "${member.name}"`)!, remaining());
            used += layer.size - stored.size; // the compressed copy is removed
          }
          uncompressed.set(member.name, layer);
        }
        if (layer.digest !== diffIds[i]) {
          throw integrityError(`${label} layer "${image.Layers[i]}"`, `sha256 ${layer.digest} does not match the config's diff_id ${diffIds[i]}`);
        }
        files.set(layer.digest, layer.file);
        layers.push({ mediaType: MediaType.DockerLayer, digest: layer.digest, size: layer.size });
      }
      const manifest = encodeManifest({
        schemaVersion: 2,
        mediaType: MediaType.DockerManifest,
        config: { mediaType: MediaType.DockerConfig, digest: configDigest, size: configBytes.byteLength },
        layers,
      });
      return new DockerArchiveSource(reference, work, manifest, files);
    } catch (err) {
      await rm(work, { recursive: true, force: true });
      throw err;
    }
  }

  /** The synthesised schema2 manifest; there is no index, so any other digest is NOT_FOUND. */
  async getManifest(digest?: Digest, _options?: BlobOptions): Promise<RawManifest> {
    if (digest !== undefined && digest !== this.manifestDigest) {
      throw new TugError('NOT_FOUND', `${this.reference.toString()}: no manifest ${digest}; a docker archive image has a single manifest`);
    }
    return { bytes: this.manifest, mediaType: MediaType.DockerManifest, claimedDigest: this.manifestDigest };
  }

  /** A stream of the extracted config or uncompressed layer named by `desc.digest`. */
  async getBlob(desc: Descriptor, options?: BlobOptions): Promise<Readable> {
    const file = this.files.get(desc.digest);
    if (!file) throw new TugError('NOT_FOUND', `${this.reference.toString()}: no blob ${desc.digest} in this image`);
    return createReadStream(file, options?.signal ? { signal: options.signal } : {});
  }

  /** Removes the extracted files. Safe to call twice. */
  async close(): Promise<void> {
    await rm(this.work, { recursive: true, force: true });
  }
}

async function decompressFile(from: string, to: string, inflate: NodeJS.ReadWriteStream, budget: ArchiveBudget): Promise<{ digest: Digest; size: number; file: string }> {
  const digesting = new DigestingStream(budget);
  try {
    await pipeline(createReadStream(from), inflate, digesting, createWriteStream(to, { flags: 'wx', mode: 0o600 }));
  } catch (err) {
    if (err instanceof TugError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && code.startsWith('Z_')) throw new TugError('INTEGRITY', `decompressing a layer of the archive failed: ${(err as Error).message}`, { cause: err });
    throw ioError('decompressing a layer to', to, err);
  }
  await rm(from, { force: true });
  return { digest: digesting.digest, size: digesting.size, file: to };
}
