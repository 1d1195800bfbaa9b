/**
 * The IANA special-purpose address registries (RFC 6890 and later entries) as one table:
 * which addresses a sender on the internet cannot or will not use as a mail server's
 * address (loopback, private-use, link-local, documentation, …), with each range's name.
 * An MX host that resolves into such a range is not probed unless the user asks for it
 * (--allow-special-addresses): a hostile DNS answer must not make mxprobe connect to the
 * machine's own or its network's internal services.
 *
 * Sources: IANA IPv4 Special-Purpose Address Registry and IANA IPv6 Special-Purpose Address
 * Registry (the "Globally Reachable" column; "N/A" counts as not reachable), plus IPv4
 * multicast 224.0.0.0/4 (RFC 5771), IPv6 multicast ff00::/8 (RFC 4291 §2.7) and every IPv6
 * address outside 2000::/3, the only block IANA allocates for global unicast. IPv4-mapped
 * (::ffff:0:0/96) and NAT64 (64:ff9b::/96, RFC 6052) addresses are judged by the IPv4
 * address they carry, since that is where a connection to them goes.
 */

/** One row of the registries. @example specialPurpose('10.0.0.1') // { block: '10.0.0.0/8', name: 'private-use', rfc: 'RFC 1918', globallyReachable: false } */
export interface SpecialRange {
  /** The registry's block, e.g. "127.0.0.0/8". */
  block: string;
  /** Its name, lower case with hyphens, e.g. "loopback", "private-use". */
  name: string;
  /** Where it is defined, e.g. "RFC 1122 §3.2.1.3". */
  rfc: string;
  /** The registry's "Globally Reachable" column ("N/A" counted as false). */
  globallyReachable: boolean;
}

type Entry = [block: string, name: string, rfc: string, globallyReachable: boolean];

/** IANA IPv4 Special-Purpose Address Registry, and multicast. */
const IPV4: readonly Entry[] = [
  ['0.0.0.0/8', 'this-network', 'RFC 791 §3.2', false],
  ['0.0.0.0/32', 'this-host', 'RFC 1122 §3.2.1.3', false],
  ['10.0.0.0/8', 'private-use', 'RFC 1918', false],
  ['100.64.0.0/10', 'shared-address-space', 'RFC 6598', false],
  ['127.0.0.0/8', 'loopback', 'RFC 1122 §3.2.1.3', false],
  ['169.254.0.0/16', 'link-local', 'RFC 3927', false],
  ['172.16.0.0/12', 'private-use', 'RFC 1918', false],
  ['192.0.0.0/24', 'ietf-protocol-assignments', 'RFC 6890 §2.1', false],
  ['192.0.0.0/29', 'ipv4-service-continuity', 'RFC 7335', false],
  ['192.0.0.8/32', 'ipv4-dummy', 'RFC 7600', false],
  ['192.0.0.9/32', 'pcp-anycast', 'RFC 7723', true],
  ['192.0.0.10/32', 'turn-anycast', 'RFC 8155', true],
  ['192.0.0.170/32', 'nat64-discovery', 'RFC 8880', false],
  ['192.0.0.171/32', 'nat64-discovery', 'RFC 8880', false],
  ['192.0.2.0/24', 'documentation', 'RFC 5737', false],
  ['192.31.196.0/24', 'as112', 'RFC 7535', true],
  ['192.52.193.0/24', 'amt', 'RFC 7450', true],
  ['192.88.99.0/24', '6to4-relay-anycast', 'RFC 7526', false],
  ['192.88.99.2/32', '6a44-relay-anycast', 'RFC 6751', false],
  ['192.168.0.0/16', 'private-use', 'RFC 1918', false],
  ['192.175.48.0/24', 'as112', 'RFC 7534', true],
  ['198.18.0.0/15', 'benchmarking', 'RFC 2544', false],
  ['198.51.100.0/24', 'documentation', 'RFC 5737', false],
  ['203.0.113.0/24', 'documentation', 'RFC 5737', false],
  ['224.0.0.0/4', 'multicast', 'RFC 5771', false],
  ['240.0.0.0/4', 'reserved', 'RFC 1112 §4', false],
  ['255.255.255.255/32', 'limited-broadcast', 'RFC 919 §7', false],
];

