/**
 * `tug bundle create`: a sync job into a bundle. Discovery and the plan are
 * sync's (src/sync/), the copy is the engine's into a bundle destination
 * (./bundle-destination.ts), so a bundle holds exactly what `tug sync`
 * would have written. The history subtracts what the chain carried; the
 * bundle is written under a temp name beside OUT and renamed when complete,
 * and the history is updated only after that.
 */
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { TugError } from '../errors/index.ts';
import { hashFile, ioError, pathExists } from '../fs/io.ts';
import { TEMP_PREFIX, isStaleTemp, tempPathFor } from '../fs/temp-files.ts';
import { MediaType } from '../oci/media-types.ts';
import type { Digest } from '../reference/digest.ts';
import { discover, type DiscoverOptions } from '../sync/discover.ts';
import { type ExecuteOptions, type ItemResult, executePlan } from '../sync/execute.ts';
import { type Plan, assemblePlan } from '../sync/plan.ts';
import type { SyncSpec } from '../sync/spec.ts';
import { parseImageName } from '../transports/index.ts';
import { BundleJob } from './bundle-destination.ts';
import { BundleWriter } from './bundle-writer.ts';
import { BUNDLE_API_VERSION, BUNDLE_KIND, type BundleImage, type BundleManifest, DESTINATION_ANNOTATION, type ReliedBlob, bundleJson, newBundleId } from './format.ts';
import { chainKnowledge, imageKey, readHistory, writeHistory } from './history.ts';
import { PartWriter } from './parts.ts';
import { BLOCK, padding } from './tar-format.ts';

export interface CreateOptions extends Pick<DiscoverOptions, 'scoped' | 'platforms' | 'contextFor' | 'platformOverride' | 'signal'>, Omit<ExecuteOptions, 'parseName' | 'contextFor' | 'signal'> {
  /** The bundle directory to create; must not exist. */
  out: string;
  /** The history file (read, then updated after the bundle is complete); undefined: none, the bundle is full. */
  history?: string | undefined;
  /** Carry everything (parent null), whatever the history says; still recorded in it. */
  full?: boolean | undefined;
  /** Largest part in bytes (default: one part). */
  maxPartSize?: number | undefined;
  /** A file (a tug executable) to put beside the parts, listed in SHA256SUMS. */
  include?: string | undefined;
  tool: { name: string; version: string };
  /** Called once the plan is known, before anything moves (progress set-up). */
  onPlan?: ((plan: Plan) => void | Promise<void>) | undefined;
}

export interface CreateResult {
  /** The bundle written; undefined when a failure (without keepGoing) stopped it and nothing was kept. */
  bundle: BundleManifest | undefined;
  plan: Plan;
  results: ItemResult[];
  /** Bytes of every file written into OUT. */
  bytesWritten: number;
}

