/**
 * The benchmark's data set: a deterministic plan of repositories, tags,
 * platforms and layers (pure), and its materialisation as a distribution
 * registry storage tree (`docker/registry/v2/...`) that a stock
 * `docker-registry` serves as is. Writing the tree directly is much faster
 * than pushing 1.3 GB over HTTP, and it does not use Tugboat's code, so a bug
 * there cannot shape the data it is measured on.
 *
 * The tree is cached under bench/.data/<key>/ (git-ignored); the key covers
 * the plan and the generator version, so a changed plan regenerates.
 */
import { createCipheriv, createHash } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';

/** Bumped whenever the bytes a plan produces change. */
const GENERATOR_VERSION = 2;
const MiB = 1024 * 1024;

export type Flavour = 'oci' | 'docker';

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface LayerPlan {
  /** Same seed -> same blob, whichever image names it. */
  seed: string;
  /** Bytes of the file inside the tar (the blob is slightly larger). */
  size: number;
}

export interface ImagePlan {
  platform: Platform;
  layers: LayerPlan[];
}

export interface TagPlan {
  tag: string;
  /** Another tag of the same repository this one is an alias of (same digest). */
  aliasOf?: string;
  /** One entry: a plain manifest; more: an index. */
  images: ImagePlan[];
  /** Write an index even for one platform. */
  index: boolean;
}

export interface RepoPlan {
  name: string;
  flavour: Flavour;
  tags: TagPlan[];
}

export interface DataSetPlan {
  scale: number;
  repos: RepoPlan[];
  /** The repository holding the one-big-layer image (scenario d). */
  big: { repo: string; tag: string };
}

const AMD64: Platform = { os: 'linux', architecture: 'amd64' };
const ARM64: Platform = { os: 'linux', architecture: 'arm64', variant: 'v8' };
const ARMV7: Platform = { os: 'linux', architecture: 'arm', variant: 'v7' };
const platformName = (p: Platform) => [p.os, p.architecture, p.variant].filter(Boolean).join('/');

/** Base OS layer sets (MiB per layer, per platform), shared by many repositories. */
const BASES: Record<string, number[]> = {
  debian: [22, 4],
  ubuntu: [20, 5, 0.4],
  alpine: [5.5],
  distroless: [12, 1.5],
};
/** Language runtimes on top of a base, shared by some repositories. */
const RUNTIMES: Record<string, number[]> = {
  python: [14],
  node: [10, 3],
  jre: [24],
};

const NAMESPACES = ['platform', 'data', 'web', 'edge', 'infra/monitoring', 'ml'];
const NAMES = [
  'api-gateway', 'auth', 'billing', 'catalog', 'checkout', 'config-server', 'coredns', 'dashboard',
  'etcd-backup', 'event-router', 'exporter', 'fluent-bit', 'frontend', 'geo', 'grafana-agent', 'ingress',
  'inventory', 'kafka-connect', 'ledger', 'loki-canary', 'mailer', 'metrics-proxy', 'notifier', 'orders',
  'payments', 'pdf-render', 'profile', 'query', 'queue-worker', 'rate-limiter', 'recommender', 'reports',
  'scheduler', 'search', 'session', 'shipping', 'sidecar', 'storage-gc', 'thumbnailer', 'tracing', 'uploader',
  'webhook',
];

