/**
 * A measurement for issue 15 ("Scale"), behind TUG_SERVE_LOOP_STATS=1:
 * how long the event loop stalls (perf_hooks.monitorEventLoopDelay) and how
 * much of that is garbage collection (PerformanceObserver 'gc'). One JSON
 * line `tug serve loop-stats {...}` on stderr at shutdown, which
 * bench/serve.ts reads; nothing runs without the variable.
 */
import { PerformanceObserver, monitorEventLoopDelay } from 'node:perf_hooks';

export interface LoopStats {
  stop(): void;
}

export function startLoopStats(say: (line: string) => void): LoopStats | undefined {
  if (process.env.TUG_SERVE_LOOP_STATS !== '1') return undefined;
  const delay = monitorEventLoopDelay({ resolution: 5 });
  delay.enable();
  const gc = { count: 0, ms: 0, max: 0, over5: 0, over10: 0 };
  // By kind (perf_hooks constants: 1 minor, 2 major, 4 incremental, 8 weak callbacks): count and ms.
  const byKind: Record<string, [number, number]> = {};
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gc.count++;
      gc.ms += e.duration;
      gc.max = Math.max(gc.max, e.duration);
      if (e.duration > 5) gc.over5++;
      if (e.duration > 10) gc.over10++;
      const kind = String(((e as unknown as { detail?: { kind?: number } }).detail)?.kind ?? '?');
      const k = (byKind[kind] ??= [0, 0]);
      k[0]++;
      k[1] += Math.round(e.duration);
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  // Stalls: a 5 ms timer that fired late by more than 10 ms, with when.
  const stalls: number[] = [];
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    if (now - last > 15) stalls.push(Math.round(now - last - 5));
    last = now;
  }, 5);
  timer.unref();
  const ms = (ns: number) => Math.round(ns / 1e4) / 100;
  return {
    stop() {
      delay.disable();
      observer.disconnect();
      clearInterval(timer);
      const sorted = [...stalls].sort((a, b) => b - a);
      say(`tug serve loop-stats ${JSON.stringify({
        delay: { p50: ms(delay.percentile(50)), p90: ms(delay.percentile(90)), p99: ms(delay.percentile(99)), max: ms(delay.max), mean: ms(delay.mean) },
        stalls: { over10: stalls.length, over20: stalls.filter((s) => s > 20).length, over50: stalls.filter((s) => s > 50).length, top: sorted.slice(0, 10) },
        gc: { ...gc, ms: Math.round(gc.ms), max: Math.round(gc.max * 10) / 10, byKind },
      })}`);
    },
  };
}
