#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-semi-space-size=1 --no-concurrent-recompilation
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
// Three more memory settings (--minor-gc-task-trigger, --heap-growing-percent,
// --liftoff-only) are switched on when a long run starts, not here: on the
// command line they change the hash V8 checks before it accepts a code
// cache, and Node's own modules then compile from source in every command
// (src/runtime/long-run.ts says what each does and what that cost).
// --max-semi-space-size and --no-concurrent-recompilation leave it alone. Blob transfers and file hashing also ask for a
// scavenge every 1 MiB they stream (src/runtime/scavenge.ts): bench cold
// sync 108 -> 99 MiB peak.
// The line is 95 bytes, within the 127 that Linux read of a shebang before
// 5.1 (2019); `tug` on PATH (scripts/tug-launcher.sh) reads the line itself.
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
