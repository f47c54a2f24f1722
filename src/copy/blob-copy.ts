/**
 * Moving one blob from a source to a destination: skip when present, mount
 * across repositories of the same registry, else stream through a verifying
 * stream. Never buffers a blob whole.
 */
import type { Readable } from 'node:stream';
import { CopyError, TugError } from '../errors/index.ts';
import type { Descriptor } from '../oci/manifest.ts';
import { streamed } from '../runtime/scavenge.ts';
import { verifyingStream } from '../oci/verify.ts';
import { shortDigest } from '../reference/digest.ts';
import { type BlobMounter, type BlobOptions, type ImageDestination, type ImageSource, type StoredBlobState, isBlobContentChecker, isBlobLinker, isBlobMounter, isRegistryLocated } from '../transports/types.ts';
import type { BlobOutcome, CopyEvent } from './events.ts';
import type { BlobCoordinator, BlobHome } from './blob-coordinator.ts';
import { withRetry } from './retry.ts';

export interface BlobCopyOptions {
  signal?: AbortSignal | undefined;
  attempts: number;
  onEvent: (e: CopyEvent) => void;
  /** Shares transfers with other images of the same job (see {@link BlobCoordinator}). */
  coordinator?: BlobCoordinator | undefined;
  /** Hash a blob the destination already stores before trusting it (see CopyOptions.verifyExisting). */
  verifyExisting?: boolean | undefined;
}

/** Streams `desc` from `source` into `destination`, verifying size and digest on the way. */
async function transfer(source: ImageSource, destination: ImageDestination, desc: Descriptor, options: BlobCopyOptions): Promise<void> {
  const what = `blob ${desc.digest}`;
  let lastReport = 0;
  let counted = 0;
  const verifier = verifyingStream(desc, what, (total) => {
    streamed(total - counted); // paces scavenges of the dead chunks (runtime/scavenge.ts)
    counted = total;
    const now = Date.now();
    if (now - lastReport >= 200 || total === desc.size) {
      lastReport = now;
      options.onEvent({ type: 'blob-progress', digest: desc.digest, bytes: total, size: desc.size });
    }
  });
  let input: Readable;
  try {
    input = await source.getBlob(desc, { signal: options.signal });
  } catch (err) {
    throw wrapSide(err, 'source', 'reading', desc);
  }
  // Errors on the source side reach the destination through the verifier,
  // so the destination discards its partial write.
  let sourceError: unknown;
  input.once('error', (err) => {
    sourceError = err;
    verifier.destroy(err);
  });
  input.pipe(verifier);
  try {
    await destination.putBlob(desc, verifier, { signal: options.signal });
  } catch (err) {
    throw wrapSide(err, sourceError !== undefined && err === sourceError ? 'source' : 'destination', sourceError !== undefined ? 'reading' : 'writing', desc);
  } finally {
    input.unpipe(verifier);
    input.destroy();
    verifier.destroy();
  }
}

