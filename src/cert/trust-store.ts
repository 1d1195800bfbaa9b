/**
 * The trust anchors a probe verifies against: Node's bundled Mozilla roots plus the PEM
 * certificates of --ca-file (private CAs, as the seed FAQ's partners use).
 */
import { X509Certificate } from 'node:crypto';
import { rootCertificates } from 'node:tls';
import { readFileSync } from 'node:fs';

export interface TrustStore {
  /** PEM certificates to pass to tls.connect as `ca`. */
  pems: string[];
  /** SHA-256 fingerprints of every anchor, as X509Certificate.fingerprint256 prints them. */
  fingerprints: Set<string>;
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

export class TrustStoreError extends Error {}

/** Reads a PEM file of one or more certificates. Throws TrustStoreError with a one-line reason. */
export function readCaFile(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new TrustStoreError(`cannot read --ca-file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const pems = text.match(PEM_BLOCK) ?? [];
  if (pems.length === 0) throw new TrustStoreError(`--ca-file ${path} holds no PEM certificate`);
  for (const pem of pems) {
    try {
      new X509Certificate(pem);
    } catch {
      throw new TrustStoreError(`--ca-file ${path} holds a certificate that cannot be parsed`);
    }
  }
  return pems;
}

let bundled: { pems: string[]; fingerprints: string[] } | null = null;

export function makeTrustStore(extraPems: readonly string[] = []): TrustStore {
  bundled ??= {
    pems: [...rootCertificates],
    fingerprints: rootCertificates.map((pem) => new X509Certificate(pem).fingerprint256),
  };
  const fingerprints = new Set(bundled.fingerprints);
  for (const pem of extraPems) fingerprints.add(new X509Certificate(pem).fingerprint256);
  return { pems: [...bundled.pems, ...extraPems], fingerprints };
}
