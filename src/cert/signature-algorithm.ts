/**
 * Signature algorithms of certificates by the names OpenSSL prints, and which key types can
 * make each. Node's X509Certificate does not expose the algorithm (NODE-FACTS): its OID is read
 * from the DER by certificate-fields.ts and named here.
 */

/** OIDs of signature algorithms seen on mail servers, by the names OpenSSL prints. */
const SIGNATURE_NAMES: Record<string, string> = {
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
  '2.16.840.1.101.3.4.3.1': 'dsa_with_SHA224',
  '2.16.840.1.101.3.4.3.2': 'dsa-with-SHA256',
  '2.16.840.1.101.3.4.3.9': 'ecdsa_with_SHA3-224',
  '2.16.840.1.101.3.4.3.10': 'ecdsa_with_SHA3-256',
  '2.16.840.1.101.3.4.3.11': 'ecdsa_with_SHA3-384',
  '2.16.840.1.101.3.4.3.12': 'ecdsa_with_SHA3-512',
  '2.16.840.1.101.3.4.3.13': 'RSA-SHA3-224',
  '2.16.840.1.101.3.4.3.14': 'RSA-SHA3-256',
  '2.16.840.1.101.3.4.3.15': 'RSA-SHA3-384',
  '2.16.840.1.101.3.4.3.16': 'RSA-SHA3-512',
  '1.3.101.112': 'ED25519',
  '1.3.101.113': 'ED448',
};

/**
 * The key types that can make each signature (OpenSSL's check_sig_alg_match: a candidate
 * issuer whose key cannot have made the subject's signature is not its issuer). Node's
 * `asymmetricKeyType` names.
 */
const SIGNING_KEY_TYPES: Array<[RegExp, readonly string[]]> = [
  [/^rsassaPss$/, ['rsa', 'rsa-pss']],
  [/RSA/, ['rsa']],
  [/^ecdsa/, ['ec']],
  [/^dsa/, ['dsa']],
  [/^ED25519$/, ['ed25519']],
  [/^ED448$/, ['ed448']],
];

/**
 * Can a key of this type have made a signature of this algorithm? False for an algorithm
 * mxprobe does not know, as OpenSSL refuses one it does not know.
 * @example keyCanSign('ec', 'ecdsa-with-SHA256') // true
 */
export function keyCanSign(keyType: string, algorithm: string): boolean {
  const hit = SIGNING_KEY_TYPES.find(([pattern]) => pattern.test(algorithm));
  return hit !== undefined && hit[1].includes(keyType);
}

/** OpenSSL's name of a signature algorithm OID, or the OID itself. @example signatureName('1.2.840.10045.4.3.2') // 'ecdsa-with-SHA256' */
export function signatureName(oid: string): string {
  return SIGNATURE_NAMES[oid] ?? oid;
}
