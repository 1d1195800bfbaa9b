// The DNS layer for DANE and MTA-STS against the fake DNS server on loopback (a validating
// resolver it acts as): the once-per-resolver check that the resolver validates (both ways,
// and unknown), each DNSSEC state (secure, insecure, bogus, indeterminate; secure denials),
// CNAME chains (secure only when every step is), TLSA and TXT answers, the per-run cache, the
// TLSA base domain of an MX host (RFC 7672 §2.2.3), and the replay giving the same facts.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DnsResolver } from '../../src/dns/resolver.ts';
import { ReplayResolver } from '../../src/dns/replay-resolver.ts';
import { lookUpHostTlsa } from '../../src/dns/host-tlsa.ts';
import type { LookupResult, Resolver } from '../../src/dns/resolver-api.ts';
import type { TlsaRecord } from '../../src/model/dane.ts';
import { withFakeDns, type FakeZone } from '../helpers/fake-dns.ts';

const CD = 0x0010;
const EE: TlsaRecord = { usage: 3, selector: 1, matchingType: 1, data: '8cb0fc6c527506a053f4f14c8464bebbd6dede2738d11468dd953d7d6a3021f1' };
const TA: TlsaRecord = { usage: 2, selector: 0, matchingType: 2, data: 'ab'.repeat(64) };

const ZONE: FakeZone = {
  '.': { authenticated: true },
  '_25._tcp.secure.test': { TLSA: [EE, TA], authenticated: true },
  '_25._tcp.unsigned.test': { TLSA: [EE] },
  '_25._tcp.bogus.test': { TLSA: [EE], bogus: true },
  '_25._tcp.broken.test': { rcode: 'SERVFAIL' },
  '_25._tcp.refused.test': { rcode: 'REFUSED' },
  '_25._tcp.gone.test': { rcode: 'NXDOMAIN', authenticated: true },
  '_25._tcp.nodata.test': { A: ['192.0.2.1'], authenticated: true },
  '_25._tcp.unsigned-gone.test': { rcode: 'NXDOMAIN' },
  // CNAME chains: all secure; one insecure step; a bogus target; a secure alias to an unsigned target.
  '_25._tcp.alias.test': { CNAME: '_dane.central.test', authenticated: true },
  '_dane.central.test': { CNAME: '_dane2.central.test', authenticated: true },
  '_dane2.central.test': { TLSA: [EE], authenticated: true },
  '_25._tcp.half.test': { CNAME: '_dane.unsigned.test' },
  '_dane.unsigned.test': { TLSA: [EE], authenticated: true },
  '_25._tcp.to-bogus.test': { CNAME: '_25._tcp.bogus.test', authenticated: true },
  '_25._tcp.to-plain.test': { CNAME: '_plain.unsigned.test', authenticated: true },
  '_plain.unsigned.test': { TLSA: [EE] },
  // TXT for MTA-STS and TLS-RPT.
  '_mta-sts.example.test': { TXT: ['v=STSv1; id=20260101', `v=STSv1; id=${'x'.repeat(300)}`], authenticated: true },
  '_smtp._tls.example.test': { TXT: ['v=TLSRPTv1; rua=mailto:tls@example.test'] },
  '_mta-sts.huge.test': { TXT: ['y'.repeat(4097)], authenticated: true },
  '_mta-sts.many.test': { TXT: Array.from({ length: 65 }, (_, i) => `r${i}`), authenticated: true },
  '_mta-sts.bogus.test': { TXT: ['v=STSv1; id=1'], bogus: true },
  // MX and addresses get a state too, once the resolver is known to validate.
  'signed.test': { MX: [{ preference: 10, exchange: 'mx.signed.test' }], authenticated: true },
  'mx.signed.test': { A: ['192.0.2.25'], authenticated: true },
  'plain.test': { MX: [{ preference: 10, exchange: 'mx.plain.test' }] },
  'dropped.test': { drop: true },
};

