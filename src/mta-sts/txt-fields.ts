/**
 * The `name=value; name=value` syntax shared by the MTA-STS record (RFC 8461 §3.1) and the
 * TLS reporting record (RFC 8460 §3): fields separated by `*WSP ";" *WSP`, an optional
 * separator at the end, each field a name, `=` and a value. Pure.
 */
import { quote } from '../render/sanitize.js';

/** One `name=value` field of a record, in order. @example const f: TxtField = { name: 'id', value: '20260601' }; */
export interface TxtField {
  name: string;
  value: string;
}

/** An extension field's name (RFC 8461 §3.1 `sts-ext-name`, RFC 8460 §3 `tlsrpt-ext-name`). */
export const EXTENSION_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/;
/** An extension field's value: printable ASCII but `;` and `=` (RFC 8461 §3.1 `sts-ext-value`, RFC 8460 §3 `tlsrpt-ext-value`). */
export const EXTENSION_VALUE = /^[\x21-\x3a\x3c\x3e-\x7e]+$/;

/**
 * The TXT record's text: the character strings of one record joined without a separator
 * (RFC 7208 §3.3 does the same for SPF; a 255-octet string limit splits long records).
 *
 * @example recordText(['v=STSv1; ', 'id=1']) // 'v=STSv1; id=1'
 */
export function recordText(record: string | readonly string[]): string {
  return typeof record === 'string' ? record : record.join('');
}

/**
 * Does the record start with this version field (`v=STSv1`, `v=TLSRPTv1`), followed by the end,
 * white space or `;`? Case-sensitive, as the ABNF's `%s` says.
 *
 * @example startsWithVersion('v=STSv1; id=1', 'v=STSv1') // true; startsWithVersion('v=STSv10', 'v=STSv1') // false
 */
export function startsWithVersion(text: string, version: string): boolean {
  return text.startsWith(version) && /^(?:$|[ \t;])/.test(text.slice(version.length));
}

/**
 * The record split into fields, or why it cannot be: a field that is not `name=value`, an
 * empty field between two separators, a character no field may hold.
 *
 * @example splitFields('v=STSv1; id=abc;') // { fields: [{ name: 'v', value: 'STSv1' }, { name: 'id', value: 'abc' }], error: null }
 */
export function splitFields(text: string): { fields: TxtField[]; error: string | null } {
  const fields: TxtField[] = [];
  const parts = text.split(/[ \t]*;[ \t]*/);
  // An optional separator at the end leaves one empty part (RFC 8461 §3.1 `[sts-field-delim]`).
  if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  for (const [i, part] of parts.entries()) {
    if (part === '') return { fields, error: i === 0 ? 'the record starts with ";"' : `field ${i + 1} is empty (two ";" in a row)` };
    const eq = part.indexOf('=');
    if (eq <= 0) return { fields, error: `field ${i + 1} (${quote(part, 40)}) is not name=value` };
    fields.push({ name: part.slice(0, eq), value: part.slice(eq + 1) });
  }
  return { fields, error: null };
}
