import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { judgeDomain } from '../../src/judge/judge-domain.ts';
import { SummaryAccumulator, type RenewalEntry } from '../../src/judge/batch-summary.ts';
import { formatDuration, renderProgressLine, renderSummary } from '../../src/render/batch-summary-text.ts';
import type { AddressFacts } from '../../src/model/address.ts';
import type { DomainResult } from '../../src/model/domain.ts';
import { addressFacts, certFacts, certInfo, daysFromNow, domainFacts, intermediate, mxHost, NOW, plainAddress, root } from '../helpers/facts.ts';
import { everyKindOfResult, noMailResult } from '../helpers/batch.ts';

const POLICY = { required: ['tls-required'] as const, warnDays: 30 };

/** An address serving a leaf with this fingerprint and expiry (days from NOW). */
function served(fingerprint: string, days: number, host: string, ip = '192.0.2.10'): AddressFacts {
  const san = [`DNS:${host}`];
  return addressFacts({ ip, certificate: certFacts([certInfo({ fingerprint256: fingerprint, notAfter: daysFromNow(days), san }), intermediate(), root()], null) });
}

function verifyDomain(domain: string, host = 'mx.example.com', fingerprint = 'AA:BB', days = 60.5): DomainResult {
  return judgeDomain(domainFacts({ domain, input: domain, mx: [mxHost(host, 10, [served(fingerprint, days, host)])] }), POLICY, NOW);
}

function plainDomain(domain: string): DomainResult {
  return judgeDomain(domainFacts({ domain, input: domain, mx: [mxHost('mx.plain.example', 10, [plainAddress()])] }), POLICY, NOW);
}

function nxDomain(domain: string): DomainResult {
  const dns = [{ name: domain, type: 'MX' as const, rcode: 'NXDOMAIN', authenticated: false, cnames: [], answers: [], server: '127.0.0.1:53', ms: 1 }];
  return judgeDomain(domainFacts({ domain, input: domain, outcome: 'nxdomain', mx: [], dns }), POLICY, NOW);
}

function servfailDomain(domain: string): DomainResult {
  const dns = [{ name: domain, type: 'MX' as const, rcode: 'SERVFAIL', authenticated: false, cnames: [], answers: [], server: '127.0.0.1:53', ms: 1 }];
  return judgeDomain(domainFacts({ domain, input: domain, outcome: 'dns-failure', mx: [], dns }), POLICY, NOW);
}

/** What the orchestrator makes of a row that is not a domain. */
function invalidRow(input: string, line: number): DomainResult {
  const base = judgeDomain(domainFacts({ domain: input, input, outcome: 'invalid-input', mx: [], dns: [] }), POLICY, NOW);
  return {
    ...base,
    pass: false,
    problems: [{ code: 'INVALID_INPUT', severity: 'error', message: `line ${line}: ${input} is not a domain`, hint: '', scope: 'input' }],
    source: { line, columns: {} },
  };
}

test('counts by level, against requirements, and invalid rows; a domain that accepts no mail is not undetermined', () => {
  const acc = new SummaryAccumulator();
  for (const r of [verifyDomain('a.example'), verifyDomain('b.example'), plainDomain('c.example'), nxDomain('d.example'), servfailDomain('e.example'), invalidRow('not a domain', 7)]) {
    acc.add(r);
  }
  assert.equal(acc.total, 6);
  // plain: the two verify-grade domains and the plaintext one; the others satisfy none (or are undetermined).
  const satisfied = { plain: 3, opportunistic: 2, 'tls-required': 2, verify: 2, dane: 0, 'mta-sts': 0 };
  assert.deepEqual(acc.counts, { none: 1, encrypt: 0, verify: 2, unknown: 1, noMail: 1, pass: 2, fail: 3, undetermined: 1, invalid: 1, satisfied });
  const s = acc.summary();
  assert.equal(s.total, 6);
  assert.deepEqual(s.byLevel, { none: 1, encrypt: 0, verify: 2, unknown: 1 });
  assert.equal(s.noMail, 1);
  assert.equal(s.pass + s.fail + s.undetermined, s.total);
  assert.equal(s.invalid, 1);
  assert.deepEqual(s.satisfied.map((p) => [p.policy, p.id, p.count]), [['a', 'plain', 3], ['b', 'opportunistic', 2], ['c', 'tls-required', 2], ['d', 'verify', 2], ['e', 'dane', 0], ['f', 'mta-sts', 0]]);
});