/** IANA IPv6 Special-Purpose Address Registry, and multicast. */
const IPV6: readonly Entry[] = [
  ['::/128', 'unspecified', 'RFC 4291', false],
  ['::1/128', 'loopback', 'RFC 4291', false],
  ['::ffff:0:0/96', 'ipv4-mapped', 'RFC 4291', false],
  ['64:ff9b::/96', 'ipv4-ipv6-translation', 'RFC 6052', true],
  ['64:ff9b:1::/48', 'ipv4-ipv6-translation-local', 'RFC 8215', false],
  ['100::/64', 'discard-only', 'RFC 6666', false],
  ['100:0:0:1::/64', 'dummy-prefix', 'RFC 9780', false],
  ['2001::/23', 'ietf-protocol-assignments', 'RFC 2928', false],
  ['2001::/32', 'teredo', 'RFC 4380', false],
  ['2001:1::1/128', 'pcp-anycast', 'RFC 7723', true],
  ['2001:1::2/128', 'turn-anycast', 'RFC 8155', true],
  ['2001:1::3/128', 'dns-sd-srp-anycast', 'RFC 9665', true],
  ['2001:2::/48', 'benchmarking', 'RFC 5180', false],
  ['2001:3::/32', 'amt', 'RFC 7450', true],
  ['2001:4:112::/48', 'as112', 'RFC 7535', true],
  ['2001:10::/28', 'orchid', 'RFC 4843', false],
  ['2001:20::/28', 'orchid-v2', 'RFC 7343', true],
  ['2001:30::/28', 'drone-remote-id', 'RFC 9374', true],
  ['2001:db8::/32', 'documentation', 'RFC 3849', false],
  ['2002::/16', '6to4', 'RFC 3056', false],
  ['2620:4f:8000::/48', 'as112', 'RFC 7534', true],
  ['3fff::/20', 'documentation', 'RFC 9637', false],
  ['5f00::/16', 'srv6-sids', 'RFC 9602', false],
  ['fc00::/7', 'unique-local', 'RFC 4193', false],
  ['fe80::/10', 'link-local', 'RFC 4291', false],
  ['ff00::/8', 'multicast', 'RFC 4291 §2.7', false],
];

/** Every IPv6 address outside this block is not global unicast (IANA IPv6 Address Space). */
const GLOBAL_UNICAST: Entry = ['2000::/3', 'global-unicast', 'RFC 4291 §2.4', true];
const OUTSIDE_GLOBAL_UNICAST: SpecialRange = { block: 'outside 2000::/3', name: 'not-global-unicast', rfc: 'RFC 4291 §2.4', globallyReachable: false };

interface Compiled {
  range: SpecialRange;
  bytes: Uint8Array;
  bits: number;
}

/** @example parseIpv4('192.0.2.1') // Uint8Array [192, 0, 2, 1] */
export function parseIpv4(text: string): Uint8Array | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const bytes = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = parts[i] as string;
    if (!/^(?:0|[1-9]\d{0,2})$/.test(part)) return null;
    const n = Number(part);
    if (n > 255) return null;
    bytes[i] = n;
  }
  return bytes;
}

/** RFC 4291 §2.2 text forms, including "::" and a trailing dotted IPv4; no zone index. @example parseIpv6('::1') */
export function parseIpv6(text: string): Uint8Array | null {
  let s = text.toLowerCase();
  const bytes = new Uint8Array(16);
  let v4: Uint8Array | null = null;
  const lastColon = s.lastIndexOf(':');
  if (lastColon < 0) return null;
  if (s.includes('.', lastColon)) {
    v4 = parseIpv4(s.slice(lastColon + 1));
    if (v4 === null) return null;
    s = `${s.slice(0, lastColon + 1)}0:0`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] === '' ? [] : (halves[0] as string).split(':');
  const tail = halves.length === 2 ? (halves[1] === '' ? [] : (halves[1] as string).split(':')) : [];
  if (halves.length === 1 ? head.length !== 8 : head.length + tail.length > 7) return null;
  const put = (groups: string[], start: number): boolean => {
    for (let i = 0; i < groups.length; i++) {
      const group = groups[i] as string;
      if (!/^[0-9a-f]{1,4}$/.test(group)) return false;
      const n = parseInt(group, 16);
      bytes[(start + i) * 2] = n >> 8;
      bytes[(start + i) * 2 + 1] = n & 0xff;
    }
    return true;
  };
  if (!put(head, 0) || !put(tail, 8 - tail.length)) return null;
  if (v4 !== null) bytes.set(v4, 12);
  return bytes;
}

