/**
 * Bounded concurrency over a list without a promise per item. The usual
 * `Promise.all(items.map((x) => limit(() => work(x))))` queues one promise
 * and closure per item up front; a repository of 10,000 tags is 10,000
 * items, and the queue is memory that grows with the tag count (issue 14
 * item 7: memory flat as tags grow). Here `concurrency` workers pull the
 * next item when they are free, so what is pending is `concurrency` calls.
 */

/**
 * Runs `work` on every item, at most `concurrency` at once, starting them in
 * list order. Rejects with the first error `work` throws, after the calls
 * already running settle; items not yet started are then not started.
 */
export async function eachBounded<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      try {
        await work(items[next++]!);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  const results = await Promise.allSettled(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
  const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (rejected) throw rejected.reason;
}
