// Malformed DNS answers through the real CLI, from a fake DNS that sends crafted bytes: each is a
// fact of its own (rcode MALFORMED with what was wrong) and problem DNS_MALFORMED, never a
// TIMEOUT, never an "undefined" address, never a crash (exit 70). And a name that cannot be put
// in a query is MALFORMED without a packet sent.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { craftResponse, mxRdata, startFakeDns, type FakeZone } from '../helpers/fake-dns.ts';
import { startFakeSmtp, type FakeSmtpServer } from '../helpers/fake-smtp.ts';
import { FAST, codesOf, problemOf, runCli, type CliRun } from '../helpers/run-cli.ts';
import { DnsResolver } from '../../src/dns/resolver.ts';

interface Probed {
  run: CliRun;
  domain: any;
  smtp: FakeSmtpServer;
  queries: Array<{ name: string; type: string }>;
}

async function probe(domain: string, zone: FakeZone): Promise<Probed> {
  const dns = await startFakeDns(zone);
  const smtp = await startFakeSmtp({});
  try {
    const run = await runCli([domain, '--resolver', dns.address, '--port', String(smtp.port), ...FAST, '--require', 'none', '--json', '--allow-special-addresses']);
    assert.notEqual(run.code, 70, run.stderr);
    assert.doesNotMatch(run.stdout, /undefined/);
    return { run, domain: run.json().domains[0], smtp, queries: dns.queries };
  } finally {
    await Promise.all([dns.close(), smtp.close()]);
  }
}

const mx = (host: string): FakeZone[string] => ({ MX: [{ preference: 10, exchange: host }] });
const LONG_NAME = `${'a'.repeat(60)}.${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(60)}.${'e'.repeat(60)}.test`; // 305 characters

