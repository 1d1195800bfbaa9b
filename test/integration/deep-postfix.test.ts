// `--deep` end to end through the BUILT CLI against a REAL Postfix (issue 10): one private instance
// with a listener per configuration (TLS ≥ 1.2 default; TLS 1.0/1.1 only at security level 0; a
// restricted "high" cipher list in the server's order; two smtpd_tls_exclude_ciphers variants; a
// dual RSA + ECDSA certificate), each checked against the expected grid. The accepted suites are
// compared with an oracle, not a hand list: `openssl ciphers -s -<version> -stdname -v` of the very
// cipher list Postfix builds (the grade's list, then `:!x` per excluded cipher), limited to the
// suites the listener's certificates can serve. Postfix refuses client-initiated renegotiation
// (the no_renegotiation alert) and discards what follows STARTTLS (CVE-2011-0411 fixed in 2.8).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, test, type TestContext } from 'node:test';
import { makeTestPki, type TestPki } from '../helpers/pki.ts';
import { startPostfix, type PostfixInstance, type PostfixStart } from '../helpers/postfix.ts';
import { addressesOf, problemsOf, runCli } from '../helpers/run-cli.ts';

const MEDIUM = 'aNULL:-aNULL:HIGH:MEDIUM:+RC4:@STRENGTH'; // postconf -d tls_medium_cipherlist (smtpd_tls_ciphers = medium)
const LEGACY_MEDIUM = `${MEDIUM}:@SECLEVEL=0`; // so that OpenSSL lets TLS 1.0 and 1.1 through
const STRICT_HIGH = 'ECDHE+AESGCM';
const EXCLUDE_ANON_RSA = ['aNULL', 'kRSA'];
const EXCLUDE_MANY = ['aNULL', 'kRSA', 'kDHE', 'SHA1', 'CAMELLIA', 'ARIA', 'CCM'];

interface Listener {
  overrides: Record<string, string>;
  /** The cipher list Postfix hands to OpenSSL (tls_misc.c: the grade's list, then ":!x" per exclusion). */
  cipherList: string;
  /** Protocols accepted, oldest first. */
  protocols: string[];
  /** Key types of the certificates served. */
  keys: Array<'RSA' | 'ECDSA'>;
  /** Exit code of --require verify+graded (ncsc): 1 where anything is insufficient, 0 for a clean listener. */
  gradedExit: number;
}

const LISTENERS: Record<string, Listener> = {
  default: { overrides: {}, cipherList: MEDIUM, protocols: ['TLSv1.2', 'TLSv1.3'], keys: ['RSA'], gradedExit: 1 },
  legacy: {
    overrides: { smtpd_tls_protocols: '>=TLSv1, <=TLSv1.1', smtpd_tls_mandatory_protocols: '>=TLSv1, <=TLSv1.1', tls_medium_cipherlist: LEGACY_MEDIUM },
    cipherList: LEGACY_MEDIUM,
    protocols: ['TLSv1', 'TLSv1.1'],
    keys: ['RSA'],
    gradedExit: 1,
  },
  strict: {
    overrides: { smtpd_tls_ciphers: 'high', tls_high_cipherlist: STRICT_HIGH, tls_preempt_cipherlist: 'yes' },
    cipherList: STRICT_HIGH,
    protocols: ['TLSv1.2', 'TLSv1.3'],
    keys: ['RSA'],
    gradedExit: 0,
  },
  excludeAnonRsa: {
    overrides: { smtpd_tls_exclude_ciphers: EXCLUDE_ANON_RSA.join(', ') },
    cipherList: [MEDIUM, ...EXCLUDE_ANON_RSA.map((x) => `!${x}`)].join(':'),
    protocols: ['TLSv1.2', 'TLSv1.3'],
    keys: ['RSA'],
    gradedExit: 1, // DHE with Postfix's 2048-bit group and CBC with SHA-1 stay
  },
  excludeMany: {
    overrides: { smtpd_tls_exclude_ciphers: EXCLUDE_MANY.join(', '), tls_preempt_cipherlist: 'yes' },
    cipherList: [MEDIUM, ...EXCLUDE_MANY.map((x) => `!${x}`)].join(':'),
    protocols: ['TLSv1.2', 'TLSv1.3'],
    keys: ['RSA'],
    gradedExit: 0, // ECDHE with AES-GCM, ChaCha20 and CBC-SHA256/384 (phase-out) in the server's order
  },
  dual: {
    overrides: { smtpd_tls_chain_files: '$ETC/key.pem, $ETC/cert.pem, $ETC/ec-key.pem, $ETC/ec-cert.pem' },
    cipherList: MEDIUM,
    protocols: ['TLSv1.2', 'TLSv1.3'],
    keys: ['RSA', 'ECDSA'],
    gradedExit: 1,
  },
};

