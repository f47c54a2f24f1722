/**
 * Normalising the keys of auth files and the registry names callers pass in,
 * so that every spelling of a registry finds the same entry.
 * containers-auth.json(5): URL-form keys (`https://host/v1/`) name a host
 * only; bare keys may carry a namespace (`host/team/app`).
 */
import { TugError } from '../errors/index.ts';

/** The canonical name of Docker Hub in auth files written by Tugboat and in lookups. */
export const DOCKER_HUB = 'docker.io';

/** The server URL docker and its credential helpers use for Docker Hub. */
export const DOCKER_HUB_SERVER_URL = 'https://index.docker.io/v1/';

const HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

/**
 * Turns an auth-file key into `host[:port][/namespace...]`, lower-casing the
 * host. URL-form keys lose their scheme and path (docker's `https://index.docker.io/v1/`
 * means the whole registry, not a namespace called `v1`); Docker Hub aliases become `docker.io`.
 */
export function normalizeAuthKey(key: string): string {
  let k = key.trim();
  const urlForm = /^[a-z][a-z0-9+.-]*:\/\//i.test(k);
  if (urlForm) k = k.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').split('/')[0] ?? '';
  k = k.replace(/\/+$/, '');
  const slash = k.indexOf('/');
  const host = (slash === -1 ? k : k.slice(0, slash)).toLowerCase();
  const rest = slash === -1 ? '' : k.slice(slash);
  return `${HUB_ALIASES.has(host) ? DOCKER_HUB : host}${rest}`;
}

/**
 * Normalises a registry (optionally with a namespace: `tug login host/team`)
 * given by a caller. Throws USAGE for an empty name or one with a scheme-less
 * path that cannot name a registry.
 */
export function normalizeRegistry(registry: string): string {
  const key = normalizeAuthKey(registry);
  if (key === '' || key.startsWith('/')) {
    throw new TugError('USAGE', `"${registry}" is not a registry name`, { hint: 'give a host such as registry.example.com or registry.example.com:5000' });
  }
  return key;
}

/** The host part of a normalised key (`host[:port]`). */
export function hostOf(key: string): string {
  const slash = key.indexOf('/');
  return slash === -1 ? key : key.slice(0, slash);
}

/**
 * The keys to try for `registry` + `repository`, most specific first:
 * `host/team/app`, `host/team`, `host` (containers-auth.json(5): "the most
 * specific match wins").
 */
export function lookupKeys(registry: string, repository?: string): string[] {
  const base = normalizeRegistry(registry);
  const parts = [...base.split('/'), ...(repository ? repository.split('/').filter((p) => p !== '') : [])];
  const keys: string[] = [];
  for (let n = parts.length; n >= 1; n--) keys.push(parts.slice(0, n).join('/'));
  return keys;
}

/** The server URL handed to a credential helper for `host`: docker's spelling for Docker Hub. */
export function helperServerUrl(host: string): string {
  return host === DOCKER_HUB ? DOCKER_HUB_SERVER_URL : host;
}
