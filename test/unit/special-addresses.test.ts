// The special-purpose address table: every registry range at its boundaries (first and last
// address inside, the neighbours outside), the registry's globally reachable exceptions,
// IPv4 carried in IPv6 (mapped, NAT64), IPv6 outside 2000::/3, and public addresses of each
// family. Containment is computed here independently, with BigInt arithmetic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIpv4, parseIpv6, registryEntry, SPECIAL_RANGES, specialPurpose, type SpecialRange } from '../../src/input/special-addresses.ts';

const toBig = (bytes: Uint8Array) => bytes.reduce((n, b) => (n << 8n) | BigInt(b), 0n);
function fromBig(n: bigint, size: 4 | 16): string {
  const bytes: number[] = [];
  for (let i = 0; i < size; i++) bytes.unshift(Number((n >> BigInt(8 * i)) & 0xffn));
  if (size === 4) return bytes.join('.');
  const groups = [];
  for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] as number) << 8) | (bytes[i + 1] as number)).toString(16));
  return groups.join(':');
}

interface Range {
  range: SpecialRange;
  size: 4 | 16;
  first: bigint;
  last: bigint;
  bits: number;
}

function span(range: SpecialRange): Range {
  const [address = '', bits = ''] = range.block.split('/');
  const size = address.includes(':') ? 16 : 4;
  const bytes = size === 16 ? parseIpv6(address) : parseIpv4(address);
  assert.ok(bytes !== null, range.block);
  const hostBits = BigInt(size * 8 - Number(bits));
  const first = (toBig(bytes) >> hostBits) << hostBits;
  return { range, size, first, last: first + (1n << hostBits) - 1n, bits: Number(bits) };
}

const ALL = [...SPECIAL_RANGES.ipv4, ...SPECIAL_RANGES.ipv6].map(span);

/** The most specific range holding `n`, found by brute force over the table. */
function mostSpecific(n: bigint, size: 4 | 16): Range | undefined {
  return ALL.filter((r) => r.size === size && r.first <= n && n <= r.last).sort((a, b) => b.bits - a.bits)[0];
}

test('the table has the registries’ ranges, the multicast blocks and the registries’ reachable exceptions', () => {
  const blocks = ALL.map((r) => r.range.block);
  for (const block of ['0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12', '192.0.0.0/24', '192.0.2.0/24', '192.168.0.0/16', '198.18.0.0/15', '198.51.100.0/24', '203.0.113.0/24', '224.0.0.0/4', '240.0.0.0/4', '255.255.255.255/32']) {
    assert.ok(blocks.includes(block), block);
  }
  for (const block of ['::/128', '::1/128', '::ffff:0:0/96', '64:ff9b::/96', '100::/64', '2001::/23', '2001:db8::/32', '2002::/16', '3fff::/20', 'fc00::/7', 'fe80::/10', 'ff00::/8']) {
    assert.ok(blocks.includes(block), block);
  }
  for (const block of ['192.0.0.9/32', '192.0.0.10/32', '2001:1::1/128', '2001:3::/32', '2001:20::/28']) {
    assert.equal(ALL.find((r) => r.range.block === block)?.range.globallyReachable, true, block);
  }
  for (const r of ALL) assert.match(r.range.name, /^[a-z0-9-]+$/, `${r.range.block}: a name in lower case with hyphens`);
});

test('every range at its boundaries: first and last address inside, neighbours outside', () => {
  let checked = 0;
  for (const r of ALL) {
    for (const n of [r.first, r.last]) {
      const ip = fromBig(n, r.size);
      const expected = mostSpecific(n, r.size) as Range;
      // The registry entry is the most specific one holding the address.
      assert.equal(registryEntry((r.size === 4 ? parseIpv4(ip) : parseIpv6(ip)) as Uint8Array)?.block, expected.range.block, ip);
      // IPv4 carried in IPv6 is judged by the IPv4 address; everything else by its entry.
      if (expected.range.name === 'ipv4-mapped' || expected.range.name === 'ipv4-ipv6-translation') continue;
      const judged = specialPurpose(ip);
      if (expected.range.globallyReachable) assert.equal(judged, null, `${ip} (${expected.range.block}) is globally reachable`);
      else assert.equal(judged?.block, expected.range.block, `${ip} is in ${expected.range.block}`);
      checked += 1;
    }
    for (const n of [r.first - 1n, r.last + 1n]) {
      const max = r.size === 4 ? (1n << 32n) - 1n : (1n << 128n) - 1n;
      if (n < 0n || n > max) continue;
      const ip = fromBig(n, r.size);
      const outer = mostSpecific(n, r.size);
      assert.notEqual(outer?.range.block, r.range.block, `${ip} is outside ${r.range.block}`);
      const judged = specialPurpose(ip);
      if (judged !== null && outer === undefined) assert.equal(judged.name, 'not-global-unicast', ip);
      checked += 1;
    }
  }
  assert.ok(checked > 150, `${checked} boundary addresses`);
});

