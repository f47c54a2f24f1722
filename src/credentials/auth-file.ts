/**
 * Reading and writing containers-auth.json(5) / docker config.json files:
 *
 * ```json
 * { "auths": { "HOST[/NAMESPACE]": { "auth": "base64(user:pass)", "identitytoken": "..." } },
 *   "credHelpers": { "HOST": "NAME" }, "credsStore": "NAME" }
 * ```
 *
 * and the legacy `~/.dockercfg`, whose top-level object is the `auths` map.
 * Every field we do not understand is kept when a file is rewritten, because
 * docker, podman and Docker Desktop all share these files.
 *
 * Error messages name the file and the key, never a value: the values are secrets.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Credentials } from '../context/system-context.ts';
import { TugError } from '../errors/index.ts';
import { writeFileAtomic } from '../fs/atomic.ts';
import { ioError } from '../fs/io.ts';
import { normalizeAuthKey } from './registry-key.ts';

/**
 * The username that marks an identity (refresh) token, in the credential
 * helper protocol and in {@link Credentials} returned by this module: the
 * password is then the token, to be sent as `refresh_token` to the token server.
 */
export const IDENTITY_TOKEN_USERNAME = '<token>';

/** True when `creds` carry an identity token rather than a username and password. */
export function isIdentityToken(creds: Credentials): boolean {
  return creds.username === IDENTITY_TOKEN_USERNAME;
}

/** One parsed auth file. `document` is the whole JSON object, unknown fields included. */
export interface AuthFile {
  readonly path: string;
  /** `~/.dockercfg`: the top-level object is the map of entries. */
  readonly legacy: boolean;
  readonly document: Record<string, unknown>;
}

type Entry = Record<string, unknown>;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function malformed(path: string, what: string): TugError {
  return new TugError('USAGE', `auth file ${path} is malformed: ${what}`, { hint: 'fix or remove the file, or point --authfile at another one' });
}

/** Parses auth-file text. Throws USAGE naming `path` and the bad field; never quotes the content. */
export function parseAuthFile(path: string, text: string, options: { legacy?: boolean } = {}): AuthFile {
  const legacy = options.legacy ?? false;
  if (text.trim() === '') return { path, legacy, document: {} };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    // JSON.parse messages quote the text around the error: keep only the position.
    const pos = /position (\d+)/.exec((err as Error).message)?.[1];
    throw malformed(path, `not valid JSON${pos ? ` (at byte ${pos})` : ''}`);
  }
  if (!isObject(doc)) throw malformed(path, 'the top level is not a JSON object');
  const entries = legacy ? doc : doc.auths;
  if (entries !== undefined) {
    if (!isObject(entries)) throw malformed(path, '"auths" is not an object');
    for (const [key, entry] of Object.entries(entries)) {
      if (!isObject(entry)) throw malformed(path, `the entry for "${key}" is not an object`);
      for (const field of ['auth', 'identitytoken'] as const) {
        if (entry[field] !== undefined && typeof entry[field] !== 'string') throw malformed(path, `"${field}" of "${key}" is not a string`);
      }
    }
  }
  if (!legacy) {
    if (doc.credHelpers !== undefined) {
      if (!isObject(doc.credHelpers)) throw malformed(path, '"credHelpers" is not an object');
      for (const [key, name] of Object.entries(doc.credHelpers)) {
        if (typeof name !== 'string' || !/^[A-Za-z0-9._-]+$/.test(name)) throw malformed(path, `credHelpers["${key}"] is not a helper name`);
      }
    }
    if (doc.credsStore !== undefined && (typeof doc.credsStore !== 'string' || !/^[A-Za-z0-9._-]*$/.test(doc.credsStore))) {
      throw malformed(path, '"credsStore" is not a helper name');
    }
  }
  return { path, legacy, document: doc };
}

/** Reads and parses `path`; `undefined` when the file does not exist. */
export async function readAuthFile(path: string, options: { legacy?: boolean } = {}): Promise<AuthFile | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw ioError('reading auth file', path, err);
  }
  return parseAuthFile(path, text, options);
}

/** An empty auth file at `path`, for writing a new one. */
export function emptyAuthFile(path: string): AuthFile {
  return { path, legacy: false, document: {} };
}

function entriesOf(file: AuthFile): Record<string, Entry> {
  const entries = file.legacy ? file.document : file.document.auths;
  return isObject(entries) ? (entries as Record<string, Entry>) : {};
}

/**
 * The first entry matching one of `keys` (normalised, most specific first;
 * see `lookupKeys`), with the key as spelled in the file. Entries without
 * `auth` or `identitytoken` (docker writes `{}` next to a credsStore) do not match.
 */
