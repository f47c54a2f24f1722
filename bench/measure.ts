/**
 * Runs one command and measures it: wall time (here), CPU time and the
 * largest resident set of any process in its tree (GNU time's wait4 rusage,
 * which covers every descendant that was waited for), plus the peak of the
 * tree's summed RSS sampled from /proc. Without /usr/bin/time, CPU comes from
 * bash's `times` builtin and peak RSS from the /proc samples only.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, readdirSync, readFileSync } from 'node:fs';
import { once } from 'node:events';

export const GNU_TIME = '/usr/bin/time';

export interface Measurement {
  /** The command as run (argv), for the report. */
  argv: string[];
  exitCode: number;
  wallSeconds: number;
  userSeconds: number;
  sysSeconds: number;
  cpuSeconds: number;
  /** Largest RSS of any single process of the tree (kernel high-water mark), KiB; null without GNU time. */
  maxRssKiB: number | null;
  /** Peak of the sum of VmRSS over the tree, sampled every `sampleMs`, KiB. */
  treePeakRssKiB: number;
  /** The larger of the two: what the report calls peak RSS. */
  peakRssKiB: number;
  /** Number of distinct processes seen in the tree. */
  processes: number;
  method: 'gnu-time' | 'bash-times';
  /**
   * What else ran meanwhile (the machine may be shared): CPU seconds of the
   * registries this bench started (children of this process), of everything
   * else on the machine (busy time minus the command and the registries), and
   * hypervisor steal; the 1-minute load average when the command started.
   */
  background: { registryCpuSeconds: number; otherCpuSeconds: number; stealSeconds: number; loadAverage: number };
  /** Last lines of stderr, for failures. */
  stderrTail: string;
}

export interface MeasureOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** stdout and stderr of the command go here. */
  logFile: string;
  /** Killed (SIGKILL, whole tree) after this long. Default 1 hour. */
  timeoutMs?: number;
  /** /proc sampling interval. Default 100 ms. */
  sampleMs?: number;
}

/** The process currently being measured, so a signal handler can end it. */
let current: { pid: number } | undefined;

