// An exception in mxprobe's own code is an internal error, never the server's fault: only a
// StageError (what the server did, or an abort) becomes a probe's failure. A dependency made to
// throw, wherever the probe calls it (setting up the handshake, reading the session, the
// modern re-check, the reply parser), makes probeAddress reject with that very error, its
// sockets closed; the CLI then exits 70 with one line, and MXPROBE_DEBUG=1 adds the stack.
// Before, each of these was reported as the server's SMTP_PROTOCOL_ERROR or a TLS failure.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import tls from 'node:tls';
import { probeAddress, type ProbeOptions } from '../../src/probe/probe-address.ts';
import { makeTrustStore, type TrustStore } from '../../src/cert/trust-store.ts';
import { SmtpConnection } from '../../src/smtp/connection.ts';
import { startFakeSmtp, type FakeSmtpOptions } from '../helpers/fake-smtp.ts';
import { withFakeDns } from '../helpers/fake-dns.ts';
import { makeTestPki, type TestPki } from '../helpers/pki.ts';
import { runCli, serverArgs, type CliRun } from '../helpers/run-cli.ts';

const FAULT = 'injected fault';

let pki: TestPki;
let options: ProbeOptions;
let dir: string;
before(async () => {
  pki = await makeTestPki();
  options = { timeoutMs: 20_000, connectTimeoutMs: 10_000, ehloName: 'probe.test', trust: makeTrustStore([pki.rootPem]) };
  dir = mkdtempSync(path.join(os.tmpdir(), 'mxprobe-internal-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** The trust store with one property that throws when read: a bug in a dependency. */
function breaking(trust: TrustStore, key: keyof TrustStore): TrustStore {
  return Object.defineProperty({ ...trust }, key, {
    get() {
      throw new TypeError(FAULT);
    },
  });
}

const isFault = (err: unknown) => err instanceof TypeError && err.message === FAULT;

async function expectFault(fake: FakeSmtpOptions, probeOptions: () => ProbeOptions): Promise<void> {
  const smtp = await startFakeSmtp(fake);
  try {
    await assert.rejects(probeAddress({ host: 'mx.test', ip: smtp.host, family: 4, port: smtp.port }, probeOptions()), isFault);
    // Its sockets are closed all the same.
    const deadline = Date.now() + 5000;
    while (smtp.open > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(smtp.open, 0, 'the server saw every connection closed');
  } finally {
    await smtp.close();
  }
}

describe('probeAddress: a bug is thrown as it is, never recorded as the server\'s failure', { concurrency: 1 }, () => {
  test('setting up the handshake (STARTTLS and implicit TLS)', async () => {
    await expectFault({ tls: pki.certs.valid }, () => ({ ...options, trust: breaking(options.trust, 'secureContext') }));
    await expectFault({ tls: pki.certs.valid, implicitTls: true }, () => ({ ...options, tlsMode: 'implicit', trust: breaking(options.trust, 'secureContext') }));
  });

  test('reading the established session (the certificates)', async () => {
    await expectFault({ tls: pki.certs.valid }, () => ({ ...options, trust: breaking(options.trust, 'certificates') }));
  });

  test('the modern re-check on its second connection', async () => {
    const connect = tls.connect;
    let calls = 0;
    tls.connect = ((...args: Parameters<typeof tls.connect>) => {
      if (++calls === 2) throw new TypeError(FAULT);
      return connect(...args);
    }) as typeof tls.connect;
    try {
      await expectFault({ tls: { ...pki.certs.valid, minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' } }, () => options);
      assert.equal(calls, 2);
    } finally {
      tls.connect = connect;
    }
  });
});

test('SmtpConnection: a bug in reading a reply rejects the read with it (before, it was thrown from the socket\'s data event)', async () => {
  const socket = new Duplex({ read() {}, write(_chunk, _encoding, callback) { callback(); } });
  const limits = {
    get maxLineBytes(): number {
      throw new TypeError(FAULT);
    },
    maxLines: 100,
  };
  const smtp = new SmtpConnection(socket as unknown as Socket, [], () => 0, limits);
  // A chunk without a line end makes the parser check the line length as it arrives.
  socket.push(Buffer.from('220 hel'));
  await assert.rejects(smtp.readReply(5000, 'server greeting'), isFault);
  await assert.rejects(smtp.command('QUIT', 5000), isFault, 'and every read after it');
});

/** Runs the built CLI with tls.connect made to throw (a preloaded module), as a bug would. */
function runBroken(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  const hook = path.join(dir, 'break-tls.mjs');
  writeFileSync(hook, `import tls from 'node:tls';\ntls.connect = () => { throw new TypeError(${JSON.stringify(FAULT)}); };\n`);
  return runCli(args, { nodeArgs: ['--import', hook], env: { MXPROBE_DEBUG: undefined, ...env } });
}

describe('the CLI: an internal error is exit 70, one line, the stack only with MXPROBE_DEBUG=1', { concurrency: true }, () => {
  test('one server (--server)', async () => {
    const smtp = await startFakeSmtp({ tls: pki.certs.valid });
    try {
      const args = [...serverArgs(smtp), '--ca-file', pki.caFile, '--json'];
      const [quiet, debug] = await Promise.all([runBroken(args), runBroken(args, { MXPROBE_DEBUG: '1' })]);
      assert.equal(quiet.code, 70, quiet.stderr);
      assert.equal(quiet.stderr, `mxprobe: internal error: ${FAULT}\n`);
      assert.equal(quiet.stdout, '', 'no report that blames the server');
      assert.equal(debug.code, 70);
      assert.match(debug.stderr, new RegExp(`^mxprobe: internal error: ${FAULT}\\nTypeError: ${FAULT}\\n\\s+at `));
    } finally {
      await smtp.close();
    }
  });

  test('a batch (--input)', async () => {
    const smtp = await startFakeSmtp({ tls: pki.certs.valid });
    try {
      const zone = { 'partner.test': { MX: [{ preference: 10, exchange: 'mx.test' }] }, 'mx.test': { A: ['127.0.0.1'] } };
      await withFakeDns(zone, async (dns) => {
        const input = path.join(dir, 'partners.csv');
        writeFileSync(input, 'domain\npartner.test\n');
        const run = await runBroken(['--input', input, '--format', 'csv', '--resolver', dns.address, '--allow-special-addresses', '-p', String(smtp.port), '--ca-file', pki.caFile, '-q']);
        assert.equal(run.code, 70, run.stderr);
        assert.equal(run.stderr, `mxprobe: internal error: ${FAULT}\n`);
        assert.doesNotMatch(run.stdout, /SMTP_PROTOCOL_ERROR|partner\.test,/, 'no row that blames the server');
      });
    } finally {
      await smtp.close();
    }
  });
});
