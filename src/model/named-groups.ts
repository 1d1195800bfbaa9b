/**
 * The one table of TLS named groups (supported_groups, RFC 8446 §4.2.7; RFC 8422 §5.1.1 for
 * TLS 1.2's elliptic curves, RFC 7919 for the finite-field groups): each group's IANA code point
 * and name, its kind and size. Hand-built ClientHellos offer groups by code point; deep facts
 * name them (GroupScan.accepted), and model/tls-guidelines.ts grades them by that name.
 *
 * Source: the IANA "TLS Supported Groups" registry
 * (https://www.iana.org/assignments/tls-parameters/tls-parameters.xhtml#tls-parameters-8),
 * read 2026-12-02; the hybrid ML-KEM groups from draft-ietf-tls-ecdhe-mlkem. Left out: the
 * arbitrary explicit curves (0xFF01, 0xFF02), which no client should offer, and GOST curves.
 */

/**
 * One named group.
 *
 * @example const x25519: NamedGroup = namedGroup(0x001d)!; // { code: 0x001d, name: 'x25519', kind: 'ecx', bits: 255 }
 */
export interface NamedGroup {
  /** The IANA code point (two bytes). */
  readonly code: number;
  /** The IANA name, e.g. secp256r1, x25519, ffdhe3072, X25519MLKEM768. */
  readonly name: string;
  /** `ec`: a SEC or Brainpool curve (ECDHE); `ecx`: X25519 or X448; `ffdhe`: an RFC 7919 finite-field group; `hybrid`: ECDHE with ML-KEM. */
  readonly kind: 'ec' | 'ecx' | 'ffdhe' | 'hybrid';
  /** Field size in bits (the prime for ffdhe; the classical part for hybrids). */
  readonly bits: number;
}

type Row = [number, string, NamedGroup['kind'], number];

// prettier-ignore
const ROWS: readonly Row[] = [
  [0x0001, 'sect163k1', 'ec', 163], [0x0002, 'sect163r1', 'ec', 163], [0x0003, 'sect163r2', 'ec', 163],
  [0x0004, 'sect193r1', 'ec', 193], [0x0005, 'sect193r2', 'ec', 193], [0x0006, 'sect233k1', 'ec', 233],
  [0x0007, 'sect233r1', 'ec', 233], [0x0008, 'sect239k1', 'ec', 239], [0x0009, 'sect283k1', 'ec', 283],
  [0x000a, 'sect283r1', 'ec', 283], [0x000b, 'sect409k1', 'ec', 409], [0x000c, 'sect409r1', 'ec', 409],
  [0x000d, 'sect571k1', 'ec', 571], [0x000e, 'sect571r1', 'ec', 571], [0x000f, 'secp160k1', 'ec', 160],
  [0x0010, 'secp160r1', 'ec', 160], [0x0011, 'secp160r2', 'ec', 160], [0x0012, 'secp192k1', 'ec', 192],
  [0x0013, 'secp192r1', 'ec', 192], [0x0014, 'secp224k1', 'ec', 224], [0x0015, 'secp224r1', 'ec', 224],
  [0x0016, 'secp256k1', 'ec', 256], [0x0017, 'secp256r1', 'ec', 256], [0x0018, 'secp384r1', 'ec', 384],
  [0x0019, 'secp521r1', 'ec', 521], [0x001a, 'brainpoolP256r1', 'ec', 256], [0x001b, 'brainpoolP384r1', 'ec', 384],
  [0x001c, 'brainpoolP512r1', 'ec', 512], [0x001d, 'x25519', 'ecx', 255], [0x001e, 'x448', 'ecx', 448],
  [0x001f, 'brainpoolP256r1tls13', 'ec', 256], [0x0020, 'brainpoolP384r1tls13', 'ec', 384], [0x0021, 'brainpoolP512r1tls13', 'ec', 512],
  [0x0100, 'ffdhe2048', 'ffdhe', 2048], [0x0101, 'ffdhe3072', 'ffdhe', 3072], [0x0102, 'ffdhe4096', 'ffdhe', 4096],
  [0x0103, 'ffdhe6144', 'ffdhe', 6144], [0x0104, 'ffdhe8192', 'ffdhe', 8192],
  [0x11eb, 'SecP256r1MLKEM768', 'hybrid', 256], [0x11ec, 'X25519MLKEM768', 'hybrid', 255], [0x11ed, 'SecP384r1MLKEM1024', 'hybrid', 384],
];

