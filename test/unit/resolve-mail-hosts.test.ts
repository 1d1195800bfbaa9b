// Where a domain's mail goes (src/dns/resolve-mail-hosts.ts), with DNS replayed in process
// (ReplayResolver): every outcome, the MX order and caps, which targets and addresses are
// left out and why, CNAMEs, families, and a stop. The wire itself (UDP/TCP, truncation,
// deadlines, malformed answers) is tested against the fake DNS server in test/integration.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_ADDRESSES_PER_HOST, MAX_MX_HOSTS, resolveMailHosts, type AddressFamilies, type MailHostOptions } from '../../src/dns/resolve-mail-hosts.ts';
import { ReplayResolver, REPLAY_SERVER, type ReplayZone } from '../../src/dns/replay-resolver.ts';
import type { Resolver } from '../../src/dns/resolver-api.ts';

const BOTH: AddressFamilies = { ipv4: true, ipv6: true };
const LAB: MailHostOptions = { allowSpecialAddresses: true };

async function resolve(zone: ReplayZone, domain = 'example.test', families = BOTH, options: MailHostOptions = LAB) {
  const resolver = new ReplayResolver(zone);
  const found = await resolveMailHosts(domain, resolver satisfies Resolver, families, options);
  return { found, asked: resolver.queries.map((q) => `${q.type} ${q.name}`) };
}

const hostsOf = (found: Awaited<ReturnType<typeof resolve>>['found']) =>
  found.hosts.map((h) => [h.preference, h.host, h.addresses.map((a) => a.ip), h.skipped.map((s) => `${s.ip}:${s.reason}`)]);

test('MX hosts in preference order (then by name), each with its A and AAAA addresses; every query a fact', async () => {
  const { found, asked } = await resolve({
    'example.test': { MX: [{ preference: 20, exchange: 'b.example.test' }, { preference: 10, exchange: 'C.Example.Test.' }, { preference: 20, exchange: 'a.example.test' }], authenticated: true },
    'a.example.test': { A: ['192.0.2.1'] },
    'b.example.test': { AAAA: ['2001:DB8:0:0::2'] },
    'c.example.test': { A: ['192.0.2.3'], AAAA: ['2001:db8::3'] },
  });
  assert.equal(found.outcome, 'probed');
  assert.equal(found.mxAuthenticated, true);
  assert.deepEqual(hostsOf(found), [
    [10, 'c.example.test', ['192.0.2.3', '2001:db8::3'], []],
    [20, 'a.example.test', ['192.0.2.1'], []],
    [20, 'b.example.test', ['2001:db8::2'], []],
  ]);
  assert.deepEqual(asked.slice(0, 1), ['MX example.test']);
  assert.equal(found.queries.length, 7);
  assert.deepEqual(found.queries[0], { name: 'example.test', type: 'MX', rcode: 'NOERROR', authenticated: true, cnames: [], answers: ['20 b.example.test', '10 c.example.test', '20 a.example.test'], server: REPLAY_SERVER, ms: found.queries[0]!.ms });
  assert.ok(found.queries.every((q) => q.server === REPLAY_SERVER));
});

test('no MX: the domain itself (implicit MX); NXDOMAIN; a failed look-up; a null MX; a "." beside real MX records is ignored', async () => {
  const implicit = await resolve({ 'example.test': { A: ['192.0.2.9'] } });
  assert.equal(implicit.found.outcome, 'probed');
  assert.deepEqual(implicit.found.hosts.map((h) => [h.host, h.implicit, h.preference]), [['example.test', true, 0]]);
  assert.equal((await resolve({ 'other.test': {} })).found.outcome, 'nxdomain');
  for (const rcode of ['SERVFAIL', 'REFUSED'] as const) assert.equal((await resolve({ 'example.test': { rcode } })).found.outcome, 'dns-failure');
  const dropped = await resolve({ 'example.test': { drop: true } });
  assert.deepEqual([dropped.found.outcome, dropped.found.queries[0]?.rcode], ['dns-failure', 'TIMEOUT']);
  const nullMx = await resolve({ 'example.test': { MX: [{ preference: 0, exchange: '.' }] } });
  assert.deepEqual([nullMx.found.outcome, nullMx.asked], ['null-mx', ['MX example.test']]);
  const mixed = await resolve({ 'example.test': { MX: [{ preference: 0, exchange: '.' }, { preference: 10, exchange: 'mx.example.test' }] }, 'mx.example.test': { A: ['192.0.2.1'] } });
  assert.deepEqual(hostsOf(mixed.found), [[10, 'mx.example.test', ['192.0.2.1'], []]]);
});

