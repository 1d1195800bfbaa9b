import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReplyFormatError, ReplyParser } from '../../src/smtp/reply-parser.ts';

function parseAll(chunks: Array<string | Buffer>, limits?: { maxLineBytes: number; maxLines: number }) {
  const parser = new ReplyParser(limits);
  const replies = [];
  for (const chunk of chunks) {
    parser.push(typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk);
    for (let r = parser.next(); r !== null; r = parser.next()) replies.push(r);
  }
  return { replies, parser };
}

test('single-line reply', () => {
  const { replies } = parseAll(['220 mx.example.com ESMTP ready\r\n']);
  assert.deepEqual(replies, [{ code: 220, lines: ['mx.example.com ESMTP ready'] }]);
});

test('multi-line reply keeps every line in order', () => {
  const { replies } = parseAll(['250-mx.example.com\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 8BITMIME\r\n']);
  assert.deepEqual(replies, [{ code: 250, lines: ['mx.example.com', 'PIPELINING', 'STARTTLS', '8BITMIME'] }]);
});

test('a reply split across chunks at every byte gives the same result', () => {
  const text = '250-mx.example.com hi\r\n250-SIZE 1000\r\n250 STARTTLS\r\n';
  const { replies } = parseAll([...text]);
  assert.deepEqual(replies, [{ code: 250, lines: ['mx.example.com hi', 'SIZE 1000', 'STARTTLS'] }]);
});

test('bare LF line endings are accepted', () => {
  const { replies } = parseAll(['220-first\n220 second\n']);
  assert.deepEqual(replies, [{ code: 220, lines: ['first', 'second'] }]);
});

test('a code with no text is a complete reply', () => {
  const { replies } = parseAll(['250\r\n']);
  assert.deepEqual(replies, [{ code: 250, lines: [''] }]);
});

test('two replies in one chunk come out one at a time', () => {
  const { replies, parser } = parseAll(['220 go ahead\r\n250 injected\r\n']);
  assert.equal(replies.length, 2);
  assert.equal(parser.pendingBytes, 0);
});

test('bytes after the last complete line are pending', () => {
  const parser = new ReplyParser();
  parser.push(Buffer.from('220 ready\r\nGARBAGE'));
  assert.deepEqual(parser.next(), { code: 220, lines: ['ready'] });
  assert.equal(parser.next(), null);
  assert.equal(parser.pendingBytes, 7);
});

test('8-bit text: valid UTF-8 is kept, invalid bytes become U+FFFD', () => {
  const { replies } = parseAll([Buffer.concat([Buffer.from('220 Grüße '), Buffer.from([0xff, 0xfe]), Buffer.from('\r\n')])]);
  assert.equal(replies[0]?.lines[0], 'Grüße \ufffd\ufffd');
});

test('an oversize line without newline is refused before it is buffered further', () => {
  const parser = new ReplyParser({ maxLineBytes: 100, maxLines: 10 });
  assert.throws(() => parser.push(Buffer.alloc(101, 0x41)), ReplyFormatError);
});

test('an oversize line with newline is refused', () => {
  const parser = new ReplyParser({ maxLineBytes: 100, maxLines: 10 });
  parser.push(Buffer.from(`220 ${'x'.repeat(200)}\r\n`));
  assert.throws(() => parser.next(), /longer than 100 bytes/);
});

test('too many lines in one reply are refused', () => {
  const parser = new ReplyParser({ maxLineBytes: 100, maxLines: 5 });
  parser.push(Buffer.from('250-x\r\n'.repeat(6)));
  assert.throws(() => parser.next(), /longer than 5 lines/);
});

test('malformed lines are refused', () => {
  for (const bad of ['hello\r\n', '22 short\r\n', '620 bad class\r\n', '220x ready\r\n', 'HTTP/1.1 400 Bad\r\n']) {
    const parser = new ReplyParser();
    parser.push(Buffer.from(bad));
    assert.throws(() => parser.next(), ReplyFormatError, bad);
  }
});

test('a code change inside a multi-line reply is refused', () => {
  const parser = new ReplyParser();
  parser.push(Buffer.from('250-one\r\n251 two\r\n'));
  assert.throws(() => parser.next(), /code changed/);
});

test('every completed line is reported for the transcript', () => {
  const seen: string[] = [];
  const parser = new ReplyParser(undefined, (line) => seen.push(line));
  parser.push(Buffer.from('250-a\r\n250 b\r\n'));
  parser.next();
  assert.deepEqual(seen, ['250-a', '250 b']);
});
