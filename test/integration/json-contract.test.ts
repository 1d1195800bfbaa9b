// The JSON report is a public contract (src/model/, README "JSON format"): these tests
// pin its shape as the real CLI writes it, for a verify-grade server, a server without STARTTLS,
// an unreachable one and several domains in one run, and the optional fields of the DNS side.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { craftResponse, startFakeDns } from '../helpers/fake-dns.ts';
import { startFakeSmtp, type FakeSmtpOptions, type FakeSmtpServer } from '../helpers/fake-smtp.ts';
import { makeTestPki, type TestPki } from '../helpers/pki.ts';
import { FAST, PATIENT, addressesOf, assertNeverSentMail, closedPort, problemsOf, runCli, serverArgs } from '../helpers/run-cli.ts';

const LEVELS = ['none', 'encrypt', 'verify'];
const SEVERITIES = ['error', 'warning', 'info'];
const STAGES = ['connect', 'banner', 'ehlo', 'starttls', 'handshake', 'ehlo-tls', 'quit', 'modern-tls', 'dane-handshake'];

let pki: TestPki;
before(async () => {
  pki = await makeTestPki();
});

/** Each test has its own fake server, so its sessions are its own (tests run concurrently). */
async function withSmtp(options: FakeSmtpOptions, fn: (smtp: FakeSmtpServer) => Promise<void>): Promise<void> {
  const smtp = await startFakeSmtp(options);
  try {
    await fn(smtp);
  } finally {
    await smtp.close();
  }
}

const isInt = (v: unknown) => Number.isInteger(v);
const isStringOrNull = (v: unknown) => v === null || typeof v === 'string';

function checkProblem(p: any, where: { host?: string; ip?: string } | null): void {
  assert.equal(typeof p.code, 'string');
  assert.match(p.code, /^[A-Z][A-Z0-9_]+$/);
  assert.ok(SEVERITIES.includes(p.severity), p.severity);
  assert.equal(typeof p.message, 'string');
  assert.ok(p.message.length > 0);
  assert.equal(typeof p.hint, 'string');
  assert.ok(p.hint.length > 0);
  assert.ok(['domain', 'host', 'address', 'input'].includes(p.scope), p.scope);
  if (where?.host !== undefined) assert.equal(p.host, where.host);
  if (where?.ip !== undefined) assert.equal(p.ip, where.ip);
}

const TIERS = ['good', 'sufficient', 'phase-out', 'insufficient'];
const maybeBool = (v: unknown) => v === null || typeof v === 'boolean';

/** An address's `deep` facts and `grade` (--deep, issue 10): every field, its type. */
function checkDeep(a: any): void {
  const d = a.deep;
  assert.deepEqual(Object.keys(d), ['protocols', 'ciphers', 'groups', 'certificates', 'ocsp', 'renegotiation', 'compression', 'extendedMasterSecret', 'commandInjection', 'connections', 'partial']);
  assert.deepEqual(d.protocols.map((p: any) => p.version), ['SSLv3', 'TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3']);
  for (const p of d.protocols) assert.ok(maybeBool(p.accepted) && isStringOrNull(p.note));
  assert.deepEqual(Object.keys(d.ciphers), ['accepted', 'serverOrder', 'untested']);
  for (const s of d.ciphers.accepted) assert.deepEqual([typeof s.protocol, isInt(s.code), typeof s.name], ['string', true, 'string']);
  assert.ok(maybeBool(d.ciphers.serverOrder));
  assert.deepEqual(Object.keys(d.groups), ['accepted', 'dhBits', 'dhGroups', 'untested']);
  for (const c of d.certificates) {
    assert.ok(['rsa', 'ecdsa'].includes(c.offered));
    assert.ok(c.certificate === null || (typeof c.certificate.trusted === 'boolean' && typeof c.certificate.nameMatch === 'boolean' && isInt(c.certificate.daysLeft)), 'judged like the probe\'s own');
  }
  assert.ok(d.ocsp === null || typeof d.ocsp.stapled === 'boolean');
  assert.deepEqual(Object.keys(d.renegotiation), ['secure', 'clientInitiated', 'note']);
  for (const v of [d.compression, d.extendedMasterSecret, d.commandInjection.vulnerable]) assert.ok(maybeBool(v));
  assert.ok(isInt(d.connections) && d.connections > 0);
  assert.ok(d.partial === null || typeof d.partial.message === 'string');
  assert.deepEqual(Object.keys(a.grade), ['profile', 'facts', 'worst', 'complete', 'missing']);
  for (const f of a.grade.facts) assert.ok(TIERS.includes(f.tier) && ['probe', 'deep'].includes(f.seenBy) && typeof f.subject === 'string', JSON.stringify(f));
  assert.ok(a.grade.worst === null || TIERS.includes(a.grade.worst));
}

