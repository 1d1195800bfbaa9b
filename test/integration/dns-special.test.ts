// MX targets senders refuse, through the real CLI and a fake DNS: addresses in special-purpose
// ranges (loopback, private-use, link-local, 0.0.0.0, multicast, documentation, IPv4-mapped,
// localhost names) are not probed (MX_ADDRESS_SPECIAL, exit 1), MX targets that are IP
// literals are neither looked up nor probed (MX_IP_LITERAL, exit 1); --allow-special-addresses
// probes loopback ones; --server is never filtered; -4/-6 report filtered addresses
// (ADDRESSES_FILTERED, exit 3). Each run has a guard that refuses any connection off loopback,
// so a broken filter sends nothing off this machine; a fake SMTP server on 127.0.0.1 counts
// the connections that did happen.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { startFakeDns, type FakeZone } from '../helpers/fake-dns.ts';
import { startFakeSmtp, type FakeSmtpServer } from '../helpers/fake-smtp.ts';
import { makeTestPki, type TestPki } from '../helpers/pki.ts';
import { runGuardedCli, type GuardedRun } from '../helpers/loopback-guard.ts';
import { PATIENT, codesOf, problemOf } from '../helpers/run-cli.ts';

let pki: TestPki;
before(async () => {
  pki = await makeTestPki();
});

interface Probed {
  run: GuardedRun;
  domain: any;
  smtp: FakeSmtpServer;
  queries: Array<{ name: string; type: string }>;
}

/** Runs the CLI for `domain` over a fresh fake DNS and a fresh fake SMTP server (with TLS) on 127.0.0.1. */
async function probe(domain: string, zone: FakeZone, extra: string[] = [], format: string[] = ['--json']): Promise<Probed> {
  const dns = await startFakeDns(zone);
  const smtp = await startFakeSmtp({ tls: pki.certs.valid });
  try {
    const run = await runGuardedCli([domain, '--resolver', dns.address, '--port', String(smtp.port), '--ca-file', pki.caFile, ...PATIENT, ...format, ...extra]);
    const parsed = format.includes('--json') ? run.json().domains[0] : null;
    return { run, domain: parsed, smtp, queries: dns.queries };
  } finally {
    await Promise.all([dns.close(), smtp.close()]);
  }
}

const mxTo = (domain: string, host: string, records: { A?: string[]; AAAA?: string[] }): FakeZone => ({
  [domain]: { MX: [{ preference: 10, exchange: host }] },
  [host]: records,
});

