// The DNS codec for DANE and MTA-STS (src/dns/wire.ts): queries carry EDNS0 with the DO bit
// (RFC 3225) and CD only when asked (RFC 4035 §3.2.2); TLSA RDATA (RFC 6698 §2.1) and TXT
// character-strings (RFC 1035 §3.3.14, joined as RFC 7208 §3.3 / RFC 8461 §3.1 say, records
// kept apart) are read strictly, within ANSWER_CAPS; the AD flag comes from the header; an
// OPT record is never an answer record, and more than one, or one not owned by the root, is malformed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dnsPacket from 'dns-packet';
import type { Answer } from 'dns-packet';
import { ANSWER_CAPS, answerCapsProblem, encodeQuery, readAnswer, type QueryType, type ReadResult, type WireRecord } from '../../src/dns/wire.ts';
import { craftResponse, type CraftedRecord, type RawQuery } from '../helpers/fake-dns.ts';

const ID = 0x2345;
const TLSA = 52;
const TXT = 16;
const OPT = 41;

function response(name: string, type: QueryType, answers: Answer[], extra: Partial<dnsPacket.Packet> = {}): Buffer {
  return dnsPacket.encode({ type: 'response', id: ID, flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE, questions: [{ type, name, class: 'IN' }], answers, ...extra });
}

function rawQuery(name: string, type: QueryType): RawQuery {
  const q = encodeQuery(ID, name, type) as Buffer;
  return { id: ID, name, type, flags: q.readUInt16BE(2), transport: 'udp', question: q.subarray(12, q.length - 11) };
}

const crafted = (name: string, type: QueryType, records: CraftedRecord[], options: { flags?: number } = {}) => craftResponse(rawQuery(name, type), records, options);

/** An OPT record (RFC 6891 §6.1.2) with `owner` in wire form, the DO bit as given. */
function optRecord(owner: Buffer = Buffer.from([0]), flags = 0x8000): Buffer {
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(OPT, 0);
  fixed.writeUInt16BE(1232, 2);
  fixed.writeUInt16BE(flags, 6);
  return Buffer.concat([owner, fixed]);
}

/** `message` with `records` appended to its additional section. */
function withAdditional(message: Buffer, ...records: Buffer[]): Buffer {
  const out = Buffer.concat([message, ...records]);
  out.writeUInt16BE(message.readUInt16BE(10) + records.length, 10);
  return out;
}

const answersOf = (result: ReadResult): WireRecord[] => {
  assert.equal(result.kind, 'answer', JSON.stringify(result));
  return result.kind === 'answer' ? result.answer.answers : [];
};
const malformedWhat = (result: ReadResult): string => {
  assert.equal(result.kind, 'malformed', JSON.stringify(result));
  return result.kind === 'malformed' ? result.what : '';
};

/** TXT RDATA from character-strings given as byte arrays. */
const txtRdata = (...strings: Buffer[]) => Buffer.concat(strings.flatMap((b) => [Buffer.from([b.length]), b]));

test('a query carries EDNS0 with the DO bit (RFC 3225 §3) and AD, CD clear; CD set only when asked (RFC 4035 §3.2.2)', () => {
  for (const type of ['TLSA', 'TXT', 'SOA', 'DNSKEY', 'MX', 'A', 'AAAA'] as const) {
    const plain = dnsPacket.decode(encodeQuery(ID, '_25._tcp.mx.example.com', type) as Buffer);
    assert.equal(plain.questions?.[0]?.type, type);
    assert.ok((plain.flags ?? 0) & dnsPacket.AUTHENTIC_DATA, `${type}: AD`);
    assert.equal((plain.flags ?? 0) & dnsPacket.CHECKING_DISABLED, 0, `${type}: CD clear`);
    const opt = plain.additionals?.[0] as dnsPacket.OptAnswer;
    assert.equal(opt.type, 'OPT');
    assert.equal(opt.udpPayloadSize, 1232);
    assert.equal(opt.ednsVersion, 0);
    assert.ok(opt.flags & dnsPacket.DNSSEC_OK, `${type}: DO`);
  }
  const cd = dnsPacket.decode(encodeQuery(ID, 'x.test', 'TLSA', { checkingDisabled: true }) as Buffer);
  assert.ok((cd.flags ?? 0) & dnsPacket.CHECKING_DISABLED);
  assert.ok((cd.flags ?? 0) & dnsPacket.RECURSION_DESIRED);
  const root = dnsPacket.decode(encodeQuery(ID, '.', 'SOA') as Buffer);
  assert.deepEqual(root.questions, [{ name: '.', type: 'SOA', class: 'IN' }]);
});

