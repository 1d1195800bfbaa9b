/**
 * The signature algorithm of a certificate, which Node's X509Certificate does not expose
 * (NODE-FACTS). Read from the DER with node-forge's generic ASN.1 decoder, which handles
 * every key type (its certificateFromPem does not: it throws on EC keys).
 */
import forge from 'node-forge';

/** OIDs of signature algorithms seen on mail servers, by the names OpenSSL prints. */
const NAMES: Record<string, string> = {
  '1.2.840.113549.1.1.2': 'md2WithRSAEncryption',
  '1.2.840.113549.1.1.4': 'md5WithRSAEncryption',
  '1.2.840.113549.1.1.5': 'sha1WithRSAEncryption',
  '1.2.840.113549.1.1.10': 'rsassaPss',
  '1.2.840.113549.1.1.11': 'sha256WithRSAEncryption',
  '1.2.840.113549.1.1.12': 'sha384WithRSAEncryption',
  '1.2.840.113549.1.1.13': 'sha512WithRSAEncryption',
  '1.2.840.113549.1.1.14': 'sha224WithRSAEncryption',
  '1.2.840.10045.4.1': 'ecdsa-with-SHA1',
  '1.2.840.10045.4.3.1': 'ecdsa-with-SHA224',
  '1.2.840.10045.4.3.2': 'ecdsa-with-SHA256',
  '1.2.840.10045.4.3.3': 'ecdsa-with-SHA384',
  '1.2.840.10045.4.3.4': 'ecdsa-with-SHA512',
  '1.2.840.10040.4.3': 'dsa-with-SHA1',
  '2.16.840.1.101.3.4.3.2': 'dsa-with-SHA256',
  '1.3.101.112': 'ED25519',
  '1.3.101.113': 'ED448',
};

/** Hash algorithms too weak for certificate signatures (SHA-1 collisions since 2017, MD5 since 2008). */
export function isWeakSignature(name: string): boolean {
  return /md2|md5|sha1(?!\d)|SHA1$/i.test(name);
}

/** @example signatureAlgorithm(x509.raw) // 'sha256WithRSAEncryption' */
export function signatureAlgorithm(der: Buffer): string {
  try {
    const cert = forge.asn1.fromDer(forge.util.createBuffer(der.toString('binary')));
    const algorithm = (cert.value as forge.asn1.Asn1[])[1];
    const oidNode = (algorithm?.value as forge.asn1.Asn1[] | undefined)?.[0];
    if (oidNode === undefined || typeof oidNode.value !== 'string') return 'unknown';
    const oid = forge.asn1.derToOid(oidNode.value);
    return NAMES[oid] ?? oid;
  } catch {
    return 'unknown';
  }
}
