// The renderers of mxprobe receive (render/receive-text.ts, render/receive-json.ts): golden text
// and NDJSON for sessions of every kind and senders decided or not; hostile strings a client
// chose (EHLO, SNI, envelope, certificate names, OpenSSL's words) never reach the terminal raw.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { receiveSessionText, receiveSenderText, receiveSummaryText } from '../../src/render/receive-text.ts';
import { receiveJson, receiveNdjsonLine } from '../../src/render/receive-json.ts';
import type { SenderRecord, SessionRecord } from '../../src/model/receive.ts';
import { golden } from '../helpers/golden.ts';

const session = (over: Partial<SessionRecord>): SessionRecord => ({
  record: 'session',
  id: 1,
  ip: '192.0.2.7',
  reverseName: 'out.partner.example',
  ehlo: 'out.partner.example',
  helo: false,
  startedTls: true,
  tls: { protocol: 'TLSv1.2', cipher: 'ECDHE-RSA-AES256-GCM-SHA384', keyExchange: 'ECDHE', sni: 'mx.bank.example' },
  tlsError: null,
  clientCertificate: null,
  round: 1,
  counted: true,
  offered: { starttls: true, certificate: 'valid' },
  outcome: 'message',
  dataReply: '451',
  mailFrom: 'test@partner.example',
  rcptTo: ['tls-test@bank.example'],
  message: { size: 1234, received: null, savedAs: 'session-1-20261202T160000000Z.eml' },
  badCommands: 0,
  injectionRefused: false,
  timings: { startedAt: '2026-12-02T16:00:00.000Z', tlsMs: 12, dataMs: 3, totalMs: 410 },
  ...over,
});

const SESSIONS: SessionRecord[] = [
  session({}),
  session({ id: 2, round: 2, offered: { starttls: true, certificate: 'wrong-name' }, tls: null, tlsError: 'alert bad certificate', outcome: 'quit-after-handshake', dataReply: null, message: null, mailFrom: null, rcptTo: [] }),
  session({ id: 3, round: 3, offered: { starttls: false, certificate: null }, startedTls: false, tls: null, outcome: 'quit', dataReply: null, message: null, mailFrom: null, rcptTo: [] }),
  session({ id: 4, ip: '198.51.100.9', reverseName: null, counted: false, ehlo: null, startedTls: false, tls: null, outcome: 'refused', dataReply: null, message: null, mailFrom: null, rcptTo: [] }),
  session({
    id: 5,
    ip: '198.51.100.10',
    reverseName: null,
    clientCertificate: { chain: [{ subject: 'CN=client.partner.example' } as never], trusted: false, error: 'DEPTH_ZERO_SELF_SIGNED_CERT' },
    outcome: 'too-large',
    dataReply: '552',
    message: null,
    badCommands: 3,
    injectionRefused: true,
  }),
];

const SENDERS: SenderRecord[] = [
  { record: 'sender', ip: '192.0.2.7', reverseName: 'out.partner.example', policies: ['d'], observed: [1, 2, 3], missing: [], decided: true, sessions: 3, notes: ['left without a message after the handshake with the wrong-name certificate: it verifies'], meets: true },
  { record: 'sender', ip: '198.51.100.10', reverseName: null, policies: ['b', 'c', 'd'], observed: [1], missing: [2, 3], decided: false, sessions: 1, notes: [], meets: null },
  { record: 'sender', ip: '203.0.113.5', reverseName: null, policies: ['a'], observed: [1], missing: [], decided: true, sessions: 1, notes: ['delivered in plaintext although STARTTLS was offered'], meets: false },
];

test('text: a block per session of every kind, then a verdict line per sender (golden)', () => {
  golden('receive.txt', SESSIONS.map(receiveSessionText).join('') + receiveSummaryText(SENDERS, 'c'));
});

test('NDJSON: a record per line, record and schemaVersion first (golden); JSON: the same records in one document', () => {
  const ndjson = [...SESSIONS, ...SENDERS].map(receiveNdjsonLine).join('');
  golden('receive.ndjson', ndjson);
  for (const line of ndjson.trim().split('\n')) {
    const keys = Object.keys(JSON.parse(line));
    assert.deepEqual(keys.slice(0, 2), ['record', 'schemaVersion']);
  }
  const doc = JSON.parse(receiveJson({ schemaVersion: 1, sessions: SESSIONS, senders: SENDERS }));
  assert.equal(doc.sessions.length, 5);
  assert.deepEqual(doc.senders[1].missing, [2, 3]);
});

test('no sender: one line that says so', () => {
  assert.equal(receiveSummaryText([], null), 'no sender observed (no session got as far as a round)\n');
});

test('hostile strings a client chose are shown escaped in text and JSON: no escape sequence, bidi override or line break reaches the output', () => {
  const evil = 'x\x1b[2J\u202egnp.exe\r\nFAKE: line\x9b31m';
  const s = session({
    ehlo: evil,
    reverseName: evil,
    tls: { protocol: evil, cipher: evil, keyExchange: null, sni: evil },
    mailFrom: evil,
    message: { size: 1, received: null, savedAs: evil },
    clientCertificate: { chain: [{ subject: evil } as never], trusted: false, error: evil },
  });
  const text = receiveSessionText(s) + receiveSenderText({ ...SENDERS[0]!, ip: evil, reverseName: evil }, 'd');
  assert.doesNotMatch(text, /[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e]/);
  assert.match(text, /x\\x1b\[2J\\u202egnp\.exe\\x0d\\x0aFAKE: line\\x9b31m/);
  const lines = receiveNdjsonLine(s);
  assert.equal(lines.split('\n').length, 2, 'one line and its end');
  assert.doesNotMatch(lines, /[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e]/);
  assert.equal(JSON.parse(lines).ehlo, evil, 'the JSON keeps the value, escaped');
  assert.doesNotMatch(receiveJson({ schemaVersion: 1, sessions: [s], senders: [] }), /[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e]/);
});