type Ask = (r: Resolver) => Promise<LookupResult<unknown>>;
const QUESTIONS: Array<[string, Ask]> = [
  ['secure TLSA', (r) => r.tlsa('_25._tcp.secure.test')],
  ['unsigned TLSA', (r) => r.tlsa('_25._tcp.unsigned.test')],
  ['bogus TLSA', (r) => r.tlsa('_25._tcp.bogus.test')],
  ['SERVFAIL also with CD', (r) => r.tlsa('_25._tcp.broken.test')],
  ['REFUSED', (r) => r.tlsa('_25._tcp.refused.test')],
  ['secure NXDOMAIN', (r) => r.tlsa('_25._tcp.gone.test')],
  ['secure NODATA', (r) => r.tlsa('_25._tcp.nodata.test')],
  ['insecure NXDOMAIN', (r) => r.tlsa('_25._tcp.unsigned-gone.test')],
  ['unknown name', (r) => r.tlsa('_25._tcp.nowhere.test')],
  ['secure CNAME chain', (r) => r.tlsa('_25._tcp.alias.test')],
  ['chain with an insecure step', (r) => r.tlsa('_25._tcp.half.test')],
  ['chain to a bogus target', (r) => r.tlsa('_25._tcp.to-bogus.test')],
  ['secure alias to an unsigned target', (r) => r.tlsa('_25._tcp.to-plain.test')],
  ['MTA-STS TXT', (r) => r.txt('_mta-sts.example.test')],
  ['TLS-RPT TXT, unsigned', (r) => r.txt('_smtp._tls.example.test')],
  ['TXT over 4 KiB', (r) => r.txt('_mta-sts.huge.test')],
  ['65 TXT records', (r) => r.txt('_mta-sts.many.test')],
  ['bogus TXT', (r) => r.txt('_mta-sts.bogus.test')],
  ['signed MX', (r) => r.mx('signed.test')],
  ['signed A', (r) => r.addresses('mx.signed.test', 'A')],
  ['unsigned MX', (r) => r.mx('plain.test')],
];

const validating = (dns: { address: string }, extra: Partial<ConstructorParameters<typeof DnsResolver>[0]> = {}) => new DnsResolver({ servers: [dns.address], timeoutMs: 400, ...extra });

