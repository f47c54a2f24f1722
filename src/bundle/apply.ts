/**
 * `tug bundle apply`: (1) check the bundle (checksums, the tar walk that
 * locates every carried blob; nothing extracted), (2) refuse it before any
 * write when its parent was never applied at the destination, (3) copy its
 * images with sync's engine, plan and results (src/sync/), reading blobs as
 * byte ranges of the parts, (4) write the marker last. Idempotent and
 * resumable: images already at the destination are skipped by the plan, and
 * blobs the destination has by the engine, so a re-run after `kill -9`
 * pushes only what is missing.
 */
import type { SystemContext } from '../context/system-context.ts';
import { TugError } from '../errors/index.ts';
import { type ExecuteOptions, type ItemResult, executePlan } from '../sync/execute.ts';
import { type Observation, type Plan, assemblePlan, registryOf } from '../sync/plan.ts';
import { type ImageReference, type SyncTarget, isBlobMounter, isRegistryLocated, parseImageName } from '../transports/index.ts';
import { type AppliedBundle, BundleSourceReference } from './bundle-source.ts';
import { type BundleImage, type ReliedBlob, bundleJson, innerManifest } from './format.ts';
import { PartReader } from './parts.ts';
import { MARKER_REPOSITORY, imageDigest, writeMarker } from './state.ts';
import { type BundleCheck, type BundleProblem, bundleProblemsError, checkBundle } from './verify.ts';

export interface ApplyOptions extends Omit<ExecuteOptions, 'parseName' | 'contextFor' | 'referrers'> {
  /** Where images go: a sync target and its location (registry host[/prefix], or a directory). */
  destination: { target: SyncTarget; location: string };
  /** The destination side's context for a registry host ('' for local stores). */
  contextFor: (registry: string, side: 'source' | 'destination') => SystemContext;
  /** Where markers live below the destination (default {@link MARKER_REPOSITORY}). */
  markerRepository?: string | undefined;
  /** Skip the parent check (dangerous: images may then lack blobs an unapplied bundle carried). */
  force?: boolean | undefined;
  /** Called with every problem the check found, before apply stops with INTEGRITY. */
  onProblems?: ((problems: readonly BundleProblem[]) => void) | undefined;
  /** Called once the bundle is checked and the plan is known, before anything is written. */
  onPlan?: ((plan: Plan, check: BundleCheck) => void | Promise<void>) | undefined;
}

export interface ApplyResult {
  check: BundleCheck;
  plan: Plan;
  results: ItemResult[];
  /** The marker was written by this run (false: already there, or images failed). */
  marked: boolean;
}

/** The destination image for a repository path of the bundle, as the target names it. */
export function destinationImage(destination: ApplyOptions['destination'], repository: string, tag: string): ImageReference {
  const { target, location } = destination;
  const base = location.replace(/\/+$/, '');
  const full = target.syncScope === 'registry' && base ? `${base}/${repository}` : repository;
  return target.syncReference({ location, repository: full, tag, scoped: true });
}

