/**
 * Judged results with the DANE, MTA-STS and TLS-RPT slots filled by hand (the judge that fills
 * them is built apart): for render tests of every output. Each starts from judgeDomain over
 * plain facts, then sets what the later judge sets: `mx[].tlsa`, `mx[].rollover`,
 * `addresses[].dane`, `dns[].dnssec`, `mtaSts`, `tlsRpt`, the `dane` and `mta-sts` policy rows
 * (ids the table does not know yet, hence the casts) and the problems that go with them.
 * Test helper only.
 */
import { judgeDomain } from '../../src/judge/judge-domain.ts';
import { senderPolicy } from '../../src/judge/sender-policies.ts';
import { problem } from '../../src/judge/problem-catalogue.ts';
import type { AddressResult } from '../../src/model/address.ts';
import type { DaneOutcome, DaneRollover, TlsaFacts } from '../../src/model/dane.ts';
import type { DnssecState } from '../../src/model/dns.ts';
import type { DomainFacts, DomainResult, MxHostFacts } from '../../src/model/domain.ts';
import type { MtaStsFacts, MtaStsPolicy, TlsRptFacts } from '../../src/model/mta-sts.ts';
import type { PolicyOutcome, SenderPolicyId, Share } from '../../src/model/policy.ts';
import type { Problem } from '../../src/model/problem.ts';
import { addressFacts, certFacts, certInfo, domainFacts, intermediate, mxHost, NOW, root } from './facts.ts';

const POLICY = { required: ['tls-required'] as const, warnDays: 30 };
const SPKI = '8cb0fc6c527506a053f4f14c8464bebbd6dede2738d11468dd953d7d6a3021f1';

/** A TLSA RRset of one host. */
export function tlsa(host: string, dnssec: DnssecState, records = [{ usage: 3, selector: 1, matchingType: 1, data: SPKI }]): TlsaFacts {
  return { name: `_25._tcp.${host}`, baseDomain: host, cnames: [], records, dnssec, error: dnssec === 'indeterminate' ? 'timeout' : null };
}

/** A DANE outcome; `valid` matched the leaf with `3 1 1`. */
export function dane(status: DaneOutcome['status'], message = `DANE ${status}`): DaneOutcome {
  return { status, matched: status === 'valid' ? { usage: 3, selector: 1, matchingType: 1, data: SPKI, chainIndex: 0, bareKey: false } : null, message };
}

/** A policy row the table will have (`dane` or `mta-sts`), with a letter after (d). */
export function policyRow(id: 'dane' | 'mta-sts', delivered: Share, authenticated: Share | 'n/a', satisfied: boolean | null): PolicyOutcome {
  const row = senderPolicy(id);
  return { policy: row.letter, id, name: row.name, delivered, encrypted: delivered === 'no' ? 'n/a' : 'yes', authenticated, satisfied };
}

export function stsFacts(domain: string, policy: Partial<MtaStsPolicy> | null, overrides: Partial<MtaStsFacts> = {}): MtaStsFacts {
  const full: MtaStsPolicy | null = policy === null ? null : { version: 'STSv1', mode: 'enforce', mx: [`*.${domain}`], maxAge: 604800, ...policy };
  const body = full === null ? null : `version: STSv1\nmode: ${full.mode}\n${full.mx.map((m) => `mx: ${m}\n`).join('')}max_age: ${full.maxAge}\n`;
  return {
    txt: ['v=STSv1; id=20260101T000000'],
    record: 'v=STSv1; id=20260101T000000',
    id: '20260101T000000',
    fetch: {
      url: `https://mta-sts.${domain}/.well-known/mta-sts.txt`,
      status: 200,
      contentType: 'text/plain',
      location: null,
      bytes: body?.length ?? 0,
      body,
      ms: 20,
      failure: null,
    },
    policy: full,
    error: null,
    ...overrides,
  };
}

export function rptFacts(rua: string[]): TlsRptFacts {
  const record = `v=TLSRPTv1; rua=${rua.join(',')}`;
  return { txt: [record], record, rua, error: null };
}

interface Extra {
  /** Per host name: its TLSA set, rollover and the DANE outcome of each of its addresses. */
  hosts?: Record<string, { tlsa?: TlsaFacts; rollover?: DaneRollover; dane?: DaneOutcome }>;
  dnssec?: DnssecState;
  mtaSts?: MtaStsFacts;
  tlsRpt?: TlsRptFacts;
  rows?: PolicyOutcome[];
  problems?: Problem[];
}

