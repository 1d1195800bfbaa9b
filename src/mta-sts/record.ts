/**
 * The `_mta-sts.DOMAIN` TXT record (RFC 8461 §3.1): of the TXT records at that name, those
 * that do not start with `v=STSv1` are ignored; exactly one must remain, with an `id` of 1 to
 * 32 letters and digits and any extension fields as the ABNF allows. Pure.
 */
import { quote } from '../render/sanitize.js';
import { EXTENSION_NAME, EXTENSION_VALUE, recordText, splitFields, startsWithVersion } from './txt-fields.js';

/** The version field that starts every MTA-STS record (RFC 8461 §3.1 `sts-version`, case-sensitive). */
export const STS_VERSION = 'v=STSv1';

/** RFC 8461 §3.1 `sts-id = %s"id=" 1*32(ALPHA / DIGIT)`. */
const STS_ID = /^[A-Za-z0-9]{1,32}$/;

/**
 * What the `_mta-sts` TXT records say: no MTA-STS record, a valid one (its id, its extension
 * fields, the fields given twice whose first value counts), or an invalid one with every reason.
 *
 * @example const id = (r: StsRecordReading) => (r.status === 'valid' ? r.id : null);
 */
export type StsRecordReading =
  | { status: 'none' }
  | { status: 'valid'; record: string; id: string; extensions: Record<string, string>; duplicates: string[] }
  | { status: 'invalid'; record: string; errors: string[] };

/**
 * Reads the TXT records of `_mta-sts.DOMAIN` (each a string, or the character strings of one
 * record). RFC 8461 §3.1: records not starting with `v=STSv1` are ignored; several that do make
 * it invalid (senders then assume no policy); a field given twice counts by its first value.
 * A record that starts with the version in another case is reported as invalid rather than
 * ignored in silence: senders ignore it, and its owner surely meant it.
 *
 * @example parseStsRecord(['v=STSv1; id=20160831085700Z;']) // { status: 'valid', id: '20160831085700Z', … }
 * @example parseStsRecord(['v=spf1 -all']) // { status: 'none' }
 */
export function parseStsRecord(txt: readonly (string | readonly string[])[]): StsRecordReading {
  const texts = txt.map(recordText);
  const sts = texts.filter((t) => startsWithVersion(t, STS_VERSION));
  if (sts.length === 0) {
    const miscased = texts.find((t) => startsWithVersion(t.replace(/^v=stsv1/i, STS_VERSION), STS_VERSION));
    if (miscased === undefined) return { status: 'none' };
    return { status: 'invalid', record: miscased, errors: [`the record starts with ${quote(miscased.slice(0, 7))}, not "v=STSv1": the version is case-sensitive, so senders ignore the record`] };
  }
  const record = sts[0] as string;
  if (sts.length > 1) {
    return { status: 'invalid', record, errors: [`${sts.length} TXT records start with "v=STSv1"; there must be exactly one (RFC 8461 §3.1), so senders ignore them all`] };
  }
  const errors: string[] = [];
  const { fields, error } = splitFields(record);
  if (error !== null) errors.push(`${error} (RFC 8461 §3.1)`);
  const seen = new Set<string>();
  const duplicates: string[] = [];
  const extensions: Record<string, string> = {};
  let id: string | null = null;
  for (const [i, field] of fields.entries()) {
    if (i === 0) continue; // the version, checked above
    if (seen.has(field.name) || field.name === 'v') {
      duplicates.push(field.name);
      continue;
    }
    seen.add(field.name);
    if (field.name === 'id') {
      if (STS_ID.test(field.value)) id = field.value;
      else errors.push(`the id ${quote(field.value, 40)} is not 1 to 32 letters and digits (RFC 8461 §3.1)`);
    } else if (!EXTENSION_NAME.test(field.name)) {
      errors.push(`the field name ${quote(field.name, 40)} is not a valid name (letters, digits, "_", "-", "."; 32 at most)`);
    } else if (!EXTENSION_VALUE.test(field.value)) {
      errors.push(`the value of ${quote(field.name, 40)} is empty or holds a space, ";", "=" or a control character`);
    } else {
      extensions[field.name] = field.value;
    }
  }
  if (!seen.has('id') && error === null) errors.push('the record has no id field (RFC 8461 §3.1: "id=" and 1 to 32 letters and digits)');
  if (errors.length > 0 || id === null) return { status: 'invalid', record, errors };
  return { status: 'valid', record, id, extensions, duplicates };
}
