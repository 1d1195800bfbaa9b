// The TLS wire module (src/tls/wire/) on hand-built bytes: records, handshake reassembly, the
// ServerHello, TLS 1.3 key derivation (RFC 8448's vectors) and decryption, and the server
// flight's events, including what a hand-built ClientHello gets back (a ServerHello or an alert)
// read without any key. Its two users, presented-chain.ts and server-signature.ts, have their
// own tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ByteReader, WireError } from '../../src/tls/wire/byte-reader.ts';
import { CONTENT_TYPE, MAX_FRAGMENT, alertName, readRecords } from '../../src/tls/wire/records.ts';
import { HandshakeStream, handshakeName } from '../../src/tls/wire/handshake.ts';
import { parseServerHello } from '../../src/tls/wire/server-hello.ts';
import { WIRE_VERSION } from '../../src/model/wire-versions.ts';
import { HandshakeDecrypter, TLS13_SUITES, handshakeSecrets, hkdfExpandLabel } from '../../src/tls/wire/tls13-decrypt.ts';
import { readServerFlight, type FlightEvent } from '../../src/tls/wire/server-flight.ts';
import { parseCertificateMessage } from '../../src/tls/wire/certificate-message.ts';
import { readServerKeyExchange } from '../../src/tls/wire/server-key-exchange.ts';
import { certificate12, hsMsg, record, records, serverHello12, SUITES, tls13Flight } from '../helpers/tls-flights.ts';

const wireErrorMatching = (pattern: RegExp) => (err: unknown) => err instanceof WireError && pattern.test(err.message);

/** A TLS 1.3 ServerHello body choosing `suite`, with supported_versions; `random` a HelloRetryRequest's if asked. */
function serverHello13(suite: number, random: Buffer = randomBytes(32)): Buffer {
  return Buffer.concat([Buffer.from([3, 3]), random, Buffer.from([0, suite >> 8, suite & 0xff, 0]), Buffer.from([0, 6, 0, 43, 0, 2, 3, 4])]);
}
const HRR_RANDOM = Buffer.from('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c', 'hex');

/** The events of a flight, in a compact form. */
function events(bytes: Buffer, options: Parameters<typeof readServerFlight>[1] = { maxRecords: 64 }): string[] {
  const out: string[] = [];
  const name = (e: FlightEvent): string => {
    switch (e.kind) {
      case 'server-hello':
        return `server-hello ${e.hello.version.toString(16)}${e.hello.helloRetryRequest ? ' retry' : ''}`;
      case 'handshake':
        return handshakeName(e.type);
      case 'alert':
        return `alert ${e.level} ${alertName(e.description)}`;
      default:
        return e.kind;
    }
  };
  for (const event of readServerFlight(bytes, options)) out.push(`${event.record}:${name(event)}`);
  return out;
}

test('ByteReader: integers and vectors in order; any overrun or leftover is a WireError naming the part', () => {
  const r = new ByteReader(Buffer.from([1, 0, 2, 0, 0, 3, 2, 9, 9, 7]), 'test message');
  assert.equal(r.u8(), 1);
  assert.equal(r.u16(), 2);
  assert.equal(r.u24(), 3);
  assert.deepEqual([...r.vector(1)], [9, 9]);
  assert.equal(r.left, 1);
  assert.throws(() => r.end(), wireErrorMatching(/^test message: 1 unexpected trailing bytes$/));
  assert.throws(() => r.u16(), wireErrorMatching(/^test message: truncated \(needs 2 more bytes, 1 left\)$/));
});