/** Kills the tree of the command being measured, if any (for SIGINT cleanup). */
export function killCurrent(): void {
  if (current) {
    try {
      process.kill(-current.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
}

/** pid -> ppid for every process, read from /proc/PID/stat (no /proc/PID/task/TID/children on every kernel). */
function processTable(): Map<number, number> {
  const table = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // the command name (field 2) may hold spaces and parentheses: parse after the last ')'
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      table.set(pid, Number(rest[1]));
    } catch {
      /* exited meanwhile */
    }
  }
  return table;
}

function descendants(root: number, table: Map<number, number>): number[] {
  const children = new Map<number, number[]>();
  for (const [pid, ppid] of table) {
    const list = children.get(ppid) ?? [];
    list.push(pid);
    children.set(ppid, list);
  }
  const out: number[] = [];
  const stack = [root];
  while (stack.length > 0) {
    const pid = stack.pop()!;
    out.push(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return out;
}

function rssKiB(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

const CLK_TCK = 100;

/** Busy and steal CPU seconds of the whole machine since boot (/proc/stat). */
function machineCpu(): { busy: number; steal: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  // cpu user nice system idle iowait irq softirq steal ...
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const busy = (v[0] ?? 0) + (v[1] ?? 0) + (v[2] ?? 0) + (v[5] ?? 0) + (v[6] ?? 0);
  return { busy: busy / CLK_TCK, steal: (v[7] ?? 0) / CLK_TCK };
}

/** utime + stime of this process's docker-registry children, in seconds. */
export function registriesCpu(): number {
  let total = 0;
  for (const [pid, ppid] of processTable()) {
    if (ppid !== process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (!stat.includes('(docker-registry)')) continue;
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += (Number(rest[11]) + Number(rest[12])) / CLK_TCK;
    } catch {
      /* gone */
    }
  }
  return total;
}

/** Parses bash's `times` output: the second line is the children's user and system time. */
function parseBashTimes(text: string): { user: number; sys: number } {
  const line = text.trim().split('\n')[1] ?? '';
  const secs = [...line.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
  return { user: secs[0] ?? 0, sys: secs[1] ?? 0 };
}

/**
 * Runs `argv` to completion and measures it. The measuring wrapper (GNU time
 * or bash) is the root of the process tree; it is left out of both RSS
 * figures and of the CPU time.
 */
export async function measure(argv: string[], options: MeasureOptions): Promise<Measurement> {
  // BENCH_GNU_TIME=0 forces the fallback (to test it on a machine that has GNU time)
  const gnuTime = existsSync(GNU_TIME) && process.env.BENCH_GNU_TIME !== '0';
  const resultFile = `${options.logFile}.time`;
  const wrapped = gnuTime
    ? [GNU_TIME, '-f', '%e %U %S %M', '-o', resultFile, ...argv]
    : ['/bin/bash', '-c', `"$@"; rc=$?; times > '${resultFile}'; exit $rc`, 'bench', ...argv];
  const loadAverage = Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
  const cpuBefore = machineCpu();
  const registriesBefore = registriesCpu();
  const log = createWriteStream(options.logFile);
  await once(log, 'open');
  const started = performance.now();
  const child = spawn(wrapped[0]!, wrapped.slice(1), {
    env: options.env ?? process.env,
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    // its own process group, so a timeout or Ctrl-C can end the whole tree
    detached: true,
  });
  current = { pid: child.pid! };
  let stderrTail = '';
  child.stdout.pipe(log, { end: false });
  child.stderr.on('data', (d: Buffer) => {
    log.write(d);
    stderrTail = (stderrTail + d.toString()).slice(-3000);
  });
  const seen = new Set<number>();
  let treePeak = 0;
  const sample = () => {
    // the wrapper (GNU time or bash) is not part of what is measured
    const tree = descendants(child.pid!, processTable()).filter((pid) => pid !== child.pid);
    let sum = 0;
    for (const pid of tree) {
      seen.add(pid);
      sum += rssKiB(pid);
    }
    treePeak = Math.max(treePeak, sum);
  };
  const sampler = setInterval(sample, options.sampleMs ?? 100);
  const timer = setTimeout(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
  }, options.timeoutMs ?? 3_600_000);
  let wallSeconds = 0;
  let cpuAfter = cpuBefore;
  let registriesAfter = registriesBefore;
  child.once('exit', () => {
    wallSeconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    cpuAfter = machineCpu();
    registriesAfter = registriesCpu();
  });
  // 'close' comes after 'exit' and after stdio ended; it may fire in the same tick as 'exit'
  const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
  clearTimeout(timer);
  current = undefined;
  log.end();
  await once(log, 'close');

  let userSeconds = 0;
  let sysSeconds = 0;
  let maxRssKiB: number | null = null;
  if (existsSync(resultFile)) {
    const text = readFileSync(resultFile, 'utf8');
    if (gnuTime) {
      // "Command exited with non-zero status N" may come first; the figures are on the last line
      const last = text.trim().split('\n').pop() ?? '';
      const [, user, sys, rss] = last.split(' ').map(Number);
      userSeconds = user ?? 0;
      sysSeconds = sys ?? 0;
      maxRssKiB = rss ?? null;
    } else {
      const t = parseBashTimes(text);
      userSeconds = t.user;
      sysSeconds = t.sys;
    }
  }
  return {
    argv,
    exitCode: code ?? (signal ? 128 : -1),
    wallSeconds,
    userSeconds,
    sysSeconds,
    cpuSeconds: userSeconds + sysSeconds,
    maxRssKiB,
    treePeakRssKiB: treePeak,
    peakRssKiB: Math.max(treePeak, maxRssKiB ?? 0),
    processes: seen.size,
    method: gnuTime ? 'gnu-time' : 'bash-times',
    background: {
      registryCpuSeconds: registriesAfter - registriesBefore,
      otherCpuSeconds: Math.max(0, cpuAfter.busy - cpuBefore.busy - (userSeconds + sysSeconds) - (registriesAfter - registriesBefore)),
      stealSeconds: cpuAfter.steal - cpuBefore.steal,
      loadAverage,
    },
    stderrTail,
  };
}
