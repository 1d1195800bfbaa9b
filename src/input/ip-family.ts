/**
 * Is this text an IP address, and which family? Like net.isIP, but a name that is plainly
 * not IPv6 (no colon) never reaches Node's IPv6 regex, whose first use costs ~4 ms of
 * compilation: a measurable share of a probe's start-up.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** @example ipFamily('mx.example.com') // 0 */
export function ipFamily(text: string): 0 | 4 | 6 {
  if (text.includes(':')) return isIPv6(text) ? 6 : 0;
  return isIPv4(text) ? 4 : 0;
}
