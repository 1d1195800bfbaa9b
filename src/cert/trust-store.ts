/**
 * The trust anchors a probe verifies against: Node's bundled Mozilla roots plus the PEM
 * certificates of --ca-file (private CAs, as the seed FAQ's partners use).
 */
import { X509Certificate } from 'node:crypto';
import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';
import { readFileSync } from 'node:fs';
import { quote } from '../render/sanitize.js';

export interface TrustStore {
  /**
   * One TLS context for every handshake of a run: these anchors, TLS 1.0 and up, every
   * cipher OpenSSL still has (security level 0), so weak servers yield facts to judge.
   * Built once: loading ~144 roots into a context costs ~18 ms, too much per address.
   */
  secureContext: SecureContext;
  /** Is this DER certificate one of the anchors? */
  isAnchor(der: Buffer): boolean;
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

export class TrustStoreError extends Error {}

/** Reads a PEM file of one or more certificates. Throws TrustStoreError with a one-line reason. */
export function readCaFile(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new TrustStoreError(`cannot read --ca-file ${quote(path, 200)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const pems = text.match(PEM_BLOCK) ?? [];
  if (pems.length === 0) throw new TrustStoreError(`--ca-file ${quote(path, 200)} holds no PEM certificate`);
  for (const pem of pems) {
    try {
      new X509Certificate(pem);
    } catch {
      throw new TrustStoreError(`--ca-file ${quote(path, 200)} holds a certificate that cannot be parsed`);
    }
  }
  return pems;
}

/** A PEM block's DER as base64: the same key as `cert.raw.toString('base64')`, without parsing. */
function derBase64(pem: string): string {
  return pem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s+/g, '');
}

let bundledAnchors: Set<string> | null = null;

/** Node's bundled Mozilla roots plus `extraPems` (from --ca-file). */
export function makeTrustStore(extraPems: readonly string[] = []): TrustStore {
  bundledAnchors ??= new Set(rootCertificates.map(derBase64));
  const anchors = new Set([...bundledAnchors, ...extraPems.map(derBase64)]);
  // Without `ca` the context uses Node's bundled roots, already parsed (~6 ms). Passing
  // `ca: [...rootCertificates, ...extra]` would parse all ~144 roots again (~18 ms), so the
  // extra anchors are added to the default store instead, through the same addCACert()
  // that `ca` uses; the documented route stays as the fallback.
  const secureContext = createSecureContext({ minVersion: 'TLSv1', ciphers: 'DEFAULT@SECLEVEL=0' });
  const native = (secureContext as { context?: { addCACert?: (pem: string) => void } }).context;
  if (extraPems.length > 0 && typeof native?.addCACert === 'function') {
    for (const pem of extraPems) native.addCACert(pem);
  } else if (extraPems.length > 0) {
    return {
      secureContext: createSecureContext({ ca: [...rootCertificates, ...extraPems], minVersion: 'TLSv1', ciphers: 'DEFAULT@SECLEVEL=0' }),
      isAnchor: (der) => anchors.has(der.toString('base64')),
    };
  }
  return { secureContext, isAnchor: (der) => anchors.has(der.toString('base64')) };
}
