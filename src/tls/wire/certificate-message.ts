/**
 * The Certificate handshake message: TLS ≤1.2 (RFC 5246 §7.4.2) a list of DER certificates;
 * TLS 1.3 (RFC 8446 §4.4.2) a request context, then each certificate with its extensions.
 */
import { ByteReader, wireError } from './byte-reader.js';

/**
 * The DER certificates of a Certificate message body, in the order sent (copies: the result
 * does not pin the bytes read). Throws a WireError when it is malformed, holds an empty
 * certificate or more than `maxCertificates`.
 *
 * @example parseCertificateMessage(event.body, true, 64) // [leafDer, intermediateDer]
 */
export function parseCertificateMessage(body: Buffer, tls13: boolean, maxCertificates: number): Buffer[] {
  const r = new ByteReader(body, 'Certificate message');
  if (tls13) r.vector(1); // certificate_request_context (empty from a server)
  const list = new ByteReader(r.vector(3), 'certificate list');
  r.end();
  const certificates: Buffer[] = [];
  while (list.left > 0) {
    if (certificates.length >= maxCertificates) wireError(`more than ${maxCertificates} certificates`);
    const der = list.vector(3);
    if (der.length === 0) wireError(`certificate ${certificates.length + 1}: empty`);
    if (tls13) list.vector(2); // per-certificate extensions (OCSP, SCT): not needed here
    certificates.push(Buffer.from(der));
  }
  return certificates;
}
