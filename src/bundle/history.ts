/**
 * The connected side's memory (`--history FILE`): the bundles made so far,
 * each as its bundle.json (without parts), so the next bundle carries only
 * what the chain has not. A history is rebuilt from old bundles by reading
 * their bundle.json files (`tug bundle list DIR... --write-history FILE`),
 * since it holds nothing else.
 */
import { readFile } from 'node:fs/promises';
import { TugError } from '../errors/index.ts';
import { writeFileAtomic } from '../fs/atomic.ts';
import { ioError } from '../fs/io.ts';
import type { Digest } from '../reference/digest.ts';
import { BUNDLE_API_VERSION, type BundleManifest, MAX_BUNDLE_JSON_BYTES, innerManifest, parseBundleManifest } from './format.ts';

export const HISTORY_KIND = 'BundleHistory';

export interface BundleHistory {
  bundles: BundleManifest[];
}

/** What a chain of bundles carried, by digest: who carried it first and the destination repositories that hold it. */
export interface CarriedRecord {
  size: number;
  bundle: string;
  repositories: Set<string>;
}

/** What the chain ending at the newest bundle knows; see {@link chainKnowledge}. */
export interface ChainKnowledge {
  /** The newest bundle's id: the next bundle's parent (undefined: empty history). */
  head: string | undefined;
  blobs: Map<Digest, CarriedRecord>;
  manifests: Map<Digest, CarriedRecord>;
  /** `repository:tag` -> the image last bundled there. */
  images: Map<string, { sourceDigest: Digest; digest: Digest; platforms: string[] }>;
}

export const imageKey = (repository: string, tag: string): string => `${repository}\u0000${tag}`;

/** Reads a history file; a missing file is an empty history. */
export async function readHistory(path: string): Promise<BundleHistory> {
  let text: string;
  try {
    const buf = await readFile(path);
    if (buf.length > MAX_BUNDLE_JSON_BYTES * 4) throw new TugError('UNSAFE_INPUT', `history ${path} is ${buf.length} bytes; the limit is ${MAX_BUNDLE_JSON_BYTES * 4}`, { hint: 'start a new history with --full' });
    text = buf.toString('utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { bundles: [] };
    throw ioError('reading history', path, err);
  }
  let json: { apiVersion?: unknown; kind?: unknown; bundles?: unknown };
  try {
    json = JSON.parse(text) as typeof json;
  } catch (err) {
    throw new TugError('UNSAFE_INPUT', `history ${path} is not JSON: ${(err as Error).message}`, { hint: 'rebuild it: tug bundle list OLD_BUNDLE_DIRS... --write-history FILE' });
  }
  if (json?.apiVersion !== BUNDLE_API_VERSION || json.kind !== HISTORY_KIND || !Array.isArray(json.bundles)) {
    throw new TugError('UNSAFE_INPUT', `history ${path} is not a ${BUNDLE_API_VERSION} ${HISTORY_KIND}`, { hint: 'rebuild it: tug bundle list OLD_BUNDLE_DIRS... --write-history FILE' });
  }
  const bundles = json.bundles.map((b, i) => parseBundleManifest(JSON.stringify(b), `history ${path} entry ${i + 1}`));
  return { bundles };
}

/** Writes the history atomically (temp file, then rename): a killed create leaves the old one. */
export async function writeHistory(path: string, history: BundleHistory): Promise<void> {
  const doc = { apiVersion: BUNDLE_API_VERSION, kind: HISTORY_KIND, bundles: history.bundles.map(innerManifest) };
  try {
    await writeFileAtomic(path, `${JSON.stringify(doc, null, 1)}\n`);
  } catch (err) {
    throw ioError('writing history', path, err);
  }
}

/** Bundles in chain order (oldest first), whatever order they were given in; ties by id. */
export function sortChain(bundles: readonly BundleManifest[]): BundleManifest[] {
  return [...bundles].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/**
 * The chain that ends at the newest bundle, followed through `parent`
 * links back to a root (a `--full` bundle or the first one), oldest first.
 * Bundles outside it (an older chain before a `--full`) are not relied on.
 */
export function chainOf(bundles: readonly BundleManifest[], head?: string): BundleManifest[] {
  const byId = new Map(bundles.map((b) => [b.id, b]));
  const sorted = sortChain(bundles);
  let at = head !== undefined ? byId.get(head) : sorted.at(-1);
  const chain: BundleManifest[] = [];
  const seen = new Set<string>();
  while (at && !seen.has(at.id)) {
    seen.add(at.id);
    chain.unshift(at);
    at = at.parent ? byId.get(at.parent) : undefined;
  }
  return chain;
}

/** What the chain carried and where it went. */
export function chainKnowledge(history: BundleHistory): ChainKnowledge {
  const chain = chainOf(history.bundles);
  const blobs = new Map<Digest, CarriedRecord>();
  const manifests = new Map<Digest, CarriedRecord>();
  const images: ChainKnowledge['images'] = new Map();
  for (const bundle of chain) {
    for (const b of bundle.carried.blobs) if (!blobs.has(b.digest)) blobs.set(b.digest, { size: b.size, bundle: bundle.id, repositories: new Set() });
    for (const m of bundle.carried.manifests) if (!manifests.has(m.digest)) manifests.set(m.digest, { size: m.size, bundle: bundle.id, repositories: new Set() });
    for (const image of bundle.images) {
      for (const d of image.blobs) blobs.get(d)?.repositories.add(image.repository);
      for (const d of image.manifests) manifests.get(d)?.repositories.add(image.repository);
      images.set(imageKey(image.repository, image.tag), { sourceDigest: image.sourceDigest, digest: image.digest, platforms: image.platforms });
    }
  }
  return { head: chain.at(-1)?.id, blobs, manifests, images };
}
