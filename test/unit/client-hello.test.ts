// The hand-built ClientHello (src/tls/wire/client-hello.ts) read back byte by byte, and the reading
// of what a server answers to it (src/tls/wire/hello-answer.ts), on hand-built bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { buildClientHello, keyShare, MAX_HELLO_SUITES, RENEGOTIATION_SCSV } from '../../src/tls/wire/client-hello.ts';
import { WIRE_VERSION } from '../../src/model/wire-versions.ts';
import { readHelloAnswer } from '../../src/tls/wire/hello-answer.ts';
import { keyExchangeGroup } from '../../src/tls/wire/server-key-exchange.ts';
import { parseClientHello, tlsRecords } from '../helpers/fake-tls-hello.ts';

const suites = (n: number) => Array.from({ length: n }, (_, i) => 0x0100 + i);

test('a TLS 1.2 hello: client_version, suites in order, SNI, what ECDHE needs, renegotiation_info, EMS, no session ticket', () => {
  const hello = parseClientHello(buildClientHello({ version: WIRE_VERSION.tls12, cipherSuites: [0xc02f, 0x000a], serverName: 'mx.example.com', compression: [1, 0] }));
  assert.equal(hello.recordVersion, 0x0301);
  assert.equal(hello.version, 0x0303);
  assert.deepEqual(hello.suites, [0xc02f, 0x000a]);
  assert.deepEqual(hello.compression, [1, 0]);
  assert.equal(hello.sni, 'mx.example.com');
  for (const type of [10, 11, 13, 0xff01, 23]) assert.ok(hello.extensions.includes(type), `extension ${type}`);
  assert.ok(!hello.extensions.includes(35) && !hello.extensions.includes(43) && !hello.extensions.includes(51));
});

test('SNI is never an IP literal; SSLv3 carries no extension but the renegotiation SCSV, in a 3.0 record', () => {
  assert.equal(parseClientHello(buildClientHello({ version: WIRE_VERSION.tls12, cipherSuites: [0x2f], serverName: '192.0.2.1' })).sni, null);
  assert.equal(parseClientHello(buildClientHello({ version: WIRE_VERSION.tls12, cipherSuites: [0x2f], serverName: '2001:db8::1' })).sni, null);
  const ssl3 = parseClientHello(buildClientHello({ version: WIRE_VERSION.ssl3, cipherSuites: [0x0a], serverName: 'mx.test' }));
  assert.equal(ssl3.recordVersion, 0x0300);
  assert.deepEqual(ssl3.extensions, []);
  assert.deepEqual(ssl3.suites, [0x0a, RENEGOTIATION_SCSV]);
});

test('TLS 1.3: legacy 1.2, supported_versions 1.3 alone, a real X25519 share by default, an empty key_share when asked', () => {
  const hello = parseClientHello(buildClientHello({ version: WIRE_VERSION.tls13, cipherSuites: [0x1301], serverName: null }));
  assert.equal(hello.version, 0x0303);
  assert.deepEqual(hello.supportedVersions, [0x0304]);
  assert.deepEqual(hello.keyShares, [29]);
  assert.ok(!hello.extensions.includes(0xff01), 'no renegotiation in TLS 1.3');
  assert.deepEqual(parseClientHello(buildClientHello({ version: WIRE_VERSION.tls13, cipherSuites: [0x1301], groups: [256], keyShares: [] })).keyShares, []);
  assert.deepEqual([29, 30, 23, 24, 25].map((g) => keyShare(g).length), [32, 56, 65, 97, 133]);
  assert.throws(() => keyShare(256), RangeError);
});

test('sizes are bounded: 1 to 128 suites; a hello of 256 to 511 bytes is padded to 512 (RFC 7685), others are not', () => {
  assert.throws(() => buildClientHello({ version: WIRE_VERSION.tls12, cipherSuites: [] }), RangeError);
  assert.throws(() => buildClientHello({ version: WIRE_VERSION.tls12, cipherSuites: suites(MAX_HELLO_SUITES + 1) }), RangeError);
  for (let n = 1; n <= MAX_HELLO_SUITES; n++) {
    const hello = parseClientHello(buildClientHello({ version: WIRE_VERSION.tls12, cipherSuites: suites(n), serverName: 'mx.test' }));
    assert.ok(hello.length < 256 || hello.length >= 512, `${n} suites: ${hello.length} bytes`);
    assert.ok(hello.length < 1024);
  }
});

