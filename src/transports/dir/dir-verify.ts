/** `tug verify dir:PATH`: a skopeo dir: layout checked by its bytes (see ../store-check.ts). */
import { readdir } from 'node:fs/promises';
import { TugError } from '../../errors/index.ts';
import { MAX_MANIFEST_BYTES } from '../../oci/manifest.ts';
import type { Digest } from '../../reference/digest.ts';
import { readFileWithin, safeJoin, statWithin } from '../../fs/within.ts';
import { type StoreCheckOptions, type StoreDescriptor, type StoreReport, StoreChecker } from '../store-check.ts';
import { DIR_MANIFEST_FILE, dirBlobPath, dirManifestPath } from './dir-paths.ts';

/** `HEX` (a blob) or `HEX.manifest.json` (an index instance); the hex length says the algorithm. */
const NAMED_BY_DIGEST = /^([a-f0-9]{64}|[a-f0-9]{128})(\.manifest\.json)?$/;

/**
 * Follows manifest.json (its own digest is recorded nowhere) to every
 * instance, config and layer, then hashes every file named by a digest.
 */
export async function verifyDirLayout(root: string, store: string, options: StoreCheckOptions = {}): Promise<StoreReport> {
  const st = await statWithin(root, root);
  if (!st) throw new TugError('NOT_FOUND', `dir: layout ${root} does not exist`, { hint: 'check the path (dir:PATH)' });
  if (!st.isDirectory()) throw new TugError('USAGE', `${root} is not a directory, so it cannot be a dir: layout`);
  const checker = new StoreChecker(store, root, options);
  const locate = { manifest: (d: StoreDescriptor) => dirManifestPath(root, d.digest), blob: (d: StoreDescriptor) => dirBlobPath(root, d.digest) };
  const top = await readFileWithin(root, dirManifestPath(root), MAX_MANIFEST_BYTES, `${DIR_MANIFEST_FILE} of ${store}`).catch((err: unknown) => {
    if (err instanceof TugError && err.code === 'NOT_FOUND') {
      checker.problem({ path: dirManifestPath(root), kind: 'missing', detail: `${DIR_MANIFEST_FILE} is missing` });
      return undefined;
    }
    throw err;
  });
  if (top) {
    checker.report.manifests++;
    await checker.followManifest(top, undefined, dirManifestPath(root), locate);
  }
  for (const name of await readdir(root)) {
    const m = NAMED_BY_DIGEST.exec(name);
    if (m) void checker.checkFile(safeJoin(root, name), `${m[1]!.length === 64 ? 'sha256' : 'sha512'}:${m[1]}` as Digest);
  }
  return checker.finish();
}