describe('special-purpose addresses from DNS are not probed', { concurrency: true }, () => {
  const cases: Array<{ name: string; records: { A?: string[]; AAAA?: string[] }; ranges: string[] }> = [
    { name: 'loopback', records: { A: ['127.0.0.1'], AAAA: ['::1'] }, ranges: ['loopback', 'loopback'] },
    { name: 'private-use', records: { A: ['10.0.0.25', '192.168.1.25', '172.16.0.25'], AAAA: ['fd00::25'] }, ranges: ['private-use', 'private-use', 'private-use', 'unique-local'] },
    { name: 'link-local', records: { A: ['169.254.169.254'], AAAA: ['fe80::25'] }, ranges: ['link-local', 'link-local'] },
    { name: 'this host', records: { A: ['0.0.0.0'], AAAA: ['::'] }, ranges: ['this-host', 'unspecified'] },
    { name: 'multicast', records: { A: ['224.0.0.25'], AAAA: ['ff02::25'] }, ranges: ['multicast', 'multicast'] },
    { name: 'shared, documentation, broadcast', records: { A: ['100.64.0.25', '192.0.2.25', '255.255.255.255'], AAAA: ['2001:db8::25'] }, ranges: ['shared-address-space', 'documentation', 'limited-broadcast', 'documentation'] },
    { name: 'IPv4-mapped loopback', records: { AAAA: ['::ffff:127.0.0.1'] }, ranges: ['ipv4-mapped loopback'] },
  ];
  for (const c of cases) {
    test(`${c.name}: MX_ADDRESS_SPECIAL, no connection, exit 1`, async () => {
      const { run, domain, smtp } = await probe('special.test', mxTo('special.test', 'mx.special.test', c.records));
      assert.deepEqual(run.blocked, [], 'no connection off loopback was even tried');
      assert.equal(smtp.connections, 0, 'no connection');
      assert.equal(run.code, 1, run.stderr);
      assert.equal(domain.outcome, 'no-mail-host');
      assert.equal(domain.pass, false);
      assert.deepEqual(codesOf(domain), ['MX_ADDRESS_SPECIAL']);
      const p = problemOf(domain, 'MX_ADDRESS_SPECIAL');
      assert.equal(p.severity, 'error');
      assert.equal(p.host, 'mx.special.test');
      const host = domain.mx[0];
      assert.deepEqual(host.addresses, []);
      assert.deepEqual(host.skipped.map((s: any) => s.range), c.ranges);
      for (const s of host.skipped) {
        assert.equal(s.reason, 'special-purpose');
        assert.ok(p.message.includes(s.ip), `${s.ip} named in ${p.message}`);
      }
      assert.deepEqual(domain.policies.slice(0, 4).map((x: any) => x.delivered), ['no', 'no', 'no', 'no']);
    });
  }

  test('implicit MX: the domain’s own loopback address is filtered too', async () => {
    const { run, domain, smtp } = await probe('implicit.test', { 'implicit.test': { A: ['127.0.0.1'] } });
    assert.equal(smtp.connections, 0);
    assert.equal(run.code, 1);
    assert.deepEqual(codesOf(domain), ['IMPLICIT_MX', 'MX_ADDRESS_SPECIAL']);
  });

  test('MX "localhost": loopback by RFC 6761 §6.3, not asked of DNS, not probed', async () => {
    const { run, domain, smtp, queries } = await probe('local.test', { 'local.test': { MX: [{ preference: 10, exchange: 'localhost' }] }, localhost: { A: ['192.0.2.99'] } });
    assert.equal(smtp.connections, 0);
    assert.equal(run.code, 1);
    assert.ok(!queries.some((q) => q.name === 'localhost'), 'localhost is not asked of DNS');
    assert.deepEqual(domain.mx[0].skipped.map((s: any) => [s.ip, s.range]), [['127.0.0.1', 'loopback'], ['::1', 'loopback']]);
  });

  test('one MX host filtered, one on a failing look-up: undetermined, not failed', async () => {
    const zone: FakeZone = {
      'half.test': { MX: [{ preference: 10, exchange: 'a.half.test' }, { preference: 20, exchange: 'b.half.test' }] },
      'a.half.test': { A: ['10.1.1.1'] },
      'b.half.test': { rcode: 'SERVFAIL' },
    };
    const { run, domain, smtp } = await probe('half.test', zone);
    assert.equal(smtp.connections, 0);
    assert.equal(run.code, 3);
    assert.equal(domain.outcome, 'dns-failure');
    assert.deepEqual(codesOf(domain), ['MX_ADDRESS_SPECIAL', 'DNS_FAILURE']);
  });

  test('every output path says it: text (FAIL line and problem) and CSV (problems column)', async () => {
    const zone = mxTo('special.test', 'mx.special.test', { A: ['127.0.0.1'] });
    const text = await probe('special.test', zone, [], []);
    assert.equal(text.run.code, 1);
    assert.match(text.run.stdout, /^FAIL special\.test: .*127\.0\.0\.1 \(loopback\)/m);
    assert.match(text.run.stdout, /✘ MX_ADDRESS_SPECIAL/);
    const csv = await probe('special.test', zone, [], ['--format', 'csv']);
    assert.equal(csv.run.code, 1);
    assert.match(csv.run.stdout.split('\n')[1] ?? '', /MX_ADDRESS_SPECIAL/);
    assert.equal(text.smtp.connections + csv.smtp.connections, 0);
  });
});

describe('MX targets that are IP literals', { concurrency: true }, () => {
  test('"10 192.0.2.1", "20 [127.0.0.1]", "30 ::1": MX_IP_LITERAL each, not looked up, not probed, exit 1', async () => {
    const zone: FakeZone = {
      'literal.test': {
        MX: [
          { preference: 10, exchange: '192.0.2.1' },
          { preference: 20, exchange: '[127.0.0.1]' },
          { preference: 30, exchange: '::1' },
        ],
      },
    };
    const { run, domain, smtp, queries } = await probe('literal.test', zone, ['--allow-special-addresses']);
    assert.deepEqual(run.blocked, []);
    assert.equal(smtp.connections, 0, 'a literal is not probed, even with --allow-special-addresses');
    assert.deepEqual(queries.filter((q) => q.type === 'MX' || q.type === 'A' || q.type === 'AAAA').map((q) => q.type), ['MX'], 'no address look-up of a literal');
    assert.equal(run.code, 1);
    assert.equal(domain.outcome, 'no-mail-host');
    assert.deepEqual(codesOf(domain), ['MX_IP_LITERAL', 'MX_IP_LITERAL', 'MX_IP_LITERAL']);
    assert.deepEqual(
      domain.mx.map((h: any) => [h.host, h.unusable.kind]),
      [
        ['192.0.2.1', 'ip-literal'],
        ['[127.0.0.1]', 'ip-literal'],
        ['::1', 'ip-literal'],
      ],
    );
    assert.match(problemOf(domain, 'MX_IP_LITERAL').message, /"10 192\.0\.2\.1".*names an IP address/);
  });

  test('a literal next to a real MX host: the real one is probed, the literal reported', async () => {
    const zone: FakeZone = {
      'mixed.test': { MX: [{ preference: 10, exchange: '127.0.0.1' }, { preference: 20, exchange: 'mx.test' }] },
      'mx.test': { A: ['127.0.0.1'] },
    };
    const { run, domain, smtp } = await probe('mixed.test', zone, ['--allow-special-addresses']);
    assert.equal(smtp.connections, 1);
    assert.equal(run.code, 0, JSON.stringify(domain.problems));
    assert.deepEqual(codesOf(domain), ['MX_IP_LITERAL']);
    assert.equal(problemOf(domain, 'MX_IP_LITERAL').severity, 'warning', 'under a PASS an error is shown as a warning');
  });
});