test('MX targets a sender would not use are neither looked up nor probed; localhost is loopback without DNS', async () => {
  const { found, asked } = await resolve({
    'example.test': {
      MX: [
        { preference: 10, exchange: '192.0.2.1' },
        { preference: 20, exchange: 'bad_-.' },
        { preference: 30, exchange: 'localhost' },
        { preference: 40, exchange: 'mx.example.test' },
      ],
    },
    'mx.example.test': { A: ['192.0.2.4'] },
  });
  assert.deepEqual(
    found.hosts.map((h) => [h.host, h.unusable?.kind ?? null]),
    [['192.0.2.1', 'ip-literal'], ['bad_-', 'invalid-name'], ['localhost', null], ['mx.example.test', null]],
  );
  assert.deepEqual(found.hosts[2]?.addresses, [{ ip: '127.0.0.1', family: 4 }, { ip: '::1', family: 6 }]);
  assert.deepEqual(asked, ['MX example.test', 'A mx.example.test', 'AAAA mx.example.test']);
  // Without --allow-special-addresses, loopback is left out with the range's name.
  const strict = await resolve({ 'example.test': { MX: [{ preference: 1, exchange: 'localhost' }] } }, 'example.test', BOTH, {});
  assert.equal(strict.found.outcome, 'no-mail-host');
  assert.deepEqual(strict.found.hosts[0]?.skipped.map((s) => [s.ip, s.reason, s.range]), [['127.0.0.1', 'special-purpose', 'loopback'], ['::1', 'special-purpose', 'loopback']]);
});

test('special-purpose addresses from DNS are skipped unless allowed; -4 and -6 leave a family out as filtered', async () => {
  const zone: ReplayZone = { 'example.test': { MX: [{ preference: 10, exchange: 'mx.example.test' }] }, 'mx.example.test': { A: ['10.1.2.3', '11.1.2.3'], AAAA: ['2a00:1:2::3'] } };
  const strict = await resolve(zone, 'example.test', BOTH, {});
  assert.deepEqual(hostsOf(strict.found), [[10, 'mx.example.test', ['11.1.2.3', '2a00:1:2::3'], ['10.1.2.3:special-purpose']]]);
  assert.deepEqual(hostsOf((await resolve(zone)).found), [[10, 'mx.example.test', ['10.1.2.3', '11.1.2.3', '2a00:1:2::3'], []]]);
  const v4 = await resolve(zone, 'example.test', { ipv4: true, ipv6: false });
  assert.deepEqual(hostsOf(v4.found), [[10, 'mx.example.test', ['10.1.2.3', '11.1.2.3'], ['2a00:1:2::3:family']]]);
  const v6only = await resolve({ ...zone, 'mx.example.test': { A: ['11.1.2.3'] } }, 'example.test', { ipv4: false, ipv6: true });
  assert.equal(v6only.found.outcome, 'not-probed');
  // Both families are asked whatever -4/-6 say.
  assert.deepEqual(v4.asked, ['MX example.test', 'A mx.example.test', 'AAAA mx.example.test']);
});

