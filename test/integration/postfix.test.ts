// The real CLI against a real Postfix (private instance on loopback, test/helpers/postfix.ts)
// serving the test PKI's valid chain. Every fact mxprobe reports is checked against an
// independent source of truth: the PKI files, `openssl s_client`, and Postfix's own log.
// Without a usable Postfix this file skips, except in CI (CI=true), where it fails.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { after, before, test, type TestContext } from 'node:test';
import { startPostfix, type PostfixInstance, type PostfixStart } from '../helpers/postfix.ts';
import { makeTestPki, type TestPki } from '../helpers/pki.ts';
import { addressesOf, codesOf, onlyDomain, runCli, type CliRun } from '../helpers/run-cli.ts';

const CHILD_KILL_MS = 10_000;

let pki: TestPki;
let started: PostfixStart;

before(async () => {
  pki = await makeTestPki();
  started = await startPostfix({ certPem: pki.certs.valid.cert, keyPem: pki.certs.valid.key, myhostname: 'mx.test' });
});

after(async () => {
  if (started?.ok) await started.instance.stop();
});

/** The running instance, or undefined after skipping (or failing, in CI) with the harness's reason. */
function postfix(t: TestContext): PostfixInstance | undefined {
  if (started.ok) return started.instance;
  if (process.env.CI === 'true') assert.fail(`private Postfix unavailable in CI: ${started.reason}`);
  t.skip(`private Postfix unavailable: ${started.reason}`);
  return undefined;
}

function probeArgs(pf: PostfixInstance, port: number, ...extra: string[]): string[] {
  return ['--server', `${pf.host}:${port}`, '--name', 'mx.test', '--json', ...extra];
}

/** The one address of a one-server report, after checking the report's shape. */
function onlyAddress(run: CliRun): { domain: any; address: any } {
  const domain = onlyDomain(run);
  const all = addressesOf(domain);
  assert.equal(all.length, 1, 'one address probed');
  return { domain, address: all[0] };
}

const why = (run: CliRun): string => `exit ${run.code}\n--- stderr\n${run.stderr}\n--- stdout\n${run.stdout.slice(0, 4000)}`;

/** `openssl s_client -starttls smtp -brief`, run asynchronously; it says QUIT and waits for the 221. */
function opensslBrief(pf: PostfixInstance): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const args = [
    's_client', '-starttls', 'smtp', '-connect', `${pf.host}:${pf.tlsPort}`, '-servername', 'mx.test',
    '-CAfile', pki.caFile, '-brief', '-ign_eof', '-nocommands', '-crlf',
  ];
  return new Promise((resolve, reject) => {
    const child = spawn('openssl', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_KILL_MS);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end('QUIT\n');
  });
}

/** "Key: value" lines of s_client -brief (printed on stderr). */
function briefField(text: string, key: string): string | undefined {
  return new RegExp(`^${key}: (.+)$`, 'm').exec(text)?.[1]?.trim();
}

const fingerprint = (pem: string): string => new X509Certificate(pem).fingerprint256;

// ---------------------------------------------------------------------------------------
// Postfix's log: one "connect from" and one "disconnect from ... ehlo=2 starttls=1 quit=1
// commands=4" per session, written through postlogd, so shortly after the client is gone.

const count = (text: string, re: RegExp): number => text.match(re)?.length ?? 0;
const CONNECT = /\]: connect from /g;
const DISCONNECT = /\]: disconnect from /g;

