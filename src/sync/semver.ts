/**
 * node-semver, loaded on first use: most syncs name their tags, and loading
 * it at start cost every command ~10 ms. CommonJS, so a synchronous require
 * keeps the tag filters pure functions.
 */
import { createRequire } from 'node:module';
import type * as Semver from 'semver';

export type { SemVer } from 'semver';

const load = createRequire(import.meta.url);
let loaded: typeof Semver | undefined;

export function semver(): typeof Semver {
  loaded ??= load('semver') as typeof Semver;
  return loaded;
}
