/**
 * The fields of an X.509 certificate (RFC 5280 §4.1) that path verification needs and Node's
 * X509Certificate does not expose: version, serial, the names as comparison keys, the inner
 * signature algorithm, and the extensions OpenSSL checks (basicConstraints, keyUsage,
 * extendedKeyUsage, Netscape cert type, key identifiers), plus critical extensions OpenSSL
 * does not handle; and the certificate's own signature algorithm. The one reader of X.509's
 * structure (RFC 5280 §4.1), over the generic DER walker of der.ts (node-forge's ASN.1 decoder
 * did this job but cost ~13 ms of start-up and 600 KB of bundle). Bounded and total: an
 * unreadable part is reported absent (and `malformed` set), never thrown.
 */
import { BIT_STRING, BOOLEAN, INTEGER, OCTET_STRING, SEQUENCE, children, nameKey, oidOf, readTlv, smallInteger, type Tlv } from './der.js';
import { signatureName } from './signature-algorithm.js';

export interface BasicConstraints {
  /** cA (RFC 5280 §4.2.1.9). */
  ca: boolean;
  /** pathLenConstraint: most non-self-issued intermediates below this CA; null when absent. */
  pathLength: number | null;
}

export interface AuthorityKeyId {
  /** keyIdentifier, hex; null when absent. */
  keyId: string | null;
  /** The first directoryName of authorityCertIssuer, as a name key (der.ts nameKey). */
  issuerNameKey: string | null;
  /** authorityCertSerialNumber, hex of the INTEGER contents. */
  serial: string | null;
}

export interface CertificateFields {
  /** 1, 2 or 3 (the DER holds version - 1). */
  version: number;
  /** The serial number's INTEGER contents, hex (for authorityKeyIdentifier matching). */
  serial: string;
  /** der.ts name keys: equal exactly when OpenSSL's X509_NAME_cmp finds the names equal. */
  issuerKey: string | null;
  subjectKey: string | null;
  /** The signature algorithm inside tbsCertificate (OpenSSL matches issuers' keys against it). */
  tbsSignatureAlgorithm: string;
  /** The certificate's signatureAlgorithm (what `openssl x509 -text` prints); 'unknown' when unreadable. */
  signatureAlgorithm: string;
  basicConstraints: BasicConstraints | null;
  /** keyUsage bit names (RFC 5280 §4.2.1.3), in bit order; null when absent. */
  keyUsage: string[] | null;
  /** extendedKeyUsage purposes (RFC 5280 §4.2.1.12) by name, or dotted OID; null when absent. */
  extendedKeyUsage: string[] | null;
  /** Netscape certificate type bit names (OpenSSL still honours it); null when absent. */
  netscapeCertType: string[] | null;
  /** subjectKeyIdentifier, hex. */
  subjectKeyId: string | null;
  authorityKeyId: AuthorityKeyId | null;
  /** OIDs of critical extensions OpenSSL does not handle: it refuses such a certificate. */
  unhandledCritical: string[];
  /**
   * Some part could not be read (it is reported absent), or an extension OpenSSL decodes is
   * unreadable or repeated: OpenSSL marks such a certificate invalid (EXFLAG_INVALID) and will
   * neither take it as an issuer nor find one for it.
   */
  malformed: boolean;
}

const KEY_USAGE_BITS = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
] as const;

const NETSCAPE_CERT_TYPE_BITS = ['client', 'server', 'email', 'objsign', 'reserved', 'sslCA', 'emailCA', 'objCA'] as const;

const EKU_NAMES: Record<string, string> = {
  '1.3.6.1.5.5.7.3.1': 'serverAuth',
  '1.3.6.1.5.5.7.3.2': 'clientAuth',
  '1.3.6.1.5.5.7.3.3': 'codeSigning',
  '1.3.6.1.5.5.7.3.4': 'emailProtection',
  '1.3.6.1.5.5.7.3.8': 'timeStamping',
  '1.3.6.1.5.5.7.3.9': 'OCSPSigning',
  '2.5.29.37.0': 'anyExtendedKeyUsage',
  '2.16.840.1.113730.4.1': 'nsSGC',
  '1.3.6.1.4.1.311.10.3.3': 'msSGC',
};

const EXT_BASIC_CONSTRAINTS = '2.5.29.19';
const EXT_KEY_USAGE = '2.5.29.15';
const EXT_EXT_KEY_USAGE = '2.5.29.37';
const EXT_SUBJECT_KEY_ID = '2.5.29.14';
const EXT_AUTHORITY_KEY_ID = '2.5.29.35';
const EXT_NETSCAPE_CERT_TYPE = '2.16.840.1.113730.1.1';
/** Extensions read here, which OpenSSL decodes too (a repeated one makes the certificate invalid). */
const DECODED = new Set([EXT_BASIC_CONSTRAINTS, EXT_KEY_USAGE, EXT_EXT_KEY_USAGE, EXT_SUBJECT_KEY_ID, EXT_AUTHORITY_KEY_ID, EXT_NETSCAPE_CERT_TYPE]);

