/**
 * The sync input formats: one line each in {@link SYNC_READERS}, in
 * detection order (most specific first). Each format is a module exporting
 * a {@link SyncReader}; the modules (and yaml, zod with them) load only when
 * a file is read, so the CLI lists the formats for `--src` at no cost.
 * `SyncSpec.format`, `--src` and detection all derive from this table.
 */
import type { SyncSpec } from '../spec.ts';
import type { ConfigText, YamlFile } from './config-file.ts';

/** What detection sees of one file. */
export interface DetectInput {
  input: ConfigText;
  /** The file parsed as YAML (JSON is YAML); undefined when it does not parse. */
  yaml: YamlFile | undefined;
  /** The first syntax problem when `yaml` is undefined. */
  yamlIssue?: { line: number; message: string } | undefined;
}

/** The format fits (with the file's role, for formats spread over several files), or why not: a short reason for the error that lists every format tried. */
export type Detected = { fits: true; role?: string | undefined } | { fits: false; why: string };

export interface ReadOptions {
  /** Environment for passwords (`passwordEnv`, `${VAR}`); default `process.env`. */
  env?: NodeJS.ProcessEnv | undefined;
  /** Reads a Tugboat file's `passwordFile` (default: the file system); the server's import refuses every read. */
  readFile?: ((path: string) => string) | undefined;
}

/** One input format. */
export interface SyncReader {
  /** Whether a file is in this format, from its content. Pure; never throws. */
  detect(d: DetectInput): Detected;
  /** Reads the files (all in this format) into one spec. Throws SyncConfigError (`FILE:LINE: ...`). */
  read(inputs: readonly ConfigText[], options: ReadOptions): SyncSpec;
}

/** Every format, in detection order: its `--src` name, what help texts call it, and its reader. */
export const SYNC_READERS = [
  { format: 'tugboat', title: 'Tugboat sync file', load: async () => (await import('./tugboat-file.ts')).tugboatReader },
  { format: 'skopeo', title: 'skopeo sync YAML', load: async () => (await import('./skopeo-yaml.ts')).skopeoReader },
  { format: 'image-syncer', title: 'image-syncer config', load: async () => (await import('./image-syncer.ts')).imageSyncerReader },
  { format: 'list', title: 'image list', load: async () => (await import('./image-list.ts')).imageListReader },
] as const satisfies readonly { format: string; title: string; load: () => Promise<SyncReader> }[];

/** The file formats `tug sync` reads (`--src`). */
export type SyncFormat = (typeof SYNC_READERS)[number]['format'];

/** Every format name, in detection order. */
export const SYNC_FORMATS: readonly SyncFormat[] = SYNC_READERS.map((r) => r.format);

/** The formats for help texts: `Tugboat sync file, skopeo sync YAML, image-syncer config or image list`. */
export const SYNC_FILE_TITLES = SYNC_READERS.map((r, i) => (i === 0 ? '' : i === SYNC_READERS.length - 1 ? ' or ' : ', ') + r.title).join('');
