/**
 * The TLS guidelines mxprobe grades by, as data: per profile, the tier (good / sufficient /
 * phase-out / insufficient) of each cipher suite (by the IANA names of
 * model/cipher-suites.ts), key exchange group, finite-field DH size, certificate key and
 * signature hash, and of the session facts (compression, renegotiation, extended master
 * secret, the server's cipher order, STARTTLS command injection); the tier of each protocol
 * version is a column of the one protocol table (model/tls-protocols.ts). A newer guideline is
 * an edit of this data; judge/deep-grade.ts reads it. The grade's own types are here too.
 *
 * Sources:
 * - `ncsc`: NCSC-NL "IT Security Guidelines for Transport Layer Security (TLS)" 2025-05
 *   (https://www.ncsc.nl/documenten/publicaties/2025/juni/01/ict-beveiligingsrichtlijnen-voor-transport-layer-security-2025-05)
 *   as internet.nl applies them to mail: internetstandards/Internet.nl
 *   checks/tasks/tls/tls_constants.py and evaluation.py at commit
 *   cec0e01d0b3012ea6f189c88607894a6ccf5fd6b (2026-07-14; tls_constants.py last changed in
 *   7f1af82, 2026-06-16), checks/categories.py for what fails a mail server.
 * - `mozilla-intermediate`: Mozilla Server Side TLS guidelines 5.8
 *   (https://ssl-config.mozilla.org/guidelines/5.8.json; mozilla/ssl-config-generator
 *   src/static/guidelines/5.8.json at commit 54e0500e65fd958cb5d0d5cfe86ff1d095617fe4). Mozilla
 *   names configurations, not tiers: what the `modern` configuration has is good, what
 *   `intermediate` adds is sufficient, what only `old` has is phase-out, anything else
 *   insufficient.
 */
import { TLS_PROTOCOLS, tlsProtocol } from './tls-protocols.js';
import { GUIDELINE_PROFILE_IDS, type GuidelineProfileId } from './guideline-profile-ids.js';

/**
 * The tiers, best first: the order "worst" is read from.
 *
 * @example TIERS.indexOf('phase-out') > TIERS.indexOf('sufficient') // true: worse
 */
export const TIERS = ['good', 'sufficient', 'phase-out', 'insufficient'] as const;

/**
 * A guideline tier: `good` and `sufficient` meet the guideline, `phase-out` should be removed,
 * `insufficient` must not be offered.
 *
 * @example const tier: Tier = protocolTier(GUIDELINE_PROFILES.ncsc, 'TLSv1'); // 'insufficient'
 */
export type Tier = (typeof TIERS)[number];

/**
 * The worst of some tiers; null for none.
 *
 * @example worstTier(['good', 'phase-out', 'sufficient']) // 'phase-out'
 */
export function worstTier(tiers: Iterable<Tier>): Tier | null {
  let worst: Tier | null = null;
  for (const tier of tiers) if (worst === null || TIERS.indexOf(tier) > TIERS.indexOf(worst)) worst = tier;
  return worst;
}

export { GUIDELINE_PROFILE_IDS, type GuidelineProfileId } from './guideline-profile-ids.js';

/**
 * A tier from a lower bound: the first row whose `min` the value reaches.
 *
 * @example const rsa: Threshold[] = [{ min: 3072, tier: 'sufficient' }, { min: 2048, tier: 'phase-out' }];
 */
export interface Threshold {
  readonly min: number;
  readonly tier: Tier;
}

/**
 * One profile: a tier for every kind of fact a deep probe (or the probe's own handshake)
 * gathers. Lists name what is better than insufficient; anything a list does not name is
 * insufficient.
 *
 * @example const ncsc: GuidelineProfile = GUIDELINE_PROFILES.ncsc; // ncsc.compression: 'insufficient'
 */
