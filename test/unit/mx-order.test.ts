import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mostPreferredEach } from '../../src/dns/resolve-mail-hosts.ts';

test('a host named by two MX records keeps its most preferred place, whatever the order of the records', () => {
  const records = [
    { preference: 50, exchange: 'b.example' },
    { preference: 10, exchange: 'a.example' },
    { preference: 5, exchange: 'b.example' },
    { preference: 30, exchange: 'a.example' },
  ];
  for (const order of [records, [...records].reverse()]) {
    const kept = mostPreferredEach(order).sort((x, y) => x.exchange.localeCompare(y.exchange));
    assert.deepEqual(kept, [
      { preference: 10, exchange: 'a.example' },
      { preference: 5, exchange: 'b.example' },
    ]);
  }
});
