import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judgeHop, judgeMessage, localReason, verdictOf } from '../../src/judge/judge-hops.ts';
import { analyseMessages, headersExitStatus } from '../../src/headers/analyse.ts';
import { normaliseVersion } from '../../src/model/tls-protocols.ts';
import { cipherWeaknesses } from '../../src/model/cipher-classes.ts';
import type { HopFacts, HopTls, MessageFacts } from '../../src/model/headers.ts';

const NOW = new Date('2024-01-02T00:00:00Z');

function tls(protocol: string | null, cipher: string | null, more: Partial<HopTls> = {}): HopTls {
  return { protocol, version: normaliseVersion(protocol), cipher, bits: null, keyExchange: null, verified: null, raw: '', ...more };
}

function hop(more: Partial<HopFacts> = {}): HopFacts {
  return {
    from: { helo: 'a.example', reverseName: 'a.example', ip: '192.0.2.1', localSocket: false },
    by: { host: 'b.example', ip: null, software: null },
    with: 'ESMTPS',
    id: null,
    for: null,
    dateText: 'Mon, 1 Jan 2024 00:00:00 +0000',
    date: '2024-01-01T00:00:00.000Z',
    tls: null,
    format: 'rfc3848-only',
    encrypted: true,
    evidence: 'test',
    order: 1,
    fieldIndex: 0,
    raw: 'from a.example by b.example',
    truncated: false,
    ...more,
  };
}

function messageOf(hops: HopFacts[], more: Partial<MessageFacts> = {}): MessageFacts {
  return {
    file: null, index: 1, envelopeFrom: null, messageId: null, subject: null, dateHeader: null, headerChars: 100, headerTruncated: false, inputCut: false, inputError: null,
    headerOnly: false, receivedCount: hops.length, receivedTruncated: false, fieldCount: hops.length, repairedLines: 0,
    hops: hops.map((h, i) => ({ ...h, order: i + 1, fieldIndex: hops.length - 1 - i })),
    ...more,
  };
}

test('weak ciphers, in OpenSSL, IANA and GnuTLS spellings', () => {
  const cases: Array<[string, string[]]> = [
    ['TLS_AES_256_GCM_SHA384', []],
    ['ECDHE-RSA-AES256-GCM-SHA384', []],
    ['ECDHE-RSA-CHACHA20-POLY1305', []],
    ['DHE-DSS-AES256-SHA', []],
    ['ECDHE_RSA_AES_128_GCM_SHA256', []],
    ['RC4-MD5', ['RC4', 'MD5']],
    ['RC4-SHA', ['RC4']],
    ['TLS_RSA_WITH_RC4_128_SHA', ['RC4']],
    ['EDH-RSA-DES-CBC3-SHA', ['3DES']],
    ['EDH-RSA-DESCBC3-SHA', ['3DES']],
    ['DES-CBC3-SHA', ['3DES']],
    ['TLS_RSA_WITH_3DES_EDE_CBC_SHA', ['3DES']],
    ['RSA_3DES_EDE_CBC_SHA1', ['3DES']],
    ['DES-CBC-SHA', ['DES']],
    ['EXP-RC4-MD5', ['EXPORT', 'RC4', 'MD5']],
    ['EXP1024-DES-CBC-SHA', ['EXPORT', 'DES']],
    ['TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5', ['EXPORT', 'RC2', 'MD5']],
    ['NULL-SHA256', ['NULL encryption']],
    ['TLS_RSA_WITH_NULL_SHA', ['NULL encryption']],
  ];
  for (const [cipher, weak] of cases) assert.deepEqual(cipherWeaknesses(cipher), weak, cipher);
});

