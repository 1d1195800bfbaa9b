/**
 * One copy of each certificate's description in the main thread, for facts that come from probe
 * workers. In one thread, every probe that sees a certificate describes it with the same frozen
 * object (the trust store's certificate cache), so a batch whose servers share certificates (a
 * provider's MX hosts, a fleet behind one wildcard) holds each PEM once, however many facts the
 * run keeps. Facts that cross from a worker are copies, every string included: without this, a
 * run kept a PEM chain per address (about 80 MB more for 10,000 addresses behind one
 * certificate). Each description crossing is swapped for the first one seen with the same PEM,
 * frozen as in one thread; the facts are unchanged.
 */
import type { AddressFacts } from '../model/address.js';
import type { CertificateFacts, CertificateInfo, PathCertificate } from '../model/certificate.js';

/** Certificates remembered, the oldest forgotten beyond it: as many as a trust store's certificate cache keeps. */
const REMEMBERED = 512;

/**
 * @example
 * const shared = new SharedCertificates();
 * const facts = shared.share(message.facts); // its chains now hold the descriptions seen before
 */
export class SharedCertificates {
  private readonly byPem = new Map<string, CertificateInfo>();

  /** `facts`, its certificate descriptions (the probe's, the DANE handshake's, the deep probe's) swapped for the ones seen before; in place. */
  share(facts: AddressFacts): AddressFacts {
    this.shareFacts(facts.certificate);
    this.shareFacts(facts.daneHandshake?.certificate ?? null);
    for (const bySignature of facts.deep?.certificates ?? []) this.shareFacts(bySignature.certificate);
    return facts;
  }

  private shareFacts(facts: CertificateFacts | null): void {
    if (facts === null) return;
    facts.chain = facts.chain.map((info) => {
      const known = this.one(info);
      // `inTrustStore` is the only field that does not follow from the PEM (a path says whether it took the certificate from the store).
      return known.inTrustStore === info.inTrustStore ? known : Object.freeze({ ...known, inTrustStore: info.inTrustStore });
    });
    // A path certificate is the description with its place in the path (as cert/certificate-facts.ts makes it).
    facts.path = facts.path.map((p): PathCertificate => ({ ...this.one(p), inTrustStore: p.inTrustStore, signatureValid: p.signatureValid }));
  }

  /** The description remembered for this PEM, else `info` (without a path's own field), remembered and frozen. */
  private one(info: CertificateInfo | PathCertificate): CertificateInfo {
    const known = this.byPem.get(info.pem);
    if (known !== undefined) return known;
    const { signatureValid: _place, ...own } = info as PathCertificate;
    const frozen = freeze(own);
    if (this.byPem.size >= REMEMBERED) this.byPem.delete(this.byPem.keys().next().value as string);
    this.byPem.set(info.pem, frozen);
    return frozen;
  }
}

/** Frozen with its arrays and objects, as cert/parsed-certificate.ts freezes a description. */
function freeze<T extends object>(value: T): T {
  for (const inner of Object.values(value)) if (typeof inner === 'object' && inner !== null) Object.freeze(inner);
  return Object.freeze(value);
}
