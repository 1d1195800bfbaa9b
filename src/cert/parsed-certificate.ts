/**
 * A certificate read once: Node's X509Certificate, the DER fields it does not expose, and its
 * CertificateInfo facts, kept in a bounded per-run cache keyed by the DER, so that an
 * intermediate or root that many servers send is decoded (and its signatures checked) once.
 */
import { X509Certificate, type KeyObject } from 'node:crypto';
import type { CertificateInfo } from '../model/certificate.js';
import { readCertificateFields, type CertificateFields } from './certificate-fields.js';
import { describeCertificate } from './describe-chain.js';

export interface ParsedCertificate {
  /** The DER as base64: the certificate's identity. */
  id: string;
  x509: X509Certificate;
  fields: CertificateFields;
  /** Node's asymmetricKeyType ('rsa', 'ec', ...). */
  keyType: string;
  /** Validity in whole seconds since the epoch, as OpenSSL compares it. */
  notBefore: number;
  notAfter: number;
  info: CertificateInfo;
}

/** Most certificates kept (~10 KB each): far more than the distinct CAs a batch meets. */
const MAX_CACHED = 512;

/**
 * Is `at` (seconds) inside the certificate's validity (RFC 5280 §4.1.2.5; OpenSSL's
 * ossl_x509_check_cert_time: 99991231235959Z means no expiry)?
 * @example validAt(parsed, Math.floor(Date.now() / 1000))
 */
export function validAt(cert: { notBefore: number; notAfter: number }, at: number): boolean {
  return at >= cert.notBefore && (cert.notAfter === NO_EXPIRY || at <= cert.notAfter);
}

/** 9999-12-31T23:59:59Z in seconds: "no well-defined expiration date" (RFC 5280 §4.1.2.5). */
const NO_EXPIRY = 253402300799;

const seconds = (text: string) => Math.floor(Date.parse(text) / 1000);

function freeze<T extends object>(value: T): T {
  for (const inner of Object.values(value)) if (typeof inner === 'object' && inner !== null) Object.freeze(inner);
  return Object.freeze(value);
}

/**
 * Decodes one DER certificate; null when Node cannot read it. Never throws.
 * @example decodeCertificate(der, der.toString('base64'), false)?.fields.basicConstraints
 */
export function decodeCertificate(der: Buffer, id: string, inTrustStore: boolean): ParsedCertificate | null {
  try {
    const x509 = new X509Certificate(der);
    const fields = readCertificateFields(x509.raw);
    // Shared by every result that holds this certificate: frozen, so that none can change another's.
    const info = freeze(describeCertificate(x509, fields, inTrustStore));
    return { id, x509, fields, keyType: info.keyType, notBefore: seconds(info.notBefore), notAfter: seconds(info.notAfter), info };
  } catch {
    return null;
  }
}

/**
 * The run's decoded certificates and checked signatures, bounded (MAX_CACHED certificates,
 * 16 issuers per subject).
 * @example const cache = new CertificateCache((id) => anchors.has(id)); cache.parse(der)?.info.subject
 */
export class CertificateCache {
  private readonly parsed = new Map<string, ParsedCertificate | null>();
  private readonly keys = new WeakMap<ParsedCertificate, KeyObject>();
  private readonly signatures = new WeakMap<ParsedCertificate, Map<string, boolean>>();

  /** @param isAnchor whether a DER certificate is one of the run's trust anchors (sets `inTrustStore`). */
  constructor(private readonly isAnchor: (id: string) => boolean) {}

  /**
   * The certificate decoded, or null when Node cannot read it. Cached by DER.
   * @example cache.parse(der)?.info.subject // 'CN=mx.example.com'
   */
  parse(der: Buffer, id = der.toString('base64')): ParsedCertificate | null {
    const hit = this.parsed.get(id);
    if (hit !== undefined) return hit;
    const parsed = decodeCertificate(der, id, this.isAnchor(id));
    if (this.parsed.size >= MAX_CACHED) this.parsed.delete(this.parsed.keys().next().value as string);
    this.parsed.set(id, parsed);
    return parsed;
  }

  /**
   * Does `subject`'s signature verify with `issuer`'s public key? Cached per pair.
   * @example cache.signatureVerifies(leaf, intermediate) // true
   */
  signatureVerifies(subject: ParsedCertificate, issuer: ParsedCertificate): boolean {
    let known = this.signatures.get(subject);
    const hit = known?.get(issuer.id);
    if (hit !== undefined) return hit;
    let key = this.keys.get(issuer);
    let ok = false;
    try {
      if (key === undefined) this.keys.set(issuer, (key = issuer.x509.publicKey));
      ok = subject.x509.verify(key);
    } catch {
      ok = false;
    }
    if (known === undefined) this.signatures.set(subject, (known = new Map()));
    if (known.size < 16) known.set(issuer.id, ok);
    return ok;
  }
}