test('well-known cases by name', () => {
  const cases: Array<[string, string | null]> = [
    ['127.0.0.1', 'loopback'],
    ['127.255.255.255', 'loopback'],
    ['0.0.0.0', 'this-host'],
    ['0.1.2.3', 'this-network'],
    ['10.0.0.1', 'private-use'],
    ['172.16.0.0', 'private-use'],
    ['172.31.255.255', 'private-use'],
    ['172.15.255.255', null],
    ['172.32.0.0', null],
    ['192.168.1.1', 'private-use'],
    ['100.64.0.1', 'shared-address-space'],
    ['100.63.255.255', null],
    ['169.254.169.254', 'link-local'],
    ['192.0.2.1', 'documentation'],
    ['198.51.100.7', 'documentation'],
    ['203.0.113.9', 'documentation'],
    ['198.18.0.1', 'benchmarking'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.255', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'limited-broadcast'],
    ['192.0.0.9', null],
    ['192.0.0.8', 'ipv4-dummy'],
    ['8.8.8.8', null],
    ['198.51.99.255', null],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['::2', 'not-global-unicast'],
    ['fe80::1', 'link-local'],
    ['febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'link-local'],
    ['fc00::1', 'unique-local'],
    ['fdff:ffff::1', 'unique-local'],
    ['ff02::1', 'multicast'],
    ['2001:db8::25', 'documentation'],
    ['3fff:0fff::1', 'documentation'],
    ['2001::1', 'teredo'],
    ['2002:c000:0204::1', '6to4'],
    ['4000::1', 'not-global-unicast'],
    ['fec0::1', 'not-global-unicast'],
    ['2a00:1450:4001:81b::200e', null],
    ['2001:4860:4860::8888', null],
    ['2001:1::1', null],
  ];
  for (const [ip, name] of cases) assert.equal(specialPurpose(ip)?.name ?? null, name, ip);
});

test('IPv4-mapped and NAT64 addresses are judged by the IPv4 address they carry', () => {
  assert.equal(specialPurpose('::ffff:127.0.0.1')?.name, 'ipv4-mapped loopback');
  assert.equal(specialPurpose('::ffff:7f00:1')?.name, 'ipv4-mapped loopback');
  assert.equal(specialPurpose('::ffff:10.1.2.3')?.name, 'ipv4-mapped private-use');
  assert.equal(specialPurpose('::ffff:0.0.0.0')?.name, 'ipv4-mapped this-host');
  assert.equal(specialPurpose('::ffff:8.8.8.8'), null);
  assert.equal(specialPurpose('64:ff9b::7f00:1')?.name, 'ipv4-ipv6-translation loopback');
  assert.equal(specialPurpose('64:ff9b::192.168.0.1')?.name, 'ipv4-ipv6-translation private-use');
  assert.equal(specialPurpose('64:ff9b::808:808'), null);
  assert.equal(specialPurpose('64:ff9b:1::1')?.name, 'ipv4-ipv6-translation-local');
  assert.match(specialPurpose('::ffff:127.0.0.1')?.block ?? '', /::ffff:0:0\/96 carrying 127\.0\.0\.0\/8/);
});

test('text that is not an address is no special-purpose address (and parses to nothing)', () => {
  for (const text of ['', 'mx.example.com', '1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1::2::3', ':::', '1:2:3:4:5:6:7:8:9', 'g::1', '::1%eth0']) {
    assert.equal(specialPurpose(text), null, text);
  }
  assert.equal(parseIpv6('1:2:3:4:5:6:7:8')?.length, 16);
  assert.equal(parseIpv6('1:2:3:4:5:6:1.2.3.4')?.[15], 4);
  assert.equal(parseIpv6('::1:2:3:4:5:6:7:8'), null);
});
