/**
 * Certificate facts and their judgement: each certificate as decoded, the chain the server
 * sent, the verification path, and the verdict at the judged moment (trust, name, validity).
 * Types only. Field names are a public contract (README "JSON format").
 */

/**
 * One certificate of the chain, as decoded; time-dependent judgements live in CertificateVerdict.
 *
 * @example const dnsNames = (c: CertificateInfo) => c.san.filter((n) => n.startsWith('DNS:')); // ['DNS:mx.example.com']
 */
export interface CertificateInfo {
  /** Distinguished names in one-line form, e.g. "CN=mx.example.com, O=Example". */
  subject: string;
  issuer: string;
  /** Subject common name(s). */
  commonNames: string[];
  /** subjectAltName entries as "DNS:name" / "IP:addr" / other. */
  san: string[];
  /** ISO 8601. */
  notBefore: string;
  notAfter: string;
  /** 'rsa', 'ec', 'ed25519', 'ed448', 'dsa', ... */
  keyType: string;
  /** Key size in bits (RSA modulus, EC curve order size). */
  keyBits: number | null;
  /** Named curve for EC keys (prime256v1, secp384r1, ...). */
  curve: string | null;
  /** e.g. sha256WithRSAEncryption, ecdsa-with-SHA256, ED25519. */
  signatureAlgorithm: string;
  /** Colon-separated upper-case hex. */
  fingerprint256: string;
  serialNumber: string;
  /**
   * Self-signed as OpenSSL decides it (EXFLAG_SS): subject and issuer are the same name, its
   * authority key identifier (if any) names its own key, and its signature algorithm fits its
   * own key. The self-signature itself is not checked, as OpenSSL does not check it either.
   */
  selfSigned: boolean;
  /** Subject and issuer are the same name (OpenSSL's comparison); such a CA does not count towards a pathLenConstraint. */
  selfIssued: boolean;
  /** basicConstraints cA (Node's X509Certificate.ca). */
  isCA: boolean;
  /** This certificate is one of the trust anchors used (Node's roots plus --ca-file). */
  inTrustStore: boolean;
  /** X.509 version: 3, or 1 for old roots without extensions. */
  version: number;
  /** basicConstraints (RFC 5280 §4.2.1.9); null when absent. `pathLength` only on a CA. */
  basicConstraints: { ca: boolean; pathLength: number | null } | null;
  /** keyUsage bit names (RFC 5280 §4.2.1.3), e.g. ["digitalSignature", "keyEncipherment"]; null when absent. */
  keyUsage: string[] | null;
  /** extendedKeyUsage (RFC 5280 §4.2.1.12) by name ("serverAuth", "clientAuth", "anyExtendedKeyUsage") or OID; null when absent. */
  extendedKeyUsage: string[] | null;
  /** The legacy Netscape certificate type bits ("server", "sslCA", ...), which OpenSSL still honours; null when absent. */
  netscapeCertType: string[] | null;
  /** OIDs of critical extensions OpenSSL does not handle (it refuses such a certificate). */
  unhandledCriticalExtensions: string[];
  pem: string;
}

/**
 * A certificate of the verification path, with the check of its link to the next one.
 *
 * @example const endsAtAnchor = (path: PathCertificate[]) => path.at(-1)?.inTrustStore === true;
 */
export interface PathCertificate extends CertificateInfo {
  /**
   * Its signature verifies with the public key of the next certificate of the path. Null where
   * nothing was checked: a self-signed last certificate (OpenSSL does not check that signature
   * either) or a last certificate whose issuer is unknown.
   */
  signatureValid: boolean | null;
}

/**
 * The certificates of one TLS session: the chain as the server sent it, and the verification
 * path built from it.
 *
 * @example const intermediatesSent = (c: CertificateFacts) => (c.chainSource === 'presented' ? c.chain.length - 1 : null);
 */
export interface CertificateFacts {
  /**
   * The certificates exactly as the server sent them, in its order, leaf first (read from
   * the handshake records; for TLS 1.3 decrypted with the session's handshake secret).
   * Falls back to the rebuilt `path` without its store anchor when they cannot be read
   * (`chainSource: 'rebuilt'`).
   */
  chain: CertificateInfo[];
  chainSource: 'presented' | 'rebuilt';
  /**
   * The verification path, built as OpenSSL builds it by default (trusted first): the leaf,
   * then at each step an issuer from the trust store when there is one (`inTrustStore`), else
   * one of the sent certificates; an issuer's name and key identifier must fit, and among
   * several the one valid at `verifiedAt` is taken. It ends at a self-signed certificate or
   * where no issuer is known (a missing intermediate, an unknown root).
   */
  path: PathCertificate[];
  /**
   * OpenSSL's own verdict in the handshake, e.g. UNABLE_TO_VERIFY_LEAF_SIGNATURE (Node's
   * authorizationError: OpenSSL's last error only; "UNSPECIFIED" for codes Node does not
   * name); null when OpenSSL accepted the chain.
   */
  opensslError: string | null;
  /** ISO 8601: when the handshake verified the chain (the moment `opensslError` and the path's choice of issuers refer to). */
  verifiedAt: string;
}

/**
 * The certificate judged at a moment (judgeAddress): trust, name match and validity.
 *
 * @example const authenticated = (c: CertificateVerdict) => c.trusted && c.nameMatch; // what policy (d) needs of the certificate
 */
export interface CertificateVerdict {
  /**
   * The path verified at the judged moment as OpenSSL verifies it (`openssl verify -purpose
   * sslserver` at that time): it ends at a trust anchor, every certificate (the anchor too) is
   * within its validity period, each issuer is a CA allowed to sign certificates, no
   * pathLenConstraint is exceeded, the leaf is fit for a TLS server, every signature verifies,
   * and OpenSSL raised nothing else. Name match, key sizes and hash strength are apart.
   */
  trusted: boolean;
  /** The first OpenSSL error code of that verification (OpenSSL's order), e.g. CERT_HAS_EXPIRED; null when trusted. */
  trustError: string | null;
  /** Every OpenSSL error code of that verification, in OpenSSL's order. */
  trustErrors: string[];
  nameMatch: boolean;
  /** The SAN or CN entry that matched the MX host name. */
  matchedName: string | null;
  expired: boolean;
  notYetValid: boolean;
  /** Whole days until the leaf's notAfter (negative once expired). */
  daysLeft: number;
  /** Days left per chain element, same order as `chain`. */
  chainDaysLeft: number[];
}
