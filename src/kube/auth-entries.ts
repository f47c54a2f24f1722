/**
 * The auths entries a pull secret needs, found where `tug` finds
 * credentials (src/credentials: `--authfile`, REGISTRY_AUTH_FILE, Podman's
 * and Docker's auth files, credential helpers, `tug login` state): for each
 * registry asked for, its own entry and every repository-scoped entry below
 * it (`quay.io/team/app` next to `quay.io`), kept under their own keys.
 * Nothing else of the files is copied.
 */
import type { Credentials } from '../context/system-context.ts';
import { authKeysOf, decodeAuthEntry, findAuthEntry, readAuthFile } from '../credentials/auth-file.ts';
import { authFileCandidates, lookupCredentials, normalizeRegistry } from '../credentials/index.ts';
import type { PullSecretEntry } from './pull-secret.ts';

export interface AuthEntryOptions {
  /** `--authfile`: only this file. */
  authFile?: string | undefined;
  env?: NodeJS.ProcessEnv | undefined;
  /** Credentials that win over the files for a registry (a sync file's `registries.<host>.credentials`, or `-u`/`--password-stdin`). */
  given?: ((registry: string) => Credentials | undefined) | undefined;
}

/**
 * The entries for `registries` (hosts, optionally with a namespace), in the
 * order asked, each registry's scoped entries after it. A registry with no
 * credentials anywhere is reported in `missing` rather than thrown, so the
 * caller can name all of them at once.
 */
export async function collectAuthEntries(registries: readonly string[], options: AuthEntryOptions = {}): Promise<{ entries: PullSecretEntry[]; missing: string[] }> {
  const env = options.env ?? process.env;
  const entries: PullSecretEntry[] = [];
  const missing: string[] = [];
  const seen = new Set<string>();
  const files = [];
  for (const c of authFileCandidates(env, options.authFile)) {
    const file = await readAuthFile(c.path, { legacy: c.legacy });
    if (file) files.push(file);
  }
  for (const asked of registries) {
    const key = normalizeRegistry(asked);
    if (seen.has(key)) continue;
    const given = options.given?.(key);
    const credentials = given ?? (await lookupCredentials(key, { authFile: options.authFile, env }));
    let found = false;
    if (credentials) {
      entries.push({ key, credentials });
      seen.add(key);
      found = true;
    }
    if (given) continue; // explicit credentials stand for the whole registry
    // Repository-scoped entries below the key, from the first file that has each (the lookup order).
    for (const file of files) {
      for (const { key: scoped, hasSecret } of authKeysOf(file)) {
        if (!hasSecret || seen.has(scoped) || !scoped.startsWith(`${key}/`)) continue;
        const hit = findAuthEntry(file, [scoped]);
        if (!hit) continue;
        entries.push({ key: scoped, credentials: decodeAuthEntry(file, hit.key, hit.entry) });
        seen.add(scoped);
        found = true;
      }
    }
    if (!found) missing.push(key);
  }
  return { entries, missing };
}
