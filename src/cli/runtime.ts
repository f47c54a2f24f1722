/** What the program's flags (options.ts `addGlobalFlags`) turn into, and the short names of references. */
import { parseReference } from '../reference/reference.ts';
import type { DockerDaemonReference } from '../transports/docker-daemon/docker-daemon-transport.ts';
import type { ImageReference } from '../transports/types.ts';
import type { GlobalOptions } from './options.ts';

export function platformOverride(g: GlobalOptions): { os?: string; arch?: string; variant?: string } {
  return { os: g.overrideOs, arch: g.overrideArch, variant: g.overrideVariant };
}

let interrupt: AbortController | undefined;

/**
 * The AbortSignal a command runs under: Ctrl-C (first SIGINT aborts cleanly,
 * a second one exits at once) and --command-timeout.
 */
export function commandSignal(g: GlobalOptions): AbortSignal {
  if (!interrupt) {
    interrupt = new AbortController();
    let count = 0;
    process.on('SIGINT', () => {
      count++;
      if (count > 1) process.exit(130);
      interrupt?.abort(new Error('interrupted'));
    });
  }
  const signals = [interrupt.signal];
  if (g.commandTimeout) signals.push(AbortSignal.timeout(g.commandTimeout));
  return AbortSignal.any(signals);
}

/**
 * The repository name of a docker:// or docker-daemon: reference (what
 * skopeo prints as Name: `docker.io/library/alpine`), else undefined (also
 * for a daemon image named by its ID).
 */
export function dockerName(ref: ImageReference): string | undefined {
  // By name, not instanceof: a type import keeps the docker-daemon transport unloaded for the commands that do not use it.
  if (ref.transport.name === 'docker-daemon') return (ref as DockerDaemonReference).ref?.name;
  return ref.transport.name === 'docker' ? parseReference(ref.reference).name : undefined;
}
