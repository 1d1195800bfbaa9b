import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { HeaderReader, MessageSplitter, readHeader, splitMessages, type RawMessage } from '../../src/headers/read-message.ts';

const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`../fixtures/headers/${name}`, import.meta.url)), 'utf8');

test('a single message: header up to the first empty line, Received fields oldest first', () => {
  const split = splitMessages(fixture('postfix.eml'));
  assert.equal(split.kind, 'single');
  assert.equal(split.messagesFound, 1);
  const header = split.messages[0]?.header ?? readHeader('');
  assert.equal(header.receivedCount, 4);
  assert.deepEqual(
    header.received.map((r) => r.fieldIndex),
    [3, 2, 1, 0],
  );
  assert.match(header.received[0]?.value ?? '', /^from \[192\.0\.2\.44\]/);
  assert.match(header.received[3]?.value ?? '', /^from mx\.receiver\.example\tby imap/);
  assert.equal(header.messageId, '<tls-test-1@sender.example>');
  assert.equal(header.subject, 'TLS test');
  assert.equal(header.headerOnly, false);
  assert.equal(header.truncated, false);
  assert.equal(header.repairedLines, 0);
});

test('unfolding removes only the line breaks (RFC 5322 §2.2.3), with CRLF line ends', () => {
  const header = readHeader(fixture('folded.eml'));
  assert.equal(header.receivedCount, 3);
  const top = header.received[2]?.value ?? '';
  assert.ok(!top.includes('\r') && !top.includes('\n'));
  assert.match(top, /cipher EDH-RSA-DES-\tCBC3-SHA \(168 bits\)/);
  assert.equal(header.subject, 'folded across\tthree lines');
  assert.equal(header.received[0]?.value, 'from ws.example.edu (ws.example.edu [10.0.0.20]) (using TLSv1.2 with cipher ECDHE-RSA-AES128-GCM-SHA256 (128/128 bits)) by grue.example.edu (Postfix) with ESMTPSA id 9F8E7D6C5B; Sun, 9 Dec 2001 16:22:05 -0800');
});

test('a pasted header that lost its indentation: lines joined with a space, counted', () => {
  const header = readHeader(fixture('faq-002.eml'));
  assert.equal(header.repairedLines, 5);
  assert.equal(header.headerOnly, true);
  assert.equal(header.receivedCount, 2);
  assert.equal(
    header.received[1]?.value,
    'from mail.example.edu (IDENT:smmsp@mail.example.edu [10.0.0.11]) by example.org (8.12.1/8.12.1) with ESMTP id fBA0M7gU038106 (using TLSv1/SSLv3 with cipher EDH-RSA-DES- CBC3-SHA (168 bits) verified FAIL) for <user@example.org>; Sun, 9 Dec 2001 16:22:10 -0800 (PST)',
  );
});

test('odd field names: any case, white space before the colon (RFC 5322 §4.5)', () => {
  const header = readHeader(fixture('odd-spacing.eml'));
  assert.equal(header.receivedCount, 4);
});

test('X-Received and ARC fields are not Received fields', () => {
  assert.equal(readHeader(fixture('gmail.eml')).receivedCount, 2);
});

test('an mbox: messages start at From_ lines after an empty line', () => {
  const split = splitMessages(fixture('two-messages.mbox'));
  assert.equal(split.kind, 'mbox');
  assert.equal(split.messagesFound, 2);
  assert.deepEqual(
    split.messages.map((m) => m.envelopeFrom),
    ['alice@sender.example Mon Sep 14 08:11:12 2026', 'bob@sender.example Tue Sep 15 09:00:00 2026'],
  );
  assert.deepEqual(
    split.messages.map((m) => m.header.messageId),
    ['<mbox-1@sender.example>', '<mbox-2@sender.example>'],
  );
});

test('a bare header block, and empty input', () => {
  const header = readHeader(fixture('header-only.txt'));
  assert.equal(header.headerOnly, true);
  assert.equal(header.receivedCount, 1);
  assert.equal(splitMessages('').kind, 'empty');
  assert.equal(splitMessages(' \r\n\n\t').kind, 'empty');
  assert.equal(splitMessages('\ufeffReceived: x').messages[0]?.header.received[0]?.value, 'x');
});

test('leading empty lines before a pasted header are skipped', () => {
  assert.equal(readHeader('\n\r\nReceived: from a by b; Mon, 1 Jan 2024 00:00:00 +0000\n').receivedCount, 1);
});

