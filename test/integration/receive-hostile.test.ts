// Hostile clients against mxprobe receive's server (in process, loopback): pipelined garbage,
// a 10 MB line, a slow trickle, a never-ending DATA, plaintext injected after STARTTLS, a flood
// of sessions. Each ends within its bound (generous: the machine may be busy) with a reply and
// an outcome, and a normal sender served at the same time is not harmed.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Receiver } from '../../src/receive/receiver.ts';
import { makeWrongNameCertificate, type PemPair } from '../../src/receive/wrong-name-certificate.ts';
import type { SessionRecord } from '../../src/model/receive.ts';
import { attempt, connect, selfSigned, type LineClient } from '../helpers/smtp-sender.ts';

let valid: ReturnType<typeof selfSigned>;
let wrongName: PemPair;

before(async () => {
  valid = selfSigned('mx.test');
  wrongName = await makeWrongNameCertificate();
});

async function withReceiver(fn: (port: number, sessions: SessionRecord[], receiver: Receiver) => Promise<void>, options: Partial<ConstructorParameters<typeof Receiver>[0]> = {}): Promise<void> {
  const sessions: SessionRecord[] = [];
  const receiver = new Receiver({ host: '127.0.0.1', port: 0, valid: { cert: valid.cert, key: valid.key }, wrongName, name: 'mx.test', onSession: (s) => sessions.push(s), ...options });
  const { port } = await receiver.listen();
  try {
    await fn(port, sessions, receiver);
  } finally {
    await receiver.close(500);
  }
}

/** Resolves when the client's connection has closed (or after `ms`, with false). */
async function closedWithin(c: LineClient, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!c.closed && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  return c.closed;
}

/** A normal (b) sender's first attempt, alongside: it must get its 451 as if alone. */
const normalSender = (port: number) => attempt(port, '127.0.0.20', 'b', valid.cert);