test('readRecords: each record with its index, offset, type and fragment; lazily, so a caller may stop early', () => {
  const bytes = Buffer.concat([record(22, Buffer.from('ab')), record(21, Buffer.from([2, 40])), record(20, Buffer.from([1]))]);
  const seen = [...readRecords(bytes, 10)].map((r) => [r.index, r.offset, r.type, r.fragment.toString('hex'), r.header.length]);
  assert.deepEqual(seen, [
    [1, 0, CONTENT_TYPE.handshake, '6162', 5],
    [2, 7, CONTENT_TYPE.alert, '0228', 5],
    [3, 14, CONTENT_TYPE.changeCipherSpec, '01', 5],
  ]);
  // Garbage after the first record is never reached by a caller that stops at it.
  const first = readRecords(Buffer.concat([record(22, Buffer.from('x')), Buffer.from('garbage')]), 10).next();
  assert.equal(first.done, false);
});

test('readRecords: not TLS, too long, cut short, too many: a WireError saying which record and why', () => {
  const cases: Array<[Buffer, number, RegExp]> = [
    [Buffer.from('220 mx.test ESMTP\r\n'), 10, /^record 1 at byte 0: not a TLS record \(version byte 50\)$/],
    [Buffer.from([22, 3, 3, (MAX_FRAGMENT + 1) >> 8, (MAX_FRAGMENT + 1) & 0xff]), 10, /^record 1: length 18433 exceeds the TLS maximum$/],
    [Buffer.concat([record(22, Buffer.from('a')), Buffer.from([22, 3])]), 10, /^record 2: truncated header/],
    [record(22, Buffer.alloc(100)).subarray(0, 50), 10, /^record 1: truncated \(received data ends\)$/],
    [records(22, Buffer.alloc(10), 1), 9, /^more than 9 records$/],
  ];
  for (const [bytes, max, message] of cases) assert.throws(() => [...readRecords(bytes, max)], wireErrorMatching(message), message.source);
});

test('HandshakeStream: messages reassembled across fragments, several in one fragment, nothing before it is whole', () => {
  const stream = new HandshakeStream();
  const messages = Buffer.concat([hsMsg(2, Buffer.alloc(70, 1)), hsMsg(11, Buffer.alloc(3000, 2)), hsMsg(14, Buffer.alloc(0))]);
  const got: Array<[number, number]> = [];
  for (let i = 0; i < messages.length; i += 333) {
    stream.push(messages.subarray(i, i + 333));
    for (let m = stream.next(); m !== null; m = stream.next()) got.push([m.type, m.body.length]);
  }
  assert.deepEqual(got, [[2, 70], [11, 3000], [14, 0]]);
  assert.equal(stream.pending, 0);
  stream.push(hsMsg(11, Buffer.alloc(10)).subarray(0, 8));
  assert.equal(stream.next(), null);
  assert.equal(stream.pending, 8);
});

test('parseServerHello: TLS 1.2, TLS 1.3 by supported_versions, a HelloRetryRequest; every field as sent', () => {
  const tls12 = parseServerHello(serverHello12());
  assert.deepEqual([tls12.legacyVersion, tls12.version, tls12.cipherSuite, tls12.compressionMethod, tls12.sessionId.length, tls12.helloRetryRequest], [0x0303, 0x0303, 0xc02f, 0, 0, false]);
  assert.deepEqual(tls12.extensions, []);
  const tls13 = parseServerHello(serverHello13(0x1302));
  assert.equal(tls13.version, WIRE_VERSION.tls13);
  assert.equal(tls13.cipherSuite, 0x1302);
  assert.deepEqual(tls13.extensions.map((e) => [e.type, e.data.toString('hex')]), [[43, '0304']]);
  assert.equal(parseServerHello(serverHello13(0x1301, HRR_RANDOM)).helloRetryRequest, true);
});

