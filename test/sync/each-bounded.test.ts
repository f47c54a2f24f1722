import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eachBounded } from '../../src/sync/each-bounded.ts';

/** A call that finishes when the test says so, to see what runs at once. */
function gate() {
  const running = new Set<number>();
  const release = new Map<number, () => void>();
  let peak = 0;
  const started: number[] = [];
  const work = (n: number) =>
    new Promise<void>((resolve) => {
      started.push(n);
      running.add(n);
      peak = Math.max(peak, running.size);
      release.set(n, () => {
        running.delete(n);
        resolve();
      });
    });
  const tick = () => new Promise<void>((r) => setImmediate(r));
  return { work, release, started, running, peak: () => peak, tick };
}

test('eachBounded runs every item, at most `concurrency` at once, starting them in list order', async () => {
  const g = gate();
  const items = Array.from({ length: 10 }, (_, i) => i);
  const done = eachBounded(items, 3, g.work);
  await g.tick();
  assert.deepEqual(g.started, [0, 1, 2]);
  // Finishing one starts exactly the next one.
  g.release.get(1)!();
  await g.tick();
  assert.deepEqual(g.started, [0, 1, 2, 3]);
  while (g.started.length < items.length || g.running.size > 0) {
    for (const n of [...g.running]) g.release.get(n)!();
    await g.tick();
  }
  await done;
  assert.deepEqual(g.started, items);
  assert.equal(g.peak(), 3);
});

test('eachBounded with no items, or fewer items than workers', async () => {
  await eachBounded([], 4, async () => assert.fail('no item, no call'));
  const seen: string[] = [];
  await eachBounded(['a', 'b'], 16, async (x) => {
    seen.push(x);
  });
  assert.deepEqual(seen, ['a', 'b']);
});

test('eachBounded rejects with the first error once running calls settle, and starts no further item', async () => {
  const started: number[] = [];
  let slowFinished = false;
  const failure = new Error('item 1 failed');
  // Item 0 is still running when item 1 fails; it finishes only after that.
  const slow = Promise.withResolvers<void>();
  await assert.rejects(
    eachBounded([0, 1, 2, 3, 4], 2, async (n) => {
      started.push(n);
      if (n === 1) {
        setImmediate(slow.resolve);
        throw failure;
      }
      if (n === 0) {
        await slow.promise;
        slowFinished = true;
      }
    }),
    (err) => err === failure,
  );
  assert.equal(slowFinished, true, 'the call already running settled before the rejection');
  assert.deepEqual(started, [0, 1]);
});
