// Domains resolved through a fake DNS server (--resolver) and probed on fake SMTP servers (--port),
// all on loopback: the DNS problem codes, MX preference order, several MX hosts with different
// levels and the sender-policy verdicts, and hosts with both IPv4 and IPv6 addresses.
import assert from 'node:assert/strict';
import net from 'node:net';
import { before, describe, test } from 'node:test';
import { startFakeDns, type FakeZone } from '../helpers/fake-dns.ts';
import { startFakeSmtp, type FakeSmtpOptions, type FakeSmtpServer } from '../helpers/fake-smtp.ts';
import { makeTestPki, type TestPki } from '../helpers/pki.ts';
import { FAST, addressesOf, assertNeverSentMail, codesOf, onlyDomain, problemOf, runCli, type CliRun } from '../helpers/run-cli.ts';

let pki: TestPki;
before(async () => {
  pki = await makeTestPki();
});

/**
 * Relays TCP from listenHost:port to a fake server. The MX hosts of one domain share one --port,
 * and the fake SMTP server binds only 127.0.0.1 or ::1 on a port of its choosing, so a second
 * address (127.0.0.2, ::1) on the same port number is this relay. Loopback only.
 */
async function relay(listenHost: '127.0.0.2' | '::1', port: number, target: FakeSmtpServer): Promise<{ close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: target.host, port: target.port });
    const both = [client, upstream];
    for (const s of both) {
      sockets.add(s);
      s.on('error', () => both.forEach((x) => x.destroy()));
      s.on('close', () => {
        sockets.delete(s);
        both.forEach((x) => x.destroy());
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: listenHost, port, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

interface DomainRun {
  run: CliRun;
  domain: any;
}

/** Runs the CLI for `domain` against a fresh fake DNS holding `zone`, with SMTP on `port`. */
async function probeDomain(domain: string, zone: FakeZone, port: number, extra: string[] = []): Promise<DomainRun & { queries: Array<{ name: string; type: string }> }> {
  const dns = await startFakeDns(zone);
  try {
    // The fake MX hosts live on loopback, a special-purpose range: --allow-special-addresses probes them.
    const run = await runCli([domain, '--resolver', dns.address, '--port', String(port), '--ca-file', pki.caFile, ...FAST, '--json', '--allow-special-addresses', ...extra]);
    return { run, domain: onlyDomain(run), queries: dns.queries };
  } finally {
    await dns.close();
  }
}

async function withSmtp<T>(options: FakeSmtpOptions, fn: (smtp: FakeSmtpServer) => Promise<T>): Promise<T> {
  const smtp = await startFakeSmtp(options);
  try {
    return await fn(smtp);
  } finally {
    await smtp.close();
  }
}

/** A port for DNS-only cases: a fake SMTP server that must never be contacted. */
async function untouched<T>(fn: (port: number) => Promise<T>): Promise<T> {
  return withSmtp({}, async (smtp) => {
    const result = await fn(smtp.port);
    assert.equal(smtp.connections, 0, 'no SMTP connection for a domain without mail hosts');
    return result;
  });
}

// One concurrent parent: the slow dropped-query case overlaps everything else.
describe('domains through fake DNS', { concurrency: true }, () => {
  describe('DNS outcomes', { concurrency: true }, () => {
    test('DNS_NXDOMAIN: exit 1, no mail host, nothing probed', async () => {
      const { run, domain } = await untouched((port) => probeDomain('nx.test', { 'other.test': { A: ['127.0.0.1'] } }, port));
      assert.equal(run.code, 1);
      assert.equal(domain.outcome, 'nxdomain');
      assert.equal(domain.level, null);
      assert.equal(domain.pass, false);
      assert.deepEqual(domain.mx, []);
      assert.deepEqual(codesOf(domain), ['DNS_NXDOMAIN']);
      assert.equal(domain.dns[0].rcode, 'NXDOMAIN');
      assert.deepEqual(domain.policies.slice(0, 4).map((p: any) => [p.delivered, p.encrypted]), Array(4).fill(['no', 'n/a']));
    });

    test('DNS_NXDOMAIN in text: FAIL verdict with the reason', async () => {
      const dns = await startFakeDns({});
      try {
        const run = await runCli(['nx.test', '--resolver', dns.address, ...FAST]);
        assert.equal(run.code, 1);
        assert.match(run.stdout, /^FAIL nx\.test: level unknown \(required: encrypt\) — nx\.test does not exist \(NXDOMAIN\)\.$/m);
        assert.match(run.stdout, /✘ DNS_NXDOMAIN/);
      } finally {
        await dns.close();
      }
    });

    test('DNS_FAILURE: SERVFAIL for the MX look-up → level and pass unknown, exit 3', async () => {
      const { run, domain } = await untouched((port) => probeDomain('servfail.test', { 'servfail.test': { rcode: 'SERVFAIL' } }, port));
      assert.equal(run.code, 3);
      assert.equal(domain.outcome, 'dns-failure');
      assert.equal(domain.level, null);
      assert.equal(domain.pass, null);
      assert.deepEqual(codesOf(domain), ['DNS_FAILURE']);
      assert.match(problemOf(domain, 'DNS_FAILURE').message, /SERVFAIL/);
    });

    // FAST sets --dns-timeout 0.5: two attempts of 0.5 s.
    test('DNS_FAILURE: the MX query is never answered (two attempts of --dns-timeout)', async () => {
      const { run, domain, queries } = await untouched((port) => probeDomain('dropped.test', { 'dropped.test': { drop: true } }, port));
      assert.equal(run.code, 3);
      assert.equal(domain.outcome, 'dns-failure');
      assert.deepEqual(codesOf(domain), ['DNS_FAILURE']);
      assert.equal(domain.dns[0].rcode, 'TIMEOUT');
      assert.match(problemOf(domain, 'DNS_FAILURE').message, /TIMEOUT/);
      assert.equal(queries.filter((q) => q.name === 'dropped.test' && q.type === 'MX').length, 2, 'asked twice');
      // 1 s of DNS; the rest is start-up, generous for a loaded machine (the count above is the exact check).
      assert.ok(run.ms < 1000 + 9000, `${Math.round(run.ms)} ms`);
    });

    test('DNS_FAILURE: SERVFAIL for the only MX host’s addresses, with the host named', async () => {
      const zone: FakeZone = { 'hostfail.test': { MX: [{ preference: 10, exchange: 'broken.test' }] }, 'broken.test': { rcode: 'SERVFAIL' } };
      const { run, domain } = await untouched((port) => probeDomain('hostfail.test', zone, port));
      assert.equal(run.code, 3);
      assert.equal(domain.outcome, 'dns-failure');
      assert.deepEqual(codesOf(domain), ['DNS_FAILURE']);
      assert.equal(problemOf(domain, 'DNS_FAILURE').host, 'broken.test');
    });

    test('NULL_MX: "MX 0 ." → accepts no mail, exit 1, nothing probed', async () => {
      const { run, domain } = await untouched((port) => probeDomain('null.test', { 'null.test': { MX: [{ preference: 0, exchange: '.' }] } }, port));
      assert.equal(run.code, 1);
      assert.equal(domain.outcome, 'null-mx');
      assert.equal(domain.pass, false);
      assert.deepEqual(codesOf(domain), ['NULL_MX']);
    });

    test('MX_HOST_NO_ADDRESS: the MX host has no A/AAAA record → exit 1', async () => {
      const zone: FakeZone = { 'noaddr.test': { MX: [{ preference: 10, exchange: 'ghost.test' }] }, 'ghost.test': {} };
      const { run, domain } = await untouched((port) => probeDomain('noaddr.test', zone, port));
      assert.equal(run.code, 1);
      assert.equal(domain.outcome, 'no-mail-host');
      assert.deepEqual(codesOf(domain), ['MX_HOST_NO_ADDRESS']);
      assert.equal(problemOf(domain, 'MX_HOST_NO_ADDRESS').host, 'ghost.test');
      assert.deepEqual(domain.mx.map((h: any) => [h.host, h.addresses.length]), [['ghost.test', 0]]);
    });

    test('IMPLICIT_MX: no MX record, the domain’s own A record is the mail host', async () => {
      await withSmtp({ tls: pki.certs.valid }, async (smtp) => {
        // mail.test is in the test certificate's subjectAltName, so the implicit host verifies.
        const { run, domain } = await probeDomain('mail.test', { 'mail.test': { A: ['127.0.0.1'] } }, smtp.port, ['--require', 'verify']);
        assert.equal(run.code, 0, JSON.stringify(domain.problems));
        assert.equal(domain.outcome, 'probed');
        assert.deepEqual(codesOf(domain), ['IMPLICIT_MX']);
        const p = problemOf(domain, 'IMPLICIT_MX');
        assert.equal(p.severity, 'info');
        assert.equal(p.host, 'mail.test');
        assert.deepEqual(domain.mx.map((h: any) => [h.host, h.preference, h.implicit]), [['mail.test', 0, true]]);
        assert.equal(domain.level, 'verify');
        assert.equal(smtp.sessions[0]?.sni, 'mail.test');
        assertNeverSentMail(smtp, { quitLast: true });
      });
    });

    test('MX_CNAME: the MX target is an alias', async () => {
      await withSmtp({ tls: pki.certs.valid }, async (smtp) => {
        const zone: FakeZone = {
          'cname.test': { MX: [{ preference: 10, exchange: 'alias.test' }] },
          'alias.test': { CNAME: 'mx.test' },
          'mx.test': { A: ['127.0.0.1'] },
        };
        const { domain } = await probeDomain('cname.test', zone, smtp.port);
        const p = problemOf(domain, 'MX_CNAME');
        assert.equal(p.severity, 'warning');
        assert.equal(p.host, 'alias.test');
        assert.match(p.message, /alias\.test is an alias for mx\.test/);
        assert.deepEqual(domain.mx[0].cnames, ['mx.test']);
        assert.equal(addressesOf(domain).length, 1);
        assert.equal(addressesOf(domain)[0].ip, '127.0.0.1');
        // The reference identity stays the MX name (RFC 7817): SNI alias.test, no match on mx.test.
        assert.equal(smtp.sessions[0]?.sni, 'alias.test');
        assertNeverSentMail(smtp, { quitLast: true });
      });
    });
  });

  describe('several MX hosts and addresses', { concurrency: true }, () => {
    test('two MX hosts (verify-grade and no STARTTLS): domain level none, preference order, per-address levels, policies', async () => {
      await withSmtp({ tls: pki.certs.valid }, async (good) => {
        await withSmtp({}, async (plain) => {
          const second = await relay('127.0.0.2', good.port, plain);
          try {
            const zone: FakeZone = {
              // Listed backwards on purpose: the report orders by preference.
              'two.test': { MX: [{ preference: 20, exchange: 'mail.test' }, { preference: 10, exchange: 'mx.test' }] },
              'mx.test': { A: ['127.0.0.1'] },
              'mail.test': { A: ['127.0.0.2'] },
            };
            const { run, domain } = await probeDomain('two.test', zone, good.port);
            assert.equal(run.code, 1);
            assert.equal(domain.level, 'none');
            assert.equal(domain.pass, false);
            assert.deepEqual(domain.mx.map((h: any) => [h.host, h.preference, h.implicit]), [
              ['mx.test', 10, false],
              ['mail.test', 20, false],
            ]);
            assert.deepEqual(
              domain.mx.map((h: any) => h.addresses.map((a: any) => [a.ip, a.port, a.level])),
              [[['127.0.0.1', good.port, 'verify']], [['127.0.0.2', good.port, 'none']]],
            );
            assert.deepEqual(codesOf(domain), ['STARTTLS_NOT_OFFERED']);
            assert.equal(problemOf(domain, 'STARTTLS_NOT_OFFERED').host, 'mail.test');
            assert.equal(problemOf(domain, 'STARTTLS_NOT_OFFERED').ip, '127.0.0.2');
            assert.deepEqual(
              domain.policies.slice(0, 4).map((p: any) => [p.policy, p.delivered, p.encrypted]),
              [
                ['a', 'yes', 'no'],
                ['b', 'yes', 'partly'],
                ['c', 'partly', 'yes'],
                ['d', 'partly', 'yes'],
              ],
            );
            assert.equal(good.connections, 1);
            assert.equal(plain.connections, 1);
            assert.equal(good.sessions[0]?.sni, 'mx.test');
            assertNeverSentMail(good, { quitLast: true });
            assertNeverSentMail(plain, { quitLast: true });
          } finally {
            await second.close();
          }
        });
      });
    });

    test('a host with A and AAAA gives two addresses; -4 and -6 keep one', async (t) => {
      await withSmtp({ tls: pki.certs.valid }, async (smtp) => {
        let v6: { close(): Promise<void> };
        try {
          v6 = await relay('::1', smtp.port, smtp);
        } catch (err) {
          t.skip(`IPv6 loopback ::1 is not usable here: ${(err as Error).message}`);
          return;
        }
        try {
          const zone: FakeZone = {
            'dual.test': { MX: [{ preference: 10, exchange: 'mx.test' }] },
            'mx.test': { A: ['127.0.0.1'], AAAA: ['::1'] },
          };
          const both = await probeDomain('dual.test', zone, smtp.port, ['--require', 'verify']);
          assert.equal(both.run.code, 0, JSON.stringify(both.domain.problems));
          assert.deepEqual(
            addressesOf(both.domain).map((a: any) => [a.ip, a.family, a.level]),
            [
              ['127.0.0.1', 4, 'verify'],
              ['::1', 6, 'verify'],
            ],
          );
          assert.equal(smtp.connections, 2);

          const [only4, only6] = await Promise.all([
            probeDomain('dual.test', zone, smtp.port, ['-4']),
            probeDomain('dual.test', zone, smtp.port, ['-6']),
          ]);
          assert.deepEqual(addressesOf(only4.domain).map((a: any) => a.ip), ['127.0.0.1']);
          assert.deepEqual(addressesOf(only6.domain).map((a: any) => a.ip), ['::1']);
          // Both families are asked, the other one is filtered afterwards and said so.
          for (const [run, other] of [[only4, '::1'], [only6, '127.0.0.1']] as const) {
            assert.ok(run.queries.some((q) => q.type === 'A') && run.queries.some((q) => q.type === 'AAAA'), 'both families asked');
            assert.deepEqual(run.domain.mx[0].skipped.map((s: any) => [s.ip, s.reason]), [[other, 'family']]);
            assert.equal(run.run.code, 0);
            assert.deepEqual(codesOf(run.domain), ['ADDRESSES_FILTERED']);
            assert.equal(problemOf(run.domain, 'ADDRESSES_FILTERED').severity, 'warning');
          }
          assert.equal(smtp.connections, 4);
          for (const s of smtp.sessions) assert.equal(s.sni, 'mx.test');
          assertNeverSentMail(smtp, { quitLast: true });
        } finally {
          await v6.close();
        }
      });
    });
  });
});