/** judgeDomain over `facts` with the MTA-STS and TLS-RPT facts of `extra`, then DANE's slots and rows of `extra` set by hand. */
export function withMailTls(facts: DomainFacts, extra: Extra): DomainResult {
  // MTA-STS and TLS-RPT facts are judged by judgeDomain itself (mode, MX match, problems); DANE's outcomes are set by hand below.
  const judged = judgeDomain(
    { ...facts, ...(extra.mtaSts !== undefined ? { mtaSts: extra.mtaSts } : {}), ...(extra.tlsRpt !== undefined ? { tlsRpt: extra.tlsRpt } : {}) },
    POLICY,
    NOW,
  );
  const ids = new Set<string>(['dane', 'mta-sts']);
  const mx = judged.mx.map((h): MxHostFacts<AddressResult> => {
    const e = extra.hosts?.[h.host];
    if (e === undefined) return h;
    return {
      ...h,
      ...(e.tlsa !== undefined ? { tlsa: e.tlsa } : {}),
      ...(e.rollover !== undefined ? { rollover: e.rollover } : {}),
      addresses: h.addresses.map((a) => (e.dane !== undefined ? { ...a, dane: e.dane } : a)),
    };
  });
  return {
    ...judged,
    mx,
    // The domain's own MX answer (the builder's default names example.com), with its DNSSEC state.
    dns: judged.dns.map((q) => ({ ...q, name: q.type === 'MX' ? judged.domain : q.name, ...(extra.dnssec !== undefined ? { dnssec: extra.dnssec } : {}) })),
    policies: [...judged.policies.filter((p) => !ids.has(p.id)), ...(extra.rows ?? [])],
    requiredPolicies: judged.requiredPolicies as SenderPolicyId[],
    problems: [...judged.problems, ...(extra.problems ?? [])],
  };
}

const selfSigned = () => certFacts([certInfo({ subject: 'CN=mx1.dane.example', issuer: 'CN=mx1.dane.example', san: ['DNS:mx1.dane.example'], selfSigned: true, selfIssued: true })], 'DEPTH_ZERO_SELF_SIGNED_CERT');
const trusted = (host: string) => certFacts([certInfo({ subject: `CN=${host}`, san: [`DNS:${host}`] }), intermediate(), root()], null);

/**
 * DANE valid on both MX hosts, mx1 with a self-signed certificate (PKIX fails: DANE
 * authenticates it all the same), a rollover-safe set, MTA-STS enforce with both hosts listed
 * (mx1 not verified), TLS reports by mail.
 */
export function daneValidResult(): DomainResult {
  return withMailTls(
    domainFacts({
      domain: 'dane.example',
      input: 'dane.example',
      mx: [
        mxHost('mx1.dane.example', 10, [addressFacts({ ip: '192.0.2.21', certificate: selfSigned() })]),
        mxHost('mx2.dane.example', 20, [addressFacts({ ip: '192.0.2.22', certificate: trusted('mx2.dane.example') })]),
      ],
      dns: [{ name: 'dane.example', type: 'MX', rcode: 'NOERROR', authenticated: true, cnames: [], answers: ['10 mx1.dane.example', '20 mx2.dane.example'], server: '127.0.0.1:53', ms: 1 }],
    }),
    {
      dnssec: 'secure',
      hosts: {
        'mx1.dane.example': { tlsa: tlsa('mx1.dane.example', 'secure'), rollover: { safe: true, pattern: 'two-keys', message: 'two keys' }, dane: dane('valid') },
        'mx2.dane.example': { tlsa: tlsa('mx2.dane.example', 'secure'), rollover: { safe: true, pattern: 'ee-and-issuer', message: 'EE and issuer' }, dane: dane('valid') },
      },
      mtaSts: stsFacts('dane.example', { mode: 'enforce' }),
      tlsRpt: rptFacts(['mailto:tlsrpt@dane.example']),
      rows: [policyRow('dane', 'yes', 'yes', true), policyRow('mta-sts', 'partly', 'yes', false)],
    },
  );
}

