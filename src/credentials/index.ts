/**
 * Credentials for registries, from the files and helpers skopeo, podman and
 * docker users already have: containers-auth.json(5), docker's config.json,
 * the legacy ~/.dockercfg and docker-credential-* helpers.
 *
 * Nothing here prints or logs; errors name files and helpers, never secrets.
 */
import { basename } from 'node:path';
import type { Credentials } from '../context/system-context.ts';
import {
  authKeysOf,
  clearAuthEntries,
  credHelperFor,
  credHelpersOf,
  credsStoreOf,
  decodeAuthEntry,
  deleteAuthEntry,
  emptyAuthFile,
  findAuthEntry,
  readAuthFile,
  setAuthEntry,
  writeAuthFile,
} from './auth-file.ts';
import { helperErase, helperGet, helperStore } from './cred-helper.ts';
import { authFileCandidates, authFileWriteTarget } from './locations.ts';
import { DOCKER_HUB, DOCKER_HUB_SERVER_URL, helperServerUrl, hostOf, lookupKeys, normalizeRegistry } from './registry-key.ts';

export { IDENTITY_TOKEN_USERNAME, isIdentityToken, parseAuthFile, readAuthFile } from './auth-file.ts';
export type { AuthFile } from './auth-file.ts';
export { HELPER_TIMEOUT_MS, helperErase, helperGet, helperList, helperStore } from './cred-helper.ts';
export type { HelperOptions } from './cred-helper.ts';
export { authFileCandidates, authFileWriteTarget } from './locations.ts';
export type { AuthFileCandidate, AuthLocationHost } from './locations.ts';
export { normalizeAuthKey, normalizeRegistry } from './registry-key.ts';
export { parseCredsFlag } from './creds-flag.ts';

/** Options shared by the functions below. */
export interface CredentialOptions {
  /** `--authfile`: read only this file, and write to it. */
  authFile?: string | undefined;
  /** Environment (HOME, XDG_*, REGISTRY_AUTH_FILE, DOCKER_CONFIG, PATH for helpers). Default process.env. */
  env?: NodeJS.ProcessEnv | undefined;
}

/**
 * Finds the credentials for `registryHost` (`host[:port]`; Docker Hub in any
 * spelling), optionally for one `repository` on it (`team/app`) so that
 * repository-scoped entries (`host/team/app`, `host/team`) are honoured,
 * most specific first.
 *
 * Files are read in {@link authFileCandidates} order. Within a file,
 * `credHelpers[host]` comes first, then the `auths` entries, then
 * `credsStore`; a helper that has nothing for the host does not stop the search.
 * Returns `undefined` when nothing matches (anonymous access). A username of
 * `<token>` ({@link IDENTITY_TOKEN_USERNAME}) means the password is an identity token.
 *
 * Throws USAGE for a malformed auth file (naming it), AUTH when a helper fails.
 */
export async function lookupCredentials(
  registryHost: string,
  options: { authFile?: string | undefined; repository?: string | undefined; env?: NodeJS.ProcessEnv },
): Promise<Credentials | undefined> {
  const env = options.env ?? process.env;
  const keys = lookupKeys(registryHost, options.repository);
  const host = hostOf(keys[0]!);
  for (const candidate of authFileCandidates(env, options.authFile)) {
    const file = await readAuthFile(candidate.path, { legacy: candidate.legacy });
    if (!file) continue;
    const helper = credHelperFor(file, host);
    if (helper) {
      const creds = await helperGet(helper, helperServerUrl(host), { env });
      if (creds) return creds;
    }
    const hit = findAuthEntry(file, keys);
    if (hit) return decodeAuthEntry(file, hit.key, hit.entry);
    const store = credsStoreOf(file);
    if (store) {
      const creds = await helperGet(store, helperServerUrl(host), { env });
      if (creds) return creds;
    }
  }
  return undefined;
}

/** How an auth-file key is spelled: docker's own file wants Docker Hub as its v1 URL, or docker does not find it. */
function spellingFor(path: string, key: string): string {
  return key === DOCKER_HUB && basename(path) === 'config.json' ? DOCKER_HUB_SERVER_URL : key;
}

/**
 * Saves credentials for `registryHost` (`tug login`). `registryHost` may
 * carry a namespace (`host/team`) to scope them. The target is
 * {@link authFileWriteTarget}; when that file names a helper for the host
 * (`credHelpers[host]`, else `credsStore`) and the key is a plain host, the
 * secret goes to the helper and the file keeps only docker's marker entry.
 * Otherwise `auths[key].auth` is written (file mode 0600, parents 0700).
 * Returns where the secret went.
 */
export async function storeCredentials(
  registryHost: string,
  creds: Credentials,
  options: CredentialOptions = {},
): Promise<{ file: string } | { helper: string }> {
  const env = options.env ?? process.env;
  const key = normalizeRegistry(registryHost);
  const host = hostOf(key);
  const target = authFileWriteTarget(env, options.authFile);
  const file = (await readAuthFile(target)) ?? emptyAuthFile(target);
  // Helpers know hosts only; a namespaced login can live in the file alone.
  const helper = key === host ? (credHelperFor(file, host) ?? credsStoreOf(file)) : undefined;
  if (helper) {
    await helperStore(helper, helperServerUrl(host), creds, { env });
    setAuthEntry(file, key, undefined, spellingFor(target, key));
    await writeAuthFile(file);
    return { helper };
  }
  setAuthEntry(file, key, creds, spellingFor(target, key));
  await writeAuthFile(file);
  return { file: target };
}

/**
 * Forgets credentials (`tug logout`) in the write target
 * ({@link authFileWriteTarget}) and its helpers: for `registryHost` (a host or
 * `host/namespace`), or with `all` every entry of the file and every host in
 * its `credHelpers` (a `credsStore` loses only the hosts the file marks as
 * stored there, not unrelated secrets of other tools). Returns whether
 * anything was removed.
 */
export async function removeCredentials(registryHost: string, options: CredentialOptions & { all?: boolean } = {}): Promise<boolean> {
  const env = options.env ?? process.env;
  const target = authFileWriteTarget(env, options.authFile);
  const file = await readAuthFile(target);
  if (!file) return false;
  const store = credsStoreOf(file);
  let removed = false;
  if (options.all) {
    const hosts = new Set<string>(credHelpersOf(file).map((h) => h.host));
    for (const { key, hasSecret } of authKeysOf(file)) if (!hasSecret && key === hostOf(key)) hosts.add(key);
    for (const host of hosts) {
      const helper = credHelperFor(file, host) ?? store;
      if (helper && (await helperErase(helper, helperServerUrl(host), { env }))) removed = true;
    }
    if (clearAuthEntries(file)) removed = true;
  } else {
    const key = normalizeRegistry(registryHost);
    const host = hostOf(key);
    const helper = key === host ? (credHelperFor(file, host) ?? store) : undefined;
    if (helper && (await helperErase(helper, helperServerUrl(host), { env }))) removed = true;
    if (deleteAuthEntry(file, key)) removed = true;
  }
  if (removed) await writeAuthFile(file);
  return removed;
}