describe('DNSSEC states over the wire', { concurrency: true }, () => {
  test('the resolver check: AD for the root SOA → validating; asked once, with DO and without CD', async () => {
    await withFakeDns(ZONE, async (dns) => {
      const resolver = validating(dns);
      const [one, two] = await Promise.all([resolver.validation(), resolver.validation()]);
      assert.equal(one.validating, true);
      assert.equal(two, one, 'the same fact for every caller');
      assert.deepEqual([one.probe.name, one.probe.type, one.probe.rcode, one.probe.authenticated], ['.', 'SOA', 'NOERROR', true]);
      await resolver.tlsa('_25._tcp.secure.test');
      const root = dns.queries.filter((q) => q.name === '');
      assert.equal(root.length, 1, 'one check per resolver');
      assert.ok(root[0]?.ednsDo, 'DO set');
      assert.equal((root[0]?.flags ?? 0) & CD, 0, 'CD clear');
    });
  });

  test('the resolver check: no AD (a plain forwarder) → not validating, and no answer gets a DNSSEC state', async () => {
    for (const root of [undefined, { authenticated: false }]) {
      const zone: FakeZone = { ...ZONE };
      if (root === undefined) delete zone['.'];
      else zone['.'] = root;
      await withFakeDns(zone, async (dns) => {
        const resolver = validating(dns);
        assert.equal((await resolver.validation()).validating, false);
        const tlsa = await resolver.tlsa('_25._tcp.secure.test');
        assert.equal(tlsa.facts.authenticated, true, 'AD is still reported as it came');
        assert.ok(!('dnssec' in tlsa.facts), 'but no state: AD from a resolver that does not validate means nothing');
        assert.ok(!('dnssec' in (await resolver.tlsa('_25._tcp.bogus.test')).facts));
        assert.equal(dns.queries.filter((q) => (q.flags & CD) !== 0).length, 0, 'no CD retry either');
      });
    }
  });

  test('the resolver check: no usable answer (SERVFAIL, silence) → unknown (null)', async () => {
    for (const root of [{ rcode: 'SERVFAIL' as const }, { drop: true }]) {
      await withFakeDns({ ...ZONE, '.': root }, async (dns) => {
        const check = await validating(dns, { timeoutMs: 150 }).validation();
        assert.equal(check.validating, null, JSON.stringify(root));
        assert.match(check.probe.rcode, /SERVFAIL|TIMEOUT/);
      });
    }
  });

  test('a caller whose signal aborts stops waiting for the check (validating null); the shared check goes on for the others', async () => {
    await withFakeDns({ ...ZONE, '.': { delayMs: 300, authenticated: true } }, async (dns) => {
      const resolver = validating(dns, { timeoutMs: 2000 });
      const stop = new AbortController();
      const waiting = resolver.validation(stop.signal);
      stop.abort();
      const given = await waiting;
      assert.equal(given.validating, null);
      assert.equal(given.probe.rcode, 'ABORTED');
      assert.equal((await resolver.validation()).validating, true, 'the check itself was not stopped');
      assert.equal(dns.queries.filter((q) => q.name === '').length, 1);
    });
  });

  test('each state: secure, insecure, bogus (SERVFAIL, answered with CD=1), indeterminate; secure denials are secure', async () => {
    await withFakeDns(ZONE, async (dns) => {
      const resolver = validating(dns);
      const state = async (name: string) => {
        const { facts, records } = await resolver.tlsa(name);
        return [facts.rcode, facts.dnssec, records.length];
      };
      assert.deepEqual(await state('_25._tcp.secure.test'), ['NOERROR', 'secure', 2]);
      assert.deepEqual(await state('_25._tcp.unsigned.test'), ['NOERROR', 'insecure', 1]);
      assert.deepEqual(await state('_25._tcp.bogus.test'), ['SERVFAIL', 'bogus', 0], 'bogus: never the records, never "no records"');
      assert.deepEqual(await state('_25._tcp.broken.test'), ['SERVFAIL', 'indeterminate', 0]);
      assert.deepEqual(await state('_25._tcp.refused.test'), ['REFUSED', 'indeterminate', 0]);
      assert.deepEqual(await state('_25._tcp.gone.test'), ['NXDOMAIN', 'secure', 0]);
      assert.deepEqual(await state('_25._tcp.nodata.test'), ['NOERROR', 'secure', 0]);
      assert.deepEqual(await state('_25._tcp.unsigned-gone.test'), ['NXDOMAIN', 'insecure', 0]);
      const retries = dns.queries.filter((q) => (q.flags & CD) !== 0).map((q) => q.name);
      assert.deepEqual(retries, ['_25._tcp.bogus.test', '_25._tcp.broken.test'], 'CD=1 only after a SERVFAIL');
      assert.ok(dns.queries.every((q) => q.ednsDo), 'every query sets DO');
    });
  });

  test('a timeout is indeterminate', async () => {
    await withFakeDns(ZONE, async (dns) => {
      const resolver = validating(dns, { timeoutMs: 150 });
      await resolver.validation();
      const { facts } = await resolver.tlsa('dropped.test');
      assert.deepEqual([facts.rcode, facts.dnssec], ['TIMEOUT', 'indeterminate']);
    });
  });

  test('CNAME chains: secure only when every step is; a bogus target is bogus; the chain is recorded', async () => {
    await withFakeDns(ZONE, async (dns) => {
      const resolver = validating(dns);
      const alias = await resolver.tlsa('_25._tcp.alias.test');
      assert.deepEqual([alias.facts.dnssec, alias.facts.cnames, alias.records], ['secure', ['_dane.central.test', '_dane2.central.test'], [EE]]);
      const half = await resolver.tlsa('_25._tcp.half.test');
      assert.deepEqual([half.facts.dnssec, half.facts.cnames, half.records.length], ['insecure', ['_dane.unsigned.test'], 1]);
      const toPlain = await resolver.tlsa('_25._tcp.to-plain.test');
      assert.equal(toPlain.facts.dnssec, 'insecure', 'a secure alias does not make its unsigned target secure');
      const toBogus = await resolver.tlsa('_25._tcp.to-bogus.test');
      assert.deepEqual([toBogus.facts.rcode, toBogus.facts.dnssec, toBogus.records.length], ['SERVFAIL', 'bogus', 0]);
    });
  });

  test('TXT: records kept apart, strings over 255 bytes joined; over the caps: MALFORMED, never cut', async () => {
    await withFakeDns(ZONE, async (dns) => {
      const resolver = validating(dns);
      const sts = await resolver.txt('_mta-sts.example.test');
      assert.deepEqual(sts.records, ['v=STSv1; id=20260101', `v=STSv1; id=${'x'.repeat(300)}`]);
      assert.deepEqual([sts.facts.type, sts.facts.dnssec, sts.facts.answers.length], ['TXT', 'secure', 2]);
      assert.equal((await resolver.txt('_smtp._tls.example.test')).facts.dnssec, 'insecure');
      const huge = await resolver.txt('_mta-sts.huge.test');
      assert.deepEqual([huge.facts.rcode, huge.records], ['MALFORMED', []]);
      assert.match(huge.facts.error ?? '', /more than 4096 bytes/);
      assert.match((await resolver.txt('_mta-sts.many.test')).facts.error ?? '', /more than 64 TXT records/);
      assert.equal((await resolver.txt('_mta-sts.bogus.test')).facts.dnssec, 'bogus');
    });
  });

  test('MX and address answers get a state once the check says the resolver validates, not before', async () => {
    await withFakeDns(ZONE, async (dns) => {
      const resolver = validating(dns);
      assert.ok(!('dnssec' in (await resolver.mx('signed.test')).facts), 'not checked yet');
      await resolver.validation();
      assert.equal((await resolver.mx('signed.test')).facts.dnssec, 'secure');
      assert.equal((await resolver.addresses('mx.signed.test', 'A')).facts.dnssec, 'secure');
      assert.equal((await resolver.mx('plain.test')).facts.dnssec, 'insecure');
    });
  });

  test('the per-run cache: a TLSA name asked by many domains is asked once; TXT names (one domain each) are not kept', async () => {
    await withFakeDns(ZONE, async (dns) => {
      const resolver = validating(dns, { cacheSize: 100 });
      const all = await Promise.all([...Array(5)].flatMap(() => [resolver.tlsa('_25._tcp.secure.test'), resolver.txt('_mta-sts.example.test')]));
      assert.ok(all.every((r) => r.facts.rcode === 'NOERROR'));
      assert.equal(dns.queries.filter((q) => q.type === 'TLSA').length, 1);
      // _mta-sts.DOMAIN and _smtp._tls.DOMAIN belong to one domain, whose facts the run shares
      // between its rows already: kept in the cache they would only cost memory (issue 9 batch bench).
      assert.equal(dns.queries.filter((q) => q.type === 'TXT').length, 5);
      const uncached = validating(dns);
      const before = dns.queries.length;
      await Promise.all([uncached.tlsa('_25._tcp.secure.test'), uncached.tlsa('_25._tcp.secure.test')]);
      assert.equal(dns.queries.filter((q) => q.type === 'TLSA').length - 1, 2, 'without a cache, each asks');
      assert.ok(dns.queries.length > before);
    });
  });
});

