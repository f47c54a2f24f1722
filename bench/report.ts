/**
 * Renders benchmark results: the figures table (console and Markdown) and
 * docs/benchmarks.md. Every number comes from the results object of the run.
 */
import type { BenchResults, RunResult } from './results.ts';
import { SCENARIO_TITLES } from './results.ts';

const MiB = 2 ** 20;
const f1 = (n: number) => n.toFixed(1);
const f2 = (n: number) => n.toFixed(2);
const mib = (bytes: number) => f1(bytes / MiB);
const ratio = (a: number, b: number) => (b > 0 ? `${f2(a / b)}x` : 'n/a');
const failed = (r: RunResult) => r.measurement.exitCode !== 0 || !r.verdict.ok;

function row(r: RunResult, runs: RunResult[]): string[] {
  const base = runs.find((x) => x.id === r.compareTo);
  const m = r.measurement;
  const isBase = r.compareTo === r.id;
  const rel = (pick: (x: RunResult) => number) => (isBase ? '1.00x' : base ? ratio(pick(r), pick(base)) : 'n/a');
  const status = m.exitCode !== 0 ? `FAILED (exit ${m.exitCode})` : r.verdict.ok ? 'yes' : 'INCOMPLETE';
  return [
    r.scenario,
    r.tool,
    f1(m.wallSeconds),
    f1(m.cpuSeconds),
    r.mibPerSecond === null ? '-' : f1(r.mibPerSecond),
    f1(m.peakRssKiB / 1024),
    String(r.requests.total),
    f2(r.requests.perTag),
    rel((x) => x.measurement.wallSeconds),
    rel((x) => x.measurement.cpuSeconds),
    rel((x) => x.measurement.peakRssKiB),
    rel((x) => x.requests.total),
    status,
  ];
}

const HEAD = ['', 'Tool', 'Wall s', 'CPU s', 'MiB/s', 'Peak RSS MiB', 'Requests', 'Req/tag', 'Wall vs skopeo', 'CPU vs skopeo', 'RSS vs skopeo', 'Req vs skopeo', 'Complete'];

