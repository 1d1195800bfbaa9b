/**
 * DNS server addresses as users write them ("192.0.2.53", "192.0.2.53:5353", "[::1]:53").
 * Kept apart from the wire code so that checking --resolver loads no DNS library.
 */
import net from 'node:net';

/** @example const server: DnsServer = { host: '127.0.0.1', port: 5353 }; */
export interface DnsServer {
  host: string;
  port: number;
}

/** "192.0.2.1", "192.0.2.1:5353", "::1", "[::1]:5353" → host and port; null when it is none of these. @example parseServer('[::1]:5353') // { host: '::1', port: 5353 } */
export function parseServer(text: string): DnsServer | null {
  const withPort = /^\[([^\]]+)\](?::(\d+))?$/.exec(text) ?? /^([0-9.]+):(\d+)$/.exec(text);
  const host = withPort ? (withPort[1] ?? '') : text;
  const port = withPort?.[2] !== undefined ? Number(withPort[2]) : 53;
  if (net.isIP(host) === 0 || !Number.isInteger(port) || port < 1 || port > 65535) return null;
  return { host, port };
}

/** The server as --resolver takes it. @example formatServer({ host: '::1', port: 53 }) // '[::1]:53' */
export function formatServer(server: DnsServer): string {
  return net.isIPv6(server.host) ? `[${server.host}]:${server.port}` : `${server.host}:${server.port}`;
}