test('parseServerHello: truncated, trailing bytes, unknown version, TLS 1.3 claimed without supported_versions', () => {
  const good = serverHello12();
  assert.throws(() => parseServerHello(good.subarray(0, 30)), wireErrorMatching(/^ServerHello: truncated/));
  assert.throws(() => parseServerHello(Buffer.concat([good.subarray(0, good.length - 2), Buffer.from([0, 1, 0])])), wireErrorMatching(/^ServerHello extensions: truncated/));
  assert.throws(() => parseServerHello(Buffer.concat([good, Buffer.from([0])])), wireErrorMatching(/^ServerHello: 1 unexpected trailing bytes$/));
  const version = (v: number) => Buffer.concat([Buffer.from([v >> 8, v & 0xff]), good.subarray(2)]);
  assert.throws(() => parseServerHello(version(0x0305)), wireErrorMatching(/unknown version 0x305/));
  assert.throws(() => parseServerHello(version(0x0200)), wireErrorMatching(/unknown version 0x200/));
  // legacy_version above TLS 1.2 while supported_versions says TLS 1.2 (RFC 8446 §4.1.3: legacy_version is 0x0303).
  const claims = Buffer.concat([version(0x0304).subarray(0, good.length - 2), Buffer.from([0, 6, 0, 43, 0, 2, 3, 3])]);
  assert.throws(() => parseServerHello(claims), wireErrorMatching(/claims TLS 1\.3 without supported_versions/));
});

test('hkdfExpandLabel: the server handshake key and IV of RFC 8448 §3', () => {
  const secret = Buffer.from('b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38', 'hex');
  assert.equal(hkdfExpandLabel('sha256', secret, 'key', 16).toString('hex'), '3fce516009c21727d0f2e4e86ee403bc');
  assert.equal(hkdfExpandLabel('sha256', secret, 'iv', 12).toString('hex'), '5d313eb2671276ee13000b30');
});

test('handshakeSecrets: only SERVER_HANDSHAKE_TRAFFIC_SECRET lines of the suite\'s length, most recent first', () => {
  const suite = TLS13_SUITES.get(0x1301)!;
  const a = 'aa'.repeat(32);
  const b = 'bb'.repeat(32);
  const lines = [
    `CLIENT_HANDSHAKE_TRAFFIC_SECRET ${'01'.repeat(32)} ${'cc'.repeat(32)}`,
    Buffer.from(`SERVER_HANDSHAKE_TRAFFIC_SECRET ${'01'.repeat(32)} ${a}\nSERVER_HANDSHAKE_TRAFFIC_SECRET ${'01'.repeat(32)} ${'dd'.repeat(48)}\n`),
    `SERVER_HANDSHAKE_TRAFFIC_SECRET ${'02'.repeat(32)} ${b}`,
    'garbage',
  ];
  assert.deepEqual(handshakeSecrets(lines, suite).map((s) => s.toString('hex')), [b, a]);
  assert.deepEqual(handshakeSecrets(null as unknown as string[], suite), []);
});

test('HandshakeDecrypter: the secret that opens the first record is kept; another session\'s secret does not open it', () => {
  const suite = SUITES[1]!;
  const flight = tls13Flight(suite, [randomBytes(500)], { split: 200 });
  const ours = handshakeSecrets([flight.keylog], TLS13_SUITES.get(suite.code)!);
  const theirs = handshakeSecrets([tls13Flight(suite, []).keylog], TLS13_SUITES.get(suite.code)!);
  const encrypted = [...readRecords(flight.bytes, 100)].filter((r) => r.type === CONTENT_TYPE.applicationData);
  const decrypter = new HandshakeDecrypter(TLS13_SUITES.get(suite.code)!, [...theirs, ...ours]);
  const opened = Buffer.concat(encrypted.map((r) => decrypter.open(r.header, r.fragment, r.index)).map((o) => (assert.equal(o.type, 22), o.content)));
  assert.ok(opened.equals(flight.handshake));
  const stranger = new HandshakeDecrypter(TLS13_SUITES.get(suite.code)!, theirs);
  const first = encrypted[0]!;
  assert.throws(() => stranger.open(first.header, first.fragment, first.index), wireErrorMatching(/does not decrypt/));
});

