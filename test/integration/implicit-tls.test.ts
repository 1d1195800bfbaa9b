// Implicit TLS (RFC 8314: port 465, TLS from the first byte) and submission with STARTTLS (port
// 587), through the real CLI against fake servers on loopback: `--tls implicit|starttls`, the
// default by port, what each output says, and that the probe never sends AUTH or mail.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { startFakeSmtp, type FakeSmtpOptions, type FakeSmtpServer } from '../helpers/fake-smtp.ts';
import { makeTestPki, type TestPki } from '../helpers/pki.ts';
import { FAST, addressesOf, assertNeverSentMail, codesOf, onlyDomain, problemOf, problemsOf, runCli, serverArgs, type CliRun } from '../helpers/run-cli.ts';

let pki: TestPki;
before(async () => {
  pki = await makeTestPki();
});

async function probe(options: FakeSmtpOptions, extra: string[]): Promise<{ run: CliRun; smtp: FakeSmtpServer }> {
  const smtp = await startFakeSmtp(options);
  try {
    const run = await runCli([...serverArgs(smtp), '--ca-file', pki.caFile, ...FAST, ...extra]);
    return { run, smtp };
  } finally {
    await smtp.close();
  }
}

describe('implicit TLS (port 465)', { concurrency: true }, () => {
  test('--tls implicit: handshake first, then greeting, EHLO and QUIT over TLS; verify, exit 0', async () => {
    const { run, smtp } = await probe({ tls: pki.certs.valid, implicitTls: true }, ['--tls', 'implicit', '--json', '--require', 'verify', '--transcript']);
    const domain = onlyDomain(run);
    assert.equal(run.code, 0, JSON.stringify(domain.problems));
    assert.equal(domain.level, 'verify');
    assert.deepEqual(problemsOf(domain), [], 'no STARTTLS_NOT_OFFERED: STARTTLS does not apply');
    const [a] = addressesOf(domain);
    assert.equal(a.tlsMode, 'implicit');
    assert.equal(a.tls.protocol, 'TLSv1.3');
    assert.equal(a.banner.code, 220);
    assert.equal(a.ehlo, null, 'nothing was said in plaintext');
    assert.equal(a.starttls, false);
    assert.equal(a.starttlsReply, null);
    assert.deepEqual(a.ehloTls, ['PIPELINING', 'SIZE 10240000', '8BITMIME']);
    assert.equal(a.certificate.trusted, true);
    for (const stage of ['connect', 'handshake', 'banner', 'ehlo-tls', 'quit']) assert.ok(Number.isInteger(a.timings[stage]), stage);
    assert.equal(a.timings.starttls, undefined);
    // Every command went over TLS: the server saw the handshake before any of them.
    assert.equal(smtp.sessions.length, 1);
    assert.equal(smtp.sessions[0]?.tls, true);
    assert.deepEqual(smtp.sessions[0]?.commands.map((c) => c.split(' ')[0]), ['EHLO', 'QUIT']);
    assert.ok(a.transcript.some((e: any) => e.dir === '*' && /implicit TLS/.test(e.text)));
    assertNeverSentMail(smtp, { quitLast: true });
  });

  test('the text table says "implicit" in the STARTTLS column; CSV and JUnit say so too', async () => {
    const opts = { tls: pki.certs.valid, implicitTls: true };
    const [text, csv, junit] = await Promise.all([
      probe(opts, ['--tls', 'implicit']),
      probe(opts, ['--tls', 'implicit', '--format', 'csv']),
      probe(opts, ['--tls', 'implicit', '--format', 'junit']),
    ]);
    assert.equal(text.run.code, 0);
    assert.match(text.run.stdout, /^PASS mx\.test: level verify/m);
    assert.match(text.run.stdout, /│ implicit +│ TLSv1\.3/);
    assert.doesNotMatch(text.run.stdout, /STARTTLS_NOT_OFFERED/);
    const [header, row] = csv.run.stdout.trim().split('\n');
    const cells = (line: string | undefined) => (line ?? '').split(',');
    assert.equal(cells(row)[cells(header).indexOf('starttls')], 'implicit');
    assert.match(junit.run.stdout, /127\.0\.0\.1: verify, implicit TLS, TLSv1\.3 TLS_AES_256_GCM_SHA384/);
    assert.doesNotMatch(junit.run.stdout, /no STARTTLS/);
  });

  test('--tls implicit against a STARTTLS server: TLS_HANDSHAKE_FAILED that says it answered in plaintext and to try --tls starttls', async () => {
    const { run, smtp } = await probe({ tls: pki.certs.valid }, ['--tls', 'implicit', '--json']);
    const domain = onlyDomain(run);
    assert.equal(run.code, 1);
    assert.equal(domain.level, 'none');
    assert.deepEqual(codesOf(domain), ['TLS_HANDSHAKE_FAILED']);
    const message = problemOf(domain, 'TLS_HANDSHAKE_FAILED').message;
    assert.match(message, /answered in plaintext: "220 fake\.test ESMTP ready"/);
    assert.match(message, /it speaks STARTTLS, not implicit TLS \(--tls starttls\)/);
    assert.doesNotMatch(message, /\n/);
    assertNeverSentMail(smtp, { quitLast: false });
  });

  test('--tls starttls against an implicit-TLS server: a greeting timeout (the server waits for a ClientHello)', async () => {
    const { run } = await probe({ tls: pki.certs.valid, implicitTls: true }, ['--tls', 'starttls', '--json']);
    const domain = onlyDomain(run);
    assert.equal(run.code, 3);
    assert.deepEqual(codesOf(domain), ['TIMEOUT']);
    assert.equal(addressesOf(domain)[0].tlsMode, 'starttls');
  });

  test('port 465 means implicit TLS unless --tls says otherwise; any other port means STARTTLS', async () => {
    // Nothing needs to listen: the mode is a fact from the start.
    const runs = await Promise.all([
      runCli(['--server', '127.0.0.1:465', '--name', 'mx.test', ...FAST, '--json']),
      runCli(['--server', '127.0.0.1:465', '--name', 'mx.test', '--tls', 'starttls', ...FAST, '--json']),
      runCli(['--server', '127.0.0.1:587', '--name', 'mx.test', ...FAST, '--json']),
      runCli(['--server', '127.0.0.1:2525', '--name', 'mx.test', '--tls', 'implicit', ...FAST, '--json']),
    ]);
    assert.deepEqual(
      runs.map((r) => addressesOf(onlyDomain(r))[0].tlsMode),
      ['implicit', 'starttls', 'starttls', 'implicit'],
    );
  });

  test('--tls with another value: a one-line usage error, exit 2', async () => {
    const run = await runCli(['--server', '127.0.0.1:465', '--tls', 'smtps']);
    assert.equal(run.code, 2);
    assert.equal(run.stderr, 'mxprobe: --tls must be starttls or implicit, not "smtps"\n');
  });
});

