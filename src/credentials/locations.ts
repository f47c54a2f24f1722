/**
 * Where auth files live. The order follows containers-auth.json(5) and
 * containers/image `pkg/docker/config`, then docker's own files, so that a
 * `podman login`, `skopeo login` or `docker login` already done is found.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

/** One place to look for credentials. `legacy` marks `~/.dockercfg`'s older format. */
export interface AuthFileCandidate {
  path: string;
  legacy: boolean;
}

function home(env: NodeJS.ProcessEnv): string {
  return env.HOME && env.HOME !== '' ? env.HOME : homedir();
}

/**
 * The auth files to read, in order; the first with an entry (or helper) for
 * the registry wins:
 * - `authFile` (`--authfile`) if given, else `REGISTRY_AUTH_FILE` if set: that
 *   file only. As in skopeo / containers/image, naming a file means "use these
 *   credentials", so a personal login elsewhere cannot leak into e.g. a CI job.
 * - Otherwise `$XDG_RUNTIME_DIR/containers/auth.json` (when XDG_RUNTIME_DIR is
 *   set), `$XDG_CONFIG_HOME/containers/auth.json` (default `$HOME/.config`),
 *   `$DOCKER_CONFIG/config.json` or `$HOME/.docker/config.json`, and the
 *   legacy `$HOME/.dockercfg`.
 *
 * `HOME` comes from `env` (so tests can use a temporary home), falling back to os.homedir().
 */
export function authFileCandidates(env: NodeJS.ProcessEnv = process.env, authFile?: string): AuthFileCandidate[] {
  const explicit = authFile || env.REGISTRY_AUTH_FILE || undefined;
  if (explicit) return [{ path: explicit, legacy: false }];
  const h = home(env);
  const out: AuthFileCandidate[] = [];
  if (env.XDG_RUNTIME_DIR) out.push({ path: join(env.XDG_RUNTIME_DIR, 'containers', 'auth.json'), legacy: false });
  out.push({ path: join(env.XDG_CONFIG_HOME || join(h, '.config'), 'containers', 'auth.json'), legacy: false });
  out.push({ path: join(env.DOCKER_CONFIG || join(h, '.docker'), 'config.json'), legacy: false });
  out.push({ path: join(h, '.dockercfg'), legacy: true });
  return out;
}

/**
 * The file `tug login` writes to and `tug logout` removes from: `authFile`,
 * else REGISTRY_AUTH_FILE, else `$XDG_RUNTIME_DIR/containers/auth.json` when
 * XDG_RUNTIME_DIR is set, else `$HOME/.docker/config.json` (`$DOCKER_CONFIG`
 * if set), which docker reads too.
 */
export function authFileWriteTarget(env: NodeJS.ProcessEnv = process.env, authFile?: string): string {
  if (authFile) return authFile;
  if (env.REGISTRY_AUTH_FILE) return env.REGISTRY_AUTH_FILE;
  if (env.XDG_RUNTIME_DIR) return join(env.XDG_RUNTIME_DIR, 'containers', 'auth.json');
  return join(env.DOCKER_CONFIG || join(home(env), '.docker'), 'config.json');
}
