/**
 * The TLS reporting record at `_smtp._tls.DOMAIN` (RFC 8460 §3): of the TXT records there,
 * those not starting with `v=TLSRPTv1` are ignored; exactly one must remain, with a `rua`
 * field of `mailto:` or `https:` URIs separated by commas, where senders send their reports.
 * Pure.
 */
import { quote } from '../render/sanitize.js';
import type { TlsRptFacts } from '../model/mta-sts.js';
import { EXTENSION_NAME, EXTENSION_VALUE, recordText, splitFields, startsWithVersion } from './txt-fields.js';

/** The version field that starts every TLS reporting record (RFC 8460 §3 `tlsrpt-version`, case-sensitive). */
export const TLSRPT_VERSION = 'v=TLSRPTv1';

/**
 * What the `_smtp._tls` TXT records say: none, a valid record and where reports go, or an
 * invalid one with every reason.
 *
 * @example const reportsTo = (r: TlsRptReading) => (r.status === 'valid' ? r.rua : []);
 */
export type TlsRptReading =
  | { status: 'none' }
  | { status: 'valid'; record: string; rua: string[] }
  | { status: 'invalid'; record: string; errors: string[] };

/** A mailto: URI with one address (RFC 6068; "," and ";" inside must be %-encoded, RFC 8460 §3). */
const MAILTO = /^mailto:[^\s@,;]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?\.[A-Za-z0-9-]+\.?$/;

/** Why one `rua` URI is not usable, or null. */
function uriError(uri: string): string | null {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(uri)?.[1]?.toLowerCase();
  if (scheme === 'mailto') return MAILTO.test(uri.replace(/^mailto:/i, 'mailto:')) ? null : `${quote(uri, 80)} is not a mailto: URI with one address`;
  if (scheme === 'https') {
    try {
      const url = new URL(uri);
      return url.hostname === '' ? `${quote(uri, 80)} has no host` : null;
    } catch {
      return `${quote(uri, 80)} is not a valid https: URI`;
    }
  }
  return `${quote(uri, 80)} is neither a mailto: nor an https: URI (RFC 8460 §3)`;
}

/**
 * Reads the TXT records of `_smtp._tls.DOMAIN` (RFC 8460 §3).
 *
 * @example parseTlsRpt(['v=TLSRPTv1; rua=mailto:reports@example.com']) // { status: 'valid', record: '…', rua: ['mailto:reports@example.com'] }
 * @example parseTlsRpt(['v=TLSRPTv1; rua=ftp://example.com/x']).status // 'invalid'
 */
export function parseTlsRpt(txt: readonly (string | readonly string[])[]): TlsRptReading {
  const texts = txt.map(recordText).filter((t) => startsWithVersion(t, TLSRPT_VERSION));
  if (texts.length === 0) return { status: 'none' };
  const record = texts[0] as string;
  if (texts.length > 1) return { status: 'invalid', record, errors: [`${texts.length} TXT records start with "v=TLSRPTv1"; there must be exactly one (RFC 8460 §3), so senders send no report`] };
  const errors: string[] = [];
  const { fields, error } = splitFields(record);
  if (error !== null) errors.push(`${error} (RFC 8460 §3)`);
  let rua: string[] | null = null;
  for (const field of fields.slice(1)) {
    if (field.name === 'rua') {
      if (rua !== null) {
        errors.push('the rua field is given twice: give every URI in one, separated by commas');
        continue;
      }
      rua = field.value.split(/[ \t]*,[ \t]*/);
      for (const uri of rua) {
        const problem = uri === '' ? 'a URI is empty (a stray comma?)' : uriError(uri);
        if (problem !== null) errors.push(`in rua: ${problem}`);
      }
    } else if (!EXTENSION_NAME.test(field.name)) {
      errors.push(`the field name ${quote(field.name, 40)} is not a valid name (letters, digits, "_", "-", "."; 32 at most)`);
    } else if (!EXTENSION_VALUE.test(field.value)) {
      errors.push(`the value of ${quote(field.name, 40)} is empty or holds a space, ";", "=" or a control character`);
    }
  }
  if (rua === null && error === null) errors.push('the record has no rua field ("rua=mailto:…" or "rua=https://…")');
  if (errors.length > 0 || rua === null) return { status: 'invalid', record, errors };
  return { status: 'valid', record, rua };
}

/**
 * The domain's TLS reporting facts from the TXT records at `_smtp._tls.DOMAIN` (null: the
 * look-up failed).
 *
 * @example tlsRptFacts(['v=TLSRPTv1; rua=mailto:tls@example.com']).rua // ['mailto:tls@example.com']
 */
export function tlsRptFacts(txt: readonly (string | readonly string[])[] | null): TlsRptFacts {
  if (txt === null) return { txt: null, record: null, rua: [], error: null };
  const texts = txt.map(recordText);
  const reading = parseTlsRpt(texts);
  if (reading.status === 'none') return { txt: texts, record: null, rua: [], error: null };
  if (reading.status === 'invalid') return { txt: texts, record: reading.record, rua: [], error: reading.errors[0] ?? 'invalid' };
  return { txt: texts, record: reading.record, rua: reading.rua, error: null };
}
