/**
 * Finding and reading the registries.conf files of this machine, where
 * containers/image (`newConfigWrapperWithHomeDir`, `tryUpdatingCache`) reads
 * them, so that `tug` sees what `skopeo` sees:
 *
 * - the main file: the one named (`--registries-conf`, else
 *   CONTAINERS_REGISTRIES_CONF, which podman reads and skopeo 1.9 does not),
 *   else `~/.config/containers/registries.conf` when it exists (it then
 *   replaces the system file and the system drop-ins), else
 *   `/etc/containers/registries.conf`;
 * - then the drop-ins: `*.conf` of `/etc/containers/registries.conf.d` and
 *   `~/.config/containers/registries.conf.d`, each directory in name order.
 *
 * A missing system file or directory is no configuration; a named file that
 * is missing, or any file that cannot be read or parsed, is an error naming
 * it: a broken drop-in is never skipped silently.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { TugError } from '../errors/index.ts';
import { ioError } from '../fs/io.ts';
import type { RegistriesConfig } from './registries-conf.ts';

/** An empty configuration: what no file amounts to. */
export function emptyRegistriesConfig(): RegistriesConfig {
  return { files: [], registries: [], unqualifiedSearchRegistries: undefined, shortNameMode: undefined, credentialHelpers: undefined };
}

/** A registries.conf is a few KiB; anything this big is not one. */
const MAX_CONF_BYTES = 4 * 1024 * 1024;

export const SYSTEM_REGISTRIES_CONF = '/etc/containers/registries.conf';
export const SYSTEM_REGISTRIES_CONF_DIR = '/etc/containers/registries.conf.d';

export interface RegistriesConfOptions {
  /** The main file (`--registries-conf`); default CONTAINERS_REGISTRIES_CONF, then the user's or the system's file. */
  path?: string | undefined;
  /** HOME, CONTAINERS_REGISTRIES_CONF. Default process.env. */
  env?: NodeJS.ProcessEnv | undefined;
}

/** The main file and the drop-in directories, in the order they are read. */
export async function registriesConfPaths(options: RegistriesConfOptions = {}): Promise<{ file: string; named: boolean; dirs: string[] }> {
  const env = options.env ?? process.env;
  const home = env.HOME || homedir();
  const userFile = join(home, '.config', 'containers', 'registries.conf');
  const userDir = join(home, '.config', 'containers', 'registries.conf.d');
  const named = options.path || env.CONTAINERS_REGISTRIES_CONF || undefined;
  if (named) return { file: named, named: true, dirs: [SYSTEM_REGISTRIES_CONF_DIR, userDir] };
  if (await exists(userFile)) return { file: userFile, named: false, dirs: [userDir] };
  return { file: SYSTEM_REGISTRIES_CONF, named: false, dirs: [SYSTEM_REGISTRIES_CONF_DIR, userDir] };
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** The text of `path`, or undefined when it does not exist and `optional`. */
async function readConf(path: string, optional: boolean): Promise<string | undefined> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new TugError('USAGE', `registries.conf "${path}" is not a file`, { hint: 'name a registries.conf(5) file' });
    if (info.size > MAX_CONF_BYTES) throw new TugError('USAGE', `registries.conf "${path}" is ${info.size} bytes, more than a registries.conf can be`, { hint: 'name a registries.conf(5) file' });
    return await readFile(path, 'utf8');
  } catch (err) {
    if (optional && (err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw ioError('reading registries.conf', path, err);
  }
}

/** `*.conf` in `dir` in name order (not recursive, as containers/image); none when the directory does not exist. */
async function dropIns(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries
      .filter((e) => !e.isDirectory() && e.name.endsWith('.conf'))
      .map((e) => join(dir, e.name))
      .sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
    throw ioError('listing registries.conf.d', dir, err);
  }
}

