/**
 * Applying registries.conf to `docker://` names, where containers/image
 * applies it (docker/docker_image_src.go `newImageSource`,
 * docker/docker_client.go `newDockerClient`):
 * - a source tries its pull sources in order (mirrors, then the registry's
 *   own, possibly rewritten, location) and keeps the first that serves the
 *   manifest; the error of the last one, with the others', when none does;
 * - destinations, tag lists, deletes and digest lookups use the name as
 *   written: `location` and mirrors are for pulls only;
 * - every location contacted is refused when `blocked`, and reached without
 *   TLS verification (plain HTTP allowed) when `insecure`;
 * - credentials given on the command line (`--src-creds`, a token) go only
 *   to the registry they were given for, never to a mirror on another host.
 */
import type { SystemContext } from '../../context/system-context.ts';
import { TugError } from '../../errors/index.ts';
import type { Reference } from '../../reference/reference.ts';
// Not the index: the TOML parser loads only when a file exists (load.ts).
import { loadRegistriesConf } from '../../registries-conf/load.ts';
import type { RegistriesConfig } from '../../registries-conf/registries-conf.ts';
import { blockedError, locationPolicy, pullSources } from '../../registries-conf/resolve.ts';
import type { ImageSource } from '../types.ts';
import type { DockerReference } from './docker-transport.ts';

/** The configuration `ctx` asks for; undefined for `'none'`. */
export function registriesConfFor(ctx: SystemContext): Promise<RegistriesConfig | undefined> {
  if (ctx.registriesConf === 'none') return Promise.resolve(undefined);
  return loadRegistriesConf({ path: ctx.registriesConf });
}

/**
 * The context for contacting `name` (a location as it will be contacted):
 * throws POLICY when it is blocked; `insecure` turns TLS verification off
 * (which also allows plain HTTP), unless the caller asked for it explicitly
 * (`--tls-verify=true`), which wins as containers/image's
 * DockerInsecureSkipTLSVerify does.
 */
function contextFor(action: string, name: Reference, ctx: SystemContext, config: RegistriesConfig | undefined, insecure?: boolean): SystemContext {
  if (!config) return ctx;
  const policy = locationPolicy(config, name.name);
  if (policy.blocked && policy.entry) throw blockedError(action, name.toString(), policy.entry);
  return (insecure ?? policy.insecure) && ctx.tlsVerify === undefined ? { ...ctx, tlsVerify: false } : ctx;
}

/** The context for a destination, tag list, delete or digest lookup of `ref` as written. */
export async function contextForName(action: string, ref: Reference, ctx: SystemContext): Promise<SystemContext> {
  return contextFor(action, ref, ctx, await registriesConfFor(ctx));
}

/**
 * Opens the source of `logical`: with one pull source, lazily (no request
 * until the first read, errors as they come); with mirrors, each is asked
 * for the manifest in turn and the first that serves it is kept (the
 * manifest it sent is the one the engine then reads), with a notice naming
 * it when it is not the name as written.
 */
export async function openPullSource(logical: DockerReference, ctx: SystemContext): Promise<ImageSource> {
  const { DockerSource } = await import('./docker-source.ts');
  const config = await registriesConfFor(ctx);
  const sources = config ? pullSources(config, logical.ref) : [{ reference: logical.ref, insecure: false, mirror: false }];
  const attempts: { name: string; err: unknown }[] = [];
  for (const source of sources) {
    const physical = source.reference;
    let sctx: SystemContext;
    try {
      sctx = contextFor('reading', physical, ctx, config, source.insecure);
    } catch (err) {
      attempts.push({ name: physical.toString(), err });
      continue;
    }
    if (physical.registry !== logical.ref.registry && (sctx.credentials || sctx.registryToken)) {
      sctx = { ...sctx, credentials: undefined, registryToken: undefined };
    }
    const opened = new DockerSource(logical, sctx, physical);
    if (sources.length === 1) return opened;
    try {
      await opened.getManifest();
    } catch (err) {
      await opened.close();
      attempts.push({ name: physical.toString(), err });
      continue;
    }
    if (!physical.equals(logical.ref)) {
      ctx.onEvent?.({ type: 'notice', message: `${logical.ref.toString()}: reading from ${source.mirror ? 'mirror ' : ''}${physical.toString()} (registries.conf)` });
    }
    return opened;
  }
  if (attempts.length === 1) throw attempts[0]!.err;
  const primary = attempts[attempts.length - 1]!;
  const others = attempts.slice(0, -1).map((a) => `[${a.name}: ${describe(a.err)}]`);
  const code = primary.err instanceof TugError ? primary.err.code : 'REGISTRY';
  throw new TugError(code, `reading ${logical.ref.toString()}: ${primary.name}: ${describe(primary.err)} (mirrors also failed: ${others.join(' ')})`, {
    hint: primary.err instanceof TugError && primary.err.hint ? primary.err.hint : 'check the mirrors of registries.conf',
    cause: primary.err,
  });
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
