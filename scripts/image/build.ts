/**
 * Builds the `tug` image into an OCI image layout with the project's own
 * OCI layout destination (src/transports/oci-layout/): blobs verified
 * against their digests as they are stored, then manifests, then the index,
 * then the index.json entry, as `tug copy` writes. One image per
 * architecture given, all in one index.
 *
 * Two layers per image: the base (libraries, users, CA bundle), which
 * changes with the build host's Debian, and the binary, which changes with
 * every release; a registry that has one keeps it across pushes.
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { type Descriptor, type ImageIndex, type ImageManifest, encodeManifest } from '../../src/oci/manifest.ts';
import { MediaType } from '../../src/oci/media-types.ts';
import { digestBytes, verifyingStream } from '../../src/oci/verify.ts';
import { ociLayoutTransport } from '../../src/transports/oci-layout/oci-layout-transport.ts';
import { type LayerEntry, buildLayer } from './layer.ts';
import { ARCHES, type ArchSpec, DATA_DIR, NONROOT_UID, baseEntries } from './rootfs.ts';

export const ENTRYPOINT = '/usr/local/bin/tug';
export const PORT = 8080;

export interface BuildImageOptions {
  /** The layout directory (created if missing) and the ref.name inside it, e.g. `tugboat/tug:0.1.0`. */
  layout: string;
  ref: string;
  /** The single-file executable per architecture; at least one. */
  binaries: Partial<Record<keyof typeof ARCHES, string>>;
  /** org.opencontainers.image.version. */
  version: string;
  /** org.opencontainers.image.revision (a commit), if known. */
  revision?: string | undefined;
  /** org.opencontainers.image.source (the repository URL), if known. */
  source?: string | undefined;
  /** gzip level of the layers (default 9). */
  level?: number | undefined;
}

export interface BuiltImage {
  /** The index the ref names. */
  index: Descriptor;
  /** One image manifest per architecture, with its config and layers. */
  images: { arch: string; manifest: Descriptor; config: Descriptor; layers: Descriptor[] }[];
}

/** The image's OCI annotations / labels (the same set on the manifest, the index and the config's Labels). */
function annotationsOf(o: BuildImageOptions): Record<string, string> {
  return {
    'org.opencontainers.image.title': 'tug',
    'org.opencontainers.image.description': 'Tugboat: tug, the image mover, and tug serve',
    'org.opencontainers.image.version': o.version,
    'org.opencontainers.image.licenses': 'Apache-2.0',
    ...(o.revision ? { 'org.opencontainers.image.revision': o.revision } : {}),
    ...(o.source ? { 'org.opencontainers.image.source': o.source } : {}),
  };
}

/** The image config (image-spec config.md): how a runtime starts tug serve, as the nonroot user. */
export function imageConfig(arch: ArchSpec, diffIds: readonly string[], labels: Record<string, string>): object {
  return {
    architecture: arch.oci,
    os: 'linux',
    config: {
      User: `${NONROOT_UID}:${NONROOT_UID}`,
      Entrypoint: [ENTRYPOINT],
      Cmd: ['serve', `--listen=0.0.0.0:${PORT}`, `--data=${DATA_DIR}`],
      // NODE_EXTRA_CA_CERTS: registries signed by a CA added to this bundle (or a bundle mounted over it) are trusted too.
      Env: ['PATH=/usr/local/bin:/usr/bin:/bin', 'HOME=/home/nonroot', `NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt`],
      ExposedPorts: { [`${PORT}/tcp`]: {} },
      WorkingDir: DATA_DIR,
      StopSignal: 'SIGTERM',
      Labels: labels,
    },
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: [{ created_by: 'tugboat scripts/image: base (shared libraries, passwd, CA bundle)' }, { created_by: `tugboat scripts/image: ${ENTRYPOINT}` }],
  };
}

/** Builds the image for every binary given and writes it into `options.layout` under `options.ref`. */
export async function buildImage(options: BuildImageOptions): Promise<BuiltImage> {
  const arches = (Object.keys(ARCHES) as (keyof typeof ARCHES)[]).filter((a) => options.binaries[a] !== undefined);
  if (arches.length === 0) throw new Error('buildImage: no binary given');
  const annotations = annotationsOf(options);
  const scratch = await mkdtemp(join(tmpdir(), 'tug-image-'));
  const dest = await ociLayoutTransport.parse(`${options.layout}:${options.ref}`).newDestination({});
  try {
    const putBlob = async (desc: Descriptor, file: string) => {
      // The destination stores the bytes only if they still hash to what the layer builder measured.
      await dest.putBlob(desc, createReadStream(file).pipe(verifyingStream(desc, `blob ${desc.digest}`)));
    };
    const putJson = async (doc: object, mediaType: string, instance: boolean): Promise<Descriptor> => {
      const bytes = encodeManifest(doc);
      const digest = digestBytes(bytes);
      if (mediaType === MediaType.OciConfig) await dest.putBlob({ mediaType, digest, size: bytes.byteLength }, Readable.from([bytes]).pipe(verifyingStream({ digest, size: bytes.byteLength }, `config ${digest}`)));
      else await dest.putManifest({ bytes, mediaType, digest }, { instance });
      return { mediaType, digest, size: bytes.byteLength };
    };
    const images: BuiltImage['images'] = [];
    for (const a of arches) {
      const arch = ARCHES[a];
      const binary = options.binaries[a]!;
      const app: LayerEntry[] = [{ path: ENTRYPOINT.slice(1), type: 'file', mode: 0o755, from: binary }];
      const base = await buildLayer(baseEntries(binary, arch), { dir: scratch, name: `${a}-base`, level: options.level });
      const top = await buildLayer(app, { dir: scratch, name: `${a}-tug`, level: options.level });
      for (const l of [base, top]) await putBlob(l.descriptor, l.file);
      const config = await putJson(imageConfig(arch, [base.diffId, top.diffId], annotations), MediaType.OciConfig, true);
      const manifest: ImageManifest = { schemaVersion: 2, mediaType: MediaType.OciManifest, config, layers: [base.descriptor, top.descriptor], annotations };
      const desc = await putJson(manifest, MediaType.OciManifest, true);
      images.push({ arch: a, manifest: desc, config, layers: [base.descriptor, top.descriptor] });
    }
    const index: ImageIndex = {
      schemaVersion: 2,
      mediaType: MediaType.OciIndex,
      manifests: images.map((i) => ({ ...i.manifest, platform: { architecture: ARCHES[i.arch as keyof typeof ARCHES].oci, os: 'linux' } })),
      annotations,
    };
    const top = await putJson(index, MediaType.OciIndex, false);
    await dest.commit();
    return { index: top, images };
  } finally {
    await dest.close();
    await rm(scratch, { recursive: true, force: true });
  }
}
