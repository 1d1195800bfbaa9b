/**
 * Judged domains with deep facts (model/deep.ts) for the render tests: a weak server (TLS 1.0
 * to 1.3, many insufficient and phase-out suites, a small DH group, an RSA and an ECDSA
 * certificate, client-initiated renegotiation, no EMS, command injection), a clean one, and a
 * deep probe that stopped early with hostile server text in its notes. Built by hand over
 * test/helpers/deep-facts.ts and judged as the CLI judges them.
 */
import type { DomainResult } from '../../src/model/domain.ts';
import type { DeepFacts } from '../../src/model/deep.ts';
import { CIPHER_SUITES } from '../../src/model/cipher-suites.ts';
import { GUIDELINE_PROFILES, suiteTier } from '../../src/model/tls-guidelines.ts';
import { judgeDomain } from '../../src/judge/judge-domain.ts';
import { deepFacts, protocols, suites } from './deep-facts.ts';
import { addressFacts, certFacts, certInfo, domainFacts, intermediate, mxHost, NOW, requirement, root } from './facts.ts';

/** Every suite of the table the ncsc profile grades `tier`, by IANA name, TLS 1.2 and older only. */
export function suitesOfTier(tier: 'insufficient' | 'phase-out'): string[] {
  return CIPHER_SUITES.filter((s) => s.since !== 'TLSv1.3' && suiteTier(GUIDELINE_PROFILES.ncsc, s.name) === tier).map((s) => s.name);
}

/** The deep facts of a server that accepts everything old: what every line of the section shows. */
export function weakDeep(host = 'mx.example.com'): DeepFacts {
  const ecdsa = certInfo({ san: [`DNS:${host}`],  keyType: 'ec', keyBits: 256, curve: 'prime256v1', signatureAlgorithm: 'ecdsa-with-SHA256', fingerprint256: 'EC:DS:A0' });
  return deepFacts({
    protocols: protocols('TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'),
    ciphers: {
      accepted: [
        ...suites('TLSv1.3', 'TLS_AES_256_GCM_SHA384'),
        ...suites('TLSv1.2', 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', ...suitesOfTier('phase-out').slice(0, 3), ...suitesOfTier('insufficient').slice(0, 14)),
        ...suites('TLSv1', 'TLS_RSA_WITH_3DES_EDE_CBC_SHA'),
      ],
      serverOrder: false,
      untested: [],
    },
    groups: { accepted: ['x25519', 'secp256r1', 'secp224r1'], dhBits: [1024], dhGroups: [], untested: [] },
    certificates: [
      { offered: 'rsa', certificate: certFacts([certInfo({ san: [`DNS:${host}`] }), intermediate(), root()], null), note: null },
      { offered: 'ecdsa', certificate: certFacts([ecdsa, intermediate(), root()], null), note: null },
    ],
    ocsp: { stapled: true, status: 'good', producedAt: NOW.toISOString(), thisUpdate: NOW.toISOString(), nextUpdate: '2026-06-08T12:00:00.000Z', note: null },
    renegotiation: { secure: true, clientInitiated: true, note: null },
    compression: false,
    extendedMasterSecret: false,
    commandInjection: { vulnerable: true, note: null },
    connections: 23,
  });
}

/** Deep facts of a probe that stopped early (421), with hostile server text in every note. */
export function partialDeep(): DeepFacts {
  const evil = '421 \u001b[31mgo away\u202e\u0085 now';
  return deepFacts({
    protocols: [
      { version: 'SSLv3', accepted: false, note: 'handshake_failure alert' },
      { version: 'TLSv1', accepted: false, note: 'protocol_version alert' },
      { version: 'TLSv1.1', accepted: null, note: evil },
      { version: 'TLSv1.2', accepted: true, note: null },
      { version: 'TLSv1.3', accepted: true, note: null },
    ],
    ciphers: { accepted: suites('TLSv1.2', 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384'), serverOrder: null, untested: [`TLS 1.1 suites: ${evil}`] },
    certificates: [{ offered: 'ecdsa', certificate: null, note: `refused: ${evil}` }],
    ocsp: null,
    renegotiation: { secure: true, clientInitiated: null, note: evil },
    compression: null,
    extendedMasterSecret: true,
    commandInjection: { vulnerable: null, note: evil },
    connections: 7,
    partial: { stage: 'banner', kind: 'rejected', message: evil },
  });
}

/** The domains of the deep goldens: a weak server and a clean one in one domain (`weakGraded`: under encrypt+graded); a partial probe. */
export function deepResults(weakGraded = false): DomainResult[] {
  const policy = { required: requirement('encrypt'), warnDays: 30 };
  const weak = judgeDomain(
    domainFacts({
      domain: 'weak.example',
      input: 'weak.example',
      mx: [
        mxHost('mx1.weak.example', 10, [addressFacts({ ip: '192.0.2.41', certificate: certFacts([certInfo({ san: ['DNS:mx1.weak.example'] }), intermediate(), root()], null), deep: weakDeep('mx1.weak.example') })]),
        mxHost('mx2.weak.example', 20, [addressFacts({ ip: '2001:db8::42', family: 6, certificate: certFacts([certInfo({ san: ['DNS:mx2.weak.example'] }), intermediate(), root()], null), deep: deepFacts() })]),
      ],
    }),
    { ...policy, graded: weakGraded },
    NOW,
  );
  const partial = judgeDomain(
    domainFacts({
      domain: 'partial.example',
      input: 'partial.example',
      mx: [mxHost('mx.partial.example', 10, [addressFacts({ ip: '192.0.2.51', certificate: certFacts([certInfo({ san: ['DNS:mx.partial.example'] }), intermediate(), root()], null), deep: partialDeep() })])],
    }),
    { ...policy, graded: true },
    NOW,
  );
  return [weak, partial];
}