test('an invalid row counts as a failure even when its pass is not set to false', () => {
  const acc = new SummaryAccumulator();
  acc.add({ ...invalidRow('x', 2), pass: null });
  assert.deepEqual(acc.counts, { none: 0, encrypt: 0, verify: 0, unknown: 0, noMail: 0, pass: 0, fail: 1, undetermined: 0, invalid: 1, satisfied: { plain: 0, opportunistic: 0, 'tls-required': 0, verify: 0, dane: 0, 'mta-sts': 0 } });
});

test('top problems: domains per code, most frequent first, then by code; a code counts once per domain', () => {
  const acc = new SummaryAccumulator();
  // Two plaintext addresses in one domain: STARTTLS_NOT_OFFERED twice, counted once.
  acc.add(judgeDomain(domainFacts({ domain: 'two.example', mx: [mxHost('mx.two.example', 10, [plainAddress({ ip: '192.0.2.1' }), plainAddress({ ip: '192.0.2.2' })])] }), POLICY, NOW));
  acc.add(plainDomain('p1.example'));
  acc.add(nxDomain('n1.example'));
  acc.add(nxDomain('n2.example'));
  acc.add(nxDomain('n3.example'));
  acc.add(servfailDomain('s1.example'));
  acc.add(verifyDomain('soon.example', 'mx.soon.example', '11:11', 5.5)); // CERT_EXPIRES_SOON
  const s = acc.summary();
  assert.deepEqual(
    s.topProblems.map((p) => [p.code, p.count, p.severity]),
    [
      ['DNS_NXDOMAIN', 3, 'error'],
      ['STARTTLS_NOT_OFFERED', 2, 'error'],
      ['CERT_EXPIRES_SOON', 1, 'warning'],
      ['DNS_FAILURE', 1, 'error'],
    ],
  );
  assert.deepEqual(acc.summary(2).topProblems.map((p) => p.code), ['DNS_NXDOMAIN', 'STARTTLS_NOT_OFFERED']);
});

test('renewal calendar: one entry per (MX host, leaf fingerprint), with the number of domains, soonest first', () => {
  const acc = new SummaryAccumulator();
  for (let i = 0; i < 1000; i++) acc.add(verifyDomain(`d${i}.example`, 'mx.bigprovider.example', 'BB:01', 40.5)); // one provider, one cert
  acc.add(verifyDomain('first.example', 'mx.small.example', 'CC:01', 3.5));
  acc.add(verifyDomain('second.example', 'mx.small.example', 'CC:01', 3.5)); // same host and cert: same entry
  acc.add(verifyDomain('other-host.example', 'mx2.small.example', 'CC:01', 3.5)); // same cert, other host: own entry
  // A domain with two addresses of one host serving the same cert counts once.
  acc.add(judgeDomain(domainFacts({ domain: 'twoips.example', mx: [mxHost('mx.small.example', 10, [served('CC:01', 3.5, 'mx.small.example', '192.0.2.1'), served('CC:01', 3.5, 'mx.small.example', '192.0.2.2')])] }), POLICY, NOW));
  acc.add(plainDomain('nocert.example')); // no certificate: nothing to renew
  const r = acc.summary().renewals;
  assert.deepEqual(
    r.map((e) => [e.host, e.fingerprint, e.domains, e.domain, e.daysLeft]),
    [
      ['mx.small.example', 'CC:01', 3, 'first.example', 3],
      ['mx2.small.example', 'CC:01', 1, 'other-host.example', 3],
      ['mx.bigprovider.example', 'BB:01', 1000, 'd0.example', 40],
    ],
  );
  assert.equal(r[0]?.ip, '192.0.2.10');
  assert.equal(r[0]?.notAfter, daysFromNow(3.5));
});