const VERSIONS = ['SSLv3', 'TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];
const OPENSSL_FLAG: Record<string, string> = { TLSv1: '-tls1', 'TLSv1.1': '-tls1_1', 'TLSv1.2': '-tls1_2', 'TLSv1.3': '-tls1_3' };

let pki: TestPki;
let start: PostfixStart;

before(async () => {
  pki = await makeTestPki();
  start = await startPostfix({
    certPem: pki.certs.valid.cert,
    keyPem: pki.certs.valid.key,
    myhostname: 'mx.test',
    files: { 'ec-key.pem': pki.certs.ecdsa.key, 'ec-cert.pem': pki.certs.ecdsa.cert },
    listeners: Object.fromEntries(Object.entries(LISTENERS).filter(([name]) => name !== 'default').map(([name, l]) => [name, l.overrides])),
  });
});

after(async () => {
  if (start?.ok) await start.instance.stop();
});

function postfix(t: TestContext): PostfixInstance | undefined {
  if (start.ok) return start.instance;
  if (process.env.CI === 'true') assert.fail(`private Postfix unavailable in CI: ${start.reason}`);
  t.skip(`private Postfix unavailable: ${start.reason}`);
  return undefined;
}

/**
 * The oracle: the IANA names OpenSSL enables for `list` with `protocol`, limited to what the
 * listener can serve: its certificates' key types (Au), no pre-shared key or SRP (Postfix
 * configures neither; the scans do not offer them), anonymous ones included.
 */
async function opensslSuites(list: string, protocol: string, keys: readonly string[]): Promise<string[]> {
  // Postfix's smtpd accepts the anonymous suites of its default list, which OpenSSL 3 enables only at
  // security level 0 (Postfix's TLS library sets the level itself): ask OpenSSL at level 0. For a list
  // without anonymous suites that changes nothing (checked with OpenSSL 3.0: only ADH/AECDH differ).
  const atLevel0 = list.includes('@SECLEVEL=') ? list : `${list}:@SECLEVEL=0`;
  const { stdout } = await promisify(execFile)('openssl', ['ciphers', '-s', OPENSSL_FLAG[protocol] as string, '-stdname', '-v', atLevel0]);
  const names: string[] = [];
  for (const line of stdout.trim().split('\n')) {
    const [name] = line.trim().split(/\s+/);
    const au = /\bAu=(\S+)/.exec(line)?.[1] ?? '';
    const kx = /\bKx=(\S+)/.exec(line)?.[1] ?? '';
    if (name === undefined || /PSK|SRP/.test(kx) || /PSK|SRP/.test(au)) continue;
    if (au === 'any' || au === 'None' || keys.includes(au)) names.push(name);
  }
  return names.sort();
}

const connections: Record<string, number> = {};

for (const [name, listener] of Object.entries(LISTENERS)) {
  test(`Postfix listener ${name}: protocols, the suites of each (openssl ciphers oracle), certificates, renegotiation, command injection, exit code`, async (t) => {
    const instance = postfix(t);
    if (instance === undefined) return;
    const port = name === 'default' ? instance.tlsPort : (instance.ports[name] as number);
    const run = await runCli(['--server', `127.0.0.1:${port}`, '--name', 'mx.test', '--ca-file', pki.caFile, '--timeout', '20', '--connect-timeout', '10', '--json', '--deep', '--require', 'verify+graded'], { killAfterMs: 150_000 });
    const domain = run.json().domains[0];
    const address = addressesOf(domain)[0];
    const deep = address.deep;
    assert.ok(deep, run.stdout.slice(0, 2000));
    connections[name] = deep.connections;
    assert.equal(deep.partial, null);

    // Protocols: accepted exactly as configured, every other version refused (none left untold).
    assert.deepEqual(deep.protocols.map((p: any) => [p.version, p.accepted]), VERSIONS.map((v) => [v, listener.protocols.includes(v)]));

    // Suites: per accepted protocol, the oracle's set.
    for (const protocol of listener.protocols) {
      const found = deep.ciphers.accepted.filter((s: any) => s.protocol === protocol).map((s: any) => s.name).sort();
      assert.deepEqual(found, await opensslSuites(listener.cipherList, protocol, listener.keys), `${name} ${protocol}`);
    }
    assert.equal(deep.ciphers.accepted.filter((s: any) => !listener.protocols.includes(s.protocol)).length, 0);
    if (listener.overrides.tls_preempt_cipherlist === 'yes') assert.equal(deep.ciphers.serverOrder, true);
    else assert.equal(deep.ciphers.serverOrder, false, 'Postfix takes the client order unless tls_preempt_cipherlist = yes');

    // Certificates: the RSA one always; the ECDSA one only where the listener holds it.
    const shown = deep.certificates.map((c: any) => [c.offered, c.certificate?.chain[0]?.keyType ?? null]);
    assert.deepEqual(shown, [['rsa', 'rsa'], ['ecdsa', listener.keys.includes('ECDSA') ? 'ec' : null]]);

    // What Postfix does: no client-initiated renegotiation (the no_renegotiation alert), secure renegotiation, EMS, no compression, no command injection.
    assert.equal(deep.renegotiation.clientInitiated, false, deep.renegotiation.note);
    assert.match(deep.renegotiation.note, /renegotiation/i);
    assert.equal(deep.renegotiation.secure, true);
    assert.equal(deep.extendedMasterSecret, true);
    assert.equal(deep.compression, false);
    assert.equal(deep.commandInjection.vulnerable, false);

    // The grade and its exit code: 1 where anything is insufficient, 0 for a clean listener (complete, no DEEP_PARTIAL).
    const insufficient = address.grade.facts.filter((f: any) => f.tier === 'insufficient').map((f: any) => `${f.kind} ${f.subject}`);
    assert.equal(insufficient.length > 0, listener.gradedExit === 1, `${name}: insufficient ${JSON.stringify(insufficient)}`);
    if (listener.gradedExit === 0) {
      assert.equal(address.grade.complete, true, JSON.stringify(address.grade.missing));
      assert.equal(problemsOf(domain).some((p: any) => p.code === 'DEEP_PARTIAL'), false);
      assert.equal(domain.graded.satisfied, true);
    }
    assert.equal(run.code, listener.gradedExit, `${name}: ${problemsOf(domain).map((p: any) => p.code).join(' ')}`);
  });
}

test('connections a deep probe made per Postfix listener (the README figures)', (t) => {
  if (!start.ok) return void t.skip('no Postfix');
  t.diagnostic(`connections: ${JSON.stringify(connections)}`);
  for (const [name, n] of Object.entries(connections)) assert.ok(n >= 10 && n <= 200, `${name}: ${n}`);
});