describe('submission (port 587): STARTTLS after EHLO, AUTH advertised', { concurrency: true }, () => {
  test('verify, and the probe never sends AUTH (nor mail)', async () => {
    const submission: FakeSmtpOptions = {
      tls: pki.certs.valid,
      banner: ['220 submission.test ESMTP'],
      extensions: ['PIPELINING', 'SIZE 36700160', 'ENHANCEDSTATUSCODES', 'STARTTLS'],
      // As submission servers do: AUTH only once the session is encrypted.
      tlsReplies: { EHLO: ['250-submission.test', '250-PIPELINING', '250-AUTH PLAIN LOGIN', '250 ENHANCEDSTATUSCODES'] },
    };
    const { run, smtp } = await probe(submission, ['--json', '--require', 'verify']);
    const domain = onlyDomain(run);
    assert.equal(run.code, 0, JSON.stringify(domain.problems));
    const [a] = addressesOf(domain);
    assert.equal(a.tlsMode, 'starttls');
    assert.equal(a.starttls, true);
    assert.ok(a.ehloTls.includes('AUTH PLAIN LOGIN'));
    assert.deepEqual(smtp.sessions[0]?.commands.map((c) => c.split(' ')[0]), ['EHLO', 'STARTTLS', 'EHLO', 'QUIT']);
    for (const session of smtp.sessions) for (const c of session.commands) assert.doesNotMatch(c, /^AUTH\b/i);
    assertNeverSentMail(smtp, { quitLast: true });
  });
});
