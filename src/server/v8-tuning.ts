/**
 * V8's heap settings for `tug serve` (issue 15, "Scale"). bin/tug.js's
 * shebang sizes the heap for the CLI's peak resident set (under 100 MB while
 * copying): a 1 MB young generation and an old generation that grows by 20%
 * past what a full GC kept. A server answering hundreds of requests a second
 * with that young generation scavenged about every fourth read (a 60 KB list
 * page fills a quarter of it), promoted what was merely in flight, and then
 * ran a full mark-compact every few hundred reads: 10-20% of its CPU in GC,
 * pauses of up to 45 ms on the one event loop that serves every request.
 *
 * - {@link SERVE_START_FLAGS}: the young generation's size is fixed when V8
 *   starts, so `tug serve` re-executes itself once with it
 *   (process.execve: the same pid, stdio, argv and environment; nothing is
 *   open yet, so nothing is lost; signals and exit codes are the new image's,
 *   which is the same program). Skipped inside the single-file executable,
 *   whose Node flags are fixed at build time (scripts/dist.ts), and where the
 *   platform has no execve.
 * - {@link SERVE_RUNTIME_FLAGS}: flags V8 reads at every GC, set at start.
 *
 * TUG_SERVE_V8_TUNING=off leaves the CLI's settings, for measuring (bench/serve.ts).
 */
import { setFlagsFromString } from 'node:v8';
import { longRun } from '../runtime/long-run.ts';

/**
 * Each for a measured reason (bench/serve.ts, variants interleaved on copies of one
 * 10,000-Repository store; scavenges and mark-compacts per 1,000 reads, SQLite):
 * - --max-semi-space-size=8: scavenges 230 -> 76, mark-compacts 2.7-3.5 -> 3.0 (less of what
 *   is in flight is promoted), peak RSS 156-171 -> 156-162 MiB.
 * - --minor-gc-task-trigger=80 (V8's default; the CLI's 25 scavenges at a quarter of the
 *   young generation): with the above, scavenges 27, mark-compacts 1.8, GC 21% -> 10% of
 *   the server's CPU, peak RSS 169-181 MiB. On PostgreSQL, where pg's row parsing
 *   allocates, scavenges 500 -> 32 a 1,000 reads (with 50% below: reads per CPU-second 434 -> 610).
 * - The CLI's other long-run settings (runtime/long-run.ts: the old generation grows by
 *   20%, WebAssembly stays on Liftoff) go on first, so a sync's first use of undici does
 *   not set them again over the trigger above. A growth of 50% halved the mark-compacts
 *   again (0.8) but took the peak RSS to 182-199 MiB, too near the target of 200.
 */
export const SERVE_START_FLAGS: readonly string[] = ['--max-semi-space-size=8'];
export const SERVE_RUNTIME_FLAGS: readonly string[] = ['--minor-gc-task-trigger=80'];

/** Call first thing in `tug serve`'s action: may not return (the process becomes the re-executed one). */
export async function tuneV8ForServe(): Promise<void> {
  if (process.env.TUG_SERVE_V8_TUNING === 'off') return;
  if (!SERVE_START_FLAGS.every((f) => process.execArgv.includes(f)) && typeof process.execve === 'function' && !(await insideExecutable())) {
    try {
      // argv0, then Node's own flags as given (the shebang's) with ours after them (V8 takes the last of a flag), then the script and its arguments.
      process.execve(process.execPath, [process.argv0, ...process.execArgv, ...SERVE_START_FLAGS, ...process.argv.slice(1)], process.env);
    } catch (err) {
      process.stderr.write(`tug serve: could not re-execute with ${SERVE_START_FLAGS.join(' ')} (${(err as Error).message}): serving with the CLI's heap settings\n`);
    }
  }
  longRun();
  for (const flag of SERVE_RUNTIME_FLAGS) setFlagsFromString(flag);
}

async function insideExecutable(): Promise<boolean> {
  try {
    return (await import('node:sea')).isSea();
  } catch {
    return false;
  }
}
