// Bounds per domain, over loopback: at most MAX_MX_HOSTS MX hosts probed (the most preferred;
// MX_LIMIT_REACHED says how many there were), at most MAX_ADDRESSES_PER_HOST addresses per host,
// at most MAX_DOMAIN_QUERIES DNS queries of a domain in flight (counted in the fake DNS), and a
// domain deadline after which nothing new starts and what is unfinished is reported as TIMEOUT;
// then probeDomain's abort: no query or probe after the signal, running probes' facts kept.
// Time bounds are generous (both cores may be busy with other suites): they separate "bounded"
// from the unbounded behaviour of before (tens of seconds), never measure speed.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { withFakeDns, type FakeZone } from '../helpers/fake-dns.ts';
import { startFakeSmtp } from '../helpers/fake-smtp.ts';
import { startSmtpFleet } from '../helpers/smtp-fleet.ts';
import { makeTestPki, type TestPki } from '../helpers/pki.ts';
import { closedPort, problemOf, problemsOf, runCli } from '../helpers/run-cli.ts';
import { DnsResolver } from '../../src/dns/resolver.ts';
import { MAX_ADDRESSES_PER_HOST, MAX_DOMAIN_QUERIES, MAX_MX_HOSTS } from '../../src/dns/resolve-mail-hosts.ts';
import { probeDomain, type DomainProbeOptions } from '../../src/probe/probe-domain.ts';
import type { AddressTarget } from '../../src/probe/probe-address.ts';
import { noFactsYet } from '../../src/probe/probe-run.ts';
import { makeTrustStore } from '../../src/cert/trust-store.ts';
import type { AddressFacts } from '../../src/model/address.ts';

let pki: TestPki;
before(async () => {
  pki = await makeTestPki();
});

/** A zone where `domain` has `count` MX hosts; host i has preference count - i (the last listed is the most preferred). */
function manyMx(domain: string, count: number, addresses: (i: number) => string[]): FakeZone {
  const zone: FakeZone = { [domain]: { MX: Array.from({ length: count }, (_, i) => ({ preference: count - i, exchange: `mx${i}.${domain}` })) } };
  for (let i = 0; i < count; i++) zone[`mx${i}.${domain}`] = { A: addresses(i) };
  return zone;
}

describe('caps per domain (CLI)', { concurrency: true }, () => {
  test(`200 MX hosts on a silent server: only the ${MAX_MX_HOSTS} most preferred probed, MX_LIMIT_REACHED says so, the run ends in bounded time`, async () => {
    const silent = await startFakeSmtp({ behaviour: 'silent' });
    try {
      await withFakeDns(manyMx('many.test', 200, () => ['127.0.0.1']), async (dns) => {
        const run = await runCli(['many.test', '--resolver', dns.address, '--port', String(silent.port), '--timeout', '1', '--dns-timeout', '1', '--json', '--allow-special-addresses']);
        // Before: 200 probes, 8 at a time, 1 s each: 25 s and more. Now: 10 probes in two rounds.
        assert.ok(run.ms < 12_000, `${Math.round(run.ms)} ms`);
        assert.ok(silent.connections <= MAX_MX_HOSTS, `${silent.connections} connections`);
        const domain = run.json().domains[0];
        assert.equal(run.code, 3, 'nothing answered: undetermined');
        assert.deepEqual(domain.mxLimit, { found: 200, probed: MAX_MX_HOSTS });
        assert.deepEqual(
          domain.mx.map((h: any) => h.host),
          Array.from({ length: MAX_MX_HOSTS }, (_, k) => `mx${199 - k}.many.test`),
          'the most preferred (lowest preference value) first',
        );
        const p = problemOf(domain, 'MX_LIMIT_REACHED');
        assert.equal(p.severity, 'warning');
        assert.match(p.message, /many\.test publishes 200 MX hosts; mxprobe probed the 10 most preferred and not the other 190/);
        assert.equal(dns.queries.filter((q) => q.type === 'A').length, MAX_MX_HOSTS, 'hosts beyond the cap are not even looked up');
      });
    } finally {
      await silent.close();
    }
  });

  test(`1,000 MX hosts: at most ${MAX_DOMAIN_QUERIES} DNS queries of the domain in flight at once`, async () => {
    const port = await closedPort();
    // Every UDP answer waits 50 ms, so that queries sent at once overlap in the fake DNS.
    await withFakeDns(
      manyMx('huge.test', 1000, () => ['127.0.0.1']),
      async (dns) => {
        const run = await runCli(['huge.test', '--resolver', dns.address, '--port', String(port), '--timeout', '1', '--dns-timeout', '2', '--json', '--allow-special-addresses']);
        assert.equal(run.code, 3, run.stderr);
        const addressQueries = dns.queries.filter((q) => q.type === 'A' || q.type === 'AAAA');
        assert.equal(addressQueries.length, 2 * MAX_MX_HOSTS, 'A and AAAA of the probed hosts only');
        assert.ok(dns.peakInFlight <= MAX_DOMAIN_QUERIES, `${dns.peakInFlight} queries in flight at once`);
        assert.ok(dns.peakInFlight >= 2, 'the look-ups did overlap (the measure works)');
        assert.deepEqual(run.json().domains[0].mxLimit, { found: 1000, probed: MAX_MX_HOSTS });
      },
      { delayMs: 50 },
    );
  });

  test(`a host with 12 addresses: ${MAX_ADDRESSES_PER_HOST} probed, shared between the families; the rest reported`, async () => {
    const port = await closedPort();
    const zone: FakeZone = {
      'wide.test': { MX: [{ preference: 10, exchange: 'mx.wide.test' }] },
      'mx.wide.test': { A: Array.from({ length: 10 }, (_, i) => `127.0.1.${i + 1}`), AAAA: ['::1', '::ffff:127.0.2.1'] },
    };
    await withFakeDns(zone, async (dns) => {
      const run = await runCli(['wide.test', '--resolver', dns.address, '--port', String(port), '--timeout', '1', '--json', '--allow-special-addresses']);
      const host = run.json().domains[0].mx[0];
      assert.deepEqual(
        host.addresses.map((a: any) => a.ip),
        ['127.0.1.1', '127.0.1.2', '127.0.1.3', '127.0.1.4', '127.0.1.5', '127.0.1.6', '::1', '::ffff:7f00:201'],
      );
      assert.deepEqual(
        host.skipped.map((s: any) => [s.ip, s.reason]),
        [['127.0.1.7', 'limit'], ['127.0.1.8', 'limit'], ['127.0.1.9', 'limit'], ['127.0.1.10', 'limit']],
      );
      assert.match(problemOf(run.json().domains[0], 'MX_LIMIT_REACHED').message, /mx\.wide\.test has 12 addresses to probe; mxprobe probed 8 and not 127\.0\.1\.7, 127\.0\.1\.8, 127\.0\.1\.9, 127\.0\.1\.10/);
    });
  });
});

