// The ServerKeyExchange signature reader (src/tls/server-signature.ts) on hand-built records: every
// layout it knows, records split anywhere, and hostile input that must never throw. Real handshakes
// are covered by test/integration/modern-tls.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { serverKeyExchangeSignature } from '../../src/tls/server-signature.ts';
import { isLegacySignatureScheme } from '../../src/rules/signature-strength.ts';
import { hsMsg as handshake, record } from '../helpers/tls-flights.ts';

const u16 = (n: number) => Buffer.from([n >> 8, n & 0xff]);
const vector16 = (data: Buffer) => Buffer.concat([u16(data.length), data]);

// A TLS 1.2 ServerHello: version, random, a 32-byte session id, ECDHE-RSA-AES128-GCM-SHA256, no compression.
const SERVER_HELLO = handshake(2, Buffer.concat([Buffer.from([3, 3]), Buffer.alloc(32, 1), Buffer.from([32]), Buffer.alloc(32, 2), Buffer.from([0xc0, 0x2f, 0])]));
const CERTIFICATE = handshake(11, Buffer.alloc(1200, 2));
const HELLO_DONE = handshake(14, Buffer.alloc(0));

function ecdheKeyExchange(scheme: number | null): Buffer {
  const point = Buffer.alloc(32, 7);
  const params = Buffer.concat([Buffer.from([3]), u16(29), Buffer.from([point.length]), point]);
  return handshake(12, Buffer.concat([params, ...(scheme !== null ? [u16(scheme)] : []), vector16(Buffer.alloc(256, 9))]));
}

function dheKeyExchange(scheme: number | null): Buffer {
  const params = Buffer.concat([vector16(Buffer.alloc(128, 0xff)), vector16(Buffer.from([2])), vector16(Buffer.alloc(128, 5))]);
  return handshake(12, Buffer.concat([params, ...(scheme !== null ? [u16(scheme)] : []), vector16(Buffer.alloc(256, 9))]));
}

/** The server's first flight as records of at most `size` bytes each. */
function flight(messages: Buffer[], size = 16384): Buffer {
  const stream = Buffer.concat(messages);
  const records: Buffer[] = [];
  for (let i = 0; i < stream.length; i += size) records.push(record(22, stream.subarray(i, i + size)));
  return Buffer.concat(records);
}

test('TLS 1.2 ECDHE: the scheme after the curve point, by its RFC 8446 name', () => {
  for (const [code, name] of [
    [0x0804, 'rsa_pss_rsae_sha256'],
    [0x0401, 'rsa_pkcs1_sha256'],
    [0x0403, 'ecdsa_secp256r1_sha256'],
    [0x0201, 'rsa_pkcs1_sha1'],
    [0x0203, 'ecdsa_sha1'],
    [0x0101, 'rsa_pkcs1_md5'],
    [0x0807, 'ed25519'],
    [0x0999, '0x0999'],
  ] as const) {
    const bytes = flight([SERVER_HELLO, CERTIFICATE, ecdheKeyExchange(code), HELLO_DONE]);
    assert.equal(serverKeyExchangeSignature(bytes, 'TLSv1.2', 'ECDHE-RSA-AES128-GCM-SHA256', 'ECDH'), name);
  }
});

test('TLS 1.2 DHE: the scheme after p, g and Ys', () => {
  const bytes = flight([SERVER_HELLO, CERTIFICATE, dheKeyExchange(0x0201), HELLO_DONE]);
  assert.equal(serverKeyExchangeSignature(bytes, 'TLSv1.2', 'DHE-RSA-AES128-GCM-SHA256', 'DH'), 'rsa_pkcs1_sha1');
});