/** The facts without what differs by design: the server's name, the time, and a timeout's words. */
function comparable(result: LookupResult<unknown>): unknown {
  const { server: _server, ms: _ms, ...facts } = result.facts;
  if (facts.rcode === 'TIMEOUT') delete facts.error;
  return { facts, records: result.records };
}

test('the replay gives the facts the fake DNS gives over the wire: TLSA, TXT, every DNSSEC state, chains, caps, the check', async () => {
  for (const root of ['validating', 'plain'] as const) {
    const zone: FakeZone = { ...ZONE };
    if (root === 'plain') delete zone['.'];
    await withFakeDns(zone, async (dns) => {
      const wire = validating(dns);
      const replay = new ReplayResolver(zone);
      const [overWire, inProcess] = await Promise.all([wire.validation(), replay.validation()]);
      assert.equal(inProcess.validating, overWire.validating, `${root}: validating`);
      assert.deepEqual(comparable({ facts: inProcess.probe, records: [] }), comparable({ facts: overWire.probe, records: [] }), `${root}: the check's query`);
      for (const [what, ask] of QUESTIONS) {
        const [a, b] = await Promise.all([ask(wire), ask(replay)]);
        assert.deepEqual(comparable(b), comparable(a), `${root}: ${what}`);
      }
    });
  }
  // The replay's own way to say it: the `validating` option.
  assert.equal((await new ReplayResolver({}, { validating: true }).validation()).validating, true);
  assert.equal((await new ReplayResolver({}, { validating: false }).validation()).validating, false);
  assert.equal((await new ReplayResolver({}).validation()).validating, false);
});

