/**
 * A minimal reader of an OCSP response (RFC 6960 §4.2.1), for the stapled response of a TLS
 * handshake (RFC 6066 §8): the response status, and of a basic response the time it was
 * produced and each SingleResponse's certificate serial, status and validity times. The
 * signature is not checked (a staple is information only for mail; Node does not validate it
 * either). Bounded and total on top of der.ts: any input, however malformed, gives a result
 * with the reason, never an exception.
 */
import { children, oidOf, OCTET_STRING, readTlv, SEQUENCE, type Tlv } from './der.js';

/** Most bytes read: a staple is a few KiB; OpenSSL's own limit for a status response is 100 KiB. */
export const MAX_OCSP_RESPONSE_BYTES = 100 * 1024;
/** Most SingleResponses read from one response (a staple holds one). */
const MAX_SINGLE_RESPONSES = 64;

/** id-pkix-ocsp-basic (RFC 6960 §4.2.1). */
const OCSP_BASIC = '1.3.6.1.5.5.7.48.1.1';
const ENUMERATED = 0x0a;
const GENERALIZED_TIME = 0x18;
const INTEGER = 0x02;

/** OCSPResponseStatus (RFC 6960 §4.2.1); 4 is not used. */
const RESPONSE_STATUS: Record<number, string> = {
  0: 'successful',
  1: 'malformedRequest',
  2: 'internalError',
  3: 'tryLater',
  5: 'sigRequired',
  6: 'unauthorized',
};

/**
 * One SingleResponse: which certificate (its serial, upper-case hex without leading zero
 * bytes, as X509Certificate.serialNumber) and what the responder says of it.
 *
 * @example const s: OcspSingleResponse = { serialNumber: '1A2B', status: 'good', revokedAt: null, thisUpdate: '2026-12-01T00:00:00.000Z', nextUpdate: null };
 */
export interface OcspSingleResponse {
  serialNumber: string;
  status: 'good' | 'revoked' | 'unknown';
  /** ISO 8601 revocationTime, for `revoked`. */
  revokedAt: string | null;
  thisUpdate: string;
  nextUpdate: string | null;
}

/**
 * What an OCSP response says: `error` when it cannot be read; else its status, and for a
 * successful basic response producedAt and the SingleResponses.
 *
 * @example const r = parseOcspResponse(staple); if (!('error' in r) && r.status === 'successful') r.responses[0]?.status // 'good'
 */
export type OcspResponse =
  | { error: string }
  | { status: string; producedAt: string | null; responses: OcspSingleResponse[] };

/**
 * Reads an OCSP response (DER). Never throws.
 *
 * @example parseOcspResponse(staple) // { status: 'successful', producedAt: '2026-12-01T10:00:00.000Z', responses: [{ serialNumber: '1A2B', status: 'good', ... }] }
 */
export function parseOcspResponse(der: Buffer): OcspResponse {
  if (der.length > MAX_OCSP_RESPONSE_BYTES) return { error: `the response has ${der.length} bytes, more than ${MAX_OCSP_RESPONSE_BYTES}` };
  try {
    return read(der);
  } catch (err) {
    return { error: err instanceof Malformed ? err.message : `internal error: ${err instanceof Error ? err.message : String(err)}` };
  }
}

class Malformed extends Error {
  override name = 'Malformed';
}

function fail(what: string): never {
  throw new Malformed(`malformed OCSP response: ${what}`);
}

/** The elements of a constructed value with tag `tag`, or a Malformed error naming `what`. */
function parts(der: Buffer, tlv: Tlv | null | undefined, tag: number, what: string): Tlv[] {
  if (tlv === null || tlv === undefined || tlv.tag !== tag) fail(`${what} missing`);
  return children(der, tlv) ?? fail(`${what} does not parse`);
}