describe('--allow-special-addresses, --server', { concurrency: true }, () => {
  test('--allow-special-addresses probes loopback addresses (127.0.0.1, 0.0.0.0, localhost)', async () => {
    for (const records of [{ A: ['127.0.0.1'] }, { A: ['0.0.0.0'] }]) {
      const { run, domain, smtp } = await probe('lab.test', mxTo('lab.test', 'mx.test', records), ['--allow-special-addresses']);
      assert.equal(smtp.connections, 1);
      assert.equal(run.code, 0, JSON.stringify(domain.problems));
      assert.equal(domain.level, 'verify');
      assert.equal(domain.mx[0].skipped, undefined);
    }
    const local = await probe('lab.test', { 'lab.test': { MX: [{ preference: 10, exchange: 'localhost' }] } }, ['--allow-special-addresses', '-4']);
    assert.equal(local.smtp.connections, 1);
    assert.deepEqual(local.domain.mx[0].addresses.map((a: any) => a.ip), ['127.0.0.1']);
  });

  test('--server 127.0.0.1 is the user’s choice: probed without the option', async () => {
    const smtp = await startFakeSmtp({ tls: pki.certs.valid });
    try {
      const run = await runGuardedCli(['--server', `127.0.0.1:${smtp.port}`, '--name', 'mx.test', '--ca-file', pki.caFile, ...PATIENT, '--json']);
      assert.equal(run.code, 0, run.stdout);
      assert.equal(smtp.connections, 1);
      assert.ok(!codesOf(run.json().domains[0]).includes('MX_ADDRESS_SPECIAL'));
    } finally {
      await smtp.close();
    }
  });
});

describe('-4 and -6 on a host with only the other family', { concurrency: true }, () => {
  test('-6 on an IPv4-only host: ADDRESSES_FILTERED (not "no address"), undetermined, exit 3', async () => {
    const { run, domain, smtp, queries } = await probe('v4.test', mxTo('v4.test', 'mx.test', { A: ['127.0.0.1'] }), ['-6', '--allow-special-addresses']);
    assert.equal(smtp.connections, 0);
    assert.equal(run.code, 3);
    assert.equal(domain.outcome, 'not-probed');
    assert.equal(domain.pass, null);
    assert.deepEqual(codesOf(domain), ['ADDRESSES_FILTERED']);
    const p = problemOf(domain, 'ADDRESSES_FILTERED');
    assert.equal(p.severity, 'warning');
    assert.match(p.message, /has only 1 IPv4 address \(127\.0\.0\.1\), not probed because of -6/);
    assert.deepEqual(domain.mx[0].skipped, [{ ip: '127.0.0.1', family: 4, reason: 'family' }]);
    assert.ok(queries.some((q) => q.type === 'A'), 'the other family is asked, to know');
  });

  test('-4 on an IPv6-only host: the same, the other way', async () => {
    const { run, domain } = await probe('v6.test', mxTo('v6.test', 'mx.test', { AAAA: ['::1'] }), ['-4', '--allow-special-addresses']);
    assert.equal(run.code, 3);
    assert.match(problemOf(domain, 'ADDRESSES_FILTERED').message, /has only 1 IPv6 address \(::1\), not probed because of -4/);
  });

  test('a special-purpose address is the domain’s defect whatever -4/-6 say: exit 1', async () => {
    const { run, domain } = await probe('v4.test', mxTo('v4.test', 'mx.test', { A: ['10.0.0.1'] }), ['-6']);
    assert.equal(run.code, 1);
    assert.deepEqual(codesOf(domain), ['MX_ADDRESS_SPECIAL']);
  });
});