test('TLSA: usage, selector, matching type and the data in lower-case hex; several records; other owners kept for the CNAME walk', () => {
  const sha = Buffer.from('8CB0FC6C527506A053F4F14C8464BEBBD6DEDE2738D11468DD953D7D6A3021F1', 'hex');
  const got = answersOf(
    readAnswer(
      response(
        '_25._tcp.mx.test',
        'TLSA',
        [
          { type: 'CNAME', name: '_25._tcp.mx.test', data: '_dane.x.test' },
          { type: 'TLSA', name: '_dane.x.test', data: { usage: 3, selector: 1, matchingType: 1, certificate: sha } },
          { type: 'TLSA', name: '_dane.x.test', data: { usage: 2, selector: 0, matchingType: 0, certificate: Buffer.from([0xab]) } },
        ],
        { flags: dnsPacket.AUTHENTIC_DATA },
      ),
      ID,
      '_25._tcp.MX.test.',
      'TLSA',
    ),
  );
  assert.deepEqual(got, [
    { name: '_25._tcp.mx.test', type: 'CNAME', data: '_dane.x.test' },
    { name: '_dane.x.test', type: 'TLSA', data: { usage: 3, selector: 1, matchingType: 1, data: sha.toString('hex').toLowerCase() } },
    { name: '_dane.x.test', type: 'TLSA', data: { usage: 2, selector: 0, matchingType: 0, data: 'ab' } },
  ]);
  // Values outside the registries are read as they are: judging them is DANE's part (RFC 7672 §3.1).
  const odd = answersOf(readAnswer(crafted('_25._tcp.mx.test', 'TLSA', [{ type: TLSA, rdata: Buffer.from([255, 7, 9, 0]) }]), ID, '_25._tcp.mx.test', 'TLSA'));
  assert.deepEqual(odd[0]?.data, { usage: 255, selector: 7, matchingType: 9, data: '00' });
});

test('TLSA RDATA of fewer than 4 bytes is malformed, with what was wrong', () => {
  for (const size of [0, 1, 2, 3]) {
    const what = malformedWhat(readAnswer(crafted('_25._tcp.mx.test', 'TLSA', [{ type: TLSA, rdata: Buffer.from([3, 1, 1].slice(0, size)) }]), ID, '_25._tcp.mx.test', 'TLSA'));
    assert.match(what, new RegExp(`TLSA record of _25\\._tcp\\.mx\\.test has ${size} bytes of data, too few`), `${size} bytes`);
  }
  // A malformed TLSA record in an answer to another type is malformed too: the message is read whole.
  assert.equal(readAnswer(crafted('mx.test', 'A', [{ type: TLSA, rdata: Buffer.from([3]) }]), ID, 'mx.test', 'A').kind, 'malformed');
});

