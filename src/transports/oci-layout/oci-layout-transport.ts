/**
 * The `oci:PATH[:REF]` transport: an OCI image layout directory
 * (image-spec image-layout.md). Interoperates with skopeo / containers/image:
 * REF is stored as the `org.opencontainers.image.ref.name` annotation of the
 * index.json entry.
 */
import { resolve } from 'node:path';
import type { SystemContext } from '../../context/system-context.ts';
import { TugError } from '../../errors/index.ts';
import { joinTag } from '../../reference/reference.ts';
import { SOURCE_DIGEST_ANNOTATION } from '../../oci/convert.ts';
import type { Digest } from '../../reference/digest.ts';
import type { BlobOptions, Deleter, DigestResolver, ImageDestination, ImageSource, ResolvedDigest, SyncTarget, TagLister, Transport } from '../types.ts';
import { type LayoutImageReference, assertLayout, findImage, readLayoutIndex, refNames, REF_NAME_ANNOTATION, withIndexLock, writeLayoutIndex } from './layout-files.ts';

// containers/image oci/internal refRegexp, from the image-spec annotations.md
// grammar for org.opencontainers.image.ref.name.
const REF_COMPONENT = '[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*';
const REF_RE = new RegExp(`^${REF_COMPONENT}(?:/${REF_COMPONENT})*$`);

/** A parsed `PATH[:REF]`; PATH is absolute. */
export interface LayoutLocation {
  readonly path: string;
  readonly ref: string | undefined;
}

/**
 * Splits `PATH[:REF]` at the FIRST ':' as containers/image does on Linux
 * (so a PATH cannot contain ':', a REF can), resolves PATH to an absolute
 * path and validates REF against the ref.name grammar. Throws USAGE.
 */
export function parseLayoutLocation(text: string, transportName: string): LayoutLocation {
  const colon = text.indexOf(':');
  const rawPath = colon < 0 ? text : text.slice(0, colon);
  const ref = colon < 0 ? undefined : text.slice(colon + 1);
  if (rawPath.length === 0) throw new TugError('USAGE', `invalid ${transportName}: reference "${text}": the path is empty`, { hint: `use ${transportName}:PATH[:REF]` });
  if (ref !== undefined && !REF_RE.test(ref)) {
    throw new TugError('USAGE', `invalid ${transportName}: reference "${text}": image name "${ref}" is not a valid ref.name`, {
      hint: 'use letters, digits and - . _ : @ + separators, optionally in /-separated components',
    });
  }
  return { path: resolve(rawPath), ref };
}

/** `PATH` or `PATH:REF`, the normalised text after `transport:`. */
export function formatLayoutLocation(loc: LayoutLocation): string {
  return loc.ref === undefined ? loc.path : `${loc.path}:${loc.ref}`;
}

/**
 * Removes the entries named `ref` (or the only entry, without a ref) from the
 * index.json of the layout at `root`, rewriting it atomically. Blobs and
 * manifests stay on disk: other entries may share them and there is no
 * garbage collector yet.
 */
export async function deleteFromLayout(root: string, ref: string | undefined, where: string): Promise<void> {
  await assertLayout(root);
  await withIndexLock(root, async () => {
    const index = await readLayoutIndex(root);
    const target = findImage(index, ref, where);
    index.manifests = ref === undefined ? index.manifests.filter((d) => d !== target) : index.manifests.filter((d) => d.annotations?.[REF_NAME_ANNOTATION] !== ref);
    await writeLayoutIndex(root, index);
  });
}

/** The ref names of the layout at `root`, in index order. */
export async function listLayoutRefs(root: string): Promise<string[]> {
  await assertLayout(root);
  return refNames(await readLayoutIndex(root));
}

/**
 * What `oci:` and `oci-archive:` references share: an absolute PATH, an
 * optional REF, and the `transport:PATH[:REF]` form.
 */
export abstract class LayoutReference implements LayoutImageReference {
  /** Absolute path of the layout directory or archive file. */
  readonly path: string;
  /** The ref.name annotation selecting one image; undefined selects the only image. */
  readonly ref: string | undefined;

  constructor(location: LayoutLocation) {
    this.path = location.path;
    this.ref = location.ref;
  }

  abstract get transport(): Transport;
  abstract newSource(ctx: SystemContext): Promise<ImageSource>;
  abstract newDestination(ctx: SystemContext): Promise<ImageDestination>;

  get reference(): string {
    return formatLayoutLocation(this);
  }

  toString(): string {
    return `${this.transport.name}:${this.reference}`;
  }
}

/**
 * An `oci:PATH[:REF]` reference. Lists ref names ({@link TagLister}), removes
 * entries ({@link Deleter}) and names its digest from index.json alone
 * ({@link DigestResolver}).
 */
export class OciLayoutReference extends LayoutReference implements TagLister, Deleter, DigestResolver {
  get transport(): Transport {
    return ociLayoutTransport;
  }
  // Source and destination load when used (every command imports the transport table: issue 14's start-up).

  newSource(_ctx: SystemContext): Promise<ImageSource> {
    return import('./oci-layout-source.ts').then(({ OciLayoutSource }) => OciLayoutSource.open(this.path, this));
  }

  newDestination(_ctx: SystemContext): Promise<ImageDestination> {
    return import('./oci-layout-destination.ts').then(({ OciLayoutDestination }) => OciLayoutDestination.open(this.path, this));
  }

  /** Every ref.name in index.json (entries without a name are not listed). */
  listTags(_ctx: SystemContext, _options?: BlobOptions): Promise<string[]> {
    return listLayoutRefs(this.path);
  }

  /**
   * The index.json entry this reference names, with the source digest
   * recorded for a converted image (SOURCE_DIGEST_ANNOTATION); undefined when
   * the layout or the entry does not exist. Reads index.json only: the
   * manifest is verified when it is copied.
   */
  async resolveDigest(_ctx: SystemContext, _options?: BlobOptions): Promise<ResolvedDigest | undefined> {
    let entry;
    try {
      await assertLayout(this.path);
      entry = findImage(await readLayoutIndex(this.path), this.ref, `oci:${this.path}`);
    } catch (err) {
      if (err instanceof TugError && err.code === 'NOT_FOUND') return undefined;
      throw err;
    }
    const recorded = entry.annotations?.[SOURCE_DIGEST_ANNOTATION];
    return { digest: entry.digest, mediaType: entry.mediaType, convertedFrom: recorded !== undefined ? (recorded as Digest) : undefined };
  }

  /** Removes this reference's index.json entry; the blobs stay (see {@link deleteFromLayout}). */
  deleteImage(_ctx: SystemContext, _options?: BlobOptions): Promise<void> {
    return deleteFromLayout(this.path, this.ref, `oci:${this.path}`);
  }
}

/** `oci:PATH[:REF]`. As a sync destination, one layout holding every image, REF `REPO:TAG`. */
export const ociLayoutTransport = {
  name: 'oci',
  parse(reference: string): OciLayoutReference {
    return new OciLayoutReference(parseLayoutLocation(reference, 'oci'));
  },
  syncScope: 'store',
  syncReference: ({ location, repository, tag }): OciLayoutReference => ociLayoutTransport.parse(`${location}:${joinTag(repository, tag)}`),
} satisfies Transport & SyncTarget;
