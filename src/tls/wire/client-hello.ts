/**
 * A hand-built ClientHello (RFC 5246 §7.4.1.2; TLS 1.3 RFC 8446 §4.1.2; SSLv3 RFC 6101 §5.6.1.2)
 * in its record: what the deep scans (`--deep`) send on a plain socket after STARTTLS to learn
 * which versions, suites and groups a server accepts, including those node:tls cannot offer
 * (RC4, 3DES, EXPORT, NULL, anonymous). Only the hello: no key is ever used, no handshake is
 * finished. TLS 1.3 is offered through supported_versions (RFC 8446 §4.2.1) with a real key
 * share made by node:crypto, or an empty one so the server names its group in a
 * HelloRetryRequest (§4.2.8: "clients MAY send an empty client_shares vector").
 */
import { createECDH, generateKeyPairSync, randomBytes } from 'node:crypto';
import { ipFamily } from '../../input/ip-family.js';
import { namedGroup, namedGroupCode, namedGroupName } from '../../model/named-groups.js';
import { WIRE_VERSION } from '../../model/wire-versions.js';

/** A protocol version a hello may offer: a wire number of model/tls-protocols.ts. @example const v: WireVersion = WIRE_VERSION.tls12; */
export type WireVersion = (typeof WIRE_VERSION)[keyof typeof WIRE_VERSION];

/** Extension types (IANA "TLS ExtensionType Values"). @example EXTENSION.renegotiationInfo === 0xff01 */
export const EXTENSION = {
  serverName: 0, // RFC 6066 §3
  supportedGroups: 10, // RFC 8422 §5.1.1, RFC 8446 §4.2.7
  ecPointFormats: 11, // RFC 8422 §5.1.2
  signatureAlgorithms: 13, // RFC 5246 §7.4.1.4.1, RFC 8446 §4.2.3
  padding: 21, // RFC 7685
  extendedMasterSecret: 23, // RFC 7627
  sessionTicket: 35, // RFC 5077 (never sent: no ticket is wanted)
  supportedVersions: 43, // RFC 8446 §4.2.1
  keyShare: 51, // RFC 8446 §4.2.8
  renegotiationInfo: 0xff01, // RFC 5746 §3.2
} as const;

/** TLS_EMPTY_RENEGOTIATION_INFO_SCSV (RFC 5746 §3.3): the signal where a hello carries no extension (SSLv3). @example suites.includes(RENEGOTIATION_SCSV) */
export const RENEGOTIATION_SCSV = 0x00ff;

/**
 * What a hello offers by default: the groups (current ones first, then older curves a TLS 1.2
 * server may still use), and every signature scheme a server may sign with (RFC 8446 §4.2.3;
 * TLS 1.2 SHA-1, SHA-224 and DSA pairs too, so an old server finds its own).
 *
 * @example buildClientHello({ version: WIRE_VERSION.tls12, cipherSuites: [0xc02f], serverName: null, groups: DEFAULT_GROUPS })
 */
export const DEFAULT_GROUPS: readonly number[] = ['x25519', 'secp256r1', 'secp384r1', 'secp521r1', 'x448', 'brainpoolP256r1', 'brainpoolP384r1', 'brainpoolP512r1', 'secp256k1', 'secp224r1', 'secp192r1'].map(namedGroupCode);
/** @example DEFAULT_SIGNATURE_ALGORITHMS.includes(0x0804) // rsa_pss_rsae_sha256 */
export const DEFAULT_SIGNATURE_ALGORITHMS: readonly number[] = [
  0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0804, 0x0805, 0x0806, 0x0809, 0x080a, 0x080b, 0x0401, 0x0501, 0x0601,
  0x0303, 0x0301, 0x0302, 0x0203, 0x0201, 0x0202, 0x0402, 0x0502, 0x0602,
];

/** Compression methods (RFC 3749): null, and DEFLATE (offered to see whether a server picks it: CRIME). @example COMPRESSION.deflate === 1 */
export const COMPRESSION = { null: 0, deflate: 1 } as const;

/** At most this many suites in one hello: some servers fail larger lists (testssl.sh sends ≤ 128 per hello). @example suites.length <= MAX_HELLO_SUITES */
export const MAX_HELLO_SUITES = 128;

/**
 * What one hello offers. Defaults: the groups and schemes above, a key share for the first
 * group a share can be made for (TLS 1.3), ec_point_formats, renegotiation_info (the SCSV for
 * SSLv3, which carries no extension), extended_master_secret, compression null only.
 *
 * @example const hello: ClientHelloOptions = { version: WIRE_VERSION.tls10, cipherSuites: [0x000a], serverName: 'mx.example.com' };
 */