export interface GuidelineProfile {
  readonly id: GuidelineProfileId;
  /** The guideline in words, e.g. "NCSC-NL TLS guidelines 2025-05 (as internet.nl applies them to mail)". */
  readonly title: string;
  /** Where the data comes from (URL and commit or date). */
  readonly source: string;
  /** Cipher suites by IANA name (model/cipher-suites.ts) per tier above insufficient. */
  readonly ciphers: Readonly<Record<'good' | 'sufficient' | 'phase-out', readonly string[]>>;
  /** Key exchange groups by IANA name (model/named-groups.ts; lower case: x25519, secp256r1, …) per tier above insufficient. */
  readonly groups: Readonly<Record<'good' | 'sufficient' | 'phase-out', readonly string[]>>;
  /** Finite-field DH by the bits of the prime, largest bound first; below the last, insufficient. */
  readonly dhBits: readonly Threshold[];
  /** Only the RFC 7919 groups may be used: a prime of the server's own is insufficient whatever its size. */
  readonly dhNamedOnly: boolean;
  /** Certificate keys: RSA by modulus bits (largest bound first), EC by curve, EdDSA and others by key type. */
  readonly certKey: {
    readonly rsaBits: readonly Threshold[];
    readonly curves: Readonly<Record<'good' | 'sufficient' | 'phase-out', readonly string[]>>;
    /** Key types other than RSA and EC: ed25519, ed448, dsa, … (absent: insufficient). */
    readonly types: Readonly<Record<string, Tier>>;
  };
  /** Certificate signature hash (sha256, sha384, sha512, sha224, sha1, md5) or EdDSA (ed25519, ed448); absent: insufficient. */
  readonly certHash: Readonly<Record<string, Tier>>;
  /** RSA certificates signed with SHA-2 other than SHA-256 where the profile names only sha256WithRSAEncryption (Mozilla); null: by `certHash` alone. */
  readonly rsaHashOtherThanSha256: Tier | null;
  /** The server lets the client choose among suites of different tiers (it does not enforce its own order while it accepts phase-out or worse suites); null: not graded. */
  readonly clientCipherOrder: Tier | null;
  /** TLS compression in use (CRIME). */
  readonly compression: Tier;
  /** No secure renegotiation (RFC 5746) with TLS 1.2 or older. */
  readonly insecureRenegotiation: Tier;
  /** The server accepts a renegotiation the client starts. */
  readonly clientRenegotiation: Tier;
  /** No extended master secret (RFC 7627) with TLS 1.2; null: not graded. */
  readonly noExtendedMasterSecret: Tier | null;
  /** The server answers commands pipelined with STARTTLS after the handshake (CVE-2011-0411 family). */
  readonly commandInjection: Tier;
}

/** NCSC appendix B (derived from §3.3.3, §3.3.4), as internet.nl's CIPHERS_* lists. */
const NCSC_CIPHERS = {
  good: ['TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'],
  sufficient: [
    'TLS_AES_128_GCM_SHA256',
    'TLS_AES_128_CCM_SHA256',
    'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256',
    'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
    'TLS_ECDHE_ECDSA_WITH_AES_256_CCM',
    'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
    'TLS_ECDHE_ECDSA_WITH_AES_128_CCM',
    'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256',
    'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
    'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
  ],
  'phase-out': [
    'TLS_ECDHE_ECDSA_WITH_CAMELLIA_256_GCM_SHA384',
    'TLS_ECDHE_ECDSA_WITH_CAMELLIA_256_CBC_SHA384',
    'TLS_ECDHE_ECDSA_WITH_CAMELLIA_128_GCM_SHA256',
    'TLS_ECDHE_ECDSA_WITH_CAMELLIA_128_CBC_SHA256',
    'TLS_ECDHE_ECDSA_WITH_ARIA_256_GCM_SHA384',
    'TLS_ECDHE_ECDSA_WITH_ARIA_256_CBC_SHA384',
    'TLS_ECDHE_ECDSA_WITH_ARIA_128_GCM_SHA256',
    'TLS_ECDHE_ECDSA_WITH_ARIA_128_CBC_SHA256',
    'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384',
    'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256',
    'TLS_ECDHE_RSA_WITH_CAMELLIA_256_GCM_SHA384',
    'TLS_ECDHE_RSA_WITH_CAMELLIA_256_CBC_SHA384',
    'TLS_ECDHE_RSA_WITH_CAMELLIA_128_GCM_SHA256',
    'TLS_ECDHE_RSA_WITH_CAMELLIA_128_CBC_SHA256',
    'TLS_ECDHE_RSA_WITH_ARIA_256_GCM_SHA384',
    'TLS_ECDHE_RSA_WITH_ARIA_256_CBC_SHA384',
    'TLS_ECDHE_RSA_WITH_ARIA_128_GCM_SHA256',
    'TLS_ECDHE_RSA_WITH_ARIA_128_CBC_SHA256',
    'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384',
    'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256',
    'TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256',
    'TLS_DHE_RSA_WITH_CAMELLIA_256_GCM_SHA384',
    'TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA256',
    'TLS_DHE_RSA_WITH_CAMELLIA_128_GCM_SHA256',
    'TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA256',
    'TLS_DHE_RSA_WITH_ARIA_256_GCM_SHA384',
    'TLS_DHE_RSA_WITH_ARIA_256_CBC_SHA384',
    'TLS_DHE_RSA_WITH_ARIA_128_GCM_SHA256',
    'TLS_DHE_RSA_WITH_ARIA_128_CBC_SHA256',
    'TLS_DHE_RSA_WITH_AES_256_GCM_SHA384',
    'TLS_DHE_RSA_WITH_AES_256_CCM',
    'TLS_DHE_RSA_WITH_AES_256_CBC_SHA256',
    'TLS_DHE_RSA_WITH_AES_128_GCM_SHA256',
    'TLS_DHE_RSA_WITH_AES_128_CCM',
    'TLS_DHE_RSA_WITH_AES_128_CBC_SHA256',
  ],
} as const;

