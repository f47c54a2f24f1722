#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-semi-space-size=1
// Entry shim. Tugboat is written in TypeScript. `npm run build` (run by the
// setup script and before the tests) compiles it to dist/; this shim runs
// dist/ when it is at least as new as every file in src/, and otherwise the
// sources directly through Node 24's type stripping, so an edited checkout
// never runs stale code. dist/ is preferred because type stripping costs
// ~100 MB of resident memory and a slower start.
//
// The shebang gives V8 a small young generation: streaming gigabytes
// allocates many short-lived buffers, and a 1 MB semi-space keeps the
// resident set low (measured: 172 MB -> 114 MB peak while copying a 400 MB
// layer) at no cost in speed. MALLOC_ARENA_MAX=2 stops glibc from keeping a
// malloc arena per thread (libuv's pool, V8's helpers), each holding on to
// freed memory: measured 168-170 MB -> 128-132 MB peak on the benchmark's
// cold sync. Run it as `npx tug` or `bin/tug.js` to get both.
import { existsSync, readdirSync, statSync } from 'node:fs';
// A namespace import: a named one would fail to link on an old Node before the version check below can explain.
import * as nodeModule from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 23 || (major === 23 && minor < 6)) {
  process.stderr.write(
    `tug: Node ${process.versions.node} is too old; Tugboat needs Node 24. Run it as "npx tug" from the repo (after "npm ci"), which uses the pinned Node 24.\n`,
  );
  process.exit(2);
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const stamp = join(root, 'dist', '.build-stamp');

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

// V8's code cache on disk (in the OS temp dir): later starts skip compiling
// undici, yaml and our own modules again, which is most of a start-up.
nodeModule.enableCompileCache?.();

const built = existsSync(stamp) && statSync(stamp).mtimeMs >= newestSource(join(root, 'src'));
await import(built ? '../dist/cli/main.js' : '../src/cli/main.ts');
