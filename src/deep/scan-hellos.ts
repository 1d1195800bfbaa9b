/**
 * The hellos the deep scans send, made one way so that alike hellos are alike to the byte of
 * their options (rememberAnswers then asks the server once): the protocol versions tried and
 * their wire numbers, the suites each version may carry in lists a hello can take, and a hello
 * that gives a TLS ≤1.2 server what it needs to pick ECDHE (supported_groups, ec_point_formats,
 * signature_algorithms) and tells the deep facts (DEFLATE and null compression offered,
 * renegotiation_info, extended_master_secret).
 */
import type { DeepProtocol } from '../model/deep.js';
import { COMPRESSION, MAX_HELLO_SUITES, WIRE_VERSION, type ClientHelloOptions, type WireVersion } from '../tls/wire/client-hello.js';
import { SCAN_SUITES, TLS13_SCAN_SUITES, type ScanSuite } from './scan-suites.js';

/**
 * The versions tried, oldest first, with their wire numbers.
 *
 * @example DEEP_PROTOCOLS.map((p) => p.name) // ['SSLv3', 'TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3']
 */
export const DEEP_PROTOCOLS: ReadonlyArray<{ readonly name: DeepProtocol; readonly wire: WireVersion }> = [
  { name: 'SSLv3', wire: WIRE_VERSION.ssl3 },
  { name: 'TLSv1', wire: WIRE_VERSION.tls10 },
  { name: 'TLSv1.1', wire: WIRE_VERSION.tls11 },
  { name: 'TLSv1.2', wire: WIRE_VERSION.tls12 },
  { name: 'TLSv1.3', wire: WIRE_VERSION.tls13 },
];

/**
 * The protocol of a wire version, or null for one the scans do not try.
 *
 * @example protocolOf(0x0303) // 'TLSv1.2'
 */
export function protocolOf(wire: number): DeepProtocol | null {
  return DEEP_PROTOCOLS.find((p) => p.wire === wire)?.name ?? null;
}

/**
 * The wire version of a protocol.
 *
 * @example wireOf('TLSv1') // 0x0301
 */
export function wireOf(protocol: DeepProtocol): WireVersion {
  const row = DEEP_PROTOCOLS.find((p) => p.name === protocol);
  if (row === undefined) throw new RangeError(`unknown protocol ${protocol}`);
  return row.wire;
}

/**
 * Every suite the scans offer with `protocol`, in offering order: TLS 1.3 its five, TLS 1.2
 * the whole table, older versions the suites defined before TLS 1.2.
 *
 * @example suitesFor('TLSv1').some((s) => s.name.includes('GCM')) // false
 */
export function suitesFor(protocol: DeepProtocol): readonly ScanSuite[] {
  if (protocol === 'TLSv1.3') return TLS13_SCAN_SUITES;
  if (protocol === 'TLSv1.2') return SCAN_SUITES;
  return SCAN_SUITES.filter((s) => s.since === 10);
}

/**
 * `codes` cut into lists of at most `size` (a hello's limit), in order.
 *
 * @example helloLists([1, 2, 3], 2) // [[1, 2], [3]]
 */
export function helloLists(codes: readonly number[], size = MAX_HELLO_SUITES): number[][] {
  const lists: number[][] = [];
  for (let i = 0; i < codes.length; i += size) lists.push(codes.slice(i, i + size));
  return lists;
}

/**
 * The scans' hello for `protocol` offering `suites`; `extra` changes the groups or key shares
 * (the group scan). TLS ≤1.2 hellos offer DEFLATE then null compression (RFC 3749), so the
 * answer tells whether the server compresses.
 *
 * @example helloFor('TLSv1.2', [0xc02f, 0x000a])
 */
export function helloFor(protocol: DeepProtocol, suites: readonly number[], extra: Pick<ClientHelloOptions, 'groups' | 'keyShares'> = {}): ClientHelloOptions {
  const version = wireOf(protocol);
  const hello: ClientHelloOptions = { version, cipherSuites: [...suites], ...extra };
  if (version !== WIRE_VERSION.tls13) hello.compression = [COMPRESSION.deflate, COMPRESSION.null];
  return hello;
}
