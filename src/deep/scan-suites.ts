/**
 * The cipher suites the deep scans offer, by IANA code point and name (IANA "TLS Cipher
 * Suites"), with the oldest protocol each may be negotiated with.
 *
 * STAND-IN, TO BE REPLACED: the scans must offer "every suite the guideline tiers name", and
 * those tiers live in one place (model/tls-guidelines.ts, being written in parallel). Until
 * that table exists this list stands in for it: every TLS ≤1.2 suite OpenSSL 3.0 knows
 * without PSK or SRP (a server picks those only for a client with a pre-shared key or a
 * password), plus the RC4, DES, 3DES, EXPORT, IDEA and SEED suites OpenSSL 3 no longer builds.
 * Replace SCAN_SUITES by a read of the guidelines table; nothing else here should change.
 */

/** The protocols a suite may be offered with: `10` SSLv3 to TLS 1.2, `12` TLS 1.2 only (AEAD, SHA-256/384 PRF suites: RFC 5246 §1.2). */
type Since = 10 | 12;

/**
 * One suite the scans offer.
 *
 * @example const rc4: ScanSuite = { code: 0x0005, name: 'TLS_RSA_WITH_RC4_128_SHA', since: 10 };
 */
export interface ScanSuite {
  readonly code: number;
  readonly name: string;
  readonly since: Since;
}

