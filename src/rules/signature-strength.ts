/**
 * Which signatures use a hash too weak to trust (MD2, MD5, SHA-1): for a certificate's
 * signature algorithm (judged by judge/) and for the scheme that signed a TLS 1.0–1.2 key
 * exchange (judged by judge/, and read by probe/ to decide whether a current sender's
 * handshake must be checked). Pure rules over the names gathering records, shared by both.
 */

/**
 * Hash algorithms too weak for certificate signatures (SHA-1 collisions since 2017, MD5
 * since 2008), by the names OpenSSL prints (cert/signature-algorithm.ts).
 *
 * @example isWeakSignature('sha1WithRSAEncryption') // true
 */
export function isWeakSignature(name: string): boolean {
  return /md2|md5|sha1(?!\d)|SHA1$/i.test(name);
}

/**
 * True for a TLS signature scheme (RFC 8446 §4.2.3 names, tls/server-signature.ts) that
 * hashes with MD5 or SHA-1, which OpenSSL 3 refuses for handshake signatures from security
 * level 1 up.
 *
 * @example isLegacySignatureScheme('rsa_pkcs1_sha1') // true
 */
export function isLegacySignatureScheme(scheme: string): boolean {
  return /(?:^|_)(?:md5|sha1)(?:_|$)/.test(scheme);
}
