/**
 * The certificate facts of one TLS session: the chain as presented, the verification path
 * built as OpenSSL builds it (build-path.ts) with each link's signature checked, and OpenSSL's
 * own verdict from the handshake. Time-independent facts; judging them at a moment is
 * judge/verify-path.ts.
 */
import type { CertificateFacts, PathCertificate } from '../model/certificate.js';
import { buildPath } from './build-path.js';
import type { ParsedCertificate } from './parsed-certificate.js';
import type { TrustStore } from './trust-store.js';

export interface SessionCertificates {
  /** DER certificates, leaf first: as the server sent them, or else Node's rebuilt chain. */
  certificates: readonly Buffer[];
  source: 'presented' | 'rebuilt';
  /** Node's authorizationError (null when authorized). */
  opensslError: string | null;
  /** When the handshake verified the chain. */
  at: Date;
}

/**
 * The facts, or null when the leaf cannot be read at all. `source: 'presented'` input that
 * Node cannot decode also gives null, so that the caller can fall back to the rebuilt chain.
 * @example certificateFactsOf({ certificates: ders, source: 'presented', opensslError: null, at: new Date() }, trust)
 */
export function certificateFactsOf(session: SessionCertificates, trust: TrustStore): CertificateFacts | null {
  const parsed: ParsedCertificate[] = [];
  for (const der of session.certificates) {
    const cert = trust.certificates.parse(der);
    if (cert === null) return null; // OpenSSL accepted what X509Certificate cannot read
    parsed.push(cert);
  }
  if (parsed.length === 0) return null;
  const built = buildPath(parsed, trust, session.at);
  const path: PathCertificate[] = built.certificates.map((cert, i) => ({
    ...cert.info,
    inTrustStore: built.fromStore[i] === true,
    signatureValid: built.signatureValid[i] ?? null,
  }));
  const chain = parsed.map((cert) => cert.info);
  return {
    // A rebuilt chain holds the store's anchor too: it was not sent.
    chain: session.source === 'presented' ? chain : chain.filter((c, i) => i === 0 || !c.inTrustStore),
    chainSource: session.source,
    path,
    opensslError: session.opensslError,
    verifiedAt: session.at.toISOString(),
  };
}
