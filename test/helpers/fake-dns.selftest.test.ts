// Self-test of the fake DNS server, using a tiny raw client (dns-packet + dgram/net), not mxprobe code.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { promises as dnsp } from 'node:dns';
import dnsPacket from 'dns-packet';
import type { DecodedPacket, Answer, RecordType } from 'dns-packet';
import { startFakeDns, type FakeDnsServer, type FakeZone } from './fake-dns.ts';

interface QOpts {
  edns?: boolean;
  dnssecOk?: boolean;
  timeoutMs?: number;
  id?: number;
  checkingDisabled?: boolean;
}

function buildQuery(name: string, type: RecordType, o: QOpts): Buffer {
  return dnsPacket.encode({
    type: 'query',
    id: o.id ?? Math.floor(Math.random() * 65535),
    flags: dnsPacket.RECURSION_DESIRED | (o.checkingDisabled === true ? dnsPacket.CHECKING_DISABLED : 0),
    questions: [{ type, name }],
    additionals: o.edns
      ? [
          {
            type: 'OPT',
            name: '.',
            udpPayloadSize: 1232,
            extendedRcode: 0,
            ednsVersion: 0,
            flags: o.dnssecOk ? dnsPacket.DNSSEC_OK : 0,
            flag_do: o.dnssecOk === true,
            options: [],
          },
        ]
      : [],
  });
}

function udpRaw(srv: FakeDnsServer, payload: Buffer, timeoutMs = 1000): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket(net.isIPv6(srv.host) ? 'udp6' : 'udp4');
    const timer = setTimeout(() => {
      sock.close();
      resolve(null);
    }, timeoutMs);
    sock.on('error', (e) => {
      clearTimeout(timer);
      sock.close();
      reject(e);
    });
    sock.on('message', (m) => {
      clearTimeout(timer);
      sock.close();
      resolve(m);
    });
    sock.send(payload, srv.port, srv.host);
  });
}

async function udpQuery(srv: FakeDnsServer, name: string, type: RecordType, o: QOpts = {}): Promise<DecodedPacket | null> {
  const id = o.id ?? 4242;
  const raw = await udpRaw(srv, buildQuery(name, type, { ...o, id }), o.timeoutMs);
  if (raw === null) return null;
  const p = dnsPacket.decode(raw);
  assert.equal(p.id, id, 'id echoed');
  return p;
}

/** Sends several queries on one TCP connection; resolves with the decoded responses in order. */
function tcpQueries(srv: FakeDnsServer, qs: Array<[string, RecordType]>, o: QOpts = {}): Promise<DecodedPacket[]> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: srv.host, port: srv.port });
    const out: DecodedPacket[] = [];
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error('tcp timeout'));
    }, o.timeoutMs ?? 1000);
    sock.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    sock.on('connect', () => {
      const frames = qs.map(([n, t], i) => {
        const q = buildQuery(n, t, { ...o, id: 100 + i });
        const f = Buffer.alloc(2 + q.length);
        f.writeUInt16BE(q.length, 0);
        q.copy(f, 2);
        return f;
      });
      sock.write(Buffer.concat(frames)); // pipelined in one write
    });
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const len = buf.readUInt16BE(0);
        out.push(dnsPacket.decode(buf.subarray(2, 2 + len)));
        buf = buf.subarray(2 + len);
      }
      if (out.length === qs.length) {
        clearTimeout(timer);
        sock.end();
        resolve(out);
      }
    });
  });
}

function rcodeOf(p: DecodedPacket): string {
  return (p as DecodedPacket & { rcode: string }).rcode;
}
function dataOf(p: DecodedPacket, type: string): unknown[] {
  return (p.answers ?? []).filter((a): a is Answer => a.type === type).map((a) => ('data' in a ? a.data : undefined));
}

