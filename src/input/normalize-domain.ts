/**
 * Turns what a user typed (a domain, an e-mail address, a U-label IDN) into the A-label
 * domain that DNS is asked about, or says in one line why it cannot.
 */
import { domainToASCII } from 'node:url';
import { ipFamily } from './ip-family.js';
import { quote } from '../render/sanitize.js';

/** @example normalizeDomain('example.com') // { ok: true, domain: 'example.com' } */
export type NormalizedDomain = { ok: true; domain: string } | { ok: false; error: string };

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * @example normalizeDomain(' User@Bücher.Example. ') // { ok: true, domain: 'xn--bcher-kva.example' }
 */
export function normalizeDomain(input: string): NormalizedDomain {
  let name = input.trim();
  const at = name.lastIndexOf('@');
  if (at >= 0) name = name.slice(at + 1);
  name = name.toLowerCase();
  if (name.endsWith('.')) name = name.slice(0, -1);
  const shown = quote(input);
  if (name === '') return { ok: false, error: `${shown} is not a domain name: it is empty` };
  if (ipFamily(name) !== 0 || /^\[.*\]$/.test(name)) {
    return { ok: false, error: `${shown} is an IP address, not a domain; use --server ${ipFamily(name) !== 0 ? name : quote(name)} to probe one server` };
  }
  const ascii = /^[\x00-\x7f]*$/.test(name) ? name : domainToASCII(name);
  if (ascii === '') return { ok: false, error: `${shown} is not a valid internationalised domain name` };
  if (ascii.length > 253) return { ok: false, error: `${shown} is longer than 253 characters` };
  const labels = ascii.split('.');
  for (const label of labels) {
    if (!LABEL.test(label)) {
      return { ok: false, error: `${shown} is not a valid domain name (bad label ${quote(label, 70)})` };
    }
  }
  if (/^[0-9]+$/.test(labels[labels.length - 1] ?? '')) {
    return { ok: false, error: `${shown} is not a valid domain name (numeric top-level label)` };
  }
  return { ok: true, domain: ascii };
}
