// The helpers shared by DNS, the probe and the pipeline (src/concurrency/): Slots, a
// first-come first-served limit whose waiters give up on abort, mapLimit, and LruMap, the caches' bounded map.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Slots } from '../../src/concurrency/slots.ts';
import { mapLimit } from '../../src/concurrency/map-limit.ts';
import { LruMap } from '../../src/concurrency/lru-map.ts';

test('Slots: at once while free, then first come first served; release hands the slot to the next waiter', async () => {
  const slots = new Slots(2);
  assert.equal(slots.acquire(), true);
  assert.equal(slots.acquire(), true);
  const order: string[] = [];
  const a = (slots.acquire() as Promise<boolean>).then((got) => order.push(`a:${got}`));
  const b = (slots.acquire() as Promise<boolean>).then((got) => order.push(`b:${got}`));
  assert.equal(slots.inFlight, 2);
  slots.release();
  await a;
  slots.release();
  await b;
  assert.deepEqual(order, ['a:true', 'b:true']);
  assert.equal(slots.inFlight, 2);
  assert.equal(slots.peak, 2);
});

test('Slots: a waiter whose signal aborts leaves the queue and holds nothing; an aborted signal gets no slot', async () => {
  const slots = new Slots(1);
  assert.equal(slots.acquire(), true);
  const controller = new AbortController();
  const gaveUp = slots.acquire(controller.signal) as Promise<boolean>;
  const next = slots.acquire() as Promise<boolean>;
  controller.abort();
  assert.equal(await gaveUp, false);
  slots.release(); // goes to `next`, not to the waiter that left
  assert.equal(await next, true);
  assert.equal(slots.inFlight, 1);
  assert.equal(slots.acquire(AbortSignal.abort()), false);
  assert.equal(slots.inFlight, 1);
});

test('mapLimit: keeps the input order and never runs more than the limit at once', async () => {
  let running = 0;
  let most = 0;
  const out = await mapLimit([5, 1, 4, 2, 3], 2, async (n, i) => {
    running += 1;
    most = Math.max(most, running);
    await new Promise((resolve) => setTimeout(resolve, n));
    running -= 1;
    return `${i}:${n}`;
  });
  assert.deepEqual(out, ['0:5', '1:1', '2:4', '3:2', '4:3']);
  assert.equal(most, 2);
  assert.deepEqual(await mapLimit([], 3, async () => 1), []);
});

test('LruMap: beyond capacity the least recently used goes; get uses, peek does not; capacity 0 keeps nothing', () => {
  const cache = new LruMap<string, number>(2);
  cache.set('a', 1);
  cache.set('b', 2);
  assert.equal(cache.get('a'), 1);
  cache.set('c', 3);
  assert.deepEqual([cache.peek('a'), cache.peek('b'), cache.peek('c')], [1, undefined, 3]);
  assert.equal(cache.peek('a'), 1);
  cache.set('d', 4); // 'a' was only peeked at since 'c' came: it is the least recently used
  assert.deepEqual([cache.peek('a'), cache.peek('c'), cache.peek('d'), cache.size], [undefined, 3, 4, 2]);
  assert.equal(cache.delete('c'), true);
  assert.equal(cache.size, 1);
  const none = new LruMap<string, number>(0);
  none.set('a', 1);
  assert.equal(none.size, 0);
});
