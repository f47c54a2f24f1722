/**
 * Renders copy events for a person. On a TTY: one live line per blob with
 * size, rate and state (redrawn in place). Without a TTY (CI logs): a line
 * when a blob starts and ends, and every few seconds a line for blobs still
 * moving, so a slow copy never looks hung. `--json` writes one JSON object
 * per event instead; `--quiet` writes nothing.
 */
import type { TransportEvent } from '../context/system-context.ts';
import type { CopyEvent } from '../copy/events.ts';
import { redactSecrets, redactUrl } from '../errors/index.ts';
import { shortDigest } from '../reference/digest.ts';
import { formatBytes, formatElapsed, formatRate } from './format.ts';
import { type EventContext, eventLine, worthShowing } from './transport-events.ts';

export type ProgressMode = 'tty' | 'plain' | 'json' | 'quiet';

interface BlobState {
  digest: string;
  size: number;
  bytes: number;
  started: number;
  state: string;
}

export interface ProgressRenderer {
  onEvent(e: CopyEvent): void;
  /** Prints a line above the live area (or plainly). */
  line(text: string): void;
  done(): void;
}

export function progressMode(opts: { quiet?: boolean; json?: boolean }, stream: NodeJS.WriteStream = process.stderr): ProgressMode {
  if (opts.json) return 'json';
  if (opts.quiet) return 'quiet';
  return stream.isTTY ? 'tty' : 'plain';
}

/** What createProgress takes besides the mode. */
export interface ProgressOptions {
  /** Plain mode: seconds between lines for blobs still moving (default 5000 ms). */
  intervalMs?: number;
  out?: NodeJS.WriteStream;
  /** Each side's settings, so a notice the user already knows (plain HTTP they asked for) is not shown; see transport-events.ts. */
  sides?: { source?: EventContext; destination?: EventContext };
}

export async function createProgress(mode: ProgressMode, options: ProgressOptions = {}): Promise<ProgressRenderer> {
  const out = options.out ?? process.stderr;
  const blobs = new Map<string, BlobState>();
  const write = (text: string) => out.write(`${text}\n`);

  if (mode === 'quiet') return { onEvent() {}, line() {}, done() {} };
  if (mode === 'json') {
    return {
      onEvent: (e) => {
        if (e.type === 'blob-progress' || (e.type === 'transport' && !worthShowing(e.event, options.sides?.[e.side]))) return;
        process.stdout.write(`${JSON.stringify(e)}\n`);
      },
      line: () => {},
      done: () => {},
    };
  }

  const describe = (b: BlobState) => {
    const elapsed = Date.now() - b.started;
    const pct = b.size > 0 ? ` ${Math.floor((b.bytes / b.size) * 100)}%` : '';
    return `Copying blob ${shortDigest(b.digest)} ${formatBytes(b.bytes)} / ${formatBytes(b.size)}${pct} ${formatRate(b.bytes, elapsed)} ${b.state}`;
  };

  if (mode === 'tty') {
    const { createLogUpdate } = await import('log-update');
    const live = createLogUpdate(out, { showCursor: true });
    const render = () => live([...blobs.values()].map(describe).join('\n'));
    const timer = setInterval(render, 150);
    timer.unref();
    const persist = (text: string) => {
      live.clear();
      write(text);
      render();
    };
    return {
      line: persist,
      onEvent: (e) => {
        handleCommon(e, blobs, persist, options.sides);
      },
      done: () => {
        clearInterval(timer);
        live.clear();
        live.done();
      },
    };
  }

  // plain
  const interval = options.intervalMs ?? 5000;
  const timer = setInterval(() => {
    for (const b of blobs.values()) write(describe(b));
  }, interval);
  timer.unref();
  return {
    line: write,
    onEvent: (e) => {
      if (e.type === 'blob-start') write(`Copying blob ${shortDigest(e.digest)} (${formatBytes(e.size)})`);
      handleCommon(e, blobs, write, options.sides);
    },
    done: () => clearInterval(timer),
  };
}

/** A retry, resume or notice from a registry, as one line (copy and sync progress). */
export function transportLine(t: TransportEvent): string {
  if (t.type === 'retry') return `Retrying ${t.what} (attempt ${t.attempt}) in ${formatElapsed(t.delayMs)}: ${t.reason}`;
  if (t.type === 'resume') return `Resuming ${t.what} at byte ${t.offset}`;
  // The emitter redacts the URL already; a second pass costs nothing and guards any other emitter.
  if (t.type === 'http') return `HTTP ${t.method} ${redactUrl(t.url)} -> ${t.status ?? redactSecrets(t.error ?? 'no answer')} (${t.ms} ms)`;
  return `Note: ${t.message}`;
}

function handleCommon(e: CopyEvent, blobs: Map<string, BlobState>, persist: (text: string) => void, sides: ProgressOptions['sides']): void {
  switch (e.type) {
    case 'blob-start':
      blobs.set(e.digest, { digest: e.digest, size: e.size, bytes: 0, started: Date.now(), state: 'copying' });
      break;
    case 'blob-progress': {
      const b = blobs.get(e.digest);
      if (b) b.bytes = e.bytes;
      break;
    }
    case 'blob-retry': {
      const b = blobs.get(e.digest);
      if (b) b.state = `retrying (${e.attempt})`;
      persist(`Retrying blob ${shortDigest(e.digest)} in ${formatElapsed(e.delayMs)}: ${e.reason}`);
      break;
    }
    case 'blob-done': {
      blobs.delete(e.digest);
      const done = `done ${formatBytes(e.size)} in ${formatElapsed(e.ms)} (${formatRate(e.size, e.ms)})`;
      const how = { copied: done, rewritten: `rewritten: the stored copy had wrong bytes; ${done}`, skipped: 'skipped: already exists', mounted: 'mounted from another repository' }[e.outcome];
      persist(`Copying blob ${shortDigest(e.digest)} ${how}`);
      break;
    }
    case 'manifest-written':
      persist(e.instance ? `Writing manifest ${shortDigest(e.digest)} (${e.mediaType})` : `Writing manifest to image destination (${shortDigest(e.digest)})`);
      break;
    case 'index-rewritten':
      persist(`Filtered index: kept ${e.kept} of ${e.of} platforms; new digest ${e.digest} (source ${e.sourceDigest})`);
      break;
    case 'transport': {
      const line = eventLine(e.event, sides?.[e.side]);
      if (line) persist(line);
      break;
    }
    default:
      break;
  }
}