test('renewal calendar is bounded, and keeps exact counts for the certificates it lists', () => {
  const acc = new SummaryAccumulator({ calendarCapacity: 5 });
  // Interleave: a soon certificate seen again and again between many later, distinct ones.
  for (let i = 0; i < 500; i++) {
    acc.add(verifyDomain(`late${i}.example`, `mx${i}.late.example`, `LATE:${i}`, 100 + (i % 250)));
    if (i % 10 === 0) acc.add(verifyDomain(`soon${i}.example`, 'mx.soon.example', 'SOON', 2.5));
    assert.ok(acc.trackedCertificates <= 5);
  }
  const r = acc.summary().renewals;
  assert.equal(r.length, 5);
  assert.deepEqual(r[0], { domain: 'soon0.example', host: 'mx.soon.example', ip: '192.0.2.10', fingerprint: 'SOON', notAfter: daysFromNow(2.5), daysLeft: 2, domains: 50 });
  // Days 100, 100 (i=0 and i=250), 101, 101 (i=1, 251): each seen once.
  assert.deepEqual(r.slice(1).map((e) => [e.daysLeft, e.domains]), [[100, 1], [100, 1], [101, 1], [101, 1]]);
  assert.equal(acc.summary(10, 3).renewals.length, 3);
  assert.equal(acc.summary(10, 50).renewals.length, 5, 'never more than the capacity');
});

test('renewal calendar equals a naive full count on random data', () => {
  let seed = 42;
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const acc = new SummaryAccumulator({ calendarCapacity: 7 });
  const naive = new Map<string, RenewalEntry>();
  for (let i = 0; i < 3000; i++) {
    const host = `mx${random(30)}.example`;
    const fp = `FP:${random(40)}`;
    const days = 1.5 + (Number(fp.slice(3)) % 17) * 3 + random(2) * 0; // a fingerprint has one expiry
    const result = verifyDomain(`d${i}.example`, host, fp, days);
    acc.add(result);
    const key = `${host}\n${fp}`;
    const e = naive.get(key);
    if (e) e.domains += 1;
    else naive.set(key, { domain: `d${i}.example`, host, ip: '192.0.2.10', fingerprint: fp, notAfter: daysFromNow(days), daysLeft: Math.floor(days), domains: 1 });
  }
  const expected = [...naive.values()]
    .sort((a, b) => Date.parse(a.notAfter) - Date.parse(b.notAfter) || (a.host < b.host ? -1 : a.host > b.host ? 1 : 0) || (a.fingerprint < b.fingerprint ? -1 : 1))
    .slice(0, 7);
  assert.deepEqual(acc.summary().renewals, expected);
});

test('renderSummary without colour: no escape codes, the counts, problems and calendar', () => {
  const acc = new SummaryAccumulator();
  for (let i = 0; i < 340; i++) acc.add(verifyDomain(`p${i}.example`, 'mx1.partner.example', 'AA:01', 12.5));
  acc.add(verifyDomain('old.example', 'mx.\u001b[31mevil.example', 'EE:01', -4.5)); // expired: encrypt
  acc.add(plainDomain('plain.example'));
  acc.add(nxDomain('gone.example'));
  acc.add(invalidRow('=cmd()', 9));
  const text = renderSummary(acc.summary(), { colorLevel: 0, elapsedMs: 12_345, probesMade: 3 });
  assert.doesNotMatch(text, /\u001b/);
  assert.doesNotMatch(text, /interrupted/);
  const lines = text.split('\n');
  assert.equal(lines[0], 'Summary');
  assert.equal(lines[1], '  domains   344 in 12.3 s (27.9 domains/s), 3 probes');
  assert.equal(lines[2], '  levels    verify 340  encrypt 1  none 1  no mail 1  unknown 0  invalid 1');
  assert.equal(lines[3], '  required  pass 341  fail 3 (1 accept no mail, 1 invalid input)  undetermined 0');
  assert.equal(lines[4], '  satisfied (a) 342  (b) 341  (c) 341  (d) 340  (e) 0  (f) 0');
  assert.equal(lines[5], 'Most frequent problems (domains)');
  assert.ok(lines.includes('  ! CERT_EXPIRES_SOON     340'), text);
  assert.ok(lines.includes('  ✘ CERT_EXPIRED            1'), text);
  const cal = lines.indexOf('Renewal calendar (soonest first)');
  assert.ok(cal > 0, text);
  assert.equal(lines[cal + 1], '  days left  expires     MX host                  domains  e.g.');
  assert.equal(lines[cal + 2], `         -5  ${daysFromNow(-4.5).slice(0, 10)}  mx.\\x1b[31mevil.example        1  old.example`);
  assert.equal(lines[cal + 3], `         12  ${daysFromNow(12.5).slice(0, 10)}  mx1.partner.example          340  p0.example`);
  assert.ok(text.endsWith('\n'));
});

