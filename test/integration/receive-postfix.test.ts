// The real CLI (`mxprobe receive`, dist/) against real senders: four private Postfix instances
// (test/helpers/postfix-sender.ts) at smtp_tls_security_level none, may, encrypt and verify, each
// from its own 127.0.0.N, all sending at once to one receiver on loopback. The sender records must
// say (a), (b), (c), (d); every session's facts (STARTTLS, TLS version and cipher, SNI, what the
// client did in each round) are checked against the rounds and against Postfix's own log.
// Without a usable Postfix this file skips, except in CI (CI=true), where it fails.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test, type TestContext } from 'node:test';
import { makeTestPki, type TestPki } from '../helpers/pki.ts';
import { senderLogs, startPostfixSender, type PostfixSender, type SenderTlsLevel } from '../helpers/postfix-sender.ts';
import { runCli, type CliRun } from '../helpers/run-cli.ts';

/** Generous deadlines: both cores may be busy. The CLI ends itself once every sender is decided. */
const DURATION_S = 90;
const TEST_TIMEOUT_MS = 240_000;
const STEP_MS = 60_000;

/** The certificate the receiver presents names mx.test (the test PKI's valid chain); verify matches it. */
const NAME = 'mx.test';

const SENDERS: Array<{ level: SenderTlsLevel; bindAddress: string; servername?: string }> = [
  { level: 'none', bindAddress: '127.0.0.41' },
  { level: 'may', bindAddress: '127.0.0.42' },
  { level: 'encrypt', bindAddress: '127.0.0.43' },
  // The only one that sends SNI (smtp_tls_servername): the receiver must report it as sent.
  { level: 'verify', bindAddress: '127.0.0.44', servername: NAME },
];

/** What each round of each level must look like: [round, STARTTLS used, outcome, our reply after DATA]. */
type Step = [round: 1 | 2 | 3, startedTls: boolean, outcome: string, dataReply: string | null];
const EXPECTED: Record<SenderTlsLevel, { letter: string; steps: Step[] }> = {
  // (a) never uses STARTTLS: its first message decides it, and is refused for good (550).
  none: { letter: 'a', steps: [[1, false, 'message', '550']] },
  // (b) TLS when offered, any certificate, plaintext when not offered.
  may: { letter: 'b', steps: [[1, true, 'message', '451'], [2, true, 'message', '451'], [3, false, 'message', '550']] },
  // (c) TLS with any certificate, defers when STARTTLS is not offered.
  encrypt: { letter: 'c', steps: [[1, true, 'message', '451'], [2, true, 'message', '451'], [3, false, 'quit', null]] },
  // (d) quits after the handshake with the wrong-name certificate, defers when STARTTLS is not offered.
  verify: { letter: 'd', steps: [[1, true, 'message', '451'], [2, true, 'quit-after-handshake', null], [3, false, 'quit', null]] },
};

let pki: TestPki;
let dir: string;
const started: PostfixSender[] = [];

before(async () => {
  pki = await makeTestPki();
  dir = mkdtempSync(path.join(os.tmpdir(), 'mxprobe-receive-postfix-'));
  writeFileSync(path.join(dir, 'cert.pem'), pki.certs.valid.cert);
  writeFileSync(path.join(dir, 'key.pem'), pki.certs.valid.key, { mode: 0o600 });
});

after(async () => {
  await Promise.all(started.map((s) => s.stop()));
  rmSync(dir, { recursive: true, force: true });
});

async function waitFor(what: string, cond: () => boolean, ms = STEP_MS): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The JSON lines written so far (a partial last line is left for later). */
const ndjson = (out: string): any[] =>
  out
    .split('\n')
    .slice(0, -1)
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l));

/** Postfix's own account of each TLS session it made: `… TLS connection established to …: TLSv1.3 with cipher X`, in order. */
function tlsSessionsInLog(log: string): Array<{ trust: string; protocol: string; cipher: string }> {
  return [...log.matchAll(/: (Anonymous|Untrusted|Trusted|Verified) TLS connection established to 127\.0\.0\.1\[127\.0\.0\.1\]:\d+: (\S+) with cipher (\S+)/g)].map((m) => ({
    trust: m[1] ?? '',
    protocol: m[2] ?? '',
    cipher: m[3] ?? '',
  }));
}

/** A running `mxprobe receive`: its port, its output so far, the run (resolves at exit). */
interface Receive {
  port: number;
  live: { stdout: string; stderr: string };
  child: ChildProcess;
  run: Promise<CliRun>;
}