function checkAddress(a: any, host: string, { transcript }: { transcript: boolean }): void {
  assert.equal(typeof a.ip, 'string');
  assert.ok(a.family === 4 || a.family === 6);
  assert.ok(isInt(a.port) && a.port > 0);
  assert.equal(a.host, host);
  assert.equal(typeof a.connected, 'boolean');
  assert.equal(typeof a.starttls, 'boolean');
  assert.ok(isInt(a.injectedBytes));
  assert.ok(a.level === null || LEVELS.includes(a.level), String(a.level));
  assert.ok(Array.isArray(a.problems));
  for (const p of a.problems) {
    checkProblem(p, { host, ip: a.ip });
    assert.equal(p.scope, 'address');
  }
  // timings: total plus the stages reached, whole milliseconds
  assert.ok(isInt(a.timings.total) && a.timings.total >= 0);
  for (const [stage, ms] of Object.entries(a.timings)) {
    assert.ok(stage === 'total' || STAGES.includes(stage), stage);
    assert.ok(isInt(ms) && (ms as number) >= 0);
  }
  for (const key of ['banner', 'ehlo', 'starttlsReply', 'tlsRequiredReply', 'ehloTls', 'failure', 'tls', 'certificate', 'modernTls']) {
    assert.ok(key in a, `address has "${key}" (null when not applicable)`);
  }
  assert.ok(['starttls', 'implicit'].includes(a.tlsMode), a.tlsMode);
  if (a.modernTls !== null) {
    assert.ok(a.modernTls.ok === null || typeof a.modernTls.ok === 'boolean');
    for (const key of ['protocol', 'cipher', 'error']) assert.ok(isStringOrNull(a.modernTls[key]), key);
    assert.ok(a.modernTls.failure === null || STAGES.includes(a.modernTls.failure.stage));
  }
  if (a.tls !== null) {
    assert.equal(typeof a.tls.protocol, 'string');
    assert.equal(typeof a.tls.cipher, 'string');
    assert.equal(typeof a.tls.cipherOpenssl, 'string');
    assert.ok(isStringOrNull(a.tls.sni));
    assert.ok(a.tls.keyExchange === null || typeof a.tls.keyExchange.type === 'string');
    assert.ok(isStringOrNull(a.tls.serverSignature));
  }
  if (a.certificate !== null) {
    const c = a.certificate;
    assert.ok(Array.isArray(c.chain) && c.chain.length > 0);
    assert.equal(typeof c.trusted, 'boolean');
    assert.ok(isStringOrNull(c.trustError));
    assert.equal(typeof c.nameMatch, 'boolean');
    assert.ok(isStringOrNull(c.matchedName));
    assert.equal(typeof c.expired, 'boolean');
    assert.equal(typeof c.notYetValid, 'boolean');
    assert.ok(isInt(c.daysLeft));
    assert.equal(c.chainDaysLeft.length, c.chain.length);
    for (const info of c.chain) {
      for (const key of ['subject', 'issuer', 'notBefore', 'notAfter', 'keyType', 'signatureAlgorithm', 'fingerprint256', 'serialNumber', 'pem']) {
        assert.equal(typeof info[key], 'string', key);
      }
      assert.ok(!Number.isNaN(Date.parse(info.notBefore)) && !Number.isNaN(Date.parse(info.notAfter)));
      assert.ok(Array.isArray(info.san) && Array.isArray(info.commonNames));
      for (const key of ['selfSigned', 'isCA', 'inTrustStore']) assert.equal(typeof info[key], 'boolean', key);
      assert.ok(info.keyBits === null || isInt(info.keyBits));
    }
  }
  if (a.deep !== undefined) checkDeep(a);
  if (transcript) {
    assert.ok(Array.isArray(a.transcript) && a.transcript.length > 0, 'transcript kept with --transcript');
    for (const e of a.transcript) {
      assert.ok(['C', 'S', '*'].includes(e.dir));
      assert.equal(typeof e.text, 'string');
      assert.ok(isInt(e.ms));
    }
  } else {
    assert.ok(!('transcript' in a), 'no transcript without --transcript');
  }
}

