/**
 * Which `transports.<transport>.<scope>` entries of a containers-policy.json
 * apply to an image, most specific first (containers-policy.json(5),
 * "Policy Requirements"; containers/image's PolicyConfigurationIdentity and
 * PolicyConfigurationNamespaces of each transport).
 *
 * Pure: from the image's name only.
 */
import { type Reference, parseReference } from '../reference/index.ts';
import type { ImageReference } from '../transports/types.ts';

/** Transports whose names are registry references (`host/ns/repo:tag`), scoped as docker:// is. */
const NAMED_TRANSPORTS: ReadonlySet<string> = new Set(['docker', 'docker-daemon', 'atomic']);

/**
 * The scopes of a registry image, most specific first: the full reference
 * (`host/ns/repo:tag` or `@digest`), the repository, each parent namespace,
 * the host, then wildcard domains (`*.example.com`, `*.com`). The empty
 * scope, the transport's default, is the caller's last resort.
 */
export function registryScopes(reference: string): string[] {
  const ref = parseReference(reference);
  const out = [ref.digest ? `${ref.name}@${ref.digest}` : `${ref.name}:${ref.tag}`];
  if (ref.tag && ref.digest) out.unshift(`${ref.name}:${ref.tag}@${ref.digest}`);
  const parts = ref.name.split('/');
  for (let n = parts.length; n >= 1; n--) out.push(parts.slice(0, n).join('/'));
  const host = ref.registry.replace(/:\d+$/, '');
  // A wildcard matches subdomains only, never an IP address or the bare host.
  if (!/^[\d.]+$/.test(host) && !host.startsWith('[')) {
    const labels = host.split('.');
    for (let i = 1; i < labels.length; i++) out.push(`*.${labels.slice(i).join('.')}`);
  }
  return out;
}

/**
 * The scopes of a local image (dir:, oci:, oci-archive:, docker-archive:):
 * `path:ref` when there is a ref, the path, then each parent directory up
 * to `/`.
 */
export function pathScopes(reference: string): string[] {
  const colon = reference.lastIndexOf(':');
  const hasRef = colon > 0 && !reference.slice(colon + 1).includes('/');
  const path = hasRef ? reference.slice(0, colon) : reference;
  const out = hasRef ? [reference] : [];
  let p = path.replace(/\/+$/, '') || '/';
  out.push(p);
  while (p !== '/' && p.includes('/')) {
    p = p.slice(0, p.lastIndexOf('/')) || '/';
    out.push(p);
  }
  return out;
}

/** The policy scopes of `image` under its transport's name, most specific first (without the empty scope). */
export function scopesOf(image: ImageReference): { transport: string; scopes: string[] } {
  const transport = image.transport.name;
  if (NAMED_TRANSPORTS.has(transport)) {
    try {
      return { transport, scopes: registryScopes(image.reference) };
    } catch {
      // docker-daemon:<image id> has no name: only the transport's default applies.
      return { transport, scopes: [] };
    }
  }
  return { transport, scopes: pathScopes(image.reference) };
}

/** The registry name of `image` when its transport names images that way (docker://, docker-daemon:); undefined for a local layout or an image ID. */
export function registryNameOf(image: ImageReference): Reference | undefined {
  if (!NAMED_TRANSPORTS.has(image.transport.name)) return undefined;
  try {
    return parseReference(image.reference);
  } catch {
    return undefined;
  }
}
