/**
 * The sync input readers: every format `tug sync` accepts becomes one
 * {@link SyncSpec}. {@link loadSyncSpec} reads the files, detects (or is
 * told) the format, and merges several files of one format; the readers
 * themselves are pure functions of `{file, text}` (plus the environment for
 * passwords), so tests and the server can feed them text directly.
 */
import { readFile } from 'node:fs/promises';
import { TugError } from '../../errors/index.ts';
import type { SyncSpec } from '../spec.ts';
import { Problems, type ConfigText } from './config-file.ts';
import { type Detection, detectWith } from './detect.ts';
import { SYNC_READERS, type SyncFormat } from './readers.ts';

export { SyncConfigError, type ConfigIssue, type ConfigText } from './config-file.ts';
export { type Detection } from './detect.ts';
export { readImageList, scanImageList } from './image-list.ts';
export { imageSyncerRole, parseSourceKey, readImageSyncer, type ImageSyncerOptions, type ImageSyncerRole } from './image-syncer.ts';
export { SYNC_FORMATS, SYNC_READERS, type SyncFormat, type SyncReader } from './readers.ts';
export { readSkopeoYaml } from './skopeo-yaml.ts';
export { readTugboatFile, TUGBOAT_API_VERSION, TUGBOAT_KIND, type TugboatFileOptions } from './tugboat-file.ts';

/** Every reader of the table, loaded: this module is what reads files, so it pays for them. */
const READERS = await Promise.all(SYNC_READERS.map(async (r) => ({ format: r.format, reader: await r.load() })));

/**
 * Detects the format of one file from its content (see detect.ts). Throws a
 * SyncConfigError naming the file and why each format did not fit.
 */
export function detectFormat(input: ConfigText): Detection {
  return detectWith(READERS, input);
}

export interface LoadSyncSpecOptions {
  /** The format of every file (`--src`); detected from each file's content when absent. */
  format?: SyncFormat | undefined;
  /** Environment for `passwordEnv` (Tugboat) and `${VAR}` (image-syncer) values; default `process.env`. */
  env?: NodeJS.ProcessEnv | undefined;
  /** Reads a Tugboat `passwordFile` (default: the file system). */
  readFile?: ((path: string) => string) | undefined;
}

/**
 * Reads sync files into one {@link SyncSpec}. Several files must share a
 * format (image-syncer's auth + images files count as one); their sources
 * and mappings are concatenated in order, and a registry, destination or
 * platform list set differently by two files is an error. Throws TugError
 * USAGE: a {@link SyncConfigError} (`FILE:LINE: ...`) for bad content, a
 * plain one for a file that cannot be read.
 */
export async function loadSyncSpec(files: string[], options: LoadSyncSpecOptions = {}): Promise<SyncSpec> {
  if (files.length === 0) throw new TugError('USAGE', 'no sync file given', { hint: 'tug sync FILE... DESTINATION' });
  const inputs: ConfigText[] = [];
  for (const file of files) inputs.push({ file, text: await readConfigText(file) });
  return readSyncSpec(inputs, options);
}

/** {@link loadSyncSpec} on texts already read: detection, reading and merging, no I/O (except a Tugboat `passwordFile`). */
export function readSyncSpec(inputs: readonly ConfigText[], options: LoadSyncSpecOptions = {}): SyncSpec {
  const first = inputs[0];
  if (!first) throw new TugError('USAGE', 'no sync file given', { hint: 'tug sync FILE... DESTINATION' });
  const formats = inputs.map((i) => options.format ?? detectFormat(i).format);
  const format = formats[0] ?? 'tugboat';
  const other = formats.findIndex((f) => f !== format);
  if (other !== -1) {
    throw Problems.fail(inputs[other]?.file ?? '-', 1, `this is a ${formats[other]} file but ${first.file} is a ${format} file (expected every sync file in one format)`, {
      hint: 'run tug sync once per format',
    });
  }
  const reader = READERS.find((r) => r.format === format)?.reader;
  if (!reader) throw new TugError('USAGE', `unknown sync file format "${format}"`);
  return reader.read(inputs, { env: options.env, readFile: options.readFile });
}

async function readConfigText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : (code ?? 'unreadable');
    throw new TugError(code === 'ENOENT' || code === 'EISDIR' ? 'USAGE' : 'IO', `cannot read sync file "${file}": ${why}`, {
      cause: err,
      ...(code === 'EISDIR' ? { hint: 'to sync the dir: images in a directory, add --src dir' } : {}),
    });
  }
}