describe('the domain deadline (CLI)', () => {
  test('a silent server behind many MX hosts and addresses: the run ends near the deadline (3 × --timeout), the rest is TIMEOUT', async () => {
    // 10 MX hosts × 8 addresses (127.0.0.2 … 127.0.0.9, each a silent server): 80 probes of 2 s,
    // 8 at a time, would take 20 s; the deadline for the probes is 3 × 2 s = 6 s.
    const fleet = await startSmtpFleet({ count: 8, firstHost: 2, tls: pki.certs.wildcard, delayMs: 600_000 });
    try {
      const ips = Array.from({ length: 8 }, (_, k) => `127.0.0.${2 + k}`);
      await withFakeDns(manyMx('tarpit.test', 10, () => ips), async (dns) => {
        const run = await runCli(['tarpit.test', '--resolver', dns.address, '--port', String(fleet.port), '--timeout', '2', '--dns-timeout', '0.5', '--json', '--allow-special-addresses']);
        // 6 s of deadline, plus up to 2 s for probes in flight to end on their own, plus start-up; generous for busy cores.
        assert.ok(run.ms < 14_000, `${Math.round(run.ms)} ms`);
        assert.ok(fleet.totalConnections() < 80, `${fleet.totalConnections()} of 80 addresses were connected to`);
        const domain = run.json().domains[0];
        assert.equal(run.code, 3);
        const addresses = domain.mx.flatMap((h: any) => h.addresses);
        assert.equal(addresses.length, 80, 'every address is in the report');
        const late = problemsOf(domain).filter((p: any) => p.code === 'TIMEOUT' && /the domain's deadline of 6 s for its probes, 3 × --timeout, passed/.test(p.message));
        assert.ok(late.length > 0 && late.length < 80, `${late.length} addresses stopped by the deadline`);
        assert.ok(addresses.every((a: any) => a.failure?.kind === 'timeout'));
      });
    } finally {
      await fleet.close();
    }
  });
});

describe('the resolver and the domain probe (in-process)', { concurrency: true }, () => {
  const probeOptions = (timeoutMs: number, probe: NonNullable<DomainProbeOptions['probeAddress']>, signal?: AbortSignal): DomainProbeOptions => ({
    families: { ipv4: true, ipv6: true },
    port: 25,
    parallel: 2,
    allowSpecialAddresses: true,
    probe: { timeoutMs, connectTimeoutMs: timeoutMs, ehloName: 'probe.test', trust: makeTrustStore([]) },
    probeAddress: probe,
    ...(signal !== undefined ? { signal } : {}),
  });
  const fakeFacts = (target: AddressTarget, failure: AddressFacts['failure']): AddressFacts => ({
    ...noFactsYet(target, 'starttls'),
    connected: true,
    banner: { code: 220, lines: ['hi'] },
    failure,
    timings: { total: 1 },
  });
  const zone = manyMx('d.test', 3, (i) => [`127.0.0.${i + 1}`, `127.0.1.${i + 1}`]);

  test('probeDomain: no probe starts after the signal; those running hand back their facts; DNS stops too', async () => {
    await withFakeDns(zone, async (dns) => {
      const resolver = new DnsResolver({ servers: [dns.address], timeoutMs: 5000 });
      const stop = new AbortController();
      const started: string[] = [];
      // Like probeAddress with a signal: runs until aborted, then returns what it has with a failure.
      const probe = (target: AddressTarget, signal: AbortSignal) => {
        started.push(target.ip);
        if (started.length === 2) setTimeout(() => stop.abort(), 50);
        return new Promise<AddressFacts>((resolve) => {
          signal.addEventListener('abort', () => resolve(fakeFacts(target, { stage: 'ehlo', kind: 'closed', message: 'aborted' })), { once: true });
        });
      };
      const t0 = performance.now();
      const facts = await probeDomain('d.test', 'd.test', resolver, probeOptions(60_000, probe, stop.signal));
      assert.ok(performance.now() - t0 < 5000);
      assert.equal(started.length, 2, 'two in flight (parallel 2), none after the signal');
      const addresses = facts.mx.flatMap((h) => h.addresses);
      assert.equal(addresses.length, 6);
      assert.deepEqual(
        addresses.map((a) => [a.failure?.stage, a.failure?.kind, a.failure?.message]),
        [
          ['ehlo', 'aborted', 'the run was stopped'],
          ['ehlo', 'aborted', 'the run was stopped'],
          ...Array(4).fill(['connect', 'aborted', 'not probed: the run was stopped']),
        ],
      );
      assert.equal(addresses[0]?.banner?.code, 220, 'the facts gathered before the signal are kept');

      const before = dns.queries.length;
      const stopped = await probeDomain('d.test', 'd.test', resolver, probeOptions(60_000, probe, stop.signal));
      assert.equal(stopped.outcome, 'dns-failure');
      assert.equal(stopped.dns[0]?.rcode, 'ABORTED');
      assert.equal(dns.queries.length, before, 'no DNS query after the signal');
    });
  });

  test('probeDomain: the deadline (3 × --timeout) ends probes that ignore it; unfinished addresses are TIMEOUT', async () => {
    await withFakeDns(zone, async (dns) => {
      const resolver = new DnsResolver({ servers: [dns.address], timeoutMs: 1000 });
      let calls = 0;
      // Like a shared batch probe: it does not take the domain's signal, and never ends here.
      const never = () => {
        calls += 1;
        return new Promise<AddressFacts>(() => {});
      };
      const t0 = performance.now();
      const facts = await probeDomain('d.test', 'd.test', resolver, probeOptions(200, never));
      const ms = performance.now() - t0;
      assert.ok(ms >= 550 && ms < 5000, `${Math.round(ms)} ms for a 600 ms deadline`);
      assert.equal(calls, 2, 'parallel 2: two started, none after the deadline');
      const messages = facts.mx.flatMap((h) => h.addresses).map((a) => a.failure?.message);
      assert.deepEqual(messages, [
        "stopped: the domain's deadline of 0.6 s for its probes, 3 × --timeout, passed",
        "stopped: the domain's deadline of 0.6 s for its probes, 3 × --timeout, passed",
        ...Array(4).fill("not probed: the domain's deadline of 0.6 s for its probes, 3 × --timeout, passed"),
      ]);
    });
  });

  test('probeDomain: the DNS deadline (4 × --dns-timeout) ends look-ups that never get an answer', async () => {
    const dropped: FakeZone = { 'd.test': { MX: [{ preference: 1, exchange: 'mx.d.test' }] }, 'mx.d.test': { drop: true } };
    await withFakeDns(dropped, async (dns) => {
      // Three servers that never answer the host look-ups: 2 attempts × 3 servers × 300 ms would be 1.8 s.
      const resolver = new DnsResolver({ servers: [dns.address, dns.address, dns.address], timeoutMs: 300 });
      const t0 = performance.now();
      const facts = await probeDomain('d.test', 'd.test', resolver, probeOptions(1000, () => Promise.reject(new Error('no probe expected'))));
      const ms = performance.now() - t0;
      assert.ok(ms < 4000, `${Math.round(ms)} ms`);
      assert.equal(facts.outcome, 'dns-failure');
      const hostQueries = facts.dns.filter((q) => q.name === 'mx.d.test');
      assert.ok(hostQueries.length > 0 && hostQueries.every((q) => q.rcode === 'TIMEOUT'));
      assert.ok(hostQueries.some((q) => q.error === "the domain's deadline of 1.2 s for DNS look-ups, 4 × --dns-timeout, passed"), JSON.stringify(hostQueries));
    });
  });
});