/** Mozilla 5.8: `modern` and `intermediate` ciphersuites (TLS 1.3), `intermediate` ciphers (IANA), and what only `old` adds. */
const MOZILLA_CIPHERS = {
  good: ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'],
  sufficient: [
    'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
    'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
    'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
    'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
    'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256',
    'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256',
    'TLS_DHE_RSA_WITH_AES_256_GCM_SHA384',
    'TLS_DHE_RSA_WITH_AES_128_GCM_SHA256',
    'TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256',
  ],
  'phase-out': [
    'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256',
    'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256',
    'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA',
    'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA',
    'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384',
    'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384',
    'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA',
    'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA',
    'TLS_DHE_RSA_WITH_AES_128_CBC_SHA256',
    'TLS_DHE_RSA_WITH_AES_256_CBC_SHA256',
    'TLS_RSA_WITH_AES_128_GCM_SHA256',
    'TLS_RSA_WITH_AES_256_GCM_SHA384',
    'TLS_RSA_WITH_AES_128_CBC_SHA256',
    'TLS_RSA_WITH_AES_256_CBC_SHA256',
    'TLS_RSA_WITH_AES_128_CBC_SHA',
    'TLS_RSA_WITH_AES_256_CBC_SHA',
    'TLS_RSA_WITH_3DES_EDE_CBC_SHA',
  ],
} as const;

/** NCSC §3.3.2.1 table 3 (internet.nl FS_EC_GOOD, FS_EC_PHASE_OUT); hybrid ML-KEM groups are good in NCSC 2025-05 (§3.3.2.2) though internet.nl does not test them yet. */
const NCSC_GROUPS = {
  good: ['secp521r1', 'secp384r1', 'secp256r1', 'brainpoolp512r1', 'brainpoolp384r1', 'brainpoolp256r1', 'x25519', 'x448', 'x25519mlkem768', 'secp256r1mlkem768', 'secp384r1mlkem1024'],
  sufficient: [],
  'phase-out': ['secp224r1'],
} as const;

/**
 * The profiles, by id.
 *
 * @example GUIDELINE_PROFILES['mozilla-intermediate'].clientCipherOrder // null: Mozilla leaves the order to the client
 */