test('renderSummary says clearly when the run was interrupted; colour only adds escapes', () => {
  const acc = new SummaryAccumulator();
  acc.add(verifyDomain('a.example'));
  const summary = acc.summary();
  const plain = renderSummary(summary, { colorLevel: 0, elapsedMs: 0, probesMade: 1, stopReason: 'signal' });
  assert.match(plain.split('\n')[0] ?? '', /^interrupted: partial results — 1 domains done/);
  assert.match(plain, /1 in 0 ms \(— domains\/s\), 1 probes/);
  const coloured = renderSummary(summary, { colorLevel: 1, elapsedMs: 0, probesMade: 1, stopReason: 'signal' });
  assert.match(coloured, /\u001b\[/);
  assert.equal(coloured.replace(/\u001b\[[0-9;]*m/g, ''), plain);
});

test('renderSummary of an empty run', () => {
  const text = renderSummary(new SummaryAccumulator().summary(), { colorLevel: 0, elapsedMs: 5, probesMade: 0 });
  assert.equal(
    text,
    [
      'Summary',
      '  domains   0 in 5 ms (0.0 domains/s), 0 probes',
      '  levels    verify 0  encrypt 0  none 0  unknown 0',
      '  required  pass 0  fail 0  undetermined 0',
      '  satisfied (a) 0  (b) 0  (c) 0  (d) 0  (e) 0  (f) 0',
      '',
    ].join('\n'),
  );
});

test('renderProgressLine: done/total, rate, ETA and counts; deterministic', () => {
  const counts = { none: 5, encrypt: 10, verify: 480, unknown: 5, noMail: 0, pass: 490, fail: 10, undetermined: 0, invalid: 0 };
  assert.equal(
    renderProgressLine({ done: 500, total: 1000, elapsedMs: 10_000, counts, inFlight: 32 }),
    '500/1000 (50%) · 50.0 domains/s · ETA 10.0 s · verify 480  encrypt 10  none 5  unknown 5 · 32 in flight',
  );
  assert.equal(
    renderProgressLine({ done: 12_000, total: 100_000, elapsedMs: 40_000, counts: { ...counts, invalid: 2 }, inFlight: 3 }),
    '12000/100000 (12%) · 300 domains/s · ETA 4 min 53 s · verify 480  encrypt 10  none 5  unknown 5  invalid 2 · 3 in flight',
  );
  assert.equal(
    renderProgressLine({ done: 7, total: null, elapsedMs: 2_000, counts, inFlight: 1 }),
    '7 done · 3.5 domains/s · verify 480  encrypt 10  none 5  unknown 5 · 1 in flight',
  );
  assert.equal(renderProgressLine({ done: 0, total: 10, elapsedMs: 0, counts, inFlight: 0 }).split(' · ').slice(0, 3).join(' · '), '0/10 (0%) · — domains/s · ETA —');
  assert.match(renderProgressLine({ done: 10, total: 10, elapsedMs: 1000, counts, inFlight: 0 }), /^10\/10 \(100%\) · 10\.0 domains\/s · ETA 0 s · /);
  assert.doesNotMatch(renderProgressLine({ done: 1, total: 2, elapsedMs: 1, counts, inFlight: 1 }), /[\u001b\n]/);
});

test('formatDuration', () => {
  assert.deepEqual([850, 12_345, 59_999, 245_000, 7_380_000, -1].map(formatDuration), ['850 ms', '12.3 s', '59.9 s', '4 min 05 s', '2 h 03 min', '—']);
});

test('200,000 results: memory stays flat (counters and a bounded calendar, not the results)', (t) => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  // Templates judged once; each add gets its own domain and its own distinct certificate (the
  // worst case for the calendar), so any per-domain or per-certificate retention would show.
  const templates = [verifyDomain('t.example', 'mx.t.example', 'T', 200.5), plainDomain('p.example'), nxDomain('n.example')];
  const acc = new SummaryAccumulator();
  const variant = (i: number): DomainResult => {
    const t = templates[i % 3] as DomainResult;
    if (i % 3 !== 0) return { ...t, domain: `d${i}.example` };
    const host = t.mx[0];
    const a = host?.addresses[0];
    const cert = a?.certificate;
    const leaf = cert?.chain[0];
    if (host === undefined || a === undefined || cert == null || leaf === undefined) throw new Error('template');
    const chain = [{ ...leaf, fingerprint256: `FP:${i}`, notAfter: daysFromNow(10 + (i % 5000)) }, ...cert.chain.slice(1)];
    return { ...t, domain: `d${i}.example`, mx: [{ ...host, host: `mx${i % 7919}.example`, addresses: [{ ...a, certificate: { ...cert, chain } }] }] };
  };
  for (let i = 0; i < 1000; i++) acc.add(variant(i)); // warm up (JIT, maps)
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 1000; i < 200_000; i++) acc.add(variant(i));
  gc();
  const after = process.memoryUsage().heapUsed;
  const growth = after - before;
  t.diagnostic(`heap growth over 199,000 adds: ${(growth / 1024).toFixed(0)} KiB (before ${(before / 1048576).toFixed(1)} MiB, after ${(after / 1048576).toFixed(1)} MiB)`);
  assert.equal(acc.total, 200_000);
  assert.ok(acc.trackedCertificates <= 20);
  assert.equal(acc.summary().renewals.length, 20);
  assert.ok(growth < 2 * 1024 * 1024, `heap grew by ${growth} bytes`);
});