function checkDomain(d: any, { transcript }: { transcript: boolean }): void {
  assert.equal(typeof d.domain, 'string');
  assert.equal(typeof d.input, 'string');
  assert.ok(['probed', 'nxdomain', 'null-mx', 'dns-failure', 'no-mail-host', 'not-probed'].includes(d.outcome), d.outcome);
  if ('mxLimit' in d) {
    assert.deepEqual(Object.keys(d.mxLimit), ['found', 'probed']);
    assert.ok(isInt(d.mxLimit.found) && isInt(d.mxLimit.probed) && d.mxLimit.probed < d.mxLimit.found);
  }
  assert.ok(d.level === null || LEVELS.includes(d.level));
  // `required` as v1 wrote it for a level-named requirement; several policies comma-separated.
  const LEVEL_NAMES: Record<string, string> = { plain: 'none', 'tls-required': 'encrypt', verify: 'verify' };
  // A graded requirement (--require …+graded) ends in +graded and carries `graded`.
  const graded = d.graded !== undefined ? '+graded' : '';
  assert.equal(d.required, `${d.requiredPolicies.map((id: string) => LEVEL_NAMES[id] ?? id).join(',')}${graded}`);
  if (d.requiredPolicies.length === 1 && d.requiredPolicies[0] !== 'opportunistic') assert.ok(LEVELS.includes(d.required.replace(/\+graded$/, '')), d.required);
  assert.ok(d.pass === null || typeof d.pass === 'boolean');
  assert.equal(typeof d.mxAuthenticated, 'boolean');
  assert.ok(!Number.isNaN(Date.parse(d.probedAt)));
  assert.ok(Array.isArray(d.dns));
  for (const q of d.dns) {
    assert.equal(typeof q.name, 'string');
    assert.ok(['MX', 'A', 'AAAA', 'TLSA', 'TXT'].includes(q.type), q.type);
    if ('dnssec' in q) assert.ok(['secure', 'insecure', 'bogus', 'indeterminate'].includes(q.dnssec), q.dnssec);
    assert.equal(typeof q.rcode, 'string');
    assert.ok(Array.isArray(q.answers) && Array.isArray(q.cnames));
    // Only when no usable answer came: what went wrong, in words.
    if ('error' in q) assert.ok(typeof q.error === 'string' && ['TIMEOUT', 'NETWORK_ERROR', 'MALFORMED', 'ABORTED'].includes(q.rcode), q.rcode);
  }
  assert.ok(Array.isArray(d.mx));
  for (const h of d.mx) {
    assert.equal(typeof h.host, 'string');
    assert.ok(isInt(h.preference));
    assert.equal(typeof h.implicit, 'boolean');
    assert.ok(Array.isArray(h.cnames));
    assert.ok(Array.isArray(h.addresses));
    for (const a of h.addresses) checkAddress(a, h.host, { transcript });
    if ('skipped' in h) {
      assert.ok(Array.isArray(h.skipped) && h.skipped.length > 0, 'skipped: absent when empty');
      for (const x of h.skipped) {
        assert.equal(typeof x.ip, 'string');
        assert.ok([4, 6].includes(x.family));
        assert.ok(['special-purpose', 'family', 'limit'].includes(x.reason), x.reason);
        if (x.reason === 'special-purpose') assert.ok(typeof x.range === 'string' && typeof x.block === 'string');
      }
    }
    if ('unusable' in h) {
      assert.ok(['ip-literal', 'invalid-name'].includes(h.unusable.kind));
      assert.equal(typeof h.unusable.detail, 'string');
      assert.deepEqual(h.addresses, [], 'an unusable MX target is not probed');
    }
  }
  assert.ok(Array.isArray(d.problems));
  // The domain keeps its own problems (scope domain, host, input); each address keeps its own,
  // and no problem is listed twice.
  for (const p of d.problems) {
    checkProblem(p, null);
    assert.ok(['domain', 'host', 'input'].includes(p.scope), `${p.code}: scope ${p.scope} at the domain`);
    assert.ok(!('ip' in p), `${p.code}: a domain problem names no IP`);
    if (p.scope === 'host') assert.equal(typeof p.host, 'string');
    else assert.ok(!('host' in p), `${p.code}: scope ${p.scope} names no host`);
  }
  const messages = problemsOf(d).map((p: any) => `${p.code} ${p.message}`);
  assert.equal(new Set(messages).size, messages.length, 'no problem twice');
  assert.deepEqual(d.policies.map((p: any) => [p.policy, p.id]), [['a', 'plain'], ['b', 'opportunistic'], ['c', 'tls-required'], ['d', 'verify'], ['e', 'dane'], ['f', 'mta-sts']]);
  // DNSSEC, MTA-STS and TLS-RPT: gathered for every domain (not for --server, which asks no MX).
  if ('dnssec' in d) {
    assert.deepEqual(Object.keys(d.dnssec), ['validating', 'mx']);
    assert.ok(d.dnssec.validating === null || typeof d.dnssec.validating === 'boolean');
    assert.deepEqual(Object.keys(d.mtaSts), ['txt', 'record', 'id', 'fetch', 'policy', 'error', 'mode', 'mxMatch']);
    assert.ok([null, 'enforce', 'testing', 'none'].includes(d.mtaSts.mode));
    assert.deepEqual(Object.keys(d.tlsRpt), ['txt', 'record', 'rua', 'error']);
  }
  for (const p of d.policies) {
    assert.deepEqual(Object.keys(p), ['policy', 'id', 'name', 'delivered', 'encrypted', 'authenticated', 'satisfied']);
    assert.equal(typeof p.name, 'string');
    assert.ok(['yes', 'partly', 'no', 'unknown'].includes(p.delivered));
    assert.ok(['yes', 'partly', 'no', 'unknown', 'n/a'].includes(p.encrypted));
    assert.ok(['yes', 'partly', 'no', 'unknown', 'n/a'].includes(p.authenticated));
    assert.ok(p.satisfied === null || typeof p.satisfied === 'boolean');
  }
  // What was required, and pass against it: true iff every required policy is satisfied.
  assert.ok(Array.isArray(d.requiredPolicies) && d.requiredPolicies.length > 0);
  const required = d.policies.filter((p: any) => d.requiredPolicies.includes(p.id));
  assert.equal(required.length, d.requiredPolicies.length);
  const verdicts = [...required.map((p: any) => p.satisfied), ...(d.graded !== undefined ? [d.graded.satisfied] : [])];
  assert.equal(d.pass, verdicts.some((v) => v === false) ? false : verdicts.every((v) => v === true) ? true : null);
}

