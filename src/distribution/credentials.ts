/**
 * Where the client's credentials come from: `--creds` (SystemContext.credentials)
 * wins; otherwise the auth files and credential helpers of src/credentials/,
 * unless `noAuthFile` says there are none (the server).
 */
import type { Credentials, SystemContext } from '../context/system-context.ts';
import { lookupWithHelpers } from '../credentials/helper-list.ts';
import { lookupCredentials } from '../credentials/index.ts';
import { loadRegistriesConf } from '../registries-conf/load.ts';

/**
 * The credentials to use for `registry` (the name as written in references,
 * e.g. `docker.io`) and `repository` (`team/app`, so repository-scoped
 * auth-file entries apply), or undefined for anonymous access.
 */
export async function resolveCredentials(registry: string, repository: string | undefined, ctx: SystemContext): Promise<Credentials | undefined> {
  if (ctx.credentials) return ctx.credentials;
  if (ctx.noAuthFile) return undefined;
  // registries.conf's `credential-helpers`, when set, replaces "the auth files" by its list (as in skopeo).
  const helpers = ctx.registriesConf === 'none' ? undefined : (await loadRegistriesConf({ path: ctx.registriesConf })).credentialHelpers;
  if (helpers) return lookupWithHelpers(registry, helpers, { authFile: ctx.authFile, repository });
  return lookupCredentials(registry, { authFile: ctx.authFile, repository });
}