/**
 * Every group of the table, by code point ascending.
 *
 * @example NAMED_GROUPS.filter((g) => g.kind === 'ffdhe').map((g) => g.name) // ['ffdhe2048', 'ffdhe3072', 'ffdhe4096', 'ffdhe6144', 'ffdhe8192']
 */
export const NAMED_GROUPS: readonly NamedGroup[] = ROWS.map(([code, name, kind, bits]) => Object.freeze({ code, name, kind, bits }));

const BY_CODE: ReadonlyMap<number, NamedGroup> = new Map(NAMED_GROUPS.map((g) => [g.code, g]));
const BY_NAME: ReadonlyMap<string, NamedGroup> = new Map(NAMED_GROUPS.map((g) => [g.name.toLowerCase(), g]));

/**
 * The group of a code point; null when the table does not know it.
 *
 * @example namedGroup(0x0017)?.name // 'secp256r1'
 */
export function namedGroup(code: number): NamedGroup | null {
  return BY_CODE.get(code) ?? null;
}

/**
 * The group of an IANA name, without regard to case; null when unknown (OpenSSL's aliases such as
 * prime256v1 are model/tls-guidelines.ts groupName's).
 *
 * @example namedGroupByName('X25519')?.code // 0x001d
 */
export function namedGroupByName(name: string): NamedGroup | null {
  return name.length > 40 ? null : (BY_NAME.get(name.toLowerCase()) ?? null);
}

/**
 * A group's IANA name, or `0x…` for a code point the table does not know (what a deep scan
 * writes for a group a server chose).
 *
 * @example namedGroupName(0x0017) // 'secp256r1'; namedGroupName(0x7777) // '0x7777'
 */
export function namedGroupName(code: number): string {
  return BY_CODE.get(code)?.name ?? `0x${code.toString(16).padStart(4, '0')}`;
}

/**
 * The code point of a group the table names; a RangeError for a name it does not know (for the
 * lists of groups code offers: a typo there is a bug, not an input).
 *
 * @example namedGroupCode('x25519') // 0x001d
 */
export function namedGroupCode(name: string): number {
  const group = namedGroupByName(name);
  if (group === null) throw new RangeError(`unknown named group ${name}`);
  return group.code;
}

/**
 * The RFC 7919 primes by the SHA-256 of their big-endian bytes (no leading zero), so a DH prime
 * a server sends in its ServerKeyExchange is told to be a named group or one of its own. The
 * hashes were computed from OpenSSL 3.0's built-in groups (`openssl genpkey -genparam -algorithm
 * DH -pkeyopt group:ffdheN`), whose primes are RFC 7919 Appendix A's.
 *
 * @example FFDHE_PRIME_SHA256.get(sha256Hex(p)) // 'ffdhe2048' | undefined
 */
export const FFDHE_PRIME_SHA256: ReadonlyMap<string, string> = new Map([
  ['9cd3b7f336872f46c09428d1bbc19877a4d440512cda8d1c1cf0cd6e33698966', 'ffdhe2048'],
  ['0eaf67db3a839156d5013494a5318a772b5697d270d721f37f092efc69ea5a17', 'ffdhe3072'],
  ['4648414224ac881b3d0dc59b466f96d06a558278776807797ecf1f66ff397b3e', 'ffdhe4096'],
  ['227ac9066b3ddd9e193670cda2388fa884f65ba0cf98b742d1fe77a6687c79c7', 'ffdhe6144'],
  ['770b14efaf6f049929c523113b3fa99a8d11dab1b18af3609590122075d19833', 'ffdhe8192'],
]);
