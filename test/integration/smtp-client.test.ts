// The SMTP client (src/smtp/client.ts) against the scripted fake server on loopback, compared
// whole as Go's net/smtp tests do: the lines the server received, in order, the packets the
// client wrote, the transcript, and what the client learned (EHLO keywords, forgotten at TLS).
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import type { TranscriptEntry } from '../../src/model/smtp.ts';
import { SmtpClient } from '../../src/smtp/client.ts';
import { StageError } from '../../src/smtp/connection.ts';
import { startFakeSmtp, type FakeSmtpOptions, type FakeSmtpServer } from '../helpers/fake-smtp.ts';
import { makeTestPki, type TestPki } from '../helpers/pki.ts';

/** Generous: every server here answers at once; this only keeps a broken test from hanging. */
const WAIT_MS = 10_000;

let pki: TestPki;
before(async () => {
  pki = await makeTestPki();
});

interface Session {
  client: SmtpClient;
  socket: net.Socket;
  transcript: TranscriptEntry[];
  /** What each socket.write of the client carried, in order. */
  packets: string[];
  smtp: FakeSmtpServer;
}

async function session(options: FakeSmtpOptions, fn: (s: Session) => Promise<void>): Promise<void> {
  const smtp = await startFakeSmtp(options);
  const socket = net.connect({ host: smtp.host, port: smtp.port });
  try {
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const packets: string[] = [];
    const write = socket.write.bind(socket) as (chunk: string | Buffer) => boolean;
    socket.write = ((chunk: string | Buffer) => {
      packets.push(chunk.toString());
      return write(chunk);
    }) as typeof socket.write;
    const transcript: TranscriptEntry[] = [];
    await fn({ client: new SmtpClient(socket, transcript, () => 0), socket, transcript, packets, smtp });
  } finally {
    socket.destroy();
    await smtp.close();
  }
}

const lines = (transcript: TranscriptEntry[]) => transcript.map((e) => `${e.dir}: ${e.text}`);
const EHLO_LINES = ['S: 250-fake.test', 'S: 250-PIPELINING', 'S: 250-SIZE 10240000', 'S: 250-8BITMIME'];

