/**
 * Builds real images in memory: random gzip'd tar layers, configs with
 * matching diff_ids, OCI or Docker media types, single- or multi-arch, with
 * shared base layers. Deterministic for a given seed. Helpers write them to an
 * OCI layout or push them straight to a registry over plain HTTP (not with
 * Tugboat's own client, so a bug there cannot hide itself).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import tarStream from 'tar-stream';

export type Flavour = 'oci' | 'docker';

export interface Blob {
  mediaType: string;
  digest: string;
  size: number;
  bytes: Buffer;
}

export interface GeneratedManifest {
  platform: { os: string; architecture: string; variant?: string };
  config: Blob;
  layers: Blob[];
  bytes: Buffer;
  digest: string;
  mediaType: string;
}

export interface GeneratedImage {
  flavour: Flavour;
  /** The top-level document: the index when multi-arch, else the single manifest. */
  top: { bytes: Buffer; digest: string; mediaType: string };
  index?: { bytes: Buffer; digest: string; mediaType: string };
  manifests: GeneratedManifest[];
  /** Every blob (configs and layers), by digest. */
  blobs: Map<string, Blob>;
}

export const sha256 = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** Deterministic pseudo-random bytes: SHA-256 in counter mode over a seed. */
export function randomBytesFrom(seed: string, size: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  let off = 0;
  let counter = 0;
  while (off < size) {
    const block = createHash('sha256').update(`${seed}:${counter++}`).digest();
    off += block.copy(out, off);
  }
  return out;
}

async function tarOf(files: { name: string; data: Buffer }[]): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => {
    chunks.push(c as Buffer);
  });
  const done = new Promise<void>((r) => pack.on('end', () => r()));
  for (const f of files) {
    await new Promise<void>((res, rej) => pack.entry({ name: f.name, size: f.data.length, mtime: new Date(0), mode: 0o644 }, f.data, (e) => (e ? rej(e) : res())));
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

export interface LayerSpec {
  seed: string;
  size: number;
}

/** A gzip'd tar layer holding one file of `size` pseudo-random bytes; returns the blob and its diff_id. */
export async function makeLayer(spec: LayerSpec, flavour: Flavour): Promise<{ blob: Blob; diffId: string }> {
  const tar = await tarOf([{ name: `data/${spec.seed.replace(/[^a-z0-9]/gi, '_')}.bin`, data: randomBytesFrom(spec.seed, spec.size) }]);
  const gz = gzipSync(tar, { level: 1 });
  return {
    blob: {
      mediaType: flavour === 'oci' ? 'application/vnd.oci.image.layer.v1.tar+gzip' : 'application/vnd.docker.image.rootfs.diff.tar.gzip',
      digest: sha256(gz),
      size: gz.length,
      bytes: gz,
    },
    diffId: sha256(tar),
  };
}

export interface ImageSpec {
  /** Seed for the image's own layers. */
  seed: string;
  flavour?: Flavour;
  /** Platforms; more than one (or `forceIndex`) makes an index / manifest list. Default linux/amd64. */
  platforms?: { os: string; architecture: string; variant?: string }[];
  forceIndex?: boolean;
  /** Shared base layers (same seeds -> same blobs across images). */
  baseLayers?: LayerSpec[];
  /** Sizes of the image's own layers per platform (default [2048, 4096]). */
  layerSizes?: number[];
  labels?: Record<string, string>;
  env?: string[];
  created?: string;
}

const MT = {
  oci: {
    manifest: 'application/vnd.oci.image.manifest.v1+json',
    index: 'application/vnd.oci.image.index.v1+json',
    config: 'application/vnd.oci.image.config.v1+json',
  },
  docker: {
    manifest: 'application/vnd.docker.distribution.manifest.v2+json',
    index: 'application/vnd.docker.distribution.manifest.list.v2+json',
    config: 'application/vnd.docker.container.image.v1+json',
  },
};

export async function makeImage(spec: ImageSpec): Promise<GeneratedImage> {
  const flavour = spec.flavour ?? 'oci';
  const platforms = spec.platforms ?? [{ os: 'linux', architecture: 'amd64' }];
  const blobs = new Map<string, Blob>();
  const manifests: GeneratedManifest[] = [];
  for (const platform of platforms) {
    const pname = [platform.os, platform.architecture, platform.variant].filter(Boolean).join('-');
    const layers: Blob[] = [];
    const diffIds: string[] = [];
    for (const base of spec.baseLayers ?? []) {
      const l = await makeLayer({ seed: `${base.seed}:${pname}`, size: base.size }, flavour);
      layers.push(l.blob);
      diffIds.push(l.diffId);
    }
    for (const [i, size] of (spec.layerSizes ?? [2048, 4096]).entries()) {
      const l = await makeLayer({ seed: `${spec.seed}:${pname}:${i}`, size }, flavour);
      layers.push(l.blob);
      diffIds.push(l.diffId);
    }
    const config = {
      architecture: platform.architecture,
      os: platform.os,
      ...(platform.variant ? { variant: platform.variant } : {}),
      created: spec.created ?? '2025-01-07T00:00:00Z',
      config: { Env: spec.env ?? ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Labels: spec.labels ?? { 'org.opencontainers.image.title': spec.seed } },
      rootfs: { type: 'layers', diff_ids: diffIds },
      history: diffIds.map(() => ({ created: spec.created ?? '2025-01-07T00:00:00Z', created_by: 'tugboat test generator' })),
    };
    const configBytes = Buffer.from(JSON.stringify(config));
    const configBlob: Blob = { mediaType: MT[flavour].config, digest: sha256(configBytes), size: configBytes.length, bytes: configBytes };
    blobs.set(configBlob.digest, configBlob);
    for (const l of layers) blobs.set(l.digest, l);
    const strip = ({ mediaType, digest, size }: Blob) => ({ mediaType, digest, size });
    const manifest = { schemaVersion: 2, mediaType: MT[flavour].manifest, config: strip(configBlob), layers: layers.map(strip) };
    const bytes = Buffer.from(JSON.stringify(manifest, null, 2));
    manifests.push({ platform, config: configBlob, layers, bytes, digest: sha256(bytes), mediaType: MT[flavour].manifest });
  }
  const image: GeneratedImage = { flavour, top: manifests[0]!, manifests, blobs };
  if (platforms.length > 1 || spec.forceIndex) {
    const index = {
      schemaVersion: 2,
      mediaType: MT[flavour].index,
      manifests: manifests.map((m) => ({ mediaType: m.mediaType, digest: m.digest, size: m.bytes.length, platform: m.platform })),
    };
    const bytes = Buffer.from(JSON.stringify(index, null, 2));
    image.index = { bytes, digest: sha256(bytes), mediaType: MT[flavour].index };
    image.top = image.index;
  }
  return image;
}

/** Writes the image into an OCI image layout at `dir` with `org.opencontainers.image.ref.name` = tag. */
export function writeOciLayout(dir: string, image: GeneratedImage, tag: string): void {
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const put = (digest: string, bytes: Buffer) => writeFileSync(join(dir, 'blobs', 'sha256', digest.slice(7)), bytes);
  for (const b of image.blobs.values()) put(b.digest, b.bytes);
  for (const m of image.manifests) put(m.digest, m.bytes);
  if (image.index) put(image.index.digest, image.index.bytes);
  const index = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [{ mediaType: image.top.mediaType, digest: image.top.digest, size: image.top.bytes.length, annotations: { 'org.opencontainers.image.ref.name': tag } }],
  };
  writeFileSync(join(dir, 'index.json'), JSON.stringify(index));
}