const rangeOf = ([block, name, rfc, globallyReachable]: Entry): SpecialRange => ({ block, name, rfc, globallyReachable });

function compile(range: SpecialRange): Compiled {
  const [address = '', bits = ''] = range.block.split('/');
  const bytes = address.includes(':') ? parseIpv6(address) : parseIpv4(address);
  if (bytes === null) throw new Error(`special-addresses: bad block ${range.block}`);
  return { range, bytes, bits: Number(bits) };
}

/**
 * Every registry entry, as written above (for tests and documentation).
 *
 * @example SPECIAL_RANGES.ipv4.find((r) => r.name === 'loopback')?.block // '127.0.0.0/8'
 */
export const SPECIAL_RANGES: { ipv4: readonly SpecialRange[]; ipv6: readonly SpecialRange[] } = {
  ipv4: IPV4.map(rangeOf),
  ipv6: IPV6.map(rangeOf),
};

interface Tables {
  /** Most specific first, so that the first match is the registry's answer for an address. */
  v4: Compiled[];
  v6: Compiled[];
  v6Global: Compiled;
  /** The blocks whose addresses carry an IPv4 address in their last 4 bytes. */
  carriers: Compiled[];
}

let tables: Tables | null = null;

/** The registries compiled once, at the first address checked: a run that checks none (--server) never parses them. */
function compiled(): Tables {
  if (tables !== null) return tables;
  const bySpecificity = (a: Compiled, b: Compiled) => b.bits - a.bits;
  const v6 = SPECIAL_RANGES.ipv6.map(compile);
  const named = (name: string) => v6.find((e) => e.range.name === name) as Compiled;
  tables = {
    v4: SPECIAL_RANGES.ipv4.map(compile).sort(bySpecificity),
    v6: [...v6].sort(bySpecificity),
    v6Global: compile(rangeOf(GLOBAL_UNICAST)),
    carriers: [named('ipv4-mapped'), named('ipv4-ipv6-translation')],
  };
  return tables;
}

function within(bytes: Uint8Array, entry: Compiled): boolean {
  const whole = entry.bits >> 3;
  for (let i = 0; i < whole; i++) if (bytes[i] !== entry.bytes[i]) return false;
  const rest = entry.bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((bytes[whole] as number) & mask) === ((entry.bytes[whole] as number) & mask);
}


/**
 * The most specific registry entry holding these address bytes (4 or 16), or null.
 *
 * @example registryEntry(new Uint8Array([192, 0, 2, 1]))?.name // 'documentation'
 */
export function registryEntry(bytes: Uint8Array): SpecialRange | null {
  const table = bytes.length === 4 ? compiled().v4 : compiled().v6;
  for (const entry of table) if (within(bytes, entry)) return entry.range;
  return null;
}

function judgeV4(bytes: Uint8Array): SpecialRange | null {
  const entry = registryEntry(bytes);
  return entry !== null && !entry.globallyReachable ? entry : null;
}

/**
 * The special-purpose range that keeps senders from using `ip` as a mail server's address,
 * or null when the address is globally reachable (or not an IP address at all).
 *
 * @example specialPurpose('127.0.0.1')?.name // 'loopback'
 * @example specialPurpose('::ffff:10.0.0.1')?.name // 'ipv4-mapped private-use'
 * @example specialPurpose('198.51.100.7')?.name // 'documentation'
 * @example specialPurpose('8.8.8.8') // null
 */
export function specialPurpose(ip: string): SpecialRange | null {
  if (!ip.includes(':')) {
    const bytes = parseIpv4(ip);
    return bytes === null ? null : judgeV4(bytes);
  }
  const bytes = parseIpv6(ip);
  if (bytes === null) return null;
  for (const carrier of compiled().carriers) {
    if (!within(bytes, carrier)) continue;
    const inner = judgeV4(bytes.subarray(12));
    if (inner === null) return null;
    return { ...inner, name: `${carrier.range.name} ${inner.name}`, block: `${carrier.range.block} carrying ${inner.block}` };
  }
  const entry = registryEntry(bytes);
  if (entry !== null) return entry.globallyReachable ? null : entry;
  return within(bytes, compiled().v6Global) ? null : OUTSIDE_GLOBAL_UNICAST;
}