/** mulberry32: a tiny deterministic PRNG, so the plan does not depend on Math.random. */
function prng(seed: string): () => number {
  let a = createHash('sha256').update(seed).digest().readUInt32LE(0);
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The data set, as a pure function of `scale` (1 = ~1300 MiB of unique blobs,
 * ~400 MiB of it the single big layer). Every size is multiplied by `scale`,
 * so a quick run has the same repositories, tags and request pattern.
 */
export function planDataSet(scale: number): DataSetPlan {
  const rand = prng('tugboat-bench');
  const logUniform = (minMiB: number, maxMiB: number) => Math.exp(Math.log(minMiB) + rand() * (Math.log(maxMiB) - Math.log(minMiB)));
  const bytes = (mib: number) => Math.max(1024, Math.round(mib * MiB * scale));
  const baseNames = Object.keys(BASES);
  const runtimeNames = Object.keys(RUNTIMES);
  const repos: RepoPlan[] = [];
  for (const [i, name] of NAMES.entries()) {
    const ns = NAMESPACES[i % (NAMESPACES.length - 1)]!;
    const base = baseNames[i % baseNames.length]!;
    // every third repository has no runtime; the others cycle through them
    const runtime = i % 3 === 2 ? undefined : runtimeNames[i % runtimeNames.length];
    const platforms = i % 3 === 1 ? [AMD64, ARM64, ARMV7] : [AMD64, ARM64];
    const depsMiB = logUniform(0.3, 5);
    const tagCount = i % 5 === 0 || i % 7 === 0 ? 3 : 2;
    const tags: TagPlan[] = [];
    for (let t = 0; t < tagCount; t++) {
      const tag = `v1.${t}.${i % 4}`;
      // a few repositories carry `latest` as an alias of their newest version, as real mirrors do
      if (t === 2 && i % 10 === 0) {
        tags.push({ tag: 'latest', aliasOf: tags[1]!.tag, images: tags[1]!.images, index: true });
        continue;
      }
      const appMiB = logUniform(0.1, 6);
      const cfgMiB = logUniform(0.1, 0.4);
      const images = platforms.map((platform) => {
        const p = platformName(platform);
        const layers: LayerPlan[] = [
          ...BASES[base]!.map((mib, k) => ({ seed: `base/${base}/${k}/${p}`, size: bytes(mib) })),
          ...(runtime ? RUNTIMES[runtime]!.map((mib, k) => ({ seed: `runtime/${runtime}/${k}/${p}`, size: bytes(mib) })) : []),
          // dependencies change rarely: shared by every tag of the repository
          { seed: `deps/${name}/${p}`, size: bytes(depsMiB) },
          { seed: `app/${name}/${tag}/${p}`, size: bytes(appMiB) },
          { seed: `files/${name}/${tag}/${p}`, size: bytes(cfgMiB) },
        ];
        return { platform, layers };
      });
      tags.push({ tag, images, index: true });
    }
    repos.push({ name: `${ns}/${name}`, flavour: i % 2 === 0 ? 'oci' : 'docker', tags });
  }
  const big = { repo: 'ml/model-weights', tag: 'v3' };
  repos.push({
    name: big.repo,
    flavour: 'oci',
    tags: [{ tag: big.tag, index: false, images: [{ platform: AMD64, layers: [{ seed: 'big/model-weights', size: bytes(400) }] }] }],
  });
  return { scale, repos, big };
}

export interface BlobInfo {
  digest: string;
  size: number;
  kind: 'layer' | 'config';
}

export interface TagInfo {
  repo: string;
  tag: string;
  digest: string;
  mediaType: string;
  platforms: string[];
  /** Every blob (configs and layers) the tag references. */
  blobs: string[];
  /** Every manifest (index and instances) the tag references. */
  manifests: string[];
}

/** What was generated: the facts the report and the checks use. */
export interface DataSet {
  key: string;
  scale: number;
  /** Storage root to serve with `docker-registry` (rootdirectory). */
  root: string;
  repos: { name: string; flavour: Flavour; tags: string[] }[];
  tags: TagInfo[];
  blobs: BlobInfo[];
  uniqueBlobBytes: number;
  manifestCount: number;
  big: { repo: string; tag: string; digest: string; bytes: number; layerBytes: number };
  generatedInSeconds: number;
}

const MT = {
  oci: {
    manifest: 'application/vnd.oci.image.manifest.v1+json',
    index: 'application/vnd.oci.image.index.v1+json',
    config: 'application/vnd.oci.image.config.v1+json',
    layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
  },
  docker: {
    manifest: 'application/vnd.docker.distribution.manifest.v2+json',
    index: 'application/vnd.docker.distribution.manifest.list.v2+json',
    config: 'application/vnd.docker.container.image.v1+json',
    layer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  },
};

const sha256 = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** A ustar header for one regular file (POSIX.1-1988), mtime 0, so layers are reproducible. */
function tarHeader(name: string, size: number): Buffer {
  const h = Buffer.alloc(512);
  const field = (value: string, offset: number, length: number) => h.write(value, offset, length, 'ascii');
  const octal = (n: number, length: number) => n.toString(8).padStart(length - 1, '0');
  field(name, 0, 100);
  field(octal(0o644, 8), 100, 8);
  field(octal(0, 8), 108, 8);
  field(octal(0, 8), 116, 8);
  field(octal(size, 12), 124, 12);
  field(octal(0, 12), 136, 12);
  field('        ', 148, 8); // checksum is computed with this field as spaces
  field('0', 156, 1);
  field('ustar\u000000', 257, 8);
  let sum = 0;
  for (const byte of h) sum += byte;
  field(`${octal(sum, 7)}\u0000 `, 148, 8);
  return h;
}

/**
 * A gzip'd tar with one file of `size` pseudo-random bytes (AES-256-CTR
 * keystream keyed by the seed: deterministic and fast). Streams to `path`;
 * returns the blob digest and size and the diff_id.
 */
async function writeLayer(seed: string, size: number, path: string): Promise<{ digest: string; size: number; diffId: string }> {
  const diff = createHash('sha256');
  const blob = createHash('sha256');
  let blobSize = 0;
  const key = createHash('sha256').update(`tugboat-bench-layer:${seed}`).digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  const chunk = 4 * MiB;
  const zeros = Buffer.alloc(chunk);
  function* tar(): Generator<Buffer> {
    const header = tarHeader(`data/${seed.replace(/[^a-z0-9.-]/gi, '_').slice(0, 90)}.bin`, size);
    diff.update(header);
    yield header;
    for (let left = size; left > 0; left -= chunk) {
      const part = cipher.update(left >= chunk ? zeros : zeros.subarray(0, left));
      diff.update(part);
      yield part;
    }
    const tail = Buffer.alloc((512 - (size % 512)) % 512 + 1024);
    diff.update(tail);
    yield tail;
  }
  await pipeline(
    Readable.from(tar()),
    createGzip({ level: 1 }),
    async function* (source: AsyncIterable<Buffer>) {
      for await (const c of source) {
        blob.update(c);
        blobSize += c.length;
        yield c;
      }
    },
    createWriteStream(path),
  );
  return { digest: `sha256:${blob.digest('hex')}`, size: blobSize, diffId: `sha256:${diff.digest('hex')}` };
}

/** Writes files of the distribution storage layout (docker/registry/v2). */
class StorageWriter {
  readonly v2: string;
  constructor(root: string) {
    this.v2 = join(root, 'docker', 'registry', 'v2');
  }
  blobPath(digest: string): string {
    const hex = digest.slice('sha256:'.length);
    return join(this.v2, 'blobs', 'sha256', hex.slice(0, 2), hex, 'data');
  }
  hasBlob(digest: string): boolean {
    return existsSync(this.blobPath(digest));
  }
  /** Moves a finished temp file into place as blob `digest`. */
  adoptBlob(tempPath: string, digest: string): void {
    const path = this.blobPath(digest);
    if (existsSync(path)) {
      rmSync(tempPath);
      return;
    }
    mkdirSync(join(path, '..'), { recursive: true });
    renameSync(tempPath, path);
  }
  putBlob(bytes: Buffer): string {
    const digest = sha256(bytes);
    const path = this.blobPath(digest);
    if (!existsSync(path)) {
      mkdirSync(join(path, '..'), { recursive: true });
      writeFileSync(path, bytes);
    }
    return digest;
  }
  private link(repo: string, parts: string[], digest: string): void {
    const dir = join(this.v2, 'repositories', ...repo.split('/'), ...parts);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'link'), digest);
  }
  /** `_layers` link: makes the blob readable through `repo` (configs need one too). */
  linkLayer(repo: string, digest: string): void {
    this.link(repo, ['_layers', 'sha256', digest.slice(7)], digest);
  }
  linkManifest(repo: string, digest: string): void {
    this.link(repo, ['_manifests', 'revisions', 'sha256', digest.slice(7)], digest);
  }
  tag(repo: string, tag: string, digest: string): void {
    this.link(repo, ['_manifests', 'tags', tag, 'current'], digest);
    this.link(repo, ['_manifests', 'tags', tag, 'index', 'sha256', digest.slice(7)], digest);
  }
}

