/**
 * `npm run bench`: Tugboat against Debian's skopeo on the same deterministic
 * data set, in one run: cold registry->registry sync, no-op re-sync,
 * registry->dir/oci and peak memory on one big layer. Prints the table,
 * writes bench/results/latest.json and (at full scale) docs/benchmarks.md.
 *
 * Environment:
 *   BENCH_SCALE=1          data set size (1 = ~1.3 GB of unique blobs; 0.25 for a quick run)
 *   BENCH_ONLY=a,b,c,d,e,f run only these scenarios (b needs a's destinations: a's syncs run too)
 *   BENCH_MANY_TAGS=1000,3000,10000   scenario h's tag counts (bench/many-tags.ts)
 *   BENCH_SHORT_REPEAT=10  runs of each of scenario g's short commands (bench/short-commands.ts; 3 with BENCH_REPEAT=1)
 *   BENCH_REPEAT=3         runs of each sync in a and b (the median wall time is reported; 1 for a quick run)
 *   BENCH_DOCS=1|0         write docs/benchmarks.md (default: only when BENCH_SCALE=1 and every scenario runs)
 *   BENCH_KEEP_DATA=1      keep the generated data set in bench/.data (default: kept; 0 removes it at the end)
 *
 * Everything it starts (registries, commands) is stopped at the end, also on
 * failure or Ctrl-C. Only loopback addresses are used.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, closeSync, rmSync, writeFileSync, readdirSync, statSync } from 'node:fs';
import { cpus, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { materialise, planDataSet } from './dataset.ts';
import type { DataSet } from './dataset.ts';
import { killCurrent } from './measure.ts';
import { benchmarksMarkdown, consoleTable, repeatsTable, trafficTable } from './report.ts';
import type { BenchResults, ScenarioId } from './results.ts';
import { carrySections } from './doc-sections.ts';
import { judgeTargets } from './results.ts';
import { runScenarios, SKOPEO } from './scenarios.ts';
import type { BenchContext } from './scenarios.ts';
import { REGISTRY_BIN, startRegistry } from '../test/support/registry.ts';
import type { TestRegistry } from '../test/support/registry.ts';
import { TUG_ARGV, TUG_BIN } from '../test/support/tug.ts';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const benchDir = join(repoRoot, 'bench');
const dataDir = join(benchDir, '.data');
const say = (line: string) => process.stdout.write(`${line}\n`);

const scale = Number(process.env.BENCH_SCALE ?? '1');
if (!(scale > 0 && scale <= 4)) {
  process.stderr.write(`bench: BENCH_SCALE must be a number in (0, 4], got ${process.env.BENCH_SCALE}\n`);
  process.exit(2);
}
const allScenarios: ScenarioId[] = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
const only = new Set((process.env.BENCH_ONLY ?? allScenarios.join(',')).split(',').map((s) => s.trim()) as ScenarioId[]);
for (const s of only) {
  if (!allScenarios.includes(s)) {
    process.stderr.write(`bench: BENCH_ONLY takes a comma-separated subset of ${allScenarios.join(',')}, got ${process.env.BENCH_ONLY}\n`);
    process.exit(2);
  }
}
const repeat = Number(process.env.BENCH_REPEAT ?? '3');
if (!(Number.isInteger(repeat) && repeat >= 1 && repeat <= 9)) {
  process.stderr.write(`bench: BENCH_REPEAT must be an integer from 1 to 9, got ${process.env.BENCH_REPEAT}\n`);
  process.exit(2);
}
const writeDocs = process.env.BENCH_DOCS ? process.env.BENCH_DOCS === '1' : scale === 1 && only.size === allScenarios.length;

const out = (cmd: string, args: string[]) => {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (err) {
    return `unknown (${(err as Error).message.split('\n')[0]})`;
  }
};

function machine(): BenchResults['machine'] {
  const cpu = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpus()[0]?.model ?? 'unknown';
  const memKiB = Number(/^MemTotal:\s+(\d+)/m.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? 0);
  return { cpu, cores: cpus().length, memoryGiB: memKiB / 2 ** 20, kernel: release() };
}

/** A hash of Tugboat's code (src/, bin/, package.json), to notice a change while the bench runs in a shared checkout. */
function tugTreeHash(): string {
  const hash = createHash('sha256');
  const visit = (rel: string) => {
    const path = join(repoRoot, rel);
    if (statSync(path).isDirectory()) {
      for (const entry of readdirSync(path).sort()) visit(join(rel, entry));
    } else {
      hash.update(`${rel}\0`).update(readFileSync(path)).update('\0');
    }
  };
  for (const rel of ['src', 'bin', 'package.json']) visit(rel);
  return hash.digest('hex').slice(0, 16);
}

