/** `tug verify registry-dir:PATH[:REPO]`: a registry storage tree checked by its bytes (see ../store-check.ts). */
import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { TugError } from '../../errors/index.ts';
import { type Digest, isDigest } from '../../reference/digest.ts';
import { pathExists } from '../../fs/io.ts';
import { safeJoin } from '../../fs/within.ts';
import { type StoreCheckOptions, type StoreDescriptor, type StoreReport, StoreChecker } from '../store-check.ts';
import { RegistryLayout } from './registry-dir-layout.ts';

/** Repository directories under `repositories/`: those holding `_manifests` (distribution's own test). */
async function repositoriesIn(dir: string, top = dir): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  if (entries.some((e) => e.name === '_manifests')) return [relative(top, dir).split('\\').join('/')];
  const nested = await Promise.all(entries.filter((e) => e.isDirectory() && !e.name.startsWith('_')).map((e) => repositoriesIn(join(dir, e.name), top)));
  return nested.flat();
}

/** The digests a directory of `ALGO/HEX/link` files names (revisions, a tag's index). */
async function linkedDigests(layout: RegistryLayout, dir: string, checker: StoreChecker): Promise<Digest[]> {
  const out: Digest[] = [];
  for (const algorithm of await readdir(dir).catch(() => [] as string[])) {
    for (const hex of await readdir(join(dir, algorithm)).catch(() => [] as string[])) {
      const path = join(dir, algorithm, hex, 'link');
      try {
        const d = await layout.readLink(path);
        if (d) out.push(d);
      } catch (err) {
        if (!(err instanceof TugError)) throw err;
        checker.problem({ path, kind: 'invalid', detail: err.message });
      }
    }
  }
  return out;
}

/**
 * For each repository (or only REPO): every revision and every tag's
 * current manifest, followed to everything it names; then, for the whole
 * tree, every `blobs/ALGO/XX/HEX/data` hashed against ALGO:HEX.
 */
export async function verifyRegistryTree(root: string, repository: string | undefined, store: string, options: StoreCheckOptions = {}): Promise<StoreReport> {
  const v2 = join(root, 'docker', 'registry', 'v2');
  if (!(await pathExists(v2))) throw new TugError('NOT_FOUND', `${root} holds no registry storage (no docker/registry/v2)`, { hint: 'registry-dir:PATH is the registry\'s rootdirectory' });
  const checker = new StoreChecker(store, root, options);
  const repositories = repository ? [repository] : await repositoriesIn(join(v2, 'repositories'));
  for (const repo of repositories) {
    const layout = new RegistryLayout(root, repo);
    const locate = (d: StoreDescriptor) => layout.blobData(d.digest);
    const roots = new Map<Digest, string>();
    for (const d of await linkedDigests(layout, join(layout.repoDir(), '_manifests', 'revisions'), checker)) roots.set(d, `revision link of ${repo}`);
    for (const tag of await readdir(layout.tagsDir()).catch(() => [] as string[])) {
      try {
        const d = await layout.readLink(layout.tagCurrentLink(tag));
        if (d) roots.set(d, `tag ${repo}:${tag}`);
      } catch (err) {
        if (!(err instanceof TugError)) throw err;
        checker.problem({ path: layout.tagCurrentLink(tag), kind: 'invalid', detail: err.message });
      }
    }
    await Promise.all([...roots].map(([digest, via]) => checker.walkManifest({ digest }, { manifest: locate, blob: locate }, via)));
  }
  if (repository === undefined) {
    const blobs = join(v2, 'blobs');
    for (const algorithm of await readdir(blobs).catch(() => [] as string[])) {
      for (const prefix of await readdir(join(blobs, algorithm)).catch(() => [] as string[])) {
        for (const hex of await readdir(join(blobs, algorithm, prefix)).catch(() => [] as string[])) {
          const digest = `${algorithm}:${hex}`;
          const path = safeJoin(blobs, algorithm, prefix, hex, 'data');
          if (isDigest(digest) && hex.startsWith(prefix)) {
            // A blob directory without data is what a killed write leaves (its temp file, swept by the next
            // write): nothing points at it, and a blob a manifest does name was checked by the walk above.
            if (await pathExists(path)) void checker.checkFile(path, digest);
          } else checker.problem({ path, kind: 'invalid', detail: `${algorithm}/${prefix}/${hex} is not where distribution keeps a blob` });
        }
      }
    }
  }
  return checker.finish();
}
