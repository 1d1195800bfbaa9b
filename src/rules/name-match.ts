/**
 * Does a certificate name the server? RFC 6125 §6.4 as mail clients apply it (RFC 7817 §3):
 * DNS-ID subjectAltNames only, and the subject CN only when there is no DNS SAN at all; a
 * wildcard only as the whole left-most label, matching exactly one label, never in a
 * public-suffix-like position ("*.com"). An IP literal host matches IP SANs only.
 */
import { ipFamily } from '../input/ip-family.js';

/** Whether a certificate names the host, and by which entry. @example const m: NameMatch = { match: true, matchedName: 'DNS:*.example.com' }; */
export interface NameMatch {
  match: boolean;
  /** The certificate entry that matched ("DNS:*.example.com", "CN=mx.example.com"). */
  matchedName: string | null;
}

const normalise = (name: string) => name.trim().toLowerCase().replace(/\.$/, '');

/** Matches one reference host name against one presented DNS name. @example dnsNameMatches('mx.example.com', '*.example.com') // true */
export function dnsNameMatches(host: string, presented: string): boolean {
  const h = normalise(host);
  const p = normalise(presented);
  if (h === '' || p === '') return false;
  if (!p.startsWith('*.')) return h === p;
  const suffix = p.slice(2);
  if (suffix.split('.').length < 2 || suffix.includes('*')) return false;
  const dot = h.indexOf('.');
  return dot > 0 && h.slice(dot + 1) === suffix;
}

function ipEqual(a: string, b: string): boolean {
  if (ipFamily(a) !== ipFamily(b)) return false;
  if (ipFamily(a) === 4) return a === b;
  const expand = (ip: string) => {
    const [head = '', tail = ''] = ip.toLowerCase().split('::');
    const h = head === '' ? [] : head.split(':');
    const t = tail === '' ? [] : tail.split(':');
    const groups = ip.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
    return groups.map((g) => parseInt(g, 16)).join(':');
  };
  return expand(a) === expand(b);
}

/**
 * @example matchHostName('mx.example.com', ['DNS:*.example.com'], []) // { match: true, matchedName: 'DNS:*.example.com' }
 */
export function matchHostName(host: string, san: readonly string[], commonNames: readonly string[]): NameMatch {
  if (ipFamily(host) !== 0) {
    const hit = san.find((entry) => entry.startsWith('IP:') && ipEqual(entry.slice(3), host));
    return { match: hit !== undefined, matchedName: hit ?? null };
  }
  const dnsNames = san.filter((entry) => entry.startsWith('DNS:'));
  if (dnsNames.length > 0) {
    const hit = dnsNames.find((entry) => dnsNameMatches(host, entry.slice(4)));
    return { match: hit !== undefined, matchedName: hit ?? null };
  }
  const cn = commonNames.find((name) => dnsNameMatches(host, name));
  return { match: cn !== undefined, matchedName: cn !== undefined ? `CN=${cn}` : null };
}
