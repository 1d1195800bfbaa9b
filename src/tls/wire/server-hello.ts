/**
 * The ServerHello (RFC 8446 §4.1.3; RFC 5246 §7.4.1.3): the version and cipher suite the
 * server chose, TLS 1.3's supported_versions (§4.2.1) and the HelloRetryRequest (§4.1.4),
 * read strictly. What a hand-built ClientHello gets back is read with this too.
 */
import { WIRE_VERSION } from '../../model/wire-versions.js';
import { ByteReader, wireError } from './byte-reader.js';

/** The supported_versions extension (RFC 8446 §4.2.1). */
const EXT_SUPPORTED_VERSIONS = 43;

/** ServerHello.random of a HelloRetryRequest (RFC 8446 §4.1.3): SHA-256("HelloRetryRequest"). */
const HRR_RANDOM = Buffer.from('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c', 'hex');

/** A ServerHello as read. @example parseServerHello(body).cipherSuite // 0x1302 */
export interface ServerHello {
  /** legacy_version: 0x0303 for TLS 1.2 and 1.3 alike. */
  legacyVersion: number;
  /** The negotiated version: supported_versions' when present (TLS 1.3), else legacyVersion. */
  version: number;
  random: Buffer;
  sessionId: Buffer;
  cipherSuite: number;
  compressionMethod: number;
  /** The extensions in order, as sent. */
  extensions: Array<{ type: number; data: Buffer }>;
  /** A HelloRetryRequest (RFC 8446 §4.1.4): the real ServerHello follows. */
  helloRetryRequest: boolean;
}

/**
 * Reads a ServerHello's body; throws a WireError when it is malformed, claims an unknown
 * version, or claims TLS 1.3 in legacy_version.
 *
 * @example parseServerHello(message.body).version === WIRE_VERSION.tls13
 */
export function parseServerHello(body: Buffer): ServerHello {
  const r = new ByteReader(body, 'ServerHello');
  const legacyVersion = r.u16();
  const random = r.bytes(32);
  const sessionId = r.vector(1); // legacy_session_id_echo
  const cipherSuite = r.u16();
  const compressionMethod = r.u8();
  const extensions: ServerHello['extensions'] = [];
  let version = legacyVersion;
  if (r.left > 0) {
    const list = new ByteReader(r.vector(2), 'ServerHello extensions');
    r.end();
    while (list.left > 0) {
      const type = list.u16();
      const data = list.vector(2);
      extensions.push({ type, data });
      if (type === EXT_SUPPORTED_VERSIONS) {
        const sv = new ByteReader(data, 'supported_versions');
        version = sv.u16();
        sv.end();
      }
    }
  }
  if (version > WIRE_VERSION.tls13 || version < WIRE_VERSION.ssl3) wireError(`ServerHello with unknown version 0x${version.toString(16)}`);
  if (version !== WIRE_VERSION.tls13 && legacyVersion > WIRE_VERSION.tls12) wireError('ServerHello claims TLS 1.3 without supported_versions');
  return { legacyVersion, version, random, sessionId, cipherSuite, compressionMethod, extensions, helloRetryRequest: random.equals(HRR_RANDOM) };
}
