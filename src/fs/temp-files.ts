/**
 * Temp files and their leftovers. Every file this tool writes goes first to
 * a temp name in the same directory (see atomic.ts); the name carries the
 * writer's pid and start time, so a later run can tell a killed writer's
 * leftovers from a live one's and sweep them.
 */
import { randomBytes } from 'node:crypto';
import { lstat, readdir, rm } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';

/** Every temp file this tool writes starts with this (tar-writer skips such files when packing a tree). */
export const TEMP_PREFIX = '.tug-tmp-';
/** When this process started (epoch ms): temp files not touched since before it are not being written by it. */
export const PROCESS_START = Math.floor(performance.timeOrigin);
/** A temp file untouched this long before this process started is stale whoever wrote it (a stalled writer included). */
export const STALE_TEMP_MARGIN_MS = 60 * 60 * 1000;

/**
 * `.tug-tmp-PID-START-RANDOM-NAME`: the writer's pid and start time (base 36)
 * let a later run tell a killed writer's leftovers from a live one's.
 */
export function tempPathFor(path: string): string {
  const name = path.slice(path.lastIndexOf(sep) + 1).slice(0, 40);
  return join(dirname(path), `${TEMP_PREFIX}${process.pid}-${PROCESS_START.toString(36)}-${randomBytes(4).toString('hex')}-${name}`);
}

/** Whether a process with this pid exists (in this pid namespace). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether a temp file is a leftover nobody will rename: untouched since
 * before this process started and written by a pid that is gone, or
 * untouched for {@link STALE_TEMP_MARGIN_MS} before that whoever wrote it
 * (an older name without a pid, a pid reused since). A file written now,
 * by this or a concurrent run, has a fresh mtime and is kept; so is one a
 * writer in another pid namespace (a container sharing the volume) is
 * still writing.
 */
export function isStaleTemp(name: string, mtimeMs: number, run = { processStart: PROCESS_START, alive: pidAlive }): boolean {
  if (!name.startsWith(TEMP_PREFIX) || mtimeMs >= run.processStart) return false;
  if (mtimeMs < run.processStart - STALE_TEMP_MARGIN_MS) return true;
  const writer = /^(\d+)-([0-9a-z]+)-[0-9a-f]+-/.exec(name.slice(TEMP_PREFIX.length));
  if (!writer) return false;
  // Our own pid in an older name: an earlier process that had this pid.
  if (Number(writer[1]) === process.pid) return writer[2] !== run.processStart.toString(36);
  return !run.alive(Number(writer[1]));
}

/**
 * Removes stale temp files (see {@link isStaleTemp}) of killed runs from
 * `dirs`, and with `recursive` from every directory below them (missing
 * directories are skipped). Returns how many went. Never throws: a leftover
 * that cannot be removed now is tried again next run.
 */
export async function removeStaleTemps(dirs: Iterable<string>, options: { recursive?: boolean } = {}): Promise<number> {
  let removed = 0;
  for (const dir of dirs) {
    let found: string[];
    try {
      const entries = await readdir(dir, { withFileTypes: true, recursive: options.recursive === true });
      found = entries.filter((e) => e.isFile() && e.name.startsWith(TEMP_PREFIX)).map((e) => join(e.parentPath, e.name));
    } catch {
      continue;
    }
    for (const path of found) {
      try {
        const st = await lstat(path);
        if (!st.isFile() || !isStaleTemp(path.slice(path.lastIndexOf(sep) + 1), st.mtimeMs)) continue;
        await rm(path, { force: true });
        removed++;
      } catch {
        // vanished meanwhile, or not ours to remove
      }
    }
  }
  return removed;
}

const sweeps = new Map<string, Promise<number>>();

/**
 * Runs `sweep` (a {@link removeStaleTemps} over a destination's directories)
 * once per `key` (a layout root) in this process: a sync writing many
 * images into one layout pays for it once, on its first write.
 */
export function sweepOnce(key: string, sweep: () => Promise<number>): Promise<number> {
  let p = sweeps.get(key);
  if (!p) {
    p = sweep().catch(() => 0);
    sweeps.set(key, p);
  }
  return p;
}
