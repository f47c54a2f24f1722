/**
 * skopeo's flags for docker-daemon: images: `--daemon-host` (inspect) and
 * `--src-daemon-host` / `--dest-daemon-host` (copy). Without one, the
 * transport uses DOCKER_HOST, else unix:///var/run/docker.sock.
 */
import type { Command, OptionValues } from '@commander-js/extra-typings';
import type { SystemContext } from '../context/system-context.ts';
import type { Side } from './options.ts';

/** Adds `--PREFIXdaemon-host <host>` to a command. */
export function addDaemonHostFlag<A extends unknown[], O extends OptionValues, G extends OptionValues, P extends Side>(cmd: Command<A, O, G>, prefix: P) {
  const side = prefix === 'src-' ? 'a source ' : prefix === 'dest-' ? 'a destination ' : 'a ';
  return cmd.option(
    `--${prefix}daemon-host <host>`,
    `the Docker daemon of ${side}docker-daemon: image: unix:///PATH, http://HOST:PORT, or tcp:// or https://HOST:PORT for TLS (certificates from --cert-dir: ca.pem, cert.pem, key.pem) (default: DOCKER_HOST, else unix:///var/run/docker.sock)`,
  );
}

/** The SystemContext fields of one side's `--PREFIXdaemon-host`, to pass as `contextFrom`'s `extra`. */
export function daemonContext(opts: OptionValues, prefix: Side): Partial<SystemContext> {
  const key = `${prefix}daemon-host`.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
  const value = (opts as Record<string, unknown>)[key];
  return typeof value === 'string' ? { daemonHost: value } : {};
}
