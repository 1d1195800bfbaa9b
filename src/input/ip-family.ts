/**
 * Is this text an IP address, and which family? Like net.isIP, but text that cannot be IPv6
 * never reaches Node's IPv6 regex, whose first use costs ~3 ms of compilation: a measurable
 * share of a probe's start-up. Every IPv6 address has at least two colons (even `::`), so a
 * name, an IPv4 address or `host:port` (--server) is told without it.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** @example ipFamily('mx.example.com') // 0 */
export function ipFamily(text: string): 0 | 4 | 6 {
  const colon = text.indexOf(':');
  if (colon >= 0 && text.indexOf(':', colon + 1) >= 0) return isIPv6(text) ? 6 : 0;
  return isIPv4(text) ? 4 : 0;
}

/**
 * Runs Node's IPv6 regex now, twice: it is compiled at its first use (~3 ms) and compiled
 * again to machine code at its second (~0.7 ms). tls.connect checks every server name with
 * net.isIP (DEP0123), so the first handshake of a run would pay this; a caller with time to
 * spare before it (cli/run.ts, while the first connections wait) pays it then instead.
 *
 * @example setImmediate(prepareIpv6Check);
 */
export function prepareIpv6Check(): void {
  isIPv6('::');
  isIPv6('::');
}
