/**
 * Where the client's credentials come from: `--creds` (SystemContext.credentials)
 * wins; otherwise the auth files and credential helpers of src/credentials/.
 */
import { lookupCredentials } from '../credentials/index.ts';
import type { Credentials, SystemContext } from '../transports/types.ts';

/**
 * The credentials to use for `registry` (the name as written in references,
 * e.g. `docker.io`) and `repository` (`team/app`, so repository-scoped
 * auth-file entries apply), or undefined for anonymous access.
 */
export async function resolveCredentials(registry: string, repository: string | undefined, ctx: SystemContext): Promise<Credentials | undefined> {
  if (ctx.credentials) return ctx.credentials;
  return lookupCredentials(registry, { authFile: ctx.authFile, repository });
}
