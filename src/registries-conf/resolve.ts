/**
 * What a {@link RegistriesConfig} says about one image name: the registry
 * entry that applies (longest matching prefix), where a pull may come from
 * (mirrors, then the rewritten primary location), and whether a location is
 * blocked or insecure. Pure; the docker transport applies the answers.
 *
 * Semantics of containers/image `pkg/sysregistriesv2` (`FindRegistry`,
 * `refMatchingPrefix`, `PullSourcesFromReference`, `rewriteReference`) and
 * `docker/docker_image_src.go` (which tries the pull sources in order):
 * - a prefix matches a name when the name equals it or continues it with
 *   `/`, `:` or `@`; `*.example.com` matches every subdomain's names;
 * - `location` replaces the matched prefix, for pulls only: pushes, tag
 *   lists and deletes use the name as written (skopeo does the same);
 * - mirrors come before the primary location, each subject to
 *   `mirror-by-digest-only` / `pull-from-mirror`;
 * - `blocked` and `insecure` are looked up for each location actually
 *   contacted, so a mirror of a blocked registry still serves pulls.
 */
import { TugError } from '../errors/index.ts';
import { type Reference, parseReference } from '../reference/reference.ts';
import type { RegistriesConfig, RegistryEndpoint, RegistryEntry } from './registries-conf.ts';

/** One place to try a pull from, in order. */
export interface PullSource {
  /** The name to request there (rewritten by the entry's prefix and the endpoint's location). */
  reference: Reference;
  /** TLS verification off and plain HTTP allowed for this location. */
  insecure: boolean;
  /** True for a `[[registry.mirror]]`, false for the registry's own location. */
  mirror: boolean;
}

/**
 * Length of `prefix`'s match at the start of `name`, or -1. Wildcards
 * (`*.example.com`) match a host ending in `.example.com` with nothing but
 * the host before it.
 */
function matchLength(name: string, prefix: string): number {
  if (prefix.startsWith('*.')) {
    const suffix = prefix.slice(1);
    const at = name.indexOf(suffix);
    if (at === -1 || name.slice(0, at).includes('/')) return -1;
    const end = at + suffix.length;
    return end === name.length || ':/@'.includes(name[end]!) ? end : -1;
  }
  if (name === prefix) return prefix.length;
  return name.startsWith(prefix) && ':/@'.includes(name[prefix.length] ?? '') ? prefix.length : -1;
}

/**
 * The entry that applies to `name` (`host/repo`, or a full reference): the
 * one with the longest matching prefix; undefined when none matches.
 */
export function findRegistry(config: RegistriesConfig, name: string): RegistryEntry | undefined {
  let best: RegistryEntry | undefined;
  for (const r of config.registries) {
    if (matchLength(name, r.prefix) !== -1 && r.prefix.length > (best?.prefix.length ?? 0)) best = r;
  }
  return best;
}

function rewrite(ref: Reference, entry: RegistryEntry, endpoint: RegistryEndpoint): Reference {
  if (endpoint.location === '') return ref; // a wildcard entry's own endpoint: the name as it is
  const full = ref.toString();
  const n = matchLength(full, entry.prefix);
  const rewritten = `${endpoint.location}${full.slice(n)}`;
  try {
    return parseReference(rewritten, { defaultTag: false });
  } catch (err) {
    throw new TugError('USAGE', `registries.conf "${entry.file}": location "${endpoint.location}" of prefix "${entry.prefix}" turns ${full} into "${rewritten}", which is not an image name`, {
      hint: 'fix the location (host[:port][/path])',
      cause: err,
    });
  }
}

/**
 * Where to pull `ref` from, in order: the mirrors that apply (a digest
 * reference skips `tag-only` mirrors; a tag reference skips `digest-only`
 * ones and every mirror of a `mirror-by-digest-only` registry), then the
 * registry's own location. Without a matching entry: `ref` itself, secure.
 */
export function pullSources(config: RegistriesConfig, ref: Reference): PullSource[] {
  const entry = findRegistry(config, ref.name);
  if (!entry) return [{ reference: ref, insecure: false, mirror: false }];
  const digested = ref.digest !== undefined;
  const mirrors = entry.mirrorByDigestOnly
    ? digested
      ? entry.mirrors
      : []
    : entry.mirrors.filter((m) => (m.pullFromMirror === 'digest-only' ? digested : m.pullFromMirror === 'tag-only' ? !digested : true));
  return [
    ...mirrors.map((m) => ({ reference: rewrite(ref, entry, m), insecure: m.insecure, mirror: true })),
    { reference: rewrite(ref, entry, entry), insecure: entry.insecure, mirror: false },
  ];
}

/**
 * What the configuration says about contacting the registry of `name`
 * (a location actually contacted: a pull source, or a push / list / delete
 * target as written): `blocked` and `insecure` of the entry that applies.
 */
export function locationPolicy(config: RegistriesConfig, name: string): { blocked: boolean; insecure: boolean; entry: RegistryEntry | undefined } {
  const entry = findRegistry(config, name);
  return { blocked: entry?.blocked ?? false, insecure: entry?.insecure ?? false, entry };
}

/** The POLICY error for a blocked location, naming the entry's prefix and its file (as skopeo: "registry X is blocked in FILE"). */
export function blockedError(action: string, name: string, entry: RegistryEntry): TugError {
  return new TugError('POLICY', `${action} ${name}: registry "${entry.prefix}" is blocked in ${entry.file}`, {
    hint: 'the machine\'s registries.conf forbids it; use another registry, or --registries-conf with a file that allows it',
  });
}
