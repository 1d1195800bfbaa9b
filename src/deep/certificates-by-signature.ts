/**
 * Certificates per signature algorithm (`--deep`, issue 10): many MTAs hold an RSA and an
 * ECDSA certificate and present the one the client's signature_algorithms favour (RFC 8446
 * §4.2.3; TLS 1.2: RFC 5246 §7.4.1.4.1). Two full handshakes, each on its own connection
 * through the gate: one offering only RSA schemes (PKCS#1 and PSS) and RSA-authenticated TLS
 * 1.0-1.2 suites, one offering only ECDSA. Each presented chain becomes CertificateFacts
 * exactly as the probe's own handshake makes them (start-tls.ts: the chain as sent, the
 * rebuilt path, OpenSSL's verdict, when), so the same judge (trust, name, expiry) applies.
 * Both handshakes ask for a stapled OCSP response (ocsp.ts). After each: QUIT inside TLS.
 * Connections: 2 (fewer when the deep probe stops).
 */
import type { CertificateBySignature, OcspStaple } from '../model/deep.js';
import type { ProbeStage } from '../model/smtp.js';
import type { HandshakeOptions } from '../tls/start-tls.js';
import type { ConnectionGate } from './connection-gate.js';
import { ocspStaple } from './ocsp.js';
import { failureNote, handshake, quitOverTls } from './tls-connection.js';

/** A family of signature algorithms offered alone. @example const f: SignatureFamily = 'ecdsa'; */
export type SignatureFamily = CertificateBySignature['offered'];

/**
 * What each handshake offers: OpenSSL's sigalgs list (TLS 1.2 and 1.3; SHA-1 and SHA-224 too,
 * so that an old server still shows its certificate) and the TLS 1.0-1.2 suites whose server
 * authentication uses that key type (TLS 1.0 and 1.1 have no signature_algorithms extension:
 * the suite decides the certificate). TLS 1.3 suites stay Node's: they do not name a key type.
 *
 * @example SIGNATURE_FAMILIES.ecdsa.sigalgs.split(':')[0] // 'ecdsa_secp256r1_sha256'
 */
export const SIGNATURE_FAMILIES: Readonly<Record<SignatureFamily, { sigalgs: string; ciphers: string; keyTypes: readonly string[]; name: string }>> = {
  rsa: {
    sigalgs: [
      'rsa_pss_rsae_sha256', 'rsa_pss_rsae_sha384', 'rsa_pss_rsae_sha512',
      'rsa_pss_pss_sha256', 'rsa_pss_pss_sha384', 'rsa_pss_pss_sha512',
      'rsa_pkcs1_sha256', 'rsa_pkcs1_sha384', 'rsa_pkcs1_sha512', 'RSA+SHA224', 'rsa_pkcs1_sha1',
    ].join(':'),
    ciphers: 'aRSA',
    keyTypes: ['rsa', 'rsa-pss'],
    name: 'RSA',
  },
  ecdsa: {
    sigalgs: ['ecdsa_secp256r1_sha256', 'ecdsa_secp384r1_sha384', 'ecdsa_secp521r1_sha512', 'ECDSA+SHA224', 'ECDSA+SHA1'].join(':'),
    ciphers: 'aECDSA',
    keyTypes: ['ec'],
    name: 'ECDSA',
  },
};

/**
 * The certificate of each family, in the order RSA, ECDSA, and the OCSP staple: of the first
 * handshake whose staple gave the leaf's status, else of the first that got one (`note` says
 * why it says nothing); `stapled: false` when none did, null when no handshake succeeded.
 *
 * @example const { certificates, ocsp } = await checkCertificatesBySignature(gate);
 */
export interface CertificatesBySignature {
  certificates: CertificateBySignature[];
  ocsp: OcspStaple | null;
}

/**
 * Both handshakes, one connection each. Never throws for a remote problem: a family the
 * server refuses is `certificate: null` with the reason in `note`. DeepStopped (a 421, the run
 * stopped) propagates.
 *
 * @example deep.certificates = (await checkCertificatesBySignature(gate)).certificates;
 */
export async function checkCertificatesBySignature(gate: ConnectionGate): Promise<CertificatesBySignature> {
  const certificates: CertificateBySignature[] = [];
  let ocsp: OcspStaple | null = null;
  for (const offered of ['rsa', 'ecdsa'] as const) {
    const one = await certificateBySignature(gate, offered);
    certificates.push(one.certificate);
    if (one.ocsp !== null && (ocsp === null || stapleRank(one.ocsp) > stapleRank(ocsp))) ocsp = one.ocsp;
  }
  return { certificates, ocsp };
}

/** A staple with the leaf's status before one that could not be read (or is about another certificate), before none. */
function stapleRank(staple: OcspStaple): number {
  return staple.status !== null ? 2 : staple.stapled ? 1 : 0;
}

/**
 * One handshake offering only `offered`'s signature algorithms, on a connection of its own,
 * with a stapled OCSP response asked for: the certificate, and the staple's facts (null when
 * the handshake failed).
 *
 * @example const { certificate } = await certificateBySignature(gate, 'ecdsa'); certificate.certificate?.chain[0]?.keyType // 'ec'
 */
export async function certificateBySignature(
  gate: ConnectionGate,
  offered: SignatureFamily,
): Promise<{ certificate: CertificateBySignature; ocsp: OcspStaple | null }> {
  const { run } = gate;
  const family = SIGNATURE_FAMILIES[offered];
  const options: HandshakeOptions = { sigalgs: family.sigalgs, ciphers: family.ciphers, requestOCSP: true };
  let step: ProbeStage = 'connect';
  run.note(`deep: a handshake offering only ${family.name} signature algorithms`);
  try {
    const start = await gate.reach();
    step = 'handshake';
    const session = await handshake(gate, start, options);
    const leaf = session.certificate?.chain[0] ?? null;
    run.note(`deep: ${family.name} only: TLS established: ${session.tls.protocol} ${session.tls.cipher}, ${leaf === null ? 'no certificate read' : `${leaf.keyType} certificate ${leaf.subject}`}`);
    step = 'quit';
    await quitOverTls(gate, start, session);
    const note =
      leaf === null
        ? 'the presented certificate could not be read'
        : family.keyTypes.includes(leaf.keyType)
          ? null
          : `the server presented a ${leaf.keyType} certificate although only ${family.name} signature algorithms were offered`;
    return { certificate: { offered, certificate: session.certificate, note }, ocsp: ocspStaple(session.ocspResponse, leaf?.serialNumber ?? null) };
  } catch (err) {
    const why = failureNote(gate, err, step);
    run.note(`deep: ${family.name} only: ${why}`);
    const note = step === 'handshake' ? `no handshake offering only ${family.name} signature algorithms: ${why}` : why;
    return { certificate: { offered, certificate: null, note }, ocsp: null };
  } finally {
    gate.done();
  }
}
