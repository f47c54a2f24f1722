#!/usr/bin/env node
// Entry shim: Tugboat is written in TypeScript and runs on Node 24's built-in
// type stripping, so there is no build step. The repo pins Node 24 as a dev
// dependency; `npx tug` and `npm run` put it first on PATH.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 23 || (major === 23 && minor < 6)) {
  process.stderr.write(
    `tug: Node ${process.versions.node} is too old; Tugboat needs Node 24. Run it as "npx tug" from the repo (after "npm ci"), which uses the pinned Node 24.\n`,
  );
  process.exit(2);
}
await import('../src/cli/main.ts');
