/**
 * Builds a certificate verification path as OpenSSL 3 does by default (crypto/x509/x509_vfy.c
 * build_chain with X509_V_FLAG_TRUSTED_FIRST, no partial chains): from the leaf, at each step
 * take an issuer from the trust store if there is one, else one of the certificates the server
 * sent; stop at a self-signed certificate or where no issuer is known. Cross-signed chains
 * therefore end at the store's own root, as they do for current senders (a server that still
 * sends an expired cross-sign is not judged by it when the store has the root itself).
 *
 * An issuer candidate must fit the subject (describe-chain.ts likelyIssued: name, authority
 * key identifier, key type); among several, the first valid at `at` wins, else the one that
 * expires last. Signatures do not steer the choice (OpenSSL's neither); each link's signature
 * is then checked and recorded. Time-independent but for that choice: `at` is the moment of
 * the handshake, so the path is the one OpenSSL built then.
 */
import { likelyIssued } from './describe-chain.js';
import { validAt, type CertificateCache, type ParsedCertificate } from './parsed-certificate.js';

/** OpenSSL's default verify depth (100) plus the leaf: longer paths are not built. */
const MAX_PATH = 101;

export interface BuiltPath {
  /** Leaf first. */
  certificates: ParsedCertificate[];
  /** Per certificate: taken from the trust store (the leaf only when it is itself an anchor). */
  fromStore: boolean[];
  /** Per certificate: its signature verifies with the next one's key; null for the last (not checked). */
  signatureValid: Array<boolean | null>;
}

export interface PathSources {
  /** Trust anchors by subject name key, in store order. */
  anchorsNamed(nameKey: string): readonly ParsedCertificate[];
  certificates: Pick<CertificateCache, 'signatureVerifies'>;
}

const selfSigned = (cert: ParsedCertificate) => cert.info.selfSigned;

/** OpenSSL's get0_best_issuer_sk: the first fitting candidate valid at `at`, else the fitting one that expires last. */
function bestIssuer(candidates: readonly ParsedCertificate[], subject: ParsedCertificate, at: number, skip: readonly ParsedCertificate[]): ParsedCertificate | null {
  let best: ParsedCertificate | null = null;
  for (const candidate of candidates) {
    if (skip.includes(candidate) || !likelyIssued(candidate, subject)) continue;
    if (validAt(candidate, at)) return candidate;
    if (best === null || candidate.notAfter > best.notAfter) best = candidate;
  }
  return best;
}

/**
 * The verification path of `presented` (leaf first, as sent) against the trust store.
 * @example buildPath(sent, trust, new Date()).certificates.map((c) => c.info.subject)
 */
export function buildPath(presented: readonly ParsedCertificate[], sources: PathSources, at: Date): BuiltPath {
  const leaf = presented[0];
  if (leaf === undefined) return { certificates: [], fromStore: [], signatureValid: [] };
  const when = Math.floor(at.getTime() / 1000);
  const chain = [leaf];
  const fromStore = [false];
  const untrusted = presented.slice(1);
  let searchSent = true;
  while (chain.length <= MAX_PATH) {
    const current = chain[chain.length - 1] as ParsedCertificate;
    const issuerName = current.fields.issuerKey;
    // The trust store first (even for a self-signed certificate: it may be an anchor itself).
    const anchor = issuerName !== null ? bestIssuer(sources.anchorsNamed(issuerName), current, when, []) : null;
    if (anchor !== null) {
      if (!selfSigned(current)) {
        chain.push(anchor);
        fromStore.push(true);
        searchSent = false; // once in the store, OpenSSL never returns to the sent certificates
        if (selfSigned(anchor)) break;
        continue;
      }
      // A self-signed certificate that is an anchor itself (the very same DER) is trusted;
      // one that merely has an anchor's name is a mimic and is not.
      if (anchor.id === current.id) fromStore[fromStore.length - 1] = true;
      break;
    }
    if (!searchSent || selfSigned(current)) break;
    const issuer = bestIssuer(untrusted, current, when, chain);
    if (issuer === null) break;
    untrusted.splice(untrusted.indexOf(issuer), 1);
    chain.push(issuer);
    fromStore.push(false);
  }
  const signatureValid = chain.map((cert, i) => {
    const issuer = chain[i + 1];
    return issuer !== undefined ? sources.certificates.signatureVerifies(cert, issuer) : null;
  });
  return { certificates: chain, fromStore, signatureValid };
}
