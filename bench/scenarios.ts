/**
 * The four scenarios, run one command at a time: each command gets fresh
 * destinations (except the no-op re-sync, which reuses the one its tool just
 * filled), is measured, its requests counted from the registries' access
 * logs, and its output checked.
 */
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { offset, summarise, window } from './access-log.ts';
import type { BlobInfo, DataSet, TagInfo } from './dataset.ts';
import { floorScript } from './floor-js.ts';
import { measure } from './measure.ts';
import { prepareSignedSource, verifySigned } from './referrers.ts';
import { manyTagsScenario } from './many-tags.ts';
import { bundleScenario } from './bundle.ts';
import { shortCommandsScenario } from './short-commands.ts';
import type { RunResult, ScenarioId } from './results.ts';
import type { Verdict } from './verify.ts';
import { verifyDirLayouts, verifyOciLayouts, verifyRegistry } from './verify.ts';
import type { TestRegistry } from '../test/support/registry.ts';

export const SKOPEO = '/usr/bin/skopeo';

export interface BenchContext {
  ds: DataSet;
  blobs: Map<string, BlobInfo>;
  src: TestRegistry & { accessLog: string };
  /** Scratch directory of this run (outputs, YAML, scripts). */
  work: string;
  /** Where tool output and access logs are kept (bench/.data/last-run). */
  logs: string;
  /** argv prefix that runs the tug CLI. */
  tug: string[];
  /** What bin/tug.js will run right now: compiled dist/ or src/ (type stripping). */
  tugFrom(): 'dist' | 'src';
  /** Starts a fresh empty registry with an access log; stopped by the caller's cleanup. */
  startDestination(name: string): Promise<TestRegistry & { accessLog: string }>;
  say(line: string): void;
}

/** The destination repository for a source repository: skopeo sync's default, the last path component under the prefix. */
export const mirrorRepo = (t: { repo: string }) => `mirror/${t.repo.split('/').pop()}`;

/** skopeo's sync YAML listing every repository and tag of the data set. */
export function syncYaml(ctx: BenchContext): string {
  const lines = [`${ctx.src.host}:`, '  tls-verify: false', '  images:'];
  for (const repo of ctx.ds.repos) {
    lines.push(`    ${repo.name}:`);
    for (const tag of repo.tags) lines.push(`      - "${tag}"`);
  }
  return `${lines.join('\n')}\n`;
}

export interface RunSpec {
  id: string;
  scenario: ScenarioId;
  tool: string;
  compareTo: string;
  argv: string[];
  dest?: TestRegistry & { accessLog: string };
  /** What the run writes, for `du`: the destination's storage or an output directory. */
  diskPath?: string;
  tags: TagInfo[];
  bytesMoved: number;
  verify: () => Promise<Verdict>;
  notes?: string[];
  /** Name of the output log (default: from id). */
  logName?: string;
}

function du(path: string): number | null {
  try {
    return Number(execFileSync('du', ['-sb', path], { encoding: 'utf8' }).split('\t')[0]);
  } catch {
    return null;
  }
}

/** Shows a command without the run's ports and paths. */
function printable(ctx: BenchContext, argv: string[], dest?: TestRegistry): string {
  return argv
    .map((a) => {
      let s = a.split(ctx.src.host).join('SRC').split(ctx.work).join('$WORK');
      if (dest) s = s.split(dest.host).join('DST');
      return s;
    })
    .map((a) => (a === process.execPath ? 'node' : a))
    .join(' ')
    // `node [shebang flags] .../bin/tug.js` is what `tug` runs (the flags are listed with the versions)
    .replace(/^node (?:--\S+ )*\S*bin\/tug\.js/, 'tug');
}

