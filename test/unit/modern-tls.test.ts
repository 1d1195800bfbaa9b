// What a sender with current TLS defaults gets: when the probe checks it (modernCheckNeeded), and
// how the judge words and weighs the outcome (judge/modern-tls.ts, judgeAddress, capLevel).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { modernCheckNeeded } from '../../src/probe/modern-check.ts';
import { modernFailureReason } from '../../src/judge/modern-tls.ts';
import { judgeAddress } from '../../src/judge/judge-address.ts';
import { judgeDomain } from '../../src/judge/judge-domain.ts';
import type { AddressFacts } from '../../src/model/address.ts';
import type { ModernTlsFacts, TlsFacts } from '../../src/model/tls.ts';
import { addressFacts, domainFacts, mxHost, NOW } from '../helpers/facts.ts';

const TLS13 = addressFacts().tls as TlsFacts;
const tls = (overrides: Partial<TlsFacts>): TlsFacts => ({ ...TLS13, ...overrides });
const ecdhe = { type: 'ECDH', name: 'X25519', size: 253 };

test('the check is made only when the first handshake leaves doubt', () => {
  const cases: Array<[string, TlsFacts, boolean]> = [
    ['TLS 1.3', TLS13, false],
    ['TLS 1.3 whatever the key exchange', tls({ keyExchange: { type: 'DH', name: null, size: 1024 } }), false],
    ['TLS 1.2 ECDHE signed with RSA-PSS', tls({ protocol: 'TLSv1.2', keyExchange: ecdhe, serverSignature: 'rsa_pss_rsae_sha256' }), false],
    ['TLS 1.2 ECDHE signed with PKCS#1 SHA-256', tls({ protocol: 'TLSv1.2', keyExchange: ecdhe, serverSignature: 'rsa_pkcs1_sha256' }), false],
    ['TLS 1.2 RSA key transport (nothing signed)', tls({ protocol: 'TLSv1.2', keyExchange: null, serverSignature: null }), false],
    ['TLS 1.2 DHE 2048', tls({ protocol: 'TLSv1.2', keyExchange: { type: 'DH', name: null, size: 2048 }, serverSignature: 'rsa_pss_rsae_sha256' }), false],
    ['TLS 1.2 DHE 1024', tls({ protocol: 'TLSv1.2', keyExchange: { type: 'DH', name: null, size: 1024 }, serverSignature: 'rsa_pss_rsae_sha256' }), true],
    ['TLS 1.2 a 192-bit curve', tls({ protocol: 'TLSv1.2', keyExchange: { type: 'ECDH', name: 'prime192v1', size: 192 }, serverSignature: 'ecdsa_secp256r1_sha256' }), true],
    ['TLS 1.2 signed with SHA-1', tls({ protocol: 'TLSv1.2', keyExchange: ecdhe, serverSignature: 'rsa_pkcs1_sha1' }), true],
    ['TLS 1.2 signature not read', tls({ protocol: 'TLSv1.2', keyExchange: ecdhe, serverSignature: null }), true],
    ['TLS 1.2 facts recorded before the signature was', tls({ protocol: 'TLSv1.2', keyExchange: ecdhe }), true],
    ['TLS 1.1', tls({ protocol: 'TLSv1.1', keyExchange: ecdhe, serverSignature: 'rsa_pkcs1_md5_sha1' }), true],
    ['TLS 1.0 RSA key transport', tls({ protocol: 'TLSv1', keyExchange: null, serverSignature: null }), true],
    ['SSLv3', tls({ protocol: 'SSLv3' }), true],
  ];
  for (const [name, facts, expected] of cases) {
    const { serverSignature, ...rest } = facts;
    const input = name.includes('before the signature') ? rest : facts;
    assert.equal(modernCheckNeeded(input), expected, `${name} (${serverSignature})`);
  }
});

test("OpenSSL's reasons become words, with the first handshake's facts", () => {
  const tls11 = { tls: tls({ protocol: 'TLSv1.1' }) };
  assert.match(modernFailureReason('tlsv1 alert protocol version (ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION)', tls11), /speaks only TLSv1\.1, and current senders require TLS 1\.2/);
  assert.match(modernFailureReason('unsupported protocol', { tls: TLS13 }), /speaks no TLS 1\.2 or later/);
  assert.match(modernFailureReason('dh key too small', { tls: tls({ keyExchange: { type: 'DH', name: null, size: 1024 } }) }), /Diffie-Hellman group has 1024 bits, and current senders require 2048/);
  assert.match(modernFailureReason('legacy sigalg disallowed or unsupported', { tls: tls({ serverSignature: 'rsa_pkcs1_sha1' }) }), /signs the handshake with rsa_pkcs1_sha1/);
  assert.match(modernFailureReason('sslv3 alert handshake failure', { tls: tls({ serverSignature: 'rsa_pkcs1_sha1' }) }), /none of the cipher suites.*\(offered SHA-1, it signs with rsa_pkcs1_sha1\)/);
  assert.match(modernFailureReason('sslv3 alert handshake failure', { tls: TLS13 }), /none of the cipher suites, groups or signature algorithms current senders offer$/);
  assert.match(modernFailureReason('timeout during the TLS handshake', { tls: TLS13 }), /did not complete the handshake in time/);
  assert.match(modernFailureReason('Client network socket disconnected before secure TLS connection was established (ECONNRESET)', { tls: TLS13 }), /closed the connection/);
  assert.equal(modernFailureReason('something new', { tls: TLS13 }), 'the handshake failed');
});