test('grades and problems of network hops', () => {
  type Case = [string, Partial<HopFacts>, string | null, string[]];
  const cases: Case[] = [
    ['TLS 1.3, strong', { tls: tls('TLSv1.3', 'TLS_AES_256_GCM_SHA384'), format: 'postfix' }, 'A', []],
    ['TLS 1.2 as Microsoft writes it', { tls: tls('TLS1_2', 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384'), format: 'microsoft', with: 'Microsoft SMTP Server' }, 'A', []],
    ['keyword only', { tls: null }, 'B', ['HOP_TLS_DETAILS_MISSING']],
    ['version without cipher', { tls: tls('TLSv1.2', null), format: 'sendmail' }, 'B', ['HOP_TLS_DETAILS_MISSING']],
    ['TLS 1.0', { tls: tls('TLSv1', 'AES256-SHA') }, 'C', ['HOP_LEGACY_PROTOCOL']],
    ['TLS 1.1', { tls: tls('TLS1_1', 'ECDHE-RSA-AES128-SHA') }, 'C', ['HOP_LEGACY_PROTOCOL']],
    ['SSLv3', { tls: tls('SSLv3', 'AES128-SHA') }, 'C', ['HOP_LEGACY_PROTOCOL']],
    ['TLSv1/SSLv3 label', { tls: tls('TLSv1/SSLv3', 'DHE-RSA-AES256-SHA') }, 'C', ['HOP_LEGACY_PROTOCOL']],
    ['RC4 on TLS 1.2', { tls: tls('TLSv1.2', 'RC4-SHA') }, 'D', ['HOP_WEAK_CIPHER']],
    ['3DES on TLS 1.0', { tls: tls('TLSv1', 'DES-CBC3-SHA') }, 'D', ['HOP_LEGACY_PROTOCOL', 'HOP_WEAK_CIPHER']],
    ['40 bits', { tls: tls('TLSv1', 'AES128-SHA', { bits: 40 }), format: 'sendmail' }, 'D', ['HOP_LEGACY_PROTOCOL', 'HOP_WEAK_CIPHER']],
    ['old Exim bytes are not bits', { tls: tls('TLS1.0', 'RSA_AES_256_CBC_SHA1', { bits: 32 }), format: 'exim-legacy' }, 'C', ['HOP_LEGACY_PROTOCOL']],
    ['SSLv2', { tls: tls('SSLv2', 'DES-CBC3-MD5') }, 'D', ['HOP_WEAK_CIPHER']],
    ['plaintext', { encrypted: false, with: 'ESMTP' }, 'F', ['HOP_PLAINTEXT']],
    ['unknown', { encrypted: null, with: 'NNCP', format: 'unknown' }, null, ['HOP_ENCRYPTION_UNKNOWN']],
    ['client certificate failed', { tls: tls('TLSv1.3', 'TLS_AES_128_GCM_SHA256', { verified: 'fail' }) }, 'A', ['HOP_CLIENT_CERT_FAILED']],
    ['client certificate not requested', { tls: tls('TLSv1.3', 'TLS_AES_128_GCM_SHA256', { verified: 'not-requested' }) }, 'A', []],
    ['old sendmail: ESMTP with TLS', { with: 'ESMTP', tls: tls('TLSv1.2', 'AES256-SHA') }, 'A', ['HOP_KEYWORD_CONTRADICTS_TLS']],
    ['cut field: unknown, whatever its read part says', { truncated: true, tls: tls('TLSv1.3', 'TLS_AES_128_GCM_SHA256') }, null, ['HOP_FIELD_TRUNCATED']],
    ['cut field that read as plaintext: unknown too', { truncated: true, encrypted: false, with: 'ESMTP' }, null, ['HOP_FIELD_TRUNCATED']],
  ];
  for (const [name, facts, grade, codes] of cases) {
    const judged = judgeHop(hop(facts));
    assert.equal(judged.local, false, name);
    assert.equal(judged.grade, grade, name);
    assert.deepEqual(judged.problems.map((p) => p.code), codes, name);
  }
});

test('local hops: why, and no grade when they did not use TLS', () => {
  const from = (ip: string | null, name = 'a.example', localSocket = false) => ({ helo: name, reverseName: name, ip, localSocket });
  type Case = [string, Partial<HopFacts>, RegExp | null];
  const cases: Case[] = [
    ['loopback v4', { from: from('127.0.0.1', 'localhost'), encrypted: false, with: 'ESMTP' }, /loopback address 127\.0\.0\.1/],
    ['loopback 127/8', { from: from('127.0.0.2'), encrypted: false, with: 'SMTP' }, /loopback/],
    ['loopback v6', { from: from('::1'), encrypted: false, with: 'ESMTP' }, /loopback address ::1/],
    ['v4-mapped loopback', { from: from('::ffff:127.0.0.1'), encrypted: false, with: 'ESMTP' }, /loopback/],
    ['localhost without address', { from: from(null, 'localhost'), encrypted: false, with: 'ESMTP' }, /from localhost/],
    ['by localhost', { by: { host: 'localhost', ip: null, software: 'amavisd-new' }, encrypted: false, with: 'ESMTP' }, /received by localhost/],
    ['OpenSMTPD [local]', { from: from(null, 'ws.example', true), encrypted: false, with: 'ESMTPA' }, /local socket/],
    ['no from clause', { from: null, encrypted: false, with: 'SMTP' }, /no sending host recorded/],
    ['LMTP', { encrypted: false, with: 'LMTP' }, /RFC 2033/],
    ['LMTPS', { encrypted: true, with: 'LMTPS' }, /RFC 2033/],
    ['Exim local', { encrypted: null, with: 'local-esmtp' }, /local process/],
    ['same address', { from: from('fe80::1'), by: { host: 'x', ip: 'fe80::1', software: null }, encrypted: null, with: 'mapi' }, /same address/],
    ['same host name', { from: from('192.0.2.9', 'mx.example.'), by: { host: 'MX.example', ip: null, software: null }, encrypted: false, with: 'ESMTP' }, /same host/],
    ['qmail note', { from: null, by: null, raw: '(qmail 123 invoked by uid 89); 1 Jan 2024 00:00:00 -0000', encrypted: null, with: null }, /qmail/],
    ['a HELO of localhost from a real address is a network hop', { from: { helo: 'localhost', reverseName: null, ip: '10.1.2.3', localSocket: false }, encrypted: true }, null],
    ['a private address is a network hop', { from: from('10.0.0.13'), encrypted: true }, null],
    ['neither from nor by is not assumed local', { from: null, by: null, encrypted: null, with: null }, null],
  ];
  for (const [name, facts, reason] of cases) {
    const h = hop(facts);
    const why = localReason(h);
    if (reason === null) assert.equal(why, null, name);
    else assert.match(why ?? '', reason, name);
    const judged = judgeHop(h);
    if (reason !== null) {
      assert.equal(judged.local, true, name);
      assert.ok(!judged.problems.some((p) => p.code === 'HOP_PLAINTEXT' || p.code === 'HOP_ENCRYPTION_UNKNOWN'), name);
      if (h.encrypted !== true) assert.equal(judged.grade, null, name);
    }
  }
});

test('verdict: all encrypted, a plaintext hop, an unknown hop, only local hops, nothing', () => {
  const plain = hop({ encrypted: false, with: 'ESMTP' });
  const unknown = hop({ encrypted: null, with: 'NNCP', format: 'unknown' });
  const strong = hop({ tls: tls('TLSv1.3', 'TLS_AES_256_GCM_SHA384') });
  const legacy = hop({ tls: tls('TLSv1', 'AES256-SHA') });
  const local = hop({ from: null, encrypted: false, with: 'SMTP' });
  type Case = [string, HopFacts[], boolean | null, Partial<ReturnType<typeof verdictOf>>];
  const cases: Case[] = [
    ['all encrypted', [strong, legacy, strong, local], true, { weakestHop: 2, weakestGrade: 'C', networkHops: [1, 2, 3], localHops: [4], pass: true }],
    ['encrypted, plain, encrypted', [strong, plain, strong], false, { firstUnencryptedHop: 2, unencryptedHops: [2], weakestHop: 2, weakestGrade: 'F', pass: false }],
    ['two plain', [plain, strong, plain], false, { firstUnencryptedHop: 1, unencryptedHops: [1, 3], weakestHop: 1 }],
    ['plain beats unknown', [unknown, plain], false, { unknownHops: [1], firstUnencryptedHop: 2 }],
    ['unknown, no plain', [strong, unknown], null, { unknownHops: [2], weakestHop: 1, pass: false }],
    ['only local', [local, local], null, { networkHops: [], weakestHop: null }],
    ['nothing', [], null, { networkHops: [], localHops: [] }],
    ['tie: the oldest is the weakest', [legacy, legacy], true, { weakestHop: 1 }],
  ];
  for (const [name, hops, all, more] of cases) {
    const v = judgeMessage(messageOf(hops), NOW).verdict;
    assert.equal(v.allNetworkHopsEncrypted, all, name);
    for (const [key, value] of Object.entries(more)) assert.deepEqual(v[key as keyof typeof v], value, `${name}: ${key}`);
  }
});

test('time stamps: unreadable, in the future, out of order', () => {
  const m = judgeMessage(
    messageOf([
      hop({ date: '2024-01-01T10:00:00.000Z' }),
      hop({ date: '2024-01-01T09:00:00.000Z' }),
      hop({ date: null, dateText: 'yesterday' }),
      hop({ date: null, dateText: null }),
      hop({ date: '2024-01-03T00:00:00.000Z' }),
      hop({ date: '2024-01-02T00:10:00.000Z' }),
    ]),
    NOW,
  );
  assert.deepEqual(
    m.problems.filter((p) => p.code.startsWith('HOP_DATE')).map((p) => [p.code, p.hop]),
    [['HOP_DATE_ORDER', 2], ['HOP_DATE_INVALID', 3], ['HOP_DATE_INVALID', 4], ['HOP_DATE_IN_FUTURE', 5], ['HOP_DATE_ORDER', 6]],
  );
  // Without `now` nothing is in the future.
  assert.ok(!judgeMessage(messageOf([hop({ date: '2999-01-01T00:00:00.000Z' })])).problems.some((p) => p.code === 'HOP_DATE_IN_FUTURE'));
});

test('message problems: no Received field, capped, repaired, no network hop', () => {
  const codes = (facts: MessageFacts) => judgeMessage(facts, NOW).problems.filter((p) => p.hop === null).map((p) => p.code);
  assert.deepEqual(codes(messageOf([])), ['NO_RECEIVED_FIELDS']);
  assert.deepEqual(codes(messageOf([hop()], { receivedCount: 600, receivedTruncated: true })), ['TOO_MANY_RECEIVED_FIELDS']);
  assert.deepEqual(codes(messageOf([], { receivedCount: 0, inputCut: true })), ['INPUT_TOO_LARGE']);
  assert.deepEqual(codes(messageOf([], { receivedCount: 0, headerTruncated: true })), ['HEADER_TOO_LARGE']);
  assert.deepEqual(codes(messageOf([hop()], { headerTruncated: true, repairedLines: 2 })), ['HEADER_TOO_LARGE', 'HEADER_LINES_REPAIRED']);
  assert.deepEqual(codes(messageOf([hop({ from: null })])), ['NO_NETWORK_HOP']);
});

test('exit status: 0 every message passes, 1 otherwise, 2 no message header at all', () => {
  const ok = 'Received: from a.example (a.example [192.0.2.1]) by b.example with ESMTPS id 1; Mon, 1 Jan 2024 00:00:00 +0000\n\nbody\n';
  const plain = 'Received: from a.example (a.example [192.0.2.1]) by b.example with ESMTP id 1; Mon, 1 Jan 2024 00:00:00 +0000\n\nbody\n';
  const unknown = 'Received: from a.example (a.example [192.0.2.1]) by b.example with NNCP id 1; Mon, 1 Jan 2024 00:00:00 +0000\n\nbody\n';
  const mbox = (...messages: string[]) => messages.map((m, i) => `From x${i} Mon Jan  1 00:00:00 2024\n${m}\n`).join('');
  const cases: Array<[string, string, 0 | 1 | 2]> = [
    ['encrypted', ok, 0],
    ['plain', plain, 1],
    ['unknown', unknown, 1],
    ['no Received', 'Subject: hi\n\nbody\n', 1],
    ['mbox all encrypted', mbox(ok, ok), 0],
    ['mbox one plain', mbox(ok, plain), 1],
    ['empty', '', 2],
    ['not a message', 'hello world\nthis is text\n', 2],
  ];
  for (const [name, text, status] of cases) assert.equal(headersExitStatus(analyseMessages(text, NOW)), status, name);
});
