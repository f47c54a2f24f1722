/**
 * `docker-archive:PATH[:REF|:@N]`: the tarball `docker save` writes and
 * `docker load` / skopeo read. One archive can hold several images; REF (a
 * tagged image reference) or `@N` (a position in manifest.json) picks one.
 *
 * What survives a round trip: the config blob, so the image ID (the config
 * digest) is preserved; layers are stored uncompressed, so the manifest and
 * layer digests of the original are NOT preserved (a source presents a fresh
 * Docker schema2 manifest over uncompressed layers).
 */
import { resolve } from 'node:path';
import type { SystemContext } from '../../context/system-context.ts';
import { TugError } from '../../errors/index.ts';
import { type Reference, parseReference } from '../../reference/reference.ts';
import { scanArchive } from '../archive/safe-tar-reader.ts';
import type { BlobOptions, ImageDestination, ImageReference, ImageSource, TagLister, Transport } from '../types.ts';
import { DOCKER_SAVE_TAR, parseArchiveManifest } from './archive-manifest.ts';

const MAX_INDEX = 1_000_000;

function usage(input: string, problem: string, hint?: string): TugError {
  return new TugError('USAGE', `invalid docker-archive reference "${input}": ${problem}`, hint ? { hint } : {});
}

/**
 * A parsed `docker-archive:` name. Also a {@link TagLister}: `listTags`
 * returns the archive's RepoTags, each usable as `docker-archive:PATH:<it>`.
 */
export class DockerArchiveReference implements ImageReference, TagLister {
  readonly transport: Transport = dockerArchiveTransport;
  /** The archive path as given (relative paths resolve against the working directory when used). */
  readonly path: string;
  /** The tagged image named after PATH, if any. */
  readonly ref: Reference | undefined;
  /** The `@N` position named after PATH, if any. */
  readonly index: number | undefined;

  constructor(path: string, selector: { ref?: Reference | undefined; index?: number | undefined } = {}) {
    if (selector.ref && selector.index !== undefined) throw new TugError('INTERNAL', 'docker-archive reference: both a tag and @N given');
    this.path = path;
    this.ref = selector.ref;
    this.index = selector.index;
  }

  get reference(): string {
    // Shown as typed (the familiar form); what is written into the archive is formatRepoTag's.
    if (this.ref) return `${this.path}:${this.ref.tagged().familiar()}`;
    if (this.index !== undefined) return `${this.path}:@${this.index}`;
    return this.path;
  }

  /** Absolute path of the archive. */
  get absolutePath(): string {
    return resolve(this.path);
  }

  toString(): string {
    return `docker-archive:${this.reference}`;
  }

  /** Opens the archive and extracts the chosen image to a temp dir under `ctx.tmpDir` (removed by `close`). */
  // Source and destination load when used (every command imports the transport table: issue 14's start-up).
  newSource(ctx: SystemContext): Promise<ImageSource> {
    return import('./docker-archive-source.ts').then(({ DockerArchiveSource }) => DockerArchiveSource.open(this, ctx));
  }

  /** A destination that writes (or adds to) the archive at PATH on `commit`. `@N` is refused: it names no tag to write. */
  newDestination(ctx: SystemContext): Promise<ImageDestination> {
    if (this.index !== undefined) {
      return Promise.reject(usage(this.reference, '@N selects an image to read; it cannot name one to write', 'use PATH or PATH:REPO:TAG as the destination'));
    }
    return import('./docker-archive-destination.ts').then(({ DockerArchiveDestination }) => DockerArchiveDestination.create(this, ctx));
  }

  /** The RepoTags of every image in the archive, in archive order (untagged images contribute nothing). */
  async listTags(_ctx: SystemContext, _options?: BlobOptions): Promise<string[]> {
    const index = await scanArchive(this.absolutePath, { ...DOCKER_SAVE_TAR, keep: ['manifest.json'] });
    const bytes = index.kept.get('manifest.json');
    if (!bytes) throw new TugError('NOT_FOUND', `${this.path} is not a docker archive: it has no manifest.json`, { hint: 'create it with docker save, skopeo or tug' });
    return parseArchiveManifest(bytes, this.path).flatMap((img) => img.RepoTags);
  }
}

/** The `docker-archive` transport. `parse` takes the text after `docker-archive:`. */
export const dockerArchiveTransport: Transport = {
  name: 'docker-archive',
  parse(input: string): DockerArchiveReference {
    const colon = input.indexOf(':');
    const path = colon < 0 ? input : input.slice(0, colon);
    const rest = colon < 0 ? undefined : input.slice(colon + 1);
    if (path === '') throw usage(input, 'missing the archive path', 'write docker-archive:PATH[:REPO:TAG|:@N]');
    if (rest === undefined || rest === '') return new DockerArchiveReference(path);
    if (rest.startsWith('@')) {
      const n = rest.slice(1);
      if (!/^\d{1,7}$/.test(n) || Number(n) > MAX_INDEX) throw usage(input, `"${rest}" is not @N with N a position in the archive`);
      return new DockerArchiveReference(path, { index: Number(n) });
    }
    let ref: Reference;
    try {
      ref = parseReference(rest, { defaultTag: false });
    } catch (err) {
      throw usage(input, (err as Error).message);
    }
    if (ref.digest) throw usage(input, `"${rest}" has a digest; a docker archive names images by tag`, 'use REPO:TAG or @N');
    if (!ref.tag) throw usage(input, `"${rest}" has no tag`, `write ${rest}:latest`);
    return new DockerArchiveReference(path, { ref });
  },
};
