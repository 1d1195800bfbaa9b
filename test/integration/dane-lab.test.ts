// DANE end to end against real peers: the DNSSEC lab (nsd + a validating and a plain unbound,
// test/helpers/dnssec-lab.ts) and the private Postfix (test/helpers/postfix.ts) serving the test
// PKI's mx.test chain (leaf + intermediate), probed by the built CLI. The TLSA data are computed
// with the openssl CLI (an oracle independent of mxprobe's matcher), and `openssl s_client
// -dane_tlsa_rrdata` against the same Postfix says whether OpenSSL's DANE check agrees.
// Where the machine allows it, Postfix's own DANE client is a second oracle: `posttls-finger -l
// dane`, run in a private mount namespace whose /etc/resolv.conf names a loopback forwarder (port
// 53, the only port glibc's resolver speaks to) that relays to the lab's validating unbound.
// The lab starts once for the file; each case serves its records with lab.setRecords.
// Without the lab or Postfix this file skips, except in CI (CI=true), where it fails.
// Loopback only: the lab's resolvers forward to nsd on 127.0.0.1; Postfix listens on 127.0.0.1.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { after, before, describe, test, type TestContext } from 'node:test';
import { LAB_ZONES, startDnssecLab, type DnssecLab, type DnssecLabStart, type LabRecord } from '../helpers/dnssec-lab.ts';
import { startPostfix, type PostfixInstance, type PostfixStart } from '../helpers/postfix.ts';
import { startPostfixDaneClient, type PostfixDaneClient, type SenderVerdict } from '../helpers/postfix-dane-client.ts';
import { makeTestPki, type TestPki } from '../helpers/pki.ts';
import { PATIENT, codesOf, onlyDomain, runCli, type CliRun } from '../helpers/run-cli.ts';

const DOMAIN = 'd.test';
const CHILD_KILL_MS = 15_000;

let pki: TestPki;
let labStart: DnssecLabStart;
let postfixStart: PostfixStart;
let finger: PostfixSender | { unavailable: string };

before(async () => {
  pki = await makeTestPki();
  [labStart, postfixStart] = await Promise.all([
    startDnssecLab(),
    startPostfix({ certPem: pki.certs.valid.cert, keyPem: pki.certs.valid.key, myhostname: 'mx.test' }),
  ]);
  finger = labStart.ok && postfixStart.ok ? await startPostfixSender(labStart.lab, postfixStart.instance) : { unavailable: 'no lab or Postfix' };
});

after(async () => {
  if (finger && 'close' in finger) await finger.close();
  await Promise.all([labStart?.ok ? labStart.lab.stop() : undefined, postfixStart?.ok ? postfixStart.instance.stop() : undefined]);
});

/** The lab and Postfix, or undefined after skipping (failing in CI) with the harnesses' reasons. */
function peers(t: TestContext): { lab: DnssecLab; pf: PostfixInstance } | undefined {
  const reasons = [labStart.ok ? '' : `DNSSEC lab: ${labStart.reason}`, postfixStart.ok ? '' : `private Postfix: ${postfixStart.reason}`].filter(Boolean);
  if (labStart.ok && postfixStart.ok) return { lab: labStart.lab, pf: postfixStart.instance };
  if (process.env['CI'] === 'true') assert.fail(`real DANE peers unavailable in CI: ${reasons.join('; ')}`);
  t.skip(`real DANE peers unavailable: ${reasons.join('; ')}`);
  return undefined;
}

// ---- the oracle: TLSA data computed by the openssl CLI, not by mxprobe (RFC 6698 §2.1.2, §2.1.3)

const PEM_RE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g;
const openssl = (args: string[], input: string | Buffer): Buffer => execFileSync('openssl', args, { input, timeout: CHILD_KILL_MS });
const sha256Hex = (der: Buffer): string => /^([0-9a-f]{64})\b/.exec(openssl(['dgst', '-sha256', '-r'], der).toString('latin1'))?.[1] ?? assert.fail('openssl dgst');
/** Selector 1: SHA-256 of the DER SubjectPublicKeyInfo. */
const spkiSha256 = (pem: string): string => sha256Hex(openssl(['pkey', '-pubin', '-outform', 'DER'], openssl(['x509', '-noout', '-pubkey'], pem)));
/** Selector 0: SHA-256 of the DER certificate. */
const certSha256 = (pem: string): string => sha256Hex(openssl(['x509', '-outform', 'DER'], pem));

