/**
 * The bundle manifest (`bundle.json`, docs/bundle.md): its types, names and
 * the strict reader. A bundle is a file someone hands you, so everything is
 * bounded and checked before any path or size from it is used: part names
 * are plain file names of the bundle's own id, sizes are bounded integers,
 * digests are sha256, and an unknown apiVersion is one clear line.
 */
import { z } from 'zod';
import { TugError } from '../errors/index.ts';
import type { Digest } from '../reference/digest.ts';

export const BUNDLE_API_VERSION = 'tugboat.dev/v1';
export const BUNDLE_KIND = 'Bundle';
/** The media type of bundle.json as the marker artifact's one layer (./state.ts). */
export const BUNDLE_MEDIA_TYPE = 'application/vnd.tugboat.bundle.v1+json';
/** The OCI layout annotation on each index.json entry naming where the image goes (repository:tag, relative to apply's DEST). */
export const DESTINATION_ANNOTATION = 'dev.tugboat.bundle.destination';
/** bundle.json is read whole: far above any real one (an entry per blob), far below what hurts. */
export const MAX_BUNDLE_JSON_BYTES = 64 * 2 ** 20;
/** A part or a blob larger than this is refused: 16 TiB, beyond any medium, within exact doubles. */
export const MAX_BYTES = 2 ** 44;
const MAX_ITEMS = 1_000_000;

const digest = z.string().regex(/^sha256:[a-f0-9]{64}$/) as unknown as z.ZodType<Digest>;
const size = z.number().int().min(0).max(MAX_BYTES);
/** Sortable ids: UTC timestamp and a random suffix, `20261205T091500Z-3fa1c2`. */
const BUNDLE_ID = /^\d{8}T\d{6}Z-[a-f0-9]{6}$/;
const id = z.string().regex(BUNDLE_ID);
/**
 * A repository path below apply's DEST: components that start with a letter
 * or digit (so never `..`), no leading `/`; the destination transport checks
 * the rest of its own grammar when the name is formed.
 */
const repository = z.string().max(255).regex(/^[a-z0-9][a-z0-9._:-]*(?:\/[a-z0-9][a-z0-9._:-]*)*$/);
/** A tag, or a digest for images listed by digest. */
const tag = z.string().regex(/^(?:\w[\w.-]{0,127}|sha256:[a-f0-9]{64})$/);

const blobRecord = z.strictObject({ digest, size });
const relied = z.strictObject({ digest, size, bundle: id, repositories: z.array(repository).max(10_000) });

const image = z.strictObject({
  source: z.string().max(1024),
  repository,
  tag,
  digest,
  sourceDigest: digest,
  mediaType: z.string().max(255),
  platforms: z.array(z.string().max(64)).max(256),
  size,
  carriedBytes: size,
  /** Every manifest and blob digest the image needs (its closure), for verify and list. */
  manifests: z.array(digest).max(4096),
  blobs: z.array(digest).max(MAX_ITEMS),
});

const part = z.strictObject({
  name: z.string().max(128),
  size,
  sha256: z.string().regex(/^[a-f0-9]{64}$/),
});

const bundleSchema = z.strictObject({
  apiVersion: z.literal(BUNDLE_API_VERSION),
  kind: z.literal(BUNDLE_KIND),
  id,
  parent: id.nullable(),
  created: z.iso.datetime(),
  tool: z.strictObject({ name: z.string().max(64), version: z.string().max(64) }),
  full: z.boolean(),
  images: z.array(image).max(100_000),
  /**
   * How many images of the list the history shows unchanged (not carried,
   * not applied again). A count, not a list: an unchanged list's bundle stays
   * a few KB whatever its length; the history names them.
   */
  unchanged: z.number().int().min(0).max(10_000_000),
  carried: z.strictObject({ manifests: z.array(blobRecord).max(MAX_ITEMS), blobs: z.array(blobRecord).max(MAX_ITEMS) }),
  relies: z.array(relied).max(MAX_ITEMS),
  /** The tar's parts; absent in the copy inside the tar (it cannot name its own checksums). */
  parts: z.array(part).max(100_000).optional(),
  /** Files beside the parts (a tug executable), listed in SHA256SUMS too. */
  files: z.array(part).max(16).optional(),
  totals: z.strictObject({ images: z.number().int().min(0), carriedBytes: size, tarBytes: size, imageBytes: size }),
});

export type BundleManifest = z.infer<typeof bundleSchema>;
export type BundleImage = BundleManifest['images'][number];
export type BundlePart = NonNullable<BundleManifest['parts']>[number];
export type ReliedBlob = BundleManifest['relies'][number];

/** A fresh sortable bundle id for `now`. */
export function newBundleId(now: Date, random: string): string {
  return `${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${random.slice(0, 6)}`;
}

export function isBundleId(s: string): boolean {
  return BUNDLE_ID.test(s);
}

/** Part file names: `<id>.tar`, or `<id>.tar.001` ... when split. Nothing else is ever opened. */
export function partNames(bundleId: string, count: number): string[] {
  if (count === 1) return [`${bundleId}.tar`];
  return Array.from({ length: count }, (_, i) => `${bundleId}.tar.${String(i + 1).padStart(3, '0')}`);
}

/** `tug-linux-amd64`-style names of included executables: a plain name, no path. */
const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * Parses and checks bundle.json text. `where` names the file in messages.
 * Throws UNSAFE_INPUT with one line naming what is wrong.
 */
export function parseBundleManifest(text: string, where: string): BundleManifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new TugError('UNSAFE_INPUT', `${where} is not JSON: ${(err as Error).message}`, { hint: 're-copy the bundle from the source medium' });
  }
  const api = (json as { apiVersion?: unknown } | null)?.apiVersion;
  if (typeof json === 'object' && json !== null && api !== BUNDLE_API_VERSION) {
    throw new TugError('UNSAFE_INPUT', `${where}: apiVersion ${JSON.stringify(api)} is not ${BUNDLE_API_VERSION}`, { hint: 'this tug reads tugboat.dev/v1 bundles; use the tug that made the bundle' });
  }
  const parsed = bundleSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new TugError('UNSAFE_INPUT', `${where}: ${issue.path.join('.') || '(top)'}: ${issue.message}`, { hint: 'the bundle is damaged or was not made by tug; re-create it' });
  }
  const bundle = parsed.data;
  if (bundle.parts) {
    const expected = partNames(bundle.id, bundle.parts.length);
    for (const [i, p] of bundle.parts.entries()) {
      if (p.name !== expected[i]) throw new TugError('UNSAFE_INPUT', `${where}: part ${i + 1} is named ${JSON.stringify(p.name)}, not ${expected[i]}`, { hint: 'part names are fixed by the bundle id; the bundle is damaged or hostile' });
    }
  }
  for (const f of bundle.files ?? []) {
    if (!FILE_NAME.test(f.name) || f.name === 'bundle.json' || f.name === 'SHA256SUMS' || f.name.startsWith(`${bundle.id}.tar`)) {
      throw new TugError('UNSAFE_INPUT', `${where}: included file name ${JSON.stringify(f.name)} is not a plain file name`, { hint: 'the bundle is damaged or hostile' });
    }
  }
  return bundle;
}

/** bundle.json as written: stable key order, a trailing newline. */
export function bundleJson(bundle: BundleManifest): string {
  return `${JSON.stringify(bundle, null, 2)}\n`;
}

/** The copy stored inside the tar: everything but `parts` and `files`, which name the tar's own checksums. */
export function innerManifest(bundle: BundleManifest): BundleManifest {
  const { parts: _parts, files: _files, ...inner } = bundle;
  return inner;
}
