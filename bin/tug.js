#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-semi-space-size=1 --minor-gc-task-trigger=25 --heap-growing-percent=20 --liftoff-only --no-concurrent-recompilation
// Entry shim. Tugboat is written in TypeScript. `npm run build` (run by the
// setup script and before the tests) compiles it to dist/; this shim runs
// dist/ when it is at least as new as every file in src/, and otherwise the
// sources directly through Node 24's type stripping, so an edited checkout
// never runs stale code. dist/ is preferred because type stripping costs
// ~100 MB of resident memory and a slower start.
//
// The shebang's flags keep the resident set small (issue 14 item 7: under
// 100 MB whatever the transfer), each for a measured reason:
// - --max-semi-space-size=1: a small young generation. Streaming gigabytes
//   allocates many short-lived buffers (measured: 172 MB -> 114 MB peak
//   while copying a 400 MB layer) at no cost in speed.
// - --minor-gc-task-trigger=25: scavenge at a quarter of that (V8's default
//   is 80%). Socket reads are 64 KB buffers outside the JS heap that die
//   young but are freed only by a scavenge, and a chunk puts only a few KB
//   on the heap: at 80% some 20 MB of dead buffers piled up between
//   scavenges of the big-layer copy, at 25% 8-10 MB (peak 98 -> 87 MB).
//   Blob transfers and file hashing also ask for a scavenge every 1 MiB
//   they stream (src/runtime/scavenge.ts): bench cold sync 108 -> 99 MiB peak.
// - --heap-growing-percent=20: the old generation grows by 20% past what a
//   full GC kept, not by V8's default factor (up to 4x for a small heap):
//   a sync's per-tag objects die old, and with the default the heap reached
//   55 MB of mostly garbage before a full GC (no-op sync of 3,000 tags:
//   132 MB -> 102 MB peak), at no measurable CPU cost.
// - --liftoff-only: WebAssembly stays on V8's baseline compiler. undici
//   parses HTTP with llhttp compiled to WebAssembly, and once a few requests
//   make it hot V8 recompiles it with TurboFan, a burst of ~20 MB of compiler
//   memory in every command that talks to a registry (a copy whose blobs are
//   all present: 96-98 MB -> 75-76 MB peak), for parsing that is a small
//   part of the CPU either way.
// - --no-concurrent-recompilation: V8 optimises hot functions (Maglev,
//   TurboFan) on the main thread instead of a helper thread, whose compile
//   jobs' memory (malloc'ed off the main thread, so in glibc's second arena)
//   stayed resident: the no-op sync of 3,000 tags peaked at 95 MB with 44 MB
//   anonymous, 86-87 MB with 35 MB; the cold bench sync 94-99 -> 92-95 MB
//   (bench: every scenario now under 100 MiB, 98.4 at most). The compiling is the
//   same work either way: CPU within noise (no-op re-sync 0.85 -> 0.84 s,
//   median of 5). `--max-opt=1` (no optimising compiler at all) took 8-16 MB
//   off, but cost the 3,000-tag no-op 40% more CPU: not adopted.
// - MALLOC_ARENA_MAX=2 stops glibc from keeping a malloc arena per thread
//   (libuv's pool, V8's helpers), each holding on to freed memory: measured
//   168-170 MB -> 128-132 MB peak on the benchmark's cold sync.
// The line is 163 bytes: Linux reads 256 bytes of a shebang since 5.1 (2019)
// and cut it at 127 before; `tug` on PATH (scripts/tug-launcher.sh) reads
// the line itself, on any kernel.
import { readdirSync, statSync } from 'node:fs';
// A namespace import: a named one would fail to link on an old Node before the version check below can explain.
import * as nodeModule from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 23 || (major === 23 && minor < 6)) {
  process.stderr.write(
    `tug: Node ${process.versions.node} is too old; Tugboat needs Node 24. Run "tug" (scripts/setup.sh puts a launcher on PATH that uses the pinned Node 24 of "npm ci"), or the single-file executable of "npm run dist".\n`,
  );
  process.exit(2);
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const stamp = join(root, 'dist', '.build-stamp');

// Whether dist/ is at least as new as every file under src/. It stats every
// file (an edit in place changes no directory's mtime, so nothing cheaper
// can tell), but as little else as it can: this runs before every command,
// on a cold VM where each call is interpreted. Plain concatenation instead of
// path.join, and a stop at the first newer file: 17-24 -> 6-10 ms of CPU for
// src/'s 280 files, measured cold on the loaded bench machine (--cpu-prof
// had shown the walk at ~10 ms of `tug --version`).
function builtAfterSources(dir, built) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory() ? !builtAfterSources(path, built) : statSync(path).mtimeMs > built) return false;
  }
  return true;
}

// V8's code cache on disk (in the OS temp dir): later starts skip compiling
// undici, yaml and our own modules again, which is most of a start-up.
nodeModule.enableCompileCache?.();

const stampTime = statSync(stamp, { throwIfNoEntry: false })?.mtimeMs;
const built = stampTime !== undefined && builtAfterSources(join(root, 'src'), stampTime);
await import(built ? '../dist/cli/main.js' : '../src/cli/main.ts');
