/**
 * The certificate of round 2: self-signed, naming no host the sender could look for
 * (CN and subjectAltName `wrong-name.mxprobe.invalid`, RFC 2606's reserved .invalid), with a
 * fresh RSA key made by node:crypto. Node cannot create certificates: node-forge signs it,
 * loaded here alone and only when `mxprobe receive` runs (never used to parse anything).
 */
import { generateKeyPair, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

/** The name the wrong-name certificate carries. @example WRONG_NAME // 'wrong-name.mxprobe.invalid' */
export const WRONG_NAME = 'wrong-name.mxprobe.invalid';

/** A certificate and its key, PEM. @example const pair: PemPair = await makeWrongNameCertificate(); */
export interface PemPair {
  cert: string;
  key: string;
}

/**
 * Makes the round-2 certificate: RSA 2048, SHA-256, valid from an hour ago for 7 days.
 *
 * @example const { cert, key } = await makeWrongNameCertificate(); tls.createSecureContext({ cert, key })
 */
export async function makeWrongNameCertificate(now = new Date()): Promise<PemPair> {
  const { privateKey, publicKey } = await promisify(generateKeyPair)('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const forgeModule = await import('node-forge');
  const forge = (forgeModule as unknown as { default?: typeof forgeModule }).default ?? forgeModule;
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey);
  // A positive serial number of 16 random bytes (RFC 5280 §4.1.2.2).
  cert.serialNumber = `01${randomBytes(15).toString('hex')}`;
  cert.validity.notBefore = new Date(now.getTime() - 3600_000);
  cert.validity.notAfter = new Date(now.getTime() + 7 * 24 * 3600_000);
  const attrs = [{ name: 'commonName', value: WRONG_NAME }, { name: 'organizationName', value: 'mxprobe receive (round 2: a certificate that names no real host)' }];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: [{ type: 2, value: WRONG_NAME }] },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(privateKey), forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key: privateKey };
}
