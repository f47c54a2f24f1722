/**
 * The first screen's GETs, sent before the app's scripts have run (issue 16:
 * a cold load waited for 1.1 MB of JavaScript to evaluate, then for the
 * page's chunk, and only then asked the API for the rows). `web/src/early.ts`
 * starts them from a tiny entry of its own; {@link request} takes an answer
 * from here when it asks for exactly the same URL, once. A URL nobody asks
 * for again is simply left unused: an early request can save time, never
 * change what the page shows.
 *
 * An answer that is already here when the app renders is handed to the
 * query as its initial data ({@link takeArrived}): the first render shows
 * the rows, instead of a loading state, a second render of the whole page
 * and a remount of the table (issue 16's cold load, measured: the rows came
 * three commits after the first).
 */

const EARLY = Symbol.for('tugboat.early');

/** An answer older than this is not handed out: it belongs to the first screen, not to a later visit of the same URL. */
const EARLY_TTL_MS = 15_000;

/** An HTTP answer with its body read (the body of an early answer is read as it arrives, while the app's scripts load). */
export interface Answer {
  ok: boolean;
  status: number;
  statusText: string;
  text: string;
}

export async function readAnswer(res: Response): Promise<Answer> {
  return { ok: res.ok, status: res.status, statusText: res.statusText, text: await res.text() };
}

interface Early {
  answer: Promise<Answer>;
  /** When it was sent. */
  at: number;
  /** The answer, once here. */
  arrived?: Answer;
}

type EarlyMap = Map<string, Early>;

function table(): EarlyMap {
  const g = globalThis as unknown as Record<symbol, EarlyMap | undefined>;
  return (g[EARLY] ??= new Map());
}

/** Sends a GET for each URL (absolute paths) with `headers`; answers wait in the table. */
export function startEarly(urls: string[], headers: Record<string, string>): void {
  const t = table();
  for (const url of urls) {
    // `high`: they are sent while the app's chunks download, over the same 6 connections (HTTP/1.1): a free connection takes them before the chunks still queued (issue 16's cold load: they waited behind 20 chunks).
    const early: Early = { answer: fetch(url, { headers, priority: 'high' }).then(readAnswer), at: Date.now() };
    // A failure is the taker's to see; never an unhandled rejection when nobody takes it.
    early.answer.then((a) => (early.arrived = a), () => undefined);
    t.set(url, early);
  }
}

/** The early entry for `url`, at most once, and only while it is fresh. */
function take(url: string): Early | undefined {
  const t = table();
  const early = t.get(url);
  if (!early) return undefined;
  t.delete(url);
  return Date.now() - early.at < EARLY_TTL_MS ? early : undefined;
}

/** The early answer for `url`, at most once, and only while it is fresh. */
export function takeEarly(url: string): Promise<Answer> | undefined {
  return take(url)?.answer;
}

/**
 * The JSON of the early answer for `url` when it has already arrived with
 * a 2xx status (at most once, while fresh), and when it was asked for.
 * Undefined otherwise: then the query asks as usual (and takes the answer
 * still on its way with {@link takeEarly}).
 */
export function takeArrived<T>(url: string): { data: T; at: number } | undefined {
  const early = table().get(url);
  if (!early?.arrived?.ok) return undefined;
  const taken = take(url);
  if (!taken?.arrived) return undefined;
  try {
    return { data: JSON.parse(taken.arrived.text) as T, at: taken.at };
  } catch {
    return undefined;
  }
}
