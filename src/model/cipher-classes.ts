/**
 * The one classification of cipher suites by name (OpenSSL, IANA and GnuTLS spellings): what
 * is weak in a suite, read from its name and, where known, its key bits. The probe
 * (TLS_WEAK_CIPHER) and `mxprobe headers` (HOP_WEAK_CIPHER, grade D) flag the `broken` rows;
 * `notice` rows (CBC) are classified but flagged by no judge yet. A row is data: a later
 * column (a grading tier, say) is an edit of the rows.
 */

/**
 * One class of weakness.
 *
 * @example const broken: CipherClassRow[] = cipherClasses('EDH-RSA-DES-CBC3-SHA').filter((c) => c.status === 'broken'); // the '3des' row
 */
export interface CipherClassRow {
  readonly id: 'null' | 'export' | 'rc4' | 'rc2' | '3des' | 'des' | 'md5' | 'anonymous' | 'cbc';
  /** How the weakness is named to a person ('RC4', '3DES', 'NULL encryption', …). */
  readonly label: string;
  /**
   * `broken`: no sender should negotiate it (RFC 9325 §4.1: no NULL, RC4, EXPORT, anonymous or
   * under 112 bits; RFC 7465 RC4; Sweet32 for 64-bit blocks); `notice`: weaker than current
   * practice but not flagged.
   */
  readonly status: 'broken' | 'notice';
  /** Tested on the upper-cased name. */
  readonly pattern: RegExp;
  /** Where the rule comes from. */
  readonly source: string;
  /** A suite of the class by its IANA name (tests judge each row through it). */
  readonly example: string;
}

/**
 * The classes, in the order a suite's weaknesses are listed.
 *
 * @example CIPHER_CLASSES.filter((c) => c.status === 'broken').map((c) => c.id) // ['null', 'export', 'rc4', 'rc2', '3des', 'des', 'md5', 'anonymous']
 */
export const CIPHER_CLASSES: readonly CipherClassRow[] = [
  { id: 'null', label: 'NULL encryption', status: 'broken', pattern: /NULL/, source: 'RFC 9325 §4.1', example: 'TLS_RSA_WITH_NULL_SHA256' },
  { id: 'export', label: 'EXPORT', status: 'broken', pattern: /EXPORT|^EXP-|^EXP1024/, source: 'RFC 9325 §4.1', example: 'TLS_RSA_EXPORT_WITH_DES40_CBC_SHA' },
  { id: 'rc4', label: 'RC4', status: 'broken', pattern: /RC4|ARCFOUR/, source: 'RFC 7465', example: 'TLS_RSA_WITH_RC4_128_SHA' },
  { id: 'rc2', label: 'RC2', status: 'broken', pattern: /RC2/, source: 'RFC 9325 §4.1 (40-bit export keys)', example: 'TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5' },
  { id: '3des', label: '3DES', status: 'broken', pattern: /3DES|DES[-_]?CBC3|DES[-_]EDE/, source: 'RFC 9325 §4.1, Sweet32 (64-bit blocks)', example: 'TLS_RSA_WITH_3DES_EDE_CBC_SHA' },
  // Single DES: a DES not followed by what makes it triple DES.
  { id: 'des', label: 'DES', status: 'broken', pattern: /DES(?![-_]?CBC3|[-_]EDE)/, source: 'RFC 9325 §4.1 (56-bit keys)', example: 'TLS_RSA_WITH_DES_CBC_SHA' },
  { id: 'md5', label: 'MD5', status: 'broken', pattern: /MD5/, source: 'RFC 9325 §4.1, RFC 6151', example: 'TLS_RSA_WITH_RC4_128_MD5' },
  { id: 'anonymous', label: 'anonymous (no server authentication)', status: 'broken', pattern: /^ADH-|^AECDH-|_ANON_|^ANON-/, source: 'RFC 9325 §4.1', example: 'TLS_DH_anon_WITH_AES_128_GCM_SHA256' },
  // CBC: named so by IANA and GnuTLS; OpenSSL names an AES, Camellia, ARIA, SEED or IDEA suite without GCM, CCM or ChaCha20 (TLS 1.2 and older: all CBC).
  { id: 'cbc', label: 'CBC', status: 'notice', pattern: /[-_]CBC|^(?!.*(?:GCM|CCM|CHACHA20|POLY1305)).*(?:AES|CAMELLIA|ARIA|SEED|IDEA)/, source: 'RFC 9325 §4.2 (prefer AEAD)', example: 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256' },
];

/**
 * RFC 9325 §4.1: cipher suites offering less than 112 bits of security MUST NOT be negotiated.
 *
 * @example bits < MIN_CIPHER_BITS // a weak key
 */
export const MIN_CIPHER_BITS = 112;

/**
 * Every class a suite's name falls in, `notice` ones too.
 *
 * @example cipherClasses('ECDHE-RSA-AES128-SHA').map((c) => c.id) // ['cbc']
 */
export function cipherClasses(cipher: string): CipherClassRow[] {
  const name = cipher.toUpperCase();
  return CIPHER_CLASSES.filter((c) => c.pattern.test(name));
}

/**
 * What is broken in a suite, in words; empty when nothing is. `bits` (the secret key bits,
 * where known) adds "N-bit key" below {@link MIN_CIPHER_BITS}.
 *
 * @example cipherWeaknesses('EDH-RSA-DES-CBC3-SHA') // ['3DES']
 * @example cipherWeaknesses('EXP-RC4-MD5', 40) // ['EXPORT', 'RC4', 'MD5', '40-bit key']
 */
export function cipherWeaknesses(cipher: string, bits: number | null = null): string[] {
  const weak = cipherClasses(cipher).filter((c) => c.status === 'broken').map((c) => c.label);
  if (bits !== null && bits > 0 && bits < MIN_CIPHER_BITS) weak.push(`${bits}-bit key`);
  return weak;
}