/**
 * Hostile DNS and HTTP text: DANE valid on mx1 and invalid on mx2, an unsafe rollover, MTA-STS
 * testing with mx2 not listed, an id and `rua` URIs with escapes, bidi overrides and spreadsheet
 * formula prefixes.
 */
export function daneMixedResult(): DomainResult {
  const evilHost = 'mx2.\u001b[31mmixed\u202e.example';
  return withMailTls(
    domainFacts({
      domain: 'mixed.example',
      input: 'mixed.example',
      mx: [
        mxHost('mx1.mixed.example', 10, [addressFacts({ ip: '192.0.2.31', certificate: trusted('mx1.mixed.example') })]),
        mxHost(evilHost, 20, [addressFacts({ ip: '192.0.2.32', certificate: trusted(evilHost) })]),
      ],
    }),
    {
      dnssec: 'secure',
      hosts: {
        'mx1.mixed.example': { tlsa: tlsa('mx1.mixed.example', 'secure'), rollover: { safe: false, pattern: null, message: 'one key' }, dane: dane('valid') },
        [evilHost]: { tlsa: tlsa(evilHost, 'secure', [{ usage: 3, selector: 1, matchingType: 1, data: 'ab'.repeat(32) }]), dane: dane('invalid', 'no record matches \u001b[2J') },
      },
      mtaSts: stsFacts('mixed.example', { mode: 'testing', mx: ['mx1.mixed.example'] }, { id: '=1+1\u202e', record: 'v=STSv1; id==1+1\u202e' }),
      tlsRpt: rptFacts(['=HYPERLINK("http://x")', 'mailto:\u001b[31mrpt@\u202emixed.example', '@SUM(A1)']),
      rows: [policyRow('dane', 'partly', 'yes', false), policyRow('mta-sts', 'yes', 'no', true)],
      problems: [problem('DANE_ROLLOVER_UNSAFE', 'The TLSA records of mx1.mixed.example name one key only.', { scope: 'host', host: 'mx1.mixed.example' })],
    },
  );
}

/** Unsigned: DANE does not apply; no MTA-STS record, no TLS-RPT record. */
export function daneInsecureResult(): DomainResult {
  return withMailTls(domainFacts({ domain: 'unsigned.example', input: 'unsigned.example', mx: [mxHost('mx.unsigned.example', 10, [addressFacts({ certificate: trusted('mx.unsigned.example') })])] }), {
    dnssec: 'insecure',
    hosts: { 'mx.unsigned.example': { tlsa: tlsa('mx.unsigned.example', 'insecure', []), dane: dane('insecure') } },
    mtaSts: { txt: [], record: null, id: null, fetch: null, policy: null, error: null },
    tlsRpt: { txt: [], record: null, rua: [], error: null },
    rows: [policyRow('dane', 'yes', 'no', false), policyRow('mta-sts', 'yes', 'no', false)],
  });
}

/** A bogus TLSA answer (a DANE sender defers), and an MTA-STS policy whose certificate does not verify. */
export function daneBogusResult(): DomainResult {
  return withMailTls(domainFacts({ domain: 'bogus.example', input: 'bogus.example', mx: [mxHost('mx.bogus.example', 10, [addressFacts({ certificate: trusted('mx.bogus.example') })])] }), {
    dnssec: 'secure',
    hosts: { 'mx.bogus.example': { tlsa: tlsa('mx.bogus.example', 'bogus', []), dane: dane('bogus') } },
    mtaSts: stsFacts('bogus.example', null, {
      fetch: { url: 'https://mta-sts.bogus.example/.well-known/mta-sts.txt', status: null, contentType: null, location: null, bytes: 0, body: null, ms: 5, failure: { kind: 'certificate', message: 'certificate has expired' } },
      error: 'certificate has expired',
    }),
    tlsRpt: rptFacts(['https://tlsrpt.bogus.example/v1']),
    rows: [policyRow('dane', 'no', 'n/a', false), policyRow('mta-sts', 'yes', 'no', false)],
    problems: [
      problem('DNSSEC_BOGUS', 'DNSSEC validation of the TLSA answer of mx.bogus.example fails: DANE senders defer the mail.', { scope: 'host', host: 'mx.bogus.example' }),
    ],
  });
}

/** Every kind above, in order. */
export function mailTlsResults(): DomainResult[] {
  return [daneValidResult(), daneMixedResult(), daneInsecureResult(), daneBogusResult()];
}
