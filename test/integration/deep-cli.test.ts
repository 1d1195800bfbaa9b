// `--deep` end to end through the BUILT CLI against fake servers on loopback (issue 10): a real
// tls.Server behind STARTTLS for every full handshake, and (where OpenSSL 3 cannot play the part)
// the deep scans' hand-built hellos answered by hand (test/helpers/hybrid-deep-smtp.ts): a server
// that picks 3DES, one that picks RC4, TLS 1.0/1.1 only, TLS 1.3 only, a 1024-bit DHE group, RSA +
// ECDSA certificates, one that buffers commands across STARTTLS, one that says 421 after a few
// connections. Each is run three ways: `--require verify+graded` (the grade and its exit code),
// `--require verify --deep` and `--require verify` (the rule that --deep never moves the level or
// the exit code of a requirement without +graded). Over every run: never two connections at once,
// QUIT wherever a session completed, no error-severity problem under a PASS.
import assert from 'node:assert/strict';
import { constants as cryptoConstants } from 'node:crypto';
import { before, test } from 'node:test';
import { startHybridDeepSmtp, type HybridDeepOptions, type HybridDeepServer } from '../helpers/hybrid-deep-smtp.ts';
import { makeTestPki, type TestPki } from '../helpers/pki.ts';
import { addressesOf, problemsOf, runCli, type CliRun } from '../helpers/run-cli.ts';
import { dh1024Pem } from '../helpers/dh-params.ts';

let pki: TestPki;
let dh1024: string;

before(async () => {
  pki = await makeTestPki();
  dh1024 = await dh1024Pem();
  process.removeAllListeners('warning'); // Node warns about the small DH group served on purpose
});

/** Every CLI run of this file, for the rules over all of them (the last tests). */
const runs: Array<{ scenario: string; args: string; run: CliRun; server: HybridDeepServer }> = [];

const rsa = () => ({ key: pki.certs.valid.key, cert: pki.certs.valid.cert });
/** Key exchange groups graded good (OpenSSL's default list also has the FFDHE groups in TLS 1.3, graded phase-out and worse). */
const GOOD_GROUPS = 'X25519:P-256:P-384';
/** A server with nothing insufficient under ncsc: TLS 1.2 and 1.3, ECDHE with AES-GCM in its own order, no client renegotiation. */
const clean = (): HybridDeepOptions['tls'] => ({
  ...rsa(),
  ecdhCurve: GOOD_GROUPS,
  minVersion: 'TLSv1.2',
  ciphers: 'ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256',
  honorCipherOrder: true,
  secureOptions: cryptoConstants.SSL_OP_NO_RENEGOTIATION,
});

function cliArgs(port: number, extra: readonly string[]): string[] {
  return ['--server', `127.0.0.1:${port}`, '--name', 'mx.test', '--ca-file', pki.caFile, '--timeout', '20', '--connect-timeout', '10', '--json', ...extra];
}

/**
 * The three runs of one scenario on a fresh server each (the 421 counter starts again), checked
 * for politeness; returns the +graded run's domain, address and exit code.
 */
async function scenario(name: string, options: () => HybridDeepOptions, extra: readonly string[] = []) {
  const variants = [['--require', 'verify+graded', ...extra], ['--require', 'verify', '--deep', ...extra], ['--require', 'verify', ...extra]];
  const results: CliRun[] = [];
  for (const variant of variants) {
    const server = await startHybridDeepSmtp(options());
    try {
      const run = await runCli(cliArgs(server.port, variant), { killAfterMs: 120_000 });
      assert.equal(run.stderr.includes('    at '), false, `no stack trace: ${run.stderr}`);
      runs.push({ scenario: name, args: variant.join(' '), run, server });
      results.push(run);
    } finally {
      await server.close();
    }
  }
  const graded = results[0] as CliRun;
  const domain = graded.json().domains[0];
  const address = addressesOf(domain)[0];
  assert.ok(address.deep, `a deep result: ${graded.stdout.slice(0, 2000)}`);
  return { domain, address, deep: address.deep, code: graded.code, codes: problemsOf(domain).map((p: any) => p.code) as string[], problems: problemsOf(domain) };
}

const acceptedVersions = (deep: any) => deep.protocols.filter((p: any) => p.accepted === true).map((p: any) => p.version);
const suites = (deep: any, protocol?: string) => deep.ciphers.accepted.filter((s: any) => protocol === undefined || s.protocol === protocol).map((s: any) => s.name);

