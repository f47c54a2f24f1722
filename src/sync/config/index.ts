/**
 * The sync input readers: every format `tug sync` accepts becomes one
 * {@link SyncSpec}. {@link loadSyncSpec} reads the files, detects (or is
 * told) the format, and merges several files of one format; the readers
 * themselves are pure functions of `{file, text}` (plus the environment for
 * passwords), so tests and the server can feed them text directly.
 */
import { readFile } from 'node:fs/promises';
import { TugError } from '../../errors/index.ts';
import type { RegistryAccess, SyncSpec } from '../spec.ts';
import { Problems, type ConfigText } from './config-file.ts';
import { detectFormat, type SyncFormat } from './detect.ts';
import { readImageList } from './image-list.ts';
import { readImageSyncer } from './image-syncer.ts';
import { readSkopeoYaml } from './skopeo-yaml.ts';
import { readTugboatFile } from './tugboat-file.ts';

export { SyncConfigError, type ConfigIssue, type ConfigText } from './config-file.ts';
export { detectFormat, SYNC_FORMATS, type Detection, type SyncFormat } from './detect.ts';
export { readImageList, scanImageList } from './image-list.ts';
export { imageSyncerRole, parseSourceKey, readImageSyncer, type ImageSyncerOptions, type ImageSyncerRole } from './image-syncer.ts';
export { readSkopeoYaml } from './skopeo-yaml.ts';
export { readTugboatFile, TUGBOAT_API_VERSION, TUGBOAT_KIND, type TugboatFileOptions } from './tugboat-file.ts';

export interface LoadSyncSpecOptions {
  /** The format of every file (`--src`); detected from each file's content when absent. */
  format?: SyncFormat | undefined;
  /** Environment for `passwordEnv` (Tugboat) and `${VAR}` (image-syncer) values; default `process.env`. */
  env?: NodeJS.ProcessEnv | undefined;
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
  switch (format) {
    case 'image-syncer':
      return readImageSyncer(inputs, { env: options.env });
    case 'tugboat':
      return mergeSpecs(inputs.map((i) => readTugboatFile(i, { env: options.env })));
    case 'skopeo':
      return mergeSpecs(inputs.map((i) => readSkopeoYaml(i)));
    case 'list':
      return mergeSpecs(inputs.map((i) => readImageList(i)));
  }
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

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Concatenates specs of one format; settings given twice must agree. */
function mergeSpecs(specs: SyncSpec[]): SyncSpec {
  const [head, ...rest] = specs;
  if (!head) throw new TugError('INTERNAL', 'mergeSpecs: no specs');
  const out: SyncSpec = { ...head, files: [...head.files], sources: [...head.sources], mappings: [...head.mappings], registries: { ...head.registries } };
  const from: Record<string, string> = Object.fromEntries(Object.keys(head.registries).map((k) => [k, head.files[0] ?? '']));
  for (const spec of rest) {
    const file = spec.files[0] ?? '-';
    out.files.push(...spec.files);
    out.sources.push(...spec.sources);
    out.mappings.push(...spec.mappings);
    for (const [host, access] of Object.entries(spec.registries)) {
      const prev: RegistryAccess | undefined = out.registries[host];
      // Compared, never printed: the settings may hold a password.
      if (prev !== undefined && !same(prev, access)) {
        throw Problems.fail(file, 1, `registry "${host}" is configured differently in ${from[host]} (expected each registry's settings in one file)`);
      }
      out.registries[host] = access;
      from[host] ??= file;
    }
    for (const field of ['destination', 'platforms'] as const) {
      if (spec[field] === undefined) continue;
      if (out[field] !== undefined && !same(out[field], spec[field])) {
        throw Problems.fail(file, 1, `${field} differs from the one in ${out.files[0]} (expected one ${field} for all sync files)`);
      }
      out[field] = spec[field] as never;
    }
  }
  return out;
}