test('messages split over records anywhere; past 64 records it gives up (null: the check is made)', () => {
  const messages = [SERVER_HELLO, CERTIFICATE, ecdheKeyExchange(0x0805), HELLO_DONE];
  for (const size of [29, 31, 64, 333, 1000]) {
    assert.equal(serverKeyExchangeSignature(flight(messages, size), 'TLSv1.2', 'ECDHE-RSA-AES256-GCM-SHA384', 'ECDH'), 'rsa_pss_rsae_sha384', `records of ${size}`);
  }
  assert.equal(serverKeyExchangeSignature(flight(messages, 1), 'TLSv1.2', 'ECDHE-RSA-AES256-GCM-SHA384', 'ECDH'), null);
});

test('TLS 1.0/1.1 carry no scheme: MD5+SHA-1 for RSA, SHA-1 for ECDSA (RFC 4346 §7.4.3)', () => {
  const bytes = flight([SERVER_HELLO, CERTIFICATE, ecdheKeyExchange(null), HELLO_DONE]);
  assert.equal(serverKeyExchangeSignature(bytes, 'TLSv1.1', 'ECDHE-RSA-AES256-SHA', 'ECDH'), 'rsa_pkcs1_md5_sha1');
  assert.equal(serverKeyExchangeSignature(bytes, 'TLSv1', 'ECDHE-ECDSA-AES256-SHA', 'ECDH'), 'ecdsa_sha1');
});

test('nothing signed or nothing readable: null', () => {
  const full = flight([SERVER_HELLO, CERTIFICATE, ecdheKeyExchange(0x0804), HELLO_DONE]);
  // RSA key transport: no ephemeral key, no ServerKeyExchange.
  assert.equal(serverKeyExchangeSignature(flight([SERVER_HELLO, CERTIFICATE, HELLO_DONE]), 'TLSv1.2', 'AES128-GCM-SHA256', null), null);
  // TLS 1.3 encrypts it (and never signs with SHA-1).
  assert.equal(serverKeyExchangeSignature(full, 'TLSv1.3', 'TLS_AES_128_GCM_SHA256', 'ECDH'), null);
  // The flight ends (ServerHelloDone) without one, or the records stop short.
  assert.equal(serverKeyExchangeSignature(flight([SERVER_HELLO, HELLO_DONE, ecdheKeyExchange(0x0804)]), 'TLSv1.2', 'x', 'ECDH'), null);
  for (const cut of [0, 3, 10, full.length - 270]) assert.equal(serverKeyExchangeSignature(full.subarray(0, cut), 'TLSv1.2', 'x', 'ECDH'), null, `cut at ${cut}`);
  // A ChangeCipherSpec ends the plaintext.
  assert.equal(serverKeyExchangeSignature(Buffer.concat([record(20, Buffer.from([1])), full]), 'TLSv1.2', 'x', 'ECDH'), null);
  // DH parameters read as ECDH and the other way round.
  assert.equal(serverKeyExchangeSignature(flight([SERVER_HELLO, dheKeyExchange(0x0804), HELLO_DONE]), 'TLSv1.2', 'x', 'ECDH'), null);
});

test('hostile bytes never throw', () => {
  for (let i = 0; i < 2000; i++) {
    const bytes = i % 2 === 0 ? randomBytes(i % 300) : Buffer.concat([record(22, Buffer.concat([Buffer.from([12]), randomBytes(i % 200)]))]);
    const result = serverKeyExchangeSignature(bytes, i % 3 === 0 ? 'TLSv1' : 'TLSv1.2', 'ECDHE-RSA-AES128-SHA', i % 5 === 0 ? 'DH' : 'ECDH');
    assert.ok(result === null || typeof result === 'string');
  }
});

test('legacy schemes: SHA-1 and MD5 only', () => {
  for (const s of ['rsa_pkcs1_sha1', 'ecdsa_sha1', 'dsa_sha1', 'rsa_pkcs1_md5', 'rsa_pkcs1_md5_sha1']) assert.ok(isLegacySignatureScheme(s), s);
  for (const s of ['rsa_pss_rsae_sha256', 'rsa_pkcs1_sha256', 'ecdsa_secp384r1_sha384', 'ed25519', 'rsa_pkcs1_sha224', '0x0999']) assert.ok(!isLegacySignatureScheme(s), s);
});