function wrapSide(err: unknown, side: 'source' | 'destination', op: string, desc: Descriptor): TugError {
  if (err instanceof TugError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new CopyError('TRANSIENT', `${op} blob ${shortDigest(desc.digest)}: ${message}`, { op, side }, { cause: err });
}

/**
 * Copies one blob and reports how: `skipped` (destination had it), `mounted`
 * (cross-repository mount on the same registry), or `copied`. With a
 * coordinator, a blob that another image of the job is already moving into
 * the same store is waited for and then mounted or found present, never
 * uploaded twice at once.
 */
export async function copyBlob(source: ImageSource, destination: ImageDestination, desc: Descriptor, options: BlobCopyOptions): Promise<BlobOutcome> {
  const started = Date.now();
  const done = (outcome: BlobOutcome) => {
    options.onEvent({ type: 'blob-done', digest: desc.digest, size: desc.size, outcome, ms: Date.now() - started });
    return outcome;
  };
  const { coordinator } = options;
  const store = destination.blobStoreKey;
  if (!coordinator || !store) return done(await place(source, destination, desc, options, undefined));

  // Two images writing one blob into one repository (two tags of it) must not
  // race: the stock registry corrupts its link file when two uploads or
  // mounts of one digest into one repository run at once. So placement is
  // serialised per (store, repository, digest); whoever waited finds it there.
  // Local destinations have no such race (atomic renames) and may differ per
  // image (one dir: layout each): their key is the destination itself.
  const placement = isRegistryLocated(destination) ? destination.registryLocation.repository : destination.reference.toString();
  let outcome: BlobOutcome = 'skipped';
  const placed = await coordinator.once(`${store}\u0001${placement}`, desc.digest, async () => {
    outcome = await placeShared(source, destination, desc, options, coordinator, store);
    return undefined;
  });
  return done(placed.shared ? 'skipped' : outcome);
}

/** Places a blob in a store shared with other images of the job: moved once per store, then mounted, linked or found. */
async function placeShared(source: ImageSource, destination: ImageDestination, desc: Descriptor, options: BlobCopyOptions, coordinator: BlobCoordinator, store: string): Promise<BlobOutcome> {
  let outcome: BlobOutcome | undefined;
  const { shared, home } = await coordinator.once(store, desc.digest, async () => {
    outcome = await place(source, destination, desc, options, coordinator.limiter(store));
    return homeOf(destination, desc);
  });
  if (!shared && outcome) return outcome;
  // Another image moved it into this store: mount it from there, link it, or find it present.
  if (isBlobMounter(destination) && home?.repository && home.repository !== destination.registryLocation.repository) {
    if (await destination.mountBlob(desc, home.repository, { signal: options.signal })) return 'mounted';
  }
  if (isBlobLinker(destination) && home?.path && home.path !== destination.localBlobPath(desc)) {
    // This layout's own file was not checked yet; the one at `home` was, by this job.
    const stored = await storedState(destination, desc, { signal: options.signal }, options.verifyExisting);
    if (stored === 'valid') return 'skipped';
    if (await destination.linkBlob(desc, home.path, { signal: options.signal })) return stored === 'corrupt' ? 'rewritten' : 'mounted';
  }
  // The same file (or registry) the other image wrote or verified in this job: not hashed twice.
  return place(source, destination, desc, { ...options, verifyExisting: false }, coordinator.limiter(store));
}

function homeOf(destination: ImageDestination, desc: Descriptor): BlobHome | undefined {
  if (isRegistryLocated(destination)) return { ...destination.registryLocation };
  if (isBlobLinker(destination)) return { path: destination.localBlobPath(desc) };
  return undefined;
}

/** Where `destination` can mount `source`'s blobs from: another repository of the same registry. */
function mountSource(source: ImageSource, destination: ImageDestination): { into: ImageDestination & BlobMounter; from: string } | undefined {
  if (!isBlobMounter(destination) || !isRegistryLocated(source)) return undefined;
  const from = source.registryLocation;
  const to = destination.registryLocation;
  return from.registry === to.registry && from.repository !== to.repository ? { into: destination, from: from.repository } : undefined;
}

async function place(
  source: ImageSource,
  destination: ImageDestination,
  desc: Descriptor,
  options: BlobCopyOptions,
  limit: (<T>(fn: () => Promise<T>) => Promise<T>) | undefined,
): Promise<BlobOutcome> {
  // From another repository of the same registry, an absent blob is mounted.
  // Otherwise the check may open the upload session the transfer then uses.
  const mount = mountSource(source, destination);
  const stored = await storedState(destination, desc, { signal: options.signal, beforeWrite: !mount }, options.verifyExisting);
  if (stored === 'valid') return 'skipped';
  if (mount && (await mount.into.mountBlob(desc, mount.from, { signal: options.signal }))) return 'mounted';

  const run = () => {
    options.onEvent({ type: 'blob-start', digest: desc.digest, size: desc.size, mediaType: desc.mediaType });
    return withRetry(() => transfer(source, destination, desc, options), {
      attempts: options.attempts,
      baseDelayMs: 500,
      maxDelayMs: 10_000,
      signal: options.signal,
      onRetry: (attempt, delayMs, err) =>
        options.onEvent({ type: 'blob-retry', digest: desc.digest, attempt, delayMs, reason: err instanceof Error ? err.message : String(err) }),
    });
  };
  await (limit ? limit(run) : run());
  return stored === 'corrupt' ? 'rewritten' : 'copied';
}

/**
 * What the destination holds for `desc`: by its bytes when `verify` is set
 * and the destination can hash what it stores (local layouts), else by
 * `hasBlob` (name and size: a registry verified the digest on upload).
 */
export async function storedState(destination: ImageDestination, desc: Descriptor, options: BlobOptions, verify: boolean | undefined): Promise<StoredBlobState> {
  if (verify && isBlobContentChecker(destination)) return destination.checkBlob(desc, { signal: options.signal });
  return (await destination.hasBlob(desc, options)) ? 'valid' : 'absent';
}