export async function run(ctx: BenchContext, spec: RunSpec): Promise<RunResult> {
  // flush earlier runs' writes now, not on this run's clock
  execFileSync('sync');
  const srcFrom = offset(ctx.src.accessLog);
  const dstFrom = spec.dest ? offset(spec.dest.accessLog) : 0;
  const tugFrom = spec.argv.includes(ctx.tug[1]!) ? ctx.tugFrom() : undefined;
  ctx.say(`  ${spec.id}: ${printable(ctx, spec.argv, spec.dest)}${tugFrom ? `   [tug from ${tugFrom}/]` : ''}`);
  const m = await measure(spec.argv, { logFile: join(ctx.logs, `${spec.logName ?? spec.id.replace('/', '-')}.log`) });
  // the registry writes an access log line after the response; let the last ones land
  await sleep(500);
  const source = summarise(window(ctx.src.accessLog, srcFrom));
  const destination = spec.dest ? summarise(window(spec.dest.accessLog, dstFrom)) : null;
  const total = source.total + (destination?.total ?? 0);
  const verdict = m.exitCode === 0 ? await spec.verify() : { ok: false, detail: `exit ${m.exitCode}` };
  const result: RunResult = {
    id: spec.id,
    scenario: spec.scenario,
    tool: spec.tool,
    compareTo: spec.compareTo,
    command: printable(ctx, spec.argv, spec.dest),
    measurement: m,
    tags: spec.tags.length,
    uniqueBlobs: new Set(spec.tags.flatMap((t) => t.blobs)).size,
    requests: { source, destination, total, perTag: total / spec.tags.length },
    bytesMoved: spec.bytesMoved,
    mibPerSecond: spec.bytesMoved > 0 ? spec.bytesMoved / 2 ** 20 / m.wallSeconds : null,
    diskBytes: spec.diskPath ? du(spec.diskPath) : null,
    verdict,
    notes: spec.notes ?? [],
    ...(tugFrom ? { tugFrom } : {}),
  };
  const status = m.exitCode !== 0 ? `FAILED exit ${m.exitCode}: ${m.stderrTail.trim().split('\n').pop()}` : verdict.ok ? 'ok' : `INCOMPLETE: ${verdict.detail}`;
  ctx.say(`     ${m.wallSeconds.toFixed(1)} s wall, ${m.cpuSeconds.toFixed(1)} s CPU, ${(m.peakRssKiB / 1024).toFixed(0)} MiB peak RSS, ${total} requests; ${status}`);
  return result;
}

const skopeo = (...args: string[]) => [SKOPEO, '--insecure-policy', ...args];

/**
 * One result for repeated runs of one command: the run with the median wall
 * time stands for them (a failed or incomplete one instead, if any), and
 * every repeat's figures are kept in `repeats`.
 */
export function combine(reps: RunResult[]): RunResult {
  const bad = reps.find((r) => r.measurement.exitCode !== 0 || !r.verdict.ok);
  const byWall = [...reps].sort((x, y) => x.measurement.wallSeconds - y.measurement.wallSeconds);
  const chosen = bad ?? byWall[Math.floor((byWall.length - 1) / 2)]!;
  return {
    ...chosen,
    repeats: reps.map((r) => ({
      wallSeconds: r.measurement.wallSeconds,
      cpuSeconds: r.measurement.cpuSeconds,
      peakRssKiB: r.measurement.peakRssKiB,
      requests: r.requests.total,
      ok: r.measurement.exitCode === 0 && r.verdict.ok,
      registryCpuSeconds: r.measurement.background.registryCpuSeconds,
      stealSeconds: r.measurement.background.stealSeconds,
    })),
  };
}

