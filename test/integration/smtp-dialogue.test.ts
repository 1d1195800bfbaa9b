// The SMTP dialogue against scripted fake servers on loopback, through the real CLI:
// every problem code the dialogue itself can produce (before certificates matter), that hostile
// servers cannot make the CLI hang or hoard memory, that it never sends mail, and that what a
// server says cannot drive the terminal.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { startFakeSmtp, type FakeSmtpOptions, type FakeSmtpServer } from '../helpers/fake-smtp.ts';
import { makeTestPki, type TestPki } from '../helpers/pki.ts';
import {
  FAST,
  addressesOf,
  assertNeverSentMail,
  closedPort,
  codesOf,
  onlyDomain,
  problemOf,
  problemsOf,
  runCli,
  serverArgs,
  type CliRun,
} from '../helpers/run-cli.ts';

const TIMEOUT_S = 1.5;
/** A bound, not a benchmark: the CLI's own start-up and a loaded CI machine fit in it. */
const MARGIN_MS = 3000;

let pki: TestPki;
before(async () => {
  pki = await makeTestPki();
});

/** Starts a fake server, runs the CLI against it, always closes the server. */
async function probe(options: FakeSmtpOptions, extra: string[] = [], name: string | null = 'mx.test'): Promise<{ run: CliRun; smtp: FakeSmtpServer }> {
  const smtp = await startFakeSmtp(options);
  try {
    const run = await runCli([...serverArgs(smtp, name), '--ca-file', pki.caFile, ...FAST, ...extra]);
    // Whatever the server did, the CLI never tried to send mail (tests check QUIT where it applies).
    assertNeverSentMail(smtp, { quitLast: false });
    return { run, smtp };
  } finally {
    await smtp.close();
  }
}

/** The single address of a --server probe. */
function address(domain: any): any {
  const all = addressesOf(domain);
  assert.equal(all.length, 1);
  return all[0];
}

function assertBounded(run: CliRun): void {
  assert.ok(run.ms < TIMEOUT_S * 1000 + MARGIN_MS, `finished in ${Math.round(run.ms)} ms, bound ${TIMEOUT_S * 1000 + MARGIN_MS} ms`);
}

/** An address that never got far enough to learn its TLS capability: level and pass unknown, exit 3. */
function assertUndetermined(run: CliRun, domain: any): void {
  assert.equal(run.code, 3, `exit code; stderr: ${run.stderr}`);
  assert.equal(domain.level, null);
  assert.equal(domain.pass, null);
  assert.equal(address(domain).level, null);
}