function read(der: Buffer): OcspResponse {
  const top = readTlv(der, 0, der.length);
  if (top === null || top.end !== der.length) fail('not one DER value');
  // OCSPResponse ::= SEQUENCE { responseStatus ENUMERATED, responseBytes [0] EXPLICIT ResponseBytes OPTIONAL }
  const [statusTlv, bytesTlv] = parts(der, top, SEQUENCE, 'OCSPResponse');
  if (statusTlv === undefined || statusTlv.tag !== ENUMERATED || statusTlv.end - statusTlv.start !== 1) fail('responseStatus');
  const code = der[statusTlv.start] as number;
  const status = RESPONSE_STATUS[code] ?? `status ${code}`;
  // RFC 6960 §4.2.1: only a successful response carries responseBytes.
  if (code !== 0) return { status, producedAt: null, responses: [] };
  const [explicit] = parts(der, bytesTlv, 0xa0, 'responseBytes');
  const [type, octets] = parts(der, explicit, SEQUENCE, 'ResponseBytes');
  const oid = oidOf(der, type);
  if (oid !== OCSP_BASIC) fail(`responseType ${oid ?? '?'} is not id-pkix-ocsp-basic`);
  if (octets === undefined || octets.tag !== OCTET_STRING) fail('response OCTET STRING');
  // BasicOCSPResponse ::= SEQUENCE { tbsResponseData ResponseData, signatureAlgorithm, signature, certs [0] OPTIONAL }
  const basic = readTlv(der, octets.start, octets.end);
  if (basic === null || basic.end !== octets.end) fail('BasicOCSPResponse');
  const [tbs] = parts(der, basic, SEQUENCE, 'BasicOCSPResponse');
  // ResponseData ::= SEQUENCE { version [0] EXPLICIT DEFAULT v1, responderID [1]|[2], producedAt, responses, responseExtensions [1] OPTIONAL }
  const data = parts(der, tbs, SEQUENCE, 'tbsResponseData');
  let at = data[0]?.tag === 0xa0 ? 1 : 0;
  const responder = data[at];
  if (responder === undefined || (responder.tag !== 0xa1 && responder.tag !== 0xa2)) fail('responderID');
  at += 1;
  const producedAt = generalizedTime(der, data[at]) ?? fail('producedAt');
  const list = parts(der, data[at + 1], SEQUENCE, 'responses');
  if (list.length > MAX_SINGLE_RESPONSES) fail(`more than ${MAX_SINGLE_RESPONSES} SingleResponses`);
  return { status, producedAt, responses: list.map((single) => singleResponse(der, single)) };
}

/**
 * SingleResponse ::= SEQUENCE { certID CertID, certStatus CertStatus, thisUpdate GeneralizedTime,
 * nextUpdate [0] EXPLICIT GeneralizedTime OPTIONAL, singleExtensions [1] OPTIONAL }
 * CertID ::= SEQUENCE { hashAlgorithm, issuerNameHash, issuerKeyHash, serialNumber INTEGER }
 * CertStatus ::= CHOICE { good [0] IMPLICIT NULL, revoked [1] IMPLICIT RevokedInfo, unknown [2] IMPLICIT NULL }
 */
function singleResponse(der: Buffer, tlv: Tlv): OcspSingleResponse {
  const [certId, certStatus, thisUpdateTlv, ...rest] = parts(der, tlv, SEQUENCE, 'SingleResponse');
  const serial = parts(der, certId, SEQUENCE, 'CertID')[3];
  if (serial === undefined || serial.tag !== INTEGER || serial.end === serial.start) fail('CertID serialNumber');
  let revokedAt: string | null = null;
  let status: OcspSingleResponse['status'];
  if (certStatus?.tag === 0x80) status = 'good';
  else if (certStatus?.tag === 0x82) status = 'unknown';
  else if (certStatus?.tag === 0xa1) {
    status = 'revoked';
    // RevokedInfo ::= SEQUENCE { revocationTime GeneralizedTime, revocationReason [0] OPTIONAL }
    revokedAt = generalizedTime(der, children(der, certStatus)?.[0]) ?? fail('revocationTime');
  } else fail('certStatus');
  const thisUpdate = generalizedTime(der, thisUpdateTlv) ?? fail('thisUpdate');
  let nextUpdate: string | null = null;
  const next = rest.find((t) => t.tag === 0xa0);
  if (next !== undefined) nextUpdate = generalizedTime(der, readTlv(der, next.start, next.end)) ?? fail('nextUpdate');
  return { serialNumber: serialHex(der, serial), status, revokedAt, thisUpdate, nextUpdate };
}

/** An INTEGER's bytes as upper-case hex without leading zero bytes (X509Certificate.serialNumber's form, OpenSSL's BN_bn2hex). */
function serialHex(der: Buffer, tlv: Tlv): string {
  return der.toString('hex', tlv.start, tlv.end).toUpperCase().replace(/^(?:00)+(?=..)/, '');
}

/** A GeneralizedTime (X.690 §11.7: YYYYMMDDHHMMSS[.f]Z) as ISO 8601, or null. */
function generalizedTime(der: Buffer, tlv: Tlv | null | undefined): string | null {
  if (tlv === null || tlv === undefined || tlv.tag !== GENERALIZED_TIME || tlv.end - tlv.start > 32) return null;
  const text = der.toString('latin1', tlv.start, tlv.end);
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.(\d{1,9}))?Z$/.exec(text);
  if (m === null) return null;
  const [, y, mo, d, h, mi, s, f] = m;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), f === undefined ? 0 : Math.floor(Number(`0.${f}`) * 1000));
  const date = new Date(ms);
  // Date.UTC rolls over (month 13, second 61): such a time is not one.
  if (Number.isNaN(ms) || date.getUTCMonth() !== Number(mo) - 1 || date.getUTCDate() !== Number(d) || date.getUTCSeconds() !== Number(s) || date.getUTCHours() !== Number(h)) return null;
  return date.toISOString();
}