test('"accepts no mail" over every outcome: NXDOMAIN, null MX and no mail host apart from undetermined, in counts, text and progress', () => {
  const acc = new SummaryAccumulator();
  for (const outcome of ['nxdomain', 'null-mx', 'no-mail-host'] as const) acc.add(noMailResult(outcome));
  acc.add(servfailDomain('e.example'));
  assert.deepEqual(acc.counts, { none: 0, encrypt: 0, verify: 0, unknown: 1, noMail: 3, pass: 0, fail: 3, undetermined: 1, invalid: 0, satisfied: { plain: 0, opportunistic: 0, 'tls-required': 0, verify: 0, dane: 0, 'mta-sts': 0 } });
  const s = acc.summary();
  const text = renderSummary(s, { colorLevel: 0, elapsedMs: 1000, probesMade: 0 }).split('\n');
  assert.equal(text[2], '  levels    verify 0  encrypt 0  none 0  no mail 3  unknown 1');
  assert.equal(text[3], '  required  pass 0  fail 3 (3 accept no mail)  undetermined 1');
  assert.match(renderProgressLine({ done: 4, total: 4, elapsedMs: 1000, counts: acc.counts, inFlight: 0 }), / · verify 0 {2}encrypt 0 {2}none 0 {2}no mail 3 {2}unknown 1 · /);
  // The rule is the judge's: a level-less result that fails accepts no mail; one that is undetermined does not.
  for (const r of everyKindOfResult()) {
    const one = new SummaryAccumulator();
    one.add(r);
    const noMail = r.outcome === 'nxdomain' || r.outcome === 'null-mx' || r.outcome === 'no-mail-host';
    assert.equal(one.counts.noMail, noMail ? 1 : 0, r.domain);
    assert.equal(one.counts.unknown, r.level === null && !noMail && r.outcome !== 'invalid-input' ? 1 : 0, r.domain);
  }
});

test('renderSummary of a resumed, stopped run: earlier rows, unfinished rows, why it stopped, the rate over this run', () => {
  const acc = new SummaryAccumulator();
  for (let i = 0; i < 30; i++) acc.add(verifyDomain(`d${i}.example`));
  const base = { colorLevel: 0 as const, elapsedMs: 10_000, probesMade: 4 };
  const resumed = renderSummary(acc.summary(), { ...base, stopReason: 'signal', unfinished: 2, earlier: 20, calendarWithoutEarlier: true }).split('\n');
  assert.equal(resumed[0], 'interrupted: partial results — 30 domains done, 2 unfinished (not written: --resume redoes them); the rest were not probed');
  assert.equal(resumed[2], '  domains   30 (20 from the earlier output, 10 in this run) in 10.0 s (1.0 domains/s), 4 probes');
  assert.ok(resumed.includes('Renewal calendar (soonest first; rows of this run only: a CSV keeps no certificates)'), resumed.join('\n'));
  const pipe = renderSummary(acc.summary(), { ...base, stopReason: 'broken-pipe' });
  assert.match(pipe.split('\n')[0] ?? '', /^stopped: standard output was closed by its reader: partial results — 30 domains done; the rest were not probed$/);
  const full = renderSummary(acc.summary(), { ...base, earlier: 20, calendarWithoutEarlier: false });
  assert.ok(full.includes('Renewal calendar (soonest first)\n'));
  assert.match(renderProgressLine({ done: 30, earlier: 20, total: 40, elapsedMs: 10_000, counts: acc.counts, inFlight: 0 }), /^30\/40 \(75%\) · 1\.0 domains\/s · ETA 10\.0 s/);
});
