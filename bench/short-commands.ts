/**
 * Scenario g: short commands (issue 14 item 7, the start-up half). What a
 * person or a script pays per `tug` process, tug against skopeo in the same
 * run, each command repeated and the two tools interleaved (the machine is
 * shared: the median of the repeats is compared, and CPU seconds with it):
 *
 * - `inspect --raw` and `inspect` of the data set's smallest image;
 * - a small `copy --all` of that image into a registry that already holds
 *   every blob of it (a HEAD per blob, then the manifests);
 * - `--version`;
 * - beside `inspect --raw`, its floor (bench/floor-inspect.ts): a plain
 *   Node 24 script making the same single GET with node:http and with the
 *   global fetch, run as JavaScript (its types stripped once here, as tug
 *   runs dist/), so the report shows what Node's own start-up leaves of the
 *   0.1 s;
 * - the seven-copy shell loop of seed 002 (`sync.sh`, one process per image,
 *   one after the other), quoted from the seed:
 *       skopeo copy --insecure-policy --src-tls-verify=false --dest-tls-verify=false \
 *        --override-arch amd64 --override-os linux -q docker://$1 docker://$2
 *   over the seven smallest images, into a fresh registry each time;
 * - with the single-file executable (dist/sea/tug-linux-amd64, `npm run
 *   dist`) when it exists: `inspect --raw`, the small copy and `--version`;
 * - the no-op re-sync of the whole data set (filled once by tug, not
 *   measured) against bench/floor-noop.ts, a plain script making the same
 *   two HEADs per tag: `tug sync` as users run it and with --no-referrers
 *   (the floor's requests exactly).
 *
 *   BENCH_SHORT_REPEAT=10   runs of each command (default 10; 3 with BENCH_REPEAT=1)
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TagInfo } from './dataset.ts';
import { floorScript } from './floor-js.ts';
import { measure } from './measure.ts';
import type { RunResult, TargetResult } from './results.ts';
import type { BenchContext, RunSpec } from './scenarios.ts';
import type { Verdict } from './verify.ts';
import { MANIFEST_ACCEPT, verifyRegistry } from './verify.ts';
import type { TestRegistry } from '../test/support/registry.ts';

/** The single-file executable `npm run dist` writes, measured when present. */
export const SEA_BINARY = fileURLToPath(new URL('../dist/sea/tug-linux-amd64', import.meta.url));

export const SHORT_TARGETS = {
  inspect: '`tug inspect` under 0.1 s',
  copy: "a small `tug copy` whose blobs are already in the destination within 0.1 s of skopeo's",
  noop: 'the no-op re-sync within 1.2x of a plain script making the same HEADs (bench/floor-noop.ts)',
};

/** Runs of each command: BENCH_SHORT_REPEAT, else 10 (3 for a quick run with BENCH_REPEAT=1). */
export function shortRepeat(repeat: number, env = process.env.BENCH_SHORT_REPEAT): number {
  const n = Number(env ?? (repeat === 1 ? 3 : 10));
  if (!Number.isSafeInteger(n) || n < 1 || n > 100) throw new Error(`bench: BENCH_SHORT_REPEAT takes a count from 1 to 100, got ${env}`);
  return n;
}

const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** What a run printed (stdout and stderr share its log file, run() in scenarios.ts). */
const logOf = (ctx: BenchContext, logName: string) => readFileSync(join(ctx.logs, `${logName}.log`));

/** `inspect --raw` printed the manifest itself: its bytes (a trailing newline aside) hash to the tag's digest. */
function rawVerdict(out: Buffer, t: TagInfo): Verdict {
  const bytes = out.at(-1) === 0x0a && sha256(out) !== t.digest ? out.subarray(0, -1) : out;
  return sha256(bytes) === t.digest ? { ok: true, detail: 'the manifest bytes, digest identical' } : { ok: false, detail: `printed ${bytes.length} bytes with digest ${sha256(bytes)}, the tag is ${t.digest}` };
}

/** `inspect` printed skopeo's JSON with the tag's digest. */
function inspectVerdict(out: Buffer, t: TagInfo): Verdict {
  try {
    const digest = (JSON.parse(out.toString('utf8')) as { Digest?: string }).Digest;
    return digest === t.digest ? { ok: true, detail: 'JSON with the tag\'s digest' } : { ok: false, detail: `Digest ${digest}, the tag is ${t.digest}` };
  } catch (err) {
    return { ok: false, detail: `not JSON: ${(err as Error).message}` };
  }
}

