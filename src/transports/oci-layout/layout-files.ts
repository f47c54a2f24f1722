/**
 * The files of an OCI image layout (image-spec image-layout.md): the
 * `oci-layout` marker, `index.json`, and `blobs/ALGO/HEX`. Shared by the
 * oci: source and destination and, through them, by oci-archive:.
 *
 * Every path built from a digest goes through parseDigest + safeJoin, and
 * index.json goes through parseManifest (4 MiB limit, every descriptor digest
 * validated) before any of its entries is used.
 */
import { readdir } from 'node:fs/promises';
import { TugError } from '../../errors/index.ts';
import { MAX_MANIFEST_BYTES, parseManifest, type Descriptor, type ImageIndex } from '../../oci/manifest.ts';
import { MediaType, isManifestType } from '../../oci/media-types.ts';
import { digestAlgorithm, digestHex, parseDigest } from '../../reference/digest.ts';
import type { ImageReference } from '../types.ts';
import { ioError, pathExists } from '../../fs/io.ts';
import { readFileWithin, safeJoin, statWithin } from '../../fs/within.ts';
import { writeFileAtomic } from '../../fs/atomic.ts';

/** The annotation that names an image in index.json (what `oci:PATH:REF` selects). */
export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';
export const OCI_LAYOUT_FILE = 'oci-layout';
export const INDEX_FILE = 'index.json';
/** The only layout version the image spec defines. */
export const IMAGE_LAYOUT_VERSION = '1.0.0';

/** An `oci:` or `oci-archive:` reference: where the layout (or archive) is, and which ref.name selects the image. */
export interface LayoutImageReference extends ImageReference {
  /** Absolute path of the layout directory or archive file. */
  readonly path: string;
  readonly ref: string | undefined;
}

/** index.json as stored: unknown top-level fields are kept when we rewrite it. */
export type LayoutIndex = ImageIndex & Record<string, unknown>;

/** `blobs/ALGO/HEX` under `root`; throws UNSAFE_INPUT for anything that is not a canonical digest. */
export function blobPath(root: string, digest: string): string {
  const d = parseDigest(digest, `blob digest in ${root}`);
  return safeJoin(root, 'blobs', digestAlgorithm(d), digestHex(d));
}

/**
 * Checks that `root` is an existing OCI image layout: NOT_FOUND when the
 * path is missing, USAGE when it is not a directory or has no `oci-layout`
 * file, UNSUPPORTED for a layout version other than 1.x.
 */
export async function assertLayout(root: string): Promise<void> {
  const st = await statWithin(root, root);
  if (!st) throw new TugError('NOT_FOUND', `OCI layout ${root} does not exist`, { hint: 'check the path (oci:PATH[:REF])' });
  if (!st.isDirectory()) throw new TugError('USAGE', `${root} is not a directory, so it cannot be an OCI layout`, { hint: 'for a tar file use oci-archive:PATH' });
  if (!(await pathExists(safeJoin(root, OCI_LAYOUT_FILE)))) {
    // An empty directory holds no image yet (a sync's destination before its first write).
    if ((await readdir(root)).length === 0) throw new TugError('NOT_FOUND', `OCI layout ${root} is empty`, { hint: 'copy an image into it first' });
    throw new TugError('USAGE', `${root} is not an OCI image layout: it has no ${OCI_LAYOUT_FILE} file`, { hint: 'point oci: at a directory written by skopeo/tug/crane, or use dir: for a skopeo dir: layout' });
  }
  const bytes = await readFileWithin(root, safeJoin(root, OCI_LAYOUT_FILE), 64 * 1024, `${OCI_LAYOUT_FILE} file`);
  let version: unknown;
  try {
    version = (JSON.parse(new TextDecoder().decode(bytes)) as { imageLayoutVersion?: unknown }).imageLayoutVersion;
  } catch (err) {
    throw new TugError('USAGE', `${root}/${OCI_LAYOUT_FILE} is not valid JSON`, { cause: err, hint: `it should be {"imageLayoutVersion":"${IMAGE_LAYOUT_VERSION}"}` });
  }
  if (typeof version !== 'string' || !/^1\.\d+\.\d+$/.test(version)) {
    throw new TugError('UNSUPPORTED', `${root}: unsupported imageLayoutVersion ${JSON.stringify(version)}`, { hint: `only ${IMAGE_LAYOUT_VERSION} is defined by the OCI image spec` });
  }
}

