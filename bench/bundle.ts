/**
 * Scenario f: `tug bundle` (issue 14). Create a bundle of the bench list
 * (wall, CPU, peak RSS, bytes written) beside `tug sync --dest oci` of the
 * same list; apply it into an empty registry beside a registry -> registry
 * `tug sync` run next to it; then an incremental bundle of the unchanged
 * list with the history of the first (its bytes: "a few kilobytes").
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { TagInfo } from './dataset.ts';
import type { RunResult, TargetResult } from './results.ts';
import type { BenchContext, RunSpec } from './scenarios.ts';
import type { Verdict } from './verify.ts';
import { verifyOciLayouts, verifyRegistry } from './verify.ts';

/** An unchanged list's bundle must stay below this (bundle.json, SHA256SUMS and a tar of index.json and bundle.json). */
export const BUNDLE_NOOP_LIMIT = 16 * 1024;

export const BUNDLE_TARGETS = {
  noop: `an unchanged image list gives a bundle of a few kilobytes (limit ${BUNDLE_NOOP_LIMIT / 1024} KiB)`,
};

/** What bundle.json says about the bundle in `dir`: all its images there, its part sizes adding up. */
function verifyBundle(dir: string, tags: TagInfo[], expectImages: number): Verdict {
  try {
    const b = JSON.parse(readFileSync(join(dir, 'bundle.json'), 'utf8')) as { images: unknown[]; unchanged: number; parts: { size: number }[]; totals: { tarBytes: number } };
    const tar = b.parts.reduce((n, p) => n + p.size, 0);
    if (tar !== b.totals.tarBytes) return { ok: false, detail: `parts add up to ${tar} bytes, bundle.json says ${b.totals.tarBytes}` };
    if (b.images.length !== expectImages) return { ok: false, detail: `${b.images.length} images carried, expected ${expectImages}` };
    if (b.images.length + b.unchanged !== tags.length) return { ok: false, detail: `${b.images.length + b.unchanged} images accounted for of ${tags.length}` };
    return { ok: true, detail: `${b.images.length} images carried, ${b.unchanged} unchanged, ${b.parts.length} part(s)` };
  } catch (err) {
    return { ok: false, detail: `no readable bundle.json: ${(err as Error).message}` };
  }
}