function checkReport(stdout: string, { transcript }: { transcript: boolean }): any {
  assert.ok(stdout.endsWith('\n'));
  const report = JSON.parse(stdout);
  assert.deepEqual(Object.keys(report), ['schemaVersion', 'domains']);
  assert.equal(report.schemaVersion, 2);
  assert.ok(Array.isArray(report.domains));
  for (const d of report.domains) checkDomain(d, { transcript });
  return report;
}

describe('JSON contract', { concurrency: true }, () => {
  test('--deep: per address `deep` and `grade`, with +graded the domain\'s `graded`; the text report through the built CLI shows the grid', () =>
    withSmtp({ tls: pki.certs.valid }, async (server) => {
      const args = [...serverArgs(server), '--ca-file', pki.caFile, ...PATIENT];
      const json = await runCli([...args, '--require', 'verify+graded', '--json']);
      const d = checkReport(json.stdout, { transcript: false }).domains[0];
      assert.ok(json.code === 1 || json.code === 3, json.stderr);
      const a = d.mx[0].addresses[0];
      assert.ok(a.deep !== undefined && a.grade !== undefined);
      assert.equal(a.deep.protocols.find((p: any) => p.version === 'TLSv1.3').accepted, true);
      assert.deepEqual(Object.keys(d.graded), ['profile', 'worst', 'satisfied']);
      const text = await runCli([...args, '--deep']);
      assert.match(text.stdout, /^Deep TLS under NCSC-NL/m);
      assert.match(text.stdout, /│ SSLv3 │ TLS 1\.0 +│ TLS 1\.1 +│ TLS 1\.2 +│ TLS 1\.3 +│ Worst/);
      assert.match(text.stdout, /^mx\.test \[127\.0\.0\.1\]:\d+ · \d+ connections/m);
      assert.doesNotMatch(text.stdout, /\u001b/, 'no colour off a terminal');
    }));

  test('a verify-grade server, without and with --transcript', () =>
    withSmtp({ tls: pki.certs.valid }, async (good) => {
      const args = [...serverArgs(good), '--ca-file', pki.caFile, ...PATIENT, '--json'];
      const [plainRun, withTranscript, formatJson, several] = await Promise.all([
        runCli(args),
        runCli([...args, '--transcript']),
        runCli([...serverArgs(good), '--ca-file', pki.caFile, ...PATIENT, '--format', 'json']),
        runCli([...args, '--require', 'd,B']),
      ]);
      for (const run of [plainRun, withTranscript, formatJson, several]) assert.equal(run.code, 0, run.stderr);
      const both = checkReport(several.stdout, { transcript: false }).domains[0];
      assert.deepEqual([both.required, both.requiredPolicies, both.pass], ['opportunistic,verify', ['opportunistic', 'verify'], true]);
      const report = checkReport(plainRun.stdout, { transcript: false });
      checkReport(formatJson.stdout, { transcript: false });
      const d = report.domains[0];
      assert.equal(d.domain, 'mx.test');
      assert.equal(d.level, 'verify');
      assert.equal(d.required, 'encrypt');
      assert.equal(d.pass, true);
      assert.deepEqual(d.mx.map((h: any) => [h.host, h.preference, h.implicit]), [['mx.test', 0, false]]);
      const a = d.mx[0].addresses[0];
      assert.equal(a.ip, '127.0.0.1');
      assert.equal(a.port, good.port);
      assert.equal(a.starttls, true);
      assert.equal(a.level, 'verify');
      assert.deepEqual(a.problems, []);
      assert.equal(a.tls.protocol, 'TLSv1.3');
      assert.equal(a.certificate.chain[0].subject, 'CN=mx.test');
      for (const stage of ['connect', 'banner', 'ehlo', 'starttls', 'handshake', 'ehlo-tls', 'quit']) {
        assert.ok(isInt(a.timings[stage]), `timing of ${stage}`);
      }
      const t = checkReport(withTranscript.stdout, { transcript: true }).domains[0].mx[0].addresses[0].transcript;
      assert.deepEqual(
        t.filter((e: any) => e.dir === 'C').map((e: any) => e.text.split(' ')[0]),
        ['EHLO', 'STARTTLS', 'EHLO', 'QUIT'],
      );
      assert.ok(t.some((e: any) => e.dir === '*' && /TLS established/.test(e.text)));
      assertNeverSentMail(good, { quitLast: true });
    }),
  );

  test('no STARTTLS: tls and certificate are null, level none', () =>
    withSmtp({}, async (plain) => {
      const run = await runCli([...serverArgs(plain), ...PATIENT, '--json']);
      assert.equal(run.code, 1);
      const a = checkReport(run.stdout, { transcript: false }).domains[0].mx[0].addresses[0];
      assert.equal(a.starttls, false);
      assert.equal(a.tls, null);
      assert.equal(a.certificate, null);
      assert.equal(a.level, 'none');
      assert.equal(a.failure, null);
      assert.deepEqual(a.problems.map((p: any) => [p.code, p.host, p.ip]), [['STARTTLS_NOT_OFFERED', 'mx.test', '127.0.0.1']]);
      assertNeverSentMail(plain, { quitLast: true });
    }),
  );

  test('unreachable: level null, connected false, failure set', async () => {
    const port = await closedPort();
    const run = await runCli(['--server', `127.0.0.1:${port}`, ...FAST, '--json', '--transcript']);
    assert.equal(run.code, 3);
    const d = checkReport(run.stdout, { transcript: true }).domains[0];
    assert.equal(d.domain, '127.0.0.1');
    assert.equal(d.level, null);
    assert.equal(d.pass, null);
    const a = d.mx[0].addresses[0];
    assert.equal(a.connected, false);
    assert.deepEqual(Object.keys(a.failure).sort(), ['kind', 'message', 'stage']);
    assert.equal(a.failure.stage, 'connect');
    assert.equal(a.tls, null);
  });

  test('several domains in one run: input order, each judged; domain-level problems carry no IP', () =>
    withSmtp({ tls: pki.certs.valid }, async (good) => {
      const dns = await startFakeDns({
        'good.test': { MX: [{ preference: 10, exchange: 'mx.test' }] },
        'mx.test': { A: ['127.0.0.1'] },
        'null.test': { MX: [{ preference: 0, exchange: '.' }] },
      });
      try {
        const run = await runCli(['good.test', 'nx.test', 'user@null.test', '--resolver', dns.address, '--port', String(good.port), '--ca-file', pki.caFile, ...PATIENT, '--json', '--allow-special-addresses']);
        assert.equal(run.code, 1, 'one domain fails, so exit 1');
        const report = checkReport(run.stdout, { transcript: false });
        assert.deepEqual(
          report.domains.map((d: any) => [d.domain, d.input, d.outcome, d.level, d.pass]),
          [
            ['good.test', 'good.test', 'probed', 'verify', true],
            ['nx.test', 'nx.test', 'nxdomain', null, false],
            ['null.test', 'user@null.test', 'null-mx', null, false],
          ],
        );
        for (const d of report.domains.slice(1)) {
          assert.equal(d.problems.length, 1);
          assert.ok(!('ip' in d.problems[0]), 'a DNS problem concerns no IP');
        }
        assertNeverSentMail(good, { quitLast: true });
      } finally {
        await dns.close();
      }
    }),
  );

  test('the optional fields of the DNS side: skipped, unusable, mxLimit, error, outcome not-probed', async () => {
    // 11 MX hosts: an IP literal, a name that is no host name, and nine on loopback (filtered:
    // special-purpose). Nothing here is probed, so no fake SMTP server is needed.
    const mx = [
      { preference: 1, exchange: '192.0.2.1' },
      { preference: 2, exchange: 'bad!name.test' },
      ...Array.from({ length: 9 }, (_, i) => ({ preference: 10 + i, exchange: `mx${i}.test` })),
    ];
    const zone: Record<string, any> = {
      'odd.test': { MX: mx },
      'broken.test': { MX: [{ preference: 10, exchange: 'short.test' }] },
      'short.test': { raw: (q: any) => craftResponse(q, q.type === 'A' ? [{ type: 'A', rdata: Buffer.from([127, 0, 5]) }] : []) },
      'v4only.test': { MX: [{ preference: 10, exchange: 'mx0.test' }] },
    };
    for (let i = 0; i < 9; i++) zone[`mx${i}.test`] = { A: ['127.0.0.1'] };
    const dns = await startFakeDns(zone);
    const port = await closedPort();
    try {
      const [run, six] = await Promise.all([
        runCli(['odd.test', 'broken.test', '--resolver', dns.address, '--port', String(port), ...FAST, '--json']),
        runCli(['v4only.test', '-6', '--allow-special-addresses', '--resolver', dns.address, '--port', String(port), ...FAST, '--json']),
      ]);
      const [odd, broken] = checkReport(run.stdout, { transcript: false }).domains;
      assert.deepEqual(odd.mxLimit, { found: 11, probed: 10 });
      assert.deepEqual(odd.mx.slice(0, 3).map((h: any) => [h.unusable?.kind, h.skipped?.[0]?.reason]), [
        ['ip-literal', undefined],
        ['invalid-name', undefined],
        [undefined, 'special-purpose'],
      ]);
      assert.equal(broken.dns.find((q: any) => q.type === 'A').rcode, 'MALFORMED');
      const [v4only] = checkReport(six.stdout, { transcript: false }).domains;
      assert.equal(v4only.outcome, 'not-probed');
      assert.deepEqual(v4only.mx[0].skipped, [{ ip: '127.0.0.1', family: 4, reason: 'family' }]);
    } finally {
      await dns.close();
    }
  });
});
