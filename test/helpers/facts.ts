/**
 * Builders of gathered facts for pure judge and render tests: a verify-grade address by
 * default, with overrides for the case under test. Dates are relative to NOW.
 */
import type { AddressFacts } from '../../src/model/address.ts';
import type { CertificateFacts, CertificateInfo, PathCertificate } from '../../src/model/certificate.ts';
import type { DomainFacts, MxHostFacts } from '../../src/model/domain.ts';
import type { Requirement } from '../../src/model/policy.ts';
import { parseRequirement } from '../../src/judge/sender-policies.ts';

/**
 * A requirement as --require names it ('encrypt', 'b,d', …).
 *
 * @example judgeDomain(facts, { required: requirement('verify'), warnDays: 30 }, NOW)
 */
export function requirement(text: string): Requirement {
  const parsed = parseRequirement(text);
  if (parsed === null) throw new Error(`not a requirement: ${text}`);
  return parsed;
}

export const NOW = new Date('2026-06-01T12:00:00Z');
const DAY = 86_400_000;
export const daysFromNow = (days: number) => new Date(NOW.getTime() + days * DAY).toISOString();

export function certInfo(overrides: Partial<CertificateInfo> = {}): CertificateInfo {
  return {
    subject: 'CN=mx.example.com',
    issuer: 'O=Example CA, CN=Example Intermediate',
    commonNames: ['mx.example.com'],
    san: ['DNS:mx.example.com'],
    notBefore: daysFromNow(-30),
    notAfter: daysFromNow(60.5),
    keyType: 'rsa',
    keyBits: 2048,
    curve: null,
    signatureAlgorithm: 'sha256WithRSAEncryption',
    fingerprint256: 'AA:BB',
    serialNumber: '01',
    selfSigned: false,
    selfIssued: false,
    isCA: false,
    inTrustStore: false,
    version: 3,
    basicConstraints: { ca: false, pathLength: null },
    keyUsage: ['digitalSignature', 'keyEncipherment'],
    extendedKeyUsage: ['serverAuth', 'clientAuth'],
    netscapeCertType: null,
    unhandledCriticalExtensions: [],
    pem: '',
    ...overrides,
  };
}

/** What a CA certificate has: basicConstraints CA:TRUE, keyUsage keyCertSign and cRLSign, no extendedKeyUsage. */
const CA_FIELDS = {
  isCA: true,
  basicConstraints: { ca: true, pathLength: null },
  keyUsage: ['keyCertSign', 'cRLSign'],
  extendedKeyUsage: null,
} satisfies Partial<CertificateInfo>;

export function intermediate(overrides: Partial<CertificateInfo> = {}): CertificateInfo {
  return certInfo({
    subject: 'O=Example CA, CN=Example Intermediate',
    issuer: 'O=Example CA, CN=Example Root',
    commonNames: ['Example Intermediate'],
    san: [],
    notAfter: daysFromNow(1000),
    ...CA_FIELDS,
    fingerprint256: 'CC:DD',
    ...overrides,
  });
}

export function root(overrides: Partial<CertificateInfo> = {}): CertificateInfo {
  return certInfo({
    subject: 'O=Example CA, CN=Example Root',
    issuer: 'O=Example CA, CN=Example Root',
    commonNames: ['Example Root'],
    san: [],
    notAfter: daysFromNow(3000),
    ...CA_FIELDS,
    selfSigned: true,
    selfIssued: true,
    inTrustStore: true,
    fingerprint256: 'EE:FF',
    ...overrides,
  });
}

/**
 * Certificate facts from the verification path (each signature valid unless given, the last
 * one unchecked); the presented chain is the path without the store's anchors unless given.
 * `opensslError` is what OpenSSL said in the handshake, at NOW. Whether the path is trusted
 * is no fact: it is judged (judge/verify-path.ts).
 */
export function certFacts(
  path: Array<CertificateInfo | PathCertificate>,
  opensslError: string | null,
  chain?: CertificateInfo[],
): CertificateFacts {
  const verified = path.map((c, i): PathCertificate => ({ ...c, signatureValid: 'signatureValid' in c ? c.signatureValid : i < path.length - 1 ? true : null }));
  return {
    chain: chain ?? path.filter((c, i) => i === 0 || !c.inTrustStore),
    chainSource: 'presented',
    path: verified,
    opensslError,
    verifiedAt: NOW.toISOString(),
  };
}

export function addressFacts(overrides: Partial<AddressFacts> = {}): AddressFacts {
  return {
    ip: '192.0.2.10',
    family: 4,
    port: 25,
    host: 'mx.example.com',
    tlsMode: 'starttls',
    connected: true,
    banner: { code: 220, lines: ['mx.example.com ESMTP'] },
    ehlo: ['PIPELINING', 'STARTTLS'],
    starttls: true,
    starttlsReply: { code: 220, lines: ['2.0.0 Ready to start TLS'] },
    injectedBytes: 0,
    tlsRequiredReply: null,
    tls: {
      protocol: 'TLSv1.3',
      cipher: 'TLS_AES_256_GCM_SHA384',
      cipherOpenssl: 'TLS_AES_256_GCM_SHA384',
      keyExchange: { type: 'ECDH', name: 'X25519', size: 253 },
      sni: 'mx.example.com',
      serverSignature: null,
    },
    ehloTls: ['PIPELINING'],
    certificate: certFacts([certInfo(), intermediate(), root()], null),
    modernTls: null,
    failure: null,
    timings: { connect: 1, banner: 2, ehlo: 1, starttls: 1, handshake: 10, 'ehlo-tls': 1, quit: 1, total: 17 },
    ...overrides,
  };
}

/** Facts of a plaintext-only server (no STARTTLS in EHLO). */
export function plainAddress(overrides: Partial<AddressFacts> = {}): AddressFacts {
  return addressFacts({ ehlo: ['PIPELINING'], starttls: false, starttlsReply: null, tls: null, ehloTls: null, certificate: null, ...overrides });
}

export function mxHost(host: string, preference: number, addresses: AddressFacts[], overrides: Partial<MxHostFacts> = {}): MxHostFacts {
  return { host, preference, implicit: false, cnames: [], addresses: addresses.map((a) => ({ ...a, host })), ...overrides };
}

export function domainFacts(overrides: Partial<DomainFacts> = {}): DomainFacts {
  return {
    domain: 'example.com',
    input: 'example.com',
    outcome: 'probed',
    mxAuthenticated: false,
    mx: [mxHost('mx.example.com', 10, [addressFacts()])],
    dns: [{ name: 'example.com', type: 'MX', rcode: 'NOERROR', authenticated: false, cnames: [], answers: ['10 mx.example.com'], server: '127.0.0.1:53', ms: 1 }],
    probedAt: NOW.toISOString(),
    ...overrides,
  };
}