function markdownTable(head: string[], rows: string[][], rightFrom = 2): string {
  const align = head.map((_, i) => (i >= rightFrom ? '---:' : '---'));
  return [head, align, ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

/**
 * What `--verify-existing` costs (scenario c, into an OCI layout): a cold sync
 * with it next to the default, and a re-sync of the filled layout without
 * and with it (then every stored blob is read and hashed). Empty when the
 * runs are missing (an older results file).
 */
export function verifyExistingSection(results: BenchResults): string {
  const ids = ['c/tug-oci', 'c/tug-oci-verify', 'c/tug-oci-resync', 'c/tug-oci-resync-verify'];
  const runs = ids.map((id) => results.runs.find((r) => r.id === id));
  const [cold, coldVerify, resync, resyncVerify] = runs;
  if (!cold || !coldVerify || !resync || !resyncVerify) return '';
  const line = (r: RunResult, base: RunResult, what: string) => [
    `\`${r.id}\``,
    what,
    f1(r.measurement.wallSeconds),
    f1(r.measurement.cpuSeconds),
    f1(r.measurement.peakRssKiB / 1024),
    r.mibPerSecond === null ? '-' : f1(r.mibPerSecond),
    r === base ? '1.00x' : ratio(r.measurement.wallSeconds, base.measurement.wallSeconds),
    f1(r.measurement.background.otherCpuSeconds),
    failed(r) ? 'no' : 'yes',
  ];
  const table = markdownTable(
    ['Run', 'What', 'Wall s', 'CPU s', 'Peak RSS MiB', 'MiB/s', 'Wall vs default', 'Other processes CPU s', 'Complete'],
    [
      line(cold, cold, 'cold sync, default'),
      line(coldVerify, cold, 'cold sync, --verify-existing'),
      line(resync, resync, 're-sync of the filled layout, default (every image up to date: nothing read)'),
      line(resyncVerify, resync, 're-sync, --verify-existing (every stored blob hashed)'),
    ],
  );
  return `### What --verify-existing costs

Scenario c into an OCI layout (bench/scenarios.ts). Cold, the flag finds no
blob to hash. On a re-sync it turns every up-to-date image into a copy that
hashes each of the ${results.dataSet.uniqueBlobs} stored blobs (${mib(results.dataSet.uniqueBlobBytes)} MiB; MiB/s is
bytes hashed) and rewrites none, since none is bad.

${table}

`;
}

/** The main figures table in Markdown. */
export function figuresTable(results: BenchResults): string {
  return markdownTable(HEAD, results.runs.map((r) => row(r, results.runs)));
}

/** Blob traffic per run: what was downloaded, uploaded, mounted, written. */
export function trafficTable(results: BenchResults): string {
  const rows = results.runs.map((r) => {
    const s = r.requests.source;
    const d = r.requests.destination;
    return [
      r.id,
      `${s.blobGets} (${s.blobGetDistinct} distinct of ${r.uniqueBlobs})`,
      mib(s.blobGetBytes),
      d ? String(d.uploadsFinished) : '-',
      d ? String(d.uploadRepeats) : '-',
      d ? `${d.mountsDone}/${d.mountAttempts}` : '-',
      d ? String(d.sameRepoRepeats) : '-',
      `${s.blobHeads + (d?.blobHeads ?? 0)} / ${d?.blobProbes ?? 0}`,
      d ? String(d.manifestPuts) : '-',
      r.diskBytes === null ? '-' : mib(r.diskBytes),
    ];
  });
  return markdownTable(
    ['Run', 'Source blob GETs', 'MiB served by source', 'Uploads', 'Uploads of a digest already uploaded', 'Mounts done/tried', 'Same blob into same repo again', 'Blob checks: HEAD / probe', 'Manifest PUTs', 'Written MiB (du)'],
    rows,
    1,
  );
}

/** What else used the CPU during each run (the registries, and anything else on a shared machine). */
export function loadTable(results: BenchResults): string {
  const rows = results.runs.map((r) => {
    const b = r.measurement.background;
    return [r.id, f1(r.measurement.cpuSeconds), f1(b.registryCpuSeconds), f1(b.otherCpuSeconds), f1(b.stealSeconds), f2(b.loadAverage)];
  });
  return markdownTable(['Run', 'Tool CPU s', 'Registries CPU s', 'Other processes CPU s', 'Steal s', 'Load avg at start'], rows, 1);
}

/** Every repeat of the commands that ran more than once. */
export function repeatsTable(results: BenchResults): string {
  const rows = results.runs
    .filter((r) => r.repeats && r.repeats.length > 1)
    .map((r) => {
      const walls = r.repeats!.map((x) => x.wallSeconds);
      return [
        r.id,
        r.repeats!.map((x) => `${f1(x.wallSeconds)}${x.ok ? '' : ' (failed)'}`).join(', '),
        f1(r.measurement.wallSeconds),
        `${f1(Math.min(...walls))} - ${f1(Math.max(...walls))}`,
        r.repeats!.map((x) => f1(x.cpuSeconds)).join(', '),
        r.repeats!.map((x) => (x.registryCpuSeconds === undefined ? '-' : f1(x.registryCpuSeconds))).join(', '),
        r.repeats!.map((x) => (x.stealSeconds === undefined ? '-' : f1(x.stealSeconds))).join(', '),
        r.repeats!.map((x) => String(x.requests)).join(', '),
      ];
    });
  return markdownTable(['Run', 'Wall s, each run in order', 'Median', 'Range', 'CPU s, each', 'Registries CPU s, each', 'Steal s, each', 'Requests, each'], rows, 1);
}

/** Plain-text table for the terminal (same figures). */
export function consoleTable(results: BenchResults): string {
  const rows = [HEAD, ...results.runs.map((r) => row(r, results.runs))];
  const widths = HEAD.map((_, i) => Math.max(...rows.map((x) => x[i]!.length)));
  return rows.map((cells) => cells.map((c, i) => (i >= 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ')).join('\n');
}

function requestBreakdown(r: RunResult): string {
  const fmt = (kinds: Record<string, number>) =>
    Object.entries(kinds)
      .sort((a, b) => b[1] - a[1])
      .map(([k, n]) => `${k} ${n}`)
      .join(', ');
  const parts = [`source: ${fmt(r.requests.source.byKind) || 'none'}`];
  if (r.requests.destination) parts.push(`destination: ${fmt(r.requests.destination.byKind) || 'none'}`);
  return `- \`${r.id}\` (${r.requests.total}): ${parts.join('; ')}`;
}

const mark = (met: boolean | null) => (met === null ? 'not measured' : met ? '**met**' : '**not met**');

/** docs/benchmarks.md, generated; every figure is from `results`. */
export function benchmarksMarkdown(results: BenchResults): string {
  const ds = results.dataSet;
  const v = results.versions;
  const envLine = Object.entries(results.env).map(([k, val]) => `${k}=${val} `).join('');
  const scenarios = (Object.keys(SCENARIO_TITLES) as (keyof typeof SCENARIO_TITLES)[]).map((k) => `${k}. ${SCENARIO_TITLES[k]}`);
  const codeHash =
    v.tugTreeAtStart === v.tugTreeAtEnd
      ? `code hash \`${v.tugTreeAtStart}\`, unchanged during the run`
      : `code hash \`${v.tugTreeAtStart}\` at start, \`${v.tugTreeAtEnd}\` at end: **changed during the run**`;
  const tugRuns = results.runs.filter((r) => r.tugFrom);
  const fromDist = tugRuns.filter((r) => r.tugFrom === 'dist').length;
  const tugFrom =
    fromDist === tugRuns.length
      ? 'every tug run used the compiled dist/'
      : fromDist === 0
        ? '**every tug run used src/ through type stripping** (dist/ missing or older than src/)'
        : `**mixed**: ${fromDist} of ${tugRuns.length} tug runs used dist/, the others src/ through type stripping`;
  const notes = results.runs.flatMap((r) => r.notes.map((n) => `- \`${r.id}\`: ${n}`));
  if (v.tugTreeAtStart !== v.tugTreeAtEnd) notes.unshift('- **Tugboat\'s code (src/, bin/, package.json) changed while the bench ran** (shared checkout): runs may have used different code. Re-run before drawing conclusions.');
  const commands = results.runs.map((r) => `- \`${r.id}\`: \`${r.command}\``);
  const failures = results.runs.filter(failed).map((r) => `- \`${r.id}\`: ${r.measurement.exitCode !== 0 ? `exit ${r.measurement.exitCode}` : `incomplete: ${r.verdict.detail}`}${r.measurement.stderrTail ? `\n\n  \`\`\`text\n  ${r.measurement.stderrTail.trim().split('\n').slice(-6).join('\n  ')}\n  \`\`\`` : ''}`);
  return `# Benchmarks

Generated by \`npm run bench\` (bench/run.ts) on ${results.date}; do not edit by hand,
re-run it. Raw figures: [bench/results/latest.json](../bench/results/latest.json).

Tugboat is measured against Debian's skopeo on the same deterministic data,
between stock \`docker-registry\` processes on loopback, one command at a time.

## How to run

\`\`\`sh
npm run bench                          # full data set (~1.3 GB), writes this page
BENCH_SCALE=0.25 npm run bench         # quick run (sizes x0.25, same repositories and tags)
BENCH_ONLY=a,b npm run bench           # only some scenarios
BENCH_REPEAT=1 npm run bench           # one run of each sync in a and b instead of 3 (median)
npm run bench:registry                 # a stock registry's CPU per request kind: the floor under a sync
\`\`\`

It needs \`/usr/bin/skopeo\`, \`/usr/bin/docker-registry\` and (for exact CPU and RSS)
\`/usr/bin/time\` (Debian package \`time\`). This page is rewritten only by a full-scale run of
every scenario (or with \`BENCH_DOCS=1\`); every run writes bench/results/latest.json and
keeps tool output and registry access logs in bench/.data/last-run/.
The generated data set is cached in bench/.data/ (git-ignored; ~1.3 GB at full scale).

## Run

| | |
|---|---|
| Command | \`${envLine}npm run bench\` |
| Date | ${results.date} |
| Machine | ${results.machine.cpu}, ${results.machine.cores} cores, ${f1(results.machine.memoryGiB)} GiB RAM, Linux ${results.machine.kernel} |
| Node | ${v.node} |
| skopeo | ${v.skopeo} |
| Registry | ${v.registry} |
| Tugboat | commit \`${v.tugCommit}\`${v.tugDirty ? ' with uncommitted changes in the working tree' : ''} (${v.tug}); ${codeHash}; ${tugFrom}; started as \`${v.tugInvocation ?? 'node bin/tug.js'}\` |
| Total bench time | ${f1(results.totalSeconds)} s |

## Data set

Generated deterministically (bench/dataset.ts), scale ${ds.scale} (\`BENCH_SCALE\`), written
straight into the source registry's storage tree (push time is not measured).

| | |
|---|---|
| Repositories | ${ds.repositories} (${ds.mediaTypes.oci} OCI, ${ds.mediaTypes.docker} Docker media types) |
| Tags | ${ds.tags} (multi-arch indexes, some \`latest\` aliases; plus the big image) |
| Platforms | ${ds.platforms.join(', ')}; ${ds.instances} image manifests |
| Unique blobs | ${ds.uniqueBlobs} (${ds.uniqueLayers} layers, the rest configs), ${mib(ds.uniqueBlobBytes)} MiB |
| Manifests | ${ds.manifests} (indexes and image manifests) |
| Shared layers | 4 base OS layer sets and 3 language runtimes per platform, shared across repositories; per-repository dependency layers shared across its tags |
| Big image | \`${ds.big.repo}:${ds.big.tag}\`, one layer of ${mib(ds.big.layerBytes)} MiB |

## Scenarios

${scenarios.join('\n')}

Scenario a also runs \`a/floor\` (bench/floor-sync.ts), not a tool but a yardstick:
every unique blob read once and uploaded once, every other placement a mount,
every manifest written once, with no checks, no hashing and no retries. Its time
is what the two registries' own work costs on this machine at that moment, the
floor under any client; the other runs are best read against it. Every floor
runs as JavaScript bundled once per run (bench/floor-js.ts), as tug runs its
compiled dist/: through Node's type stripping a floor paid ~0.15 s of CPU at
start that no real tool pays (earlier runs' no-op ratios against the floor
were flattered by it).

### Memory and the big layer

Scenario d runs two more yardsticks beside \`tug copy\` (bench/floor-copy.ts):
\`d/floor\` GETs the blob and streams the response as the body of one
monolithic upload (POST, then a PUT with the stream), nothing checked or
hashed; \`d/floor-hash\` does the same and hashes every byte with sha256 in the
same pass, as any tool that verifies must. The difference between the two is
what verification costs on this machine; a verifying tool cannot go below the
second. On two cores the registries' own CPU (a stock registry spends ~7 ms per
MiB it receives) competes with the client's, so CPU seconds are the steadier
comparison when the machine is shared. Scenario h (bench/many-tags.ts) syncs
one small image under 1,000 / 3,000 / 10,000 tags (\`BENCH_MANY_TAGS\`) with
\`--src docker --all\`, cold and as a no-op, skopeo beside it up to 1,000 tags
(\`BENCH_MANY_TAGS_SKOPEO\`: it needs ~0.1 s per tag); its target is the slope of
tug's peak RSS over the tag count. Peak RSS of a Node process is mostly its
fixed cost (the runtime, the modules loaded); what tug adds per transfer or per
tag, and the V8 and glibc settings that bound it, are documented at bin/tug.js's
shebang, each with the measurement that motivated it.

Each scenario writes into fresh destination registries (no run helps another);
scenario b re-runs each tool against the destination its own cold run filled,
tug twice: as it runs by default (looking for signatures and referrers to
carry) and with \`--no-referrers\`. Scenario e (bench/referrers.ts) copies the
four smallest multi-tag repositories of the data set into a registry of its
own (never into the cached data set), gives every other tag a cosign signature
(\`sha256-<hex>.sig\`) and an SPDX SBOM referrer (in the referrers tag schema:
the stock registry has no referrers API), lets each tool fill its own
destination (not measured), then measures the no-op re-syncs: skopeo sync
(which carries no referrers), tug sync, and tug sync \`--no-referrers\`; its
check also wants every signature and SBOM index at tug's destination.
Ratios compare with the skopeo run of the same scenario (\`skopeo sync\` for a, b
and c, \`skopeo copy --all\` for d). MiB/s is the data set's unique blob bytes
(for d: the big image's) divided by wall time. Requests are all requests in both
registries' access logs while the command ran (source + destination); per tag is
that over the number of tags synced.

## Results

${figuresTable(results)}

${results.repeat > 1 ? `Scenarios a, b and d ran each command ${results.repeat} times (fresh destinations for every cold run, alternating
which tool went first); the table shows the run with the median wall time (a failed run, if any),
and every repeat is listed below.

${repeatsTable(results)}

` : ''}### Blob traffic

${trafficTable(results)}

${verifyExistingSection(results)}### CPU used by others during each run

The registries' CPU is work the tool caused; "other processes" is everything else
on the machine (e.g. other jobs on a shared host), which slows the run down.

${loadTable(results)}

## Targets

| Target (from the issue) | Measured | Verdict |
|---|---|---|
${results.targets.map((t) => `| ${t.target} | ${t.measured} | ${mark(t.met)} |`).join('\n')}
${notes.length > 0 ? `\n### Notes on runs\n\n${notes.join('\n')}\n` : ''}${failures.length > 0 ? `\n## Failed or incomplete runs\n\n${failures.join('\n')}\n` : ''}
## Requests by kind

${results.runs.map(requestBreakdown).join('\n')}

## Commands

\`SRC\` and \`DST\` are the loopback registries, \`$WORK\` the run's scratch directory;
\`sync.yaml\` lists every repository and tag of the data set (skopeo's sync YAML).

${commands.join('\n')}

## Method

- Wall time is measured around the process; CPU (user + system) and peak RSS come from
  GNU time (\`wait4\` rusage of the whole process tree: the largest single process)
  and a 100 ms /proc sample of the tree's summed RSS; "Peak RSS" is the larger of the two.
- The source registry serves a cached storage tree (bench/.data/, git-ignored); its blobs are
  read once before the first run so every run starts with a warm page cache, and \`sync\`
  runs before each command so earlier writes are not flushed on a later run's clock.
- After each command the destination is checked: every tag with the source digest, and
  every manifest and blob present (registry), or every \`manifest.json\`/\`index.json\` and
  blob (local). A run that fails the check is marked INCOMPLETE and judged as not met.
- Each figure of c and h (and the skopeo copy loop) is a single run (h: one per tag count); a, b
  and d are the median of \`BENCH_REPEAT\` runs. The machine may be shared: the "CPU used by others" table
  shows how much CPU other processes took while each command ran; where that is large,
  wall times (and so the wall-time targets) are noisy, and the run should be repeated on
  an idle machine before drawing fine conclusions. CPU seconds, RSS, request and blob
  counts do not depend on the load.
`;
}