/**
 * Extensions OpenSSL 3.0 handles, so a critical one does not make it refuse the certificate
 * (X509_supported_extension in crypto/x509/v3_purp.c).
 */
const HANDLED_EXTENSIONS = new Set([
  EXT_NETSCAPE_CERT_TYPE,
  EXT_KEY_USAGE,
  '2.5.29.17', // subjectAltName
  EXT_BASIC_CONSTRAINTS,
  '2.5.29.32', // certificatePolicies
  '2.5.29.31', // cRLDistributionPoints
  EXT_EXT_KEY_USAGE,
  '1.3.6.1.5.5.7.1.7', // sbgp-ipAddrBlock (RFC 3779)
  '1.3.6.1.5.5.7.1.8', // sbgp-autonomousSysNum (RFC 3779)
  '1.3.6.1.5.5.7.48.1.5', // OCSP noCheck
  '2.5.29.36', // policyConstraints
  '1.3.6.1.5.5.7.1.14', // proxyCertInfo
  '2.5.29.30', // nameConstraints
  '2.5.29.33', // policyMappings
  '2.5.29.54', // inhibitAnyPolicy
]);

/** Named bits of a DER BIT STRING (X.690 §8.6: first content byte = unused bits; bit 0 is the MSB). */
function bitNames(der: Buffer, tlv: Tlv, names: readonly string[]): string[] | null {
  if (tlv.tag !== BIT_STRING || tlv.end === tlv.start) return null;
  const unused = der[tlv.start] as number;
  if (unused > 7) return null;
  const out: string[] = [];
  const bits = (tlv.end - tlv.start - 1) * 8 - unused;
  for (let bit = 0; bit < Math.min(bits, names.length); bit++) {
    if ((der[tlv.start + 1 + (bit >> 3)] as number) & (0x80 >> (bit & 7))) out.push(names[bit] as string);
  }
  return out;
}

const hex = (der: Buffer, tlv: Tlv) => der.subarray(tlv.start, tlv.end).toString('hex');

/**
 * The outer frame of a certificate (RFC 5280 §4.1: Certificate ::= SEQUENCE { tbsCertificate,
 * signatureAlgorithm, signatureValue }): the certificate and its tbsCertificate, or null.
 */
function frame(der: Buffer): { cert: Tlv; tbs: Tlv } | null {
  const cert = readTlv(der, 0, der.length);
  if (cert === null || cert.tag !== SEQUENCE) return null;
  const tbs = readTlv(der, cert.start, cert.end);
  return tbs !== null && tbs.tag === SEQUENCE ? { cert, tbs } : null;
}

/** OpenSSL's name of an AlgorithmIdentifier's algorithm (RFC 5280 §4.1.1.2), or 'unknown'. */
function algorithmName(der: Buffer, identifier: Tlv | null | undefined): string {
  if (identifier === null || identifier === undefined || identifier.tag !== SEQUENCE) return 'unknown';
  const oid = oidOf(der, readTlv(der, identifier.start, identifier.end) ?? undefined);
  return oid !== null ? signatureName(oid) : 'unknown';
}

/**
 * The certificate's signature algorithm by OpenSSL's name, or 'unknown'. Never throws.
 * @example signatureAlgorithm(x509.raw) // 'sha256WithRSAEncryption'
 */
export function signatureAlgorithm(der: Buffer): string {
  const outer = frame(der);
  return outer === null ? 'unknown' : algorithmName(der, readTlv(der, outer.tbs.end, outer.cert.end));
}

function readBasicConstraints(der: Buffer, value: Tlv): BasicConstraints | null {
  const bc = readTlv(der, value.start, value.end);
  const parts = bc !== null && bc.tag === SEQUENCE ? children(der, bc) : null;
  if (parts === null) return null;
  let i = 0;
  let ca = false;
  if (parts[i]?.tag === BOOLEAN) ca = (der[parts[i++]!.start] ?? 0) !== 0;
  let pathLength: number | null = null;
  if (parts[i]?.tag === INTEGER) pathLength = smallInteger(der, parts[i++]);
  return i === parts.length ? { ca, pathLength: ca ? pathLength : null } : null;
}

function readAuthorityKeyId(der: Buffer, value: Tlv): AuthorityKeyId | null {
  const akid = readTlv(der, value.start, value.end);
  const parts = akid !== null && akid.tag === SEQUENCE ? children(der, akid) : null;
  if (parts === null) return null;
  const out: AuthorityKeyId = { keyId: null, issuerNameKey: null, serial: null };
  for (const part of parts) {
    if (part.tag === 0x80) out.keyId = hex(der, part);
    else if (part.tag === 0x82) out.serial = hex(der, part);
    else if (part.tag === 0xa1) {
      // GeneralNames; OpenSSL looks at the first directoryName ([4] EXPLICIT Name) only.
      const dirName = (children(der, part) ?? []).find((g) => g.tag === 0xa4);
      const name = dirName !== undefined ? readTlv(der, dirName.start, dirName.end) : null;
      if (name !== null) out.issuerNameKey = nameKey(der, name);
    }
  }
  return out;
}

/**
 * Reads the fields of a DER certificate. Never throws.
 * @example readCertificateFields(x509.raw).basicConstraints // { ca: true, pathLength: 0 }
 */