export const GUIDELINE_PROFILES: Readonly<Record<GuidelineProfileId, GuidelineProfile>> = {
  ncsc: {
    id: 'ncsc',
    title: 'NCSC-NL TLS guidelines 2025-05, as internet.nl applies them to mail',
    source:
      'https://www.ncsc.nl/documenten/publicaties/2025/juni/01/ict-beveiligingsrichtlijnen-voor-transport-layer-security-2025-05; internetstandards/Internet.nl checks/tasks/tls/tls_constants.py at cec0e01d0b30 (2026-07-14)',
    ciphers: NCSC_CIPHERS,
    groups: NCSC_GROUPS,
    // §3.3.3.1 table 7: only the RFC 7919 groups ffdhe3072 and larger, as phase-out; ffdhe2048 and any other prime insufficient.
    dhNamedOnly: true,
    dhBits: [{ min: 3072, tier: 'phase-out' }],
    certKey: {
      // §3.3.2.1: RSA 3072 good, 2048 phase-out (internet.nl CERT_RSA_MIN_GOOD_KEY_SIZE, CERT_RSA_MIN_PHASE_OUT_KEY_SIZE).
      rsaBits: [
        { min: 3072, tier: 'good' },
        { min: 2048, tier: 'phase-out' },
      ],
      curves: { good: ['secp521r1', 'secp384r1', 'secp256r1', 'brainpoolp512r1', 'brainpoolp384r1', 'brainpoolp256r1'], sufficient: [], 'phase-out': ['secp224r1'] },
      types: { ed25519: 'good', ed448: 'good' },
    },
    // §3.3.2, §3.3.5: SHA-2 good, SHA-224 phase-out, SHA-1 and MD5 insufficient (internet.nl CERT_SIGALG_*).
    certHash: { sha512: 'good', sha384: 'good', sha256: 'good', ed25519: 'good', ed448: 'good', sha224: 'phase-out' },
    rsaHashOtherThanSha256: null,
    // internet.nl (mail, 2026): a phase-out suite preferred over a good or sufficient one fails the cipher order test.
    clientCipherOrder: 'insufficient',
    // §3.4.1; internet.nl fails mail servers with TLS compression.
    compression: 'insufficient',
    // §3.4.2: insecure renegotiation insufficient.
    insecureRenegotiation: 'insufficient',
    // §3.4.2: client-initiated renegotiation limited (at most 10) is sufficient, unlimited phase-out; one renegotiation cannot tell the two apart.
    clientRenegotiation: 'phase-out',
    // Chapter 4 names EMS a precondition, no requirement of its own (internet.nl, since 2026-04, fails a TLS 1.2 server without it: #2023).
    noExtendedMasterSecret: 'phase-out',
    commandInjection: 'insufficient',
  },
  'mozilla-intermediate': {
    id: 'mozilla-intermediate',
    title: 'Mozilla Server Side TLS 5.8, intermediate configuration',
    source: 'https://ssl-config.mozilla.org/guidelines/5.8.json; mozilla/ssl-config-generator src/static/guidelines/5.8.json at 54e0500e65fd',
    ciphers: MOZILLA_CIPHERS,
    // tls_curves of every configuration; other groups NCSC calls good are outside the profile but not weak.
    groups: {
      good: ['x25519', 'secp256r1', 'secp384r1'],
      sufficient: ['secp521r1', 'x448', 'brainpoolp512r1', 'brainpoolp384r1', 'brainpoolp256r1', 'x25519mlkem768', 'secp256r1mlkem768', 'secp384r1mlkem1024'],
      'phase-out': [],
    },
    // dh_param_size: intermediate 2048, old 1024; any prime of that size.
    dhNamedOnly: false,
    dhBits: [
      { min: 2048, tier: 'sufficient' },
      { min: 1024, tier: 'phase-out' },
    ],
    certKey: {
      // rsa_key_size 2048 (intermediate, old); certificate_curves prime256v1, secp384r1 (modern).
      rsaBits: [{ min: 2048, tier: 'sufficient' }],
      curves: { good: ['secp256r1', 'secp384r1'], sufficient: ['secp521r1', 'brainpoolp512r1', 'brainpoolp384r1', 'brainpoolp256r1'], 'phase-out': [] },
      types: { ed25519: 'sufficient', ed448: 'sufficient' },
    },
    // certificate_signatures: ecdsa-with-SHA256/384/512 (modern), sha256WithRSAEncryption (intermediate).
    certHash: { sha512: 'good', sha384: 'good', sha256: 'good', ed25519: 'sufficient', ed448: 'sufficient', sha224: 'phase-out' },
    rsaHashOtherThanSha256: 'sufficient',
    // server_preferred_order: false for intermediate.
    clientCipherOrder: null,
    compression: 'insufficient',
    insecureRenegotiation: 'insufficient',
    clientRenegotiation: 'phase-out',
    noExtendedMasterSecret: null,
    commandInjection: 'insufficient',
  },
};

/**
 * A profile id from its text (without regard to case); null when it names none.
 *
 * @example parseProfile('NCSC') // 'ncsc'
 */