const zone: FakeZone = {
  'example.test': {
    MX: [
      { preference: 20, exchange: 'mx2.example.test' },
      { preference: 10, exchange: 'mx1.example.test' },
    ],
    TXT: ['v=spf1 -all', 'x'.repeat(300)],
    authenticated: true,
  },
  'mx1.example.test': { A: ['127.0.0.1'], AAAA: ['::1'], authenticated: true },
  'mx2.example.test': { A: ['127.0.0.2'] },
  'alias.example.test': { CNAME: 'alias2.example.test', authenticated: true },
  'alias2.example.test': { CNAME: 'mx1.example.test', authenticated: true },
  'alias-unsigned.example.test': { CNAME: 'mx1.example.test' },
  'alias-signed-to-unsigned.example.test': { CNAME: 'mx2.example.test', authenticated: true },
  'dangling.example.test': { CNAME: 'nowhere.example.test' },
  'loop1.example.test': { CNAME: 'loop2.example.test' },
  'loop2.example.test': { CNAME: 'loop1.example.test' },
  'nullmx.test': { MX: [{ preference: 0, exchange: '.' }] },
  'nullmx-empty.test': { MX: [{ preference: 0, exchange: '' }] },
  'servfail.test': { rcode: 'SERVFAIL' },
  'refused.test': { rcode: 'REFUSED' },
  'drop.test': { drop: true, MX: [{ preference: 10, exchange: 'mx1.example.test' }] },
  'big.test': { truncate: true, MX: [{ preference: 5, exchange: 'mx1.example.test' }], A: ['127.0.0.9'] },
  'huge.test': { TXT: Array.from({ length: 20 }, (_, i) => `${i}-${'y'.repeat(200)}`) },
  'ttl.test': { A: ['127.0.0.3'], ttl: 42 },
};

let srv: FakeDnsServer;
before(async () => {
  srv = await startFakeDns(zone);
});
after(async () => {
  await srv.close();
});

test('address format and port shared by UDP and TCP', () => {
  assert.equal(srv.host, '127.0.0.1');
  assert.ok(srv.port > 0);
  assert.equal(srv.address, `127.0.0.1:${srv.port}`);
});

test('MX answer, flags, question echo, EDNS echo', async () => {
  const p = await udpQuery(srv, 'Example.TEST', 'MX', { edns: true, dnssecOk: true });
  assert.ok(p);
  assert.equal(rcodeOf(p), 'NOERROR');
  assert.equal(p.flag_qr, true);
  assert.equal(p.flag_rd, true);
  assert.equal(p.flag_ra, true);
  assert.equal(p.flag_tc, false);
  assert.deepEqual(p.questions, [{ name: 'Example.TEST', type: 'MX', class: 'IN' }]);
  assert.deepEqual(dataOf(p, 'MX'), [
    { preference: 20, exchange: 'mx2.example.test' },
    { preference: 10, exchange: 'mx1.example.test' },
  ]);
  const opt = (p.additionals ?? []).find((a) => a.type === 'OPT');
  assert.ok(opt && opt.type === 'OPT');
  assert.equal(opt.flag_do, true);
  // without EDNS: no OPT
  const p2 = await udpQuery(srv, 'example.test', 'MX');
  assert.ok(p2);
  assert.equal((p2.additionals ?? []).length, 0);
});

test('A / AAAA / TXT / TTL', async () => {
  const a = await udpQuery(srv, 'mx1.example.test.', 'A');
  assert.deepEqual(a && dataOf(a, 'A'), ['127.0.0.1']);
  const aaaa = await udpQuery(srv, 'mx1.example.test', 'AAAA');
  assert.deepEqual(aaaa && dataOf(aaaa, 'AAAA'), ['::1']);
  const t = await udpQuery(srv, 'ttl.test', 'A');
  assert.equal(t?.answers?.[0] && 'ttl' in t.answers[0] ? t.answers[0].ttl : -1, 42);
  const txt = await udpQuery(srv, 'example.test', 'TXT', { edns: true });
  assert.ok(txt);
  const recs = dataOf(txt, 'TXT') as Buffer[][];
  assert.equal(recs.length, 2);
  assert.equal(Buffer.concat(recs[0] ?? []).toString(), 'v=spf1 -all');
  assert.equal(recs[1]?.length, 2, '300-byte TXT split into 255 + 45');
  assert.equal(Buffer.concat(recs[1] ?? []).toString(), 'x'.repeat(300));
});