/**
 * Reads and validates index.json. With `allowMissing`, a layout without one
 * reads as empty (a destination may be creating it).
 */
export async function readLayoutIndex(root: string, options: { allowMissing?: boolean } = {}): Promise<LayoutIndex> {
  const path = safeJoin(root, INDEX_FILE);
  if (options.allowMissing && !(await statWithin(root, path))) return emptyIndex();
  const bytes = await readFileWithin(root, path, MAX_MANIFEST_BYTES, `${INDEX_FILE} of OCI layout ${root}`);
  const parsed = parseManifest(bytes, undefined, `${root}/${INDEX_FILE}`);
  if (parsed.kind !== 'index') throw new TugError('UNSAFE_INPUT', `${root}/${INDEX_FILE} is not an image index`, { hint: 'the layout is damaged; re-create it' });
  return parsed.manifest as LayoutIndex;
}

export function emptyIndex(): LayoutIndex {
  return { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [] };
}

/** Writes index.json atomically: readers see the old index or the new one, never half. */
export async function writeLayoutIndex(root: string, index: LayoutIndex): Promise<void> {
  const path = safeJoin(root, INDEX_FILE);
  try {
    await writeFileAtomic(path, JSON.stringify(index));
  } catch (err) {
    throw ioError('writing', path, err);
  }
}

/** The `org.opencontainers.image.ref.name` of each entry that has one, in index order, without repeats. */
export function refNames(index: ImageIndex): string[] {
  const names = index.manifests.map((d) => d.annotations?.[REF_NAME_ANNOTATION]).filter((n): n is string => typeof n === 'string');
  return [...new Set(names)];
}

/**
 * Picks the index.json entry `ref` names, as containers/image does: the
 * first entry whose ref.name annotation equals `ref`; without a ref, the only
 * entry, or USAGE listing the names to choose from.
 */
export function findImage(index: ImageIndex, ref: string | undefined, where: string): Descriptor {
  const names = refNames(index);
  const available = names.length > 0 ? `available: ${names.join(', ')}` : 'the index has no named images';
  let found: Descriptor | undefined;
  if (ref === undefined) {
    if (index.manifests.length === 0) throw new TugError('NOT_FOUND', `${where} holds no images`, { hint: 'copy an image into it first' });
    if (index.manifests.length > 1) {
      throw new TugError('USAGE', `${where} holds ${index.manifests.length} images; name one`, { hint: `use ${where}:REF; ${available}` });
    }
    found = index.manifests[0];
  } else {
    found = index.manifests.find((d) => d.annotations?.[REF_NAME_ANNOTATION] === ref);
    if (!found) throw new TugError('NOT_FOUND', `no image named "${ref}" in ${where}`, { hint: available });
  }
  if (!found || !isManifestType(found.mediaType)) {
    throw new TugError('UNSUPPORTED', `${where}${ref ? `:${ref}` : ''} is a ${found?.mediaType ?? 'missing'} entry, not an image manifest or index`);
  }
  return found;
}

/** True when `root` exists and has no entries. */
export async function isEmptyDir(root: string): Promise<boolean> {
  try {
    return (await readdir(root)).length === 0;
  } catch (err) {
    throw ioError('listing', root, err);
  }
}

const indexLocks = new Map<string, Promise<unknown>>();

/**
 * Runs `update` (a read-modify-write of index.json) after any other update
 * of the same layout in this process has finished, so parallel copies of
 * several tags into one layout do not lose each other's entries. Another
 * process writing the same layout at the same time can still race.
 */
export function withIndexLock<T>(root: string, update: () => Promise<T>): Promise<T> {
  const previous = indexLocks.get(root) ?? Promise.resolve();
  const next = previous.catch(() => {}).then(update);
  const settled = next.catch(() => {});
  indexLocks.set(root, settled);
  void settled.then(() => {
    if (indexLocks.get(root) === settled) indexLocks.delete(root);
  });
  return next;
}
