/**
 * A measurement for issue 15 ("Scale"), behind TUG_SERVE_LOOP_STATS=1:
 * how long the event loop stalls (perf_hooks.monitorEventLoopDelay) and how
 * much of that is garbage collection (PerformanceObserver 'gc'). One JSON
 * line `tug serve loop-stats {...}` on stderr at shutdown, which
 * bench/serve.ts reads; nothing runs without the variable.
 */
import { PerformanceObserver, monitorEventLoopDelay } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';

export interface LoopStats {
  stop(): void;
}

/** perf_hooks.constants.NODE_PERFORMANCE_GC_*: the kinds a 'gc' entry's detail names. */
const GC_KINDS: Record<number, string> = { 1: 'scavenge', 2: 'minorMarkSweep', 4: 'markCompact', 8: 'incrementalMarking', 16: 'weakCallbacks' };

export function startLoopStats(say: (line: string) => void): LoopStats | undefined {
  if (process.env.TUG_SERVE_LOOP_STATS !== '1') return undefined;
  const delay = monitorEventLoopDelay({ resolution: 5 });
  delay.enable();
  const gc = { count: 0, ms: 0, max: 0, over5: 0, over10: 0 };
  const byKind: Record<string, [count: number, ms: number, max: number]> = {};
  // The last second of GC pauses and of stalls (start, end): how much of the stalls was GC. A pair is
  // counted by whichever of the two is seen second (the observer hears of a pause a little later).
  const recentGc: [number, number][] = [];
  const recentStalls: [number, number][] = [];
  let gcInStallsMs = 0;
  const overlap = (a: [number, number], b: [number, number]) => Math.max(0, Math.min(a[1], b[1]) - Math.max(a[0], b[0]));
  const keep = (list: [number, number][], item: [number, number]) => {
    list.push(item);
    while (list.length > 0 && list[0]![1] < item[0] - 1000) list.shift();
  };
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gc.count++;
      gc.ms += e.duration;
      gc.max = Math.max(gc.max, e.duration);
      if (e.duration > 5) gc.over5++;
      if (e.duration > 10) gc.over10++;
      const code = (e as unknown as { detail?: { kind?: number } }).detail?.kind;
      const k = (byKind[GC_KINDS[code ?? 0] ?? String(code)] ??= [0, 0, 0]);
      k[0]++;
      k[1] += e.duration;
      k[2] = Math.max(k[2], e.duration);
      const pause: [number, number] = [e.startTime, e.startTime + e.duration];
      for (const stall of recentStalls) gcInStallsMs += overlap(pause, stall);
      keep(recentGc, pause);
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  // Stalls: a 5 ms timer that fired late by more than 10 ms, and the GC pauses within each.
  const stalls: number[] = [];
  let stallMs = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    if (now - last > 15) {
      const stall = now - last - 5;
      stalls.push(Math.round(stall));
      stallMs += stall;
      const span: [number, number] = [last, now];
      for (const pause of recentGc) gcInStallsMs += overlap(pause, span);
      keep(recentStalls, span);
    }
    last = now;
  }, 5);
  timer.unref();
  const cpuAtStart = process.cpuUsage();
  const mainAtStart = process.threadCpuUsage?.();
  const started = performance.now();
  const ms = (ns: number) => Math.round(ns / 1e4) / 100;
  const r1 = (x: number) => Math.round(x * 10) / 10;
  return {
    stop() {
      delay.disable();
      observer.disconnect();
      clearInterval(timer);
      const cpu = process.cpuUsage(cpuAtStart);
      const main = mainAtStart ? process.threadCpuUsage(mainAtStart) : undefined;
      const heap = getHeapStatistics();
      const sorted = [...stalls].sort((a, b) => b - a);
      say(`tug serve loop-stats ${JSON.stringify({
        seconds: r1((performance.now() - started) / 1000),
        // CPU seconds of the whole process and of the main thread (the rest: GC helpers, the checkpointer, libuv's pool).
        cpu: { process: r1((cpu.user + cpu.system) / 1e6), main: main ? r1((main.user + main.system) / 1e6) : undefined },
        delay: { p50: ms(delay.percentile(50)), p90: ms(delay.percentile(90)), p99: ms(delay.percentile(99)), max: ms(delay.max), mean: ms(delay.mean) },
        stalls: { over10: stalls.length, over20: stalls.filter((s) => s > 20).length, over50: stalls.filter((s) => s > 50).length, ms: Math.round(stallMs), gcMs: Math.round(gcInStallsMs), top: sorted.slice(0, 10) },
        gc: { ...gc, ms: Math.round(gc.ms), max: r1(gc.max), byKind: Object.fromEntries(Object.entries(byKind).map(([k, [n, t, max]]) => [k, { count: n, ms: Math.round(t), max: r1(max) }])) },
        heapMiB: { used: r1(heap.used_heap_size / 1048576), total: r1(heap.total_heap_size / 1048576), external: r1(heap.external_memory / 1048576) },
      })}`);
    },
  };
}
