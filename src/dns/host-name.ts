/**
 * Is a name from a DNS answer (an MX exchange, a CNAME target) a host name a sender would
 * use, an IP address written where a name belongs, or neither? The rules are those of
 * RFC 1035 §2.3.1/§2.3.4 and RFC 1123 §2.1 as Postfix applies them to MX data
 * (valid_hostname: letters, digits, hyphens and underscores, labels of 1–63 characters,
 * no hyphen at either end of a label, at most 255 octets, not all digits).
 */
import { ipFamily } from '../input/ip-family.js';

/** Longest host name in text form: 255 octets on the wire (RFC 1035 §2.3.4) less the length octets. @example if (name.length > MAX_NAME_TEXT) … */
export const MAX_NAME_TEXT = 253;
const MAX_LABEL = 63;
const LABEL = /^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?$/i;

/** Names that RFC 6761 §6.3 reserves for the loopback address: never asked of DNS. @example isLocalhostName('mx.localhost') // true */
export function isLocalhostName(name: string): boolean {
  return name === 'localhost' || name.endsWith('.localhost');
}

/**
 * The IP address an MX exchange names instead of a host (`192.0.2.1`, `[192.0.2.1]`,
 * `::1`, `[IPv6:2001:db8::1]`), or null when it is not an address literal.
 *
 * @example addressLiteral('[192.0.2.1]') // '192.0.2.1'
 * @example addressLiteral('mx.example.com') // null
 */
export function addressLiteral(name: string): string | null {
  let text = name.replace(/\.$/, '');
  const bracketed = /^\[(.*)\]$/.exec(text);
  if (bracketed !== null) text = (bracketed[1] ?? '').replace(/^ipv6:/i, '');
  return ipFamily(text) !== 0 ? text : null;
}

/**
 * What keeps `name` from being a host name, in words, or null when it is one.
 * `name` is in presentation form (RFC 1035 §5.1): a byte that is not printable ASCII, or a
 * dot inside a label, shows as a backslash escape and makes the name invalid.
 *
 * @example hostNameProblem('mx.example.com') // null
 * @example hostNameProblem('-mx.example.com') // 'the label "-mx" starts or ends with a hyphen'
 */
export function hostNameProblem(name: string): string | null {
  const text = name.endsWith('.') ? name.slice(0, -1) : name;
  if (text === '') return 'it is empty (the root)';
  if (text.length > MAX_NAME_TEXT) return `it is ${text.length} characters long, more than ${MAX_NAME_TEXT}`;
  if (/^[0-9.]+$/.test(text)) return 'it is all digits, like an address';
  for (const label of text.split('.')) {
    if (label === '') return 'it has an empty label';
    if (label.length > MAX_LABEL) return `a label is ${label.length} characters long, more than ${MAX_LABEL}`;
    if (LABEL.test(label)) continue;
    if (/^[a-z0-9_-]+$/i.test(label)) return `the label "${label}" starts or ends with a hyphen`;
    return `the label "${label}" has characters other than letters, digits, hyphens and underscores`;
  }
  return null;
}
