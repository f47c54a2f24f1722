/**
 * Which registry events a person sees, decided once for every command: the
 * library reports every exchange, retry and notice (it never prints); the
 * CLI shows
 *
 * - `http` exchanges only with --debug (skopeo --debug shows every request);
 *   the URL arrives redacted from the emitter and transportLine redacts again;
 * - a `notice` once per process (a sync would repeat "does not speak TLS"
 *   for every image), and not at all for a side the user already marked
 *   insecure (--tls-verify=false, --plain-http): then it is no news;
 * - retries and resumes always.
 */
import type { SystemContext, TransportEvent } from '../context/system-context.ts';
import { transportLine } from './progress.ts';

let debug = false;
const noticesShown = new Set<string>();

/** Set from the program's --debug before a command runs. */
export function setDebug(on: boolean): void {
  debug = on;
}

/** The side's settings that decide whether a notice is news. */
export type EventContext = Pick<SystemContext, 'tlsVerify' | 'plainHttp'> | undefined;

/**
 * Whether `e` should reach a person (or a --json stream). Records notices as
 * shown: call once per event.
 */
export function worthShowing(e: TransportEvent, ctx: EventContext): boolean {
  if (e.type === 'http') return debug;
  if (e.type !== 'notice') return true;
  if (ctx?.tlsVerify === false || ctx?.plainHttp === true) return false;
  if (noticesShown.has(e.message)) return false;
  noticesShown.add(e.message);
  return true;
}

/** `e` as one line, credentials redacted, or undefined when {@link worthShowing} says no. */
export function eventLine(e: TransportEvent, ctx: EventContext): string | undefined {
  if (!worthShowing(e, ctx)) return undefined;
  return transportLine(e);
}

/**
 * `ctx` with its events printed on stderr as {@link eventLine} decides: for
 * commands without a progress display (inspect, list-tags, delete, login).
 */
export function printingEvents(ctx: SystemContext): SystemContext {
  return {
    ...ctx,
    onEvent: (e) => {
      const line = eventLine(e, ctx);
      if (line) process.stderr.write(`${line}\n`);
    },
  };
}
