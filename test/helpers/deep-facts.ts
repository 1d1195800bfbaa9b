/**
 * Builders of deep facts (model/deep.ts) for the grading tests: a clean server by default
 * (TLS 1.2 and 1.3, good and sufficient suites in its own order, X25519 and P-256, secure
 * renegotiation, EMS, no compression, no injection), with overrides for the case under test.
 */
import type { AcceptedSuite, DeepFacts, DeepProtocol } from '../../src/model/deep.ts';
import { cipherSuiteByName } from '../../src/model/cipher-suites.ts';

const VERSIONS: DeepProtocol[] = ['SSLv3', 'TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

/** The protocol acceptances of a server that accepts exactly `accepted`. */
export function protocols(...accepted: DeepProtocol[]): DeepFacts['protocols'] {
  return VERSIONS.map((version) => ({ version, accepted: accepted.includes(version), note: accepted.includes(version) ? null : 'handshake_failure alert' }));
}

/** Accepted suites by IANA or OpenSSL name, with `protocol` (TLS 1.3 suites always with TLS 1.3). */
export function suites(protocol: DeepProtocol, ...names: string[]): AcceptedSuite[] {
  return names.map((name) => {
    const suite = cipherSuiteByName(name);
    if (suite === null) throw new Error(`unknown suite ${name}`);
    return { protocol: suite.since === 'TLSv1.3' ? 'TLSv1.3' : protocol, code: suite.code, name: suite.name };
  });
}

export function deepFacts(overrides: Partial<DeepFacts> = {}): DeepFacts {
  return {
    protocols: protocols('TLSv1.2', 'TLSv1.3'),
    ciphers: { accepted: suites('TLSv1.2', 'TLS_AES_256_GCM_SHA384', 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384'), serverOrder: true, untested: [] },
    groups: { accepted: ['x25519', 'secp256r1'], dhBits: [], dhGroups: [], untested: [] },
    certificates: [],
    ocsp: null,
    renegotiation: { secure: true, clientInitiated: false, note: null },
    compression: false,
    extendedMasterSecret: true,
    commandInjection: { vulnerable: false, note: null },
    connections: 9,
    partial: null,
    ...overrides,
  };
}
