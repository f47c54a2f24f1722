/**
 * Reads the image in a skopeo `dir:` directory. Raw: bytes as stored, the
 * engine verifies them. Nothing outside the directory is read (digests
 * validated, symlinks out refused) and no manifest over 4 MiB is loaded.
 */
import type { Readable } from 'node:stream';
import { TugError } from '../../errors/index.ts';
import { MAX_MANIFEST_BYTES, parseManifest, type Descriptor } from '../../oci/manifest.ts';
import type { Digest } from '../../reference/digest.ts';
import { openFileWithin, readFileWithin, statWithin } from '../../fs/within.ts';
import { pathExists } from '../../fs/io.ts';
import type { ImageSource, RawManifest } from '../types.ts';
import type { DirReference } from './dir-transport.ts';
import { DIR_MANIFEST_FILE, dirBlobPath, dirManifestPath } from './dir-paths.ts';

export class DirSource implements ImageSource {
  readonly reference: DirReference;

  private constructor(reference: DirReference) {
    this.reference = reference;
  }

  /** NOT_FOUND when the path is missing; USAGE when it is not a directory or has no manifest.json. */
  static async open(reference: DirReference): Promise<DirSource> {
    const root = reference.path;
    const st = await statWithin(root, root);
    if (!st) throw new TugError('NOT_FOUND', `dir: layout ${root} does not exist`, { hint: 'check the path (dir:PATH)' });
    if (!st.isDirectory()) throw new TugError('USAGE', `${root} is not a directory, so it cannot be a dir: layout`);
    if (!(await pathExists(dirManifestPath(root)))) {
      throw new TugError('USAGE', `${root} is not a dir: layout: it has no ${DIR_MANIFEST_FILE}`, { hint: 'for an OCI layout use oci:PATH' });
    }
    return new DirSource(reference);
  }

  /**
   * `manifest.json` without `digest`, else `HEX.manifest.json`. The media
   * type is the document's own `mediaType` field (dir: stores no other), or
   * OCI's default for a document without one.
   */
  async getManifest(digest?: Digest): Promise<RawManifest> {
    const root = this.reference.path;
    const what = `manifest ${digest ?? DIR_MANIFEST_FILE} in ${this.reference.toString()}`;
    const bytes = await readFileWithin(root, dirManifestPath(root, digest), MAX_MANIFEST_BYTES, what);
    return { bytes, mediaType: parseManifest(bytes, undefined, what).mediaType, claimedDigest: digest };
  }

  async getBlob(desc: Descriptor): Promise<Readable> {
    const root = this.reference.path;
    return openFileWithin(root, dirBlobPath(root, desc.digest), `blob ${desc.digest} in ${this.reference.toString()}`);
  }

  async close(): Promise<void> {}
}