export function findAuthEntry(file: AuthFile, keys: readonly string[]): { key: string; entry: Entry } | undefined {
  const entries = Object.entries(entriesOf(file)).filter(([, e]) => e.auth || e.identitytoken);
  for (const want of keys) {
    const hit = entries.find(([k]) => normalizeAuthKey(k) === want);
    if (hit) return { key: hit[0], entry: hit[1] };
  }
  return undefined;
}

/** Decodes an entry found by {@link findAuthEntry}. An identity token wins over `auth`, as in docker. */
export function decodeAuthEntry(file: AuthFile, key: string, entry: Entry): Credentials {
  if (typeof entry.identitytoken === 'string' && entry.identitytoken !== '') {
    return { username: IDENTITY_TOKEN_USERNAME, password: entry.identitytoken };
  }
  const decoded = Buffer.from(String(entry.auth ?? ''), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) throw malformed(file.path, `"auth" of "${key}" is not base64 of "user:password"`);
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** The credential helper configured for `host` in `credHelpers`, if any. */
export function credHelperFor(file: AuthFile, host: string): string | undefined {
  const helpers = file.document.credHelpers;
  if (file.legacy || !isObject(helpers)) return undefined;
  for (const [k, name] of Object.entries(helpers)) {
    if (typeof name === 'string' && normalizeAuthKey(k) === host) return name;
  }
  return undefined;
}

/** The hosts listed in `credHelpers`, normalised, with their helper names. */
export function credHelpersOf(file: AuthFile): Array<{ host: string; helper: string }> {
  const helpers = file.document.credHelpers;
  if (file.legacy || !isObject(helpers)) return [];
  return Object.entries(helpers).flatMap(([k, name]) => (typeof name === 'string' ? [{ host: normalizeAuthKey(k), helper: name }] : []));
}

/** The default helper (`credsStore`), if set and non-empty. */
export function credsStoreOf(file: AuthFile): string | undefined {
  const store = file.document.credsStore;
  return !file.legacy && typeof store === 'string' && store !== '' ? store : undefined;
}

/**
 * Sets the entry for `key` (normalised). Existing spellings of the same key
 * are replaced by `spelling` (default `key`); unknown fields of the old entry
 * (e.g. docker's `email`) are kept. An identity token goes to `identitytoken`.
 * With `creds` undefined the entry is a bare marker `{}`: docker writes one
 * for each login kept by a credential helper, and {@link findAuthEntry} skips it.
 */
export function setAuthEntry(file: AuthFile, key: string, creds: Credentials | undefined, spelling = key): void {
  if (file.legacy) throw new TugError('UNSUPPORTED', `not writing to legacy auth file ${file.path}`, { hint: 'use --authfile to write a containers-auth.json file' });
  if (!isObject(file.document.auths)) file.document.auths = {};
  const entries = file.document.auths as Record<string, Entry>;
  let kept: Entry = {};
  for (const k of Object.keys(entries)) {
    if (normalizeAuthKey(k) === key) {
      kept = { ...kept, ...entries[k] };
      delete entries[k];
    }
  }
  delete kept.auth;
  delete kept.identitytoken;
  if (creds === undefined) entries[spelling] = kept;
  else if (isIdentityToken(creds)) entries[spelling] = { ...kept, identitytoken: creds.password };
  else entries[spelling] = { ...kept, auth: Buffer.from(`${creds.username}:${creds.password}`, 'utf8').toString('base64') };
}

/** The keys of all entries, normalised, with whether each holds a secret (false for helper markers). */
export function authKeysOf(file: AuthFile): Array<{ key: string; hasSecret: boolean }> {
  return Object.entries(entriesOf(file)).map(([k, e]) => ({ key: normalizeAuthKey(k), hasSecret: Boolean(e.auth || e.identitytoken) }));
}

/** Removes every spelling of `key` (normalised); returns whether one existed. */
export function deleteAuthEntry(file: AuthFile, key: string): boolean {
  const entries = entriesOf(file);
  let removed = false;
  for (const k of Object.keys(entries)) {
    if (normalizeAuthKey(k) === key) {
      delete entries[k];
      removed = true;
    }
  }
  return removed;
}

/** Removes every entry; returns whether there was one. */
export function clearAuthEntries(file: AuthFile): boolean {
  const entries = entriesOf(file);
  const keys = Object.keys(entries);
  for (const k of keys) delete entries[k];
  return keys.length > 0;
}

/**
 * Writes the file atomically with mode 0600, creating missing parent
 * directories with mode 0700 (the file holds secrets; so may its neighbours).
 */
export async function writeAuthFile(file: AuthFile): Promise<void> {
  try {
    await mkdir(dirname(file.path), { recursive: true, mode: 0o700 });
    await writeFileAtomic(file.path, `${JSON.stringify(file.document, null, '\t')}\n`, 0o600);
  } catch (err) {
    throw ioError('writing auth file', file.path, err);
  }
}
