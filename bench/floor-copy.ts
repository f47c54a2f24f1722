/**
 * The floor under copying one image registry -> registry (scenario d, the
 * one big layer): what the two registries cost with no client overhead. Each
 * blob is GET from the source and its body streamed as the body of one
 * monolithic upload (POST, then a PUT carrying the stream), all blobs at
 * once; then the manifests are read and written (instances by digest, the
 * top level by tag). Nothing is asked first, nothing is verified, no
 * retries. Not a tool: a yardstick run beside `tug copy` in the same
 * benchmark, like bench/floor-sync.ts for the sync.
 *
 *   node bench/floor-copy.ts DATASET_JSON SRC_HOST DST_HOST REPO TAG
 *
 * FLOOR_HASH=1 also hashes every blob in the same pass (sha256 on the main
 * thread, as a verifying tool must) and checks it at the end: the floor for
 * a tool that verifies, to tell what hashing itself costs.
 */
import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';
import { Agent } from 'undici';
import { floorInput, httpCaller } from './floor-common.ts';
import { MANIFEST_ACCEPT } from './verify.ts';

const { dataSetFile, ds, src, dst, rest } = floorInput('floor-copy', ['REPO', 'TAG']);
const [repo, tag] = rest as [string, string];
const image = ds.tags.find((t) => t.repo === repo && t.tag === tag);
if (!image) {
  process.stderr.write(`floor-copy: ${repo}:${tag} is not in ${dataSetFile}\n`);
  process.exit(2);
}
const hashing = process.env.FLOOR_HASH === '1';
const agent = new Agent({ connections: 8 });
const call = httpCaller(agent);

async function copyBlob(digest: string): Promise<void> {
  const got = await call('GET', `${src}/v2/${repo}/blobs/${digest}`, [200]);
  const start = await call('POST', `${dst}/v2/${repo}/blobs/uploads/`, [202]);
  await start.body.dump();
  const url = new URL(String(start.headers.location), dst);
  url.searchParams.set('digest', digest);
  let body: NodeJS.ReadableStream = got.body;
  const hash = createHash('sha256');
  if (hashing) {
    body = got.body.pipe(
      new Transform({
        transform(chunk: Buffer, _enc, cb) {
          hash.update(chunk);
          cb(null, chunk);
        },
      }),
    );
  }
  const put = await call('PUT', url.toString(), [201], { body, headers: { 'content-type': 'application/octet-stream', 'content-length': String(got.headers['content-length']) } });
  await put.body.dump();
  if (hashing && `sha256:${hash.digest('hex')}` !== digest) throw new Error(`blob ${digest}: digest mismatch`);
}

async function copyManifest(ref: string, digest: string): Promise<void> {
  const res = await call('GET', `${src}/v2/${repo}/manifests/${digest}`, [200], { headers: { accept: MANIFEST_ACCEPT } });
  const bytes = Buffer.from(await res.body.arrayBuffer());
  const put = await call('PUT', `${dst}/v2/${repo}/manifests/${ref}`, [201], { body: bytes, headers: { 'content-type': String(res.headers['content-type']).split(';')[0]! } });
  await put.body.dump();
}

try {
  await Promise.all(image.blobs.map(copyBlob));
  const [top, ...instances] = image.manifests;
  await Promise.all(instances.map((d) => copyManifest(d, d)));
  await copyManifest(tag, top!);
} finally {
  await agent.close();
}
