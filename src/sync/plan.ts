/**
 * The sync planner: a pure function from what discovery saw to what will be
 * done. No I/O here, so `--dry-run` prints exactly the plan the real run
 * executes, and the rules are table-testable (changesets' assemble-release-plan
 * is the model).
 */
import type { ErrorCode } from '../errors/index.ts';
import type { Digest } from '../reference/digest.ts';
import { parseReference } from '../reference/reference.ts';

/** One image discovery resolved at the source, and what the destination holds under its name. */
export interface Observation {
  /**
   * The source as reports show it: a registry reference with tag and no
   * transport, `docker.io/openyurt/yurthub:v1.6.0`, or {@link sourceName}.
   */
  source: string;
  /**
   * The source image name with transport when it is not in a registry
   * (`dir:mirror/busybox:latest` for `tug sync --src dir`). Undefined =
   * `docker://` + `source`; read it through {@link sourceImageName}.
   */
  sourceName?: string | undefined;
  /** Destination image name with transport, `docker://registry.example.com/edge/yurthub:v1.6.0`. */
  destination: string;
  /** Digest of the source's top-level manifest; undefined when it could not be resolved (see `error`). */
  sourceDigest?: Digest | undefined;
  sourceMediaType?: string | undefined;
  /**
   * What the destination needs to hold for this image to count as synced:
   * the source digest when copying everything, the one instance's digest in
   * `system` mode. Undefined = the source digest.
   */
  expectedDigest?: Digest | undefined;
  /** What the destination holds now under that name (undefined = nothing). */
  destinationDigest?: Digest | undefined;
  /**
   * The source digest the destination records for what it holds
   * (io.tugboat.image.source.digest): on a filtered index, or beside a
   * converted image's name (an OCI layout's index.json entry). Equal to the
   * source digest = up to date, although the digests differ.
   */
  destinationRecordedSource?: Digest | undefined;
  /** The destination holds the image but lacks (or holds another) signature, attestation, SBOM or referrer of it (src/sync/referrers-check.ts). */
  referrersMissing?: boolean | undefined;
  /** For aliases: the tag of the same repository this is an alias of. */
  aliasOf?: string | undefined;
  /** Why discovery could not resolve this image. */
  error?: string | undefined;
  /** The code of that error (TRANSIENT, AUTH...), which decides the exit code a failed run ends with. */
  errorCode?: ErrorCode | undefined;
  /** Where in the job file it came from. */
  origin?: string | undefined;
  platforms: string;
}

/** The name to open an observation's source with: {@link Observation.sourceName}, else `docker://` + `source`. */
export function sourceImageName(o: Pick<Observation, 'source' | 'sourceName'>): string {
  return o.sourceName ?? `docker://${o.source}`;
}

/** The registry a job's image name lives in (the key of its SystemContext); '' for local transports. */
export function registryOf(name: string): string {
  return name.startsWith('docker://') ? parseReference(name.slice(9)).registry : '';
}

export type Action = 'copy' | 'skip' | 'retag' | 'fail';

export interface PlanItem extends Observation {
  action: Action;
  reason: string;
  /** For a retag: the plan item (index) whose destination it copies from once that one is done. */
  after?: number | undefined;
}

export interface Plan {
  items: PlanItem[];
  counts: Record<Action, number>;
}

function upToDate(o: Observation): boolean {
  if (!o.destinationDigest || !o.sourceDigest) return false;
  const expected = o.expectedDigest ?? o.sourceDigest;
  return o.destinationDigest === expected || o.destinationRecordedSource === o.sourceDigest;
}

export interface PlanOptions {
  /**
   * `--verify-existing`: an up-to-date image at a local destination (dir:,
   * oci:, registry-dir:) is copied again so that every blob it stores is
   * hashed (and rewritten if bad); registry destinations are skipped as usual.
   */
  verifyExisting?: boolean | undefined;
}

/**
 * Decides, for each observation: `skip` when the destination already holds
 * that content, `retag` for an alias whose target is in this job (its bytes
 * come from the target's destination once written, no second transfer),
 * `copy` otherwise, `fail` when discovery could not resolve the source.
 * Duplicate destinations are merged: the first wins and later ones are
 * reported as failures naming the conflict.
 */
export function assemblePlan(observations: readonly Observation[], options: PlanOptions = {}): Plan {
  const items: PlanItem[] = [];
  const byDestination = new Map<string, number>();
  for (const o of observations) {
    const seen = byDestination.get(o.destination);
    if (seen !== undefined) {
      const first = items[seen]!;
      if (first.source === o.source) continue; // the same image listed twice
      items.push({ ...o, action: 'fail', reason: `destination ${o.destination} is also the target of ${first.source}`, errorCode: 'USAGE' });
      continue;
    }
    byDestination.set(o.destination, items.length);
    if (o.error || !o.sourceDigest) {
      items.push({ ...o, action: 'fail', reason: o.error ?? 'source not resolved', errorCode: o.errorCode ?? 'INTERNAL' });
    } else if (upToDate(o) && options.verifyExisting && !o.destination.startsWith('docker://')) {
      items.push({ ...o, action: 'copy', reason: 'destination has this digest; checking the bytes of its blobs (--verify-existing)' });
    } else if (upToDate(o) && o.referrersMissing) {
      items.push({ ...o, action: 'copy', reason: 'destination has this digest but not all its signatures/referrers' });
    } else if (upToDate(o)) {
      items.push({ ...o, action: 'skip', reason: 'destination already has this digest' });
    } else {
      items.push({ ...o, action: 'copy', reason: o.destinationDigest ? `destination has ${o.destinationDigest}` : 'missing at destination' });
    }
  }
  // An alias whose target image is copied in this run is written from the
  // target's destination afterwards: no blob moves twice.
  for (const [i, item] of items.entries()) {
    if (item.action !== 'copy' || !item.aliasOf) continue;
    const target = items.findIndex((t) => t !== item && !t.aliasOf && t.source === item.source && t.action !== 'fail');
    if (target >= 0 && items[target]!.sourceDigest === item.sourceDigest) {
      items[i] = { ...item, action: 'retag', after: target, reason: `alias of ${items[target]!.destination}` };
    }
  }
  const counts: Record<Action, number> = { copy: 0, skip: 0, retag: 0, fail: 0 };
  for (const item of items) counts[item.action]++;
  return { items, counts };
}
