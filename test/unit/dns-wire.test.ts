// The DNS wire codec (src/dns/wire.ts): queries are what an independent decoder (dns-packet)
// reads; well-formed answers built by dns-packet are read back; every malformed message is
// "malformed" with what was wrong, never a guess (A data of 3 bytes, over-long names, reserved
// label types, pointers that do not point back, rdlength past the end, bytes after a name);
// messages for another query are ignored. Plus the host-name rules for MX and CNAME targets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dnsPacket from 'dns-packet';
import type { Answer } from 'dns-packet';
import { encodeQuery, ipv6AsRead, readAnswer, type ReadResult } from '../../src/dns/wire.ts';
import { addressLiteral, hostNameProblem } from '../../src/dns/host-name.ts';
import { craftResponse, mxRdata, wireName, type CraftedRecord, type RawQuery } from '../helpers/fake-dns.ts';

const ID = 0x1234;

function response(name: string, type: 'A' | 'AAAA' | 'MX', answers: Answer[], extra: Partial<dnsPacket.Packet> = {}): Buffer {
  return dnsPacket.encode({
    type: 'response',
    id: ID,
    flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE,
    questions: [{ type, name, class: 'IN' }],
    answers,
    ...extra,
  });
}

/** A raw query as the fake DNS would hand it to a `raw` responder. */
function rawQuery(name: string, type: 'A' | 'AAAA' | 'MX'): RawQuery {
  const q = encodeQuery(ID, name, type) as Buffer;
  const question = q.subarray(12, q.length - 11); // without the OPT record
  return { id: ID, name, type, flags: q.readUInt16BE(2), transport: 'udp', question };
}

const crafted = (name: string, type: 'A' | 'AAAA' | 'MX', records: CraftedRecord[]) => craftResponse(rawQuery(name, type), records);

function malformedWhat(result: ReadResult): string {
  assert.equal(result.kind, 'malformed', JSON.stringify(result));
  return (result as { what: string }).what;
}

test('a query: ID, RD and AD flags, one question, an EDNS OPT record offering 1232 bytes', () => {
  const bytes = encodeQuery(ID, 'Mx.Example.com.', 'MX') as Buffer;
  const decoded = dnsPacket.decode(bytes);
  assert.equal(decoded.id, ID);
  assert.equal(decoded.type, 'query');
  assert.ok((decoded.flags ?? 0) & dnsPacket.RECURSION_DESIRED);
  assert.ok((decoded.flags ?? 0) & dnsPacket.AUTHENTIC_DATA);
  assert.deepEqual(decoded.questions, [{ name: 'Mx.Example.com', type: 'MX', class: 'IN' }]);
  const opt = decoded.additionals?.[0] as dnsPacket.OptAnswer;
  assert.equal(opt.type, 'OPT');
  assert.equal(opt.udpPayloadSize, 1232);
});

test('a name that cannot be put in a query says why, and nothing is encoded', () => {
  assert.match(encodeQuery(1, `${'a'.repeat(64)}.test`, 'A') as string, /64 characters long, more than 63/);
  assert.match(encodeQuery(1, `${'abcdefghi.'.repeat(26)}test`, 'A') as string, /more than 255/);
  assert.match(encodeQuery(1, 'a..test', 'A') as string, /empty label/);
  assert.match(encodeQuery(1, 'a b.test', 'A') as string, /cannot carry/);
  assert.match(encodeQuery(1, 'bücher.test', 'A') as string, /cannot carry/);
  assert.ok(Buffer.isBuffer(encodeQuery(1, `${'a'.repeat(63)}.test`, 'A')));
});

