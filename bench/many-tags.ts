/**
 * Scenario h: one small image under many tags (1,000, 3,000 and 10,000 by
 * default), synced with `--src docker --all`, cold and then as a no-op, by
 * skopeo sync and tug sync. What it measures is how memory grows with the
 * tag count (issue 14 item 7: flat), and the time per tag.
 *
 * The source is written straight into a storage tree (one config, one layer
 * and one manifest blob; per tag, the two link files the stock registry
 * reads) before its registry starts: pushing 14,000 tags over HTTP would
 * take minutes, writing the files a second or two. Each tag count is its own
 * repository, `many/app<N>`; each tool syncs it into a fresh destination
 * (`mirror/app<N>`), then re-syncs it there (the no-op).
 *
 *   BENCH_MANY_TAGS=1000,3000,10000   the tag counts (default)
 *   BENCH_MANY_TAGS_SKOPEO=1000        skopeo runs only up to this count (default 1000: it
 *                                      takes ~0.1 s per tag, 1,000 s for 10,000 tags)
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import type { TagInfo } from './dataset.ts';
import type { Verdict } from './verify.ts';
import { MANIFEST_ACCEPT } from './verify.ts';
import type { RunResult } from './results.ts';
import type { BenchContext, RunSpec } from './scenarios.ts';
import type { TestRegistry } from '../test/support/registry.ts';
import { startRegistry } from '../test/support/registry.ts';

/** The tag counts measured, smallest first (BENCH_MANY_TAGS overrides). */
export function manyTagCounts(env = process.env.BENCH_MANY_TAGS): number[] {
  const counts = (env ?? '1000,3000,10000').split(',').map((s) => Number(s.trim()));
  if (counts.some((n) => !Number.isSafeInteger(n) || n < 1 || n > 100_000)) throw new Error(`bench: BENCH_MANY_TAGS takes comma-separated tag counts from 1 to 100000, got ${env}`);
  return [...new Set(counts)].sort((a, b) => a - b);
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Writes one small OCI image and `counts` repositories of tags pointing at it into a registry storage tree at `root`. */
export function writeSource(root: string, counts: number[]): { digest: string; blobs: string[]; repos: Map<number, TagInfo[]> } {
  const v2 = join(root, 'docker', 'registry', 'v2');
  const put = (bytes: Buffer) => {
    const hex = sha256(bytes);
    const dir = join(v2, 'blobs', 'sha256', hex.slice(0, 2), hex);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'data'), bytes);
    return `sha256:${hex}`;
  };
  const link = (repo: string, parts: string[], digest: string) => {
    const dir = join(v2, 'repositories', ...repo.split('/'), ...parts);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'link'), digest);
  };
  // Compressed: an uncompressed layer is compressed on the way into a registry (by both tools), which changes the digest.
  const layer = gzipSync(randomBytes(4096));
  const layerDigest = put(layer);
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [layerDigest] }, config: {} }));
  const configDigest = put(config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layerDigest, size: layer.length }],
    }),
  );
  const digest = put(manifest);
  const hex = digest.slice(7);
  const repos = new Map<number, TagInfo[]>();
  for (const n of counts) {
    const repo = `many/app${n}`;
    for (const d of [layerDigest, configDigest]) link(repo, ['_layers', 'sha256', d.slice(7)], d);
    link(repo, ['_manifests', 'revisions', 'sha256', hex], digest);
    const tags: TagInfo[] = [];
    for (let i = 0; i < n; i++) {
      const tag = `v${i}`;
      link(repo, ['_manifests', 'tags', tag, 'current'], digest);
      link(repo, ['_manifests', 'tags', tag, 'index', 'sha256', hex], digest);
      tags.push({ repo, tag, digest, mediaType: 'application/vnd.oci.image.manifest.v1+json', platforms: ['linux/amd64'], blobs: [configDigest, layerDigest], manifests: [digest] });
    }
    repos.set(n, tags);
  }
  return { digest, blobs: [configDigest, layerDigest], repos };
}

/**
 * The destination holds every tag (the tag list, paged as the registry
 * pages it) and, for a sample of 25 tags spread over the list, the manifest
 * with the source digest; both blobs are there. Checking 10,000 tags one by
 * one would take longer than the run it checks.
 */
