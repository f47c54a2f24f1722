/**
 * registries.conf's `credential-helpers` (containers-registries.conf(5)):
 * the ordered list of places containers/image (`pkg/docker/config`
 * `getCredentialsWithHomeDir`) asks for a registry's credentials, instead of
 * the auth files alone. `containers-auth.json` names the auth files
 * themselves ({@link lookupCredentials}); any other entry NAME is the helper
 * program `docker-credential-NAME`, asked for the registry host (helpers
 * know hosts, not namespaces). The first that has credentials wins; a helper
 * that fails does not stop the search, and its error is reported only when
 * no other one had credentials.
 *
 * Only reading honours the list: `tug login` writes where
 * {@link authFileWriteTarget} says (containers/image would store in the
 * first helper of the list).
 */
import type { Credentials } from '../context/system-context.ts';
import { helperGet } from './cred-helper.ts';
import { lookupCredentials } from './index.ts';
import { hostOf, lookupKeys } from './registry-key.ts';

/** The entry of `credential-helpers` that means "the auth files". */
export const AUTH_FILES_HELPER = 'containers-auth.json';

/**
 * Credentials for `registryHost` (optionally one `repository` on it) from
 * `helpers` in order; undefined when none has any. Throws the first
 * helper's error when none had credentials and one failed.
 */
export async function lookupWithHelpers(
  registryHost: string,
  helpers: readonly string[],
  options: { authFile?: string | undefined; repository?: string | undefined; env?: NodeJS.ProcessEnv },
): Promise<Credentials | undefined> {
  const env = options.env ?? process.env;
  const host = hostOf(lookupKeys(registryHost)[0]!);
  let firstError: unknown;
  for (const helper of helpers) {
    try {
      const creds = helper === AUTH_FILES_HELPER ? await lookupCredentials(registryHost, { ...options, env }) : await helperGet(helper, host, { env });
      if (creds) return creds;
    } catch (err) {
      firstError ??= err;
    }
  }
  if (firstError !== undefined) throw firstError;
  return undefined;
}
