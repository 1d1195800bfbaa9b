/**
 * OCSP stapling (`--deep`, issue 10): what the server stapled in a handshake that asked for it
 * (status_request, RFC 6066 §8), read by cert/ocsp-response.ts and reduced to the facts of
 * model/deep.ts OcspStaple: stapled or not, the leaf's status and the response's times.
 * Information only for mail (no sender requires a staple); a response that cannot be read is
 * a note, never a throw. The staple is asked for in the handshakes of
 * certificates-by-signature.ts: it opens no connection of its own.
 */
import type { OcspStaple } from '../model/deep.js';
import { parseOcspResponse } from '../cert/ocsp-response.js';

/** The facts when nothing was stapled. @example NOT_STAPLED.stapled // false */
export const NOT_STAPLED: Readonly<OcspStaple> = Object.freeze({ stapled: false, status: null, producedAt: null, thisUpdate: null, nextUpdate: null, note: null });

/**
 * The facts of a stapled response (`response`: TlsSession.ocspResponse) for the leaf whose
 * serial is `leafSerial` (CertificateInfo.serialNumber; null when the leaf is unknown: then a
 * response with one SingleResponse is taken as the leaf's).
 *
 * @example ocspStaple(session.ocspResponse, session.certificate?.chain[0]?.serialNumber ?? null) // { stapled: true, status: 'good', ... }
 */
export function ocspStaple(response: Buffer | null, leafSerial: string | null): OcspStaple {
  if (response === null || response.length === 0) return { ...NOT_STAPLED };
  const stapled = (note: string): OcspStaple => ({ ...NOT_STAPLED, stapled: true, note });
  const parsed = parseOcspResponse(response);
  if ('error' in parsed) return stapled(parsed.error);
  if (parsed.status !== 'successful') return stapled(`the stapled response says ${parsed.status} (RFC 6960 §4.2.1): no status`);
  const serial = leafSerial === null ? null : sameSerial(leafSerial);
  const single =
    serial === null ? (parsed.responses.length === 1 ? parsed.responses[0] : undefined) : parsed.responses.find((r) => sameSerial(r.serialNumber) === serial);
  const times = { producedAt: parsed.producedAt, thisUpdate: single?.thisUpdate ?? null, nextUpdate: single?.nextUpdate ?? null };
  if (single === undefined) {
    const serials = parsed.responses.map((r) => r.serialNumber).join(', ') || 'none';
    return { ...stapled(`the stapled response is not about the leaf certificate (serials in it: ${serials})`), ...times };
  }
  return { stapled: true, status: single.status, ...times, note: single.status === 'revoked' && single.revokedAt !== null ? `revoked at ${single.revokedAt}` : null };
}

/** A serial in one form: upper-case hex, no leading zeros. */
function sameSerial(hex: string): string {
  return hex.toUpperCase().replace(/^0+(?=.)/, '');
}
