/**
 * The first screen's GETs, sent before the app's scripts have run (issue 16:
 * a cold load waited for 1.1 MB of JavaScript to evaluate, then for the
 * page's chunk, and only then asked the API for the rows). `web/src/early.ts`
 * starts them from a tiny entry of its own; {@link request} takes an answer
 * from here when it asks for exactly the same URL, once. A URL nobody asks
 * for again is simply left unused: an early request can save time, never
 * change what the page shows.
 */

const EARLY = Symbol.for('tugboat.early');

/** An answer older than this is not handed out: it belongs to the first screen, not to a later visit of the same URL. */
const EARLY_TTL_MS = 15_000;

type EarlyMap = Map<string, { answer: Promise<Response>; at: number }>;

function table(): EarlyMap {
  const g = globalThis as unknown as Record<symbol, EarlyMap | undefined>;
  return (g[EARLY] ??= new Map());
}

/** Sends a GET for each URL (absolute paths) with `headers`; answers wait in the table. */
export function startEarly(urls: string[], headers: Record<string, string>): void {
  const t = table();
  for (const url of urls) {
    const answer = fetch(url, { headers });
    // A failure is the taker's to see; never an unhandled rejection when nobody takes it.
    answer.catch(() => undefined);
    t.set(url, { answer, at: Date.now() });
  }
}

/** The early answer for `url`, at most once, and only while it is fresh. */
export function takeEarly(url: string): Promise<Response> | undefined {
  const t = table();
  const early = t.get(url);
  if (!early) return undefined;
  t.delete(url);
  return Date.now() - early.at < EARLY_TTL_MS ? early.answer : undefined;
}