test(`caps: the ${MAX_MX_HOSTS} most preferred MX hosts, ${MAX_ADDRESSES_PER_HOST} addresses a host shared between the families; a host named twice keeps its best place`, async () => {
  const zone: ReplayZone = { 'example.test': { MX: [] } };
  for (let i = 0; i < 12; i++) {
    zone['example.test']!.MX!.push({ preference: 100 - i, exchange: `mx${i}.example.test` });
    zone[`mx${i}.example.test`] = { A: [`192.0.2.${i}`] };
  }
  zone['example.test']!.MX!.push({ preference: 1, exchange: 'mx0.example.test' });
  zone['mx0.example.test'] = { A: Array.from({ length: 10 }, (_, i) => `192.0.2.${100 + i}`), AAAA: Array.from({ length: 10 }, (_, i) => `2001:db8::${i + 1}`) };
  const { found } = await resolve(zone);
  assert.deepEqual(found.mxLimit, { found: 12, probed: MAX_MX_HOSTS });
  assert.deepEqual(found.hosts.map((h) => h.host).slice(0, 3), ['mx0.example.test', 'mx11.example.test', 'mx10.example.test']);
  assert.ok(!found.hosts.some((h) => h.host === 'mx1.example.test' || h.host === 'mx2.example.test'), 'the least preferred are left out');
  const first = found.hosts[0]!;
  assert.equal(first.preference, 1);
  assert.deepEqual(first.addresses.map((a) => a.family), [4, 4, 4, 4, 6, 6, 6, 6]);
  assert.equal(first.skipped.filter((s) => s.reason === 'limit').length, 12);
});

test('CNAMEs: a host behind an alias keeps the chain; a loop is a failed look-up; a dangling alias is NXDOMAIN', async () => {
  const { found } = await resolve({
    'example.test': { MX: [{ preference: 10, exchange: 'alias.example.test' }, { preference: 20, exchange: 'loop1.example.test' }] },
    'alias.example.test': { CNAME: 'real.example.test' },
    'real.example.test': { A: ['192.0.2.7'] },
    'loop1.example.test': { CNAME: 'loop2.example.test' },
    'loop2.example.test': { CNAME: 'loop1.example.test' },
  });
  assert.deepEqual(found.hosts[0]?.cnames, ['real.example.test']);
  assert.deepEqual(found.hosts[0]?.addresses, [{ ip: '192.0.2.7', family: 4 }]);
  assert.deepEqual(found.queries.filter((q) => q.name === 'loop1.example.test').map((q) => q.rcode), ['SERVFAIL', 'SERVFAIL']);
  const dangling = await resolve({ 'example.test': { MX: [{ preference: 10, exchange: 'gone.example.test' }] }, 'gone.example.test': { CNAME: 'nowhere.example.test' } });
  assert.deepEqual(dangling.found.queries.slice(1).map((q) => [q.rcode, q.cnames]), [['NXDOMAIN', []], ['NXDOMAIN', []]]);
  assert.equal(dangling.found.outcome, 'no-mail-host');
});

test('hosts whose look-ups fail and that have no address: dns-failure; the AD flag only when every name of the answer has it', async () => {
  const failed = await resolve({ 'example.test': { MX: [{ preference: 10, exchange: 'mx.example.test' }] }, 'mx.example.test': { rcode: 'SERVFAIL' } });
  assert.equal(failed.found.outcome, 'dns-failure');
  const half = await resolve({ 'example.test': { CNAME: 'real.test', authenticated: true }, 'real.test': { MX: [{ preference: 1, exchange: 'mx.real.test' }] }, 'mx.real.test': { A: ['192.0.2.1'] } });
  assert.equal(half.found.mxAuthenticated, false);
  assert.deepEqual(half.found.queries[0]?.cnames, ['real.test']);
});

test('a stopped domain: no query is asked after its signal aborts, and each look-up says why it stopped', async () => {
  const resolver = new ReplayResolver({ 'example.test': { MX: [{ preference: 10, exchange: 'mx.example.test' }] } });
  const signal = AbortSignal.abort({ kind: 'deadline', message: "the domain's deadline passed" });
  const found = await resolveMailHosts('example.test', resolver, BOTH, { signal });
  assert.equal(found.outcome, 'dns-failure');
  assert.deepEqual([found.queries[0]?.rcode, found.queries[0]?.error], ['TIMEOUT', "the domain's deadline passed"]);
  assert.deepEqual(resolver.queries, []);
});
