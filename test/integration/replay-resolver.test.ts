// ReplayResolver (in process) and DnsResolver over the wire to the fake DNS server give the
// same facts for the same zone: rcode, AD flag, CNAMEs, answers (in the wire's presentation
// form), records. Only the server's name and the time taken differ, and the words of a
// timeout (the replay does not wait for one).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DnsResolver } from '../../src/dns/resolver.ts';
import { ReplayResolver, REPLAY_SERVER } from '../../src/dns/replay-resolver.ts';
import type { LookupResult, Resolver } from '../../src/dns/resolver-api.ts';
import { withFakeDns, type FakeZone } from '../helpers/fake-dns.ts';

const ZONE: FakeZone = {
  'plain.test': { MX: [{ preference: 20, exchange: 'MX2.Plain.Test.' }, { preference: 10, exchange: 'mx1.plain.test' }], authenticated: true },
  'mx1.plain.test': { A: ['192.0.2.1', '192.0.2.2'], AAAA: ['2001:DB8:0:0:0:0:0:1', '::ffff:192.0.2.9', '2001:db8:0:1:0:0:0:0'], authenticated: true },
  'mx2.plain.test': { A: ['192.0.2.3'] },
  'null.test': { MX: [{ preference: 0, exchange: '.' }] },
  'empty.test': {},
  'alias.test': { CNAME: 'Target.Test', authenticated: true },
  'target.test': { MX: [{ preference: 5, exchange: 'mx1.plain.test' }], A: ['192.0.2.5'] },
  'half.test': { CNAME: 'plain.test' },
  'dangling.test': { CNAME: 'nowhere.test' },
  'loop1.test': { CNAME: 'loop2.test' },
  'loop2.test': { CNAME: 'loop1.test' },
  'badalias.test': { CNAME: '-bad-.test' },
  '-bad-.test': { A: ['192.0.2.66'] },
  'servfail.test': { rcode: 'SERVFAIL' },
  'refused.test': { rcode: 'REFUSED' },
  'gone.test': { rcode: 'NXDOMAIN' },
  'via-gone.test': { CNAME: 'gone.test' },
  'dropped.test': { drop: true },
  // TLSA and TXT (DANE, MTA-STS), through an alias too; a bogus name; a secure denial.
  '_25._tcp.mx1.plain.test': { TLSA: [{ usage: 3, selector: 1, matchingType: 1, data: 'AB'.repeat(32) }], authenticated: true },
  '_25._tcp.mx2.plain.test': { CNAME: '_25._tcp.mx1.plain.test', authenticated: true },
  '_mta-sts.plain.test': { TXT: ['v=STSv1; id=1', 'q'.repeat(400)], authenticated: true },
  '_25._tcp.bogus.test': { TLSA: [{ usage: 2, selector: 0, matchingType: 1, data: '00'.repeat(32) }], bogus: true },
  '_25._tcp.gone.test': { rcode: 'NXDOMAIN', authenticated: true },
};

type Asked = 'MX' | 'A' | 'AAAA' | 'TLSA' | 'TXT';
const QUESTIONS: Array<[string, Asked]> = [
  ['plain.test', 'MX'],
  ['mx1.plain.test', 'A'],
  ['mx1.plain.test', 'AAAA'],
  ['MX2.PLAIN.TEST.', 'A'],
  ['mx2.plain.test', 'AAAA'],
  ['null.test', 'MX'],
  ['empty.test', 'MX'],
  ['alias.test', 'MX'],
  ['alias.test', 'A'],
  ['half.test', 'MX'],
  ['dangling.test', 'A'],
  ['loop1.test', 'A'],
  ['badalias.test', 'A'],
  ['servfail.test', 'MX'],
  ['refused.test', 'A'],
  ['gone.test', 'MX'],
  ['via-gone.test', 'AAAA'],
  ['unknown.test', 'MX'],
  ['dropped.test', 'A'],
  [`${'a'.repeat(64)}.test`, 'A'],
  ['_25._tcp.mx1.plain.test', 'TLSA'],
  ['_25._tcp.mx2.plain.test', 'TLSA'],
  ['_mta-sts.plain.test', 'TXT'],
  ['_25._tcp.bogus.test', 'TLSA'],
  ['_25._tcp.gone.test', 'TLSA'],
  ['plain.test', 'TXT'],
  ['servfail.test', 'TXT'],
];

function ask(resolver: Resolver, name: string, type: Asked): Promise<LookupResult<unknown>> {
  if (type === 'TLSA') return resolver.tlsa(name);
  if (type === 'TXT') return resolver.txt(name);
  return type === 'MX' ? resolver.mx(name) : resolver.addresses(name, type);
}

/** The facts without what differs by design: the server's name, the time, and a timeout's words. */
function comparable(result: LookupResult<unknown>): unknown {
  const { server: _server, ms: _ms, ...facts } = result.facts;
  if (facts.rcode === 'TIMEOUT') delete facts.error;
  return { facts, records: result.records };
}

test('the replay gives the facts the fake DNS server gives over the wire, for every kind of answer, with a resolver that validates and one that does not', async () => {
  for (const zone of [ZONE, { ...ZONE, '.': { authenticated: true } }]) {
    await withFakeDns(zone, async (dns) => {
      const wire = new DnsResolver({ servers: [dns.address], timeoutMs: 300 });
      const replay = new ReplayResolver(zone);
      assert.equal((await replay.validation()).validating, (await wire.validation()).validating);
      for (const [name, type] of QUESTIONS) {
        const [overWire, inProcess] = await Promise.all([ask(wire, name, type), ask(replay, name, type)]);
        assert.deepEqual(comparable(inProcess), comparable(overWire), `${type} ${name}`);
        const answered = overWire.facts.server !== null;
        assert.equal(inProcess.facts.server, answered ? REPLAY_SERVER : null, `${type} ${name}: server`);
      }
    });
  }
});