test('well-formed answers: A, AAAA (RFC 5952 text), MX, CNAME chains, rcode, AD and TC flags, extended rcode', () => {
  const a = readAnswer(response('mx.test', 'A', [{ type: 'A', name: 'mx.test', data: '192.0.2.1' }], { flags: dnsPacket.AUTHENTIC_DATA }), ID, 'MX.test.', 'A');
  assert.deepEqual(a, { kind: 'answer', answer: { rcode: 'NOERROR', authenticated: true, truncated: false, answers: [{ name: 'mx.test', type: 'A', data: '192.0.2.1' }] } });

  for (const ip of ['2001:db8::1', '::1', '::', '2001:db8:0:1:1:1:1:1', '2001:0:0:1::1', 'fe80::1:0:0:1', '::ffff:7f00:1', '1:2:3:4:5:6:7:8']) {
    const got = readAnswer(response('mx.test', 'AAAA', [{ type: 'AAAA', name: 'mx.test', data: ip }]), ID, 'mx.test', 'AAAA');
    assert.equal(got.kind === 'answer' ? got.answer.answers[0]?.data : null, new URL(`http://[${ip}]/`).hostname.slice(1, -1), ip);
  }

  const mx = readAnswer(
    response('d.test', 'MX', [
      { type: 'CNAME', name: 'd.test', data: 'e.test' },
      { type: 'MX', name: 'e.test', data: { preference: 10, exchange: 'MX1.e.test' } },
      { type: 'MX', name: 'e.test', data: { preference: 0, exchange: '.' } },
      { type: 'NS', name: 'e.test', data: 'ns.skipped.test' },
    ]),
    ID,
    'd.test',
    'MX',
  );
  assert.deepEqual(mx.kind === 'answer' ? mx.answer.answers : null, [
    { name: 'd.test', type: 'CNAME', data: 'e.test' },
    { name: 'e.test', type: 'MX', data: { preference: 10, exchange: 'mx1.e.test' } },
    { name: 'e.test', type: 'MX', data: { preference: 0, exchange: '' } },
  ]);

  const nx = readAnswer(response('nx.test', 'A', [], { flags: 3 }), ID, 'nx.test', 'A');
  assert.equal(nx.kind === 'answer' ? nx.answer.rcode : null, 'NXDOMAIN');
  const tc = readAnswer(response('big.test', 'MX', [], { flags: dnsPacket.TRUNCATED_RESPONSE }), ID, 'big.test', 'MX');
  assert.equal(tc.kind === 'answer' ? tc.answer.truncated : null, true);
  const badvers = readAnswer(
    response('e.test', 'A', [], { additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, extendedRcode: 1, ednsVersion: 0, flags: 0 } as Answer] }),
    ID,
    'e.test',
    'A',
  );
  assert.equal(badvers.kind === 'answer' ? badvers.answer.rcode : null, 'BADVERS');
  const formerr = Buffer.from([0x12, 0x34, 0x80, 0x01, 0, 0, 0, 0, 0, 0, 0, 0]);
  assert.equal((readAnswer(formerr, ID, 'x.test', 'A') as { answer?: { rcode: string } }).answer?.rcode, 'FORMERR');
});

test('a message for another query is ignored: other ID, not a response, other name or type, short', () => {
  const good = response('mx.test', 'A', [{ type: 'A', name: 'mx.test', data: '192.0.2.1' }]);
  assert.equal(readAnswer(good, ID + 1, 'mx.test', 'A').kind, 'not-ours');
  assert.equal(readAnswer(good, ID, 'other.test', 'A').kind, 'not-ours');
  assert.equal(readAnswer(good, ID, 'mx.test', 'AAAA').kind, 'not-ours');
  const query = Buffer.from(good);
  query.writeUInt16BE(query.readUInt16BE(2) & 0x7fff, 2);
  assert.equal(readAnswer(query, ID, 'mx.test', 'A').kind, 'not-ours');
  assert.equal(readAnswer(good.subarray(0, 11), ID, 'mx.test', 'A').kind, 'not-ours');
});