const sh12 = (extensions: Buffer = Buffer.alloc(0)) =>
  Buffer.concat([Buffer.from([3, 3]), randomBytes(32), Buffer.from([0, 0xc0, 0x2f, 0]), extensions.length > 0 ? Buffer.concat([Buffer.from([0, extensions.length]), extensions]) : Buffer.alloc(0)]);
const hs = (type: number, body: Buffer) => Buffer.concat([Buffer.from([type, 0, body.length >> 8, body.length & 0xff]), body]);

test('the answer: waits for records still arriving, reads to ServerHelloDone, names alerts, calls non-TLS bytes so', () => {
  const ske = Buffer.concat([Buffer.from([3, 0, 23, 65, 4]), randomBytes(64), Buffer.from([4, 1, 0, 4]), randomBytes(4)]);
  const first = tlsRecords(22, 0x0303, hs(2, sh12(Buffer.from([0xff, 0x01, 0, 1, 0]))));
  const flight = Buffer.concat([first, tlsRecords(22, 0x0303, Buffer.concat([hs(11, Buffer.from([0, 0, 6, 0, 0, 3, 1, 2, 3])), hs(12, ske), hs(14, Buffer.alloc(0))]))]);
  for (let cut = 0; cut < flight.length; cut += 7) assert.equal(readHelloAnswer(flight.subarray(0, cut), 'open'), null, `cut at ${cut}`);
  const answer = readHelloAnswer(flight, 'open');
  assert.ok(answer?.kind === 'server-hello');
  assert.equal(answer.complete, true);
  assert.deepEqual(answer.keyExchange, { type: 'ECDH', group: 23 });
  assert.deepEqual(answer.certificates, [Buffer.from([1, 2, 3])]);
  assert.equal(answer.hello.renegotiationInfo, true);
  assert.equal(answer.hello.extendedMasterSecret, false);
  assert.deepEqual(readHelloAnswer(tlsRecords(21, 0x0303, Buffer.from([2, 40])), 'open'), { kind: 'alert', level: 2, description: 40, name: 'handshake_failure' });
  assert.equal(readHelloAnswer(Buffer.from('HTTP/1.1 400'), 'open')?.kind, 'not-tls');
  assert.equal(readHelloAnswer(Buffer.from('55'), 'open')?.kind, 'not-tls');
  assert.deepEqual(readHelloAnswer(Buffer.alloc(0), 'closed'), { kind: 'closed' });
  assert.deepEqual(readHelloAnswer(Buffer.alloc(0), 'timeout'), { kind: 'timeout' });
  const partial = readHelloAnswer(flight.subarray(0, first.length + 3), 'closed');
  assert.ok(partial?.kind === 'server-hello' && !partial.complete);
});

test('the ServerKeyExchange group: the layout that reads the body exactly (ECDHE, DHE, signed or anonymous)', () => {
  const p = Buffer.concat([Buffer.from([0x00, 0x80]), randomBytes(127)]); // a leading zero byte, then 1023 bits
  p[1] = 0x40;
  const dh = Buffer.concat([Buffer.from([0, p.length]), p, Buffer.from([0, 1, 2, 0, 2, 9, 9])]);
  assert.deepEqual(keyExchangeGroup(dh, true), { type: 'DH', primeBits: 1023, named: null }, 'anonymous');
  assert.deepEqual(keyExchangeGroup(Buffer.concat([dh, Buffer.from([4, 1, 0, 2, 7, 7])]), true), { type: 'DH', primeBits: 1023, named: null });
  assert.deepEqual(keyExchangeGroup(Buffer.concat([dh, Buffer.from([0, 2, 7, 7])]), false), { type: 'DH', primeBits: 1023, named: null });
  assert.deepEqual(keyExchangeGroup(Buffer.concat([Buffer.from([3, 0, 29, 32]), randomBytes(32), Buffer.from([8, 4, 0, 1, 0])]), true), { type: 'ECDH', group: 29 });
  assert.equal(keyExchangeGroup(Buffer.from([1, 2, 3]), true), null);
});
