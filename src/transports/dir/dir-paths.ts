/** File names of skopeo's dir: layout (containers/image `directory/directory_transport.go`). */
import { type Digest, digestHex, parseDigest } from '../../reference/digest.ts';
import { safeJoin } from '../../fs/within.ts';

/** Content of the `version` file; containers/image accepts only this exact text when overwriting. */
export const DIR_VERSION = 'Directory Transport Version: 1.1\n';
export const DIR_VERSION_FILE = 'version';
export const DIR_MANIFEST_FILE = 'manifest.json';

/** Path of a blob: `ROOT/HEX` (containers/image dirReference.layerPath). Throws UNSAFE_INPUT for a bad digest. */
export function dirBlobPath(root: string, digest: string): string {
  return safeJoin(root, digestHex(parseDigest(digest, `blob digest in ${root}`)));
}

/** Path of a manifest: `manifest.json`, or `HEX.manifest.json` for an index instance (dirReference.manifestPath). */
export function dirManifestPath(root: string, instance?: Digest): string {
  if (instance === undefined) return safeJoin(root, DIR_MANIFEST_FILE);
  return safeJoin(root, `${digestHex(parseDigest(instance, `manifest digest in ${root}`))}.${DIR_MANIFEST_FILE}`);
}