test('malformed answers are malformed, with what was wrong: record sizes', () => {
  assert.match(malformedWhat(readAnswer(crafted('mx.test', 'A', [{ type: 'A', rdata: Buffer.from([127, 0, 5]) }]), ID, 'mx.test', 'A')), /A record of mx\.test has 3 bytes of data, not 4/);
  assert.match(malformedWhat(readAnswer(crafted('mx.test', 'A', [{ type: 'A', rdata: Buffer.from([127, 0, 0, 1, 9]) }]), ID, 'mx.test', 'A')), /5 bytes of data, not 4/);
  assert.match(malformedWhat(readAnswer(crafted('mx.test', 'AAAA', [{ type: 'AAAA', rdata: Buffer.alloc(15) }]), ID, 'mx.test', 'AAAA')), /AAAA record of mx\.test has 15 bytes of data, not 16/);
  assert.match(malformedWhat(readAnswer(crafted('d.test', 'MX', [{ type: 'MX', rdata: Buffer.from([0, 10]) }]), ID, 'd.test', 'MX')), /too few for a preference and a name/);
  // An A record of 3 bytes followed by another one: never "127.0.5.undefined", never a shifted read.
  const two = crafted('mx.test', 'A', [{ type: 'A', rdata: Buffer.from([127, 0, 5]) }, { type: 'A', rdata: Buffer.from([192, 0, 2, 1]) }]);
  assert.doesNotMatch(JSON.stringify(readAnswer(two, ID, 'mx.test', 'A')), /undefined/);
  // rdlength beyond the end of the message.
  const cut = crafted('mx.test', 'A', [{ type: 'A', rdata: Buffer.from([127, 0, 0, 1]) }]).subarray(0, -2);
  assert.match(malformedWhat(readAnswer(cut, ID, 'mx.test', 'A')), /claims 4 bytes of data, but the message ends 2 bytes later/);
  const header = crafted('mx.test', 'A', [{ type: 'A', rdata: Buffer.from([127, 0, 0, 1]) }]);
  header.writeUInt16BE(3, 6); // three answers announced, one present
  assert.match(malformedWhat(readAnswer(header, ID, 'mx.test', 'A')), /answer record 2 of 3/);
});

test('malformed answers are malformed, with what was wrong: names', () => {
  const long = `${'a'.repeat(60)}.${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(60)}.${'e'.repeat(60)}.test`; // 300+ characters
  assert.match(malformedWhat(readAnswer(crafted('d.test', 'MX', [{ type: 'MX', rdata: mxRdata(10, long) }]), ID, 'd.test', 'MX')), /MX record of d\.test: a name is longer than 255 octets/);
  assert.match(malformedWhat(readAnswer(crafted('d.test', 'MX', [{ type: 'MX', rdata: mxRdata(10, Buffer.from([0x45, ...Buffer.from('x'.repeat(69)), 0])) }]), ID, 'd.test', 'MX')), /reserved type bits 0x40/);
  // A pointer to itself, and a pointer forward.
  const selfPointer = crafted('d.test', 'MX', [{ type: 'MX', rdata: Buffer.from([0, 10, 0xc0, 0]) }]);
  selfPointer.writeUInt16BE(0xc000 | (selfPointer.length - 2), selfPointer.length - 2);
  assert.match(malformedWhat(readAnswer(selfPointer, ID, 'd.test', 'MX')), /does not point back/);
  assert.match(malformedWhat(readAnswer(crafted('d.test', 'MX', [{ type: 'MX', rdata: Buffer.from([0, 10, 0xc0, 0xff]) }]), ID, 'd.test', 'MX')), /does not point back/);
  assert.match(malformedWhat(readAnswer(crafted('d.test', 'MX', [{ type: 'MX', rdata: Buffer.from([0, 10, 0xc0, 2]) }]), ID, 'd.test', 'MX')), /does not point back/);
  // A name that runs past its record, and bytes after a name.
  assert.match(malformedWhat(readAnswer(crafted('d.test', 'MX', [{ type: 'MX', rdata: Buffer.concat([mxRdata(10, 'mx.test'), Buffer.from([1])]) }]), ID, 'd.test', 'MX')), /1 bytes after its name/);
  const past = crafted('d.test', 'MX', [{ type: 'MX', rdata: mxRdata(10, 'mx.test') }, { type: 'A', name: 'x', rdata: Buffer.from([1, 2, 3, 4]) }]);
  past.writeUInt16BE(5, past.indexOf(mxRdata(10, 'mx.test')) - 2); // rdlength 5: the name runs past it
  assert.match(malformedWhat(readAnswer(past, ID, 'd.test', 'MX')), /runs past its 5 bytes of data/);
  assert.match(malformedWhat(readAnswer(crafted('d.test', 'MX', [{ type: 'MX', name: Buffer.from([3, 0x61]), rdata: Buffer.alloc(0) }]), ID, 'd.test', 'MX')), /runs past the end|ends inside/);
});