export async function bundleScenario(ctx: BenchContext, run: (ctx: BenchContext, spec: RunSpec) => Promise<RunResult>, yaml: string): Promise<RunResult[]> {
  ctx.say('(f) tug bundle: create vs sync --dest oci, apply vs registry -> registry sync, incremental bundle of the unchanged list');
  const all = ctx.ds.tags;
  const bytes = ctx.ds.uniqueBlobBytes;
  const tugArgs = (...args: string[]) => [...ctx.tug, ...args];
  const history = join(ctx.work, 'f-history.json');
  const bundle = join(ctx.work, 'f-bundle');
  const incremental = join(ctx.work, 'f-bundle-2');
  const oci = join(ctx.work, 'f-oci');
  for (const p of [history, bundle, incremental, oci]) rmSync(p, { recursive: true, force: true });
  const out: RunResult[] = [];

  out.push(
    await run(ctx, {
      id: 'f/tug-sync-oci', scenario: 'f', tool: 'tug sync --dest oci', compareTo: 'f/tug-sync-oci',
      argv: tugArgs('sync', '--all', '--src', 'yaml', '--dest', 'oci', '--src-tls-verify=false', '-q', yaml, oci), diskPath: oci, tags: all, bytesMoved: bytes,
      verify: async () => verifyOciLayouts(oci, all, ctx.blobs),
    }),
  );
  rmSync(oci, { recursive: true, force: true });
  out.push(
    await run(ctx, {
      id: 'f/tug-bundle-create', scenario: 'f', tool: 'tug bundle create', compareTo: 'f/tug-sync-oci',
      argv: tugArgs('bundle', 'create', '--all', '--src', 'yaml', '--src-tls-verify=false', '--history', history, '-q', yaml, bundle), diskPath: bundle, tags: all, bytesMoved: bytes,
      verify: async () => verifyBundle(bundle, all, all.length),
    }),
  );
  // Apply beside a registry -> registry sync of the same list, each into an empty registry. A bundle
  // names images by their path below the prefix (as `sync --dest registry-dir` does), sync by the last component.
  const repoOf = (t: TagInfo) => `mirror/${t.repo}`;
  const syncDest = await ctx.startDestination('f-tug-sync');
  out.push(
    await run(ctx, {
      id: 'f/tug-sync', scenario: 'f', tool: 'tug sync (registry -> registry)', compareTo: 'f/tug-sync',
      argv: tugArgs('sync', '--all', '--src', 'yaml', '--dest', 'docker', '--src-tls-verify=false', '--dest-tls-verify=false', '-q', yaml, `${syncDest.host}/mirror`),
      dest: syncDest, diskPath: syncDest.root, tags: all, bytesMoved: bytes,
      verify: () => verifyRegistry(syncDest.url, all, (t) => `mirror/${t.repo.split('/').pop()}`),
    }),
  );
  await syncDest.stop();
  const applyDest = await ctx.startDestination('f-tug-bundle-apply');
  out.push(
    await run(ctx, {
      id: 'f/tug-bundle-apply', scenario: 'f', tool: 'tug bundle apply', compareTo: 'f/tug-sync',
      argv: tugArgs('bundle', 'apply', '--dest-tls-verify=false', '-q', bundle, `${applyDest.host}/mirror`), dest: applyDest, diskPath: applyDest.root, tags: all, bytesMoved: bytes,
      verify: () => verifyRegistry(applyDest.url, all, repoOf),
    }),
  );
  await applyDest.stop();
  out.push(
    await run(ctx, {
      id: 'f/tug-bundle-incremental', scenario: 'f', tool: 'tug bundle create (unchanged list, --history)', compareTo: 'f/tug-bundle-create',
      argv: tugArgs('bundle', 'create', '--all', '--src', 'yaml', '--src-tls-verify=false', '--history', history, '-q', yaml, incremental), diskPath: incremental, tags: all, bytesMoved: 0,
      verify: async () => verifyBundle(incremental, all, 0),
    }),
  );
  for (const p of [bundle, incremental]) rmSync(p, { recursive: true, force: true });
  return out;
}

/** Scenario f's target, and the comparisons shown with it. */
export function judgeBundles(runs: RunResult[]): TargetResult[] {
  const get = (id: string) => runs.find((r) => r.id === id);
  const clean = (r: RunResult | undefined): r is RunResult => r !== undefined && r.measurement.exitCode === 0 && r.verdict.ok;
  const inc = get('f/tug-bundle-incremental');
  if (!clean(inc) || inc.diskBytes === null) return [{ target: BUNDLE_TARGETS.noop, measured: inc ? `${inc.id}: ${inc.verdict.detail}` : 'scenario f did not run', met: inc ? false : null }];
  const [create, oci, apply, sync] = [get('f/tug-bundle-create'), get('f/tug-sync-oci'), get('f/tug-bundle-apply'), get('f/tug-sync')];
  const vs = (a: RunResult | undefined, b: RunResult | undefined, what: string) =>
    clean(a) && clean(b) ? `; ${what} ${a.measurement.wallSeconds.toFixed(1)} s vs ${b.measurement.wallSeconds.toFixed(1)} s (${(a.measurement.wallSeconds / b.measurement.wallSeconds).toFixed(2)}x)${a.diskBytes && b.diskBytes && what.startsWith('create') ? `, ${(a.diskBytes / 1e6).toFixed(0)} MB vs ${(b.diskBytes / 1e6).toFixed(0)} MB written` : ''}` : '';
  return [
    {
      target: BUNDLE_TARGETS.noop,
      measured: `the bundle of the unchanged list is ${(inc.diskBytes / 1024).toFixed(1)} KiB${vs(create, oci, 'create vs sync --dest oci')}${vs(apply, sync, 'apply vs registry -> registry sync')}`,
      met: inc.diskBytes < BUNDLE_NOOP_LIMIT,
    },
  ];
}