/** Waits until the log satisfies `ready` (polling; the log trails the sessions a little). */
async function waitForLog(pf: PostfixInstance, ready: (log: string) => boolean, what: string): Promise<string> {
  const until = Date.now() + 5000;
  for (;;) {
    const log = await readFile(pf.logFile, 'utf8').catch(() => '');
    if (ready(log)) return log;
    if (Date.now() > until) assert.fail(`Postfix log never showed ${what}:\n${log.split('\n').slice(-20).join('\n')}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Every session so far has logged its disconnect: the next lines belong to the next session. */
const quiet = (pf: PostfixInstance): Promise<string> =>
  waitForLog(pf, (log) => count(log, CONNECT) === count(log, DISCONNECT), 'every session closed');

/** The command counters of a "disconnect from" line: { ehlo: 2, starttls: 1, quit: 1, commands: 4 }. */
function commandSummary(line: string): Record<string, number> {
  const tail = line.slice(line.indexOf(']', line.indexOf('disconnect from')) + 1);
  const summary: Record<string, number> = {};
  for (const m of tail.matchAll(/(\S+)=(\d+)(?:\/\d+)?/g)) summary[(m[1] as string).toLowerCase()] = Number(m[2]);
  return summary;
}

/** Runs the CLI and returns the Postfix log lines of exactly its session. */
async function probeWithLog(pf: PostfixInstance, port: number, extra: string[]): Promise<{ run: CliRun; session: string[] }> {
  const before = (await quiet(pf)).length;
  const run = await runCli(probeArgs(pf, port, ...extra), { killAfterMs: CHILD_KILL_MS });
  const log = await waitForLog(pf, (l) => count(l.slice(before), DISCONNECT) >= 1, "the probe's disconnect");
  const session = log.slice(before).trimEnd().split('\n');
  assert.equal(count(log.slice(before), CONNECT), 1, `exactly one session by the probe:\n${session.join('\n')}`);
  return { run, session };
}

// ---------------------------------------------------------------------------------------

test('STARTTLS to Postfix with the private CA: every fact matches Postfix, openssl and the PKI; level verify', { timeout: 20_000 }, async (t) => {
  const pf = postfix(t);
  if (!pf) return;

  const [run, ossl] = await Promise.all([
    runCli(probeArgs(pf, pf.tlsPort, '--ca-file', pki.caFile, '--require', 'verify'), { killAfterMs: CHILD_KILL_MS }),
    opensslBrief(pf),
  ]);
  assert.equal(run.code, 0, why(run));
  const { domain, address: a } = onlyAddress(run);

  // SMTP before TLS: Postfix greets with smtpd_banner = "$myhostname ESMTP" and offers STARTTLS.
  assert.equal(a.connected, true);
  assert.equal(a.banner?.code, 220);
  assert.match(a.banner.lines.join(' '), /\bmx\.test\b/);
  assert.ok(a.ehlo.includes('STARTTLS'), `EHLO before TLS offers STARTTLS: ${a.ehlo}`);
  assert.equal(a.starttls, true);
  assert.equal(a.starttlsReply?.code, 220);
  assert.equal(a.injectedBytes, 0);
  // RFC 3207 §4.2: asked again inside TLS, Postfix no longer offers STARTTLS.
  assert.ok(Array.isArray(a.ehloTls) && a.ehloTls.length > 0, `EHLO inside TLS answered: ${JSON.stringify(a.ehloTls)}`);
  assert.ok(!a.ehloTls.includes('STARTTLS'), `EHLO inside TLS does not offer STARTTLS: ${a.ehloTls}`);
  assert.equal(a.failure, null);

  // TLS session: what openssl negotiates with the same server (smtpd_tls_protocols = >=TLSv1.2).
  assert.equal(ossl.code, 0, `openssl s_client:\n${ossl.stderr}`);
  assert.match(ossl.stdout, /^221 /m, 'openssl said QUIT and got 221');
  const osslProtocol = briefField(ossl.stderr, 'Protocol version');
  const osslCipher = briefField(ossl.stderr, 'Ciphersuite');
  assert.equal(briefField(ossl.stderr, 'Verification'), 'OK', `openssl verifies the chain too:\n${ossl.stderr}`);
  assert.ok(osslProtocol && osslCipher, `openssl -brief printed protocol and cipher:\n${ossl.stderr}`);
  assert.equal(a.tls.protocol, osslProtocol);
  assert.ok(['TLSv1.2', 'TLSv1.3'].includes(a.tls.protocol), `protocol ${a.tls.protocol}`);
  assert.equal(a.tls.cipherOpenssl, osslCipher);
  assert.equal(typeof a.tls.cipher, 'string');
  assert.equal(a.tls.sni, 'mx.test');

  // Certificates: exactly what Postfix was given (leaf + intermediate), in its order; the
  // verified path adds the root from --ca-file.
  const cert = a.certificate;
  assert.equal(cert.chainSource, 'presented');
  assert.deepEqual(cert.chain.map((c: any) => c.fingerprint256), [fingerprint(pki.certs.valid.leaf), fingerprint(pki.intermediatePem)]);
  assert.deepEqual(cert.path.map((c: any) => c.fingerprint256), [fingerprint(pki.certs.valid.leaf), fingerprint(pki.intermediatePem), fingerprint(pki.rootPem)]);
  assert.equal(cert.path.at(-1).inTrustStore, true);
  assert.equal(cert.chain[0].subject, 'CN=mx.test');
  assert.deepEqual(cert.chain[0].san, ['DNS:mx.test', 'DNS:mail.test']);
  assert.equal(cert.chain[0].signatureAlgorithm, 'sha256WithRSAEncryption');
  assert.equal(cert.chain[0].keyType, 'rsa');
  assert.equal(cert.chain[0].keyBits, 2048);
  assert.equal(cert.trusted, true);
  assert.equal(cert.trustError, null);
  assert.equal(cert.nameMatch, true);
  assert.equal(cert.matchedName, 'DNS:mx.test');
  assert.equal(cert.expired, false);

  assert.equal(a.level, 'verify');
  assert.deepEqual(a.problems, []);
  assert.equal(domain.level, 'verify');
  assert.equal(domain.required, 'verify');
  assert.equal(domain.pass, true);
});

test('STARTTLS to Postfix without --ca-file: CERT_UNTRUSTED, level encrypt, exit 1 under --require verify', { timeout: 20_000 }, async (t) => {
  const pf = postfix(t);
  if (!pf) return;

  const run = await runCli(probeArgs(pf, pf.tlsPort, '--require', 'verify'), { killAfterMs: CHILD_KILL_MS });
  assert.equal(run.code, 1, why(run));
  const { domain, address: a } = onlyAddress(run);
  assert.equal(a.starttls, true);
  assert.ok(a.tls !== null, 'TLS was still established');
  assert.equal(a.certificate.chain[0].fingerprint256, fingerprint(pki.certs.valid.leaf));
  assert.equal(a.certificate.trusted, false);
  assert.equal(typeof a.certificate.trustError, 'string');
  assert.equal(a.certificate.nameMatch, true, 'the name still matches');
  assert.equal(a.level, 'encrypt');
  assert.ok(codesOf(domain).includes('CERT_UNTRUSTED'), `problems: ${codesOf(domain)}`);
  assert.equal(domain.level, 'encrypt');
  assert.equal(domain.pass, false);
});

test('Postfix without TLS (plain port): STARTTLS_NOT_OFFERED, level none, exit 1', { timeout: 20_000 }, async (t) => {
  const pf = postfix(t);
  if (!pf) return;

  const run = await runCli(probeArgs(pf, pf.plainPort), { killAfterMs: CHILD_KILL_MS });
  assert.equal(run.code, 1, why(run));
  const { domain, address: a } = onlyAddress(run);
  assert.equal(a.banner?.code, 220);
  assert.ok(Array.isArray(a.ehlo) && !a.ehlo.includes('STARTTLS'), `EHLO: ${a.ehlo}`);
  assert.equal(a.starttls, false);
  assert.equal(a.tls, null);
  assert.equal(a.certificate, null);
  assert.equal(a.failure, null);
  assert.equal(a.level, 'none');
  assert.ok(codesOf(domain).includes('STARTTLS_NOT_OFFERED'), `problems: ${codesOf(domain)}`);
  assert.equal(domain.level, 'none');
  assert.equal(domain.pass, false);
});

test("Postfix's log: the probe says EHLO, STARTTLS, EHLO, QUIT and never sends mail", { timeout: 20_000 }, async (t) => {
  const pf = postfix(t);
  if (!pf) return;

  const tls = await probeWithLog(pf, pf.tlsPort, ['--ca-file', pki.caFile]);
  assert.equal(tls.run.code, 0, why(tls.run));
  const tlsText = tls.session.join('\n');
  assert.match(tlsText, /connect from \S*\[127\.0\.0\.1\]/);
  assert.match(tlsText, /TLS connection established from \S+: TLSv1\.[23] with cipher /);
  assert.doesNotMatch(tlsText, /lost connection|timeout after|improper command pipelining/i);
  const tlsDisconnect = tls.session.find((l) => l.includes('disconnect from')) as string;
  assert.deepEqual(commandSummary(tlsDisconnect), { ehlo: 2, starttls: 1, quit: 1, commands: 4 }, tlsDisconnect);

  const plain = await probeWithLog(pf, pf.plainPort, []);
  assert.equal(plain.run.code, 1, why(plain.run));
  const plainDisconnect = plain.session.find((l) => l.includes('disconnect from')) as string;
  assert.doesNotMatch(plain.session.join('\n'), /lost connection/i);
  assert.deepEqual(commandSummary(plainDisconnect), { ehlo: 1, quit: 1, commands: 2 }, plainDisconnect);

  // Nothing in the whole log of this instance (every test above included) came near a mail transaction.
  const log = await quiet(pf);
  for (const line of log.split('\n').filter((l) => l.includes('disconnect from'))) {
    const summary = commandSummary(line);
    assert.equal(summary.quit, 1, `every session ended with QUIT: ${line}`);
    for (const verb of ['mail', 'rcpt', 'data', 'bdat']) assert.equal(summary[verb], undefined, `no ${verb.toUpperCase()}: ${line}`);
  }
  assert.doesNotMatch(log, /MAIL FROM|RCPT|NOQUEUE|queued as/i);
});