test('names in answers are in presentation form: a dot or a control byte inside a label is escaped, never hidden', () => {
  const label = Buffer.from([5, ...Buffer.from('a.b\x1b['), 4, ...Buffer.from('test'), 0]);
  const got = readAnswer(crafted('d.test', 'MX', [{ type: 'MX', rdata: mxRdata(10, label) }]), ID, 'd.test', 'MX');
  assert.equal(got.kind === 'answer' && got.answer.answers[0]?.type === 'MX' ? got.answer.answers[0].data.exchange : null, 'a\\.b\\027[.test');
  assert.match(hostNameProblem('a\\.b\\027[.test') ?? '', /characters other than/);
});

test('host names: letters, digits, hyphens, underscores; labels 1–63; at most 253 characters; not all digits', () => {
  for (const ok of ['mx.example.com', 'MX1.Example.COM.', 'xn--bcher-kva.example', '_dmarc.example', 'a', `${'a'.repeat(63)}.test`, `${'abcdefghi.'.repeat(25)}com`]) {
    assert.equal(hostNameProblem(ok), null, ok);
  }
  const bad: Array<[string, RegExp]> = [
    ['', /empty/],
    ['mx..example', /empty label/],
    [`${'a'.repeat(64)}.test`, /64 characters long, more than 63/],
    [`${'abcdefghi.'.repeat(25)}comx`, /254 characters long, more than 253/],
    ['-mx.example', /starts or ends with a hyphen/],
    ['mx-.example', /starts or ends with a hyphen/],
    ['mx example.com', /characters other than/],
    ['mx!.example', /characters other than/],
    ['[192.0.2.1]', /characters other than/],
    ['127.1', /all digits/],
    ['1.2.3', /all digits/],
  ];
  for (const [name, why] of bad) assert.match(hostNameProblem(name) ?? 'valid', why, name);
});

test('address literals where a host name belongs', () => {
  assert.equal(addressLiteral('192.0.2.1'), '192.0.2.1');
  assert.equal(addressLiteral('192.0.2.1.'), '192.0.2.1');
  assert.equal(addressLiteral('[192.0.2.1]'), '192.0.2.1');
  assert.equal(addressLiteral('::1'), '::1');
  assert.equal(addressLiteral('[ipv6:2001:db8::1]'), '2001:db8::1');
  assert.equal(addressLiteral('mx.example.com'), null);
  assert.equal(addressLiteral('127.1'), null);
  assert.equal(wireName('a.b').length, 5);
});

test('ipv6AsRead: an IPv6 address as an AAAA record read off the wire shows it (RFC 5952); null for anything else', () => {
  assert.equal(ipv6AsRead('2001:DB8:0:0:0:0:0:1'), '2001:db8::1');
  assert.equal(ipv6AsRead('2001:db8:0:0:1:0:0:1'), '2001:db8::1:0:0:1');
  assert.equal(ipv6AsRead('::ffff:192.0.2.9'), '::ffff:c000:209');
  assert.equal(ipv6AsRead('::'), '::');
  assert.equal(ipv6AsRead('1:2:3:4:5:6:7:0'), '1:2:3:4:5:6:7:0');
  assert.equal(ipv6AsRead('192.0.2.1'), null);
  assert.equal(ipv6AsRead('mx.example.com'), null);
});
