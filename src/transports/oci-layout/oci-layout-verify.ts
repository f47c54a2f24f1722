/** `tug verify oci:PATH[:REF]`: an OCI layout checked by its bytes (see ../store-check.ts). */
import { readdir } from 'node:fs/promises';
import { TugError } from '../../errors/index.ts';
import { isDigest } from '../../reference/digest.ts';
import { safeJoin } from '../../fs/within.ts';
import { type StoreCheckOptions, type StoreDescriptor, type StoreReport, StoreChecker } from '../store-check.ts';
import { INDEX_FILE, assertLayout, blobPath, findImage, readLayoutIndex } from './layout-files.ts';

/**
 * Walks index.json (only the entry REF names, when given) through every
 * index, manifest, config and layer it reaches, then, for the whole layout,
 * hashes every file under `blobs/ALGO/` against the digest its name claims.
 */
export async function verifyOciLayout(root: string, ref: string | undefined, store: string, options: StoreCheckOptions = {}): Promise<StoreReport> {
  await assertLayout(root);
  const checker = new StoreChecker(store, root, options);
  const locate = (d: StoreDescriptor) => blobPath(root, d.digest);
  try {
    const index = await readLayoutIndex(root);
    const entries = ref === undefined ? index.manifests : [findImage(index, ref, store)];
    await Promise.all(entries.map((d) => checker.walkManifest(d, { manifest: locate, blob: locate }, INDEX_FILE)));
  } catch (err) {
    if (!(err instanceof TugError && err.code === 'UNSAFE_INPUT')) throw err;
    checker.problem({ path: safeJoin(root, INDEX_FILE), kind: 'invalid', detail: err.message });
  }
  if (ref === undefined) {
    const blobs = safeJoin(root, 'blobs');
    for (const algorithm of await readdir(blobs).catch(() => [] as string[])) {
      for (const hex of await readdir(safeJoin(blobs, algorithm)).catch(() => [] as string[])) {
        const digest = `${algorithm}:${hex}`;
        if (isDigest(digest)) void checker.checkFile(safeJoin(blobs, algorithm, hex), digest);
        else if (!hex.startsWith('.tug-tmp-')) checker.problem({ path: safeJoin(blobs, algorithm, hex), kind: 'invalid', detail: `${algorithm}/${hex} is not named by a digest` });
      }
    }
  }
  return checker.finish();
}