/** The cache key: the plan itself (sizes included) and the generator version. */
export function dataSetKey(plan: DataSetPlan): string {
  return `s${plan.scale}-${createHash('sha256').update(JSON.stringify({ GENERATOR_VERSION, plan })).digest('hex').slice(0, 12)}`;
}

/**
 * Returns the data set for `plan`, generating it under `cacheDir` when it is
 * not there yet. Generation writes into a temp directory and renames it into
 * place when complete, so an interrupted run never leaves a half data set.
 */
export async function materialise(plan: DataSetPlan, cacheDir: string, log: (line: string) => void): Promise<DataSet> {
  const key = dataSetKey(plan);
  const dir = join(cacheDir, key);
  const infoPath = join(dir, 'dataset.json');
  if (existsSync(infoPath)) return JSON.parse(readFileSync(infoPath, 'utf8')) as DataSet;

  const started = performance.now();
  // leftovers of interrupted generations
  mkdirSync(cacheDir, { recursive: true });
  for (const entry of readdirSync(cacheDir)) if (entry.includes('.partial-')) rmSync(join(cacheDir, entry), { recursive: true, force: true });
  const work = join(cacheDir, `${key}.partial-${process.pid}`);
  const root = join(work, 'storage');
  const store = new StorageWriter(root);
  mkdirSync(join(store.v2, 'blobs'), { recursive: true });
  const scratch = join(work, 'scratch');
  mkdirSync(scratch, { recursive: true });

  const layers = new Map<string, { digest: string; size: number; diffId: string }>();
  const blobs = new Map<string, BlobInfo>();
  const manifests = new Set<string>();
  const tags: TagInfo[] = [];
  const repoInfo: DataSet['repos'] = [];
  let done = 0;
  const layerTotal = new Set(plan.repos.flatMap((r) => r.tags.flatMap((t) => t.images.flatMap((i) => i.layers.map((l) => l.seed))))).size;

  for (const repo of plan.repos) {
    const mt = MT[repo.flavour];
    const written = new Map<string, TagInfo>();
    for (const tagPlan of repo.tags) {
      if (tagPlan.aliasOf) {
        const target = written.get(tagPlan.aliasOf)!;
        store.tag(repo.name, tagPlan.tag, target.digest);
        tags.push({ ...target, tag: tagPlan.tag });
        continue;
      }
      const instances: { digest: string; size: number; platform: Platform; blobs: string[] }[] = [];
      for (const image of tagPlan.images) {
        const descs: { mediaType: string; digest: string; size: number }[] = [];
        const diffIds: string[] = [];
        for (const l of image.layers) {
          let made = layers.get(l.seed);
          if (!made) {
            const temp = join(scratch, 'layer');
            made = await writeLayer(l.seed, l.size, temp);
            store.adoptBlob(temp, made.digest);
            layers.set(l.seed, made);
            blobs.set(made.digest, { digest: made.digest, size: made.size, kind: 'layer' });
            done++;
            if (done % 50 === 0 || made.size > 100 * MiB) log(`  generated ${done}/${layerTotal} layers`);
          }
          store.linkLayer(repo.name, made.digest);
          descs.push({ mediaType: mt.layer, digest: made.digest, size: made.size });
          diffIds.push(made.diffId);
        }
        const config = Buffer.from(
          JSON.stringify({
            architecture: image.platform.architecture,
            os: image.platform.os,
            ...(image.platform.variant ? { variant: image.platform.variant } : {}),
            created: '2025-01-07T00:00:00Z',
            config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Labels: { 'org.opencontainers.image.title': repo.name, 'org.opencontainers.image.version': tagPlan.tag } },
            rootfs: { type: 'layers', diff_ids: diffIds },
            history: diffIds.map(() => ({ created: '2025-01-07T00:00:00Z', created_by: 'tugboat bench generator' })),
          }),
        );
        const configDigest = store.putBlob(config);
        store.linkLayer(repo.name, configDigest);
        blobs.set(configDigest, { digest: configDigest, size: config.length, kind: 'config' });
        const manifest = Buffer.from(
          JSON.stringify({ schemaVersion: 2, mediaType: mt.manifest, config: { mediaType: mt.config, digest: configDigest, size: config.length }, layers: descs }, null, 3),
        );
        const digest = store.putBlob(manifest);
        store.linkManifest(repo.name, digest);
        manifests.add(digest);
        instances.push({ digest, size: manifest.length, platform: image.platform, blobs: [configDigest, ...descs.map((d) => d.digest)] });
      }
      let top: { digest: string; mediaType: string };
      if (tagPlan.index) {
        const index = Buffer.from(
          JSON.stringify(
            { schemaVersion: 2, mediaType: mt.index, manifests: instances.map((m) => ({ mediaType: mt.manifest, digest: m.digest, size: m.size, platform: m.platform })) },
            null,
            3,
          ),
        );
        const digest = store.putBlob(index);
        store.linkManifest(repo.name, digest);
        manifests.add(digest);
        top = { digest, mediaType: mt.index };
      } else {
        top = { digest: instances[0]!.digest, mediaType: mt.manifest };
      }
      store.tag(repo.name, tagPlan.tag, top.digest);
      const info: TagInfo = {
        repo: repo.name,
        tag: tagPlan.tag,
        digest: top.digest,
        mediaType: top.mediaType,
        platforms: tagPlan.images.map((i) => platformName(i.platform)),
        blobs: [...new Set(instances.flatMap((m) => m.blobs))],
        manifests: [...(tagPlan.index ? [top.digest] : []), ...instances.map((m) => m.digest)],
      };
      written.set(tagPlan.tag, info);
      tags.push(info);
    }
    repoInfo.push({ name: repo.name, flavour: repo.flavour, tags: repo.tags.map((t) => t.tag) });
  }
  rmSync(scratch, { recursive: true, force: true });

  const bigTag = tags.find((t) => t.repo === plan.big.repo && t.tag === plan.big.tag)!;
  const bigLayer = layers.get(plan.repos.find((r) => r.name === plan.big.repo)!.tags[0]!.images[0]!.layers[0]!.seed)!;
  const info: DataSet = {
    key,
    scale: plan.scale,
    root: join(dir, 'storage'),
    repos: repoInfo,
    tags,
    blobs: [...blobs.values()],
    uniqueBlobBytes: [...blobs.values()].reduce((s, b) => s + b.size, 0),
    manifestCount: manifests.size,
    big: { repo: bigTag.repo, tag: bigTag.tag, digest: bigTag.digest, bytes: bigTag.blobs.reduce((s, d) => s + blobs.get(d)!.size, 0), layerBytes: bigLayer.size },
    generatedInSeconds: (performance.now() - started) / 1000,
  };
  writeFileSync(join(work, 'dataset.json'), `${JSON.stringify(info, null, 1)}\n`);
  rmSync(dir, { recursive: true, force: true });
  renameSync(work, dir);
  return info;
}
