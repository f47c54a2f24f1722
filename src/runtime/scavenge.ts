/**
 * Young-generation collections paced by the bytes blobs stream (issue 14
 * item 7: peak RSS under 100 MB): blob transfers (copy/blob-copy.ts) count
 * what they move here (fs/io.ts hashFile reads into one reused buffer and
 * leaves nothing to collect). Every chunk a socket delivers is a 64 KB
 * buffer outside the JS heap that is dead once hashed and written on, yet
 * freed only by a scavenge, and V8 schedules scavenges by what the JS heap
 * allocates: a chunk adds a few hundred bytes there, so eight concurrent
 * transfers piled up 20-30 MB of dead buffers between scavenges (measured
 * on the benchmark's cold sync, `process.memoryUsage().arrayBuffers`).
 * Asking for a scavenge after every {@link EVERY_BYTES} streamed bounds
 * that pile; a scavenge of the 1 MB young generation (bin/tug.js) costs a
 * fraction of a millisecond, a few hundred of them per GB.
 *
 * The collector comes from V8's gc extension, switched on for a fresh
 * context only: no `gc` appears on the program's own global. Where that
 * fails, this does nothing and V8 collects as it would anyway.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { longRun } from './long-run.ts';

/** Bytes streamed (all transfers together) between two requested scavenges. */
export const EVERY_BYTES = 1024 * 1024;

type Collect = (options: { type: 'minor' }) => void;

let pending = 0;
/** undefined: not looked up yet; null: unavailable. */
let collect: Collect | null | undefined;

function lookUp(): Collect | null {
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    return typeof gc === 'function' ? (gc as Collect) : null;
  } catch {
    return null;
  }
}

/** Counts `bytes` just streamed (a transfer's chunk, a hashed file's); scavenges once {@link EVERY_BYTES} have passed since the last. */
export function streamed(bytes: number): void {
  longRun();
  pending += bytes;
  if (pending < EVERY_BYTES) return;
  pending = 0;
  collect ??= lookUp();
  collect?.({ type: 'minor' });
}