/** The newest mtime under a directory. */
function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** What bin/tug.js runs: dist/ when its build stamp is not older than every file in src/ (the shim's rule). */
function tugFrom(): 'dist' | 'src' {
  const stamp = join(repoRoot, 'dist', '.build-stamp');
  try {
    return statSync(stamp).mtimeMs >= newestMtime(join(repoRoot, 'src')) ? 'dist' : 'src';
  } catch {
    return 'src';
  }
}

/** Reads every blob of the source storage once, so no run pays for cold disk reads. */
function warmPageCache(root: string): void {
  const buf = Buffer.allocUnsafe(4 << 20);
  const visit = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) visit(path);
      else if (entry.name === 'data') {
        const fd = openSync(path, 'r');
        try {
          while (readSync(fd, buf, 0, buf.length, null) > 0);
        } finally {
          closeSync(fd);
        }
      }
    }
  };
  visit(join(root, 'docker', 'registry', 'v2', 'blobs'));
}

function describeDataSet(ds: DataSet): BenchResults['dataSet'] {
  const instances = new Set(ds.tags.flatMap((t) => (t.manifests.length > 1 ? t.manifests.slice(1) : t.manifests)));
  return {
    key: ds.key,
    scale: ds.scale,
    repositories: ds.repos.length,
    tags: ds.tags.length,
    platforms: [...new Set(ds.tags.flatMap((t) => t.platforms))].sort(),
    instances: instances.size,
    uniqueBlobs: ds.blobs.length,
    uniqueLayers: ds.blobs.filter((b) => b.kind === 'layer').length,
    uniqueBlobBytes: ds.uniqueBlobBytes,
    manifests: ds.manifestCount,
    mediaTypes: { oci: ds.repos.filter((r) => r.flavour === 'oci').length, docker: ds.repos.filter((r) => r.flavour === 'docker').length },
    big: { repo: ds.big.repo, tag: ds.big.tag, layerBytes: ds.big.layerBytes },
  };
}

/**
 * One bench at a time on a machine: two at once measure each other (and
 * would share bench/.data/last-run). The lock holds the owner's pid; a lock
 * whose process is gone is stale and taken over.
 */
const lockPath = join(dataDir, 'bench.lock');
function takeLock(): void {
  mkdirSync(dataDir, { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(lockPath, String(process.pid), { flag: 'wx' });
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = Number(readFileSync(lockPath, 'utf8'));
    let alive = false;
    try {
      process.kill(owner, 0);
      alive = true;
    } catch {
      /* gone: stale lock */
    }
    if (alive) {
      process.stderr.write(`bench: another bench is running (pid ${owner}, ${lockPath}); two at once would measure each other. Wait for it to finish.\n`);
      process.exit(1);
    }
    rmSync(lockPath, { force: true });
  }
  throw new Error(`could not take ${lockPath}`);
}
function releaseLock(): void {
  try {
    if (Number(readFileSync(lockPath, 'utf8')) === process.pid) rmSync(lockPath, { force: true });
  } catch {
    /* not ours or gone */
  }
}
takeLock();
process.on('exit', releaseLock);

const registries: TestRegistry[] = [];
let work: string | undefined;
async function cleanup(): Promise<void> {
  killCurrent();
  for (const r of registries.splice(0)) await r.stop().catch(() => undefined);
  if (work) rmSync(work, { recursive: true, force: true });
  work = undefined;
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`\nbench: ${signal}, stopping everything it started\n`);
    void cleanup().finally(() => process.exit(130));
  });
}