/** The seed's loop copies one platform (--override-arch amd64): each destination tag holds one of the tag's manifests. */
async function loopVerdict(dest: TestRegistry, tags: TagInfo[], repoOf: (t: TagInfo) => string): Promise<Verdict> {
  const problems: string[] = [];
  for (const t of tags) {
    const res = await fetch(`${dest.url}/v2/${repoOf(t)}/manifests/${t.tag}`, { headers: { accept: MANIFEST_ACCEPT } });
    const digest = sha256(Buffer.from(await res.arrayBuffer()));
    if (res.status !== 200) problems.push(`${repoOf(t)}:${t.tag}: HTTP ${res.status}`);
    else if (digest !== t.digest && !t.manifests.includes(digest)) problems.push(`${repoOf(t)}:${t.tag}: digest ${digest} is none of the source's`);
  }
  return problems.length ? { ok: false, detail: problems.slice(0, 3).join('; ') } : { ok: true, detail: `${tags.length} tags, each one of the source's manifests` };
}

/**
 * Runs scenario g with the bench's `run` (scenarios.ts); `yaml` is the sync
 * YAML of the whole data set (scenario b's no-op input).
 */
export async function shortCommandsScenario(
  ctx: BenchContext,
  run: (ctx: BenchContext, spec: RunSpec) => Promise<RunResult>,
  combine: (reps: RunResult[]) => RunResult,
  skopeo: (...args: string[]) => string[],
  yaml: string,
  repeat: number,
): Promise<RunResult[]> {
  const n = shortRepeat(repeat);
  const sea = existsSync(SEA_BINARY);
  ctx.say(`(g) short commands, ${n} run(s) each${sea ? ', with the single-file executable' : ' (no dist/sea/tug-linux-amd64: npm run dist adds its runs)'}`);
  const weight = (t: TagInfo) => t.blobs.reduce((sum, d) => sum + (ctx.blobs.get(d)?.size ?? 0), 0);
  const bySize = [...ctx.ds.tags].filter((t) => t.repo !== ctx.ds.big.repo).sort((a, b) => weight(a) - weight(b));
  const small = bySize[0]!;
  const seven = bySize.slice(0, 7);
  const name = (t: TagInfo) => `g/${t.repo.split('/').pop()}`;
  const src = (t: TagInfo) => `docker://${ctx.src.host}/${t.repo}:${t.tag}`;

  // The small copy's destination holds the image already (skopeo fills it, not measured).
  const dest = await ctx.startDestination('g-copy');
  const fill = await measure(skopeo('copy', '--all', '--src-tls-verify=false', '--dest-tls-verify=false', src(small), `docker://${dest.host}/${name(small)}:${small.tag}`), { logFile: join(ctx.logs, 'g-fill-copy.log') });
  if (fill.exitCode !== 0) ctx.say(`  filling the copy destination failed (exit ${fill.exitCode}): the small copies below move blobs`);
  const tools = [
    { key: 'skopeo', argv: (...args: string[]) => skopeo(...args) },
    { key: 'tug', argv: (...args: string[]) => [...ctx.tug, ...args] },
    ...(sea ? [{ key: 'sea', argv: (...args: string[]) => [SEA_BINARY, ...args] }] : []),
  ];
  // The floor under inspect --raw as JavaScript (floor-js.ts: type stripping would add its own start-up).
  const floorJs = floorScript('floor-inspect', ctx.work);
  const floors = (['http', 'fetch'] as const).map((how) => ({ key: `floor-${how}`, argv: () => [process.execPath, floorJs, how, ctx.src.host, small.repo, small.tag] }));
  const commands = [
    { id: 'inspect-raw', title: 'inspect --raw', args: ['inspect', '--raw', '--tls-verify=false', src(small)], verify: (out: Buffer) => rawVerdict(out, small), sea: true },
    { id: 'inspect', title: 'inspect', args: ['inspect', '--tls-verify=false', src(small)], verify: (out: Buffer) => inspectVerdict(out, small), sea: false },
    {
      id: 'copy-small', title: 'copy --all, blobs present', args: ['copy', '--all', '-q', '--src-tls-verify=false', '--dest-tls-verify=false', src(small), `docker://${dest.host}/${name(small)}:${small.tag}`],
      verify: () => verifyRegistry(dest.url, [small], name), sea: true,
    },
    { id: 'version', title: '--version', args: ['--version'], verify: (out: Buffer) => (/\d+\.\d+/.test(out.toString('utf8')) ? { ok: true, detail: out.toString('utf8').trim() } : { ok: false, detail: 'no version printed' }), sea: true },
  ];
  const out: RunResult[] = [];
  for (const c of commands) {
    const runners = c.id === 'inspect-raw' ? [...tools, ...floors] : tools;
    const reps = new Map<string, RunResult[]>(runners.map((t) => [t.key, []]));
    for (let rep = 1; rep <= n; rep++) {
      // the order rotates, so no tool always runs right after another's load
      for (const t of [...runners.slice((rep - 1) % runners.length), ...runners.slice(0, (rep - 1) % runners.length)]) {
        if (t.key === 'sea' && !c.sea) continue;
        const id = `g/${t.key}-${c.id}`;
        const logName = `${id.replace('/', '-')}-r${rep}`;
        reps.get(t.key)!.push(
          await run(ctx, {
            id, logName, scenario: 'g', tool: t.key.startsWith('floor-') ? `floor: one GET with ${t.key === 'floor-http' ? 'node:http' : 'fetch'} (bench/floor-inspect.ts)` : `${t.key === 'sea' ? 'tug (single-file executable)' : t.key} ${c.title}`, compareTo: `g/skopeo-${c.id}`, argv: t.argv(...c.args),
            dest: c.id === 'copy-small' ? dest : undefined, tags: [small], bytesMoved: 0, verify: async () => c.verify(logOf(ctx, logName)),
          }),
        );
      }
    }
    for (const r of reps.values()) if (r.length) out.push(combine(r));
  }
  await dest.stop();

  // The seed's loop, into a fresh registry per run (its copies move the images).
  const list = join(ctx.work, 'g-images.txt');
  const loopReps = new Map<string, RunResult[]>([['skopeo', []], ['tug', []]]);
  for (let rep = 1; rep <= n; rep++) {
    for (const t of rep % 2 === 1 ? tools.slice(0, 2) : tools.slice(0, 2).reverse()) {
      const d = await ctx.startDestination(`g-${t.key}-loop-r${rep}`);
      writeFileSync(list, seven.map((x) => `${ctx.src.host}/${x.repo}:${x.tag} ${d.host}/${name(x)}:${x.tag}\n`).join(''));
      const script = join(ctx.work, `g-sync-${t.key}.sh`);
      // the seed's command line: skopeo with its flags after `copy`, tug the same way
      const tool = (t.key === 'skopeo' ? skopeo().slice(0, 1) : t.argv()).map((a) => `'${a}'`).join(' ');
      writeFileSync(script, ['#!/bin/bash', 'set -eo pipefail', 'while read -r src dst; do', `  ${tool} copy --insecure-policy --src-tls-verify=false --dest-tls-verify=false --override-arch amd64 --override-os linux -q "docker://$src" "docker://$dst"`, `done < ${list}`, ''].join('\n'));
      loopReps.get(t.key)!.push(
        await run(ctx, {
          id: `g/${t.key}-copy-loop`, logName: `g-${t.key}-copy-loop-r${rep}`, scenario: 'g', tool: `${t.key} copy loop (seed 002, 7 images)`, compareTo: 'g/skopeo-copy-loop',
          argv: ['/bin/bash', script], dest: d, tags: seven, bytesMoved: 0, verify: () => loopVerdict(d, seven, name),
        }),
      );
      await d.stop();
    }
  }
  for (const r of loopReps.values()) out.push(combine(r));

  // The no-op re-sync against its floor: tug fills a destination once (not measured).
  const noop = await ctx.startDestination('g-noop');
  const syncArgv = (...extra: string[]) => [...ctx.tug, 'sync', '--all', '--src', 'yaml', '--dest', 'docker', '--src-tls-verify=false', '--dest-tls-verify=false', ...extra, yaml, `${noop.host}/mirror`];
  const filled = await measure(syncArgv(), { logFile: join(ctx.logs, 'g-fill-noop.log') });
  if (filled.exitCode !== 0) ctx.say(`  filling the no-op destination failed (exit ${filled.exitCode}): the runs below are not no-ops`);
  const all = ctx.ds.tags;
  const mirror = (t: TagInfo) => `mirror/${t.repo.split('/').pop()}`;
  const floorArgv = [process.execPath, floorScript('floor-noop', ctx.work), join(dirname(ctx.ds.root), 'dataset.json'), ctx.src.host, noop.host];
  const noopRuns = [
    { id: 'g/floor-noop', tool: 'floor: the same HEADs, nothing else (bench/floor-noop.ts)', argv: floorArgv },
    { id: 'g/tug-noop', tool: 'tug sync (no-op)', argv: syncArgv() },
    { id: 'g/tug-noop-no-referrers', tool: 'tug sync --no-referrers (no-op)', argv: syncArgv('--no-referrers') },
  ];
  const noopReps = new Map<string, RunResult[]>(noopRuns.map((r) => [r.id, []]));
  for (let rep = 1; rep <= n; rep++) {
    for (const r of [...noopRuns.slice((rep - 1) % 3), ...noopRuns.slice(0, (rep - 1) % 3)]) {
      noopReps.get(r.id)!.push(
        await run(ctx, {
          id: r.id, logName: `${r.id.replace('/', '-')}-r${rep}`, scenario: 'g', tool: r.tool, compareTo: 'g/floor-noop', argv: r.argv, dest: noop, tags: all, bytesMoved: 0,
          verify: () => verifyRegistry(noop.url, all, mirror),
        }),
      );
    }
  }
  for (const r of noopReps.values()) out.push(combine(r));
  await noop.stop();
  return out;
}

