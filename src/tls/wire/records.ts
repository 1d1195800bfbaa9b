/**
 * The TLS record layer as the server sends it (RFC 5246 §6.2, RFC 8446 §5.1): a 5-byte header
 * (content type, legacy version, length) and a fragment; and the names of alerts (RFC 8446
 * §6). Reads records off the bytes received, in order, checking every length against what
 * is there and against the protocol's maximum.
 */
import { wireError } from './byte-reader.js';

/** Record content types (RFC 8446 §5.1). @example record.type === CONTENT_TYPE.handshake */
export const CONTENT_TYPE = { changeCipherSpec: 20, alert: 21, handshake: 22, applicationData: 23 } as const;

/** Largest record fragment: TLSCiphertext may exceed 2^14 by 2048 (TLS ≤1.2) or 256 (TLS 1.3). @example fragment.length <= MAX_FRAGMENT */
export const MAX_FRAGMENT = 16384 + 2048;

/** One record as received. @example for (const record of readRecords(bytes, 64)) console.log(record.index, record.type) */
export interface TlsRecord {
  /** Its place among the records read, from 1 (for messages: "record 3: …"). */
  index: number;
  /** Offset of its header in the bytes read. */
  offset: number;
  type: number;
  /** The 5-byte header (TLS 1.3's additional data, RFC 8446 §5.2). */
  header: Buffer;
  fragment: Buffer;
}

/**
 * The records of `bytes`, in order, lazily. Throws a WireError at the first that is not a
 * TLS record (its major version is not 3), is longer than MAX_FRAGMENT or is cut short, or
 * when there are more than `maxRecords`.
 *
 * @example for (const record of readRecords(tap.received(), 64)) if (record.type === CONTENT_TYPE.alert) break;
 */
export function* readRecords(bytes: Buffer, maxRecords: number): Generator<TlsRecord, void, undefined> {
  let offset = 0;
  let index = 0;
  while (offset < bytes.length) {
    if (++index > maxRecords) wireError(`more than ${maxRecords} records`);
    const at = offset;
    if (bytes.length - at < 5) wireError(`record ${index}: truncated header (received data ends)`);
    const header = bytes.subarray(at, at + 5);
    const versionMajor = header.readUInt8(1);
    const length = header.readUInt16BE(3);
    if (versionMajor !== 3) wireError(`record ${index} at byte ${at}: not a TLS record (version byte ${versionMajor})`);
    if (length > MAX_FRAGMENT) wireError(`record ${index}: length ${length} exceeds the TLS maximum`);
    if (bytes.length - at - 5 < length) wireError(`record ${index}: truncated (received data ends)`);
    offset = at + 5 + length;
    yield { index, offset: at, type: header.readUInt8(0), header, fragment: bytes.subarray(at + 5, offset) };
  }
}

const ALERT_NAMES: Record<number, string> = {
  0: 'close_notify',
  10: 'unexpected_message',
  20: 'bad_record_mac',
  22: 'record_overflow',
  40: 'handshake_failure',
  42: 'bad_certificate',
  47: 'illegal_parameter',
  50: 'decode_error',
  51: 'decrypt_error',
  70: 'protocol_version',
  71: 'insufficient_security',
  80: 'internal_error',
  86: 'inappropriate_fallback',
  109: 'missing_extension',
  110: 'unsupported_extension',
  112: 'unrecognized_name',
  116: 'certificate_required',
  120: 'no_application_protocol',
};

/** An alert's name (RFC 8446 §6), or "alert N". @example alertName(40) // 'handshake_failure' */
export function alertName(description: number): string {
  return ALERT_NAMES[description] ?? `alert ${description}`;
}
