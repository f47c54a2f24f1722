/**
 * `tug bundle list`: bundles (from bundle directories, a directory of them,
 * or a history file) in chain order, what each added, and where the chain
 * is broken (a parent that is not among them).
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { TugError } from '../errors/index.ts';
import type { BundleManifest } from './format.ts';
import { readHistory, sortChain } from './history.ts';
import { readBundleManifest } from './verify.ts';

export interface ListedBundle {
  id: string;
  parent: string | null;
  created: string;
  full: boolean;
  /** `repository:tag` of the images added or changed. */
  images: string[];
  unchanged: number;
  carriedBytes: number;
  parts: number;
  /** Where it was read from (a directory or the history file). */
  from: string;
  /** Set when the parent is not among the bundles listed. */
  missingParent?: string | undefined;
}

/** Reads the bundles of each path: a bundle directory, a directory holding bundle directories, or a history file. */
export async function readBundles(paths: readonly string[]): Promise<{ bundle: BundleManifest; from: string }[]> {
  const out: { bundle: BundleManifest; from: string }[] = [];
  for (const path of paths) {
    const st = await stat(path).catch(() => undefined);
    if (!st) throw new TugError('USAGE', `${path} does not exist`, { hint: 'give bundle directories, a directory of them, or a history file' });
    if (st.isFile()) {
      for (const bundle of (await readHistory(path)).bundles) out.push({ bundle, from: path });
      continue;
    }
    const own = await stat(join(path, 'bundle.json')).catch(() => undefined);
    if (own) {
      out.push({ bundle: await readBundleManifest(path), from: path });
      continue;
    }
    for (const name of (await readdir(path)).sort()) {
      const sub = join(path, name);
      if ((await stat(join(sub, 'bundle.json')).catch(() => undefined))?.isFile()) out.push({ bundle: await readBundleManifest(sub), from: sub });
    }
  }
  return out;
}

/** The bundles in chain order (by id, which sorts by creation), each once, with broken links marked. */
export function listChain(found: readonly { bundle: BundleManifest; from: string }[]): ListedBundle[] {
  const byId = new Map<string, { bundle: BundleManifest; from: string }>();
  for (const f of found) if (!byId.has(f.bundle.id)) byId.set(f.bundle.id, f);
  return sortChain([...byId.values()].map((f) => f.bundle)).map((b) => ({
    id: b.id,
    parent: b.parent,
    created: b.created,
    full: b.full,
    images: b.images.map((i) => `${i.repository}${i.tag.startsWith('sha256:') ? '@' : ':'}${i.tag}`),
    unchanged: b.unchanged,
    carriedBytes: b.totals.carriedBytes,
    parts: b.parts?.length ?? 0,
    from: byId.get(b.id)!.from,
    missingParent: b.parent && !byId.has(b.parent) ? b.parent : undefined,
  }));
}