const clean = (r: RunResult | undefined): r is RunResult => r !== undefined && r.measurement.exitCode === 0 && r.verdict.ok;
const fig = (r: RunResult) => `${r.measurement.wallSeconds.toFixed(2)} s (${r.measurement.cpuSeconds.toFixed(2)} s CPU)`;

/** Scenario g's three targets; the single-file executable's figures are shown beside tug's. */
export function judgeShortCommands(runs: RunResult[]): TargetResult[] {
  const get = (id: string) => runs.find((r) => r.id === id);
  const missing = (target: string, ...rs: (RunResult | undefined)[]): TargetResult => {
    const bad = rs.find((r): r is RunResult => r !== undefined && !(r.measurement.exitCode === 0 && r.verdict.ok));
    if (bad) return { target, measured: `${bad.id}: exit ${bad.measurement.exitCode}, ${bad.verdict.detail}`, met: bad.tool.startsWith('skopeo') || bad.id === 'g/floor-noop' ? null : false };
    return { target, measured: 'not measured: run skipped (BENCH_ONLY)', met: null };
  };
  const seaText = (id: string) => {
    const r = get(id);
    return clean(r) ? `; the single-file executable ${fig(r)}` : '';
  };
  const out: TargetResult[] = [];

  const [ti, si, tf, sf] = [get('g/tug-inspect-raw'), get('g/skopeo-inspect-raw'), get('g/tug-inspect'), get('g/skopeo-inspect')];
  if (clean(ti) && clean(si)) {
    const full = clean(tf) && clean(sf) ? `; inspect ${fig(tf)} vs skopeo ${fig(sf)}` : '';
    // The Node floor (bench/floor-inspect.ts): when even a bare GET by Node takes 0.1 s, the row says so; the target stays.
    const [fh, ff] = [get('g/floor-http-inspect-raw'), get('g/floor-fetch-inspect-raw')];
    const floorText = clean(fh) ? `; the Node floor, one GET: node:http ${fig(fh)}${clean(ff) ? `, fetch ${fig(ff)}` : ''}${fh.measurement.wallSeconds >= 0.1 ? ' (Node alone is at the limit: out of reach for any Node tool on this machine)' : ''}` : '';
    out.push({ target: SHORT_TARGETS.inspect, measured: `inspect --raw: tug ${fig(ti)} vs skopeo ${fig(si)}${seaText('g/sea-inspect-raw')}${floorText}${full} (limit 0.10 s, medians)`, met: ti.measurement.wallSeconds < 0.1 && (!clean(tf) || tf.measurement.wallSeconds < 0.1) });
  } else {
    out.push(missing(SHORT_TARGETS.inspect, si, ti));
  }

  const [tc, sc] = [get('g/tug-copy-small'), get('g/skopeo-copy-small')];
  if (clean(tc) && clean(sc)) {
    const over = tc.measurement.wallSeconds - sc.measurement.wallSeconds;
    const [tl, sl] = [get('g/tug-copy-loop'), get('g/skopeo-copy-loop')];
    const loop = clean(tl) && clean(sl) ? `; seed 002's seven-copy loop: tug ${fig(tl)} vs skopeo ${fig(sl)}` : '';
    const [tv, sv] = [get('g/tug-version'), get('g/skopeo-version')];
    const version = clean(tv) && clean(sv) ? `; --version: tug ${fig(tv)}${seaText('g/sea-version')} vs skopeo ${fig(sv)}` : '';
    out.push({ target: SHORT_TARGETS.copy, measured: `tug ${fig(tc)} vs skopeo ${fig(sc)}: +${over.toFixed(2)} s (limit +0.10 s)${seaText('g/sea-copy-small')}${loop}${version}`, met: over <= 0.1 });
  } else {
    out.push(missing(SHORT_TARGETS.copy, sc, tc));
  }

  const [fl, tn, tp] = [get('g/floor-noop'), get('g/tug-noop'), get('g/tug-noop-no-referrers')];
  if (clean(fl) && clean(tp)) {
    const ratio = tp.measurement.wallSeconds / fl.measurement.wallSeconds;
    const users = clean(tn) ? `; with referrers (the default) ${fig(tn)}, ${tn.requests.perTag.toFixed(2)} requests per tag` : '';
    out.push({
      target: SHORT_TARGETS.noop,
      measured: `tug sync --no-referrers ${fig(tp)}, ${tp.requests.perTag.toFixed(2)} requests per tag, vs the floor ${fig(fl)}, ${fl.requests.perTag.toFixed(2)} per tag = ${ratio.toFixed(2)}x (limit 1.20x)${users}`,
      met: ratio <= 1.2,
    });
  } else {
    out.push(missing(SHORT_TARGETS.noop, fl, tp));
  }
  return out;
}
