/**
 * What one sync of a Repository does with the engine: resolve the tag at its
 * registry, describe what it points at (every platform of an index, the
 * default platform in the contract's `status.manifest` shape (docs/contract.md)), and, with
 * `spec.mirror`, copy the image into the mirror registry as `spec.importMode`
 * and `spec.platforms` say (import-mode.ts; the engine skips blobs the mirror
 * already has, so only changed layers move).
 *
 * Silent: progress goes to `log`, the result is returned; the scheduler
 * records it (status, SyncRun, log lines).
 */
import { humanSize } from '../api/bytes.ts';
import type { LayerInfo, ManifestInfo, Repository, RepositorySignatureStatus, RepositoryStatus, RunLogLine } from '../api/types.ts';
import { copyImage } from '../copy/copy.ts';
import { TugError } from '../errors/index.ts';
import { parsePublicKey } from '../signature/cosign.ts';
import { verifyImageSignature } from '../signature/image-policy.ts';
import type { Digest } from '../reference/digest.ts';
import { type ResolvedImage, readConfig, readInstance, readTopLevel } from '../inspect/inspect.ts';
import type { Descriptor } from '../oci/manifest.ts';
import { hostPlatform } from '../oci/platform.ts';
import { type MirrorSelection, mirrorSelection } from './import-mode.ts';
import type { RegistryAccess } from '../registry-access/registry-access.ts';
import { parseImageName } from '../transports/index.ts';
import type { ImageReference, ImageSource } from '../transports/types.ts';

export interface SyncInput {
  repository: Repository;
  /** The source registry (spec.registryRef). */
  source: RegistryAccess;
  /** Where spec.mirror copies to, when set. */
  mirror?: { access: RegistryAccess; repository: string; tag: string } | undefined;
  /** The status before this sync (for the layer diff and to skip re-reading an unchanged tag). */
  previous: RepositoryStatus | undefined;
  signal: AbortSignal;
  log: (level: RunLogLine['level'], message: string) => void;
}

export interface SyncOutput {
  /** The status fields this sync determined (syncStatus and times are the scheduler's). */
  status: Pick<RepositoryStatus, 'domain' | 'observedDigest' | 'mediaType' | 'manifest' | 'platforms' | 'mirror' | 'signature'>;
  digestBefore: string | undefined;
  digestAfter: string;
  /** Bytes copied into the mirror (0 without one). */
  bytesMoved: number;
  layersAdded: string[];
  layersRemoved: string[];
}

// ManifestInfo.size is written as the contract shows it (`142MB`).
export { humanSize };

/** The image reference (`docker://host/repo:tag`) of a Repository at its registry. */
export function sourceImage(host: string, repository: string, tag: string): string {
  return `docker://${host}/${repository}:${tag}`;
}

/** Index entries that are not runnable images (BuildKit attestations, unknown/unknown). */
function isAttestation(d: Descriptor): boolean {
  return d.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest' || (d.platform?.os === 'unknown' && d.platform.architecture === 'unknown');
}

async function describe(source: ImageSource, image: ResolvedImage, signal: AbortSignal): Promise<ManifestInfo> {
  const { config } = await readConfig(source, image.manifest, signal);
  const layers: LayerInfo[] = image.manifest.layers.map((l) => ({ digest: l.digest, size: String(l.size), mediaType: l.mediaType }));
  const sizeBytes = image.manifest.config.size + image.manifest.layers.reduce((n, l) => n + l.size, 0);
  const variant = config.variant ?? image.platform?.variant;
  return {
    digest: image.digest,
    mediaType: image.mediaType,
    architecture: config.architecture ?? image.platform?.architecture,
    os: config.os ?? image.platform?.os,
    ...(variant ? { variant } : {}),
    size: humanSize(sizeBytes),
    sizeBytes,
    ...(config.created ? { created: config.created } : {}),
    config: { digest: image.manifest.config.digest, size: image.manifest.config.size },
    layers,
  };
}

/** linux/amd64 when the image has it (the contract's default), else the first platform. */
export function defaultPlatform(platforms: ManifestInfo[]): ManifestInfo | undefined {
  return platforms.find((p) => p.os === 'linux' && p.architecture === 'amd64') ?? platforms[0];
}

function layerSet(status: Pick<RepositoryStatus, 'manifest' | 'platforms'> | undefined): Set<string> {
  const out = new Set<string>();
  for (const p of status?.platforms ?? (status?.manifest ? [status.manifest] : [])) for (const l of p.layers) out.add(l.digest);
  return out;
}

/**
 * Checks the cosign signature of `digest` with spec.signature's keys (any
 * one suffices; the payload must name the digest). Without spec.signature:
 * `not-checked`. With `require`, anything but `verified` throws POLICY
 * naming the image and why, before anything is copied.
 */
