/**
 * Decodes the peer's certificate chain into CertificateInfo facts with Node's
 * X509Certificate (RSA, EC and Ed25519 alike), plus the signature algorithm from the DER.
 */
import { X509Certificate } from 'node:crypto';
import type { DetailedPeerCertificate } from 'node:tls';
import type { CertificateInfo } from '../model/result.js';
import { signatureAlgorithm } from './signature-algorithm.js';

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

/** "DNS:a, DNS:b, IP Address:1.2.3.4" → ["DNS:a", "DNS:b", "IP:1.2.3.4"]. */
export function splitSubjectAltName(text: string | undefined): string[] {
  if (text === undefined || text === '') return [];
  return text.split(/,\s*(?=[A-Za-z ]+:)/).map((entry) => entry.trim().replace(/^IP Address:/, 'IP:'));
}

/** Issued by itself and signed with its own key. (checkIssued() would also demand CA key usage, which self-signed leaves lack.) */
function isSelfSigned(cert: X509Certificate): boolean {
  try {
    return cert.subject === cert.issuer && cert.verify(cert.publicKey);
  } catch {
    return false;
  }
}

export function describeCertificate(cert: X509Certificate, isAnchor: (der: Buffer) => boolean): CertificateInfo {
  const key = cert.publicKey;
  const keyType = key.asymmetricKeyType ?? 'unknown';
  const details = key.asymmetricKeyDetails ?? {};
  const curve = details.namedCurve ?? null;
  const keyBits = details.modulusLength ?? (curve !== null ? (CURVE_BITS[curve] ?? null) : (EDWARDS_BITS[keyType] ?? null));
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
    signatureAlgorithm: signatureAlgorithm(cert.raw),
    fingerprint256: cert.fingerprint256,
    serialNumber: cert.serialNumber,
    selfSigned: isSelfSigned(cert),
    isCA: cert.ca,
    inTrustStore: isAnchor(cert.raw),
    pem: cert.toString(),
  };
}

/** The leaf and its issuers from getPeerCertificate(true), each once, leaf first. */
export function peerChain(peer: DetailedPeerCertificate): X509Certificate[] {
  const chain: X509Certificate[] = [];
  const seen = new Set<string>();
  for (let cert: DetailedPeerCertificate | undefined = peer; cert?.raw !== undefined; cert = cert.issuerCertificate) {
    const x509 = new X509Certificate(cert.raw);
    if (seen.has(x509.fingerprint256)) break;
    seen.add(x509.fingerprint256);
    chain.push(x509);
  }
  return chain;
}

/** Every certificate is issued and signed by the next one, and the last is a trust anchor. */
export function chainReachesAnchor(chain: readonly X509Certificate[], isAnchor: (der: Buffer) => boolean): boolean {
  const last = chain[chain.length - 1];
  if (last === undefined || !isAnchor(last.raw)) return false;
  for (let i = 0; i + 1 < chain.length; i++) {
    const cert = chain[i] as X509Certificate;
    const issuer = chain[i + 1] as X509Certificate;
    try {
      if (!cert.checkIssued(issuer) || !cert.verify(issuer.publicKey)) return false;
    } catch {
      return false;
    }
  }
  return true;
}
