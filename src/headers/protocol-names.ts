/**
 * Names in Received fields: the `with` protocol keywords of RFC 3848 (ESMTPS, ESMTPA, ESMTPSA,
 * LMTPS, …), RFC 6531 §3.7.3 (UTF8SMTP…) and the IANA "Mail Transmission Types" registry, plus
 * SMTPS (Gmail) and HTTP(S) (Microsoft 365). Pure tables. The spellings of TLS versions are in the one
 * protocol table, model/tls-protocols.ts.
 */

export type KeywordClass = 'tls' | 'plain' | 'local';

const KEYWORD_CLASS: Readonly<Record<string, KeywordClass>> = {
  esmtps: 'tls',
  esmtpsa: 'tls',
  lmtps: 'tls',
  lmtpsa: 'tls',
  utf8smtps: 'tls',
  utf8smtpsa: 'tls',
  utf8lmtps: 'tls',
  utf8lmtpsa: 'tls',
  smtps: 'tls',
  https: 'tls',
  smtp: 'plain',
  esmtp: 'plain',
  esmtpa: 'plain',
  lmtp: 'plain',
  lmtpa: 'plain',
  utf8smtp: 'plain',
  utf8smtpa: 'plain',
  utf8lmtp: 'plain',
  utf8lmtpa: 'plain',
  http: 'plain',
  // Exim's and sendmail's names for mail that came from a local process, not a connection.
  local: 'local',
  'local-esmtp': 'local',
  'local-smtp': 'local',
  'local-bsmtp': 'local',
};

/** Keywords not from RFC 3848, and who defines them. */
const KEYWORD_SOURCE: Readonly<Record<string, string>> = {
  smtps: 'as Gmail writes it',
  https: 'as Microsoft 365 writes it',
  http: 'as Microsoft 365 writes it',
  ...Object.fromEntries(['utf8smtp', 'utf8smtpa', 'utf8smtps', 'utf8smtpsa', 'utf8lmtp', 'utf8lmtpa', 'utf8lmtps', 'utf8lmtpsa'].map((k) => [k, 'RFC 6531'])),
};

/**
 * Where a keyword's meaning comes from, for the `evidence` text: RFC 3848 unless listed.
 *
 * @example keywordSource('UTF8SMTPS') // 'RFC 6531'; keywordSource('ESMTPS') // 'RFC 3848'
 */
export function keywordSource(keyword: string | null): string {
  return KEYWORD_SOURCE[keyword?.toLowerCase() ?? ''] ?? 'RFC 3848';
}

/**
 * What a `with` keyword says about TLS; null for a keyword outside the table.
 *
 * @example keywordClass('ESMTPSA') // 'tls'; keywordClass('esmtp') // 'plain'; keywordClass('x') // null
 */
export function keywordClass(keyword: string | null): KeywordClass | null {
  if (keyword === null) return null;
  return KEYWORD_CLASS[keyword.toLowerCase()] ?? null;
}

/**
 * LMTP in any of its forms (RFC 2033, RFC 3848, RFC 6531): delivery into the mailbox store.
 *
 * @example isLmtp('LMTPS') // true
 */
export function isLmtp(keyword: string | null): boolean {
  const k = keyword?.toLowerCase() ?? '';
  return k.startsWith('lmtp') || k.startsWith('utf8lmtp');
}
