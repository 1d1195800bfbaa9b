// SmtpConnection (src/smtp/connection.ts) over an in-memory duplex: the session's byte cap spans
// the TLS upgrade, and a socket already closed when it is handed over fails at once instead of
// waiting for the stage deadline.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { MAX_SESSION_BYTES, SmtpConnection, StageError } from '../../src/smtp/connection.ts';

function duplex(): Duplex {
  return new Duplex({ read() {}, write(_chunk, _encoding, callback) { callback(); } });
}

test('the session byte cap counts what came before the TLS upgrade', async () => {
  const plain = duplex();
  const first = new SmtpConnection(plain as unknown as Socket, [], () => 0);
  plain.push(Buffer.from('220 hello\r\n'));
  assert.equal((await first.readReply(1000, 'greeting')).code, 220);
  const fresh = new SmtpConnection(duplex() as unknown as Socket, [], () => 0, undefined, MAX_SESSION_BYTES - 5);
  const secure = duplex();
  const near = new SmtpConnection(secure as unknown as Socket, [], () => 0, undefined, MAX_SESSION_BYTES - 5);
  secure.push(Buffer.from('250 this reply is longer than five bytes\r\n'));
  await assert.rejects(near.readReply(1000, 'reply to EHLO over TLS'), (err: unknown) => err instanceof StageError && err.kind === 'protocol' && /more than \d+ bytes/.test(err.message));
  assert.equal(fresh.bytesReceived, MAX_SESSION_BYTES - 5);
  assert.equal(first.bytesReceived, 11);
});

test('a socket that closed before the hand-over fails the next read at once', async () => {
  for (const close of [(s: Duplex) => s.destroy(), (s: Duplex) => { s.push(null); s.resume(); }]) {
    const socket = duplex();
    close(socket);
    await new Promise((resolve) => setImmediate(resolve));
    const smtp = new SmtpConnection(socket as unknown as Socket, [], () => 0);
    const started = performance.now();
    await assert.rejects(smtp.readReply(5000, 'reply to EHLO over TLS'), (err: unknown) => err instanceof StageError && err.kind === 'closed');
    assert.ok(performance.now() - started < 1000, 'not the 5 s deadline');
  }
});
