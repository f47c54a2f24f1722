/**
 * Where the client's credentials come from: `--creds` (SystemContext.credentials)
 * wins; otherwise the auth files and credential helpers of src/credentials/,
 * unless `noAuthFile` says there are none (the server).
 */
import type { Credentials, SystemContext } from '../context/system-context.ts';
import { lookupCredentials } from '../credentials/index.ts';

/**
 * The credentials to use for `registry` (the name as written in references,
 * e.g. `docker.io`) and `repository` (`team/app`, so repository-scoped
 * auth-file entries apply), or undefined for anonymous access.
 */
export async function resolveCredentials(registry: string, repository: string | undefined, ctx: SystemContext): Promise<Credentials | undefined> {
  if (ctx.credentials) return ctx.credentials;
  if (ctx.noAuthFile) return undefined;
  return lookupCredentials(registry, { authFile: ctx.authFile, repository });
}