describe('the TLSA base domain of an MX host (RFC 7672 §2.2.3)', () => {
  const zone: FakeZone = {
    '.': { authenticated: true },
    '_25._tcp.mx.test': { TLSA: [EE], authenticated: true },
    '_25._tcp.real.hoster.test': { TLSA: [TA], authenticated: true },
    '_25._tcp.empty.hoster.test': { authenticated: true },
    '_25._tcp.bad.hoster.test': { TLSA: [TA], bogus: true },
    '_2525._tcp.mx.test': { TLSA: [TA], authenticated: true },
  };

  for (const [kind, make] of [
    ['over the wire', null],
    ['replayed', () => new ReplayResolver(zone)],
  ] as const) {
    test(`expanded name first when the expansion is secure, the host name when it has no records; a bogus answer ends it (${kind})`, async () => {
      await withFakeDns(zone, async (dns) => {
        const resolver: Resolver = make === null ? validating(dns) : make();
        const direct = await lookUpHostTlsa(resolver, { host: 'MX.test.', addressCnames: [], addressesSecure: true });
        assert.deepEqual(direct.tlsa, { name: '_25._tcp.mx.test', baseDomain: 'mx.test', cnames: [], records: [EE], dnssec: 'secure', error: null });
        const expanded = await lookUpHostTlsa(resolver, { host: 'mx.test', addressCnames: ['real.hoster.test'], addressesSecure: true });
        assert.deepEqual([expanded.tlsa.baseDomain, expanded.tlsa.records, expanded.queries.length], ['real.hoster.test', [TA], 1]);
        const fallback = await lookUpHostTlsa(resolver, { host: 'mx.test', addressCnames: ['empty.hoster.test'], addressesSecure: true });
        assert.deepEqual([fallback.tlsa.baseDomain, fallback.tlsa.records, fallback.queries.map((q) => q.name)], ['mx.test', [EE], ['_25._tcp.empty.hoster.test', '_25._tcp.mx.test']]);
        const insecure = await lookUpHostTlsa(resolver, { host: 'mx.test', addressCnames: ['real.hoster.test'], addressesSecure: false });
        assert.equal(insecure.tlsa.baseDomain, 'mx.test', 'an insecure expansion is not a base domain');
        const bogus = await lookUpHostTlsa(resolver, { host: 'mx.test', addressCnames: ['bad.hoster.test'], addressesSecure: true });
        assert.deepEqual([bogus.tlsa.baseDomain, bogus.tlsa.dnssec, bogus.tlsa.records, bogus.queries.length], ['bad.hoster.test', 'bogus', [], 1]);
        assert.match(bogus.tlsa.error ?? '', /failed DNSSEC validation/);
        const port = await lookUpHostTlsa(resolver, { host: 'mx.test', port: 2525, addressCnames: [], addressesSecure: true });
        assert.deepEqual([port.tlsa.name, port.tlsa.records], ['_2525._tcp.mx.test', [TA]]);
      });
    });
  }

  test('a resolver that does not validate: the TLSA state is indeterminate', async () => {
    const plain = new ReplayResolver({ '_25._tcp.mx.test': { TLSA: [EE], authenticated: true } });
    const { tlsa } = await lookUpHostTlsa(plain, { host: 'mx.test', addressCnames: [], addressesSecure: true });
    assert.deepEqual([tlsa.dnssec, tlsa.records], ['indeterminate', [EE]]);
  });
});