describe('connection and greeting', { concurrency: true }, () => {
  test('CONNECT_FAILED: nothing listens on the port → level null, pass null, exit 3', async () => {
    const port = await closedPort();
    const run = await runCli(['--server', `127.0.0.1:${port}`, '--name', 'mx.test', '--json', ...FAST]);
    const domain = onlyDomain(run);
    assertUndetermined(run, domain);
    assert.deepEqual(codesOf(domain), ['CONNECT_FAILED']);
    const p = problemOf(domain, 'CONNECT_FAILED');
    assert.equal(p.severity, 'error');
    assert.equal(p.host, 'mx.test');
    assert.equal(p.ip, '127.0.0.1');
    assert.match(p.message, new RegExp(`port ${port}`));
    assert.equal(address(domain).connected, false);
    assert.equal(address(domain).failure.stage, 'connect');
    assert.deepEqual(
      domain.policies.slice(0, 4).map((x: any) => x.delivered),
      ['unknown', 'unknown', 'unknown', 'unknown'],
    );
  });

  test('CONNECT_FAILED in text: UNKNOWN verdict, exit 3', async () => {
    const port = await closedPort();
    const run = await runCli(['--server', `127.0.0.1:${port}`, '--name', 'mx.test', ...FAST]);
    assert.equal(run.code, 3);
    assert.match(run.stdout, /^UNKNOWN mx\.test: level unknown \(required: encrypt\) — mx\.test \[127\.0\.0\.1\]: cannot connect/m);
    assert.match(run.stdout, /✘ CONNECT_FAILED/);
  });

  test('TIMEOUT: a silent server, bounded by --timeout', async () => {
    const { run, smtp } = await probe({ behaviour: 'silent' }, ['--json']);
    const domain = onlyDomain(run);
    assertBounded(run);
    assertUndetermined(run, domain);
    assert.deepEqual(codesOf(domain), ['TIMEOUT']);
    assert.match(problemOf(domain, 'TIMEOUT').message, /timeout while reading server greeting/);
    assert.equal(address(domain).failure.stage, 'banner');
    assertNeverSentMail(smtp, { quitLast: false });
  });

  test('TIMEOUT: a trickling greeting (one byte per 200 ms, never a line end), bounded by --timeout', async () => {
    const { run, smtp } = await probe({ behaviour: 'trickle' }, ['--json']);
    const domain = onlyDomain(run);
    assertBounded(run);
    assertUndetermined(run, domain);
    assert.deepEqual(codesOf(domain), ['TIMEOUT']);
    assert.equal(address(domain).failure.kind, 'timeout');
    assertNeverSentMail(smtp, { quitLast: false });
  });

  for (const [code, banner] of [
    [421, '421 4.3.2 Service not available, closing channel'],
    [554, '554 5.7.1 No SMTP service here'],
  ] as const) {
    test(`SMTP_REJECTED: a ${code} greeting, with the code and text in the message`, async () => {
      const { run, smtp } = await probe({ banner: [banner] }, ['--json']);
      const domain = onlyDomain(run);
      assertUndetermined(run, domain);
      assert.deepEqual(codesOf(domain), ['SMTP_REJECTED']);
      assert.ok(problemOf(domain, 'SMTP_REJECTED').message.includes(banner), problemOf(domain, 'SMTP_REJECTED').message);
      assert.equal(address(domain).banner.code, code);
      // It says goodbye and nothing else.
      assert.deepEqual(smtp.sessions[0]?.commands, ['QUIT']);
      assertNeverSentMail(smtp, { quitLast: true });
    });
  }
});

describe('protocol errors and boundedness', { concurrency: true }, () => {
  const floods: Array<[string, 'flood' | 'flood-lines', RegExp]> = [
    ['a flood without line ends is cut at the line limit', 'flood', /longer than \d+ bytes|more than \d+ bytes/],
    ['an endless multi-line greeting is cut at the line-count limit', 'flood-lines', /longer than \d+ lines|more than \d+ bytes/],
  ];
  for (const [what, behaviour, says] of floods) {
    test(`SMTP_PROTOCOL_ERROR: ${what}, in bounded time and memory`, async () => {
      const smtp = await startFakeSmtp({ behaviour });
      try {
        const run = await runCli([...serverArgs(smtp), '--json', ...FAST], { measureRss: true });
        const domain = onlyDomain(run);
        assertBounded(run);
        assertUndetermined(run, domain);
        assert.deepEqual(codesOf(domain), ['SMTP_PROTOCOL_ERROR']);
        assert.match(problemOf(domain, 'SMTP_PROTOCOL_ERROR').message, says);
        assert.ok(run.maxRssKiB !== null && run.maxRssKiB < 150 * 1024, `peak RSS ${run.maxRssKiB} KiB`);
        assertNeverSentMail(smtp, { quitLast: false });
      } finally {
        await smtp.close();
      }
    });
  }

  test('SMTP_PROTOCOL_ERROR: a greeting that is not SMTP', async () => {
    const { run, smtp } = await probe({ banner: ['SSH-2.0-OpenSSH_9.6'] }, ['--json']);
    const domain = onlyDomain(run);
    assertUndetermined(run, domain);
    assert.deepEqual(codesOf(domain), ['SMTP_PROTOCOL_ERROR']);
    assert.match(problemOf(domain, 'SMTP_PROTOCOL_ERROR').message, /malformed reply line "SSH-2\.0-OpenSSH_9\.6"/);
    assertNeverSentMail(smtp, { quitLast: false });
  });

  test('SMTP_PROTOCOL_ERROR: the server closes right after its greeting', async () => {
    const { run } = await probe({ behaviour: 'close-after-banner' }, ['--json']);
    const domain = onlyDomain(run);
    assertBounded(run);
    assertUndetermined(run, domain);
    assert.deepEqual(codesOf(domain), ['SMTP_PROTOCOL_ERROR']);
    assert.match(problemOf(domain, 'SMTP_PROTOCOL_ERROR').message, /closed the connection/);
    assert.equal(address(domain).banner.code, 220);
  });
});