/** Runs every scenario in order; `only` limits them (b needs a); a and b run each sync `repeat` times. */
export async function runScenarios(ctx: BenchContext, only: Set<ScenarioId>, repeat: number): Promise<RunResult[]> {
  const results: RunResult[] = [];
  const { ds } = ctx;
  const yaml = join(ctx.work, 'sync.yaml');
  writeFileSync(yaml, syncYaml(ctx));
  const all = ds.tags;
  const regVerify = (dest: TestRegistry) => () => verifyRegistry(dest.url, all, mirrorRepo);

  // (a) cold registry -> registry; skopeo sync and tug sync `repeat` times, alternating who goes first
  const synced: Partial<Record<'skopeo' | 'tug', TestRegistry & { accessLog: string }>> = {};
  const syncArgv = {
    skopeo: (d: TestRegistry) => skopeo('sync', '--all', '--src', 'yaml', '--dest', 'docker', '--dest-tls-verify=false', yaml, `${d.host}/mirror`),
    tug: (d: TestRegistry) => [...ctx.tug, 'sync', '--all', '--src', 'yaml', '--dest', 'docker', '--src-tls-verify=false', '--dest-tls-verify=false', yaml, `${d.host}/mirror`],
  };
  const tools = [
    { key: 'skopeo' as const, tool: 'skopeo sync' },
    { key: 'tug' as const, tool: 'tug sync' },
  ];
  if (only.has('a') || only.has('b')) {
    ctx.say(`(a) cold registry -> registry sync, ${repeat} time(s) each`);
    const reps: Record<'skopeo' | 'tug', RunResult[]> = { skopeo: [], tug: [] };
    const floors: RunResult[] = [];
    // The yardstick (bench/floor-sync.ts): what the registries cost with no client overhead at all.
    const floor = async (rep: number) => {
      const dest = await ctx.startDestination(`a-floor-r${rep}`);
      floors.push(
        await run(ctx, {
          id: 'a/floor', logName: `a-floor-r${rep}`, scenario: 'a', tool: 'floor (no checks, no hashing)', compareTo: 'a/skopeo-sync',
          argv: [process.execPath, floorScript('floor-sync', ctx.work), join(dirname(ds.root), 'dataset.json'), ctx.src.host, dest.host],
          dest, diskPath: dest.root, tags: all, bytesMoved: ds.uniqueBlobBytes, verify: regVerify(dest),
        }),
      );
      await dest.stop();
    };
    for (let rep = 1; rep <= repeat; rep++) {
      const order = rep % 2 === 1 ? tools : [...tools].reverse();
      if (rep % 2 === 1) await floor(rep);
      for (const t of order) {
        const dest = await ctx.startDestination(`a-${t.key}-sync-r${rep}`);
        reps[t.key].push(
          await run(ctx, {
            id: `a/${t.key}-sync`, logName: `a-${t.key}-sync-r${rep}`, scenario: 'a', tool: t.tool, compareTo: 'a/skopeo-sync',
            argv: syncArgv[t.key](dest), dest, diskPath: dest.root, tags: all, bytesMoved: ds.uniqueBlobBytes, verify: regVerify(dest),
          }),
        );
        // the last repeat's destinations serve the no-op re-sync; the others go (1.3 GB each)
        if (rep < repeat) await dest.stop();
        else synced[t.key] = dest;
      }
      if (rep % 2 === 0) await floor(rep);
    }
    results.push(combine(reps.skopeo), combine(reps.tug), combine(floors));
    if (only.has('a')) {
      // the shell loop of seed 002's sync.sh: one skopeo process per image, one after the other
      const d3 = await ctx.startDestination('a-skopeo-loop');
      const list = join(ctx.work, 'images.txt');
      writeFileSync(list, all.map((t) => `${ctx.src.host}/${t.repo}:${t.tag} ${d3.host}/${mirrorRepo(t)}:${t.tag}\n`).join(''));
      const script = join(ctx.work, 'sync.sh');
      writeFileSync(
        script,
        [
          '#!/bin/bash',
          'set -eo pipefail',
          'while read -r src dst; do',
          `  ${SKOPEO} --insecure-policy copy --all -q --src-tls-verify=false --dest-tls-verify=false "docker://$src" "docker://$dst"`,
          `done < ${list}`,
          '',
        ].join('\n'),
      );
      results.push(
        await run(ctx, {
          id: 'a/skopeo-copy-loop', scenario: 'a', tool: 'skopeo copy loop', compareTo: 'a/skopeo-sync',
          argv: ['/bin/bash', script], dest: d3, diskPath: d3.root, tags: all, bytesMoved: ds.uniqueBlobBytes, verify: regVerify(d3),
        }),
      );
      await d3.stop();
    }
  }

  // (b) no-op re-sync into the destination each tool filled, `repeat` times each
  if (only.has('b') && synced.skopeo && synced.tug) {
    ctx.say(`(b) no-op re-sync, ${repeat} time(s) each`);
    const notes: Record<'skopeo' | 'tug', string[]> = { skopeo: [], tug: [] };
    for (const t of tools) {
      const dest = synced[t.key]!;
      // A no-op needs a complete destination: when the cold run left it incomplete, the same
      // tool repairs it first (unmeasured, at most twice); the note says so.
      for (let pass = 1; pass <= 2 && !(await regVerify(dest)()).ok; pass++) {
        ctx.say(`  b/${t.key}-sync: destination incomplete after the cold run; repair pass ${pass} (not measured)`);
        const repair = await measure(syncArgv[t.key](dest), { logFile: join(ctx.logs, `b-${t.key}-sync-repair-${pass}.log`) });
        notes[t.key].push(`the cold run left the destination incomplete; repair pass ${pass} with the same command (not measured) exited ${repair.exitCode}`);
      }
      if (!(await regVerify(dest)()).ok) notes[t.key].push('the destination was still incomplete before this run: it is not a no-op');
    }
    const reps: Record<'skopeo' | 'tug', RunResult[]> = { skopeo: [], tug: [] };
    for (let rep = 1; rep <= repeat; rep++) {
      for (const t of rep % 2 === 1 ? tools : [...tools].reverse()) {
        const dest = synced[t.key]!;
        reps[t.key].push(
          await run(ctx, {
            id: `b/${t.key}-sync`, logName: `b-${t.key}-sync-r${rep}`, scenario: 'b', tool: t.tool, compareTo: 'b/skopeo-sync',
            argv: syncArgv[t.key](dest), dest, tags: all, bytesMoved: 0, verify: regVerify(dest), notes: notes[t.key],
          }),
        );
      }
    }
    results.push(combine(reps.skopeo), combine(reps.tug));
    // The same no-op without referrers: what looking for signatures and referrers costs on an unsigned set.
    const plain: RunResult[] = [];
    for (let rep = 1; rep <= repeat; rep++) {
      const dest = synced.tug!;
      plain.push(
        await run(ctx, {
          id: 'b/tug-sync-no-referrers', logName: `b-tug-sync-no-referrers-r${rep}`, scenario: 'b', tool: 'tug sync --no-referrers', compareTo: 'b/skopeo-sync',
          argv: [...syncArgv.tug(dest).slice(0, -2), '--no-referrers', ...syncArgv.tug(dest).slice(-2)], dest, tags: all, bytesMoved: 0, verify: regVerify(dest), notes: notes.tug,
        }),
      );
    }
    results.push(combine(plain));
  }
  await synced.skopeo?.stop();
  await synced.tug?.stop();

  // (c) registry -> local directory
  if (only.has('c')) {
    ctx.say('(c) registry -> local');
    const local = [
      { id: 'c/skopeo-sync-dir', tool: 'skopeo sync --dest dir', argv: (out: string) => skopeo('sync', '--all', '--src', 'yaml', '--dest', 'dir', yaml, out), check: verifyDirLayouts },
      { id: 'c/tug-dir', tool: 'tug sync --dest dir', argv: (out: string) => [...ctx.tug, 'sync', '--all', '--src', 'yaml', '--dest', 'dir', '--src-tls-verify=false', yaml, out], check: verifyDirLayouts },
      { id: 'c/tug-oci', tool: 'tug sync --dest oci', argv: (out: string) => [...ctx.tug, 'sync', '--all', '--src', 'yaml', '--dest', 'oci', '--src-tls-verify=false', yaml, out], check: verifyOciLayouts },
    ];
    // What --verify-existing costs (issue 10 item 12): a cold run with it next to the default, and a
    // re-sync of the filled layout without and with it (the flag then hashes every stored blob).
    const verifying = { id: 'c/tug-oci-verify', tool: 'tug sync --dest oci --verify-existing', argv: (out: string) => [...local[2]!.argv(out).slice(0, -2), '--verify-existing', yaml, out], check: verifyOciLayouts };
    const resyncs = [
      { id: 'c/tug-oci-resync', tool: 'tug sync --dest oci (re-sync, filled layout)', extra: [] as string[], bytes: 0 },
      { id: 'c/tug-oci-resync-verify', tool: 'tug sync --dest oci --verify-existing (re-sync)', extra: ['--verify-existing'], bytes: ds.uniqueBlobBytes },
    ];
    for (const l of [...local, verifying]) {
      // not created beforehand: both tools create it (tug refuses an existing empty directory as an OCI layout)
      const out = join(ctx.work, l.id.replace('/', '-'));
      results.push(
        await run(ctx, {
          id: l.id, scenario: 'c', tool: l.tool, compareTo: 'c/skopeo-sync-dir', argv: l.argv(out), diskPath: out, tags: all, bytesMoved: ds.uniqueBlobBytes,
          verify: async () => l.check(out, all, ctx.blobs),
        }),
      );
      if (l.id === 'c/tug-oci') {
        for (const r of resyncs) {
          const argv = [...l.argv(out).slice(0, -2), ...r.extra, yaml, out];
          results.push(
            await run(ctx, {
              id: r.id, scenario: 'c', tool: r.tool, compareTo: 'c/tug-oci', argv, diskPath: out, tags: all, bytesMoved: r.bytes,
              verify: async () => l.check(out, all, ctx.blobs),
              notes: r.bytes ? ['MiB/s is the bytes hashed: every stored blob is read and checked'] : [],
            }),
          );
        }
      }
      rmSync(out, { recursive: true, force: true });
    }
  }

  // (d) peak memory on one big layer
  if (only.has('d')) {
    ctx.say('(d) peak memory, one big layer');
    const big = all.filter((t) => t.repo === ds.big.repo && t.tag === ds.big.tag);
    const tools = [
      { id: 'd/skopeo-copy', tool: 'skopeo copy --all', argv: (dst: string) => skopeo('copy', '--all', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${ctx.src.host}/${ds.big.repo}:${ds.big.tag}`, `docker://${dst}/${ds.big.repo}:${ds.big.tag}`) },
      { id: 'd/tug-copy', tool: 'tug copy --all', argv: (dst: string) => [...ctx.tug, 'copy', '--all', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${ctx.src.host}/${ds.big.repo}:${ds.big.tag}`, `docker://${dst}/${ds.big.repo}:${ds.big.tag}`] },
      // The yardsticks (bench/floor-copy.ts): GET piped into one monolithic PUT, nothing checked; and the same hashing in the same pass.
      { id: 'd/floor', tool: 'floor (no checks, no hashing)', argv: (dst: string) => [process.execPath, floorScript('floor-copy', ctx.work), join(dirname(ds.root), 'dataset.json'), ctx.src.host, dst, ds.big.repo, ds.big.tag] },
      { id: 'd/floor-hash', tool: 'floor hashing sha256 (no checks)', argv: (dst: string) => ['/usr/bin/env', 'FLOOR_HASH=1', process.execPath, floorScript('floor-copy', ctx.work), join(dirname(ds.root), 'dataset.json'), ctx.src.host, dst, ds.big.repo, ds.big.tag] },
    ];
    // `repeat` times, the order rotating, so tug and its floor run beside each other on the same machine load.
    const reps = new Map<string, RunResult[]>(tools.map((t) => [t.id, []]));
    for (let rep = 1; rep <= repeat; rep++) {
      for (const t of [...tools.slice((rep - 1) % tools.length), ...tools.slice(0, (rep - 1) % tools.length)]) {
        const dest = await ctx.startDestination(`${t.id.replace('/', '-')}-r${rep}`);
        reps.get(t.id)!.push(
          await run(ctx, {
            id: t.id, logName: `${t.id.replace('/', '-')}-r${rep}`, scenario: 'd', tool: t.tool, compareTo: 'd/skopeo-copy', argv: t.argv(dest.host), dest, diskPath: dest.root, tags: big,
            bytesMoved: ds.big.bytes, verify: () => verifyRegistry(dest.url, big, (x) => x.repo),
          }),
        );
        await dest.stop();
      }
    }
    for (const t of tools) results.push(combine(reps.get(t.id)!));
  }
  if (only.has('e')) results.push(...(await referrersScenario(ctx, repeat)));
  if (only.has('f')) results.push(...(await bundleScenario(ctx, run, yaml)));
  if (only.has('h')) results.push(...(await manyTagsScenario(ctx, run, skopeo)));
  if (only.has('g')) results.push(...(await shortCommandsScenario(ctx, run, combine, skopeo, yaml, repeat)));
  return results;
}

/** Scenario e (bench/referrers.ts): the no-op re-sync of signed images with SBOMs; skopeo sync, tug sync with and without referrers. */
async function referrersScenario(ctx: BenchContext, repeat: number): Promise<RunResult[]> {
  ctx.say('(e) no-op re-sync of signed images with SBOM referrers');
  const source = await ctx.startDestination('e-source');
  const set = await prepareSignedSource({
    all: ctx.ds.tags, blobSize: (d) => ctx.blobs.get(d)?.size ?? 0, fromHost: ctx.src.host, source, work: ctx.work, logFile: join(ctx.logs, 'e-fill-source.log'),
    copyArgv: (yaml, dest) => skopeo('sync', '--all', '--src', 'yaml', '--dest', 'docker', '--dest-tls-verify=false', yaml, dest),
  });
  ctx.say(`  source: ${set.tags.length} tags, ${set.signed.length} signed with an SBOM`);
  const ectx = { ...ctx, src: source };
  const argv = {
    skopeo: (d: TestRegistry) => skopeo('sync', '--all', '--src', 'yaml', '--dest', 'docker', '--dest-tls-verify=false', set.yaml, `${d.host}/mirror`),
    tug: (d: TestRegistry, ...extra: string[]) => [...ctx.tug, 'sync', '--all', '--src', 'yaml', '--dest', 'docker', '--src-tls-verify=false', '--dest-tls-verify=false', ...extra, set.yaml, `${d.host}/mirror`],
  };
  const runs = [
    { id: 'e/skopeo-sync', tool: 'skopeo sync', argv: (d: TestRegistry) => argv.skopeo(d), referrers: false },
    { id: 'e/tug-sync', tool: 'tug sync (referrers)', argv: (d: TestRegistry) => argv.tug(d), referrers: true },
    { id: 'e/tug-sync-no-referrers', tool: 'tug sync --no-referrers', argv: (d: TestRegistry) => argv.tug(d, '--no-referrers'), referrers: false },
  ];
  // skopeo and tug each fill their own destination first (not measured); both tug runs re-sync tug's.
  const skopeoDest = await ctx.startDestination('e-skopeo');
  const tugDest = await ctx.startDestination('e-tug');
  const destOf = (id: string) => (id.startsWith('e/skopeo') ? skopeoDest : tugDest);
  for (const [dest, fill] of [[skopeoDest, argv.skopeo(skopeoDest)], [tugDest, argv.tug(tugDest)]] as const) {
    const m = await measure(fill, { logFile: join(ctx.logs, `e-fill-${dest === skopeoDest ? 'skopeo' : 'tug'}.log`) });
    if (m.exitCode !== 0) ctx.say(`  filling a destination failed (exit ${m.exitCode}); the runs below are not no-ops`);
  }
  const out: RunResult[] = [];
  for (const r of runs) {
    const reps: RunResult[] = [];
    for (let rep = 1; rep <= repeat; rep++) {
      const dest = destOf(r.id);
      reps.push(
        await run(ectx, {
          id: r.id, logName: `${r.id.replace('/', '-')}-r${rep}`, scenario: 'e', tool: r.tool, compareTo: 'e/skopeo-sync',
          argv: r.argv(dest), dest, tags: set.tags, bytesMoved: 0, verify: () => verifySigned(dest, set, mirrorRepo, r.referrers),
        }),
      );
    }
    out.push(combine(reps));
  }
  await Promise.all([source.stop(), skopeoDest.stop(), tugDest.stop()]);
  return out;
}