/** Starts the built CLI on 127.0.0.1:0 with the valid chain for mx.test, and reads the port from its first stderr line. */
async function startReceive(extra: string[]): Promise<Receive> {
  const live = { stdout: '', stderr: '' };
  let child: ChildProcess | undefined;
  const run = runCli(
    ['receive', '--listen', '127.0.0.1:0', '--cert', path.join(dir, 'cert.pem'), '--key', path.join(dir, 'key.pem'), '--name', NAME,
      '--duration', String(DURATION_S), '--format', 'ndjson', '--no-reverse', ...extra],
    {
      killAfterMs: (DURATION_S + 30) * 1000,
      onStart: (c) => {
        child = c;
        c.stdout?.on('data', (d: Buffer | string) => (live.stdout += String(d)));
        c.stderr?.on('data', (d: Buffer | string) => (live.stderr += String(d)));
      },
    },
  );
  let exited = false;
  void run.then(() => (exited = true), () => (exited = true));
  await waitFor('"mxprobe: listening on HOST:PORT" on stderr', () => exited || /\n/.test(live.stderr), 20_000);
  const port = Number(/^mxprobe: listening on 127\.0\.0\.1:(\d+)\n/.exec(live.stderr)?.[1]);
  assert.ok(port > 0 && child !== undefined, `the first line on stderr names the port bound:\n${live.stderr}`);
  return { port, live, child, run };
}

/**
 * Starts Postfix senders relaying to `port`, trusting the test root and matching mx.test; undefined
 * after skipping (failing in CI) when Postfix is unusable, with `receive` stopped.
 */
async function startSenders(t: TestContext, receive: Receive, specs: typeof SENDERS): Promise<PostfixSender[] | undefined> {
  const starts = await Promise.all(specs.map((s) => startPostfixSender({ ...s, relay: { host: '127.0.0.1', port: receive.port }, caPem: pki.rootPem, verifyName: NAME })));
  const senders = starts.flatMap((s) => (s.ok ? [s.sender] : []));
  started.push(...senders);
  const failed = starts.find((s) => !s.ok);
  if (failed === undefined || failed.ok) return senders;
  await Promise.all(senders.map((s) => s.stop()));
  receive.child.kill('SIGTERM');
  await receive.run.catch(() => undefined);
  if (process.env['CI'] === 'true') assert.fail(`Postfix sender harness unavailable in CI: ${failed.reason}`);
  t.skip(`Postfix sender harness unavailable: ${failed.reason}`);
  return undefined;
}

/** Adds the senders' logs (and the CLI's output, while it still runs) to a failing test's error; stops everything. */
async function rethrowWithLogs(error: unknown, receive: Receive, senders: PostfixSender[], cli: CliRun | undefined): Promise<never> {
  if (error instanceof Error) {
    error.message += `\n${await senderLogs(senders)}`;
    if (cli === undefined) error.message += `\n--- mxprobe stderr so far\n${receive.live.stderr}\n--- stdout so far\n${receive.live.stdout.slice(0, 20_000)}`;
  }
  throw error;
}

async function stopAll(t: TestContext, receive: Receive, senders: PostfixSender[]): Promise<void> {
  const unstuck = senders.filter((s) => s.unstuck > 0);
  if (unstuck.length > 0) t.diagnostic(`queue flushes after "still being delivered": ${unstuck.map((s) => `${s.level} ${s.unstuck}`).join(', ')}`);
  if (receive.child.exitCode === null) receive.child.kill('SIGTERM');
  await receive.run.catch(() => undefined);
  await Promise.all(senders.map((s) => s.stop()));
}

