/**
 * What every destination that produces a `docker save` tar shares
 * (docker-archive: writes it to a file, docker-daemon: streams it to
 * `docker load`): blobs are staged in a private temp directory, layers
 * decompressed on the way in and checked against the config's diff_ids, and
 * the image's members are added to a tar in the layout skopeo 1.9 writes
 * (`HEX.json` config, uncompressed `DIFFID.tar` layers).
 */
import { createReadStream } from 'node:fs';
import { readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Readable, pipeline as pipelineCb } from 'node:stream';
import type { SystemContext } from '../../context/system-context.ts';
import { TugError, cancelledError, isAbortError, tooLargeError } from '../../errors/index.ts';
import { writeStreamAtomic } from '../../fs/atomic.ts';
import { ioError } from '../../fs/io.ts';
import { makeScratchDir } from '../../fs/scratch.ts';
import type { Descriptor } from '../../oci/manifest.ts';
import { parseManifest } from '../../oci/manifest.ts';
import { integrityError } from '../../oci/verify.ts';
import { type Digest, digestHex, parseDigest } from '../../reference/digest.ts';
import { type Reference, parseReference } from '../../reference/reference.ts';
import { DigestingStream } from '../archive/digesting-stream.ts';
import type { AddEntry } from '../archive/tar-writer.ts';
import type { BlobOptions, ImageDestination, ImageReference, PutManifestOptions } from '../types.ts';
import { type ArchiveImage, type ArchiveRepositories, diffIdsOf, formatRepoTag } from './archive-manifest.ts';
import { decompressor, layerCompression } from './layer-compression.ts';

const MAX_CONFIG_BYTES = 16 * 1024 * 1024;
const noop = (): void => {};

interface StagedBlob {
  file: string;
  /** sha256 of the stored (for layers: decompressed) bytes. */
  storedDigest: Digest;
  size: number;
  isLayer: boolean;
}

/** The image recorded by `putManifest`, ready to be packed. */
export interface StagedImage {
  configFile: string;
  configDigest: Digest;
  /** Staged layer files in manifest order, with their uncompressed digests (= diff_ids). */
  layers: { file: string; diffId: Digest }[];
}

/**
 * An {@link ImageDestination} that stages one image (`supportsIndex` is
 * false: the engine picks one platform) for a subclass's `commit` to pack.
 * Call order as in types.ts; `close` removes the staging directory.
 */
export abstract class StagingArchiveDestination implements ImageDestination {
  abstract readonly reference: ImageReference;
  readonly supportsIndex = false;
  protected readonly work: string;
  private readonly blobs = new Map<Digest, StagedBlob>();
  private pending: StagedImage | undefined;

  protected constructor(work: string) {
    this.work = work;
  }

  /** A new staging directory of `kind` under `ctx.tmpDir ?? os.tmpdir()`. */
  protected static async stagingDir(ctx: SystemContext, kind: string): Promise<string> {
    return (await makeScratchDir(ctx.tmpDir ?? tmpdir(), kind)).dir;
  }

  /** True only for blobs already staged by this destination: what a docker archive or daemon stores is decompressed and cannot be matched by a compressed digest. */
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
   * platform); instance manifests (`instance: true`) are ignored, since a
   * docker archive stores no manifests of its own.
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
    const out: StagedImage['layers'] = layers.map((l, i) => {
      const b = staged(l, 'layer');
      if (!b.isLayer) throw new TugError('UNSUPPORTED', `layer ${l.digest} has media type ${l.mediaType}, which a docker archive cannot store`);
      if (b.storedDigest !== diffIds[i]) {
        throw integrityError(`layer ${l.digest}`, `uncompressed sha256 ${b.storedDigest} does not match the config's diff_id ${diffIds[i]}`);
      }
      return { file: b.file, diffId: b.storedDigest };
    });
    this.pending = { configFile: configBlob.file, configDigest: parseDigest(config.digest), layers: out };
  }

  /** The image `putManifest` recorded; INTERNAL before that. */
  protected stagedImage(): StagedImage {
    if (!this.pending) throw new TugError('INTERNAL', `${this.reference.toString()}: commit called before the image manifest was written`);
    return this.pending;
  }

  abstract commit(): Promise<void>;

  /** Removes the staging directory. */
  async close(): Promise<void> {
    await rm(this.work, { recursive: true, force: true });
  }
}

/** The manifest.json entry of `image` tagged with `refs` (untagged when empty), with its member names. */
export function archiveEntry(image: StagedImage, refs: readonly Reference[]): ArchiveImage {
  return {
    Config: `${digestHex(image.configDigest)}.json`,
    RepoTags: [...new Set(refs.map(formatRepoTag))],
    Layers: image.layers.map((l) => `${digestHex(l.diffId)}.tar`),
  };
}

/**
 * Adds an entry per ref to the legacy `repositories` map (in place). Its
 * value is the top layer's v1 ID in docker's archives; nothing modern reads
 * it (manifest.json wins), so the layer's name stands in, as before.
 */
export function addRepositoriesEntry(repositories: ArchiveRepositories, entry: ArchiveImage, refs: readonly Reference[]): void {
  const top = entry.Layers.at(-1);
  if (!top) return;
  for (const ref of refs) {
    const repoTag = formatRepoTag(ref);
    const repo = repoTag.slice(0, repoTag.lastIndexOf(':'));
    repositories[repo] = { ...repositories[repo], [ref.tag ?? 'latest']: top.slice(0, -'.tar'.length) };
  }
}

/**
 * The names a destination tags its image with: its own (when it has one)
 * and `ctx.additionalTags` (skopeo's `--additional-tag`), each NAME:TAG,
 * normalised as docker does. USAGE for a name with a digest or no tag.
 */
export function archiveTags(own: Reference | undefined, additional: readonly string[] | undefined): Reference[] {
  const refs = own ? [own] : [];
  for (const name of additional ?? []) {
    let ref: Reference;
    try {
      ref = parseReference(name);
    } catch (err) {
      throw new TugError('USAGE', `invalid --additional-tag "${name}": ${err instanceof Error ? err.message : String(err)}`, { hint: 'give NAME:TAG, e.g. registry.example.com/app:1.0' });
    }
    if (ref.digest !== undefined || ref.tag === undefined) throw new TugError('USAGE', `invalid --additional-tag "${name}": it needs a tag and no digest`, { hint: 'give NAME:TAG, e.g. registry.example.com/app:1.0' });
    refs.push(ref);
  }
  return refs;
}

/**
 * Adds the config and layer files of `image` under `entry`'s member names,
 * each once (recorded in `written`, which the caller may pre-fill).
 */
export async function addImageFiles(add: AddEntry, image: StagedImage, entry: ArchiveImage, written: Set<string>): Promise<void> {
  const addFile = async (name: string, file: string): Promise<void> => {
    if (written.has(name)) return;
    written.add(name);
    const { size } = await stat(file);
    await add({ name, type: 'file', size }, createReadStream(file));
  };
  await addFile(entry.Config, image.configFile);
  for (const [i, l] of image.layers.entries()) await addFile(entry.Layers[i]!, l.file);
}

/** A JSON document as a tar member body. */
export function jsonBytes(doc: unknown): Uint8Array {
  return Buffer.from(JSON.stringify(doc));
}
