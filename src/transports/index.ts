/**
 * Transport registry: turns `transport:reference` strings into
 * {@link ImageReference}s. The prefixes follow skopeo's (containers-transports(5)),
 * plus `registry-dir:` for the distribution storage layout.
 */
import { resolve } from 'node:path';
import { TugError } from '../errors/index.ts';
import { dirTransport } from './dir/dir-transport.ts';
import { parseLayoutLocation } from './oci-layout/oci-layout-transport.ts';
import { type RegistryDirReference, registryDirTransport } from './registry-dir/registry-dir-transport.ts';
import type { StoreVerifier } from './store-check.ts';
import { TRANSPORTS, refuseNul, splitImageName } from './table.ts';
import { type ImageReference, type SyncTarget, type Transport, isSyncTarget } from './types.ts';

/**
 * Every row of table.ts, loaded: the synchronous API below serves the long
 * commands and the server, which name any transport. `tug copy` and `tug
 * inspect` import table.ts instead, and load one row each (see there).
 */
export const transports: readonly Transport[] = await Promise.all(TRANSPORTS.map((row) => row.load()));

/** The destinations of `tug sync` (`--dest`): the transports with the {@link SyncTarget} capability, in table order. */
export const syncTargets: readonly (Transport & SyncTarget)[] = transports.filter(isSyncTarget);

/** The sync destination named `name` (`docker`, `dir`, `oci`, `registry-dir`); USAGE for another. */
export function syncTarget(name: string): Transport & SyncTarget {
  const target = syncTargets.find((t) => t.name === name);
  if (!target) throw new TugError('USAGE', `"${name}" is no sync destination`, { hint: `use one of ${syncTargets.map((t) => t.name).join(', ')}` });
  return target;
}

/**
 * Parses an image name with its transport prefix. A name without a known
 * prefix is refused (no guessing: `nginx` could be a path or an image).
 */
export function parseImageName(name: string): ImageReference {
  const { row, rest } = splitImageName(name);
  return transports.find((t) => t.name === row.name)!.parse(rest);
}

/**
 * The local stores `tug verify` checks by their bytes, by prefix; the text
 * after the prefix is parsed as the transport parses it, except that
 * registry-dir: takes the whole tree when REPO is left out. Each checker
 * loads when `tug verify` runs it: every command imports this table.
 */
const STORES: Record<string, (rest: string, name: string) => StoreVerifier> = {
  oci: (rest, name) => {
    const { path, ref } = parseLayoutLocation(rest, 'oci');
    return { verifyStore: async (options) => (await import('./oci-layout/oci-layout-verify.ts')).verifyOciLayout(path, ref, name, options) };
  },
  dir: (rest, name) => {
    const path = dirTransport.parse(rest).path;
    return { verifyStore: async (options) => (await import('./dir/dir-verify.ts')).verifyDirLayout(path, name, options) };
  },
  'registry-dir': (rest, name) => {
    const colon = rest.indexOf(':');
    const repository = colon < 0 ? undefined : (registryDirTransport.parse(rest) as RegistryDirReference).repository;
    const path = resolve(colon < 0 ? rest : rest.slice(0, colon));
    return { verifyStore: async (options) => (await import('./registry-dir/registry-dir-verify.ts')).verifyRegistryTree(path, repository, name, options) };
  },
};

/** `oci:PATH[:REF]`, `dir:PATH` or `registry-dir:PATH[:REPO]` as a {@link StoreVerifier}; USAGE for anything else. */
export function parseStoreName(name: string): StoreVerifier {
  refuseNul(name);
  const colon = name.indexOf(':');
  const make = colon > 0 ? STORES[name.slice(0, colon)] : undefined;
  const rest = name.slice(colon + 1);
  if (!make || rest === '') {
    throw new TugError('USAGE', `cannot verify "${name}" by its bytes`, { hint: 'name a local store: oci:PATH[:REF], dir:PATH or registry-dir:PATH[:REPO]; for a mirror in a registry use tug verify -f LIST' });
  }
  return make(rest, name);
}

export { loadImageName } from './table.ts';
export type { StoreProblem, StoreReport, StoreVerifier } from './store-check.ts';
export * from './types.ts';
