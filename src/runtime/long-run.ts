/**
 * V8's memory settings for a long run, switched on when a command starts
 * one (its first blob streamed, its first undici connection pool) rather
 * than in bin/tug.js's shebang.
 *
 * Why not the shebang: V8 accepts a code cache only when it was made under
 * the same flag values (a hash of them travels with the cache), and Node's
 * own modules (node:http, node:crypto, node:stream, ...) come with a code
 * cache built into the binary, made under V8's defaults. Each of these three
 * flags on the command line changes that hash, so every command compiled
 * each of Node's modules it loads from source: measured with hyperfine on
 * this machine, loading eight of them took 84 ms of user CPU with no flags
 * and 105 ms with these three (`--max-semi-space-size` and
 * `--no-concurrent-recompilation` leave the hash alone and stay in the
 * shebang). Set here, after the command's modules are loaded, they cost a
 * short command (inspect, a copy whose blobs are present) nothing, and a
 * long one gets them before it allocates much. A module loaded later
 * (undici's files, node:zlib) compiles under the new hash; the on-disk
 * compile cache keeps one entry per module, made under whichever hash that
 * module always loads under.
 *
 * What each does, measured when it was in the shebang:
 * - --minor-gc-task-trigger=25: scavenge at a quarter of the young
 *   generation (V8's default is 80%). Socket reads are 64 KB buffers outside
 *   the JS heap that die young but are freed only by a scavenge, and a chunk
 *   puts only a few KB on the heap: at 80% some 20 MB of dead buffers piled
 *   up between scavenges of the big-layer copy, at 25% 8-10 MB (peak 98 ->
 *   87 MB).
 * - --heap-growing-percent=20: the old generation grows by 20% past what a
 *   full GC kept, not by V8's default factor (up to 4x for a small heap): a
 *   sync's per-tag objects die old, and with the default the heap reached
 *   55 MB of mostly garbage before a full GC (no-op sync of 3,000 tags:
 *   132 MB -> 102 MB peak), at no measurable CPU cost.
 * - --liftoff-only: WebAssembly stays on V8's baseline compiler. undici
 *   parses HTTP with llhttp compiled to WebAssembly, and once a few requests
 *   make it hot V8 recompiles it with TurboFan, a burst of ~20 MB of compiler
 *   memory (a copy whose blobs are all present: 96-98 MB -> 75-76 MB peak),
 *   for parsing that is a small part of the CPU either way. It must be set
 *   before undici compiles llhttp, hence the call in distribution/undici.ts.
 *   V8 derives the flags a flag implies only when it starts, so the two that
 *   matter here are spelled out: with `--liftoff-only` alone set at run time,
 *   TurboFan still compiled llhttp (the 300 MB layer's copy: 92-94 MB peak,
 *   against 77-78 MB with --no-wasm-tier-up and --no-wasm-dynamic-tiering
 *   beside it, as with the flag on the command line).
 */
import { setFlagsFromString } from 'node:v8';

/** The flags, as V8 reads them (`node --v8-options`), implied ones included. */
export const LONG_RUN_FLAGS: readonly string[] = ['--minor-gc-task-trigger=25', '--heap-growing-percent=20', '--liftoff-only', '--no-wasm-tier-up', '--no-wasm-dynamic-tiering'];

let started = false;

/** Switches the long-run settings on, once per process; later calls do nothing. */
export function longRun(): void {
  if (started) return;
  started = true;
  setFlagsFromString(LONG_RUN_FLAGS.join(' '));
}