test('NXDOMAIN for unknown name, NODATA for known name without the type', async () => {
  const nx = await udpQuery(srv, 'nope.test', 'MX');
  assert.ok(nx);
  assert.equal(rcodeOf(nx), 'NXDOMAIN');
  assert.equal(nx.answers?.length, 0);
  const nodata = await udpQuery(srv, 'mx2.example.test', 'AAAA');
  assert.ok(nodata);
  assert.equal(rcodeOf(nodata), 'NOERROR');
  assert.equal(nodata.answers?.length, 0);
  const other = await udpQuery(srv, 'example.test', 'TLSA');
  assert.ok(other);
  assert.equal(rcodeOf(other), 'NOERROR', 'unsupported types get NODATA');
  assert.equal(other.answers?.length, 0);
});

test('CNAME chain is followed, in order; CNAME query returns the alias only', async () => {
  const p = await udpQuery(srv, 'alias.example.test', 'A');
  assert.ok(p);
  assert.equal(rcodeOf(p), 'NOERROR');
  assert.deepEqual(
    (p.answers ?? []).map((a) => [a.type, a.name, 'data' in a ? a.data : null]),
    [
      ['CNAME', 'alias.example.test', 'alias2.example.test'],
      ['CNAME', 'alias2.example.test', 'mx1.example.test'],
      ['A', 'mx1.example.test', '127.0.0.1'],
    ],
  );
  assert.equal(p.flag_ad, true, 'all names authenticated');
  const c = await udpQuery(srv, 'alias.example.test', 'CNAME');
  assert.deepEqual(c && dataOf(c, 'CNAME'), ['alias2.example.test']);
  assert.equal(c?.answers?.length, 1);
  const d = await udpQuery(srv, 'dangling.example.test', 'A');
  assert.ok(d);
  assert.equal(rcodeOf(d), 'NXDOMAIN');
  assert.deepEqual(dataOf(d, 'CNAME'), ['nowhere.example.test']);
  const loop = await udpQuery(srv, 'loop1.example.test', 'A');
  assert.ok(loop);
  assert.equal(rcodeOf(loop), 'SERVFAIL');
});

test('AD flag only when every name is authenticated', async () => {
  const yes = await udpQuery(srv, 'example.test', 'MX', { edns: true, dnssecOk: true });
  assert.equal(yes?.flag_ad, true);
  const no = await udpQuery(srv, 'mx2.example.test', 'A', { edns: true, dnssecOk: true });
  assert.equal(no?.flag_ad, false);
  const mixed1 = await udpQuery(srv, 'alias-unsigned.example.test', 'A');
  assert.equal(mixed1?.flag_ad, false);
  const mixed2 = await udpQuery(srv, 'alias-signed-to-unsigned.example.test', 'A');
  assert.equal(mixed2?.flag_ad, false);
  const nx = await udpQuery(srv, 'nope.test', 'A');
  assert.equal(nx?.flag_ad, false);
});

test('SERVFAIL / REFUSED rcodes', async () => {
  const s = await udpQuery(srv, 'servfail.test', 'MX');
  assert.equal(s && rcodeOf(s), 'SERVFAIL');
  const r = await udpQuery(srv, 'refused.test', 'A');
  assert.equal(r && rcodeOf(r), 'REFUSED');
});

test('drop: no answer within 500 ms (UDP and TCP)', async () => {
  const [p] = await Promise.all([
    udpQuery(srv, 'drop.test', 'MX', { timeoutMs: 500 }),
    assert.rejects(tcpQueries(srv, [['drop.test', 'MX']], { timeoutMs: 500 }), /tcp timeout/),
  ]);
  assert.equal(p, null);
  assert.deepEqual(
    srv.queries.filter((q) => q.name === 'drop.test').map((q) => q.transport).sort(),
    ['tcp', 'udp'],
    'dropped queries are still recorded',
  );
});