test('a server whose ServerHello picks 3DES: the suite found, TLS_CIPHER_INSUFFICIENT (error), exit 1 under +graded', async () => {
  const r = await scenario('3des', () => ({ tls: { ...rsa(), minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' }, hand: { versions: ['TLSv1.2'], suites: [0xc02f, 0x000a] } }));
  assert.deepEqual(acceptedVersions(r.deep), ['TLSv1.2']);
  assert.deepEqual(suites(r.deep).sort(), ['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'TLS_RSA_WITH_3DES_EDE_CBC_SHA']);
  const p = r.problems.find((x: any) => x.code === 'TLS_CIPHER_INSUFFICIENT');
  assert.ok(p, r.codes.join());
  assert.equal(p.severity, 'error');
  assert.match(p.message, /3DES/);
  assert.equal(r.domain.graded.satisfied, false);
  assert.equal(r.code, 1);
});

test('a server whose ServerHello picks RC4: TLS_CIPHER_INSUFFICIENT naming RC4, exit 1 under +graded', async () => {
  const r = await scenario('rc4', () => ({ tls: { ...rsa(), minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' }, hand: { versions: ['TLSv1.2'], suites: [0xc02f, 0x0005] } }));
  assert.ok(suites(r.deep, 'TLSv1.2').includes('TLS_RSA_WITH_RC4_128_SHA'), suites(r.deep).join());
  assert.match(r.problems.find((x: any) => x.code === 'TLS_CIPHER_INSUFFICIENT')?.message ?? '', /RC4/);
  assert.equal(r.code, 1);
});

test('TLS 1.0 and 1.1 only: exactly those two accepted, TLS_PROTOCOL_INSUFFICIENT, exit 1', async () => {
  const r = await scenario('tls10-11', () => ({ tls: { ...rsa(), minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' } }));
  assert.deepEqual(acceptedVersions(r.deep), ['TLSv1', 'TLSv1.1']);
  assert.deepEqual(r.deep.protocols.filter((p: any) => p.accepted === null), [], 'every version told');
  assert.ok(r.codes.includes('TLS_PROTOCOL_INSUFFICIENT'), r.codes.join());
  assert.equal(r.code, 1);
});

test('TLS 1.3 only: only 1.3 accepted, its three suites, nothing insufficient, graded complete: exit 0', async () => {
  const r = await scenario('tls13', () => ({ tls: { ...rsa(), minVersion: 'TLSv1.3', ecdhCurve: GOOD_GROUPS } }));
  assert.deepEqual(acceptedVersions(r.deep), ['TLSv1.3']);
  assert.deepEqual(suites(r.deep, 'TLSv1.3').sort(), ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256']);
  assert.equal(r.address.grade.complete, true, `missing: ${JSON.stringify(r.address.grade.missing)}`);
  assert.equal(r.codes.includes('DEEP_PARTIAL'), false, r.codes.join());
  assert.equal(r.domain.graded.satisfied, true);
  assert.equal(r.code, 0);
});

test('a 1024-bit DHE group: dhBits 1024, WEAK_DH (error), exit 1', async () => {
  const r = await scenario('dhe1024', () => ({ tls: { ...rsa(), maxVersion: 'TLSv1.2', dhparam: dh1024, ciphers: 'ECDHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0' } }));
  assert.deepEqual(r.deep.groups.dhBits, [1024]);
  assert.equal(r.problems.find((x: any) => x.code === 'WEAK_DH')?.severity, 'error');
  assert.equal(r.code, 1);
});

test('RSA and ECDSA certificates: each reported by the signature family that shows it', async () => {
  const r = await scenario('dual', () => ({ tls: { ...clean(), ciphers: 'ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256', key: [pki.certs.valid.key, pki.certs.ecdsa.key], cert: [pki.certs.valid.cert, pki.certs.ecdsa.cert] } }));
  const shown = r.deep.certificates.map((c: any) => [c.offered, c.certificate?.chain[0]?.keyType ?? null, c.note]);
  assert.deepEqual(shown, [['rsa', 'rsa', null], ['ecdsa', 'ec', null]]);
  assert.ok(suites(r.deep, 'TLSv1.2').includes('TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256'));
  assert.equal(r.code, 0, r.codes.join());
});

test('a server that runs commands buffered across STARTTLS: commandInjection true, STARTTLS_COMMAND_INJECTION (error), exit 1', async () => {
  const r = await scenario('injection', () => ({ tls: clean(), afterStarttls: 'buffer' }));
  assert.equal(r.deep.commandInjection.vulnerable, true);
  assert.equal(r.problems.find((x: any) => x.code === 'STARTTLS_COMMAND_INJECTION')?.severity, 'error');
  assert.equal(r.code, 1);
});

test('the same server discarding them (RFC 3207 §6): commandInjection false', async () => {
  const r = await scenario('clean', () => ({ tls: clean() }));
  assert.equal(r.deep.commandInjection.vulnerable, false);
  assert.equal(r.deep.renegotiation.clientInitiated, false);
  assert.equal(r.deep.partial, null);
  assert.equal(r.code, 0, r.codes.join());
});

test('a server that says 421 after 6 connections: the deep probe stops, partial, DEEP_PARTIAL; +graded gives 3 (undetermined), not 0', async () => {
  const r = await scenario('421', () => ({ tls: clean(), greet421After: 6 }));
  assert.notEqual(r.deep.partial, null);
  assert.match(r.deep.partial.message, /421/);
  assert.ok(r.codes.includes('DEEP_PARTIAL'), r.codes.join());
  assert.equal(r.address.grade.complete, false);
  assert.equal(r.domain.graded.satisfied, null);
  assert.equal(r.code, 3);
  // It stopped at the first 421: the probe's own connections, then deep ones up to the 421, and none after it.
  const last = runs.filter((s) => s.scenario === '421')[0]?.server as HybridDeepServer;
  assert.equal(last.sessions.filter((s) => s.refused421).length, 1, 'no connection after the 421');
});

test('--deep-delay spaces the connections: the deep probe takes at least (connections - 1) × delay', async () => {
  const delay = 150;
  const server = await startHybridDeepSmtp({ tls: { ...rsa(), minVersion: 'TLSv1.3' } });
  try {
    const started = Date.now();
    const run = await runCli(cliArgs(server.port, ['--deep', '--deep-delay', String(delay)]), { killAfterMs: 120_000 });
    const elapsed = Date.now() - started;
    runs.push({ scenario: 'delay', args: '--deep --deep-delay', run, server });
    const deep = addressesOf(run.json().domains[0])[0].deep;
    assert.ok(deep.connections > 5, `connections ${deep.connections}`);
    assert.ok(elapsed >= (deep.connections - 1) * delay, `${elapsed} ms for ${deep.connections} connections at ${delay} ms apart`);
  } finally {
    await server.close();
  }
});

test('politeness over every run: never two connections at once to the address; QUIT last wherever a session completed; no mail command', () => {
  assert.ok(runs.length >= 25, `runs so far: ${runs.length}`);
  for (const { scenario, args, run, server } of runs) {
    const where = `${scenario} (${args})`;
    assert.ok(server.maxConcurrent <= 1, `${where}: ${server.maxConcurrent} connections at once`);
    const ehloNames = new Set(server.sessions.flatMap((s) => s.commands.filter((c) => /^EHLO /i.test(c))));
    assert.ok(ehloNames.size <= 1, `${where}: one EHLO name, not ${JSON.stringify([...ehloNames])}`);
    let unfinished = 0;
    for (const s of server.sessions) {
      for (const c of s.commands) assert.doesNotMatch(c, /^\s*(MAIL|RCPT|DATA|BDAT)\b/i, `${where}: ${c}`);
      // A real handshake (hello scans end in an alert by design) is followed by QUIT inside TLS…
      if (s.tls && !s.hand && s.commands.at(-1)?.toUpperCase() !== 'QUIT') unfinished += 1;
    }
    // …but for the renegotiation check against a server that refuses it: OpenSSL ends that session on the no_renegotiation alert.
    const deep = addressesOf(run.json().domains[0])[0]?.deep;
    const refused = deep?.renegotiation.clientInitiated === false && /^the server refused/.test(deep.renegotiation.note ?? '') ? 1 : 0;
    assert.ok(unfinished <= refused, `${where}: ${unfinished} TLS sessions without QUIT: ${JSON.stringify(server.sessions.filter((s) => s.tls && !s.hand).map((s) => s.commands))}`);
  }
});

test('rules over every run: no error-severity problem under a PASS; --deep never moves the level or the exit code of --require verify', () => {
  for (const { scenario, args, run } of runs) {
    const report = run.json();
    for (const domain of report.domains) {
      if (domain.pass === true) {
        const errors = problemsOf(domain).filter((p: any) => p.severity === 'error');
        assert.deepEqual(errors.map((p: any) => p.code), [], `${scenario} (${args}): errors under a PASS`);
      }
    }
  }
  const byScenario = new Map<string, Map<string, CliRun>>();
  for (const { scenario, args, run } of runs) {
    const m = byScenario.get(scenario) ?? new Map<string, CliRun>();
    m.set(args, run);
    byScenario.set(scenario, m);
  }
  let compared = 0;
  for (const [scenario, m] of byScenario) {
    const deep = m.get('--require verify --deep');
    const plain = m.get('--require verify');
    if (deep === undefined || plain === undefined) continue;
    compared += 1;
    assert.equal(deep.code, plain.code, `${scenario}: exit code of --require verify with and without --deep`);
    assert.equal(deep.json().domains[0].level, plain.json().domains[0].level, `${scenario}: level with and without --deep`);
    assert.equal(deep.json().domains[0].pass, plain.json().domains[0].pass, `${scenario}: pass with and without --deep`);
  }
  assert.ok(compared >= 9, `scenarios compared: ${compared}`);
});

test('the connection meter itself: two clients that talk at once count as 2', async () => {
  const server = await startHybridDeepSmtp({ tls: rsa() });
  const net = await import('node:net');
  try {
    const greet = () =>
      new Promise<import('node:net').Socket>((resolve) => {
        const s = net.connect(server.port, '127.0.0.1');
        s.once('data', () => resolve(s));
      });
    const [a, b] = [await greet(), await greet()];
    const answered = (s: import('node:net').Socket) => new Promise((resolve) => s.once('data', resolve));
    a.write('EHLO a\r\n');
    await answered(a);
    b.write('EHLO b\r\n');
    await answered(b);
    assert.equal(server.maxConcurrent, 2);
    a.destroy();
    b.destroy();
  } finally {
    await server.close();
  }
});
