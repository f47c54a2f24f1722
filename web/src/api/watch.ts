/**
 * A server-sent-events reader over fetch (EventSource cannot send an
 * Authorization header). Parses `event:` / `data:` frames, ignores comments
 * (heartbeats), and reconnects with exponential backoff (1 s doubling to
 * 30 s, reset after a healthy connection). A 401 stops it and signs out.
 */
import type { WatchEvent } from '../../../src/api/types.ts';
import { API_PREFIX, authHeaders, notifyUnauthorized } from './client.ts';

export type WatchState = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface WatchHandlers<T> {
  onEvent(e: WatchEvent<T>): void;
  /** Called each time a stream is established; `reconnect` is true after the first. */
  onOpen?(reconnect: boolean): void;
  onState?(state: WatchState): void;
  /**
   * The resourceVersion to resume from at each (re)connect (docs/api.md,
   * "Resuming"): the server then sends only what changed after it, not an
   * ADDED event for every object (10,000 of them for a list of 10,000).
   * Undefined = list first.
   */
  resumeFrom?(): string | undefined;
  /** The server no longer holds changes that old (410 Expired): reload, and return undefined from resumeFrom. */
  onExpired?(): void;
}

/** Splits an SSE byte stream into frames; exported for tests. */
export function createSseParser(onFrame: (event: string, data: string) => void): (chunk: string) => void {
  let buffer = '';
  return (chunk) => {
    buffer += chunk;
    let idx: number;
    // Frames end with a blank line; accept \n\n and \r\n\r\n.
    while ((idx = buffer.search(/\r?\n\r?\n/)) >= 0) {
      const frame = buffer.slice(0, idx);
      const sep = /\r?\n\r?\n/.exec(buffer.slice(idx))?.[0].length ?? 2;
      buffer = buffer.slice(idx + sep);
      let event = 'message';
      const data: string[] = [];
      for (const line of frame.split(/\r?\n/)) {
        if (line === '' || line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? '' : line.slice(colon + 1);
        if (value.startsWith(' ')) value = value.slice(1);
        if (field === 'event') event = value;
        else if (field === 'data') data.push(value);
      }
      if (data.length > 0) onFrame(event, data.join('\n'));
    }
  };
}

/** Starts watching `path` (relative to the API prefix, without `?watch`); returns a stop function. */
export function watch<T>(path: string, params: Record<string, string | undefined>, handlers: WatchHandlers<T>): () => void {
  const controller = new AbortController();
  let stopped = false;
  let attempt = 0;
  let connectedOnce = false;

  const qs = new URLSearchParams({ watch: 'true' });
  for (const [k, v] of Object.entries(params)) if (v) qs.set(k, v);
  const urlFor = () => {
    const rv = handlers.resumeFrom?.();
    if (rv) qs.set('resourceVersion', rv);
    else qs.delete('resourceVersion');
    return `${API_PREFIX}/${path}?${qs}`;
  };

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      controller.signal.addEventListener('abort', () => {
        clearTimeout(t);
        resolve();
      });
    });

  async function loop() {
    while (!stopped) {
      handlers.onState?.(connectedOnce ? 'reconnecting' : 'connecting');
      let healthy = false;
      try {
        const res = await fetch(urlFor(), { headers: { Accept: 'text/event-stream', ...authHeaders() }, signal: controller.signal, cache: 'no-store' });
        if (res.status === 401) {
          notifyUnauthorized((await res.text().catch(() => '')) || 'unauthorized');
          stopped = true;
          break;
        }
        if (res.status === 410) handlers.onExpired?.();
        if (!res.ok || !res.body) throw new Error(`watch answered ${res.status}`);
        const opened = Date.now();
        handlers.onState?.('open');
        handlers.onOpen?.(connectedOnce);
        connectedOnce = true;
        const parse = createSseParser((_event, data) => {
          let e: WatchEvent<T>;
          try {
            e = JSON.parse(data) as WatchEvent<T>;
          } catch {
            return;
          }
          if (e && (e.type === 'ADDED' || e.type === 'MODIFIED' || e.type === 'DELETED') && e.object) handlers.onEvent(e);
        });
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          parse(value);
        }
        healthy = Date.now() - opened > 5000;
      } catch (err) {
        if (stopped || (err as Error).name === 'AbortError') break;
      }
      if (stopped) break;
      attempt = healthy ? 0 : attempt + 1;
      handlers.onState?.('reconnecting');
      await sleep(Math.min(30_000, 1000 * 2 ** Math.max(0, attempt - 1)) * (0.8 + Math.random() * 0.4));
    }
    handlers.onState?.('closed');
  }
  void loop();
  return () => {
    stopped = true;
    controller.abort();
  };
}