export interface PushTarget {
  /** `http://127.0.0.1:PORT` */
  url: string;
  repository: string;
  tag: string;
  username?: string;
  password?: string;
  /** For HTTPS registries with a test CA. */
  dispatcher?: import('undici').Dispatcher;
}

/**
 * Pushes the image with plain HTTP calls (monolithic uploads, Basic auth),
 * independent of Tugboat's client.
 */
export async function pushImage(target: PushTarget, image: GeneratedImage): Promise<void> {
  const { fetch, headers, base, opts } = await pushSession(target);
  await pushBlobs(target, image);
  for (const m of image.manifests) {
    const res = await fetch(`${base}/manifests/${m.digest}`, { method: 'PUT', headers: { ...headers, 'content-type': m.mediaType }, body: m.bytes, ...opts });
    if (res.status !== 201) throw new Error(`push ${target.repository}: put manifest: ${res.status} ${await res.text()}`);
  }
  const res = await fetch(`${base}/manifests/${target.tag}`, { method: 'PUT', headers: { ...headers, 'content-type': image.top.mediaType }, body: image.top.bytes, ...opts });
  if (res.status !== 201) throw new Error(`push ${target.repository}:${target.tag}: ${res.status} ${await res.text()}`);
}

async function pushSession(target: Omit<PushTarget, 'tag'>) {
  const { fetch } = await import('undici');
  const headers: Record<string, string> = {};
  if (target.username) headers.authorization = `Basic ${Buffer.from(`${target.username}:${target.password ?? ''}`).toString('base64')}`;
  return { fetch, headers, base: `${target.url}/v2/${target.repository}`, opts: target.dispatcher ? { dispatcher: target.dispatcher } : {} };
}

/** Pushes only the image's blobs (what a push killed before its manifests leaves behind). */
export async function pushBlobs(target: Omit<PushTarget, 'tag'>, image: GeneratedImage): Promise<void> {
  const { fetch, headers, base, opts } = await pushSession(target);
  for (const blob of image.blobs.values()) {
    const head = await fetch(`${base}/blobs/${blob.digest}`, { method: 'HEAD', headers, ...opts });
    if (head.status === 200) continue;
    const start = await fetch(`${base}/blobs/uploads/`, { method: 'POST', headers, ...opts });
    if (start.status !== 202) throw new Error(`push ${target.repository}: start upload: ${start.status} ${await start.text()}`);
    const loc = new URL(start.headers.get('location')!, target.url);
    loc.searchParams.set('digest', blob.digest);
    const put = await fetch(loc, { method: 'PUT', headers: { ...headers, 'content-type': 'application/octet-stream' }, body: blob.bytes, ...opts });
    if (put.status !== 201) throw new Error(`push ${target.repository}: put blob: ${put.status} ${await put.text()}`);
  }
}

/** A typical two-platform OCI image with a shared base layer. */
export function multiArch(seed: string, flavour: Flavour = 'oci'): Promise<GeneratedImage> {
  return makeImage({
    seed,
    flavour,
    platforms: [
      { os: 'linux', architecture: 'amd64' },
      { os: 'linux', architecture: 'arm64', variant: 'v8' },
    ],
    baseLayers: [{ seed: 'base-os', size: 8192 }],
  });
}
