/**
 * Where auth files live. The order follows containers-auth.json(5) and
 * containers/image `pkg/docker/config` (`getPathToAuth`, `getAuthFilePaths`),
 * then docker's own files, so that a `podman login`, `skopeo login` or
 * `docker login` already done is found, and a `tug login` is found by them.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { TugError } from '../errors/index.ts';

/** One place to look for credentials. `legacy` marks `~/.dockercfg`'s older format. */
export interface AuthFileCandidate {
  path: string;
  legacy: boolean;
}

/**
 * The machine facts the default location depends on; tests pass their own.
 * Defaults: `process.platform`, `process.getuid()`, and `/` as the root the
 * per-user `/run/containers/UID` path is taken under (containers/image's
 * `RootForImplicitAbsolutePaths`).
 */
export interface AuthLocationHost {
  platform?: NodeJS.Platform | undefined;
  uid?: number | undefined;
  root?: string | undefined;
}

function home(env: NodeJS.ProcessEnv): string {
  return env.HOME && env.HOME !== '' ? env.HOME : homedir();
}

/**
 * The containers-auth.json file of this user, as containers/image's
 * `getPathToAuth` picks it when no file is named: `$XDG_RUNTIME_DIR/containers/auth.json`,
 * else on Linux `/run/containers/$UID/auth.json` (where `skopeo login` and
 * `podman login` write over cron, ssh or sudo, when no session set
 * XDG_RUNTIME_DIR), else `~/.config/containers/auth.json`. `missingRuntimeDir`
 * is set when XDG_RUNTIME_DIR names a directory that does not exist, which
 * containers/image refuses rather than guess.
 */
function defaultAuthPath(env: NodeJS.ProcessEnv, host: AuthLocationHost): { path: string; missingRuntimeDir?: string } {
  const runtimeDir = env.XDG_RUNTIME_DIR;
  if (runtimeDir) {
    const path = join(runtimeDir, 'containers', 'auth.json');
    return existsSync(runtimeDir) ? { path } : { path, missingRuntimeDir: runtimeDir };
  }
  const platform = host.platform ?? process.platform;
  const uid = host.uid ?? process.getuid?.();
  if (platform === 'linux' && uid !== undefined) return { path: join(host.root ?? '/', 'run', 'containers', String(uid), 'auth.json') };
  return { path: join(home(env), '.config', 'containers', 'auth.json') };
}

/**
 * The auth files to read, in order; the first with an entry (or helper) for
 * the registry wins:
 * - `authFile` (`--authfile`) if given, else `REGISTRY_AUTH_FILE` if set: that
 *   file only. As in skopeo / containers/image, naming a file means "use these
 *   credentials", so a personal login elsewhere cannot leak into e.g. a CI job.
 * - Otherwise `$XDG_RUNTIME_DIR/containers/auth.json` when XDG_RUNTIME_DIR is
 *   set (skipped when that directory does not exist), else
 *   `/run/containers/$UID/auth.json` on Linux; then
 *   `$XDG_CONFIG_HOME/containers/auth.json` (default `$HOME/.config`),
 *   `$DOCKER_CONFIG/config.json` or `$HOME/.docker/config.json`, and the
 *   legacy `$HOME/.dockercfg`.
 *
 * `HOME` comes from `env` (so tests can use a temporary home), falling back to os.homedir().
 */
export function authFileCandidates(env: NodeJS.ProcessEnv = process.env, authFile?: string, host: AuthLocationHost = {}): AuthFileCandidate[] {
  const explicit = authFile || env.REGISTRY_AUTH_FILE || undefined;
  if (explicit) return [{ path: explicit, legacy: false }];
  const h = home(env);
  const out: AuthFileCandidate[] = [];
  const first = defaultAuthPath(env, host);
  // containers/image logs and skips a missing XDG_RUNTIME_DIR when reading.
  if (!first.missingRuntimeDir) out.push({ path: first.path, legacy: false });
  const xdgConfig = join(env.XDG_CONFIG_HOME || join(h, '.config'), 'containers', 'auth.json');
  if (xdgConfig !== first.path) out.push({ path: xdgConfig, legacy: false });
  out.push({ path: join(env.DOCKER_CONFIG || join(h, '.docker'), 'config.json'), legacy: false });
  out.push({ path: join(h, '.dockercfg'), legacy: true });
  return out;
}

/**
 * The file `tug login` writes to and `tug logout` removes from, the one
 * `skopeo login` uses: `authFile`, else REGISTRY_AUTH_FILE, else
 * `$XDG_RUNTIME_DIR/containers/auth.json`, else `/run/containers/$UID/auth.json`
 * on Linux (`~/.config/containers/auth.json` elsewhere). Docker's
 * config.json is read but never written, as with skopeo.
 *
 * Throws USAGE when XDG_RUNTIME_DIR names a directory that does not exist.
 */
export function authFileWriteTarget(env: NodeJS.ProcessEnv = process.env, authFile?: string, host: AuthLocationHost = {}): string {
  if (authFile) return authFile;
  if (env.REGISTRY_AUTH_FILE) return env.REGISTRY_AUTH_FILE;
  const { path, missingRuntimeDir } = defaultAuthPath(env, host);
  if (missingRuntimeDir) {
    throw new TugError('USAGE', `XDG_RUNTIME_DIR names "${missingRuntimeDir}", which does not exist`, {
      hint: 'create the directory, unset XDG_RUNTIME_DIR, or pass --authfile',
    });
  }
  return path;
}