test('four real Postfix senders at once (none, may, encrypt, verify): mxprobe receive says (a), (b), (c), (d), with each session\'s facts', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const receive = await startReceive(['--until-decided', '--require', 'c']);
  const live = receive.live;
  const senders = await startSenders(t, receive, SENDERS);
  if (senders === undefined) return;
  let cli: CliRun | undefined;
  try {
    const by = Object.fromEntries(senders.map((s) => [s.level, s])) as Record<SenderTlsLevel, PostfixSender>;
    const sessionsOf = (s: PostfixSender): any[] => ndjson(live.stdout).filter((r) => r.record === 'session' && r.ip === s.bindAddress);

    // --until-decided ends the run once every sender SEEN is decided, and (a) is decided by its
    // first session: the others first show themselves (their round 1 ends with a 451), then (a)
    // sends. The others still need two more rounds, a retry (1 s or more) apart.
    const others = [by.may, by.encrypt, by.verify];
    await Promise.all(others.map((s) => s.submit({ subject: `policy test ${s.level}` })));
    await waitFor('round 1 of may, encrypt and verify', () => others.every((s) => sessionsOf(s).length > 0));
    await by.none.submit({ subject: 'policy test none' });

    cli = await receive.run;
    t.diagnostic(`mxprobe receive ran ${Math.round(cli.ms)} ms`);
    const records = ndjson(cli.stdout);
    const why = `exit ${cli.code}\n--- stderr\n${cli.stderr}\n--- stdout\n${cli.stdout.slice(0, 20_000)}`;
    assert.equal(cli.code, 1, `exit 1: (a) and (b) do not meet --require c\n${why}`);
    assert.match(cli.stderr, /^mxprobe: listening on 127\.0\.0\.1:\d+\n/);

    // NDJSON: the sessions as they end, then one record per sender.
    const firstSender = records.findIndex((r) => r.record === 'sender');
    assert.ok(firstSender > 0, `sessions first, then senders\n${why}`);
    assert.ok(records.slice(firstSender).every((r) => r.record === 'sender'), 'nothing after the sender records');
    const senderRecords = records.filter((r) => r.record === 'sender');
    assert.deepEqual(senderRecords.map((r) => r.ip).sort(), SENDERS.map((s) => s.bindAddress).sort(), `one record per sender\n${why}`);

    for (const s of senders) {
      const expected = EXPECTED[s.level];
      const verdict = senderRecords.find((r) => r.ip === s.bindAddress);
      const label = `${s.level} (${s.bindAddress})`;
      assert.deepEqual(
        { policies: verdict.policies, decided: verdict.decided, missing: verdict.missing, meets: verdict.meets },
        { policies: [expected.letter], decided: true, missing: [], meets: expected.letter === 'c' || expected.letter === 'd' },
        `${label}: the verdict\n${JSON.stringify(verdict)}\n${why}`,
      );
      assert.deepEqual(verdict.observed, expected.steps.map(([round]) => round), `${label}: rounds observed`);

      const sessions = records.filter((r) => r.record === 'session' && r.ip === s.bindAddress);
      const counted = sessions.filter((r) => r.counted);
      assert.deepEqual(
        counted.map((r) => [r.round, r.startedTls, r.outcome, r.dataReply]),
        expected.steps,
        `${label}: [round, STARTTLS used, outcome, reply after DATA] per counted session\n${JSON.stringify(sessions, null, 1)}`,
      );
      // Sessions after the verdict (a sender coming back) are turned away: round 1, 550 to a message.
      const lastCounted = Math.max(...counted.map((r) => r.id));
      for (const r of sessions.filter((x) => !x.counted)) {
        assert.ok(r.id > lastCounted, `${label}: an uncounted session only after the verdict: ${JSON.stringify(r)}`);
        if (r.outcome === 'message') assert.equal(r.dataReply, '550', `${label}: a decided sender's message is refused for good`);
      }

      for (const r of counted) {
        const round = `${label} round ${r.round}`;
        assert.equal(r.ehlo, s.myhostname, `${round}: EHLO name`);
        assert.equal(r.helo, false, `${round}: EHLO, not HELO`);
        assert.deepEqual(r.offered, r.round === 3 ? { starttls: false, certificate: null } : { starttls: true, certificate: r.round === 1 ? 'valid' : 'wrong-name' }, `${round}: offered`);
        assert.equal(r.clientCertificate, null, `${round}: Postfix presents no client certificate`);
        assert.equal(r.injectionRefused, false);
        assert.equal(r.badCommands, 0, `${round}: no command refused`);
        if (r.startedTls) {
          assert.equal(r.tlsError, null, `${round}: the handshake completed`);
          assert.equal(r.tls?.protocol, 'TLSv1.3', `${round}: TLS version`);
          assert.match(r.tls?.cipher ?? '', /^TLS_/, `${round}: cipher`);
          assert.equal(r.tls?.sni ?? null, s.level === 'verify' ? NAME : null, `${round}: SNI as Postfix sends it (smtp_tls_servername)`);
          assert.ok(r.timings.tlsMs !== null && r.timings.tlsMs >= 0, `${round}: handshake timed`);
        } else {
          assert.equal(r.tls, null, `${round}: no TLS`);
        }
        if (r.outcome === 'message') {
          assert.equal(r.mailFrom, `test@${s.myhostname}`, `${round}: MAIL FROM`);
          assert.deepEqual(r.rcptTo, ['test@receiver.test'], `${round}: RCPT TO`);
          assert.ok(r.message.size > 0, `${round}: message size`);
          // Postfix's own hop: picked up locally (sendmail), by the sender's myhostname.
          assert.equal(r.message.received?.hops.length, 1, `${round}: one Received field\n${JSON.stringify(r.message)}`);
          assert.equal(r.message.received.hops[0].by?.host, s.myhostname, `${round}: the hop is the sender's`);
        } else {
          assert.equal(r.message, null, `${round}: no message`);
          assert.equal(r.mailFrom, null, `${round}: no MAIL FROM`);
        }
        assert.equal(typeof r.timings.totalMs, 'number');
        assert.ok(!Number.isNaN(Date.parse(r.timings.startedAt)), `${round}: startedAt is a date`);
      }

      // Postfix's own log, an independent account: the TLS sessions it made, in order, and what it was told.
      const log = await s.log();
      const fromLog = tlsSessionsInLog(log);
      const tlsSessions = sessions.filter((r) => r.tls !== null);
      assert.deepEqual(
        tlsSessions.map((r) => [r.tls.protocol, r.tls.cipher]),
        fromLog.slice(0, tlsSessions.length).map((x) => [x.protocol, x.cipher]),
        `${label}: protocol and cipher as Postfix logged them`,
      );
      if (s.level === 'verify') {
        assert.equal(fromLog[0]?.trust, 'Verified', 'verify: round 1 (the valid certificate) verified');
        assert.match(log, /certificate verification failed for 127\.0\.0\.1\S*: self-signed certificate/, 'verify: round 2, the generated certificate, not trusted');
        assert.match(log, /status=deferred \(Server certificate not verified\)/, 'verify: so it deferred the message');
      }
      if (s.level === 'may') assert.deepEqual(fromLog.slice(0, 2).map((x) => x.trust), ['Trusted', 'Untrusted'], 'may: the valid chain, then the self-signed one');
      if (s.level === 'encrypt' || s.level === 'verify') assert.match(log, /TLS is required, but was not offered by host 127\.0\.0\.1/, `${label}: round 3 deferred by Postfix`);
      if (expected.steps.some(([, , , reply]) => reply === '550')) assert.match(log, /status=bounced \(host 127\.0\.0\.1\[127\.0\.0\.1\] said: 550 /, `${label}: the 550 ends the message`);
      if (expected.steps.some(([, , , reply]) => reply === '451')) assert.match(log, /status=deferred \(host 127\.0\.0\.1\[127\.0\.0\.1\] said: 451 /, `${label}: the 451 brings it back`);
    }
  } catch (e) {
    await rethrowWithLogs(e, receive, senders, cli);
  } finally {
    await stopAll(t, receive, senders);
  }
});

test('a decided sender that comes back is turned away for good: real Postfix (encrypt, verify) bounces on the 550 and stops; SIGINT ends the run with the report', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const receive = await startReceive([]);
  const specs: typeof SENDERS = [
    { level: 'encrypt', bindAddress: '127.0.0.45' },
    { level: 'verify', bindAddress: '127.0.0.46' },
  ];
  const senders = await startSenders(t, receive, specs);
  if (senders === undefined) return;
  let cli: CliRun | undefined;
  try {
    await Promise.all(senders.map((s) => s.submit()));
    // Rounds 1-3, then a fourth session: round 1 again, whose message gets the 550.
    await waitFor('both messages bounced by the 550 and gone from the queues', () => {
      const sessions = ndjson(receive.live.stdout);
      return senders.every((s) => sessions.some((r) => r.ip === s.bindAddress && r.counted === false && r.dataReply === '550'));
    });
    for (const s of senders) {
      const until = Date.now() + STEP_MS;
      while ((await s.queue()).length > 0) {
        assert.ok(Date.now() < until, `${s.level}: the queue empties after the 550`);
        await new Promise((r) => setTimeout(r, 200));
      }
      assert.match(await s.log(), /status=bounced \(host 127\.0\.0\.1\[127\.0\.0\.1\] said: 550 /, `${s.level}: bounced on the 550`);
    }
    const before = ndjson(receive.live.stdout).length;
    await new Promise((r) => setTimeout(r, 3000)); // a retry would come within ~1 s
    assert.equal(ndjson(receive.live.stdout).length, before, 'no session after the bounce');

    receive.child.kill('SIGINT');
    cli = await receive.run;
    const why = `exit ${cli.code}\n--- stderr\n${cli.stderr}\n--- stdout\n${cli.stdout.slice(0, 20_000)}`;
    assert.equal(cli.code, 0, `SIGINT: the report, exit 0 (senders observed, nothing required)\n${why}`);
    const records = ndjson(cli.stdout);
    const senderRecords = records.filter((r) => r.record === 'sender');
    assert.deepEqual(senderRecords.map((r) => [r.ip, r.policies, r.decided, r.sessions]).sort(), [
      ['127.0.0.45', ['c'], true, 4],
      ['127.0.0.46', ['d'], true, 4],
    ], why);
    for (const s of senders) {
      const sessions = records.filter((r) => r.record === 'session' && r.ip === s.bindAddress);
      assert.deepEqual(
        sessions.map((r) => [r.round, r.counted, r.startedTls, r.outcome, r.dataReply]),
        [...EXPECTED[s.level].steps.map(([round, tls, outcome, reply]) => [round, true, tls, outcome, reply]), [1, false, true, 'message', '550']],
        `${s.level}: three rounds, then turned away\n${JSON.stringify(sessions, null, 1)}`,
      );
    }
  } catch (e) {
    await rethrowWithLogs(e, receive, senders, cli);
  } finally {
    await stopAll(t, receive, senders);
  }
});