const BLANK_OR_COMMENT = /^[ \t]*(?:#.*)?$/;
const ALIASES_HEADER = /^[ \t]*\[[ \t]*aliases[ \t]*\][ \t]*(?:#.*)?$/;
/** `"name" = "value"`: basic strings without escapes (a backslash or a control character sends the file to the parser). */
const PLAIN_ALIAS = /^[ \t]*"([^"\\\x00-\x1f\x7f]*)"[ \t]*=[ \t]*"[^"\\\x00-\x1f\x7f]*"[ \t]*(?:#.*)?$/;
/** Characters TOML allows nowhere outside strings but tab and CRLF, and a byte order mark: left to the parser to refuse. */
const NOT_PLAIN = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufeff]|\r(?!\n)/;

/**
 * Whether `text` sets nothing tug reads: only comments and blank lines,
 * and at most one `[aliases]` table of plain `"name" = "value"` lines with
 * distinct names (tug checks that `aliases` is a table and uses nothing in
 * it: short names are podman's). Debian's stock files are exactly that (a
 * registries.conf of comments, shortnames.conf of aliases), and without
 * them the TOML parser (ten modules, ~15-20 ms of every docker:// command's
 * start) need not load. Conservative: anything else, valid or not, goes
 * to the parser, which reads it or refuses it as before.
 */
export function setsNothing(text: string): boolean {
  if (NOT_PLAIN.test(text)) return false;
  let inAliases = false;
  const names = new Set<string>();
  for (const line of text.split(/\r?\n/)) {
    if (BLANK_OR_COMMENT.test(line)) continue;
    if (ALIASES_HEADER.test(line)) {
      // a second [aliases] is a TOML error: the parser says so
      if (inAliases) return false;
      inAliases = true;
      continue;
    }
    const alias = inAliases ? PLAIN_ALIAS.exec(line) : null;
    // a duplicate name is a TOML error too
    if (!alias || names.has(alias[1]!)) return false;
    names.add(alias[1]!);
  }
  return true;
}

/** Reads and merges the files {@link registriesConfPaths} names. Throws USAGE / IO naming the file. */
export async function readRegistriesConf(options: RegistriesConfOptions = {}): Promise<RegistriesConfig> {
  const { file, named, dirs } = await registriesConfPaths(options);
  const main = await readConf(file, !named);
  const dropInTexts: { path: string; text: string }[] = [];
  for (const dir of dirs) {
    for (const path of await dropIns(dir)) {
      // A drop-in removed between the listing and the read is gone, as containers/image treats it.
      const text = await readConf(path, true);
      if (text !== undefined) dropInTexts.push({ path, text });
    }
  }
  if (main === undefined && dropInTexts.length === 0) return emptyRegistriesConfig();
  // The TOML parser loads only when a file sets something: what an empty file amounts to otherwise.
  if ((main === undefined || setsNothing(main)) && dropInTexts.every((d) => setsNothing(d.text))) {
    return { ...emptyRegistriesConfig(), files: [...(main === undefined ? [] : [file]), ...dropInTexts.map((d) => d.path)] };
  }
  const { mergeRegistriesConf, parseRegistriesConf } = await import('./registries-conf.ts');
  let config = main === undefined ? emptyRegistriesConfig() : parseRegistriesConf(main, file);
  for (const d of dropInTexts) config = mergeRegistriesConf(config, parseRegistriesConf(d.text, d.path, { dropIn: true }));
  return config;
}

const cache = new Map<string, Promise<RegistriesConfig>>();

/**
 * {@link readRegistriesConf}, once per process and set of options: every
 * source and destination of one command shares the answer (containers/image
 * caches it the same way). A failed read is not cached.
 */
export function loadRegistriesConf(options: RegistriesConfOptions = {}): Promise<RegistriesConfig> {
  const env = options.env ?? process.env;
  const key = JSON.stringify([options.path ?? '', env.CONTAINERS_REGISTRIES_CONF ?? '', env.HOME ?? '']);
  let p = cache.get(key);
  if (!p) {
    p = readRegistriesConf(options);
    cache.set(key, p);
    p.catch(() => cache.delete(key));
  }
  return p;
}
