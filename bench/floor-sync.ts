/**
 * The floor under a cold registry-to-registry sync of the data set: the work
 * no client can spare the two registries. Each unique blob is read once and
 * uploaded once (POST + streaming PUT) into the first repository that needs
 * it and mounted into every other; each manifest is read once and written
 * once per repository, instances by digest, the top level by tag. Nothing is
 * asked first (no HEAD, no tag check), nothing is hashed or verified, no
 * retries. Not a tool: a yardstick, run in the same benchmark so that tug's
 * and skopeo's times can be read against what the registries themselves cost
 * on this machine at that moment (a stock registry spends ~7 ms of CPU per
 * MiB it receives, see `npm run bench:registry`).
 *
 *   node bench/floor-sync.ts DATASET_JSON SRC_HOST DST_HOST
 *
 * Same shape as tug's defaults: 4 images at once, 6 blobs per image, 8
 * uploads into the destination at once (FLOOR_IMAGES and FLOOR_UPLOADS try
 * others). Destination repositories follow skopeo sync's naming
 * (`mirror/<last path component>`).
 */
import pLimit from 'p-limit';
import { Agent } from 'undici';
import type { TagInfo } from './dataset.ts';
import { floorInput, httpCaller } from './floor-common.ts';
import { MANIFEST_ACCEPT } from './verify.ts';

const { ds, src, dst } = floorInput('floor-sync');
const agent = new Agent({ connections: 32 });
const call = httpCaller(agent);

const mirror = (repo: string) => `mirror/${repo.split('/').pop()}`;
const uploads = pLimit(Number(process.env.FLOOR_UPLOADS ?? 8));
/** digest -> the destination repository it was uploaded into (settles when the upload is done). */
const homes = new Map<string, Promise<string>>();
/** `repo@digest` placements already made or under way (one per repository). */
const placed = new Map<string, Promise<void>>();
const manifests = new Map<string, Promise<{ bytes: Buffer; mediaType: string }>>();

async function upload(digest: string, from: string, to: string): Promise<void> {
  const got = await call('GET', `${src}/v2/${from}/blobs/${digest}`, [200]);
  const start = await call('POST', `${dst}/v2/${to}/blobs/uploads/`, [202]);
  await start.body.dump();
  const url = new URL(String(start.headers.location), dst);
  url.searchParams.set('digest', digest);
  const put = await call('PUT', url.toString(), [201], { body: got.body, headers: { 'content-type': 'application/octet-stream', 'content-length': String(got.headers['content-length']) } });
  await put.body.dump();
}

function placeBlob(digest: string, from: string, to: string): Promise<void> {
  const key = `${to}@${digest}`;
  let p = placed.get(key);
  if (p) return p;
  const home = homes.get(digest);
  if (!home) {
    const uploaded = uploads(() => upload(digest, from, to)).then(() => to);
    homes.set(digest, uploaded);
    p = uploaded.then(() => undefined);
  } else {
    p = home.then(async (h) => {
      const res = await call('POST', `${dst}/v2/${to}/blobs/uploads/?mount=${digest}&from=${h}`, [201]);
      await res.body.dump();
    });
  }
  placed.set(key, p);
  return p;
}

function manifest(repo: string, digest: string) {
  let m = manifests.get(digest);
  if (!m) {
    m = call('GET', `${src}/v2/${repo}/manifests/${digest}`, [200], { headers: { accept: MANIFEST_ACCEPT } }).then(async (res) => ({
      bytes: Buffer.from(await res.body.arrayBuffer()),
      mediaType: String(res.headers['content-type']).split(';')[0]!,
    }));
    manifests.set(digest, m);
  }
  return m;
}

/** `repo@digest` -> the last manifest write of that digest into that repository. */
const manifestWrites = new Map<string, Promise<void>>();

/**
 * Writes a manifest; an instance by digest once per repository. Writes of one
 * digest into one repository (an alias tag and its target share every
 * manifest) go one after another: the stock registry corrupts its link file
 * when two run at once, as it does for blobs.
 */
function putManifest(repo: string, ref: string, m: { bytes: Buffer; mediaType: string }, digest: string): Promise<void> {
  const key = `${repo}@${digest}`;
  const before = manifestWrites.get(key);
  if (before && ref === digest) return before;
  const write = (before ?? Promise.resolve()).then(async () => {
    const res = await call('PUT', `${dst}/v2/${repo}/manifests/${ref}`, [201], { body: m.bytes, headers: { 'content-type': m.mediaType } });
    await res.body.dump();
  });
  manifestWrites.set(key, write);
  return write;
}

async function syncTag(t: TagInfo): Promise<void> {
  const to = mirror(t.repo);
  const blobs = pLimit(6);
  await Promise.all(t.blobs.map((d) => blobs(() => placeBlob(d, t.repo, to))));
  const [top, ...instances] = t.manifests;
  await Promise.all(instances.map(async (d) => putManifest(to, d, await manifest(t.repo, d), d)));
  await putManifest(to, t.tag, await manifest(t.repo, top!), top!);
}

// Largest first, as tug schedules, so the big image is not a lone tail.
const size = new Map(ds.blobs.map((b) => [b.digest, b.size]));
const weight = (t: TagInfo) => t.blobs.reduce((n, d) => n + (size.get(d) ?? 0), 0);
const images = pLimit(Number(process.env.FLOOR_IMAGES ?? 4));
try {
  await Promise.all([...ds.tags].sort((a, b) => weight(b) - weight(a)).map((t) => images(() => syncTag(t))));
} finally {
  await agent.close();
}