test('truncate: UDP TC=1 without answers, TCP full answer; several queries per TCP connection', async () => {
  const u = await udpQuery(srv, 'big.test', 'MX');
  assert.ok(u);
  assert.equal(u.flag_tc, true);
  assert.equal(u.answers?.length, 0);
  const [t1, t2, t3] = await tcpQueries(srv, [
    ['big.test', 'MX'],
    ['big.test', 'A'],
    ['example.test', 'MX'],
  ]);
  assert.ok(t1 && t2 && t3);
  assert.equal(t1.flag_tc, false);
  assert.equal(t1.id, 100);
  assert.deepEqual(dataOf(t1, 'MX'), [{ preference: 5, exchange: 'mx1.example.test' }]);
  assert.deepEqual(dataOf(t2, 'A'), ['127.0.0.9']);
  assert.equal(t3.id, 102);
  assert.equal(dataOf(t3, 'MX').length, 2);
  // real size-based truncation: > 512 bytes without EDNS
  const h = await udpQuery(srv, 'huge.test', 'TXT');
  assert.equal(h?.flag_tc, true);
  const [ht] = await tcpQueries(srv, [['huge.test', 'TXT']]);
  assert.equal(ht && dataOf(ht, 'TXT').length, 20);
});

test('null MX encodes as root exchange "."', async () => {
  for (const name of ['nullmx.test', 'nullmx-empty.test']) {
    const p = await udpQuery(srv, name, 'MX');
    assert.deepEqual(p && dataOf(p, 'MX'), [{ preference: 0, exchange: '.' }], name);
  }
});

test('cross-check with node:dns Resolver (c-ares)', async () => {
  const r = new dnsp.Resolver({ timeout: 300, tries: 1 });
  r.setServers([srv.address]);
  const mx = await r.resolveMx('example.test');
  assert.deepEqual(
    mx.sort((a, b) => a.priority - b.priority),
    [
      { exchange: 'mx1.example.test', priority: 10 },
      { exchange: 'mx2.example.test', priority: 20 },
    ],
  );
  assert.deepEqual(await r.resolve4('alias.example.test'), ['127.0.0.1']);
  assert.deepEqual(await r.resolve6('mx1.example.test'), ['::1']);
  assert.deepEqual(await r.resolveMx('nullmx.test'), [{ exchange: '', priority: 0 }], 'c-ares reports null MX as ""');
  await assert.rejects(r.resolveMx('nope.test'), { code: 'ENOTFOUND' });
  await assert.rejects(r.resolve6('mx2.example.test'), { code: 'ENODATA' });
  await assert.rejects(r.resolveMx('servfail.test'), { code: 'ESERVFAIL' });
  // c-ares retries over TCP on TC=1
  assert.deepEqual(await r.resolve4('big.test'), ['127.0.0.9']);
});

test('queries[] records name, type, transport, flags, DO bit', async () => {
  srv.queries.length = 0;
  await udpQuery(srv, 'MX1.Example.Test.', 'A', { edns: true, dnssecOk: true });
  await tcpQueries(srv, [['example.test', 'MX']]);
  assert.deepEqual(
    srv.queries.map((q) => ({ ...q })),
    [
      { name: 'mx1.example.test', type: 'A', transport: 'udp', flags: dnsPacket.RECURSION_DESIRED, ednsDo: true },
      { name: 'example.test', type: 'MX', transport: 'tcp', flags: dnsPacket.RECURSION_DESIRED, ednsDo: false },
    ],
  );
});

test('setZone replaces the zone live', async () => {
  srv.setZone({ ...zone, 'NEW.test.': { A: ['127.0.0.7'] } });
  const p = await udpQuery(srv, 'new.test', 'A');
  assert.deepEqual(p && dataOf(p, 'A'), ['127.0.0.7']);
  srv.setZone(zone);
  const q = await udpQuery(srv, 'new.test', 'A');
  assert.equal(q && rcodeOf(q), 'NXDOMAIN');
});

test('malformed input never crashes the server', async () => {
  assert.equal(await udpRaw(srv, Buffer.from('garbage'), 200), null);
  assert.equal(await udpRaw(srv, Buffer.alloc(40, 0xff), 200), null);
  // TCP: garbage frame closes the connection
  await new Promise<void>((resolve, reject) => {
    const s = net.connect({ host: srv.host, port: srv.port }, () => {
      s.write(Buffer.from([0, 20, ...Buffer.alloc(20, 0xc0)]));
    });
    s.on('close', () => resolve());
    s.on('error', () => resolve());
    setTimeout(() => reject(new Error('server did not close')), 1000).unref();
  });
  const p = await udpQuery(srv, 'example.test', 'MX');
  assert.equal(p && rcodeOf(p), 'NOERROR');
});

