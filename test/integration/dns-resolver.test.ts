// The resolver on its own, in-process, against the fake DNS on loopback: at most its limit of
// queries in flight over a whole run (the rest queued, counted in the fake DNS), a shared cached
// look-up that stops only when every caller gave up, and the abort: queued queries dropped, no
// query after the signal, UDP and TCP sockets closed.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { craftResponse, withFakeDns, type FakeZone } from '../helpers/fake-dns.ts';
import { DnsResolver, DEFAULT_MAX_IN_FLIGHT } from '../../src/dns/resolver.ts';
import { udpSockets } from '../../src/dns/udp-sockets.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('bounds and sharing', { concurrency: true }, () => {
  test(`one resolver for a whole run: at most ${DEFAULT_MAX_IN_FLIGHT} queries in flight, the rest queued`, async () => {
    const names: FakeZone = {};
    for (let i = 0; i < 200; i++) names[`h${i}.test`] = { A: ['192.0.2.1'] };
    await withFakeDns(
      names,
      async (dns) => {
        const resolver = new DnsResolver({ servers: [dns.address], timeoutMs: 5000 });
        const results = await Promise.all(Object.keys(names).map((name) => resolver.addresses(name, 'A')));
        assert.ok(results.every((r) => r.facts.rcode === 'NOERROR'));
        assert.ok(dns.peakInFlight <= DEFAULT_MAX_IN_FLIGHT, `${dns.peakInFlight} in flight at the server`);
        assert.equal(resolver.peakInFlight, DEFAULT_MAX_IN_FLIGHT);
      },
      { delayMs: 50 },
    );
  });

  test('a cached look-up shared by two callers stops only when both give up', async () => {
    await withFakeDns({ 'slow.test': { A: ['192.0.2.7'], delayMs: 300 } }, async (dns) => {
      const resolver = new DnsResolver({ servers: [dns.address], timeoutMs: 5000, cacheSize: 10 });
      const one = new AbortController();
      const two = new AbortController();
      const a = resolver.addresses('slow.test', 'A', one.signal);
      const b = resolver.addresses('slow.test', 'A', two.signal);
      one.abort();
      assert.equal((await a).facts.rcode, 'ABORTED');
      assert.deepEqual((await b).records, ['192.0.2.7'], 'the other caller still gets the answer');
      assert.equal(dns.queries.length, 1, 'one query for both');
    });
  });
  test('a settled cached look-up keeps its answer, not the AbortController that could have stopped it (issue 11: 16,384 entries in a batch)', async () => {
    await withFakeDns({ 'kept.test': { A: ['192.0.2.9'] } }, async (dns) => {
      const resolver = new DnsResolver({ servers: [dns.address], timeoutMs: 5000, cacheSize: 10 });
      const caller = new AbortController();
      assert.deepEqual((await resolver.addresses('kept.test', 'A', caller.signal)).records, ['192.0.2.9']);
      // The cache is private: read through Reflect, as nothing outside may reach it.
      const cache = Reflect.get(resolver, 'cache') as { peek(key: string): { settled: boolean; controller: AbortController | null } | undefined };
      const entry = cache.peek('A kept.test');
      assert.ok(entry !== undefined, 'the answer is cached');
      assert.equal(entry.settled, true);
      assert.equal(entry.controller, null, 'no controller kept past the look-up');
      assert.deepEqual((await resolver.addresses('kept.test', 'A', caller.signal)).records, ['192.0.2.9'], 'still served from the cache');
      assert.equal(dns.queries.length, 1, 'one query for both calls');
    });
  });
});

// Counting open sockets of this process needs nothing else running in it: these two run alone.
describe('sockets closed on abort (in-process)', () => {
  test('abort: queued queries are dropped, none is sent after the signal, the query leaves the shared UDP socket', async () => {
    await withFakeDns({ 'slow.test': { drop: true }, 'b.test': { A: ['192.0.2.1'] }, 'c.test': { MX: [{ preference: 1, exchange: 'x.test' }] } }, async (dns) => {
      await sleep(100); // queries of earlier tests finish
      assert.equal(udpSockets.pendingQueries, 0);
      const resolver = new DnsResolver({ servers: [dns.address], timeoutMs: 10_000, maxInFlight: 1 });
      const stop = new AbortController();
      const started = performance.now();
      const first = resolver.addresses('slow.test', 'A', stop.signal); // holds the only slot
      const queued = [resolver.addresses('b.test', 'A', stop.signal), resolver.mx('c.test', stop.signal)];
      await sleep(100);
      assert.equal(udpSockets.pendingQueries, 1, 'one query on the wire');
      assert.equal(udpSockets.openSockets, 1, 'on one socket');
      stop.abort();
      const results = await Promise.all([first, ...queued]);
      assert.ok(performance.now() - started < 5000, 'ends at the signal, not at the 10 s timeout');
      assert.deepEqual(results.map((r) => r.facts.rcode), ['ABORTED', 'ABORTED', 'ABORTED']);
      assert.equal(results[0]?.facts.error, 'the run was stopped');
      assert.deepEqual(dns.queries.map((q) => q.name), ['slow.test'], 'the queued queries were never sent');
      assert.equal(udpSockets.pendingQueries, 0, 'the query left the socket at the signal');
      assert.ok(udpSockets.openSockets <= 1, 'no socket piles up');
      const after = await resolver.mx('c.test', stop.signal);
      assert.equal(after.facts.rcode, 'ABORTED');
      assert.equal(dns.queries.length, 1, 'no query after the signal');
    });
  });

  test('abort: a TCP query in flight is closed', async () => {
    const zone: FakeZone = {
      // UDP: truncated at once; TCP: never answered.
      'tcp.test': { raw: (q) => (q.transport === 'udp' ? craftResponse(q, [], { flags: 0x0200 }) : null) },
    };
    await withFakeDns(zone, async (dns) => {
      await sleep(100); // sockets of earlier tests finish closing
      const tcpBefore = process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;
      const resolver = new DnsResolver({ servers: [dns.address], timeoutMs: 10_000 });
      const stop = new AbortController();
      const pending = resolver.mx('tcp.test', stop.signal);
      for (let i = 0; i < 100 && !dns.queries.some((q) => q.transport === 'tcp'); i++) await sleep(10);
      assert.ok(dns.queries.some((q) => q.transport === 'tcp'), 'the query went over TCP');
      assert.ok(process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length > tcpBefore, 'a TCP connection is open');
      stop.abort();
      assert.equal((await pending).facts.rcode, 'ABORTED');
      for (let i = 0; i < 50 && process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length > tcpBefore; i++) await sleep(10);
      assert.equal(process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length, tcpBefore, 'both ends closed');
    });
  });
});
