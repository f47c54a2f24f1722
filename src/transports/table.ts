/**
 * The table of transports: one row per prefix (containers-transports(5),
 * plus `registry-dir:`), each loaded on first use. A short command names one
 * or two transports, and loading all seven (the archive ones bring the tar
 * reader and writer with them) cost `tug inspect` ~35 ms of CPU of its ~0.3 s
 * (issue 14 item 7), so `tug copy` and `tug inspect` parse their names with
 * {@link loadImageName}, which loads only the row a name uses. index.ts loads
 * every row for the synchronous API of the long commands (sync, bundle,
 * serve), from this same table.
 */
import { TugError } from '../errors/index.ts';
import type { ImageReference, Transport } from './types.ts';

export interface TransportRow {
  /** The prefix without its colon(s), as {@link Transport.name}. */
  readonly name: string;
  load(): Promise<Transport>;
}

/** In the order parse errors list them (and index.ts's `transports`). */
export const TRANSPORTS: readonly TransportRow[] = [
  { name: 'docker', load: async () => (await import('./docker/docker-transport.ts')).dockerTransport },
  { name: 'dir', load: async () => (await import('./dir/dir-transport.ts')).dirTransport },
  { name: 'oci', load: async () => (await import('./oci-layout/oci-layout-transport.ts')).ociLayoutTransport },
  { name: 'oci-archive', load: async () => (await import('./oci-archive/oci-archive-transport.ts')).ociArchiveTransport },
  { name: 'docker-archive', load: async () => (await import('./docker-archive/docker-archive-transport.ts')).dockerArchiveTransport },
  { name: 'docker-daemon', load: async () => (await import('./docker-daemon/docker-daemon-transport.ts')).dockerDaemonTransport },
  { name: 'registry-dir', load: async () => (await import('./registry-dir/registry-dir-transport.ts')).registryDirTransport },
];

const EXAMPLES = 'docker://HOST/REPO:TAG, dir:PATH, oci:PATH[:REF], oci-archive:PATH[:REF], docker-archive:PATH[:REF], docker-daemon:NAME:TAG, registry-dir:PATH:REPO[:TAG]';

/**
 * No path and no registry name holds a NUL: refused as bad input here rather
 * than as an I/O error later (argv cannot carry one; a sync file or an API
 * request can).
 */
export function refuseNul(name: string): void {
  if (name.includes('\0')) throw new TugError('USAGE', `invalid image name "${name}": it contains a NUL character`);
}

/**
 * The row an image name's prefix names and the text its transport parses.
 * A name without a known prefix is refused (no guessing: `nginx` could be a
 * path or an image).
 */
export function splitImageName(name: string): { row: TransportRow; rest: string } {
  refuseNul(name);
  if (name.startsWith('docker://')) return { row: TRANSPORTS[0]!, rest: name.slice('docker://'.length) };
  const colon = name.indexOf(':');
  const prefix = colon > 0 ? name.slice(0, colon) : '';
  const row = prefix === 'docker' ? undefined : TRANSPORTS.find((t) => t.name === prefix);
  if (!row) {
    const hint = prefix === 'docker' ? 'write docker:// with two slashes' : `name the transport, e.g. ${EXAMPLES}`;
    throw new TugError('USAGE', `invalid image name "${name}": ${prefix ? `unknown transport "${prefix}"` : 'no transport prefix'}`, { hint });
  }
  return { row, rest: name.slice(colon + 1) };
}

/** index.ts `parseImageName`, loading only the transport the name uses. */
export async function loadImageName(name: string): Promise<ImageReference> {
  const { row, rest } = splitImageName(name);
  return (await row.load()).parse(rest);
}