test('IPv6 loopback and clean close', async (t) => {
  let s6: FakeDnsServer;
  try {
    s6 = await startFakeDns({ 'v6.test': { A: ['127.0.0.1'] } }, { host: '::1' });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRNOTAVAIL' || code === 'EAFNOSUPPORT') {
      t.skip('no IPv6 loopback');
      return;
    }
    throw e;
  }
  assert.equal(s6.address, `[::1]:${s6.port}`);
  const p = await udpQuery(s6, 'v6.test', 'A');
  assert.deepEqual(p && dataOf(p, 'A'), ['127.0.0.1']);
  // an open idle TCP connection must not keep close() waiting
  const idle = net.connect({ host: '::1', port: s6.port });
  idle.on('error', () => {});
  await new Promise((r) => idle.once('connect', r));
  await s6.close();
  await s6.close(); // idempotent
  await assert.rejects(startFakeDns({}, { host: '192.0.2.1' }), /non-loopback/);
});

test('as a validating resolver: TLSA and TXT served, AD per name (secure denials too), bogus = SERVFAIL unless CD, the root check with or without AD', async () => {
  const sha = 'ab'.repeat(32);
  const dnssecZone: FakeZone = {
    '.': { authenticated: true },
    '_25._tcp.mx.test': { TLSA: [{ usage: 3, selector: 1, matchingType: 1, data: sha }], authenticated: true },
    '_25._tcp.bogus.test': { TLSA: [{ usage: 3, selector: 1, matchingType: 1, data: sha }], bogus: true },
    '_mta-sts.example.test': { TXT: ['v=STSv1; id=1', 'z'.repeat(300)] },
    'gone.test': { rcode: 'NXDOMAIN', authenticated: true },
  };
  const own = await startFakeDns(dnssecZone);
  try {
    const ad = (p: DecodedPacket | null) => ((p?.flags ?? 0) & dnsPacket.AUTHENTIC_DATA) !== 0;
    const tlsa = await udpQuery(own, '_25._tcp.mx.test', 'TLSA', { edns: true, dnssecOk: true });
    assert.ok(tlsa !== null && ad(tlsa));
    const record = tlsa?.answers?.[0] as { data: { usage: number; selector: number; matchingType: number; certificate: Buffer } };
    assert.deepEqual([record.data.usage, record.data.selector, record.data.matchingType, record.data.certificate.toString('hex')], [3, 1, 1, sha]);
    const txt = await tcpQueries(own, [['_mta-sts.example.test', 'TXT']]);
    const texts = (txt[0]?.answers ?? []).map((a) => ((a as { data: Buffer[] }).data).map((b) => b.toString()).join(''));
    assert.deepEqual(texts, ['v=STSv1; id=1', 'z'.repeat(300)]);
    assert.ok(!ad(txt[0] ?? null), 'unsigned: no AD');
    const gone = await udpQuery(own, 'gone.test', 'A', { edns: true, dnssecOk: true });
    assert.ok(gone !== null && rcodeOf(gone) === 'NXDOMAIN' && ad(gone), 'a secure NXDOMAIN has AD');
    const bogus = await udpQuery(own, '_25._tcp.bogus.test', 'TLSA', { edns: true, dnssecOk: true });
    assert.equal(bogus && rcodeOf(bogus), 'SERVFAIL');
    const unchecked = await udpQuery(own, '_25._tcp.bogus.test', 'TLSA', { edns: true, dnssecOk: true, checkingDisabled: true });
    assert.ok(unchecked !== null && rcodeOf(unchecked) === 'NOERROR' && !ad(unchecked) && (unchecked.answers ?? []).length === 1, 'CD: the data, without AD');
    assert.ok(((unchecked?.flags ?? 0) & dnsPacket.CHECKING_DISABLED) !== 0, 'CD echoed');
    for (const type of ['SOA', 'DNSKEY'] as const) assert.ok(ad(await udpQuery(own, '.', type, { edns: true, dnssecOk: true })), `root ${type} with AD`);
    own.setZone({ ...dnssecZone, '.': { authenticated: false } });
    assert.ok(!ad(await udpQuery(own, '.', 'SOA', { edns: true, dnssecOk: true })), 'root without AD: a resolver that does not validate');
  } finally {
    await own.close();
  }
});