describe('STARTTLS', { concurrency: true }, () => {
  test('STARTTLS_NOT_OFFERED: level none, exit 1, EHLO then QUIT only', async () => {
    const { run, smtp } = await probe({}, ['--json']);
    const domain = onlyDomain(run);
    assert.equal(run.code, 1);
    assert.equal(domain.level, 'none');
    assert.equal(domain.pass, false);
    assert.deepEqual(codesOf(domain), ['STARTTLS_NOT_OFFERED']);
    const a = address(domain);
    assert.equal(a.starttls, false);
    assert.equal(a.tls, null);
    assert.equal(a.certificate, null);
    assert.equal(smtp.sessions.length, 1);
    assert.deepEqual(smtp.sessions[0]?.commands.map((c) => c.split(' ')[0]), ['EHLO', 'QUIT']);
    assertNeverSentMail(smtp, { quitLast: true });
  });

  test('STARTTLS_REJECTED: 454 with its code and text in the message and the table', async () => {
    const reply = '454 4.7.0 TLS not available due to local problem';
    const opts = { tls: pki.certs.valid, starttlsReply: reply };
    const [{ run, smtp }, text] = await Promise.all([probe(opts, ['--json']), probe(opts)]);
    const domain = onlyDomain(run);
    assert.equal(run.code, 1);
    assert.equal(domain.level, 'none');
    assert.deepEqual(codesOf(domain), ['STARTTLS_REJECTED']);
    assert.ok(problemOf(domain, 'STARTTLS_REJECTED').message.includes(reply), problemOf(domain, 'STARTTLS_REJECTED').message);
    assert.equal(address(domain).starttlsReply.code, 454);
    assertNeverSentMail(smtp, { quitLast: true });
    assert.equal(text.run.code, 1);
    assert.match(text.run.stdout, /refused 454/);
    assert.match(text.run.stdout, /STARTTLS_REJECTED .*454 4\.7\.0 TLS not available due to local problem/);
  });

  test('STARTTLS_INJECTION: bytes after the 220 are counted, discarded and never shown as replies', async () => {
    const injected = '250-INJECTED\r\n250 PWNED-BY-MITM\r\n';
    const opts = { tls: pki.certs.valid, injectAfterStarttls: injected };
    const [{ run, smtp }, text] = await Promise.all([
      probe(opts, ['--json', '--transcript']),
      probe(opts, ['--transcript']),
    ]);
    const domain = onlyDomain(run);
    assert.ok(codesOf(domain).includes('STARTTLS_INJECTION'), JSON.stringify(codesOf(domain)));
    const a = address(domain);
    assert.equal(a.injectedBytes, Buffer.byteLength(injected));
    assert.match(problemOf(domain, 'STARTTLS_INJECTION').message, new RegExp(`${Buffer.byteLength(injected)} bytes`));
    // The session itself went on over TLS (the injected bytes did not break the handshake).
    assert.equal(a.tls.protocol, 'TLSv1.3');
    const serverSaid = a.transcript.filter((e: any) => e.dir === 'S').map((e: any) => e.text);
    assert.ok(serverSaid.length > 0);
    for (const line of serverSaid) assert.doesNotMatch(line, /INJECTED|PWNED/, `injected text shown as a server reply: ${line}`);
    assert.ok(a.transcript.some((e: any) => e.dir === '*' && /discarded/.test(e.text)));
    assert.doesNotMatch(text.run.stdout, /S: .*(INJECTED|PWNED)/);
    assertNeverSentMail(smtp, { quitLast: true });
  });

  test('STARTTLS_INJECTION keeps the address below verify: --require verify fails, no error sits under a PASS', async () => {
    const opts = { tls: pki.certs.valid, injectAfterStarttls: '250 PWNED-BY-MITM\r\n' };
    const [strict, usual] = await Promise.all([probe(opts, ['--json', '--require', 'verify']), probe(opts, ['--json'])]);
    const failed = onlyDomain(strict.run);
    assert.equal(strict.run.code, 1, strict.run.stderr);
    assert.equal(failed.level, 'encrypt');
    assert.equal(failed.pass, false);
    assert.equal(problemOf(failed, 'STARTTLS_INJECTION').severity, 'error');
    // --require encrypt is met: the session is encrypted, and the injection is reported as a warning.
    const passed = onlyDomain(usual.run);
    assert.equal(usual.run.code, 0, usual.run.stderr);
    assert.equal(passed.level, 'encrypt');
    assert.equal(problemOf(passed, 'STARTTLS_INJECTION').severity, 'warning');
    assert.ok(!problemsOf(passed).some((p: any) => p.severity === 'error'), JSON.stringify(problemsOf(passed)));
  });

  test('TLS_REQUIRED_BY_SERVER: 530 to EHLO', async () => {
    const reply = '530 5.7.0 Must issue a STARTTLS command first';
    // 530 to EHLO in plaintext only: over TLS the server greets EHLO with 250, as such servers do.
    const tlsReplies = { EHLO: ['250-fake.test', '250 PIPELINING'] };
    const { run, smtp } = await probe({ tls: pki.certs.valid, replies: { EHLO: [reply] }, tlsReplies }, ['--json']);
    const domain = onlyDomain(run);
    const p = problemOf(domain, 'TLS_REQUIRED_BY_SERVER');
    assert.equal(p.severity, 'info');
    assert.ok(p.message.includes(reply), p.message);
    assert.equal(address(domain).tlsRequiredReply.code, 530);
    // Nothing was advertised, but a server that demands TLS first is asked for it anyway.
    assert.ok(smtp.sessions[0]!.commands.includes('STARTTLS'));
    assert.equal(address(domain).tls?.protocol, 'TLSv1.3');
    assert.equal(domain.level, 'verify');
    assert.ok(!codesOf(domain).includes('STARTTLS_NOT_OFFERED'));
    assertNeverSentMail(smtp, { quitLast: true });
  });

  test('TLS_HANDSHAKE_FAILED: non-TLS bytes in answer to the ClientHello → level none, exit 1, a one-line message', async () => {
    const { run, smtp } = await probe({ behaviour: 'garbage-instead-of-tls' }, ['--json']);
    const domain = onlyDomain(run);
    assertBounded(run);
    assert.equal(run.code, 1);
    assert.equal(domain.level, 'none');
    assert.deepEqual(codesOf(domain), ['TLS_HANDSHAKE_FAILED']);
    const a = address(domain);
    assert.equal(a.starttls, true);
    assert.equal(a.tls, null);
    assert.equal(a.failure.stage, 'handshake');
    const message = problemOf(domain, 'TLS_HANDSHAKE_FAILED').message;
    assert.doesNotMatch(message, /\n/, 'one line');
    assert.doesNotMatch(message, /deps\/openssl|\.c:\d+/, 'no OpenSSL source paths');
    assertNeverSentMail(smtp, { quitLast: false });
  });

  test('TLS_HANDSHAKE_FAILED: the server hangs up after its 220 to STARTTLS', async () => {
    const { run, smtp } = await probe({ behaviour: 'close-after-starttls' }, ['--json']);
    const domain = onlyDomain(run);
    assertBounded(run);
    assert.equal(run.code, 1);
    assert.equal(domain.level, 'none');
    assert.deepEqual(codesOf(domain), ['TLS_HANDSHAKE_FAILED']);
    assert.doesNotMatch(problemOf(domain, 'TLS_HANDSHAKE_FAILED').message, /\n/);
    assertNeverSentMail(smtp, { quitLast: false });
  });
});