test('readServerFlight, TLS 1.2: ServerHello, messages and alerts in order; it ends at the ChangeCipherSpec', () => {
  const hs = Buffer.concat([hsMsg(2, serverHello12()), hsMsg(11, certificate12([randomBytes(300)])), hsMsg(12, Buffer.alloc(40)), hsMsg(14, Buffer.alloc(0))]);
  const bytes = Buffer.concat([records(22, hs, 100), record(21, Buffer.from([1, 112])), record(20, Buffer.from([1])), record(22, randomBytes(40))]);
  assert.deepEqual(events(bytes), ['1:server-hello 303', '4:Certificate', '4:ServerKeyExchange', '5:ServerHelloDone', '6:alert 1 unrecognized_name', '7:change-cipher-spec']);
});

test('readServerFlight, TLS 1.3 with the key log: a HelloRetryRequest, then the decrypted handshake; CCS records pass by', () => {
  const suite = SUITES[0]!;
  const flight = tls13Flight(suite, [randomBytes(700), randomBytes(900)], { split: 300, padding: 5 });
  const retry = record(22, hsMsg(2, serverHello13(suite.code, HRR_RANDOM)));
  const got = events(Buffer.concat([retry, flight.bytes]), { maxRecords: 64, tls13Keys: { keylog: [flight.keylog], cipherStandardName: suite.name } });
  assert.deepEqual(
    got.map((e) => e.replace(/^\d+:/, '')),
    ['server-hello 304 retry', 'server-hello 304', 'change-cipher-spec', 'EncryptedExtensions', 'CertificateRequest', 'change-cipher-spec', 'Certificate', 'CertificateVerify'],
  );
});

test('readServerFlight, TLS 1.3 without keys: the ServerHello, then the encrypted records as application data (a hand-built ClientHello\'s answer)', () => {
  const suite = SUITES[2]!;
  const flight = tls13Flight(suite, [randomBytes(100)]);
  const got = events(flight.bytes);
  assert.equal(got[0], '1:server-hello 304');
  assert.equal(got[1], '2:change-cipher-spec');
  assert.ok(got.length > 3 && got.slice(2).every((e) => /(application-data|change-cipher-spec)$/.test(e)), got.join(', '));
  // The other answer a ClientHello may get: a fatal alert and nothing else.
  assert.deepEqual(events(record(21, Buffer.from([2, 40]))), ['1:alert 2 handshake_failure']);
});

test('readServerFlight, TLS 1.3: what the reader cannot go past is a WireError', () => {
  const suite = SUITES[0]!;
  const flight = tls13Flight(suite, [randomBytes(100)]);
  const keys = (keylog: string[], cipherStandardName = suite.name) => ({ maxRecords: 64, tls13Keys: { keylog, cipherStandardName } });
  assert.throws(() => events(flight.bytes, keys([])), wireErrorMatching(/needs the key log/));
  assert.throws(() => events(flight.bytes, keys([flight.keylog], 'TLS_AES_256_GCM_SHA384')), wireErrorMatching(/session reports TLS_AES_256_GCM_SHA384/));
  assert.throws(() => events(flight.bytes, keys([tls13Flight(suite, []).keylog])), wireErrorMatching(/does not decrypt/));
  const plaintextAfter = Buffer.concat([record(22, hsMsg(2, serverHello13(suite.code))), record(22, hsMsg(8, Buffer.from([0, 0])))]);
  assert.throws(() => events(plaintextAfter), wireErrorMatching(/^record 2: plaintext handshake record after the TLS 1\.3 ServerHello$/));
  const glued = record(22, Buffer.concat([hsMsg(2, serverHello13(suite.code)), hsMsg(8, Buffer.from([0, 0]))]));
  assert.throws(() => events(glued), wireErrorMatching(/handshake bytes after the TLS 1\.3 ServerHello in the same record/));
  assert.throws(() => events(record(22, hsMsg(2, serverHello13(0x13ff))), keys([flight.keylog])), wireErrorMatching(/unknown cipher suite 0x13ff/));
  assert.throws(() => events(record(24, Buffer.from([1]))), wireErrorMatching(/^record 1: unknown content type 24$/));
  assert.throws(() => events(record(22, Buffer.alloc(0))), wireErrorMatching(/^record 1: empty handshake record$/));
  assert.throws(() => events(null as unknown as Buffer), wireErrorMatching(/not a Buffer/));
});