export async function applyBundle(dir: string, options: ApplyOptions): Promise<ApplyResult> {
  // 1. Checksums and the tar walk: any problem stops here, before a single request.
  const check = await checkBundle(dir, { hashBlobs: false, signal: options.signal });
  if (check.problems.length > 0) {
    options.onProblems?.(check.problems);
    throw bundleProblemsError(check);
  }
  const { bundle } = check;
  const where = (ref: ImageReference) => options.contextFor(registryOf(ref.toString()), 'destination');
  const destName = options.destination.location || '(the mapped destinations)';

  // 2. The parent must be there, or blobs the images rely on may be missing.
  const markers = options.markerRepository ?? MARKER_REPOSITORY;
  const markerOf = (id: string) => destinationImage(options.destination, markers, id);
  if (bundle.parent && !options.force) {
    const ref = markerOf(bundle.parent);
    if (!(await imageDigest(ref, where(ref), options.signal))) {
      throw new TugError('NOT_FOUND', `bundle ${bundle.id} needs bundle ${bundle.parent} applied at ${destName} first (tug bundle list shows the chain)`, {
        hint: `apply bundle ${bundle.parent} (and any bundle before it that is missing), then this one; --force skips this check (dangerous)`,
      });
    }
  }

  // 3. Plan as sync does: an image the destination holds already is skipped.
  const reader = new PartReader(dir, bundle.parts ?? []);
  try {
    const anyRef = destinationImage(options.destination, markers, bundle.id);
    const applied: AppliedBundle = {
      bundle,
      locations: check.locations,
      reader,
      destination: (repository, digest) => destinationImage(options.destination, repository, digest),
      destinationContext: where(anyRef),
      destinationName: destName,
    };
    const sources = new Map<string, BundleSourceReference>();
    const observations: Observation[] = await Promise.all(
      bundle.images.map(async (image) => {
        const source = new BundleSourceReference(applied, image);
        sources.set(source.toString(), source);
        const dest = destinationImage(options.destination, image.repository, image.tag);
        const current = await imageDigest(dest, where(dest), options.signal).catch(() => undefined);
        return {
          source: `${image.source} (bundle ${bundle.id})`,
          sourceName: source.toString(),
          destination: dest.toString(),
          sourceDigest: image.digest,
          sourceMediaType: image.mediaType,
          destinationDigest: current,
          platforms: 'all',
        };
      }),
    );
    const plan = assemblePlan(observations);
    await options.onPlan?.(plan, check);
    const imageAt = new Map(bundle.images.map((image) => [destinationImage(options.destination, image.repository, image.tag).toString(), image]));
    for (const item of plan.items) {
      const image = imageAt.get(item.destination);
      if (item.action === 'copy' && image) await mountRelied(image, bundle.relies, options.destination, where, options.signal);
    }
    const results = await executePlan(plan, {
      ...options,
      // The bundle holds exactly what create wrote: every instance, no conversion, no referrers of its own.
      referrers: false,
      conversion: { ...options.conversion, preserveDigests: true },
      contextFor: (registry, side) => options.contextFor(registry, side === 'source' ? 'destination' : side),
      parseName: (name) => sources.get(name) ?? parseImageName(name),
    });
    const failed = results.some((r) => r.status === 'failed' || r.status === 'not-run');
    // 4. The marker, last: only a bundle whose every image is in place counts as applied.
    let marked = false;
    if (!failed) {
      const ref = markerOf(bundle.id);
      if (!(await imageDigest(ref, where(ref), options.signal))) {
        await writeMarker(ref, where(ref), { id: bundle.id, created: bundle.created, json: Buffer.from(bundleJson(innerManifest(bundle))) }, options.signal);
        marked = true;
      }
    }
    return { check, plan, results, marked };
  } finally {
    await reader.close();
  }
}

/** The marker reference of bundle `id` at a destination (for list and tests). */
export function markerImage(destination: ApplyOptions['destination'], id: string, repository = MARKER_REPOSITORY): ImageReference {
  return destinationImage(destination, repository, id);
}

/**
 * Blobs an image relies on that the chain put in other repositories of the
 * destination registry are mounted into the image's repository first
 * (distribution spec "Mounting a blob from another repository"), so the copy
 * finds them present instead of reading and pushing them. Where a mount is
 * refused (or the destination is no registry) the copy reads them from there.
 */
async function mountRelied(image: BundleImage, relies: readonly ReliedBlob[], destination: ApplyOptions['destination'], where: (ref: ImageReference) => SystemContext, signal: AbortSignal | undefined): Promise<void> {
  const needed = new Set<string>([...image.blobs]);
  const elsewhere = relies.filter((r) => needed.has(r.digest) && r.repositories.length > 0 && !r.repositories.includes(image.repository));
  if (elsewhere.length === 0) return;
  const ref = destinationImage(destination, image.repository, image.tag);
  const into = await ref.newDestination(where(ref));
  try {
    if (!isBlobMounter(into)) return;
    const homes = new Map<string, string>();
    const homeOf = async (repository: string): Promise<string | undefined> => {
      if (!homes.has(repository)) {
        const other = destinationImage(destination, repository, image.tag);
        const at = await other.newDestination(where(other));
        try {
          homes.set(repository, isRegistryLocated(at) ? at.registryLocation.repository : '');
        } finally {
          await at.close();
        }
      }
      return homes.get(repository) || undefined;
    };
    for (const r of elsewhere) {
      const from = await homeOf(r.repositories[0]!);
      if (from) await into.mountBlob({ mediaType: 'application/octet-stream', digest: r.digest, size: r.size }, from, { signal }).catch(() => false);
    }
  } finally {
    await into.close();
  }
}
