/**
 * The floor under a no-op re-sync of the data set: what any client must ask
 * to learn that nothing changed, and nothing else. Per tag one HEAD of the
 * manifest at the source and one at the destination (skopeo sync's naming,
 * `mirror/<last path component>`), the two Docker-Content-Digest headers
 * compared; 16 tags in flight on keep-alive connections, as tug's discovery
 * runs. No pings, no auth, no tag lists, no retries, no output per tag. Not a
 * tool: a yardstick that scenario g runs beside `tug sync` (issue 14 item 7:
 * the no-op within 1.2x of a plain script making the same HEADs).
 *
 *   node bench/floor-noop.ts DATASET_JSON SRC_HOST DST_HOST
 *
 * Exits 1 when a tag differs or is missing at the destination (then it was
 * no no-op), naming the first one.
 */
import pLimit from 'p-limit';
import { Agent, request } from 'undici';
import { floorInput } from './floor-common.ts';
import { MANIFEST_ACCEPT } from './verify.ts';

const { ds, src, dst } = floorInput('floor-noop');
const agent = new Agent({ connections: 16 });
const headers = { accept: MANIFEST_ACCEPT };

async function digestAt(base: string, repo: string, tag: string): Promise<string | undefined> {
  const res = await request(`${base}/v2/${repo}/manifests/${tag}`, { method: 'HEAD', dispatcher: agent, reset: false, headers });
  await res.body.dump();
  const digest = res.headers['docker-content-digest'];
  return res.statusCode === 200 && typeof digest === 'string' ? digest : undefined;
}

const limit = pLimit(16);
const differing = (
  await Promise.all(
    ds.tags.map((t) =>
      limit(async () => {
        const [at, mirrored] = await Promise.all([digestAt(src, t.repo, t.tag), digestAt(dst, `mirror/${t.repo.split('/').pop()}`, t.tag)]);
        return at !== undefined && at === mirrored ? undefined : `${t.repo}:${t.tag} (source ${at ?? 'missing'}, destination ${mirrored ?? 'missing'})`;
      }),
    ),
  )
).filter((x) => x !== undefined);
await agent.close();
if (differing.length > 0) {
  process.stderr.write(`floor-noop: ${differing.length} of ${ds.tags.length} tags differ, e.g. ${differing[0]}\n`);
  process.exit(1);
}
process.stdout.write(`floor-noop: ${ds.tags.length} tags unchanged\n`);
