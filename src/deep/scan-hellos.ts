/**
 * The hellos the deep scans send, made one way so that alike hellos are alike to the byte of
 * their options (rememberAnswers then asks the server once): the suites each version may
 * carry, in lists a hello can take, and a hello
 * that gives a TLS ≤1.2 server what it needs to pick ECDHE (supported_groups, ec_point_formats,
 * signature_algorithms) and tells the deep facts (DEFLATE and null compression offered,
 * renegotiation_info, extended_master_secret).
 */
import type { DeepProtocol } from '../model/deep.js';
import { COMPRESSION, MAX_HELLO_SUITES, WIRE_VERSION, wireOf, type ClientHelloOptions } from '../tls/wire/client-hello.js';
import { SCAN_SUITES, TLS13_SCAN_SUITES, type ScanSuite } from './scan-suites.js';

/**
 * Every suite the scans offer with `protocol`, in offering order: TLS 1.3 its five, TLS 1.2
 * the whole table, older versions the suites defined before TLS 1.2.
 *
 * @example suitesFor('TLSv1').some((s) => s.name.includes('GCM')) // false
 */
export function suitesFor(protocol: DeepProtocol): readonly ScanSuite[] {
  const wire = wireOf(protocol);
  if (wire === WIRE_VERSION.tls13) return TLS13_SCAN_SUITES;
  if (wire === WIRE_VERSION.tls12) return SCAN_SUITES;
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
