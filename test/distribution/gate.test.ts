/** The per-host request budget (gate.ts): pause on 429, halve the window, grow it back. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RegistryGate, UNBOUNDED_AT } from '../../src/distribution/gate.ts';

test('a 429 halves the requests in flight once per burst, and successes grow the window back until it is lifted', async () => {
  const gate = new RegistryGate();
  assert.equal(gate.limit, Infinity);
  const held = await Promise.all(Array.from({ length: 8 }, () => gate.admit()));
  // Three of the eight are refused in one burst: one cut, not three.
  for (const release of held.slice(0, 3)) {
    gate.onTooManyRequests('0', 1000);
    release('limited');
  }
  assert.equal(gate.limit, 4);
  // No answer (a network error) neither cuts nor grows the window.
  for (const release of held.slice(3)) release('failed');

  // With the window at 4, a fifth request waits for a slot.
  const four = await Promise.all(Array.from({ length: 4 }, () => gate.admit()));
  let fifth = false;
  const waiting = gate.admit().then((release) => {
    fifth = true;
    return release;
  });
  // Nothing is paused, so an admission would take only promise callbacks; they have all run
  // before the next turn of the event loop.
  await new Promise((r) => setImmediate(r));
  assert.equal(fifth, false, 'the fifth request waits while four are in flight');
  four[0]!('ok');
  (await waiting)('ok');
  assert.equal(fifth, true);
  for (const release of four.slice(1)) release('ok');

  // One more slot per window of successes (additive increase), unbounded again at UNBOUNDED_AT.
  let successes = 0;
  while (gate.limit !== Infinity) {
    (await gate.admit())('ok');
    successes++;
    assert.ok(successes < 10_000);
  }
  assert.ok(successes > UNBOUNDED_AT, `grown back gradually: ${successes} answers`);
});

test('the pause holds every request until Retry-After has passed; an abort ends the wait', async () => {
  const gate = new RegistryGate();
  const release = await gate.admit();
  gate.onTooManyRequests('1', 200);
  release('limited');
  const started = Date.now();
  // Timers fire in the order they are due, however late: the capped pause (200 ms) ends before
  // a 900 ms timer; an uncapped one (1 s) would not.
  const admitted = gate.admit().then((r) => {
    r('ok');
    return 'admitted after the capped pause';
  });
  const uncapped = new Promise<string>((resolve) => setTimeout(() => resolve('still paused at 900 ms: the cap was not applied'), 900));
  assert.equal(await Promise.race([admitted, uncapped]), 'admitted after the capped pause');
  assert.ok(Date.now() - started >= 180, 'waited for the (capped) Retry-After');

  gate.onTooManyRequests('5', 5000);
  const controller = new AbortController();
  const waiting = gate.admit(controller.signal);
  controller.abort(new Error('stopped'));
  await assert.rejects(waiting, /stopped/);
});
