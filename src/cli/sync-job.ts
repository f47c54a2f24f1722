/**
 * What `tug sync`, `tug save` and `tug verify` share: reading the job (any
 * of the four formats, one repository, or a directory of dir: images), the
 * platform choice, and one SystemContext per (registry, side) for the whole
 * job, so registry clients (connections, tokens) are shared by every image.
 */
import { TugError } from '../errors/index.ts';
import { formatPlatform, parsePlatformList } from '../oci/platform.ts';
import { specFromDirectory } from '../sync/from-directory.ts';
import { specFromReference } from '../sync/from-reference.ts';
import type { SyncSpec } from '../sync/spec.ts';
import type { SystemContext, TransportEvent } from '../transports/types.ts';
import { contextFrom } from './options.ts';

export type SrcKind = 'docker' | 'dir' | 'yaml' | 'skopeo' | 'image-syncer' | 'list' | 'tugboat';
export const SRC_KINDS: SrcKind[] = ['docker', 'dir', 'yaml', 'skopeo', 'image-syncer', 'list', 'tugboat'];
export type OutputMode = 'tty' | 'plain' | 'json' | 'quiet';

export function outputMode(opts: Record<string, unknown>): OutputMode {
  return opts.json ? 'json' : opts.quiet ? 'quiet' : process.stderr.isTTY ? 'tty' : 'plain';
}

/** Reads the job: a repository (`--src docker`), a directory of dir: images (`--src dir`) or one or more job files. */
export async function loadJob(files: string[], src: SrcKind | undefined): Promise<SyncSpec> {
  if (src === 'docker') {
    if (files.length !== 1) throw new TugError('USAGE', '--src docker takes one repository');
    return specFromReference(files[0]!);
  }
  if (src === 'dir') {
    if (files.length !== 1) throw new TugError('USAGE', '--src dir takes one directory', { hint: 'tug sync --src dir SOURCE_DIR DESTINATION' });
    return specFromDirectory(files[0]!);
  }
  // The readers (yaml, zod) load only when a job file is read.
  const { loadSyncSpec } = await import('../sync/config/index.ts');
  return loadSyncSpec(files, { format: src === 'yaml' ? 'skopeo' : (src as Exclude<SrcKind, 'docker' | 'dir' | 'yaml'> | undefined) });
}

/** `all`, `system`, or a normalised platform list, from --all / --platform / the job file. */
export function platformChoice(opts: Record<string, unknown>, spec: SyncSpec): string {
  if (opts.all && opts.platform) throw new TugError('USAGE', '--all conflicts with --platform', { hint: 'use one of them' });
  if (opts.all) return 'all';
  if (opts.platform) return parsePlatformList(opts.platform as string).map(formatPlatform).join(',');
  if (spec.platforms?.includes('all')) return 'all';
  return spec.platforms ? spec.platforms.join(',') : 'system';
}

export interface JobContexts {
  contextFor(registry: string, side: 'source' | 'destination'): SystemContext;
  /** Where transport events go (default: notices printed on stderr unless quiet/json). */
  setTransportSink(sink: (side: 'source' | 'destination', e: TransportEvent) => void): void;
}

/** Per-registry settings of the job file win over the command line's side flags. */
export function jobContexts(spec: SyncSpec, opts: Record<string, unknown>, mode: OutputMode): JobContexts {
  let sink: (side: 'source' | 'destination', e: TransportEvent) => void = (_side, e) => {
    if (e.type === 'notice' && (mode === 'tty' || mode === 'plain')) process.stderr.write(`Note: ${e.message}\n`);
  };
  const contexts = new Map<string, SystemContext>();
  return {
    contextFor(registry, side) {
      const key = `${side}\u0000${registry}`;
      let ctx = contexts.get(key);
      if (!ctx) {
        const access = spec.registries[registry];
        ctx = {
          ...contextFrom(opts, side === 'source' ? 'src-' : 'dest-'),
          ...(access?.credentials ? { credentials: access.credentials } : {}),
          ...(access?.tlsVerify !== undefined ? { tlsVerify: access.tlsVerify } : {}),
          ...(access?.certDir !== undefined ? { certDir: access.certDir } : {}),
          ...(access?.plainHttp !== undefined ? { plainHttp: access.plainHttp } : {}),
          onEvent: (e) => sink(side, e),
        };
        contexts.set(key, ctx);
      }
      return ctx;
    },
    setTransportSink(s) {
      sink = s;
    },
  };
}