/** `openssl s_client -dane_tlsa_rrdata` against Postfix: OpenSSL's own DANE verdict (QUIT sent, no mail). */
function opensslDane(pf: PostfixInstance, rrdata: string): Promise<string> {
  const args = [
    's_client', '-starttls', 'smtp', '-connect', `${pf.host}:${pf.tlsPort}`, '-servername', 'mx.test',
    '-dane_tlsa_domain', 'mx.test', '-dane_tlsa_rrdata', rrdata, '-brief', '-ign_eof', '-nocommands', '-crlf',
  ];
  return new Promise((resolve, reject) => {
    const child = spawn('openssl', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (out += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_KILL_MS);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
    child.stdin.end('QUIT\n');
  });
}

// ---- the second oracle: Postfix's DANE client, posttls-finger -l dane, behind the lab resolver

type PostfixSender = PostfixDaneClient;

/**
 * Postfix's DANE client behind the lab's validating resolver (test/helpers/postfix-dane-client.ts:
 * a relay on 127.x.y.z:53, posttls-finger under `unshare --mount` with a private resolv.conf),
 * checked once on a case with a known answer. Unavailable (with the reason) where port 53 or a
 * mount namespace is not allowed.
 */
async function startPostfixSender(lab: DnssecLab, pf: PostfixInstance): Promise<PostfixSender | { unavailable: string }> {
  const client = await startPostfixDaneClient(lab.resolver, pf);
  if ('unavailable' in client) return client;
  // One try on a case with a known answer (a secure denial: no DANE), to learn whether the set-up works here.
  try {
    await lab.setRecords(records('mx.test', []));
    const probe = await client.verdict(DOMAIN);
    if (probe.verdict !== 'no-dane') throw new Error(probe.output);
  } catch (e) {
    await client.close();
    return { unavailable: `posttls-finger under unshare --mount does not work here: ${e instanceof Error ? e.message : String(e)}` };
  }
  return client;
}

/** mxprobe's dane status, as the classes of what a DANE sender does. */
const SENDER_OF: Record<string, SenderVerdict> = { valid: 'valid', invalid: 'invalid', bogus: 'defer', none: 'no-dane', insecure: 'no-dane' };

/** Checks that Postfix's DANE client agrees with mxprobe about the records the lab serves now. */
async function postfixAgrees(t: TestContext, domain: any, name = DOMAIN, port?: number): Promise<void> {
  if (!('verdict' in finger)) {
    t.diagnostic(`posttls-finger comparison skipped: ${finger.unavailable}`);
    return;
  }
  const statuses = daneOf(domain);
  assert.equal(statuses.length, 1);
  const { verdict, output } = await finger.verdict(name, port);
  assert.equal(verdict, SENDER_OF[statuses[0] as string], `mxprobe says dane ${statuses[0]}; posttls-finger -l dane:\n${output}`);
}

// ---- the probe

/** d.test MX 10 HOST, HOST A 127.0.0.1 (Postfix), in the zone HOST is under, plus `extra`. */
function records(host: string, extra: LabRecord[]): LabRecord[] {
  return [{ name: DOMAIN, type: 'MX', data: `10 ${host}` }, { name: host, type: 'A', data: '127.0.0.1' }, ...extra];
}
const tlsaName = (pf: PostfixInstance, host = 'mx.test'): string => `_${pf.tlsPort}._tcp.${host}`;
const tlsa = (pf: PostfixInstance, data: string, host = 'mx.test'): LabRecord => ({ name: tlsaName(pf, host), type: 'TLSA', data });

interface Probe {
  run: CliRun;
  domain: any;
}
/** Serves `recs` in the lab, then runs the built CLI for d.test through `resolver` (the validating one by default). */
async function probe(lab: DnssecLab, pf: PostfixInstance, recs: LabRecord[], args: string[], resolver = lab.resolver): Promise<Probe> {
  await lab.setRecords(recs);
  const run = await runCli([DOMAIN, '--resolver', resolver, '--port', String(pf.tlsPort), '--allow-special-addresses', '-4', ...PATIENT, '--json', ...args]);
  assert.notEqual(run.code, 70, run.stderr);
  return { run, domain: onlyDomain(run) };
}
const why = (p: Probe): string => `exit ${p.run.code}\n--- stderr\n${p.run.stderr}\n--- stdout\n${p.run.stdout.slice(0, 6000)}`;
const daneOf = (d: any): string[] => d.mx.flatMap((h: any) => h.addresses.map((a: any) => a.dane?.status));
const row = (d: any, id: string): any => d.policies.find((p: any) => p.id === id);

describe('DANE end to end: DNSSEC lab + private Postfix + built CLI', () => {
  test('Postfix sends the chain the DANE-TA cases need: leaf mx.test + the issuing intermediate', async (t) => {
    const p = peers(t);
    if (!p) return;
    const chain = pki.certs.valid.cert.match(PEM_RE) ?? [];
    assert.equal(chain.length, 2);
    // What the server really sends, seen by openssl (not by mxprobe).
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn('openssl', ['s_client', '-starttls', 'smtp', '-connect', `${p.pf.host}:${p.pf.tlsPort}`, '-servername', 'mx.test', '-showcerts', '-ign_eof', '-nocommands', '-crlf'], { stdio: ['pipe', 'pipe', 'ignore'] });
      let s = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => (s += c));
      const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_KILL_MS);
      child.on('error', reject);
      child.on('close', () => {
        clearTimeout(timer);
        resolve(s);
      });
      child.stdin.end('QUIT\n');
    });
    const sent = out.match(PEM_RE) ?? [];
    assert.deepEqual(sent.map(certSha256), chain.map(certSha256), 'Postfix sends leaf + intermediate');
  });

  test('valid DANE-EE: 3 1 1 of Postfix\'s key (openssl-computed); the untrusted certificate satisfies the DANE row; --require dane exit 0', async (t) => {
    const p = peers(t);
    if (!p) return;
    const rr = `3 1 1 ${spkiSha256(pki.certs.valid.leaf)}`;
    assert.match(await opensslDane(p.pf, rr), /Verification: OK/, 'OpenSSL agrees the record authenticates Postfix');
    const r = await probe(p.lab, p.pf, records('mx.test', [tlsa(p.pf, rr)]), ['--require', 'dane']);
    assert.equal(r.run.code, 0, why(r));
    assert.deepEqual(daneOf(r.domain), ['valid'], why(r));
    await postfixAgrees(t, r.domain);
    const dane = r.domain.mx[0].addresses[0].dane;
    assert.deepEqual([dane.matched.usage, dane.matched.selector, dane.matched.matchingType, dane.matched.data, dane.matched.chainIndex], [3, 1, 1, rr.slice(6), 0]);
    assert.deepEqual(r.domain.dnssec, { validating: true, mx: 'secure' });
    assert.equal(r.domain.mx[0].tlsa.dnssec, 'secure');
    assert.equal(r.domain.mx[0].tlsa.name, tlsaName(p.pf));
    assert.equal(r.domain.level, 'encrypt', 'PKIX does not trust the test root without --ca-file: DANE alone authenticates');
    assert.deepEqual([row(r.domain, 'dane').satisfied, row(r.domain, 'verify').satisfied], [true, false]);
  });

  test('valid DANE-TA: 2 1 1 and 2 0 1 of the intermediate that issued Postfix\'s certificate (named mx.test); --require dane exit 0', async (t) => {
    const p = peers(t);
    if (!p) return;
    for (const rr of [`2 1 1 ${spkiSha256(pki.intermediatePem)}`, `2 0 1 ${certSha256(pki.intermediatePem)}`]) {
      assert.match(await opensslDane(p.pf, rr), /Verification: OK/, `OpenSSL agrees: ${rr}`);
      const r = await probe(p.lab, p.pf, records('mx.test', [tlsa(p.pf, rr)]), ['--require', 'dane']);
      assert.equal(r.run.code, 0, `${rr}\n${why(r)}`);
      assert.deepEqual(daneOf(r.domain), ['valid'], why(r));
      await postfixAgrees(t, r.domain);
      assert.equal(r.domain.mx[0].addresses[0].dane.matched.chainIndex, 1, 'matched the intermediate, as sent');
    }
  });

  test('DANE-TA of the root, which Postfix does not send: not usable as a trust anchor (RFC 7671 §5.2.2): DANE_NO_MATCH, as OpenSSL', async (t) => {
    const p = peers(t);
    if (!p) return;
    const rr = `2 1 1 ${spkiSha256(pki.rootPem)}`;
    assert.doesNotMatch(await opensslDane(p.pf, rr), /Verification: OK/, 'OpenSSL refuses a TA that is not in the chain');
    const r = await probe(p.lab, p.pf, records('mx.test', [tlsa(p.pf, rr)]), ['--require', 'dane']);
    assert.equal(r.run.code, 1, why(r));
    assert.deepEqual(daneOf(r.domain), ['invalid'], why(r));
    await postfixAgrees(t, r.domain);
    assert.ok(codesOf(r.domain).includes('DANE_NO_MATCH'), why(r));
  });

  test('invalid: 3 1 1 of another key: DANE_NO_MATCH, --require dane exit 1; --require verify with --ca-file still exit 0', async (t) => {
    const p = peers(t);
    if (!p) return;
    const rr = `3 1 1 ${spkiSha256(pki.certs.ecdsa.leaf)}`; // a real key, not Postfix's
    assert.doesNotMatch(await opensslDane(p.pf, rr), /Verification: OK/, 'OpenSSL agrees the record matches nothing');
    const recs = records('mx.test', [tlsa(p.pf, rr)]);
    const dane = await probe(p.lab, p.pf, recs, ['--require', 'dane']);
    assert.equal(dane.run.code, 1, why(dane));
    assert.deepEqual(daneOf(dane.domain), ['invalid'], why(dane));
    await postfixAgrees(t, dane.domain);
    assert.ok(codesOf(dane.domain).includes('DANE_NO_MATCH'), why(dane));
    assert.equal(row(dane.domain, 'dane').delivered, 'no', 'a DANE sender does not deliver');
    const verify = await runCli([DOMAIN, '--resolver', p.lab.resolver, '--port', String(p.pf.tlsPort), '--allow-special-addresses', '-4', ...PATIENT, '--json', '--require', 'verify', '--ca-file', pki.caFile]);
    const vd = onlyDomain(verify);
    assert.equal(verify.code, 0, why({ run: verify, domain: vd }));
    assert.equal(vd.level, 'verify', 'PKIX verifies; the DANE error does not lower the PKIX level');
    assert.deepEqual(daneOf(vd), ['invalid']);
  });

  test('insecure: the MX host under insecure.test (no DS): DANE does not apply, TLSA not asked; --require dane exit 1', async (t) => {
    const p = peers(t);
    if (!p) return;
    const host = `mx.${LAB_ZONES.insecure}`;
    const r = await probe(p.lab, p.pf, records(host, [tlsa(p.pf, `3 1 1 ${spkiSha256(pki.certs.valid.leaf)}`, host)]), ['--require', 'dane']);
    assert.equal(r.run.code, 1, why(r));
    assert.deepEqual(daneOf(r.domain), ['insecure'], why(r));
    await postfixAgrees(t, r.domain);
    assert.ok(!('tlsa' in r.domain.mx[0]), 'no TLSA look-up for a host whose addresses are not signed');
    assert.ok(!r.domain.dns.some((q: any) => q.type === 'TLSA'), JSON.stringify(r.domain.dns));
    assert.equal(row(r.domain, 'dane').authenticated, 'no');
    assert.ok(!codesOf(r.domain).includes('DANE_NO_MATCH'));
  });

  test('insecure TLSA under a secure host: _PORT._tcp.mx.test is a CNAME into insecure.test: DANE does not apply (insecure, not none)', async (t) => {
    const p = peers(t);
    if (!p) return;
    const target = tlsaName(p.pf, `mx.${LAB_ZONES.insecure}`);
    const r = await probe(
      p.lab,
      p.pf,
      records('mx.test', [
        { name: tlsaName(p.pf), type: 'CNAME', data: target },
        { name: target, type: 'TLSA', data: `3 1 1 ${spkiSha256(pki.certs.valid.leaf)}` },
      ]),
      ['--require', 'dane'],
    );
    assert.equal(r.run.code, 1, why(r));
    assert.deepEqual(daneOf(r.domain), ['insecure'], why(r));
    await postfixAgrees(t, r.domain);
    assert.equal(r.domain.mx[0].tlsa.dnssec, 'insecure');
  });

  test('none: a secure denial of TLSA: the DANE sender delivers with opportunistic TLS, unauthenticated; --require dane exit 1', async (t) => {
    const p = peers(t);
    if (!p) return;
    const r = await probe(p.lab, p.pf, records('mx.test', []), ['--require', 'dane']);
    assert.equal(r.run.code, 1, why(r));
    assert.deepEqual(daneOf(r.domain), ['none'], why(r));
    await postfixAgrees(t, r.domain);
    assert.equal(r.domain.mx[0].tlsa.dnssec, 'secure');
    assert.deepEqual([row(r.domain, 'dane').delivered, row(r.domain, 'dane').authenticated], ['yes', 'no']);
  });

  test('bogus: TLSA under bogus.test (expired signatures) and wrongkey.test, reached by CNAME from a secure host: DNSSEC_BOGUS, the DANE sender defers', async (t) => {
    const p = peers(t);
    if (!p) return;
    for (const zone of [LAB_ZONES.bogus, LAB_ZONES.wrongKey]) {
      const target = tlsaName(p.pf, `mx.${zone}`);
      const r = await probe(
        p.lab,
        p.pf,
        records('mx.test', [
          { name: tlsaName(p.pf), type: 'CNAME', data: target },
          { name: target, type: 'TLSA', data: `3 1 1 ${spkiSha256(pki.certs.valid.leaf)}` }, // would match: bogus must still win
        ]),
        ['--require', 'dane'],
      );
      assert.equal(r.run.code, 1, `${zone}\n${why(r)}`);
      assert.deepEqual(daneOf(r.domain), ['bogus'], `${zone}\n${why(r)}`);
      await postfixAgrees(t, r.domain);
      assert.equal(r.domain.mx[0].tlsa.dnssec, 'bogus');
      assert.ok(codesOf(r.domain).includes('DNSSEC_BOGUS'), why(r));
      assert.equal(row(r.domain, 'dane').delivered, 'no', 'RFC 7672 §2.1.1: the sender defers');
    }
  });

  test('a resolver that does not validate (the plain unbound): no DNSSEC claims; DNSSEC_NOT_VALIDATED under --require dane (exit 3), none otherwise', async (t) => {
    const p = peers(t);
    if (!p) return;
    const recs = records('mx.test', [tlsa(p.pf, `3 1 1 ${spkiSha256(pki.certs.valid.leaf)}`)]);
    const dane = await probe(p.lab, p.pf, recs, ['--require', 'dane'], p.lab.plainResolver);
    assert.equal(dane.run.code, 3, why(dane));
    assert.equal(dane.domain.dnssec.validating, false);
    assert.deepEqual(daneOf(dane.domain), ['indeterminate'], why(dane));
    assert.ok(codesOf(dane.domain).includes('DNSSEC_NOT_VALIDATED'), why(dane));
    assert.ok(dane.domain.dns.every((q: any) => !('dnssec' in q)), 'no answer claims a DNSSEC state');
    assert.ok(!codesOf(dane.domain).includes('DNSSEC_BOGUS') && !codesOf(dane.domain).includes('DANE_NO_MATCH'));
    const plain = await runCli([DOMAIN, '--resolver', p.lab.plainResolver, '--port', String(p.pf.tlsPort), '--allow-special-addresses', '-4', ...PATIENT, '--json', '--require', 'encrypt']);
    assert.equal(plain.code, 0, plain.stdout);
    assert.ok(!codesOf(onlyDomain(plain)).includes('DNSSEC_NOT_VALIDATED'));
  });

  test('MX host as a secure CNAME (mxalias.test → mx.test): TLSA first at the expanded name, else at the MX host name (RFC 7672 §2.2.3)', async (t) => {
    const p = peers(t);
    if (!p) return;
    const alias = 'mxalias.test';
    const base = (extra: LabRecord[]): LabRecord[] => [
      { name: DOMAIN, type: 'MX', data: `10 ${alias}` },
      { name: alias, type: 'CNAME', data: 'mx.test' },
      { name: 'mx.test', type: 'A', data: '127.0.0.1' },
      ...extra,
    ];
    // DANE-TA at the expanded name: the certificate names mx.test, the expanded name, not the alias.
    const ta = await probe(p.lab, p.pf, base([tlsa(p.pf, `2 1 1 ${spkiSha256(pki.intermediatePem)}`)]), ['--require', 'dane']);
    assert.equal(ta.run.code, 0, why(ta));
    assert.deepEqual(daneOf(ta.domain), ['valid'], why(ta));
    await postfixAgrees(t, ta.domain);
    assert.equal(ta.domain.mx[0].tlsa.baseDomain, 'mx.test');
    // Nothing at the expanded name: the MX host name's records count.
    const ee = await probe(p.lab, p.pf, base([tlsa(p.pf, `3 1 1 ${spkiSha256(pki.certs.valid.leaf)}`, alias)]), ['--require', 'dane']);
    assert.equal(ee.run.code, 0, why(ee));
    assert.deepEqual(daneOf(ee.domain), ['valid'], why(ee));
    await postfixAgrees(t, ee.domain);
    assert.equal(ee.domain.mx[0].tlsa.baseDomain, alias);
  });

  // RFC 7672 §8.1: a DANE sender sends the TLSA base domain as SNI; Postfix (tls_client.c: "Per
  // RFC7672 the SNI name is the TLSA base domain") sends mx.test, not the MX name mxalias.test.
  // A second Postfix picks its certificate by SNI (tls_server_sni_maps): the chain matching the
  // TLSA record only for mx.test, another key for any other name. mxprobe once sent the MX name
  // and judged DANE on the wrong chain (invalid where Postfix delivers).
  test('MX host as a secure CNAME to a server that picks its certificate by SNI: DANE is judged on the handshake with SNI = the TLSA base domain', async (t) => {
    const p = peers(t);
    if (!p) return;
    const started = await startPostfix({
      certPem: pki.certs.ecdsa.cert, // the default chain: another key, also naming mx.test
      keyPem: pki.certs.ecdsa.key,
      myhostname: 'mx.test',
      sniChains: { 'mx.test': { certPem: pki.certs.valid.cert, keyPem: pki.certs.valid.key } },
    });
    if (!started.ok) assert.fail(`a second Postfix with tls_server_sni_maps did not start: ${started.reason}`);
    const sni = started.instance;
    try {
      const alias = 'mxalias.test';
      const rr = `3 1 1 ${spkiSha256(pki.certs.valid.leaf)}`;
      await p.lab.setRecords([
        { name: DOMAIN, type: 'MX', data: `10 ${alias}` },
        { name: alias, type: 'CNAME', data: 'mx.test' },
        { name: 'mx.test', type: 'A', data: '127.0.0.1' },
        tlsa(sni, rr),
      ]);
      const run = await runCli([DOMAIN, '--resolver', p.lab.resolver, '--port', String(sni.tlsPort), '--allow-special-addresses', '-4', ...PATIENT, '--json', '--require', 'dane']);
      const d = onlyDomain(run);
      const r = { run, domain: d };
      assert.equal(d.mx[0].tlsa.baseDomain, 'mx.test', why(r));
      assert.deepEqual(daneOf(d), ['valid'], why(r));
      const address = d.mx[0].addresses[0];
      // The address's own handshake is unchanged: SNI = the MX host name, the default chain (what PKIX and MTA-STS rows judge).
      assert.equal(address.tls.sni, alias, why(r));
      assert.equal(certSha256(address.certificate.chain[0].pem), certSha256(pki.certs.ecdsa.leaf), 'SNI mxalias.test gets the default chain');
      // The DANE sender's handshake: SNI = the TLSA base domain, the chain the record matches.
      assert.equal(address.daneHandshake?.sni, 'mx.test', why(r));
      assert.equal(address.daneHandshake.tls.sni, 'mx.test');
      assert.equal(address.daneHandshake.failure, null);
      assert.equal(certSha256(address.daneHandshake.certificate.chain[0].pem), certSha256(pki.certs.valid.leaf), 'SNI mx.test gets the mx.test chain');
      assert.equal(run.code, 0, why(r));
      assert.ok(!codesOf(d).includes('DANE_NO_MATCH'), why(r));
      await postfixAgrees(t, d, DOMAIN, sni.tlsPort);
      // The text report says which SNI DANE was judged with.
      const text = await runCli([DOMAIN, '--resolver', p.lab.resolver, '--port', String(sni.tlsPort), '--allow-special-addresses', '-4', ...PATIENT]);
      assert.match(text.stdout, /DANE: valid on 1\/1 address \(3 1 1\);.* checked with a DANE sender's SNI, the TLSA base domain \(mxalias\.test → mx\.test\)/, text.stdout);
    } finally {
      await sni.stop();
    }
  });

  // Postfix (posttls-finger -l dane) applies DANE to a secure MX host reached through an
  // unsigned MX RRset (RFC 7672 §2.2.1: "MAY proceed to use DANE TLS even with MX hosts obtained
  // via an insecure MX RRset"), logs "MX RRset insecure: log verified as trusted", and refuses a
  // host whose TLSA matches nothing. mxprobe once required a secure MX answer and said
  // `insecure` (a DANE sender delivers) where Postfix refuses; these two cases hold it to Postfix.
  test('an unsigned MX RRset (the domain under insecure.test) pointing at a signed host: DANE applies to the host, its TLSA matches', async (t) => {
    const p = peers(t);
    if (!p) return;
    const domain = `d.${LAB_ZONES.insecure}`;
    await p.lab.setRecords([
      { name: domain, type: 'MX', data: '10 mx.test' },
      { name: 'mx.test', type: 'A', data: '127.0.0.1' },
      tlsa(p.pf, `3 1 1 ${spkiSha256(pki.certs.valid.leaf)}`),
    ]);
    const run = await runCli([domain, '--resolver', p.lab.resolver, '--port', String(p.pf.tlsPort), '--allow-special-addresses', '-4', ...PATIENT, '--json', '--require', 'dane']);
    const d = onlyDomain(run);
    const r = { run, domain: d };
    await postfixAgrees(t, d, domain);
    assert.equal(run.code, 0, why(r));
    assert.equal(d.dnssec.mx, 'insecure', why(r));
    assert.deepEqual(daneOf(d), ['valid'], why(r));
  });

  test('an unsigned MX RRset, a signed host whose TLSA matches nothing: Postfix refuses, and so does the DANE row', async (t) => {
    const p = peers(t);
    if (!p) return;
    const domain = `d.${LAB_ZONES.insecure}`;
    await p.lab.setRecords([
      { name: domain, type: 'MX', data: '10 mx.test' },
      { name: 'mx.test', type: 'A', data: '127.0.0.1' },
      tlsa(p.pf, `3 1 1 ${spkiSha256(pki.certs.ecdsa.leaf)}`),
    ]);
    const run = await runCli([domain, '--resolver', p.lab.resolver, '--port', String(p.pf.tlsPort), '--allow-special-addresses', '-4', ...PATIENT, '--json', '--require', 'dane']);
    const d = onlyDomain(run);
    await postfixAgrees(t, d, domain);
    assert.equal(row(d, 'dane').delivered, 'no', why({ run, domain: d }));
  });

  test('nothing left loopback: every upstream query of both resolvers went to the lab\'s nsd', async (t) => {
    const p = peers(t);
    if (!p) return;
    const queries = await p.lab.outgoingQueries();
    assert.ok(queries.length > 0);
    const nsd = p.lab.authoritative;
    for (const q of queries) assert.equal(`${q.host}:${q.port}`, nsd, JSON.stringify(q));
  });
});