const started = performance.now();
let exitCode = 0;
try {
  say(`bench: scale ${scale}, scenarios ${[...only].join(',')}, ${repeat} repeat(s) of a and b`);
  for (const bin of [SKOPEO, REGISTRY_BIN]) statSync(bin);
  const help = out(process.execPath, [TUG_BIN, 'sync', '--help']);
  if (help.startsWith('unknown')) throw new Error(`tug sync is not usable yet: ${help}`);

  // measure what users run: the setup script, `npm test` and `npm start` build dist/ first
  if (tugFrom() === 'src' && existsSync(join(repoRoot, 'tsconfig.build.json'))) {
    say('building dist/ (npm run build), as setup, test and start do ...');
    execFileSync('npm', ['run', '-s', 'build'], { cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit'] });
  }
  const tugAtStart = {
    tree: tugTreeHash(),
    commit: out('git', ['rev-parse', '--short', 'HEAD']),
    dirty: out('git', ['status', '--porcelain', '--', 'src', 'bin', 'package.json']) !== '',
    version: out(process.execPath, [TUG_BIN, '--version']),
  };
  const plan = planDataSet(scale);
  say('data set: generating or reusing bench/.data ...');
  const ds = await materialise(plan, dataDir, (line) => say(line));
  say(`data set ${ds.key}: ${ds.repos.length} repositories, ${ds.tags.length} tags, ${ds.blobs.length} unique blobs, ${(ds.uniqueBlobBytes / 2 ** 20).toFixed(1)} MiB (generated in ${ds.generatedInSeconds.toFixed(1)} s)`);

  // logs of this run, kept for inspection after it ends (git-ignored)
  const logs = join(dataDir, 'last-run');
  rmSync(logs, { recursive: true, force: true });
  mkdirSync(logs, { recursive: true });
  work = mkdtempSync(join(tmpdir(), 'tug-bench-'));

  const src = await startRegistry({ rootDirectory: ds.root, accessLog: join(logs, 'access-source.log') });
  registries.push(src);
  say(`source registry ${src.host} serving ${ds.root}`);
  warmPageCache(ds.root);

  const ctx: BenchContext = {
    ds,
    blobs: new Map(ds.blobs.map((b) => [b.digest, b])),
    src: src as TestRegistry & { accessLog: string },
    work,
    logs,
    tug: TUG_ARGV,
    tugFrom,
    startDestination: async (name) => {
      const r = await startRegistry({ accessLog: join(logs, `access-${name}.log`) });
      registries.push(r);
      return r as TestRegistry & { accessLog: string };
    },
    say,
  };
  const runs = await runScenarios(ctx, only, repeat);

  const results: BenchResults = {
    date: new Date().toISOString(),
    command: 'npm run bench',
    env: Object.fromEntries(Object.entries(process.env).filter(([k, v]) => k.startsWith('BENCH_') && v !== undefined) as [string, string][]),
    machine: machine(),
    versions: {
      node: process.version,
      skopeo: out(SKOPEO, ['--version']),
      registry: out(REGISTRY_BIN, ['--version']),
      tugCommit: tugAtStart.commit,
      tugDirty: tugAtStart.dirty,
      tug: tugAtStart.version,
      tugInvocation: TUG_ARGV.map((a) => (a === process.execPath ? 'node' : a === TUG_BIN ? 'bin/tug.js' : a)).join(' '),
      tugTreeAtStart: tugAtStart.tree,
      tugTreeAtEnd: tugTreeHash(),
    },
    dataSet: describeDataSet(ds),
    repeat,
    runs,
    targets: judgeTargets(runs),
    totalSeconds: (performance.now() - started) / 1000,
  };

  mkdirSync(join(benchDir, 'results'), { recursive: true });
  writeFileSync(join(benchDir, 'results', 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
  say('');
  say(consoleTable(results));
  say('');
  say(trafficTable(results));
  if (repeat > 1) {
    say('');
    say(repeatsTable(results));
  }
  say('');
  if (results.versions.tugTreeAtStart !== results.versions.tugTreeAtEnd) say("WARNING: Tugboat's code changed while the bench ran (shared checkout); runs may have used different code\n");
  for (const t of results.targets) say(`${t.met === null ? 'NOT MEASURED' : t.met ? 'MET    ' : 'NOT MET'}  ${t.target}\n         ${t.measured}`);
  if (writeDocs) {
    // The serve and console sections (doc-sections.ts) are not this run's: carried over as they stand.
    const docsPath = join(repoRoot, 'docs', 'benchmarks.md');
    writeFileSync(docsPath, carrySections(benchmarksMarkdown(results), existsSync(docsPath) ? readFileSync(docsPath, 'utf8') : ''));
    say('\nwrote docs/benchmarks.md and bench/results/latest.json');
  } else {
    say('\nwrote bench/results/latest.json (docs/benchmarks.md only at BENCH_SCALE=1 with every scenario, or BENCH_DOCS=1)');
  }
  if (runs.some((r) => r.measurement.exitCode !== 0 || !r.verdict.ok)) {
    say('bench: some runs failed or were incomplete (see above and bench/.data/last-run/)');
    exitCode = 1;
  }
} catch (err) {
  process.stderr.write(`bench: ${(err as Error).stack ?? String(err)}\n`);
  exitCode = 1;
} finally {
  await cleanup();
  if (process.env.BENCH_KEEP_DATA === '0') rmSync(dataDir, { recursive: true, force: true });
}
process.exit(exitCode);