export interface ClientHelloOptions {
  /** The one version offered: client_version up to TLS 1.2; TLS 1.3 alone in supported_versions. */
  version: WireVersion;
  /** Cipher suite code points, in order of preference; 1 to MAX_HELLO_SUITES. */
  cipherSuites: readonly number[];
  /** SNI (RFC 6066 §3): a host name; an IP literal or null sends none. Undefined: the exchanger fills it in. */
  serverName?: string | null;
  groups?: readonly number[];
  /** TLS 1.3: the groups to send a key share for ([] : an empty key_share, asking for a HelloRetryRequest). Default: the first group of `groups` a share can be made for. */
  keyShares?: readonly number[];
  signatureAlgorithms?: readonly number[];
  ecPointFormats?: boolean;
  renegotiation?: 'extension' | 'scsv' | 'none';
  extendedMasterSecret?: boolean;
  compression?: readonly number[];
}

/**
 * How node:crypto makes a key share for a group, by the group's IANA name (model/named-groups.ts):
 * X25519 and X448 as raw keys, the NIST curves by OpenSSL's curve name.
 */
const SHARE_MAKERS: Readonly<Record<string, { readonly keyType: 'x25519' | 'x448'; readonly rawLength: number } | { readonly curve: string }>> = {
  x25519: { keyType: 'x25519', rawLength: 32 },
  x448: { keyType: 'x448', rawLength: 56 },
  secp256r1: { curve: 'prime256v1' },
  secp384r1: { curve: 'secp384r1' },
  secp521r1: { curve: 'secp521r1' },
};

/** The groups node:crypto can make a key share for (RFC 8446 §4.2.8.2: X25519/X448 raw, NIST curves uncompressed). @example SHAREABLE_GROUPS.has(0x001d) // x25519 */
export const SHAREABLE_GROUPS: ReadonlySet<number> = new Set(Object.keys(SHARE_MAKERS).map(namedGroupCode));

/**
 * A fresh public key share for `group`: X25519/X448 the raw 32/56 bytes, the NIST curves an
 * uncompressed point (RFC 8446 §4.2.8.2). The private half is dropped: no handshake is finished.
 *
 * @example keyShare(0x001d).length // 32 (x25519)
 */