describe('malformed answers are their own fact', { concurrency: true }, () => {
  test('an A record with 3 bytes of data: DNS_MALFORMED (not TIMEOUT, not "127.0.5.undefined"), exit 3', async () => {
    const zone: FakeZone = {
      'short.test': mx('mx.short.test'),
      'mx.short.test': { raw: (q) => (q.type === 'A' ? craftResponse(q, [{ type: 'A', rdata: Buffer.from([127, 0, 5]) }]) : craftResponse(q, [])) },
    };
    const { run, domain, smtp } = await probe('short.test', zone);
    assert.equal(run.code, 3);
    assert.equal(smtp.connections, 0);
    assert.equal(domain.outcome, 'dns-failure');
    assert.deepEqual(codesOf(domain), ['DNS_MALFORMED']);
    const p = problemOf(domain, 'DNS_MALFORMED');
    assert.equal(p.host, 'mx.short.test');
    assert.match(p.message, /The A look-up for MX host mx\.short\.test gave a malformed answer: the A record of mx\.short\.test has 3 bytes of data, not 4/);
    const query = domain.dns.find((q: any) => q.type === 'A');
    assert.equal(query.rcode, 'MALFORMED');
    assert.match(query.error, /3 bytes of data, not 4/);
    assert.deepEqual(query.answers, []);
  });

  test('an AAAA record of 15 bytes next to a good A record: the A address is probed, the malformed AAAA reported', async () => {
    const zone: FakeZone = {
      'half.test': mx('mx.half.test'),
      'mx.half.test': {
        raw: (q) => craftResponse(q, q.type === 'A' ? [{ type: 'A', rdata: Buffer.from([127, 0, 0, 1]) }] : [{ type: 'AAAA', rdata: Buffer.alloc(15) }]),
      },
    };
    const { run, domain, smtp } = await probe('half.test', zone);
    assert.equal(smtp.connections, 1);
    assert.equal(run.code, 0);
    assert.deepEqual(codesOf(domain), ['DNS_MALFORMED', 'STARTTLS_NOT_OFFERED']);
    assert.match(problemOf(domain, 'DNS_MALFORMED').message, /AAAA record of mx\.half\.test has 15 bytes of data, not 16/);
  });

  test('a 305-character MX name: the MX answer is MALFORMED (asked once, not timed out), exit 3', async () => {
    const zone: FakeZone = { 'long.test': { raw: (q) => craftResponse(q, [{ type: 'MX', rdata: mxRdata(10, LONG_NAME) }]) } };
    const { run, domain, queries } = await probe('long.test', zone);
    assert.equal(run.code, 3);
    assert.equal(domain.outcome, 'dns-failure');
    assert.equal(domain.dns[0].rcode, 'MALFORMED');
    assert.deepEqual(codesOf(domain), ['DNS_MALFORMED']);
    assert.match(problemOf(domain, 'DNS_MALFORMED').message, /The MX look-up for long\.test gave a malformed answer: the MX record of long\.test: a name is longer than 255 octets/);
    assert.equal(queries.filter((q) => q.type === 'MX').length, 1, 'a server that answered garbage is not asked again');
  });

  test('a message that breaks off inside its records: MALFORMED, not a timeout', async () => {
    const zone: FakeZone = {
      'cut.test': { raw: (q) => craftResponse(q, [{ type: 'MX', rdata: mxRdata(10, 'mx.cut.test') }]).subarray(0, -4) },
    };
    const { run, domain } = await probe('cut.test', zone);
    assert.equal(run.code, 3);
    assert.equal(domain.dns[0].rcode, 'MALFORMED');
    assert.match(domain.dns[0].error, /claims 15 bytes of data, but the message ends 11 bytes later/);
  });

  test('an MX exchange that is no host name: that MX record is unusable (DNS_MALFORMED), the others are probed', async () => {
    const zone: FakeZone = {
      'bad.test': { MX: [{ preference: 10, exchange: 'mx!1.bad.test' }, { preference: 20, exchange: 'mx2.bad.test' }] },
      'mx2.bad.test': { A: ['127.0.0.1'] },
    };
    const { run, domain, smtp, queries } = await probe('bad.test', zone);
    assert.equal(smtp.connections, 1);
    assert.equal(run.code, 0);
    assert.deepEqual(domain.mx[0].unusable, { kind: 'invalid-name', detail: 'the label "mx!1" has characters other than letters, digits, hyphens and underscores' });
    assert.match(problemOf(domain, 'DNS_MALFORMED').message, /The MX record "10 mx!1\.bad\.test" of bad\.test does not name a valid host/);
    assert.ok(!queries.some((q) => q.name === 'mx!1.bad.test'), 'not looked up');
  });

  test('the only MX exchange is no host name: the domain accepts no mail a sender would deliver, exit 1', async () => {
    const { run, domain } = await probe('onlybad.test', { 'onlybad.test': mx('-mx.onlybad.test') });
    assert.equal(run.code, 1);
    assert.equal(domain.outcome, 'no-mail-host');
    assert.deepEqual(codesOf(domain), ['DNS_MALFORMED']);
  });

  test('a CNAME target that is no host name: the look-up is MALFORMED, exit 3', async () => {
    const zone: FakeZone = { 'alias.test': mx('mx.alias.test'), 'mx.alias.test': { CNAME: 'bad name.alias.test' }, 'bad name.alias.test': { A: ['127.0.0.1'] } };
    const { run, domain, smtp } = await probe('alias.test', zone);
    assert.equal(smtp.connections, 0);
    assert.equal(run.code, 3);
    assert.match(problemOf(domain, 'DNS_MALFORMED').message, /the CNAME target "bad\\032name\.alias\.test" of mx\.alias\.test is not a host name/);
  });
});

test('a name that cannot be put in a query is MALFORMED, and no packet is sent', async () => {
  const dns = await startFakeDns({});
  try {
    const resolver = new DnsResolver({ servers: [dns.address], timeoutMs: 2000 });
    for (const name of [`${'a'.repeat(64)}.test`, `${'abcdefghi.'.repeat(26)}test`, 'a..test']) {
      const result = await resolver.addresses(name, 'A');
      assert.equal(result.facts.rcode, 'MALFORMED', name);
      assert.match(result.facts.error ?? '', /cannot be put in a query/);
    }
    assert.equal(dns.queries.length, 0);
  } finally {
    await dns.close();
  }
});