test('pipelined garbage: each bad command gets an error, the session ends with 421 after the 20th, a parallel sender is served', async () => {
  await withReceiver(async (port, sessions) => {
    const c = await connect(port, '127.0.0.21');
    await c.reply();
    const normal = normalSender(port);
    c.socket.write(`${Array.from({ length: 200 }, (_, i) => `GARBAGE\x1b[31m ${i}`).join('\r\n')}\r\n`);
    assert.equal(await closedWithin(c, 10_000), true);
    assert.deepEqual(await normal, { result: 451 });
    await new Promise((r) => setTimeout(r, 200));
    const hostile = sessions.find((s) => s.ip === '127.0.0.21');
    assert.equal(hostile?.outcome, 'error');
    assert.equal(hostile?.badCommands, 20);
    assert.equal(hostile?.counted, false);
  });
});

test('a 10 MB command line is cut at the line cap: 500 and the session ends at once; a parallel sender is served', async () => {
  await withReceiver(async (port, sessions) => {
    const c = await connect(port, '127.0.0.22');
    await c.reply();
    const normal = normalSender(port);
    c.socket.write(Buffer.alloc(10 * 1024 * 1024, 0x41));
    const reply = await c.reply();
    assert.equal(reply?.code, 500);
    assert.equal(await closedWithin(c, 10_000), true);
    assert.deepEqual(await normal, { result: 451 });
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(sessions.find((s) => s.ip === '127.0.0.22')?.outcome, 'too-large');
  });
});

test('a slow trickle (a byte every 100 ms) is ended by the session deadline', async () => {
  await withReceiver(
    async (port, sessions) => {
      const c = await connect(port, '127.0.0.23');
      await c.reply();
      const trickle = setInterval(() => c.socket.write('N'), 100);
      try {
        assert.equal(await closedWithin(c, 15_000), true);
      } finally {
        clearInterval(trickle);
      }
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(sessions.find((s) => s.ip === '127.0.0.23')?.outcome, 'timeout');
    },
    { limits: { sessionMs: 1500, idleMs: 1000 } },
  );
});

test('a silent client is ended by the idle deadline', async () => {
  await withReceiver(
    async (port, sessions) => {
      const c = await connect(port, '127.0.0.24');
      await c.reply();
      assert.equal(await closedWithin(c, 15_000), true);
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(sessions.find((s) => s.ip === '127.0.0.24')?.outcome, 'timeout');
    },
    { limits: { idleMs: 500 } },
  );
});

test('a never-ending DATA is refused with 552 at the message cap and the session ends; a parallel sender is served', async () => {
  await withReceiver(
    async (port, sessions) => {
      const c = await connect(port, '127.0.0.25');
      await c.reply();
      await c.command('EHLO hostile.test');
      await c.command('MAIL FROM:<x@hostile.test>');
      await c.command('RCPT TO:<y@bank.test>');
      assert.equal(await c.command('DATA'), 354);
      const normal = normalSender(port);
      const line = `${'x'.repeat(998)}\r\n`;
      const flood = setInterval(() => {
        if (!c.socket.destroyed) c.socket.write(line.repeat(64));
      }, 5);
      try {
        const reply = await c.reply(15_000);
        assert.equal(reply?.code, 552);
        assert.equal(await closedWithin(c, 10_000), true);
      } finally {
        clearInterval(flood);
      }
      assert.deepEqual(await normal, { result: 451 });
      await new Promise((r) => setTimeout(r, 200));
      const s = sessions.find((x) => x.ip === '127.0.0.25');
      assert.equal(s?.outcome, 'too-large');
      assert.equal(s?.dataReply, '552');
    },
    { limits: { messageBytes: 256 * 1024 } },
  );
});

test('plaintext sent with STARTTLS before the handshake is discarded, never read as a command', async () => {
  await withReceiver(async (port, sessions) => {
    const c = await connect(port, '127.0.0.26');
    await c.reply();
    await c.command('EHLO injector.test');
    c.socket.write('STARTTLS\r\nMAIL FROM:<injected@evil.test>\r\n');
    assert.equal((await c.reply())?.code, 220);
    const up = await c.upgrade({ servername: 'mx.test', rejectUnauthorized: false });
    assert.ok(up.socket !== null, 'the handshake goes on');
    // Had the injected MAIL been read, a second MAIL would be refused as nested (503).
    assert.equal(await c.command('EHLO injector.test'), 250);
    assert.equal(await c.command('MAIL FROM:<real@partner.test>'), 250);
    await c.command('QUIT');
    c.close();
    await new Promise((r) => setTimeout(r, 300));
    const s = sessions.find((x) => x.ip === '127.0.0.26');
    assert.equal(s?.injectionRefused, true);
    assert.equal(s?.mailFrom, 'real@partner.test');
  });
});

test('sessions past the per-IP cap are refused with 421 (recorded as refused) while others are served', async () => {
  await withReceiver(
    async (port, sessions) => {
      const held = await Promise.all([connect(port, '127.0.0.27'), connect(port, '127.0.0.27')]);
      for (const h of held) await h.reply();
      const third = await connect(port, '127.0.0.27');
      assert.equal((await third.reply())?.code, 421);
      assert.deepEqual(await normalSender(port), { result: 451 });
      for (const h of [...held, third]) h.close();
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(sessions.filter((s) => s.outcome === 'refused').length, 1);
    },
    { maxSessionsPerIp: 2 },
  );
});

test('after a 451 that moves the sender to its next round, more mail in the same session is turned away with 421 (a new session gets the next round)', async () => {
  await withReceiver(async (port, sessions) => {
    const c = await connect(port, '127.0.0.28');
    await c.reply();
    await c.command('EHLO again.test');
    await c.command('MAIL FROM:<a@again.test>');
    await c.command('RCPT TO:<b@bank.test>');
    await c.command('DATA');
    c.send('Subject: one\r\n\r\nbody\r\n.');
    assert.equal((await c.reply())?.code, 550, 'plaintext in round 1: decided (a)');
    assert.equal(await c.command('MAIL FROM:<a@again.test>'), 250, 'a decided sender may go on; it is refused at DATA');
    await c.command('QUIT');
    c.close();
    const d = await connect(port, '127.0.0.29');
    await d.reply();
    await d.command('EHLO again.test');
    assert.equal(await d.command('STARTTLS'), 220);
    await d.upgrade({ servername: 'mx.test', rejectUnauthorized: false });
    await d.command('EHLO again.test');
    await d.command('MAIL FROM:<a@again.test>');
    await d.command('RCPT TO:<b@bank.test>');
    await d.command('DATA');
    d.send('Subject: one\r\n\r\nbody\r\n.');
    assert.equal((await d.reply())?.code, 451);
    assert.equal(await d.command('MAIL FROM:<a@again.test>'), 421);
    d.close();
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(sessions.length, 2);
  });
});

test('the end of DATA cut by the network (".", "\\r", "\\n" apart) is still the end; commands pipelined after it in the same write are answered', async () => {
  await withReceiver(async (port, sessions) => {
    const c = await connect(port, '127.0.0.30');
    await c.reply();
    await c.command('EHLO split.test');
    c.socket.write('MAIL FROM:<a@split.test>\r\nRCPT TO:<b@bank.test>\r\nDATA\r\n');
    assert.equal((await c.reply())?.code, 250);
    assert.equal((await c.reply())?.code, 250);
    assert.equal((await c.reply())?.code, 354);
    for (const piece of ['Subject: split\r\n\r\n..dot\r\n', '.', '\r', '\n']) {
      c.socket.write(piece);
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal((await c.reply())?.code, 550, 'plaintext in round 1: decided');
    c.socket.write('RSET\r\nNOOP\r\nQUIT\r\n');
    assert.deepEqual([(await c.reply())?.code, (await c.reply())?.code, (await c.reply())?.code], [250, 250, 221]);
    await closedWithin(c, 5000);
    await new Promise((r) => setTimeout(r, 200));
    const s = sessions.find((x) => x.ip === '127.0.0.30');
    assert.equal(s?.message?.size, 'Subject: split\r\n\r\n.dot\r\n'.length, 'dot-unstuffed, the end mark not in the message');
    assert.equal(s?.outcome, 'message');
  });
});