/** Creates the bundle. Never leaves a directory at OUT unless the bundle is complete. */
export async function createBundle(spec: SyncSpec, options: CreateOptions): Promise<CreateResult> {
  if (await pathExists(options.out)) throw new TugError('USAGE', `${options.out} exists`, { hint: 'give a new directory for the bundle (tug never writes into an existing one)' });
  const history = options.history ? await readHistory(options.history) : { bundles: [] };
  const knowledge = chainKnowledge(history);
  const full = options.full === true || knowledge.head === undefined;
  const now = new Date();
  const id = newBundleId(now, randomBytes(4).toString('hex'));
  await removeKilledBundles(dirname(resolve(options.out)));
  const tmp = tempPathFor(options.out);
  await mkdir(tmp, { recursive: true }).catch((err: unknown) => {
    throw ioError('creating', tmp, err);
  });
  try {
    const writer = new BundleWriter(new PartWriter(tmp, id, options.maxPartSize ?? Number.MAX_SAFE_INTEGER), knowledge, full);
    const job = new BundleJob(writer, id);
    const observations = await discover(spec, { destination: { target: job.target, location: '' }, scoped: options.scoped, platforms: options.platforms, contextFor: options.contextFor, platformOverride: options.platformOverride, signal: options.signal, referrers: false });

    // Images the chain already has, unchanged: counted, not carried again.
    let unchanged = 0;
    const changed = observations.filter((o) => {
      const ref = job.lookup(o.destination);
      if (full || !ref || o.error || !o.sourceDigest) return true;
      const known = knowledge.images.get(imageKey(ref.repository, ref.tag));
      if (known?.sourceDigest !== o.sourceDigest || known.platforms.join(',') !== o.platforms) return true;
      unchanged++;
      return false;
    });
    const planned = assemblePlan(changed);
    // An alias is copied from its source like any image: the bundle holds its bytes once either way.
    const plan: Plan = { ...planned, items: planned.items.map((i) => (i.action === 'retag' ? { ...i, action: 'copy' as const, after: undefined } : i)) };
    plan.counts = { copy: plan.items.filter((i) => i.action === 'copy').length, skip: 0, retag: 0, fail: plan.items.filter((i) => i.action === 'fail').length };
    await options.onPlan?.(plan);

    await writer.begin();
    // Signatures and referrers travel as the engine carries them (by default, as sync): into siblings of their subject (bundle-destination.ts).
    const results = await executePlan(plan, { ...options, signal: options.signal, parseName: (name) => job.lookup(name) ?? parseImageName(name) });
    const failed = results.some((r) => r.status === 'failed' || r.status === 'not-run');
    if (failed && !options.keepGoing) {
      await rm(tmp, { recursive: true, force: true });
      return { bundle: undefined, plan, results, bytesWritten: 0 };
    }

    const images: BundleImage[] = [];
    for (const item of plan.items) {
      const written = job.written.get(item.destination);
      if (!written || !item.sourceDigest) continue;
      let size = 0;
      for (const s of written.blobs.values()) size += s;
      for (const s of written.manifestSizes.values()) size += s;
      images.push({
        source: item.source,
        repository: written.repository,
        tag: written.tag,
        digest: written.digest,
        sourceDigest: item.sourceDigest,
        mediaType: written.mediaType,
        platforms: item.platforms.split(','),
        size,
        carriedBytes: written.carriedBytes,
        manifests: [...written.manifests],
        blobs: [...written.blobs.keys()],
      });
    }
    // The referrers the engine carried: images of the bundle too, named after their subject's source.
    const listed = new Set(images.map((i) => `${i.repository}\u0000${i.tag}`));
    for (const written of job.written.values()) {
      if (listed.has(`${written.repository}\u0000${written.tag}`)) continue;
      const subject = images.find((i) => i.repository === written.repository);
      if (!subject) continue;
      const base = subject.source.replace(/(@sha256:[a-f0-9]{64}|:[\w][\w.-]{0,127})$/, '');
      let size = 0;
      for (const s of written.blobs.values()) size += s;
      for (const s of written.manifestSizes.values()) size += s;
      images.push({
        source: `${base}${written.tag.startsWith('sha256:') ? '@' : ':'}${written.tag}`,
        repository: written.repository,
        tag: written.tag,
        digest: written.digest,
        sourceDigest: written.digest,
        mediaType: written.mediaType,
        platforms: ['all'],
        size,
        carriedBytes: written.carriedBytes,
        manifests: [...written.manifests],
        blobs: [...written.blobs.keys()],
      });
    }
    const relies = reliedOn(job, writer);
    // Only what the bundled images name: a blob written for an image that then failed (--keep-going)
    // stays in the tar unlisted, so no later bundle relies on a blob that never reached the destination.
    const named = new Set(images.flatMap((i) => [...i.manifests, ...i.blobs]));
    const carried = {
      manifests: [...writer.carriedManifests].filter(([digest]) => named.has(digest)).map(([digest, size]) => ({ digest, size })),
      blobs: [...writer.carriedBlobs].filter(([digest]) => named.has(digest)).map(([digest, size]) => ({ digest, size })),
    };
    let carriedBytes = 0;
    for (const r of [...carried.manifests, ...carried.blobs]) carriedBytes += r.size;
    let imageBytes = 0;
    for (const i of images) imageBytes += i.size;

    const index = {
      schemaVersion: 2,
      mediaType: MediaType.OciIndex,
      manifests: [...job.written.values()]
        .filter((w) => images.some((i) => i.repository === w.repository && i.tag === w.tag))
        .map((w) => {
          const name = `${w.repository}${w.tag.startsWith('sha256:') ? '@' : ':'}${w.tag}`;
          return { mediaType: w.mediaType, digest: w.digest, size: w.topSize, annotations: { 'org.opencontainers.image.ref.name': name, [DESTINATION_ANNOTATION]: name } };
        }),
    };
    const indexBytes = Buffer.from(`${JSON.stringify(index, null, 1)}\n`);
    const inner: BundleManifest = {
      apiVersion: BUNDLE_API_VERSION,
      kind: BUNDLE_KIND,
      id,
      parent: full ? null : (knowledge.head ?? null),
      created: now.toISOString(),
      tool: options.tool,
      full,
      images,
      unchanged,
      carried,
      relies,
      totals: { images: images.length, carriedBytes, tarBytes: 0, imageBytes },
    };
    // The tar's size is in bundle.json, which is in the tar: settle the number of its digits.
    const tailStart = writer.parts.position + BLOCK + indexBytes.length + padding(indexBytes.length);
    let innerBytes = Buffer.from(bundleJson(inner));
    for (let i = 0; i < 3; i++) {
      inner.totals.tarBytes = tailStart + BLOCK + innerBytes.length + padding(innerBytes.length) + 2 * BLOCK;
      innerBytes = Buffer.from(bundleJson(inner));
    }
    await writer.end(indexBytes, innerBytes);
    const parts = await writer.parts.finish();
    if (parts.reduce((n, p) => n + p.size, 0) !== inner.totals.tarBytes) throw new TugError('INTERNAL', 'bundle tar size differs from the one recorded');

    const outer: BundleManifest = { ...inner, parts };
    if (options.include) {
      const name = basename(options.include);
      const to = join(tmp, name);
      await copyFile(options.include, to).catch((err: unknown) => {
        throw ioError('including', options.include!, err);
      });
      const { digest, size } = await hashFile(to, 'sha256');
      outer.files = [{ name, size, sha256: digest.slice('sha256:'.length) }];
    }
    const outerText = bundleJson(outer);
    await writeFile(join(tmp, 'bundle.json'), outerText);
    const { digest: bundleDigest } = await hashFile(join(tmp, 'bundle.json'), 'sha256');
    const sums = [`${bundleDigest.slice(7)}  bundle.json`, ...parts.map((p) => `${p.sha256}  ${p.name}`), ...(outer.files ?? []).map((f) => `${f.sha256}  ${f.name}`)];
    await writeFile(join(tmp, 'SHA256SUMS'), `${sums.join('\n')}\n`);
    let bytesWritten = Buffer.byteLength(outerText) + Buffer.byteLength(sums.join('\n')) + 1;
    for (const p of [...parts, ...(outer.files ?? [])]) bytesWritten += p.size;
    await rename(tmp, options.out).catch((err: unknown) => {
      throw ioError('renaming the finished bundle to', options.out, err);
    });
    if (options.history) await writeHistory(options.history, { bundles: [...history.bundles, inner] });
    return { bundle: outer, plan, results, bytesWritten };
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}

/** Every blob and manifest the images need that this bundle does not carry: where the chain carried it. */
function reliedOn(job: BundleJob, writer: BundleWriter): ReliedBlob[] {
  const out = new Map<Digest, ReliedBlob>();
  for (const image of job.written.values()) {
    const need = [...[...image.blobs].map(([d, s]) => ({ d, s, kind: 'blobs' as const })), ...[...image.manifestSizes].map(([d, s]) => ({ d, s, kind: 'manifests' as const }))];
    for (const { d, s, kind } of need) {
      if (writer.carriedBlobs.has(d) || writer.carriedManifests.has(d) || out.has(d)) continue;
      const known = writer.knowledge[kind].get(d);
      if (!known) throw new TugError('INTERNAL', `${d} of ${image.repository}:${image.tag} is neither carried nor in the history`);
      out.set(d, { digest: d, size: s, bundle: known.bundle, repositories: [...known.repositories].sort() });
    }
  }
  return [...out.values()];
}

/**
 * A create killed mid-way leaves its temp directory (`.tug-tmp-PID-...`,
 * as big as the parts written so far) beside OUT: the next create there
 * removes those of dead processes (fs/temp-files.ts decides), never a live one's.
 */
async function removeKilledBundles(parent: string): Promise<void> {
  const entries = await readdir(parent, { withFileTypes: true }).catch(() => []);
  for (const e of entries) {
    if (!e.isDirectory() || !e.name.startsWith(TEMP_PREFIX)) continue;
    const path = join(parent, e.name);
    const st = await stat(path).catch(() => undefined);
    if (st && isStaleTemp(e.name, st.mtimeMs)) await rm(path, { recursive: true, force: true }).catch(() => {});
  }
}