describe('SmtpClient', { concurrency: true }, () => {
  test('one method per command: greeting, EHLO (keywords learned), NOOP, QUIT; every line as said', async () => {
    await session({ tls: pki.certs.valid }, async ({ client, transcript, packets, smtp }) => {
      assert.equal((await client.greeting(WAIT_MS)).code, 220);
      assert.equal(client.extensions, null);
      assert.equal((await client.ehlo('probe.test', WAIT_MS)).code, 250);
      assert.deepEqual(client.extensions, ['PIPELINING', 'SIZE 10240000', '8BITMIME', 'STARTTLS']);
      assert.equal(client.startTlsOffered, true);
      assert.deepEqual(await client.noop(WAIT_MS), { code: 250, lines: ['2.0.0 OK'] });
      assert.deepEqual(await client.quit(WAIT_MS), { code: 221, lines: ['2.0.0 Bye'] });
      assert.deepEqual(smtp.sessions[0]?.commands, ['EHLO probe.test', 'NOOP', 'QUIT']);
      assert.deepEqual(packets, ['EHLO probe.test\r\n', 'NOOP\r\n', 'QUIT\r\n']);
      assert.deepEqual(lines(transcript), [
        'S: 220 fake.test ESMTP ready',
        'C: EHLO probe.test',
        ...EHLO_LINES,
        'S: 250 STARTTLS',
        'C: NOOP',
        'S: 250 2.0.0 OK',
        'C: QUIT',
        'S: 221 2.0.0 Bye',
      ]);
    });
  });

  test('pipelined commands go out in one packet and their replies are read in order', async () => {
    const replies = { NOOP: ['250 2.0.0 noop ok'], RSET: ['250 2.0.0 reset'], VRFY: ['252 2.1.5 cannot verify'] };
    await session({ replies }, async ({ client, transcript, packets, smtp }) => {
      await client.greeting(WAIT_MS);
      const got = await client.pipeline(['NOOP', 'RSET', 'VRFY postmaster'], WAIT_MS);
      assert.deepEqual(got.map((r) => [r.code, r.lines[0]]), [[250, '2.0.0 noop ok'], [250, '2.0.0 reset'], [252, '2.1.5 cannot verify']]);
      assert.deepEqual(packets, ['NOOP\r\nRSET\r\nVRFY postmaster\r\n']);
      assert.deepEqual(smtp.sessions[0]?.commands, ['NOOP', 'RSET', 'VRFY postmaster']);
      assert.deepEqual(lines(transcript).slice(1), ['C: NOOP', 'C: RSET', 'C: VRFY postmaster', 'S: 250 2.0.0 noop ok', 'S: 250 2.0.0 reset', 'S: 252 2.1.5 cannot verify']);
    });
  });

  test('a reply that never comes in a pipeline is a timeout naming its command, after the replies before it were read', async () => {
    await session({ replies: { VRFY: [] } }, async ({ client, transcript }) => {
      await client.greeting(WAIT_MS);
      await assert.rejects(client.pipeline(['NOOP', 'VRFY x'], 300), (err: unknown) => err instanceof StageError && err.kind === 'timeout' && err.message === 'timeout while reading reply to VRFY');
      assert.deepEqual(lines(transcript).slice(1), ['C: NOOP', 'C: VRFY x', 'S: 250 2.0.0 OK']);
    });
  });

  test('STARTTLS with a command pipelined behind it (the injection test): one packet, only its reply read; what the server answers to the rest is discarded and counted', async () => {
    for (const inject of ['', '250 2.0.0 OK\r\n']) {
      await session({ tls: pki.certs.valid, injectAfterStarttls: inject }, async ({ client, transcript, packets, smtp }) => {
        await client.greeting(WAIT_MS);
        await client.ehlo('probe.test', WAIT_MS);
        const started = await client.startTls(WAIT_MS, { pipelined: ['NOOP'] });
        assert.equal(started.accepted, true);
        assert.equal(started.reply.code, 220);
        if (!started.accepted) return;
        // The injected reply may still be on its way: give it a moment, then count what came.
        await new Promise((resolve) => setTimeout(resolve, 100));
        assert.equal(started.discardedBytes + started.socket.readableLength, Buffer.byteLength(inject));
        assert.deepEqual(packets.at(-1), 'STARTTLS\r\nNOOP\r\n');
        assert.deepEqual(smtp.sessions[0]?.commands, ['EHLO probe.test', 'STARTTLS', 'NOOP']);
        assert.deepEqual(lines(transcript).slice(-3), ['C: STARTTLS', 'C: NOOP', 'S: 220 2.0.0 Ready to start TLS']);
        assert.ok(!lines(transcript).some((l) => l.includes('2.0.0 OK')), 'the discarded reply is never a transcript line');
      });
    }
  });

  test('STARTTLS refused with a command pipelined behind it: its reply is read too, so the next command gets its own', async () => {
    await session({ tls: pki.certs.valid, starttlsReply: '454 4.7.0 TLS not available' }, async ({ client, packets }) => {
      await client.greeting(WAIT_MS);
      const started = await client.startTls(WAIT_MS, { pipelined: ['NOOP'] });
      assert.equal(started.accepted, false);
      if (started.accepted) return;
      assert.deepEqual([started.reply.code, started.pipelined], [454, [{ code: 250, lines: ['2.0.0 OK'] }]]);
      assert.deepEqual(await client.quit(WAIT_MS), { code: 221, lines: ['2.0.0 Bye'] });
      assert.deepEqual(packets, ['STARTTLS\r\nNOOP\r\n', 'QUIT\r\n']);
    });
  });

  test('STARTTLS swaps the connection: keywords learned in plaintext are forgotten, EHLO is asked again over TLS; no command in between', async () => {
    await session({ tls: pki.certs.valid }, async ({ client, transcript, smtp }) => {
      await client.greeting(WAIT_MS);
      await client.ehlo('probe.test', WAIT_MS);
      const started = await client.startTls(WAIT_MS);
      assert.ok(started.accepted);
      assert.equal(client.extensions, null);
      assert.equal(client.startTlsOffered, false);
      await assert.rejects(client.noop(WAIT_MS), /between STARTTLS and the TLS handshake/);
      const secure = tls.connect({ socket: started.socket, ca: pki.rootPem, servername: 'mx.test' });
      await new Promise<void>((resolve, reject) => secure.once('secureConnect', resolve).once('error', reject));
      client.useTls(secure);
      assert.equal(client.tls, true);
      assert.equal((await client.ehlo('probe.test', WAIT_MS)).code, 250);
      assert.deepEqual(client.extensions, ['PIPELINING', 'SIZE 10240000', '8BITMIME']);
      await client.quit(WAIT_MS);
      secure.destroy();
      assert.deepEqual(smtp.sessions[0]?.commands, ['EHLO probe.test', 'STARTTLS', 'EHLO probe.test', 'QUIT']);
      assert.equal(smtp.sessions[0]?.tls, true);
      assert.deepEqual(lines(transcript).slice(-7), ['C: EHLO probe.test', ...EHLO_LINES.slice(0, 3), 'S: 250 8BITMIME', 'C: QUIT', 'S: 221 2.0.0 Bye']);
    });
  });

  test('STARTTLS refused: the session stays in plaintext with what it learned', async () => {
    await session({ tls: pki.certs.valid, starttlsReply: '454 4.7.0 TLS not available' }, async ({ client }) => {
      await client.greeting(WAIT_MS);
      await client.ehlo('probe.test', WAIT_MS);
      const started = await client.startTls(WAIT_MS);
      assert.deepEqual([started.accepted, started.reply.code], [false, 454]);
      assert.equal(client.startTlsOffered, true);
      assert.equal((await client.noop(WAIT_MS)).code, 250);
    });
  });

  test('a command line with a line break is refused before anything is written (it would be two commands)', async () => {
    await session({}, async ({ client, packets }) => {
      await client.greeting(WAIT_MS);
      await assert.rejects(client.ehlo('probe.test\r\nMAIL FROM:<x>', WAIT_MS), TypeError);
      await assert.rejects(client.pipeline(['NOOP', 'RSET\nQUIT'], WAIT_MS), TypeError);
      assert.deepEqual(packets, []);
    });
  });
});