async function checkSignature(repository: Repository, ref: ImageReference, digest: Digest, input: SyncInput): Promise<RepositorySignatureStatus> {
  const spec = repository.spec.signature;
  const checkedAt = new Date().toISOString();
  if (!spec) return { signed: 'not-checked', digest, checkedAt };
  const keys = spec.publicKeys.map((pem, i) => parsePublicKey(pem, `spec.signature.publicKeys[${i}]`));
  const verdict = await verifyImageSignature(ref, digest, keys, input.source.ctx, { signal: input.signal });
  let result: RepositorySignatureStatus;
  if (verdict.status === 'verified') {
    result = { signed: 'verified', digest, key: keys.findIndex((k) => k.name === verdict.key), checkedAt };
    input.log('info', `signature: verified with ${verdict.key} (${verdict.where})`);
  } else {
    const message = verdict.status === 'unsigned' ? 'no cosign signature found' : verdict.reason;
    result = { signed: verdict.status, digest, message, checkedAt };
    input.log(spec.require ? 'error' : 'warn', `signature: ${verdict.status}: ${message}`);
  }
  if (spec.require && result.signed !== 'verified') {
    throw new TugError('POLICY', `${ref.toString()} (${digest}) is ${result.signed === 'unsigned' ? 'not signed' : 'not validly signed'}: ${result.message} (spec.signature.require)`, {
      hint: 'sign the image with cosign sign --key, or add the key it was signed with to spec.signature.publicKeys',
    });
  }
  return result;
}

/** Runs one sync. Throws the engine's TugError on failure (its describe() is the user's message). */
export async function syncRepository(input: SyncInput): Promise<SyncOutput> {
  const { repository, source: access, signal, log, previous } = input;
  const image = sourceImage(access.host, repository.spec.repository, repository.spec.tag);
  const ref = parseImageName(image);
  log('info', `resolving ${image}`);
  const source = await ref.newSource(access.ctx);
  let status: SyncOutput['status'];
  let selection: MirrorSelection;
  try {
    const top = await readTopLevel(source, signal);
    log('info', `${repository.spec.tag} is ${top.digest} (${top.parsed.mediaType})`);
    let platforms: ManifestInfo[];
    if (previous?.observedDigest === top.digest && previous.platforms?.length) {
      // Same digest, same content: nothing to re-read.
      log('info', 'unchanged since the last sync');
      platforms = previous.platforms;
    } else if (top.parsed.kind === 'index') {
      const entries = top.parsed.manifest.manifests.filter((d) => !isAttestation(d));
      platforms = [];
      for (const d of entries) {
        const instance = await readInstance(source, d, signal);
        const info = await describe(source, instance, signal);
        platforms.push(info);
        log('info', `${info.os}/${info.architecture}${info.variant ? `/${info.variant}` : ''}: ${info.digest}, ${info.layers.length} layers, ${info.size}`);
      }
    } else if (top.parsed.kind === 'image') {
      const info = await describe(source, { digest: top.digest, mediaType: top.parsed.mediaType, manifest: top.parsed.manifest, platform: undefined }, signal);
      platforms = [info];
      log('info', `${info.os}/${info.architecture}: ${info.layers.length} layers, ${info.size}`);
    } else {
      platforms = [];
      log('warn', 'Docker schema 1 image: platforms and layers are not described');
    }
    selection = mirrorSelection(repository.spec, platforms, top.parsed.kind === 'index', hostPlatform());
    if (repository.spec.importMode || repository.spec.platforms) log('info', `import mode ${selection.describe}`);
    status = {
      domain: access.host,
      observedDigest: top.digest,
      mediaType: top.parsed.mediaType,
      manifest: selection.shown ?? defaultPlatform(platforms),
      platforms,
      signature: await checkSignature(repository, ref, top.digest, input),
    };
  } finally {
    await source.close();
  }

  let bytesMoved = 0;
  if (input.mirror) {
    const target = `docker://${input.mirror.access.host}/${input.mirror.repository}:${input.mirror.tag}`;
    log('info', `mirroring to ${target}`);
    const result = await copyImage(ref, parseImageName(target), {
      sourceContext: access.ctx,
      destinationContext: input.mirror.access.ctx,
      multiArch: selection.multiArch,
      platforms: selection.platforms,
      platformOverride: selection.platformOverride,
      // The digest described (and whose signature was checked) is the one copied, even if the tag moves meanwhile.
      sourceDigest: status.observedDigest as Digest,
      signal,
      onEvent: (e) => {
        if (e.type === 'blob-done' && e.outcome !== 'skipped') log('info', `${e.outcome} ${e.digest} (${e.size} bytes)`);
        else if (e.type === 'transport' && e.event.type === 'retry') log('warn', `retrying ${e.event.what}: ${e.event.reason}`);
      },
    });
    bytesMoved = result.blobs.bytesCopied;
    log('info', `mirror: ${result.blobs.copied} blobs copied (${bytesMoved} bytes), ${result.blobs.skipped} already there, ${result.blobs.mounted} mounted`);
    status.mirror = { image: target.slice('docker://'.length), digest: result.digest, lastSynced: new Date().toISOString(), platforms: selection.holds };
  }

  const before = layerSet(previous);
  const after = layerSet(status);
  return {
    status,
    digestBefore: previous?.observedDigest,
    digestAfter: status.observedDigest!,
    bytesMoved,
    layersAdded: [...after].filter((d) => !before.has(d)),
    layersRemoved: [...before].filter((d) => !after.has(d)),
  };
}