const failed: ModernTlsFacts = { ok: false, protocol: null, cipher: null, error: 'tlsv1 alert protocol version', failure: null };
const legacy = (modernTls: ModernTlsFacts | null): AddressFacts =>
  addressFacts({ tls: tls({ protocol: 'TLSv1.1', keyExchange: ecdhe, serverSignature: 'rsa_pkcs1_md5_sha1' }), modernTls });

test('a failed check: TLS_MODERN_HANDSHAKE_FAILED, level none, and the policies say plaintext or nothing', () => {
  const result = judgeAddress(legacy(failed), { required: ['tls-required'], warnDays: 30 }, NOW);
  assert.equal(result.level, 'none');
  assert.deepEqual(result.problems.map((p) => p.code), ['TLS_LEGACY_PROTOCOL', 'TLS_MODERN_HANDSHAKE_FAILED']);
  const p = result.problems[1];
  assert.equal(p?.severity, 'error');
  assert.equal(
    p?.message,
    'mx.example.com [192.0.2.10]: a sender with current TLS defaults (TLS 1.2 or later, OpenSSL security level 2) cannot make a TLS session here: the server speaks only TLSv1.1, and current senders require TLS 1.2 or later (RFC 8996 deprecates TLS 1.0 and 1.1); OpenSSL says "tlsv1 alert protocol version". Such a sender delivers in plaintext where TLS is optional and does not deliver where TLS is required.',
  );
  const domain = judgeDomain(domainFacts({ mx: [mxHost('mx.example.com', 10, [legacy(failed)])] }), { required: ['tls-required'], warnDays: 30 }, NOW);
  assert.equal(domain.pass, false);
  assert.deepEqual(domain.policies.slice(0, 4).map((x) => [x.policy, x.delivered, x.encrypted]), [['a', 'yes', 'no'], ['b', 'yes', 'no'], ['c', 'no', 'n/a'], ['d', 'no', 'n/a']]);
  // Under --require none it passes, and shows no error (relativeTo).
  const lenient = judgeDomain(domainFacts({ mx: [mxHost('mx.example.com', 10, [legacy(failed)])] }), { required: ['plain'], warnDays: 30 }, NOW);
  assert.equal(lenient.pass, true);
  assert.ok(lenient.problems.every((x) => x.severity !== 'error'));
});

test('a successful check, or none made, leaves the level to the first handshake', () => {
  const ok: ModernTlsFacts = { ok: true, protocol: 'TLSv1.2', cipher: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', error: null, failure: null };
  assert.equal(judgeAddress(addressFacts({ modernTls: ok }), { required: ['tls-required'], warnDays: 30 }, NOW).level, 'verify');
  assert.equal(judgeAddress(addressFacts({ modernTls: null }), { required: ['tls-required'], warnDays: 30 }, NOW).level, 'verify');
});

test('a check that stopped before its handshake: the level is unknown, and the problem says which connection failed', () => {
  for (const [kind, stage, code] of [
    ['timeout', 'banner', 'TIMEOUT'],
    ['connect', 'connect', 'CONNECT_FAILED'],
    ['rejected', 'banner', 'SMTP_REJECTED'],
    ['protocol', 'ehlo', 'SMTP_PROTOCOL_ERROR'],
  ] as const) {
    const stopped: ModernTlsFacts = { ok: null, protocol: null, cipher: null, error: null, failure: { stage, kind, message: `${kind} here` } };
    const result = judgeAddress(legacy(stopped), { required: ['tls-required'], warnDays: 30 }, NOW);
    assert.equal(result.level, null, kind);
    const p = result.problems.find((x) => x.code === code);
    assert.ok(p !== undefined, `${kind}: ${JSON.stringify(result.problems)}`);
    assert.match(p.message, new RegExp(`the second connection, made to check what a sender with current TLS defaults .* gets, failed before its handshake: ${kind} here\\.`));
    const domain = judgeDomain(domainFacts({ mx: [mxHost('mx.example.com', 10, [legacy(stopped)])] }), { required: ['tls-required'], warnDays: 30 }, NOW);
    assert.equal(domain.pass, null, 'undetermined: exit 3, never PASS');
  }
});
