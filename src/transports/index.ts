/**
 * Transport registry: turns `transport:reference` strings into
 * {@link ImageReference}s. The prefixes follow skopeo's (containers-transports(5)),
 * plus `registry-dir:` for the distribution storage layout.
 */
import { TugError } from '../errors/index.ts';
import { dirTransport } from './dir/dir-transport.ts';
import { dockerTransport } from './docker/docker-transport.ts';
import { dockerArchiveTransport } from './docker-archive/docker-archive-transport.ts';
import { ociArchiveTransport } from './oci-archive/oci-archive-transport.ts';
import { ociLayoutTransport } from './oci-layout/oci-layout-transport.ts';
import { registryDirTransport } from './registry-dir/registry-dir-transport.ts';
import type { ImageReference, Transport } from './types.ts';

export const transports: readonly Transport[] = [dockerTransport, dirTransport, ociLayoutTransport, ociArchiveTransport, dockerArchiveTransport, registryDirTransport];

const EXAMPLES = 'docker://HOST/REPO:TAG, dir:PATH, oci:PATH[:REF], oci-archive:PATH[:REF], docker-archive:PATH[:REF], registry-dir:PATH:REPO[:TAG]';

/**
 * Parses an image name with its transport prefix. A name without a known
 * prefix is refused (no guessing: `nginx` could be a path or an image).
 */
export function parseImageName(name: string): ImageReference {
  if (name.startsWith('docker://')) return dockerTransport.parse(name.slice('docker://'.length));
  const colon = name.indexOf(':');
  const prefix = colon > 0 ? name.slice(0, colon) : '';
  const transport = transports.find((t) => t.name === prefix && t !== dockerTransport);
  if (!transport) {
    const hint = prefix === 'docker' ? 'write docker:// with two slashes' : `name the transport, e.g. ${EXAMPLES}`;
    throw new TugError('USAGE', `invalid image name "${name}": ${prefix ? `unknown transport "${prefix}"` : 'no transport prefix'}`, { hint });
  }
  return transport.parse(name.slice(colon + 1));
}

export * from './types.ts';
