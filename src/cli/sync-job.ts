/**
 * What `tug sync`, `tug save` and `tug verify` share: reading the job (any
 * of the four formats, one repository, or a directory of dir: images), the
 * platform choice, and one SystemContext per (registry, side) for the whole
 * job, so registry clients (connections, tokens) are shared by every image.
 */
import type { SystemContext, TransportEvent } from '../context/system-context.ts';
import { TugError } from '../errors/index.ts';
import { formatPlatform, parsePlatformList } from '../oci/platform.ts';
import { SYNC_FORMATS } from '../sync/config/readers.ts';
import { specFromDirectory } from '../sync/from-directory.ts';
import { specFromReference } from '../sync/from-reference.ts';
import type { SyncSpec } from '../sync/spec.ts';
import { type ContextOptions, contextFrom } from './options.ts';
import { transportLine } from './progress.ts';
import { worthShowing } from './transport-events.ts';

/**
 * What `--src` may say SOURCE is: a repository (`docker`), a directory of
 * dir: images (`dir`), skopeo's own name for its YAML (`yaml`), or a file
 * format of SYNC_FORMATS (src/sync/config/readers.ts, where formats are added).
 */
export const SRC_KINDS = ['docker', 'dir', 'yaml', ...SYNC_FORMATS] as const;
export type SrcKind = (typeof SRC_KINDS)[number];
/** The `--src` values that name a file format (for commands that read only files). */
export const FILE_SRC_KINDS = SRC_KINDS.filter((k): k is Exclude<SrcKind, 'docker' | 'dir'> => k !== 'docker' && k !== 'dir');
export type OutputMode = 'tty' | 'plain' | 'json' | 'quiet';

export function outputMode(opts: { json?: boolean; quiet?: boolean }): OutputMode {
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
  return loadSyncSpec(files, { format: src === 'yaml' ? 'skopeo' : src });
}

/** `all`, `system`, or a normalised platform list, from --all / --platform / the job file. */
export function platformChoice(opts: { all?: boolean; platform?: string }, spec: SyncSpec): string {
  if (opts.all && opts.platform) throw new TugError('USAGE', '--all conflicts with --platform', { hint: 'use one of them' });
  if (opts.all) return 'all';
  if (opts.platform) return parsePlatformList(opts.platform).map(formatPlatform).join(',');
  if (spec.platforms?.includes('all')) return 'all';
  return spec.platforms ? spec.platforms.join(',') : 'system';
}

export interface JobContexts {
  contextFor(registry: string, side: 'source' | 'destination'): SystemContext;
  /** Where transport events go (default: notices printed on stderr unless quiet/json). */
  setTransportSink(sink: (side: 'source' | 'destination', e: TransportEvent) => void): void;
}

/** Per-registry settings of the job file win over the command line's side flags. */
export function jobContexts(spec: SyncSpec, opts: ContextOptions<'src-'> & ContextOptions<'dest-'>, mode: OutputMode): JobContexts {
  let sink: (side: 'source' | 'destination', e: TransportEvent) => void = (_side, e) => {
    if ((e.type === 'notice' || e.type === 'http') && (mode === 'tty' || mode === 'plain')) process.stderr.write(`${transportLine(e)}\n`);
  };
  const contexts = new Map<string, SystemContext>();
  return {
    contextFor(registry, side) {
      const key = `${side}\u0000${registry}`;
      let ctx = contexts.get(key);
      if (!ctx) {
        const access = spec.registries[registry];
        ctx = {
          ...(side === 'source' ? contextFrom(opts, 'src-') : contextFrom(opts, 'dest-')),
          ...(access?.credentials ? { credentials: access.credentials } : {}),
          ...(access?.tlsVerify !== undefined ? { tlsVerify: access.tlsVerify } : {}),
          ...(access?.certDir !== undefined ? { certDir: access.certDir } : {}),
          ...(access?.plainHttp !== undefined ? { plainHttp: access.plainHttp } : {}),
          ...(access?.proxy !== undefined ? { proxy: access.proxy } : {}),
        };
        const settings = ctx;
        // Only what a person should see goes on: http with --debug, each notice once (transport-events.ts).
        ctx.onEvent = (e) => {
          if (worthShowing(e, settings)) sink(side, e);
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