test('TXT: a record\'s character-strings are joined, records are kept apart, UTF-8 is read as such', () => {
  const got = answersOf(
    readAnswer(
      crafted('_mta-sts.example.test', 'TXT', [
        { type: TXT, rdata: txtRdata(Buffer.from('v=STSv1; '), Buffer.from('id=20260101')) },
        { type: TXT, rdata: txtRdata(Buffer.from('v=spf1 -all')) },
        { type: TXT, rdata: txtRdata(Buffer.alloc(0)) },
        { type: TXT, rdata: txtRdata(Buffer.from('caf'), Buffer.from([0xc3]), Buffer.from([0xa9])) }, // é split across two strings
      ]),
      ID,
      '_mta-sts.example.test',
      'TXT',
    ),
  );
  assert.deepEqual(
    got.map((r) => r.data),
    ['v=STSv1; id=20260101', 'v=spf1 -all', '', 'café'],
  );
  // dns-packet's own TXT encoding (several strings of up to 255 bytes) reads back the same.
  const long = 'x'.repeat(600);
  const viaPacket = answersOf(readAnswer(response('t.test', 'TXT', [{ type: 'TXT', name: 't.test', data: [long.slice(0, 255), long.slice(255, 510), long.slice(510)] }]), ID, 't.test', 'TXT'));
  assert.deepEqual(viaPacket, [{ name: 't.test', type: 'TXT', data: long }]);
});

test('TXT RDATA that breaks the format is malformed: no string at all, a string that runs past the record', () => {
  assert.match(malformedWhat(readAnswer(crafted('t.test', 'TXT', [{ type: TXT, rdata: Buffer.alloc(0) }]), ID, 't.test', 'TXT')), /TXT record of t\.test has no data, not even one character-string/);
  assert.match(
    malformedWhat(readAnswer(crafted('t.test', 'TXT', [{ type: TXT, rdata: Buffer.concat([Buffer.from([5]), Buffer.from('abc')]) }]), ID, 't.test', 'TXT')),
    /character-string of 5 bytes that runs past its 4 bytes of data/,
  );
  // A string longer than its record, with the next record's bytes after it: never read across.
  const across = crafted('t.test', 'TXT', [{ type: TXT, rdata: Buffer.from([4, 0x61, 0x62]) }, { type: TXT, rdata: txtRdata(Buffer.from('bcd')) }]);
  assert.match(malformedWhat(readAnswer(across, ID, 't.test', 'TXT')), /runs past its 3 bytes/);
});

test(`caps: a TXT record of more than ${ANSWER_CAPS.txtRecordBytes} bytes, more than ${ANSWER_CAPS.records} TXT or TLSA records: malformed, never cut`, () => {
  const chunk = Buffer.alloc(255, 0x61);
  const strings = (bytes: number) => {
    const out: Buffer[] = [];
    for (let left = bytes; left > 0; left -= 255) out.push(chunk.subarray(0, Math.min(255, left)));
    return txtRdata(...out);
  };
  const atCap = answersOf(readAnswer(crafted('t.test', 'TXT', [{ type: TXT, rdata: strings(ANSWER_CAPS.txtRecordBytes) }]), ID, 't.test', 'TXT'));
  assert.equal((atCap[0]?.data as string).length, ANSWER_CAPS.txtRecordBytes);
  assert.match(
    malformedWhat(readAnswer(crafted('t.test', 'TXT', [{ type: TXT, rdata: strings(ANSWER_CAPS.txtRecordBytes + 1) }]), ID, 't.test', 'TXT')),
    /TXT record of t\.test holds more than 4096 bytes of text/,
  );
  const many = (n: number, type: number, rdata: Buffer) => Array.from({ length: n }, (): CraftedRecord => ({ type, rdata }));
  assert.equal(answersOf(readAnswer(crafted('t.test', 'TXT', many(ANSWER_CAPS.records, TXT, txtRdata(Buffer.from('a')))), ID, 't.test', 'TXT')).length, ANSWER_CAPS.records);
  assert.match(malformedWhat(readAnswer(crafted('t.test', 'TXT', many(ANSWER_CAPS.records + 1, TXT, txtRdata(Buffer.from('a')))), ID, 't.test', 'TXT')), /more than 64 TXT records/);
  assert.match(malformedWhat(readAnswer(crafted('_25._tcp.t.test', 'TLSA', many(ANSWER_CAPS.records + 1, TLSA, Buffer.from([3, 1, 1, 0]))), ID, '_25._tcp.t.test', 'TLSA')), /more than 64 TLSA records/);
  // The same rule, for answers made in process (ReplayResolver).
  assert.equal(answerCapsProblem([{ name: 't.test', type: 'TXT', data: 'é'.repeat(2048) }]), null);
  assert.match(answerCapsProblem([{ name: 't.test', type: 'TXT', data: 'é'.repeat(2049) }]) ?? '', /more than 4096 bytes/);
  assert.match(answerCapsProblem(Array.from({ length: 65 }, (): WireRecord => ({ name: 'x', type: 'TLSA', data: { usage: 3, selector: 1, matchingType: 1, data: '00' } }))) ?? '', /more than 64 TLSA/);
});