export function parseProfile(text: string): GuidelineProfileId | null {
  const id = text.trim().toLowerCase();
  return (GUIDELINE_PROFILE_IDS as readonly string[]).includes(id) ? (id as GuidelineProfileId) : null;
}

const listed = (lists: GuidelineProfile['ciphers'], key: string): Tier => {
  for (const tier of ['good', 'sufficient', 'phase-out'] as const) if (lists[tier].includes(key)) return tier;
  return 'insufficient';
};
const byThreshold = (rows: readonly Threshold[], value: number): Tier => rows.find((r) => value >= r.min)?.tier ?? 'insufficient';

/**
 * A protocol version's tier: the `tiers` column of the one protocol table (model/tls-protocols.ts);
 * a version the table does not know is insufficient.
 *
 * @example protocolTier(GUIDELINE_PROFILES.ncsc, 'TLSv1.3') // 'good'
 * @example protocolTier(GUIDELINE_PROFILES['mozilla-intermediate'], 'TLSv1') // 'phase-out'
 */
export function protocolTier(profile: GuidelineProfile, version: string): Tier {
  const row = TLS_PROTOCOLS.find((r) => r.name === tlsProtocol(version)?.name);
  return row?.tiers[profile.id] ?? 'insufficient';
}

/**
 * A cipher suite's tier, by its IANA name (`SSL_` read as `TLS_`).
 *
 * @example suiteTier(GUIDELINE_PROFILES.ncsc, 'TLS_RSA_WITH_3DES_EDE_CBC_SHA') // 'insufficient'
 */
export function suiteTier(profile: GuidelineProfile, ianaName: string): Tier {
  return listed(profile.ciphers, ianaName.replace(/^SSL_/, 'TLS_'));
}

/** Other names of the groups: OpenSSL's and Node's (prime256v1, X25519, P-256), and NIST's. */
const GROUP_ALIASES: Readonly<Record<string, string>> = {
  prime256v1: 'secp256r1',
  'p-256': 'secp256r1',
  'p-384': 'secp384r1',
  'p-521': 'secp521r1',
  'p-224': 'secp224r1',
  prime192v1: 'secp192r1',
  'p-192': 'secp192r1',
  brainpoolp256r1tls13: 'brainpoolp256r1',
  brainpoolp384r1tls13: 'brainpoolp384r1',
  brainpoolp512r1tls13: 'brainpoolp512r1',
};

/**
 * A group's IANA name in lower case, from IANA's, OpenSSL's or NIST's spelling.
 *
 * @example groupName('prime256v1') // 'secp256r1'; groupName('X25519') // 'x25519'
 */
export function groupName(name: string): string {
  const lower = name.trim().toLowerCase();
  return GROUP_ALIASES[lower] ?? lower;
}

/**
 * A named key exchange group's tier (x25519, secp256r1, …; RFC 7919 ffdhe groups by their size).
 *
 * @example groupTier(GUIDELINE_PROFILES.ncsc, 'prime256v1') // 'good'
 * @example groupTier(GUIDELINE_PROFILES.ncsc, 'ffdhe2048') // 'insufficient'
 */
export function groupTier(profile: GuidelineProfile, name: string): Tier {
  const group = groupName(name);
  const ffdhe = /^ffdhe(\d{4})$/.exec(group);
  if (ffdhe !== null) return dhTier(profile, Number(ffdhe[1]));
  return listed(profile.groups, group);
}

/**
 * A finite-field DH group's tier by the bits of its prime.
 *
 * @example dhTier(GUIDELINE_PROFILES.ncsc, 1024) // 'insufficient'
 * @example dhTier(GUIDELINE_PROFILES['mozilla-intermediate'], 2048) // 'sufficient'
 */
export function dhTier(profile: GuidelineProfile, bits: number): Tier {
  return byThreshold(profile.dhBits, bits);
}

/**
 * A certificate key's tier: RSA by bits, EC by curve, others by type.
 *
 * @example certKeyTier(GUIDELINE_PROFILES.ncsc, 'rsa', 2048, null) // 'phase-out'
 * @example certKeyTier(GUIDELINE_PROFILES.ncsc, 'ec', 256, 'prime256v1') // 'good'
 */
