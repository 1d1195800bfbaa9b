// The shared UDP sockets of DNS queries (src/dns/udp-sockets.ts), against a bare UDP echo server
// on loopback that records the source port of every datagram.
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { describe, test } from 'node:test';
import { UdpSocketPool, udpSockets, type UdpLease } from '../../src/dns/udp-sockets.ts';
import { queryServers } from '../../src/dns/transport.ts';
import { withFakeDns } from '../helpers/fake-dns.ts';

/** A UDP server on 127.0.0.1 that echoes each datagram back (after `delayMs`) and records the sender's port. */
async function echoServer(delayMs = 0): Promise<{ port: number; ports: number[]; close(): Promise<void> }> {
  const server = dgram.createSocket('udp4');
  const ports: number[] = [];
  server.on('message', (msg, from) => {
    ports.push(from.port);
    setTimeout(() => server.send(msg, from.port, from.address), delayMs);
  });
  await new Promise<void>((resolve) => server.bind(0, '127.0.0.1', resolve));
  return { port: server.address().port, ports, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** Sends a 12-byte message carrying the lease's ID; resolves with the echo heard by the lease. */
function ask(pool: UdpSocketPool, port: number): { lease: UdpLease; answer: Promise<Buffer> } {
  let lease!: UdpLease;
  const answer = new Promise<Buffer>((resolve, reject) => {
    lease = pool.open('udp4', (msg) => resolve(msg), reject);
  });
  const message = Buffer.alloc(12);
  message.writeUInt16BE(lease.id, 0);
  lease.send(message, port, '127.0.0.1', (err) => assert.equal(err, null));
  return { lease, answer };
}

/** Runs `fn` with an echo server (answering after `delayMs`) and a pool of these limits; the server is closed after. */
async function withEcho(
  delayMs: number,
  limits: { maxQueries: number; maxAgeMs: number },
  fn: (server: Awaited<ReturnType<typeof echoServer>>, pool: UdpSocketPool) => Promise<void>,
): Promise<void> {
  const server = await echoServer(delayMs);
  try {
    await fn(server, new UdpSocketPool(limits));
  } finally {
    await server.close();
  }
}

describe('UDP sockets for DNS', () => {
  test('queries share a socket until it has carried its quota; then a fresh one, from another port', () =>
    withEcho(0, { maxQueries: 3, maxAgeMs: 60_000 }, async (server, pool) => {
      for (let i = 0; i < 7; i++) {
        const { lease, answer } = await Promise.resolve(ask(pool, server.port));
        assert.equal((await answer).readUInt16BE(0), lease.id, 'each query hears its own answer');
        lease.close();
      }
      assert.equal(pool.opened, 3, '7 queries at 3 per socket');
      assert.equal(new Set(server.ports).size, 3, 'one source port per socket');
      assert.deepEqual(server.ports.slice(0, 3), Array(3).fill(server.ports[0]), 'the first three from one port');
      assert.ok(pool.openSockets <= 1, 'retired sockets with nothing pending are closed');
      assert.equal(pool.pendingQueries, 0);
    }));

  test('many queries at once on one socket: every ID distinct, every answer to its own query', () =>
    withEcho(5, { maxQueries: 1000, maxAgeMs: 60_000 }, async (server, pool) => {
      const asked = Array.from({ length: 200 }, () => ask(pool, server.port));
      assert.equal(new Set(asked.map((a) => a.lease.id)).size, 200, 'IDs unique among pending queries');
      assert.equal(pool.pendingQueries, 200);
      const answers = await Promise.all(asked.map((a) => a.answer));
      answers.forEach((answer, i) => assert.equal(answer.readUInt16BE(0), asked[i]?.lease.id));
      for (const a of asked) a.lease.close();
      assert.equal(pool.opened, 1);
      assert.equal(pool.pendingQueries, 0);
    }));

  test('an old socket takes no new query; it closes when its last query is done', () =>
    withEcho(0, { maxQueries: 1000, maxAgeMs: 50 }, async (server, pool) => {
      const first = ask(pool, server.port);
      await first.answer;
      await new Promise((resolve) => setTimeout(resolve, 80));
      const second = ask(pool, server.port);
      await second.answer;
      assert.equal(pool.opened, 2, 'past its age, a new socket');
      assert.equal(pool.openSockets, 2, 'the old one waits for its pending query');
      first.lease.close();
      assert.equal(pool.openSockets, 1);
      second.lease.close();
      assert.notEqual(server.ports[0], server.ports[1]);
    }));

  test('a closed lease hears nothing more, and an answer to nobody is dropped', () =>
    withEcho(30, { maxQueries: 1000, maxAgeMs: 60_000 }, async (server, pool) => {
      let heard = 0;
      const lease = pool.open('udp4', () => (heard += 1), () => undefined);
      const message = Buffer.alloc(12);
      message.writeUInt16BE(lease.id, 0);
      lease.send(message, server.port, '127.0.0.1', () => undefined);
      lease.close();
      const after = ask(pool, server.port);
      await after.answer;
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(heard, 0);
      after.lease.close();
    }));

  test('queryServers through the shared sockets: concurrent look-ups all answered, on far fewer sockets than queries', async () => {
    const zone = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`d${i}.test`, { A: [`192.0.2.${i + 1}`] }]));
    await withFakeDns(zone, async (dns) => {
      const openedBefore = udpSockets.opened;
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => queryServers([{ host: dns.host, port: dns.port }], `d${i}.test`, 'A', 5000)));
      results.forEach((r, i) => {
        assert.ok(r.ok, JSON.stringify(r));
        if (r.ok) assert.deepEqual(r.answer.answers.map((a) => a.data), [`192.0.2.${i + 1}`]);
      });
      assert.ok(udpSockets.opened - openedBefore <= 2, `50 queries on ${udpSockets.opened - openedBefore} sockets`);
      assert.equal(udpSockets.pendingQueries, 0);
    });
  });
});