test('caps: Received fields (newest kept), field length, header length, messages', () => {
  const many = Array.from({ length: 12 }, (_, i) => `Received: from h${i} by x with ESMTPS; Mon, 1 Jan 2024 00:00:00 +0000\n`).join('');
  const capped = readHeader(many, { receivedFields: 5 });
  assert.equal(capped.receivedCount, 12);
  assert.equal(capped.receivedTruncated, true);
  assert.deepEqual(
    capped.received.map((r) => r.value.split(' ')[1]),
    ['h4', 'h3', 'h2', 'h1', 'h0'],
  );

  const long = readHeader(`Received: from a${'a'.repeat(100)}\n by b\n`, { fieldChars: 20 });
  assert.equal(long.received[0]?.truncated, true);
  assert.equal(long.received[0]?.value, 'from aaaaaaaaaaaaaa'); // 20 characters with the space after the colon, trimmed

  const big = readHeader(`Subject: x\nX-Pad: ${'p'.repeat(5000)}\nReceived: from a by b\n`, { headerChars: 1000 });
  assert.equal(big.truncated, true);
  assert.equal(big.receivedCount, 0);

  const mbox = Array.from({ length: 7 }, (_, i) => `From m${i} Mon Jan  1 00:00:00 2024\nSubject: ${i}\n\nbody\n\n`).join('');
  const split = splitMessages(mbox, { messages: 3 });
  assert.equal(split.messagesFound, 7);
  assert.equal(split.messages.length, 3);
  assert.equal(split.messages[2]?.header.subject, '2');
});

/** Feeds `text` to a splitter in pieces cut at the given sizes (cycled), as a stream would. */
function splitInPieces(text: string, sizes: readonly number[]): { messages: RawMessage[]; found: number } {
  const messages: RawMessage[] = [];
  const splitter = new MessageSplitter({}, (m) => messages.push(m));
  for (let at = 0, k = 0; at < text.length; k++) {
    const size = sizes[k % sizes.length] ?? 1;
    splitter.push(text.slice(at, at + size));
    at += size;
  }
  return { messages, found: splitter.end({ inputCut: false }).messagesFound };
}

test('streaming: any cut of the text into pieces reads the same messages as the whole text', () => {
  const corpus = ['two-messages.mbox', 'folded.eml', 'faq-002.eml', 'gmail.eml', 'garbage.eml', 'header-only.txt'].map(fixture);
  corpus.push('From a\n\nFrom b\nSubject: b\n\nbody\r\n\r\nFrom c\r\nReceived: from x by y\r\n\tz; Mon, 1 Jan 2024 00:00:00 +0000\r\n\r\n');
  for (const text of corpus) {
    const whole = splitMessages(text);
    for (const sizes of [[1], [2, 3], [7], [64], [1, 1000]]) {
      const pieces = splitInPieces(text, sizes);
      assert.equal(pieces.found, whole.messagesFound, `${JSON.stringify(sizes)} ${text.slice(0, 30)}`);
      assert.deepEqual(pieces.messages, whole.messages, `${JSON.stringify(sizes)} ${text.slice(0, 30)}`);
    }
  }
});

test('streaming: an endless line or body is not kept; each message is handed on when its header ends', () => {
  const handed: number[] = [];
  const splitter = new MessageSplitter({ headerChars: 100 }, (m) => handed.push(m.index));
  splitter.push('From a Mon Jan  1 00:00:00 2024\nSubject: one\n\n');
  assert.deepEqual(handed, [1], 'handed on at the empty line, before any body');
  for (let i = 0; i < 1000; i++) splitter.push('x'.repeat(10_000)); // 10 MB body line
  splitter.push('\n\nFrom b\nSubject: ');
  for (let i = 0; i < 1000; i++) splitter.push('y'.repeat(10_000)); // 10 MB header line: cut at 100
  assert.deepEqual(handed, [1, 2], 'a header cut at its cap is handed on at the cap');
  const summary = splitter.end({ inputCut: false });
  assert.equal(summary.messagesFound, 2);
});

test('HeaderReader: the cap stops a header of endless blank lines or of one endless line', () => {
  const blank = new HeaderReader({ headerChars: 10 });
  let more = true;
  for (let i = 0; i < 100 && more; i++) more = blank.line('', true, 1);
  assert.equal(more, false);
  assert.equal(blank.finish({ inputCut: false }).truncated, true);
  const long = new HeaderReader({ headerChars: 10 });
  assert.equal(long.line('Subject: 0123456789', false, 0), false);
  const header = long.finish({ inputCut: false });
  assert.deepEqual([header.truncated, header.subject, header.chars], [true, '0', 10]);
});

test('a header cut by the end of a capped input is marked, not taken for a bare header block', () => {
  const reader = new HeaderReader();
  reader.line('Received: from a by b with ESMTPS', true, 1);
  const cut = reader.finish({ inputCut: true });
  assert.deepEqual([cut.inputCut, cut.headerOnly], [true, false]);
});
