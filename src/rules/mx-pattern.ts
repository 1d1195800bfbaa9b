/**
 * MTA-STS MX patterns (RFC 8461): what a valid `mx` pattern is (§3.2: `["*."] Domain`, the
 * wildcard only as the whole left-most label, never an IP address) and whether an MX host
 * matches one (§4.1: `*.` matches exactly one label; case-insensitive; a trailing dot is
 * ignored). Pure.
 */
import { ipFamily } from '../input/ip-family.js';

/** A host name or a pattern without its trailing dot, in lower case (DNS names compare case-insensitively, RFC 4343). */
const normalise = (name: string) => name.toLowerCase().replace(/\.$/, '');

/** One label of RFC 5321's Domain: Let-dig [Ldh-str], at most 63 octets (RFC 1035 §2.3.4). */
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;

/**
 * Why an `mx` pattern is not valid (RFC 8461 §3.2 `sts-policy-mx-value = ["*."] Domain`), or
 * null when it is. Names in A-labels only; a trailing dot is accepted.
 *
 * @example mxPatternError('*.example.com') // null
 * @example mxPatternError('mx*.example.com') // 'a wildcard is allowed only as the whole left-most label ("*.example.com")'
 */
export function mxPatternError(pattern: string): string | null {
  if (pattern === '') return 'the pattern is empty';
  const bare = pattern.replace(/^\[|\]$/g, '');
  if (ipFamily(bare) !== 0 || /^\d+(\.\d+){3}\.?$/.test(pattern)) return 'an IP address is not allowed: mx patterns name hosts (RFC 8461 §3.2)';
  if (/[^\x21-\x7e]/.test(pattern)) return 'only ASCII host names are allowed: write an internationalised name in A-labels (xn--…)';
  const name = pattern.replace(/\.$/, '');
  const wildcard = name.startsWith('*.');
  const rest = wildcard ? name.slice(2) : name;
  if (rest.includes('*')) return 'a wildcard is allowed only as the whole left-most label ("*.example.com")';
  if (name.length > 253) return 'the name is longer than 253 characters';
  const labels = rest.split('.');
  if (wildcard && labels.length < 2) return 'a wildcard needs a parent name of at least two labels ("*.example.com")';
  const bad = labels.find((l) => !LABEL.test(l));
  if (bad !== undefined) return bad === '' ? 'the name has an empty label' : 'a label may hold only letters, digits and inner hyphens, 63 at most';
  return null;
}

/**
 * Whether an MX host matches an `mx` pattern (RFC 8461 §4.1): equal names, or `*.PARENT`
 * and a host of exactly one more label under PARENT; case-insensitive, trailing dots ignored.
 *
 * @example mxMatches('mx1.example.com.', '*.EXAMPLE.com') // true
 * @example mxMatches('a.b.example.com', '*.example.com') // false: one label only
 */
export function mxMatches(host: string, pattern: string): boolean {
  const h = normalise(host);
  const p = normalise(pattern);
  if (h === '' || p === '') return false;
  if (!p.startsWith('*.')) return h === p;
  const dot = h.indexOf('.');
  return dot > 0 && h.slice(dot + 1) === p.slice(2);
}

/**
 * The first pattern an MX host matches, or null when none does.
 *
 * @example matchingPattern('mx2.example.net', ['mail.example.com', '*.example.net']) // '*.example.net'
 */
export function matchingPattern(host: string, patterns: readonly string[]): string | null {
  return patterns.find((p) => mxMatches(host, p)) ?? null;
}