export function certKeyTier(profile: GuidelineProfile, keyType: string, keyBits: number | null, curve: string | null): Tier {
  const type = keyType.toLowerCase();
  if (type === 'rsa' || type === 'rsa-pss') return keyBits === null ? 'insufficient' : byThreshold(profile.certKey.rsaBits, keyBits);
  if (type === 'ec') return curve === null ? 'insufficient' : listed(profile.certKey.curves, groupName(curve));
  return profile.certKey.types[type] ?? 'insufficient';
}

/**
 * The hash of a certificate signature algorithm as OpenSSL names it (sha256WithRSAEncryption,
 * ecdsa-with-SHA384, ED25519, RSA-SHA1, md5WithRSAEncryption); null when the name says none
 * (RSASSA-PSS names its hash in parameters mxprobe does not read).
 *
 * @example signatureHash('ecdsa-with-SHA384') // 'sha384'
 */
export function signatureHash(algorithm: string): string | null {
  const name = algorithm.toLowerCase();
  if (name.includes('ed25519')) return 'ed25519';
  if (name.includes('ed448')) return 'ed448';
  const hash = /(sha-?(?:512|384|256|224|1)(?!\d)|md5|md2)/.exec(name)?.[1];
  return hash === undefined ? null : hash.replace('-', '');
}

/**
 * A certificate signature algorithm's tier; null when its hash cannot be told from its name.
 *
 * @example certHashTier(GUIDELINE_PROFILES.ncsc, 'sha1WithRSAEncryption') // 'insufficient'
 * @example certHashTier(GUIDELINE_PROFILES['mozilla-intermediate'], 'sha384WithRSAEncryption') // 'sufficient'
 */
export function certHashTier(profile: GuidelineProfile, algorithm: string): Tier | null {
  const hash = signatureHash(algorithm);
  if (hash === null) return null;
  const tier = profile.certHash[hash] ?? 'insufficient';
  const rsa = /rsa/i.test(algorithm) && !/ecdsa/i.test(algorithm);
  if (rsa && profile.rsaHashOtherThanSha256 !== null && (hash === 'sha384' || hash === 'sha512')) return worstTier([tier, profile.rsaHashOtherThanSha256]);
  return tier;
}

/**
 * What a graded fact is about.
 *
 * @example const kind: GradedFactKind = 'protocol';
 */
export type GradedFactKind =
  | 'protocol'
  | 'cipher'
  | 'cipher-order'
  | 'group'
  | 'dh'
  | 'cert-key'
  | 'cert-hash'
  | 'compression'
  | 'renegotiation'
  | 'client-renegotiation'
  | 'extended-master-secret'
  | 'command-injection';

/**
 * One fact with its tier: what was accepted or seen (`subject`: "TLSv1", an IANA suite name,
 * "x25519", "DH 2048", "RSA 2048 (CN=mx.example.com)", …), and whether the deep probe or the
 * probe's own handshake saw it.
 *
 * @example const fact: GradedFact = { kind: 'protocol', subject: 'TLSv1', tier: 'insufficient', seenBy: 'deep' };
 */
export interface GradedFact {
  kind: GradedFactKind;
  /** May hold server text (a certificate's subject): sanitise before display. */
  subject: string;
  tier: Tier;
  seenBy: 'probe' | 'deep';
}

/**
 * One address graded under one profile: each fact's tier, the worst, and whether every check
 * was made (`complete`: a deep probe ran to its end and told every fact; `missing` says what
 * was not told, e.g. "--deep was not run", "TLSv1.1: the connection failed").
 *
 * @example const insufficient = (g: AddressGrade) => g.worst === 'insufficient';
 */
export interface AddressGrade {
  profile: GuidelineProfileId;
  facts: GradedFact[];
  /** The worst tier of `facts`; null when nothing was graded (no TLS). */
  worst: Tier | null;
  complete: boolean;
  missing: string[];
}

/**
 * The graded requirement (`--require …+graded`) of a domain: under which profile, the worst tier
 * over its reachable addresses, and whether none was graded insufficient (`satisfied`; null when
 * an address could not be graded completely and none was insufficient).
 *
 * @example const failed = (g: GradedVerdict) => g.satisfied === false;
 */
export interface GradedVerdict {
  profile: GuidelineProfileId;
  worst: Tier | null;
  satisfied: boolean | null;
}