export function keyShare(group: number): Buffer {
  const maker = SHARE_MAKERS[namedGroup(group)?.name ?? ''];
  if (maker === undefined) throw new RangeError(`no key share can be made for group ${namedGroupName(group)}`);
  if ('curve' in maker) return createECDH(maker.curve).generateKeys();
  const { publicKey } = maker.keyType === 'x25519' ? generateKeyPairSync('x25519') : generateKeyPairSync('x448');
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  return spki.subarray(spki.length - maker.rawLength);
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

/** A vector with a 1- or 2-byte length prefix (RFC 8446 §3.4). */
function vector(lengthBytes: 1 | 2, body: Buffer): Buffer {
  return Buffer.concat([lengthBytes === 1 ? Buffer.from([body.length]) : u16(body.length), body]);
}

function list16(values: readonly number[]): Buffer {
  return Buffer.concat(values.map(u16));
}

function extension(type: number, data: Buffer): Buffer {
  return Buffer.concat([u16(type), vector(2, data)]);
}

/**
 * The hello, as the record to write (one record: it stays far below 2^14 bytes). Throws a
 * RangeError for options no server should be sent: no suite, more than MAX_HELLO_SUITES, a
 * version outside SSLv3…TLS 1.3.
 *
 * @example socket.write(buildClientHello({ version: WIRE_VERSION.tls12, cipherSuites: [0xc02f, 0x000a], serverName: 'mx.example.com' }));
 */
export function buildClientHello(options: ClientHelloOptions): Buffer {
  const { version, cipherSuites } = options;
  if (version < WIRE_VERSION.ssl3 || version > WIRE_VERSION.tls13) throw new RangeError(`unknown version 0x${Number(version).toString(16)}`);
  if (cipherSuites.length === 0 || cipherSuites.length > MAX_HELLO_SUITES) throw new RangeError(`a hello carries 1 to ${MAX_HELLO_SUITES} suites, not ${cipherSuites.length}`);
  const tls13 = version === WIRE_VERSION.tls13;
  const ssl3 = version === WIRE_VERSION.ssl3;
  const renegotiation = options.renegotiation ?? (ssl3 ? 'scsv' : 'extension');
  const groups = options.groups ?? DEFAULT_GROUPS;
  const suites = renegotiation === 'scsv' ? [...cipherSuites, RENEGOTIATION_SCSV] : [...cipherSuites];

  const extensions: Buffer[] = [];
  const sni = options.serverName ?? null;
  // RFC 6066 §3: "Literal IPv4 and IPv6 addresses are not permitted in HostName".
  if (sni !== null && sni !== '' && ipFamily(sni) === 0 && !ssl3) {
    const name = Buffer.from(sni, 'ascii');
    extensions.push(extension(EXTENSION.serverName, vector(2, Buffer.concat([Buffer.from([0]), vector(2, name)]))));
  }
  if (!ssl3) {
    if (groups.length > 0) extensions.push(extension(EXTENSION.supportedGroups, vector(2, list16(groups))));
    if (options.ecPointFormats ?? true) extensions.push(extension(EXTENSION.ecPointFormats, vector(1, Buffer.from([0])))); // uncompressed
    // RFC 5246 §7.4.1.4.1: signature_algorithms is a TLS 1.2 extension; older servers may choke on it.
    if (version >= WIRE_VERSION.tls12) extensions.push(extension(EXTENSION.signatureAlgorithms, vector(2, list16(options.signatureAlgorithms ?? DEFAULT_SIGNATURE_ALGORITHMS))));
    if (renegotiation === 'extension' && !tls13) extensions.push(extension(EXTENSION.renegotiationInfo, vector(1, Buffer.alloc(0))));
    if ((options.extendedMasterSecret ?? true) && !tls13) extensions.push(extension(EXTENSION.extendedMasterSecret, Buffer.alloc(0)));
  }
  if (tls13) {
    const sharing = options.keyShares ?? groups.filter((g) => SHAREABLE_GROUPS.has(g)).slice(0, 1);
    const shares = sharing.map((g) => Buffer.concat([u16(g), vector(2, keyShare(g))]));
    extensions.push(extension(EXTENSION.keyShare, vector(2, Buffer.concat(shares))));
    extensions.push(extension(EXTENSION.supportedVersions, vector(1, u16(WIRE_VERSION.tls13))));
  }

  const head = Buffer.concat([
    u16(tls13 ? WIRE_VERSION.tls12 : version), // legacy_version (RFC 8446 §4.1.2)
    randomBytes(32),
    // TLS 1.3: a non-empty legacy_session_id, as middlebox compatibility mode sends (RFC 8446 §D.4).
    vector(1, tls13 ? randomBytes(32) : Buffer.alloc(0)),
    vector(2, list16(suites)),
    vector(1, Buffer.from(options.compression ?? [COMPRESSION.null])),
  ]);
  let extensionBytes = Buffer.concat(extensions);
  // RFC 7685 §4: some servers hang on a ClientHello of 256 to 511 bytes (record header
  // excluded, 4-byte handshake header included); a padding extension lifts it to 512.
  const length = 4 + head.length + (ssl3 ? 0 : 2 + extensionBytes.length);
  if (!ssl3 && length >= 256 && length < 512) {
    const pad = Math.max(0, 512 - length - 4);
    extensionBytes = Buffer.concat([extensionBytes, extension(EXTENSION.padding, Buffer.alloc(pad))]);
  }
  const body = ssl3 && extensionBytes.length === 0 ? head : Buffer.concat([head, vector(2, extensionBytes)]);
  const handshake = Buffer.concat([Buffer.from([1, body.length >> 16, (body.length >> 8) & 0xff, body.length & 0xff]), body]);
  // The record's version: 3.0 for SSLv3, else 3.1, as OpenSSL writes it (RFC 8446 §5.1: legacy_record_version 0x0301).
  return Buffer.concat([Buffer.from([22]), u16(ssl3 ? WIRE_VERSION.ssl3 : WIRE_VERSION.tls10), u16(handshake.length), handshake]);
}

/**
 * A fatal alert record (RFC 8446 §6): what the scans send after reading the answer, before
 * closing, so the server logs a refusal rather than a lost connection.
 *
 * @example socket.write(alertRecord(40, WIRE_VERSION.tls12)); // handshake_failure
 */
export function alertRecord(description: number, recordVersion: number): Buffer {
  return Buffer.concat([Buffer.from([21]), u16(recordVersion), u16(2), Buffer.from([2, description])]);
}
