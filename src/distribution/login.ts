/**
 * `tug login`: proves credentials work before anything stores them.
 */
import type { SystemContext } from '../context/system-context.ts';
import { TugError } from '../errors/index.ts';
import { RegistryClient } from './client.ts';

/**
 * Pings `registry` (a reference's registry name: `docker.io`,
 * `127.0.0.1:5000`) and authenticates with `ctx.credentials` the way later
 * requests will (Basic, or the token flow without a scope, as `docker login`
 * does), then checks that GET /v2/ answers 200. Throws RegistryError AUTH on
 * bad credentials, TLS / TRANSIENT on connection problems, USAGE when no
 * credentials are given. Uses a client of its own and closes it.
 * Resolves with the authentication scheme the registry asked for (undefined
 * for an open registry, which accepts any credentials).
 */
export async function checkLogin(registry: string, ctx: SystemContext, options: { signal?: AbortSignal | undefined } = {}): Promise<{ authScheme: string | undefined }> {
  if (!ctx.credentials) throw new TugError('USAGE', `logging in to ${registry}: no credentials given`, { hint: 'pass --username and --password-stdin' });
  const client = new RegistryClient(registry, { ...ctx, registryToken: undefined });
  try {
    await client.checkAccess(options);
    return { authScheme: (await client.ping(options)).authScheme };
  } finally {
    await client.close();
  }
}