export function readCertificateFields(der: Buffer): CertificateFields {
  const out: CertificateFields = {
    version: 1,
    serial: '',
    issuerKey: null,
    subjectKey: null,
    tbsSignatureAlgorithm: 'unknown',
    signatureAlgorithm: signatureAlgorithm(der),
    basicConstraints: null,
    keyUsage: null,
    extendedKeyUsage: null,
    netscapeCertType: null,
    subjectKeyId: null,
    authorityKeyId: null,
    unhandledCritical: [],
    malformed: true,
  };
  const outer = frame(der);
  const fields = outer !== null ? children(der, outer.tbs) : null;
  if (fields === null) return out;
  let i = 0;
  if (fields[i]?.tag === 0xa0) {
    const version = readTlv(der, fields[i]!.start, fields[i]!.end);
    const v = version !== null ? smallInteger(der, version) : null;
    if (v === null || v > 2) return out;
    out.version = v + 1;
    i++;
  }
  const [serial, signature, issuer, validity, subject, spki] = fields.slice(i, i + 6);
  if (serial?.tag !== INTEGER || signature?.tag !== SEQUENCE || validity?.tag !== SEQUENCE || spki?.tag !== SEQUENCE) return out;
  out.serial = hex(der, serial);
  out.tbsSignatureAlgorithm = algorithmName(der, signature);
  out.issuerKey = issuer !== undefined ? nameKey(der, issuer) : null;
  out.subjectKey = subject !== undefined ? nameKey(der, subject) : null;
  let malformed = out.issuerKey === null || out.subjectKey === null;

  const extensions = fields.slice(i + 6).find((f) => f.tag === 0xa3);
  const list = extensions !== undefined ? readTlv(der, extensions.start, extensions.end) : null;
  const entries = list !== null && list.tag === SEQUENCE ? children(der, list) : extensions === undefined ? [] : null;
  if (entries === null) return { ...out, malformed: true };
  const seen = new Set<string>();
  for (const entry of entries) {
    const parts = entry.tag === SEQUENCE ? children(der, entry) : null;
    const oid = oidOf(der, parts?.[0]);
    if (parts === null || oid === null || parts.length < 2 || parts.length > 3) {
      malformed = true;
      continue;
    }
    const critical = parts.length === 3 && parts[1]?.tag === BOOLEAN && (der[parts[1].start] ?? 0) !== 0;
    const value = parts[parts.length - 1] as Tlv;
    if (value.tag !== OCTET_STRING) {
      malformed = true;
      continue;
    }
    if (seen.has(oid)) {
      if (DECODED.has(oid)) malformed = true; // OpenSSL's X509_get_ext_d2i finds it twice: invalid
      continue;
    }
    seen.add(oid);
    if (critical && !HANDLED_EXTENSIONS.has(oid)) out.unhandledCritical.push(oid);
    const inner = readTlv(der, value.start, value.end);
    let read: unknown = null;
    if (oid === EXT_BASIC_CONSTRAINTS) read = out.basicConstraints = readBasicConstraints(der, value);
    else if (oid === EXT_KEY_USAGE) read = out.keyUsage = inner !== null ? bitNames(der, inner, KEY_USAGE_BITS) : null;
    else if (oid === EXT_NETSCAPE_CERT_TYPE) read = out.netscapeCertType = inner !== null ? bitNames(der, inner, NETSCAPE_CERT_TYPE_BITS) : null;
    else if (oid === EXT_EXT_KEY_USAGE) {
      const oids = inner !== null && inner.tag === SEQUENCE ? children(der, inner) : null;
      const names = oids?.map((o) => oidOf(der, o));
      read = out.extendedKeyUsage = names !== undefined && !names.includes(null) ? names.map((n) => EKU_NAMES[n as string] ?? (n as string)) : null;
    } else if (oid === EXT_SUBJECT_KEY_ID) read = out.subjectKeyId = inner !== null && inner.tag === OCTET_STRING ? hex(der, inner) : null;
    else if (oid === EXT_AUTHORITY_KEY_ID) read = out.authorityKeyId = readAuthorityKeyId(der, value);
    else read = true;
    if (read === null) malformed = true;
  }
  return { ...out, malformed };
}

/**
 * Only the subject's name key of a DER certificate (der.ts nameKey), or null: what indexing
 * the trust anchors by subject needs, at a fraction of readCertificateFields' cost.
 * @example subjectKeyOf(x509.raw) === readCertificateFields(x509.raw).subjectKey // true
 */
export function subjectKeyOf(der: Buffer): string | null {
  const tbs = frame(der)?.tbs;
  if (tbs === undefined) return null;
  let at = tbs.start;
  let field = readTlv(der, at, tbs.end);
  if (field?.tag === 0xa0) field = readTlv(der, field.end, tbs.end); // version
  // serialNumber, signature, issuer, validity, then subject
  for (let i = 0; i < 4 && field !== null; i++) field = readTlv(der, field.end, tbs.end);
  at = field?.end ?? 0;
  return field !== null && at > 0 ? nameKey(der, field) : null;
}