test('parseCertificateMessage: TLS 1.2 and 1.3 layouts, copies in order; empty, too many or malformed is a WireError', () => {
  const certs = [randomBytes(300), randomBytes(20)];
  assert.deepEqual(parseCertificateMessage(certificate12(certs), false, 64), certs);
  const entries13 = Buffer.concat(certs.map((c) => Buffer.concat([Buffer.from([0, c.length >> 8, c.length & 0xff]), c, Buffer.from([0, 2, 9, 9])])));
  const body13 = Buffer.concat([Buffer.from([0, 0, entries13.length >> 8, entries13.length & 0xff]), entries13]);
  const read = parseCertificateMessage(body13, true, 64);
  assert.deepEqual(read, certs);
  body13.fill(0);
  assert.deepEqual(read, certs, 'copies: the message bytes may be reused');
  assert.throws(() => parseCertificateMessage(certificate12(certs), false, 1), wireErrorMatching(/^more than 1 certificates$/));
  assert.throws(() => parseCertificateMessage(certificate12([Buffer.alloc(0)]), false, 64), wireErrorMatching(/^certificate 1: empty$/));
  assert.throws(() => parseCertificateMessage(Buffer.concat([certificate12(certs), Buffer.from([1])]), false, 64), wireErrorMatching(/trailing bytes/));
});

test('readServerKeyExchange: ECDHE and DHE parameters, the TLS 1.2 scheme after them; null for another layout', () => {
  const u16 = (n: number) => Buffer.from([n >> 8, n & 0xff]);
  const ecdh = Buffer.concat([Buffer.from([3]), u16(29), Buffer.from([3, 7, 7, 7])]);
  const dh = Buffer.concat([u16(2), Buffer.from([0xff, 0xfb]), u16(1), Buffer.from([2]), u16(2), Buffer.from([5, 5])]);
  const signature = Buffer.concat([u16(4), Buffer.alloc(4, 9)]);
  assert.deepEqual(readServerKeyExchange(Buffer.concat([ecdh, u16(0x0804), signature]), 'ECDH', true), { params: ecdh, scheme: 0x0804 });
  assert.deepEqual(readServerKeyExchange(Buffer.concat([dh, u16(0x0201), signature]), 'DH', true), { params: dh, scheme: 0x0201 });
  assert.deepEqual(readServerKeyExchange(Buffer.concat([ecdh, signature]), 'ECDH', false), { params: ecdh, scheme: null });
  assert.equal(readServerKeyExchange(Buffer.concat([Buffer.from([1]), ecdh.subarray(1)]), 'ECDH', true), null, 'explicit curves');
  assert.equal(readServerKeyExchange(ecdh, 'ECDH', true), null, 'no scheme');
  assert.equal(readServerKeyExchange(dh.subarray(0, 7), 'DH', false), null, 'cut short');
});

test('readServerFlight never throws anything but a WireError, whatever the bytes', () => {
  for (let i = 0; i < 3000; i++) {
    const body = randomBytes(i % 400);
    const bytes = i % 3 === 0 ? body : Buffer.concat([Buffer.from([20 + (i % 5), 3, i % 4, body.length >> 8, body.length & 0xff]), body]);
    try {
      events(bytes, { maxRecords: 64, ...(i % 2 === 0 ? { tls13Keys: { keylog: [], cipherStandardName: '' } } : {}) });
    } catch (err) {
      assert.ok(err instanceof WireError, `${String(err)} on ${bytes.toString('hex')}`);
    }
  }
});
