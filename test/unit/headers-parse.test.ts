import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { analyseMessages } from '../../src/headers/analyse.ts';
import { parseDateTime, parseReceived } from '../../src/headers/parse-received.ts';
import { normaliseVersion } from '../../src/model/tls-protocols.ts';
import type { Hop, MessageResult } from '../../src/model/headers.ts';

const NOW = new Date('2026-09-20T00:00:00Z');
const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`../fixtures/headers/${name}`, import.meta.url)));
const message = (name: string, index = 0): MessageResult => {
  const m = analyseMessages(fixture(name), NOW).messages[index];
  assert.ok(m, `${name} has message ${index + 1}`);
  return m;
};

/** The facts a test pins, in one line per hop. */
function facts(hop: Hop) {
  return {
    from: hop.from === null ? null : [hop.from.helo, hop.from.reverseName, hop.from.ip],
    by: hop.by?.host ?? null,
    with: hop.with,
    tls: hop.tls === null ? null : [hop.tls.protocol, hop.tls.cipher, hop.tls.bits, hop.tls.verified],
    format: hop.format,
    encrypted: hop.encrypted,
    local: hop.local,
    grade: hop.grade,
  };
}

const hops = (name: string, index = 0) => message(name, index).hops.map(facts);

test('postfix: TLS 1.3 with key exchange and a verified client certificate; amavis and LMTP are local', () => {
  assert.deepEqual(hops('postfix.eml'), [
    { from: ['[192.0.2.44]', 'dsl-44.isp.example', '192.0.2.44'], by: 'mail.sender.example', with: 'ESMTPSA', tls: ['TLSv1.2', 'ECDHE-RSA-AES256-GCM-SHA384', 256, 'not-requested'], format: 'postfix', encrypted: true, local: false, grade: 'A' },
    { from: ['mail.sender.example', 'mail.sender.example', '198.51.100.7'], by: 'mx.receiver.example', with: 'ESMTPS', tls: ['TLSv1.3', 'TLS_AES_256_GCM_SHA384', 256, 'yes'], format: 'postfix', encrypted: true, local: false, grade: 'A' },
    { from: ['localhost', 'localhost', '127.0.0.1'], by: 'mx.receiver.example', with: 'ESMTP', tls: null, format: 'rfc3848-only', encrypted: false, local: true, grade: null },
    { from: ['mx.receiver.example', null, null], by: 'imap.receiver.example', with: 'LMTP', tls: null, format: 'rfc3848-only', encrypted: false, local: true, grade: null },
  ]);
  const hop = message('postfix.eml').hops[1];
  assert.equal(hop?.tls?.keyExchange, 'X25519');
  assert.equal(hop?.tls?.version, 'TLSv1.3');
  assert.equal(hop?.by?.software, 'Postfix');
  assert.equal(hop?.id, '4F1A2B3C4D');
  assert.equal(hop?.for, 'bob@receiver.example');
  assert.equal(hop?.date, '2026-09-14T08:11:12.000Z');
  assert.equal(hop?.dateText, 'Mon, 14 Sep 2026 10:11:12 +0200 (CEST)');
});

test('sendmail: version= cipher= bits= verify=; the Submit hop has no from and is local', () => {
  assert.deepEqual(hops('sendmail.eml'), [
    { from: null, by: 'ws1.sender.example', with: null, tls: null, format: 'unknown', encrypted: null, local: true, grade: null },
    { from: ['ws1.sender.example', 'ws1.sender.example', '10.1.2.3'], by: 'relay.sender.example', with: 'ESMTPS', tls: ['TLSv1.2', 'ECDHE-RSA-AES256-GCM-SHA384', 256, 'yes'], format: 'sendmail', encrypted: true, local: false, grade: 'A' },
    { from: ['relay.sender.example', 'relay.sender.example', '198.51.100.20'], by: 'mx.receiver.example', with: 'ESMTPS', tls: ['TLSv1.3', 'TLS_AES_256_GCM_SHA384', 256, 'not-requested'], format: 'sendmail', encrypted: true, local: false, grade: 'A' },
  ]);
  assert.equal(message('sendmail.eml').hops[2]?.by?.software, '8.18.1/8.18.1');
});