test('AD is read from the header, with or without an OPT record; CD in the answer changes nothing', () => {
  const plain = crafted('_25._tcp.mx.test', 'TLSA', [{ type: TLSA, rdata: Buffer.from([3, 1, 1, 0]) }], { flags: 0x0020 });
  for (const message of [plain, withAdditional(plain, optRecord())]) {
    const read = readAnswer(message, ID, '_25._tcp.mx.test', 'TLSA');
    assert.equal(read.kind === 'answer' && read.answer.authenticated, true);
  }
  const cleared = crafted('_25._tcp.mx.test', 'TLSA', [{ type: TLSA, rdata: Buffer.from([3, 1, 1, 0]) }], { flags: 0x0010 });
  const read = readAnswer(withAdditional(cleared, optRecord()), ID, '_25._tcp.mx.test', 'TLSA');
  assert.equal(read.kind === 'answer' && read.answer.authenticated, false);
});

test('an OPT record is never an answer record; more than one, or one not owned by the root, is malformed (RFC 6891 §6.1.1–6.1.2)', () => {
  // An OPT in the answer section: skipped, the TLSA record after it read.
  const inAnswer = crafted('_25._tcp.mx.test', 'TLSA', [
    { type: OPT, name: Buffer.from([0]), rdata: Buffer.alloc(0) },
    { type: TLSA, rdata: Buffer.from([3, 1, 1, 0xaa]) },
  ]);
  assert.deepEqual(answersOf(readAnswer(inAnswer, ID, '_25._tcp.mx.test', 'TLSA')), [{ name: '_25._tcp.mx.test', type: 'TLSA', data: { usage: 3, selector: 1, matchingType: 1, data: 'aa' } }]);
  const base = crafted('t.test', 'TXT', [{ type: TXT, rdata: txtRdata(Buffer.from('v=STSv1; id=1')) }]);
  assert.equal(answersOf(readAnswer(withAdditional(base, optRecord()), ID, 't.test', 'TXT')).length, 1);
  assert.match(malformedWhat(readAnswer(withAdditional(base, optRecord(), optRecord()), ID, 't.test', 'TXT')), /more than one OPT record/);
  assert.match(malformedWhat(readAnswer(withAdditional(base, optRecord(Buffer.from([1, 0x78, 0]))), ID, 't.test', 'TXT')), /OPT record is owned by x, not the root/);
});

test('answers to TLSA, TXT, SOA and DNSKEY queries are matched to their question: another type is not ours', () => {
  const tlsa = crafted('_25._tcp.mx.test', 'TLSA', [{ type: TLSA, rdata: Buffer.from([3, 1, 1, 0]) }]);
  assert.equal(readAnswer(tlsa, ID, '_25._tcp.mx.test', 'TXT').kind, 'not-ours');
  assert.equal(readAnswer(tlsa, ID, '_25._tcp.mx.test', 'TLSA').kind, 'answer');
  const soa = crafted('.', 'SOA', [], { flags: 0x0020 });
  const read = readAnswer(soa, ID, '.', 'SOA');
  assert.deepEqual(read, { kind: 'answer', answer: { rcode: 'NOERROR', authenticated: true, truncated: false, answers: [] } });
  assert.equal(readAnswer(soa, ID, '.', 'DNSKEY').kind, 'not-ours');
});
