/**
 * How the server reaches a Registry resource with the engine: its host and a
 * SystemContext built from the stored spec and the decrypted credentials.
 * Only the stored URL is ever used (never one from a request); the stored
 * credentials are bound to that URL (server/secrets.ts), and every connection
 * obeys the server's egress policy (distribution/egress.ts), token realms and
 * redirects included.
 *
 * Its own layer, below scheduler/ and server/: the scheduler reaches
 * Registries for syncs, the server for "test this registry", and neither
 * imports the other's internals for it.
 */
import { parseRegistryUrl } from '../api/schema.ts';
import type { Registry } from '../api/types.ts';
import type { EgressPolicy, SystemContext } from '../context/system-context.ts';
import { TugError } from '../errors/index.ts';

/** A Registry's write-only credentials, decrypted. */
export interface RegistryCredentials {
  password?: string | undefined;
  token?: string | undefined;
}

export interface RegistryAccess {
  /** `harbor.example.com`, `127.0.0.1:5000`, `docker.io`: the registry part of an image reference. */
  host: string;
  ctx: SystemContext;
}

/**
 * The host and SystemContext for `registry`. Authentication comes only from
 * the Registry (never from an auth file or credential helper of the server's
 * user): `noAuthFile` keeps the server's own ~/.docker/config.json out.
 * `egress` is the server's policy for where connections may go.
 */
export function registryAccess(registry: Registry, secret: RegistryCredentials | undefined, options: { egress?: EgressPolicy | undefined } = {}): RegistryAccess {
  const endpoint = parseRegistryUrl(registry.spec.url);
  if ('error' in endpoint) throw new TugError('USAGE', `registry ${registry.metadata.namespace}/${registry.metadata.name}: url ${endpoint.error}`);
  const username = registry.spec.credentials?.username;
  const ctx: SystemContext = {
    noAuthFile: true,
    // Nor the server machine's registries.conf: no mirror or remapping the Registry does not say.
    registriesConf: 'none',
    tlsVerify: registry.spec.insecure ? false : undefined,
    plainHttp: endpoint.plainHTTP || registry.spec.plainHTTP === true ? true : undefined,
    caCertificates: registry.spec.caBundle,
    // Unset: the server's own HTTPS_PROXY / HTTP_PROXY / NO_PROXY.
    proxy: registry.spec.proxy,
    userAgent: 'tugboat-server/0.1',
    egress: options.egress,
  };
  if (secret?.token) ctx.registryToken = secret.token;
  else if (username !== undefined && secret?.password !== undefined) ctx.credentials = { username, password: secret.password };
  return { host: endpoint.host, ctx };
}