test('exim: with esmtps (TLS1.3) tls CIPHER, helo= apart from the reverse name', () => {
  assert.deepEqual(hops('exim.eml'), [
    { from: ['[192.168.1.20]', null, '203.0.113.9'], by: 'smtp.sender.example', with: 'esmtpsa', tls: ['TLS1.2', 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', null, null], format: 'exim', encrypted: true, local: false, grade: 'A' },
    { from: ['smtp.sender.example', 'mail.sender.example', '198.51.100.30'], by: 'mx.receiver.example', with: 'esmtps', tls: ['TLS1.3', 'TLS_AES_256_GCM_SHA384', null, null], format: 'exim', encrypted: true, local: false, grade: 'A' },
  ]);
  assert.equal(message('exim.eml').hops[1]?.by?.software, 'Exim 4.98');
  assert.equal(message('exim.eml').hops[1]?.for, 'bob@receiver.example');
});

test('exim before 4.92: (PROTOCOL:CIPHER:BITS); TLSv1 is legacy; [::1] is local', () => {
  assert.deepEqual(hops('exim-legacy.eml'), [
    { from: ['old.sender.example', null, '198.51.100.40'], by: 'mail-wm1.sender.example', with: 'esmtps', tls: ['TLSv1', 'DHE-RSA-AES256-SHA', 256, null], format: 'exim-legacy', encrypted: true, local: false, grade: 'C' },
    { from: ['mail-wm1.sender.example', null, '2001:db8:4864:20::32a'], by: 'eggs.lists.example', with: 'esmtps', tls: ['TLS1.2', 'ECDHE_RSA_AES_128_GCM_SHA256', 128, null], format: 'exim-legacy', encrypted: true, local: false, grade: 'A' },
    { from: ['eggs.lists.example', null, '2001:db8:142:3::10'], by: 'lists.lists.example', with: 'esmtps', tls: ['TLS1.2', 'ECDHE_RSA_AES_256_GCM_SHA384', 256, null], format: 'exim-legacy', encrypted: true, local: false, grade: 'A' },
    { from: ['lists1p.lists.example', 'localhost', '::1'], by: 'lists.lists.example', with: 'esmtp', tls: null, format: 'rfc3848-only', encrypted: false, local: true, grade: null },
  ]);
});

test('gmail: version=TLS1_3 … bits=256/256; internal "by <IPv6> with SMTP" hops are local', () => {
  assert.deepEqual(hops('gmail.eml'), [
    { from: ['mail.sender.example', 'mail.sender.example', '198.51.100.7'], by: 'mx.google.com', with: 'ESMTPS', tls: ['TLS1_3', 'TLS_AES_256_GCM_SHA384', 256, null], format: 'gmail', encrypted: true, local: false, grade: 'A' },
    { from: null, by: '2002:a05:6a10:8a4c:b0:5f1:2b3c:4d5e', with: 'SMTP', tls: null, format: 'rfc3848-only', encrypted: false, local: true, grade: null },
  ]);
  assert.deepEqual(hops('gmail-internal.eml')[1], {
    from: ['mail-sor-f69.google.com', 'mail-sor-f69.google.com', '209.85.220.69'], by: 'mx.google.com', with: 'SMTPS', tls: [null, null, null, null], format: 'gmail', encrypted: true, local: false, grade: 'B',
  });
});

test('microsoft: version=TLS1_2, cipher=…; Exchange 2010 "(TLS)"; with HTTPS; with mapi on one host', () => {
  assert.deepEqual(hops('microsoft365.eml'), [
    { from: ['EXCH2010.sender.example', null, 'fe80::1234:5678:9abc:def0'], by: 'exch2010.sender.example', with: 'mapi', tls: null, format: 'microsoft', encrypted: null, local: true, grade: null },
    { from: ['exch2010.sender.example', null, '10.0.0.5'], by: 'edge.sender.example', with: 'Microsoft SMTP Server', tls: [null, null, null, null], format: 'microsoft', encrypted: true, local: false, grade: 'B' },
    { from: ['edge.sender.example', null, '198.51.100.50'], by: 'BN8NAM11FT037.mail.protection.outlook.com', with: 'Microsoft SMTP Server', tls: ['TLS1_2', 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', null, null], format: 'microsoft', encrypted: true, local: false, grade: 'A' },
    { from: ['BN8NAM11FT037.eop-nam11.prod.protection.outlook.com', null, '2603:10b6:408:c0:cafe::60'], by: 'BN8PR15CA0020.outlook.office365.com', with: 'Microsoft SMTP Server', tls: ['TLS1_2', 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', null, null], format: 'microsoft', encrypted: true, local: false, grade: 'A' },
    { from: ['BN8PR15CA0020.namprd15.prod.outlook.com', null, '2603:10b6:408:c0::33'], by: 'DM6PR15MB1234.namprd15.prod.outlook.com', with: 'HTTPS', tls: null, format: 'rfc3848-only', encrypted: true, local: false, grade: 'B' },
  ]);
  assert.equal(message('microsoft365.eml').hops[2]?.by?.ip, '10.13.177.182');
});

test('opensmtpd: (PROTOCOL:CIPHER:BITS:YES|NO|FAIL); [local] is local', () => {
  assert.deepEqual(hops('opensmtpd.eml'), [
    { from: ['localhost', 'ws.sender.example', null], by: 'ws.sender.example', with: 'ESMTPA', tls: null, format: 'rfc3848-only', encrypted: false, local: true, grade: null },
    { from: ['ws.sender.example', 'ws.sender.example', '192.168.1.43'], by: 'relay.sender.example', with: 'ESMTPS', tls: ['TLSv1.2', 'ECDHE-RSA-CHACHA20-POLY1305', 256, 'fail'], format: 'opensmtpd', encrypted: true, local: false, grade: 'A' },
    { from: ['relay.sender.example', 'relay.sender.example', '198.51.100.60'], by: 'mx.receiver.example', with: 'ESMTPS', tls: ['TLSv1.3', 'TLS_AES_256_GCM_SHA384', 256, 'no'], format: 'opensmtpd', encrypted: true, local: false, grade: 'A' },
  ]);
  assert.equal(message('opensmtpd.eml').hops[0]?.from?.localSocket, true);
});

test('qmail: HELO in TCP-info, qmail-tls "(CIPHER encrypted) SMTP", "invoked" notes are local', () => {
  assert.deepEqual(hops('qmail.eml'), [
    { from: ['ws.sender.example', null, '192.0.2.80'], by: 'mail.sender.example', with: 'SMTP', tls: null, format: 'rfc3848-only', encrypted: false, local: false, grade: 'F' },
    { from: null, by: null, with: null, tls: null, format: 'unknown', encrypted: null, local: true, grade: null },
    { from: ['mail.sender.example', null, '198.51.100.70'], by: 'mx.receiver.example', with: 'SMTP', tls: [null, 'ECDHE-RSA-AES256-GCM-SHA384', null, null], format: 'qmail', encrypted: true, local: false, grade: 'B' },
    { from: null, by: null, with: null, tls: null, format: 'unknown', encrypted: null, local: true, grade: null },
  ]);
});

test('seed FAQ 000: the two sendmail lines exactly as printed', () => {
  assert.deepEqual(hops('faq-000.eml'), [
    { from: ['grue.example.edu', 'grue.example.edu', '10.0.0.13'], by: 'email.example.edu', with: 'ESMTP', tls: ['TLSv1/SSLv3', 'RC4-MD5', 128, 'not-requested'], format: 'sendmail', encrypted: true, local: false, grade: 'D' },
    { from: ['email.example.edu', 'email.example.edu', '10.0.0.11'], by: 'example.org', with: 'ESMTP', tls: ['TLSv1/SSLv3', 'EDH-RSA-DESCBC3-SHA', 168, 'fail'], format: 'sendmail', encrypted: true, local: false, grade: 'D' },
  ]);
  const m = message('faq-000.eml');
  assert.equal(m.hops[0]?.id, 'fBA0M3rD003797');
  assert.equal(m.hops[1]?.dateText, 'Sun, 9 Dec 2001 16:22:10 -0800 (PST)');
  assert.equal(m.hops[1]?.date, '2001-12-10T00:22:10.000Z');
  assert.equal(m.messageId, '<3C14002A.FAB442A3@example.edu>');
});

test('seed FAQ 002: the same lines wrapped as printed (no indentation, cipher split at "DES-")', () => {
  assert.deepEqual(hops('faq-002.eml'), [
    { from: ['grue.example.edu', 'grue.example.edu', '10.0.0.13'], by: 'mail.example.edu', with: 'ESMTP', tls: ['TLSv1/SSLv3', 'RC4-MD5', 128, 'not-requested'], format: 'sendmail', encrypted: true, local: false, grade: 'D' },
    { from: ['mail.example.edu', 'mail.example.edu', '10.0.0.11'], by: 'example.org', with: 'ESMTP', tls: ['TLSv1/SSLv3', 'EDH-RSA-DES-CBC3-SHA', 168, 'fail'], format: 'sendmail', encrypted: true, local: false, grade: 'D' },
  ]);
  assert.equal(message('faq-002.eml').hops[0]?.date, '2001-12-10T00:22:07.000Z');
  assert.equal(message('faq-002.eml').repairedLines, 5);
});

test('folded: the FAQ 002 lines folded properly read the same; a field folded at every word', () => {
  const folded = hops('folded.eml');
  assert.deepEqual(folded.slice(1), hops('faq-002.eml'));
  assert.deepEqual(folded[0], {
    from: ['ws.example.edu', 'ws.example.edu', '10.0.0.20'], by: 'grue.example.edu', with: 'ESMTPSA', tls: ['TLSv1.2', 'ECDHE-RSA-AES128-GCM-SHA256', 128, null], format: 'postfix', encrypted: true, local: false, grade: 'A',
  });
});

test('mixed path: encrypted, then plain, then encrypted', () => {
  const m = message('mixed-path.eml');
  assert.deepEqual(m.hops.map(facts), [
    { from: ['ws.sender.example', 'ws.sender.example', '192.0.2.33'], by: 'relay.sender.example', with: 'ESMTPSA', tls: ['TLSv1.3', 'TLS_AES_256_GCM_SHA384', 256, 'not-requested'], format: 'postfix', encrypted: true, local: false, grade: 'A' },
    { from: ['relay.sender.example', 'relay.sender.example', '198.51.100.20'], by: 'gw.partner.example', with: 'ESMTP', tls: null, format: 'rfc3848-only', encrypted: false, local: false, grade: 'F' },
    { from: ['gw.partner.example', 'gw.partner.example', '203.0.113.25'], by: 'mx.receiver.example', with: 'esmtps', tls: ['TLS1.3', 'TLS_AES_128_GCM_SHA256', null, null], format: 'exim', encrypted: true, local: false, grade: 'A' },
  ]);
  assert.equal(m.verdict.allNetworkHopsEncrypted, false);
  assert.equal(m.verdict.firstUnencryptedHop, 2);
  assert.equal(m.verdict.weakestHop, 2);
});

test('odd spacing and case: upper-case keywords, tabs, no spaces around comments, obsolete dates', () => {
  const m = message('odd-spacing.eml');
  assert.deepEqual(m.hops.map(facts), [
    { from: ['first.sender.example', 'first.sender.example', '192.0.2.3'], by: 'relay.sender.example', with: 'NNCP', tls: null, format: 'unknown', encrypted: null, local: false, grade: null },
    { from: ['relay.sender.example', 'relay.sender.example', '192.0.2.2'], by: 'ws.sender.example', with: 'ESMTP', tls: null, format: 'rfc3848-only', encrypted: false, local: false, grade: 'F' },
    { from: ['ws.sender.example', 'ws.sender.example', '192.0.2.1'], by: 'Mail.Sender.Example', with: 'EsmtpSA', tls: null, format: 'rfc3848-only', encrypted: true, local: false, grade: 'B' },
    { from: ['Mail.Sender.Example', 'Mail.Sender.Example', '198.51.100.7'], by: 'MX.Receiver.Example', with: 'esmtps', tls: ['TLSv1.2', 'ECDHE-RSA-AES128-GCM-SHA256', 128, null], format: 'postfix', encrypted: true, local: false, grade: 'A' },
  ]);
  assert.equal(m.hops[1]?.date, '2024-01-01T13:58:00.000Z'); // "1 jan 24 08:58 est"
  assert.equal(m.hops[3]?.id, 'ABC123');
  assert.ok(m.problems.some((p) => p.code === 'HOP_DATE_ORDER' && p.hop === 3));
});

test('truncated fields: what was read is kept, nothing is guessed', () => {
  const m = message('truncated.eml');
  assert.deepEqual(m.hops.map(facts), [
    // Cut at 16 KiB: what was read is kept, but the hop is unknown (the rest may say otherwise).
    { from: ['big.sender.example', 'big.sender.example', '198.51.100.99'], by: 'mx.receiver.example', with: 'ESMTPS', tls: null, format: 'rfc3848-only', encrypted: null, local: false, grade: null },
    { from: ['q.example', 'q.example', '192.0.2.8'], by: 'r.example', with: 'ESMTP', tls: ['TLSv1.2', null, null, null], format: 'sendmail', encrypted: true, local: false, grade: 'B' },
    { from: ['x.example', 'x.example', '192.0.2.7'], by: 'y.example', with: 'ESMTP', tls: null, format: 'rfc3848-only', encrypted: false, local: false, grade: 'F' },
    { from: null, by: 'mx.receiver.example', with: 'ESMTPS', tls: null, format: 'rfc3848-only', encrypted: true, local: true, grade: 'B' },
    { from: ['half.sender.example', null, null], by: null, with: null, tls: null, format: 'unknown', encrypted: null, local: false, grade: null },
    { from: ['cut.sender.example', 'cut.sender.example', '198.51.100.9'], by: null, with: null, tls: ['TLSv1.2', 'ECDHE-RSA-AES256-GCM-SHA384', 256, null], format: 'postfix', encrypted: true, local: false, grade: 'A' },
  ]);
  assert.equal(m.hops[0]?.truncated, true);
  assert.ok((m.hops[0]?.raw.length ?? 0) <= 16 * 1024 && (m.hops[0]?.raw.length ?? 0) > 16_000);
  assert.equal(m.hops[2]?.date, null); // 25:61:00
  assert.equal(m.verdict.allNetworkHopsEncrypted, false);
});

test('garbage fields: no throw, unknown, not local; the one readable field still counts', () => {
  const m = message('garbage.eml');
  assert.equal(m.hops.length, 8);
  for (const hop of m.hops) if (hop.order !== 5) assert.equal(hop.encrypted, null, `hop ${hop.order}`);
  assert.deepEqual(facts(m.hops[4] as Hop), {
    from: ['\u001b[31mevil\u001b[0m.example', null, '192.0.2.66'], by: 'mx.example\u0007', with: 'ESMTPS', tls: null, format: 'rfc3848-only', encrypted: true, local: false, grade: 'B',
  });
  assert.equal(m.hops[4]?.date, '2024-01-01T00:00:00.000Z'); // an unclosed "<" does not swallow the time stamp
  assert.equal(m.verdict.allNetworkHopsEncrypted, null);
  assert.ok(m.hops.every((h) => !h.local));
});

test('an mbox with two messages: each has its own verdict', () => {
  const report = analyseMessages(fixture('two-messages.mbox'), NOW);
  assert.equal(report.input.kind, 'mbox');
  assert.equal(report.messages.length, 2);
  assert.deepEqual(report.messages.map((m) => [m.index, m.messageId, m.verdict.allNetworkHopsEncrypted]), [
    [1, '<mbox-1@sender.example>', true],
    [2, '<mbox-2@sender.example>', false],
  ]);
});

test('a bare header block', () => {
  const report = analyseMessages(fixture('header-only.txt'), NOW);
  assert.equal(report.input.kind, 'headers');
  assert.equal(report.messages[0]?.headerOnly, true);
  assert.deepEqual(report.messages[0]?.hops.map(facts), [
    { from: ['mail.sender.example', 'mail.sender.example', '198.51.100.7'], by: 'mx.receiver.example', with: 'ESMTPS', tls: ['TLSv1.2', 'ECDHE-RSA-AES256-GCM-SHA384', 256, 'not-requested'], format: 'postfix', encrypted: true, local: false, grade: 'A' },
  ]);
});

test('single fields: Microsoft without TLS notation, unknown notation next to ESMTP, Postfix "not verified"', () => {
  const ms = parseReceived('from a.example (192.0.2.1) by b.example (192.0.2.2) with Microsoft SMTP Server id 15.1.2507.6; Mon, 1 Jan 2024 00:00:00 +0000');
  assert.equal(ms.encrypted, false);
  assert.equal(ms.format, 'microsoft');
  const odd = parseReceived('from a.example (a.example [192.0.2.1]) by b.example with ESMTP id 1 (tls cipher=FOO-BAR); Mon, 1 Jan 2024 00:00:00 +0000');
  assert.equal(odd.encrypted, null);
  assert.equal(odd.format, 'unknown');
  const pf = parseReceived('from a.example (a.example [192.0.2.1]) (using TLSv1.2 with cipher AES128-SHA (128/128 bits)) (Client CN "a.example", Issuer "Private CA" (not verified)) by b.example (Postfix) with ESMTPS id 1; Mon, 1 Jan 2024 00:00:00 +0000');
  assert.equal(pf.tls?.verified, 'fail');
  const none = parseReceived('from a.example (a.example [192.0.2.1]) (using TLSv1.2 with cipher AES128-SHA (128/128 bits)) (Client did not present a certificate) by b.example (Postfix) with ESMTPS id 1; Mon, 1 Jan 2024 00:00:00 +0000');
  assert.equal(none.tls?.verified, 'no');
  const pasted = parseReceived('from a.example(a.example[192.0.2.1])by b.example with ESMTPS id 1;Mon, 1 Jan 2024 00:00:00 +0000');
  assert.deepEqual([pasted.from?.reverseName, pasted.from?.ip, pasted.by?.host], ['a.example', '192.0.2.1', 'b.example']);
  const forged = parseReceived('from a.example ([192.0.2.1]) (authenticated bits=0) by b.example with ESMTPA; Mon, 1 Jan 2024 00:00:00 +0000');
  assert.equal(forged.from?.reverseName, null); // "(authenticated bits=0)" is not a reverse name
  const sendmailOld = parseReceived('from a (a [192.0.2.1]) by b (8.9.3/8.9.3) with ESMTP id 1 (version=SSLv3 cipher=EXP-RC4-MD5 bits=40 verify=FAIL); 1 Jan 2001 00:00 GMT');
  assert.deepEqual([sendmailOld.tls?.version, sendmailOld.tls?.bits, sendmailOld.tls?.verified], ['SSLv3', 40, 'fail']);
});

test('version names and dates', () => {
  assert.deepEqual(['TLSv1.3', 'TLS1_3', 'tls1.2', 'TLSv1', 'TLS1.0', 'SSLv3', 'TLSv1/SSLv3', 'TLSv1.1', 'SSLv2', 'TLSv9', 'x'].map(normaliseVersion), [
    'TLSv1.3', 'TLSv1.3', 'TLSv1.2', 'TLSv1', 'TLSv1', 'SSLv3', 'TLSv1/SSLv3', 'TLSv1.1', 'SSLv2', null, null,
  ]);
  const cases: Array<[string, string | null]> = [
    ['Sun, 9 Dec 2001 16:22:10 -0800 (PST)', '2001-12-10T00:22:10.000Z'],
    ['Mon, 14 Sep 2026 10:11:12 +0200 (CEST)', '2026-09-14T08:11:12.000Z'],
    ['9 Dec 01 16:22 PST', '2001-12-10T00:22:00.000Z'],
    ['Thu, 1 Jan 70 00:00:00 GMT', '1970-01-01T00:00:00.000Z'],
    ['Tue,  3 Oct  2023 17:17:43 +0100', '2023-10-03T16:17:43.000Z'],
    ['1 Jan 2024 00:00:60 +0000', '2024-01-01T00:00:59.000Z'],
    ['31 Feb 2024 00:00:00 +0000', null],
    ['1 Foo 2024 00:00:00 +0000', null],
    ['2024-01-01T00:00:00Z', null],
    ['', null],
    ['Mon, 1 Jan 2024 24:00:00 +0000', null],
  ];
  for (const [text, iso] of cases) assert.equal(parseDateTime(text), iso, text);
});
