import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fnv1a, inShard, parseShard } from '../../src/batch/shard.ts';

test('FNV-1a is the standard 32-bit hash (stable across machines and runs)', () => {
  assert.equal(fnv1a(''), 0x811c9dc5);
  assert.equal(fnv1a('a'), 0xe40c292c);
  assert.equal(fnv1a('foobar'), 0xbf9cf968);
});

test('every key falls in exactly one shard, and the shards are balanced', () => {
  const count = 7;
  const sizes = new Array(count).fill(0);
  for (let i = 0; i < 7000; i++) {
    const key = `domain${i}.example`;
    const hits = [];
    for (let k = 1; k <= count; k++) if (inShard(key, { index: k, count })) hits.push(k);
    assert.equal(hits.length, 1, key);
    sizes[hits[0]! - 1] += 1;
  }
  for (const size of sizes) assert.ok(size > 850 && size < 1150, `shard size ${size}`);
});

test('K/N parsing', () => {
  assert.deepEqual(parseShard('1/4'), { index: 1, count: 4 });
  assert.deepEqual(parseShard(' 4/4 '), { index: 4, count: 4 });
  for (const bad of ['0/4', '5/4', '1/0', 'a/b', '1', '1/2/3', '-1/4', '1.5/4']) assert.equal(parseShard(bad), null, bad);
});