const ROWS: ReadonlyArray<readonly [number, string, Since]> = [
  [0xc0ac, 'TLS_ECDHE_ECDSA_WITH_AES_128_CCM', 12],
  [0xc0ae, 'TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8', 12],
  [0xc02b, 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', 12],
  [0xc0ad, 'TLS_ECDHE_ECDSA_WITH_AES_256_CCM', 12],
  [0xc0af, 'TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8', 12],
  [0xc02c, 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384', 12],
  [0xc05c, 'TLS_ECDHE_ECDSA_WITH_ARIA_128_GCM_SHA256', 12],
  [0xc05d, 'TLS_ECDHE_ECDSA_WITH_ARIA_256_GCM_SHA384', 12],
  [0xcca9, 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256', 12],
  [0xc02f, 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 12],
  [0xc030, 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', 12],
  [0xc060, 'TLS_ECDHE_RSA_WITH_ARIA_128_GCM_SHA256', 12],
  [0xc061, 'TLS_ECDHE_RSA_WITH_ARIA_256_GCM_SHA384', 12],
  [0xcca8, 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256', 12],
  [0x00a2, 'TLS_DHE_DSS_WITH_AES_128_GCM_SHA256', 12],
  [0x00a3, 'TLS_DHE_DSS_WITH_AES_256_GCM_SHA384', 12],
  [0xc056, 'TLS_DHE_DSS_WITH_ARIA_128_GCM_SHA256', 12],
  [0xc057, 'TLS_DHE_DSS_WITH_ARIA_256_GCM_SHA384', 12],
  [0xc09e, 'TLS_DHE_RSA_WITH_AES_128_CCM', 12],
  [0xc0a2, 'TLS_DHE_RSA_WITH_AES_128_CCM_8', 12],
  [0x009e, 'TLS_DHE_RSA_WITH_AES_128_GCM_SHA256', 12],
  [0xc09f, 'TLS_DHE_RSA_WITH_AES_256_CCM', 12],
  [0xc0a3, 'TLS_DHE_RSA_WITH_AES_256_CCM_8', 12],
  [0x009f, 'TLS_DHE_RSA_WITH_AES_256_GCM_SHA384', 12],
  [0xc052, 'TLS_DHE_RSA_WITH_ARIA_128_GCM_SHA256', 12],
  [0xc053, 'TLS_DHE_RSA_WITH_ARIA_256_GCM_SHA384', 12],
  [0xccaa, 'TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256', 12],
  [0xc09c, 'TLS_RSA_WITH_AES_128_CCM', 12],
  [0xc0a0, 'TLS_RSA_WITH_AES_128_CCM_8', 12],
  [0x009c, 'TLS_RSA_WITH_AES_128_GCM_SHA256', 12],
  [0xc09d, 'TLS_RSA_WITH_AES_256_CCM', 12],
  [0xc0a1, 'TLS_RSA_WITH_AES_256_CCM_8', 12],
  [0x009d, 'TLS_RSA_WITH_AES_256_GCM_SHA384', 12],
  [0xc050, 'TLS_RSA_WITH_ARIA_128_GCM_SHA256', 12],
  [0xc051, 'TLS_RSA_WITH_ARIA_256_GCM_SHA384', 12],
  [0xc009, 'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA', 10],
  [0xc023, 'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256', 12],
  [0xc00a, 'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA', 10],
  [0xc024, 'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384', 12],
  [0xc072, 'TLS_ECDHE_ECDSA_WITH_CAMELLIA_128_CBC_SHA256', 12],
  [0xc073, 'TLS_ECDHE_ECDSA_WITH_CAMELLIA_256_CBC_SHA384', 12],
  [0xc013, 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA', 10],
  [0xc027, 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256', 12],
  [0xc014, 'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA', 10],
  [0xc028, 'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384', 12],
  [0xc076, 'TLS_ECDHE_RSA_WITH_CAMELLIA_128_CBC_SHA256', 12],
  [0xc077, 'TLS_ECDHE_RSA_WITH_CAMELLIA_256_CBC_SHA384', 12],
  [0x0032, 'TLS_DHE_DSS_WITH_AES_128_CBC_SHA', 10],
  [0x0040, 'TLS_DHE_DSS_WITH_AES_128_CBC_SHA256', 12],
  [0x0038, 'TLS_DHE_DSS_WITH_AES_256_CBC_SHA', 10],
  [0x006a, 'TLS_DHE_DSS_WITH_AES_256_CBC_SHA256', 12],
  [0x0044, 'TLS_DHE_DSS_WITH_CAMELLIA_128_CBC_SHA', 10],
  [0x00bd, 'TLS_DHE_DSS_WITH_CAMELLIA_128_CBC_SHA256', 12],
  [0x0087, 'TLS_DHE_DSS_WITH_CAMELLIA_256_CBC_SHA', 10],
  [0x00c3, 'TLS_DHE_DSS_WITH_CAMELLIA_256_CBC_SHA256', 12],
  [0x0033, 'TLS_DHE_RSA_WITH_AES_128_CBC_SHA', 10],
  [0x0067, 'TLS_DHE_RSA_WITH_AES_128_CBC_SHA256', 12],
  [0x0039, 'TLS_DHE_RSA_WITH_AES_256_CBC_SHA', 10],
  [0x006b, 'TLS_DHE_RSA_WITH_AES_256_CBC_SHA256', 12],
  [0x0045, 'TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA', 10],
  [0x00be, 'TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA256', 12],
  [0x0088, 'TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA', 10],
  [0x00c4, 'TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA256', 12],
  [0x002f, 'TLS_RSA_WITH_AES_128_CBC_SHA', 10],
  [0x003c, 'TLS_RSA_WITH_AES_128_CBC_SHA256', 12],
  [0x0035, 'TLS_RSA_WITH_AES_256_CBC_SHA', 10],
  [0x003d, 'TLS_RSA_WITH_AES_256_CBC_SHA256', 12],
  [0x0041, 'TLS_RSA_WITH_CAMELLIA_128_CBC_SHA', 10],
  [0x00ba, 'TLS_RSA_WITH_CAMELLIA_128_CBC_SHA256', 12],
  [0x0084, 'TLS_RSA_WITH_CAMELLIA_256_CBC_SHA', 10],
  [0x00c0, 'TLS_RSA_WITH_CAMELLIA_256_CBC_SHA256', 12],
  [0x00a6, 'TLS_DH_anon_WITH_AES_128_GCM_SHA256', 12],
  [0x00a7, 'TLS_DH_anon_WITH_AES_256_GCM_SHA384', 12],
  [0xc008, 'TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA', 10],
  [0xc006, 'TLS_ECDHE_ECDSA_WITH_NULL_SHA', 10],
  [0xc007, 'TLS_ECDHE_ECDSA_WITH_RC4_128_SHA', 10],
  [0xc012, 'TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA', 10],
  [0xc010, 'TLS_ECDHE_RSA_WITH_NULL_SHA', 10],
  [0xc011, 'TLS_ECDHE_RSA_WITH_RC4_128_SHA', 10],
  [0x0011, 'TLS_DHE_DSS_EXPORT_WITH_DES40_CBC_SHA', 10],
  [0x0013, 'TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA', 10],
  [0x0012, 'TLS_DHE_DSS_WITH_DES_CBC_SHA', 10],
  [0x0099, 'TLS_DHE_DSS_WITH_SEED_CBC_SHA', 10],
  [0x0014, 'TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA', 10],
  [0x0016, 'TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA', 10],
  [0x0015, 'TLS_DHE_RSA_WITH_DES_CBC_SHA', 10],
  [0x009a, 'TLS_DHE_RSA_WITH_SEED_CBC_SHA', 10],
  [0x000a, 'TLS_RSA_WITH_3DES_EDE_CBC_SHA', 10],
  [0x0009, 'TLS_RSA_WITH_DES_CBC_SHA', 10],
  [0x0007, 'TLS_RSA_WITH_IDEA_CBC_SHA', 10],
  [0x0001, 'TLS_RSA_WITH_NULL_MD5', 10],
  [0x0002, 'TLS_RSA_WITH_NULL_SHA', 10],
  [0x003b, 'TLS_RSA_WITH_NULL_SHA256', 12],
  [0x0004, 'TLS_RSA_WITH_RC4_128_MD5', 10],
  [0x0005, 'TLS_RSA_WITH_RC4_128_SHA', 10],
  [0x0096, 'TLS_RSA_WITH_SEED_CBC_SHA', 10],
  [0x0019, 'TLS_DH_anon_EXPORT_WITH_DES40_CBC_SHA', 10],
  [0x0017, 'TLS_DH_anon_EXPORT_WITH_RC4_40_MD5', 10],
  [0x001b, 'TLS_DH_anon_WITH_3DES_EDE_CBC_SHA', 10],
  [0x0034, 'TLS_DH_anon_WITH_AES_128_CBC_SHA', 10],
  [0x006c, 'TLS_DH_anon_WITH_AES_128_CBC_SHA256', 12],
  [0x003a, 'TLS_DH_anon_WITH_AES_256_CBC_SHA', 10],
  [0x006d, 'TLS_DH_anon_WITH_AES_256_CBC_SHA256', 12],
  [0x0046, 'TLS_DH_anon_WITH_CAMELLIA_128_CBC_SHA', 10],
  [0x00bf, 'TLS_DH_anon_WITH_CAMELLIA_128_CBC_SHA256', 12],
  [0x0089, 'TLS_DH_anon_WITH_CAMELLIA_256_CBC_SHA', 10],
  [0x00c5, 'TLS_DH_anon_WITH_CAMELLIA_256_CBC_SHA256', 12],
  [0x001a, 'TLS_DH_anon_WITH_DES_CBC_SHA', 10],
  [0x0018, 'TLS_DH_anon_WITH_RC4_128_MD5', 10],
  [0x009b, 'TLS_DH_anon_WITH_SEED_CBC_SHA', 10],
  [0xc017, 'TLS_ECDH_anon_WITH_3DES_EDE_CBC_SHA', 10],
  [0xc018, 'TLS_ECDH_anon_WITH_AES_128_CBC_SHA', 10],
  [0xc019, 'TLS_ECDH_anon_WITH_AES_256_CBC_SHA', 10],
  [0xc015, 'TLS_ECDH_anon_WITH_NULL_SHA', 10],
  [0xc016, 'TLS_ECDH_anon_WITH_RC4_128_SHA', 10],
  [0x0062, 'TLS_RSA_EXPORT1024_WITH_DES_CBC_SHA', 10],
  [0x0064, 'TLS_RSA_EXPORT1024_WITH_RC4_56_SHA', 10],
  [0x0008, 'TLS_RSA_EXPORT_WITH_DES40_CBC_SHA', 10],
  [0x0006, 'TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5', 10],
  [0x0003, 'TLS_RSA_EXPORT_WITH_RC4_40_MD5', 10],
];

/**
 * TLS ≤1.2 suites, in the order a hello offers them (AEAD with forward secrecy first, broken
 * ones last), so a server that picks by the client's order picks what a current sender gets.
 *
 * @example SCAN_SUITES.filter((s) => s.since === 10).length // the TLS 1.0 hello's suites
 */
export const SCAN_SUITES: readonly ScanSuite[] = ROWS.map(([code, name, since]) => ({ code, name, since }));

/**
 * TLS 1.3's five suites (RFC 8446 §B.4).
 *
 * @example TLS13_SCAN_SUITES.map((s) => s.code) // [0x1301, 0x1302, 0x1303, 0x1304, 0x1305]
 */
export const TLS13_SCAN_SUITES: readonly ScanSuite[] = [
  { code: 0x1301, name: 'TLS_AES_128_GCM_SHA256', since: 12 },
  { code: 0x1302, name: 'TLS_AES_256_GCM_SHA384', since: 12 },
  { code: 0x1303, name: 'TLS_CHACHA20_POLY1305_SHA256', since: 12 },
  { code: 0x1304, name: 'TLS_AES_128_CCM_SHA256', since: 12 },
  { code: 0x1305, name: 'TLS_AES_128_CCM_8_SHA256', since: 12 },
];

const BY_CODE: ReadonlyMap<number, ScanSuite> = new Map([...SCAN_SUITES, ...TLS13_SCAN_SUITES].map((s) => [s.code, s]));

/**
 * A suite's IANA name, or `0x…` for a code point the table does not know.
 *
 * @example suiteName(0x000a) // 'TLS_RSA_WITH_3DES_EDE_CBC_SHA'
 */
export function suiteName(code: number): string {
  return BY_CODE.get(code)?.name ?? `0x${code.toString(16).padStart(4, '0')}`;
}
