/**
 * The hellos the deep scans send, made one way so that alike hellos are alike to the byte of
 * their options (rememberAnswers then asks the server once): the suites each version may
 * carry, in lists a hello can take, and a hello
 * that gives a TLS ≤1.2 server what it needs to pick ECDHE (supported_groups, ec_point_formats,
 * signature_algorithms) and tells the deep facts (DEFLATE and null compression offered,
 * renegotiation_info, extended_master_secret).
 */
import { cipherWeaknesses } from '../model/cipher-classes.js';
import { CIPHER_SUITES, suiteProtocols, type CipherSuite } from '../model/cipher-suites.js';
import type { DeepProtocol } from '../model/deep.js';
import { WIRE_VERSION, wireOf } from '../model/wire-versions.js';
import { COMPRESSION, MAX_HELLO_SUITES, type ClientHelloOptions } from '../tls/wire/client-hello.js';

/**
 * Where a suite goes in a hello, lower first: what a current sender negotiates before what it
 * should not, so that a server picking by the client's order picks what a sender gets, and the
 * first hello of a version split in lists of {@link MAX_HELLO_SUITES} carries the suites that
 * matter most. Forward secrecy (RFC 9325 §4.1), then AEAD (§4.2), then ECDHE before DHE (as
 * OpenSSL's default order has them), and anything model/cipher-classes.ts calls broken (or under
 * 112 bits) last; code point order within a rank.
 */
function offerRank(suite: CipherSuite): number {
  const broken = suite.export || cipherWeaknesses(suite.name, suite.bits).length > 0;
  const forwardSecret = suite.kx === 'ECDHE' || suite.kx === 'DHE' || suite.kx === 'any';
  return (broken ? 8 : 0) + (forwardSecret ? 0 : 4) + (suite.mac === 'AEAD' ? 0 : 2) + (suite.kx === 'DHE' ? 1 : 0);
}

const IN_OFFERING_ORDER: readonly CipherSuite[] = [...CIPHER_SUITES].sort((a, b) => offerRank(a) - offerRank(b) || a.code - b.code);

/**
 * Every suite the scans offer with `protocol`, in offering order: each suite of the one table
 * (model/cipher-suites.ts) that may be negotiated with that version (suiteProtocols): TLS 1.3
 * its five, TLS 1.2 every other one, SSLv3 to TLS 1.1 those defined before TLS 1.2. Nothing
 * else is left out: a suite of another version cannot usefully be offered (a server must not
 * pick it, RFC 5246 §1.2 and §A.5, RFC 8446 §4.1.3, and one that did would not be telling
 * whether it accepts the version), and what no hello can usefully offer at all (PSK and SRP
 * suites, which need a key or password the probe lacks; signalling values; private code points)
 * the table itself leaves out.
 *
 * @example suitesFor('TLSv1').some((s) => s.mac === 'AEAD') // false
 */
export function suitesFor(protocol: DeepProtocol): readonly CipherSuite[] {
  return IN_OFFERING_ORDER.filter((s) => suiteProtocols(s).includes(protocol));
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