async function verifyMany(dest: TestRegistry, repo: string, tags: TagInfo[]): Promise<Verdict> {
  const listed = new Set<string>();
  let next: string | undefined = `/v2/${repo}/tags/list?n=1000`;
  while (next) {
    const res: Response = await fetch(new URL(next, dest.url));
    if (res.status !== 200) return { ok: false, detail: `${repo}: tag list HTTP ${res.status}` };
    for (const t of ((await res.json()) as { tags?: string[] | null }).tags ?? []) listed.add(t);
    next = res.headers.get('link')?.match(/<([^>]+)>/)?.[1];
  }
  const missing = tags.filter((t) => !listed.has(t.tag));
  if (missing.length) return { ok: false, detail: `${repo}: ${missing.length} of ${tags.length} tags missing, e.g. ${missing[0]!.tag}` };
  const sample = Array.from({ length: 25 }, (_, i) => tags[Math.floor((i * (tags.length - 1)) / 24)]!);
  for (const t of sample) {
    const res = await fetch(`${dest.url}/v2/${repo}/manifests/${t.tag}`, { headers: { accept: MANIFEST_ACCEPT } });
    const body = Buffer.from(await res.arrayBuffer());
    if (res.status !== 200 || `sha256:${sha256(body)}` !== t.digest) return { ok: false, detail: `${repo}:${t.tag}: HTTP ${res.status}, digest sha256:${sha256(body)}, source ${t.digest}` };
  }
  for (const b of tags[0]!.blobs) {
    const res = await fetch(`${dest.url}/v2/${repo}/blobs/${b}`, { method: 'HEAD' });
    if (res.status !== 200) return { ok: false, detail: `${repo} blob ${b.slice(0, 19)}: HTTP ${res.status}` };
  }
  return { ok: true, detail: `${tags.length} tags listed, 25 manifests and both blobs checked` };
}

/**
 * Runs scenario h with the bench's `run` (scenarios.ts): per tag count, tug
 * sync cold then no-op, skopeo sync cold then no-op (up to
 * BENCH_MANY_TAGS_SKOPEO tags), each once (the figure of interest is the
 * slope of peak RSS over the counts, not a median).
 */
export async function manyTagsScenario(ctx: BenchContext, run: (ctx: BenchContext, spec: RunSpec) => Promise<RunResult>, skopeoArgv: (...args: string[]) => string[]): Promise<RunResult[]> {
  const counts = manyTagCounts();
  ctx.say(`(h) one image under ${counts.map((n) => n.toLocaleString('en')).join(' / ')} tags, sync --src docker --all`);
  const root = join(ctx.work, 'h-source');
  const started = performance.now();
  const { repos } = writeSource(root, counts);
  const source = await startRegistry({ rootDirectory: root, accessLog: join(ctx.logs, 'access-h-source.log') });
  ctx.say(`  source written in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const hctx = { ...ctx, src: source as TestRegistry & { accessLog: string } };
  const out: RunResult[] = [];
  try {
    for (const n of counts) {
      const tags = repos.get(n)!;
      const repo = `many/app${n}`;
      const mirror = `mirror/app${n}`;
      const withSkopeo = n <= Number(process.env.BENCH_MANY_TAGS_SKOPEO ?? 1000);
      const tools = [
        { key: 'tug', argv: (d: TestRegistry) => [...ctx.tug, 'sync', '--all', '--src', 'docker', '--dest', 'docker', '--src-tls-verify=false', '--dest-tls-verify=false', `${source.host}/${repo}`, `${d.host}/mirror`] },
        { key: 'skopeo', argv: (d: TestRegistry) => skopeoArgv('sync', '--all', '--src', 'docker', '--dest', 'docker', '--src-tls-verify=false', '--dest-tls-verify=false', `${source.host}/${repo}`, `${d.host}/mirror`) },
      ].filter((t) => t.key === 'tug' || withSkopeo);
      for (const t of tools) {
        const dest = await ctx.startDestination(`h-${t.key}-${n}`);
        for (const pass of ['sync', 'noop'] as const) {
          out.push(
            await run(hctx, {
              id: `h/${t.key}-${pass}-${n}`, scenario: 'h', tool: `${t.key} sync --src docker, ${n.toLocaleString('en')} tags${pass === 'noop' ? ' (no-op)' : ''}`, compareTo: `h/skopeo-${pass}-${n}`,
              argv: t.argv(dest), dest, diskPath: pass === 'sync' ? dest.root : undefined, tags, bytesMoved: 0, verify: () => verifyMany(dest, mirror, tags),
            }),
          );
        }
        await dest.stop();
      }
    }
  } finally {
    await source.stop();
  }
  return out;
}