describe('what the server says cannot drive the terminal', { concurrency: true }, () => {
  const ESC_BEL = /[\u001b\u0007]/;
  const RAW_UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
  const hostile = '220 \u001b[2J\u001b]0;pwn\u0007 hi \u202eevil\u202c \u0085c1';

  test('escape sequences in a 220 greeting: escaped in the text transcript, safe in JSON', async () => {
    const opts = { tls: pki.certs.valid, banner: [hostile] };
    const [text, json] = await Promise.all([probe(opts, ['--transcript']), probe(opts, ['--json', '--transcript'])]);
    assert.equal(text.run.code, 0);
    assert.doesNotMatch(text.run.stdout, ESC_BEL, 'no raw ESC or BEL');
    assert.doesNotMatch(text.run.stdout, RAW_UNSAFE, 'no raw control or bidi character');
    assert.ok(text.run.stdout.includes('S: 220 \\x1b[2J\\x1b]0;pwn\\x07 hi'), text.run.stdout);
    assert.doesNotMatch(json.run.stdout, RAW_UNSAFE, 'JSON has no raw C1/bidi character');
    const domain = onlyDomain(json.run);
    // Escaped on the wire, intact once parsed.
    assert.equal(address(domain).transcript.find((e: any) => e.dir === 'S')?.text, hostile);
    assert.equal(address(domain).banner.lines[0], hostile.slice(4));
  });

  test('escape sequences in a 554 refusal: escaped in the verdict line and the problem list', async () => {
    const banner = hostile.replace(/^220/, '554');
    const [text, json] = await Promise.all([probe({ banner: [banner] }), probe({ banner: [banner] }, ['--json'])]);
    assert.equal(text.run.code, 3);
    assert.doesNotMatch(text.run.stdout, ESC_BEL);
    assert.doesNotMatch(text.run.stdout, RAW_UNSAFE);
    assert.match(text.run.stdout, /^UNKNOWN .*554 \\x1b\[2J\\x1b\]0;pwn\\x07 hi/m);
    assert.match(text.run.stdout, /SMTP_REJECTED .*\\x1b\[2J/);
    assert.doesNotMatch(json.run.stdout, RAW_UNSAFE);
    assert.ok(problemOf(onlyDomain(json.run), 'SMTP_REJECTED').message.includes('\u001b[2J'));
  });
});

// Three at a time: each test runs two CLI processes, and this 2-core machine runs other suites too.
describe('failures after the TLS handshake: no mail can go over TLS there', { concurrency: 3 }, () => {
  // Each way the dialogue over TLS can fail, with STARTTLS and with implicit TLS (port 465). The
  // handshake succeeded every time, so before these were failures the address stayed PASS verify.
  const cases: Array<{ what: string; fake: FakeSmtpOptions; says: RegExp; protocol?: 'TLSv1.2' }> = [
    { what: 'no answer over TLS', fake: { behaviour: 'silent-after-tls' }, says: /timeout while reading (reply to EHLO|server greeting) over TLS/ },
    { what: 'a flood of reply lines over TLS', fake: { behaviour: 'flood-after-tls' }, says: /longer than \d+ lines|more than \d+ bytes/ },
    { what: 'a close right after the handshake', fake: { behaviour: 'close-after-tls' }, says: /server closed the connection/ },
    { what: 'a close right after a TLS 1.2 handshake', fake: { behaviour: 'close-after-tls' }, says: /server closed the connection/, protocol: 'TLSv1.2' },
    { what: 'EHLO over TLS answered 554', fake: { tlsReplies: { EHLO: ['554 5.7.1 No TLS clients here'] } }, says: /EHLO over TLS refused with 554 5\.7\.1 No TLS clients here/ },
    { what: 'EHLO over TLS answered 421', fake: { tlsReplies: { EHLO: ['421 4.7.0 Try again later'] } }, says: /EHLO over TLS refused with 421 4\.7\.0/ },
    { what: 'EHLO over TLS answered 502 (no ESMTP after TLS)', fake: { tlsReplies: { EHLO: ['502 5.5.1 Not implemented'] } }, says: /EHLO over TLS refused with 502/ },
  ];
  for (const mode of ['starttls', 'implicit'] as const) {
    for (const { what, fake, says, protocol = 'TLSv1.3' } of cases) {
      test(`${mode}: ${what} → TLS_DIALOGUE_FAILED, level none, FAIL (exit 1), in JSON and text`, async () => {
        const opts: FakeSmtpOptions = { tls: { ...pki.certs.valid, maxVersion: protocol }, ...(mode === 'implicit' ? { implicitTls: true } : {}), ...fake };
        const args = ['--tls', mode];
        const [json, text] = await Promise.all([probe(opts, [...args, '--json']), probe(opts, args)]);
        const domain = onlyDomain(json.run);
        if (fake.behaviour === 'silent-after-tls' || fake.behaviour === 'flood-after-tls') assertBounded(json.run);
        assert.equal(json.run.code, 1, json.run.stderr);
        assert.equal(domain.level, 'none');
        assert.equal(domain.pass, false);
        const a = address(domain);
        assert.equal(a.tlsMode, mode);
        assert.equal(a.tls?.protocol, protocol, 'the handshake itself succeeded');
        assert.equal(a.level, 'none');
        assert.equal(a.ehloTls, null);
        assert.ok(mode === 'starttls' ? a.failure.stage === 'ehlo-tls' : ['banner', 'ehlo-tls'].includes(a.failure.stage), a.failure.stage);
        const p = problemOf(domain, 'TLS_DIALOGUE_FAILED');
        assert.equal(p.severity, 'error');
        assert.match(p.message, says);
        assert.match(p.message, /TLS handshake succeeded, but the SMTP dialogue over TLS failed/);
        assert.match(p.message, /no mail can be delivered over TLS here/);
        assert.deepEqual(domain.policies.slice(0, 4).map((x: any) => [x.policy, x.delivered]), [['a', 'yes'], ['b', 'yes'], ['c', 'no'], ['d', 'no']]);
        // The text report says so too: the verdict line is FAIL and names the problem.
        assert.equal(text.run.code, 1);
        assert.match(text.run.stdout, /^FAIL mx\.test: level none \(required: encrypt\) — mx\.test \[127\.0\.0\.1\]: the TLS handshake succeeded/m);
        assert.match(text.run.stdout, /✘ TLS_DIALOGUE_FAILED/);
        assertNeverSentMail(json.smtp, { quitLast: false });
      });
    }
  }

  test('a close right after a TLS 1.3 handshake never ends the CLI silently (it did with exit 0 and no output in about 4 runs of 10)', async () => {
    // The close came while the probe waited (at most a few ms) for the session ticket, on a
    // timer that did not keep the process alive: the event loop emptied and Node exited 0.
    const smtp = await startFakeSmtp({ tls: pki.certs.valid, behaviour: 'close-after-tls' });
    try {
      for (let round = 0; round < 5; round++) {
        const runs = await Promise.all([0, 1].map(() => runCli([...serverArgs(smtp), '--ca-file', pki.caFile, ...FAST, '--json'])));
        for (const run of runs) {
          assert.equal(run.code, 1, `exit ${run.code}, stdout ${JSON.stringify(run.stdout.slice(0, 200))}, stderr ${JSON.stringify(run.stderr)}`);
          assert.ok(codesOf(onlyDomain(run)).includes('TLS_DIALOGUE_FAILED'));
        }
      }
    } finally {
      await smtp.close();
    }
  });

  test('a verify-grade server is unaffected: the dialogue over TLS completes, PASS verify', async () => {
    for (const mode of ['starttls', 'implicit'] as const) {
      const { run, smtp } = await probe({ tls: pki.certs.valid, ...(mode === 'implicit' ? { implicitTls: true } : {}) }, ['--tls', mode, '--json', '--require', 'verify']);
      const domain = onlyDomain(run);
      assert.equal(run.code, 0, JSON.stringify(domain.problems));
      assert.equal(domain.level, 'verify');
      assert.deepEqual(address(domain).ehloTls, ['PIPELINING', 'SIZE 10240000', '8BITMIME']);
      assertNeverSentMail(smtp, { quitLast: true });
    }
  });
});
