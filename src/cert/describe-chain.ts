/**
 * Decodes certificates into CertificateInfo facts with Node's X509Certificate (RSA, EC and
 * Ed25519 alike), plus what it does not expose (signature algorithm, extensions) from the DER.
 */
import { X509Certificate } from 'node:crypto';
import type { DetailedPeerCertificate } from 'node:tls';
import type { CertificateInfo } from '../model/certificate.js';
import type { CertificateFields } from './certificate-fields.js';
import { keyCanSign } from './signature-algorithm.js';

const CURVE_BITS: Record<string, number> = {
  prime256v1: 256,
  secp256k1: 256,
  secp384r1: 384,
  secp521r1: 521,
  brainpoolP256r1: 256,
  brainpoolP384r1: 384,
  brainpoolP512r1: 512,
};
const EDWARDS_BITS: Record<string, number> = { ed25519: 256, ed448: 456 };

/** Node prints names one attribute a line ("CN=a\nO=b"); show them on one line. */
function oneLine(name: string): string {
  return name.split('\n').filter(Boolean).join(', ');
}

function commonNames(subject: string): string[] {
  return subject
    .split('\n')
    .filter((part) => part.startsWith('CN='))
    .map((part) => part.slice(3));
}

/** Node's subjectAltName text as a list. @example splitSubjectAltName('DNS:a, DNS:b, IP Address:1.2.3.4') // ['DNS:a', 'DNS:b', 'IP:1.2.3.4'] */
export function splitSubjectAltName(text: string | undefined): string[] {
  if (text === undefined || text === '') return [];
  return text.split(/,\s*(?=[A-Za-z ]+:)/).map((entry) => entry.trim().replace(/^IP Address:/, 'IP:'));
}

/**
 * Could `issuer` have issued `subject`, by the tests OpenSSL's chain building applies
 * (ossl_x509_likely_issued, RFC 5280 §6.1 and §4.2.1.1): the issuer's subject is the
 * subject's issuer name, the subject's authority key identifier (if any) names the issuer's
 * key (and serial, and issuer name), and the issuer's key type can make the subject's
 * signature. The signature itself is not checked here.
 * @example likelyIssued({ fields: interFields, keyType: 'rsa' }, { fields: leafFields })
 */
export function likelyIssued(issuer: { fields: CertificateFields; keyType: string }, subject: { fields: CertificateFields }): boolean {
  const { fields } = subject;
  if (fields.malformed || issuer.fields.malformed) return false; // OpenSSL: ossl_x509v3_cache_extensions fails
  if (fields.issuerKey === null || fields.issuerKey !== issuer.fields.subjectKey) return false;
  const akid = fields.authorityKeyId;
  if (akid !== null) {
    if (akid.keyId !== null && issuer.fields.subjectKeyId !== null && akid.keyId !== issuer.fields.subjectKeyId) return false;
    if (akid.serial !== null && akid.serial !== issuer.fields.serial) return false;
    if (akid.issuerNameKey !== null && akid.issuerNameKey !== issuer.fields.issuerKey) return false;
  }
  return keyCanSign(issuer.keyType, fields.tbsSignatureAlgorithm);
}

/**
 * The facts of one certificate. `fields` from readCertificateFields(cert.raw).
 * @example describeCertificate(x509, readCertificateFields(x509.raw), false).keyUsage // ['digitalSignature']
 */
export function describeCertificate(cert: X509Certificate, fields: CertificateFields, inTrustStore: boolean): CertificateInfo {
  const key = cert.publicKey;
  const keyType = key.asymmetricKeyType ?? 'unknown';
  const details = key.asymmetricKeyDetails ?? {};
  const curve = details.namedCurve ?? null;
  const keyBits = details.modulusLength ?? (curve !== null ? (CURVE_BITS[curve] ?? null) : (EDWARDS_BITS[keyType] ?? null));
  const selfIssued = fields.subjectKey !== null && fields.subjectKey === fields.issuerKey;
  return {
    subject: oneLine(cert.subject),
    issuer: oneLine(cert.issuer),
    commonNames: commonNames(cert.subject),
    san: splitSubjectAltName(cert.subjectAltName),
    notBefore: new Date(cert.validFrom).toISOString(),
    notAfter: new Date(cert.validTo).toISOString(),
    keyType,
    keyBits,
    curve,
    signatureAlgorithm: fields.signatureAlgorithm,
    fingerprint256: cert.fingerprint256,
    serialNumber: cert.serialNumber,
    selfSigned: selfIssued && likelyIssued({ fields, keyType }, { fields }),
    selfIssued,
    isCA: cert.ca,
    inTrustStore,
    version: fields.version,
    basicConstraints: fields.basicConstraints,
    keyUsage: fields.keyUsage,
    extendedKeyUsage: fields.extendedKeyUsage,
    netscapeCertType: fields.netscapeCertType,
    unhandledCriticalExtensions: fields.unhandledCritical,
    pem: cert.toString(),
  };
}

/** The DER of the leaf and its issuers from getPeerCertificate(true), each once, leaf first. @example peerChain(socket.getPeerCertificate(true)).length // 3 */
export function peerChain(peer: DetailedPeerCertificate): Buffer[] {
  const chain: Buffer[] = [];
  const seen = new Set<string>();
  for (let cert: DetailedPeerCertificate | undefined = peer; cert?.raw !== undefined; cert = cert.issuerCertificate) {
    const id = cert.raw.toString('base64');
    if (seen.has(id) || chain.length >= 64) break;
    seen.add(id);
    chain.push(cert.raw);
  }
  return chain;
}
