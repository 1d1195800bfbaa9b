/**
 * Validates the command line at the edge: every bad value becomes a one-line UsageError,
 * and the rest of the program receives typed, checked settings.
 */
import { isLevel, type Level } from '../model/levels.js';
import { normalizeDomain } from '../input/normalize-domain.js';
import { parseServer } from '../dns/server-address.js';
import { parseShard, type Shard } from '../batch/shard.js';
import type { BatchOptions } from '../batch/run-batch.js';
import type { TlsMode } from '../model/result.js';

export class UsageError extends Error {}

export interface RawOptions {
  server?: string;
  name?: string;
  port: string;
  '4'?: boolean;
  '6'?: boolean;
  resolver?: string;
  allowSpecialAddresses?: boolean;
  ehloName?: string;
  tls?: string;
  timeout: string;
  connectTimeout: string;
  dnsTimeout: string;
  caFile?: string;
  require: string;
  warnDays: string;
  format: string;
  json?: boolean;
  transcript?: boolean;
  color: boolean;
  input?: string;
  output?: string;
  concurrency: string;
  perHost: string;
  retries: string;
  retryDelay: string;
  shard?: string;
  resume?: boolean;
  quiet?: boolean;
}

export const FORMATS = ['text', 'json', 'csv', 'ndjson', 'junit'] as const;
export type Format = (typeof FORMATS)[number];

export interface Settings {
  domains: Array<{ input: string; domain: string }>;
  server: { host: string; port: number; name: string | null } | null;
  port: number;
  families: { ipv4: boolean; ipv6: boolean };
  resolver: string | null;
  /** Probe MX addresses from DNS in IANA special-purpose ranges too (loopback, private, …); --server is never filtered. */
  allowSpecialAddresses: boolean;
  ehloName: string | null;
  /** --tls: how TLS is reached; null: by the port (implicit on 465, else STARTTLS). */
  tlsMode: TlsMode | null;
  timeoutMs: number;
  connectTimeoutMs: number;
  dnsTimeoutMs: number;
  caFile: string | null;
  required: Level;
  warnDays: number;
  format: Format;
  /** Write the report here instead of standard output. */
  output: string | null;
  transcript: boolean;
  color: boolean;
  quiet: boolean;
  /** --input: a batch audit; null for domains given as arguments or --server. */
  batch: BatchOptions | null;
}

function count(text: string, what: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) throw new UsageError(`${what} must be a whole number from ${min} to ${max}, not ${JSON.stringify(text)}`);
  return n;
}

function port(text: string, what: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > 65535) throw new UsageError(`${what} must be a port number from 1 to 65535, not ${JSON.stringify(text)}`);
  return n;
}

function seconds(text: string, what: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0 || n > 3600) throw new UsageError(`${what} must be a number of seconds above 0 and at most 3600, not ${JSON.stringify(text)}`);
  return Math.round(n * 1000);
}

/** "mx.example.com", "mx.example.com:2525", "192.0.2.1:25", "[2001:db8::1]:25", "2001:db8::1". */
export function parseServerOption(text: string, defaultPort: number): { host: string; port: number } {
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracket) return { host: bracket[1] ?? '', port: bracket[2] !== undefined ? port(bracket[2], '--server port') : defaultPort };
  const colons = text.split(':').length - 1;
  if (colons === 1) {
    const [host = '', p = ''] = text.split(':');
    if (host === '') throw new UsageError(`--server ${JSON.stringify(text)} has no host`);
    return { host: host.toLowerCase(), port: port(p, '--server port') };
  }
  if (text === '') throw new UsageError('--server needs a host');
  return { host: text.toLowerCase(), port: defaultPort };
}

export function checkOptions(args: readonly string[], raw: RawOptions): Settings {
  const defaultPort = port(raw.port, '--port');
  const format = (raw.json === true ? 'json' : raw.format) as Format;
  if (!FORMATS.includes(format)) throw new UsageError(`--format must be one of ${FORMATS.join(', ')}, not ${JSON.stringify(format)}`);
  if (!isLevel(raw.require)) throw new UsageError(`--require must be none, encrypt or verify, not ${JSON.stringify(raw.require)}`);
  const warnDays = Number(raw.warnDays);
  if (!/^\d+$/.test(raw.warnDays) || warnDays > 3650) throw new UsageError(`--warn-days must be a whole number of days from 0 to 3650, not ${JSON.stringify(raw.warnDays)}`);
  if (raw.resolver !== undefined && parseServer(raw.resolver) === null) {
    throw new UsageError(`--resolver must be an IP address with an optional port (192.0.2.53, 192.0.2.53:5353, [2001:db8::53]:53), not ${JSON.stringify(raw.resolver)}`);
  }
  if (raw.ehloName !== undefined && !/^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]|\[IPv6:[0-9A-Fa-f:.]+\])$/.test(raw.ehloName)) {
    throw new UsageError(`--ehlo-name must be a domain name or an address literal such as [192.0.2.1], not ${JSON.stringify(raw.ehloName)}`);
  }
  if (raw.tls !== undefined && raw.tls !== 'starttls' && raw.tls !== 'implicit') {
    throw new UsageError(`--tls must be starttls or implicit, not ${JSON.stringify(raw.tls)}`);
  }
  const domains = args.map((input) => {
    const n = normalizeDomain(input);
    if (!n.ok) throw new UsageError(n.error);
    return { input, domain: n.domain };
  });
  let server: Settings['server'] = null;
  if (raw.server !== undefined) {
    if (domains.length > 0) throw new UsageError('give either domains or --server, not both');
    const parsed = parseServerOption(raw.server, defaultPort);
    let name: string | null = null;
    if (raw.name !== undefined) {
      const n = normalizeDomain(raw.name);
      if (!n.ok) throw new UsageError(`--name: ${n.error}`);
      name = n.domain;
    }
    server = { ...parsed, name };
  } else if (raw.name !== undefined) {
    throw new UsageError('--name goes with --server');
  }
  let batch: BatchOptions | null = null;
  if (raw.input !== undefined) {
    if (domains.length > 0 || server !== null) throw new UsageError('give domains, --server or --input, not several');
    let shard: Shard | null = null;
    if (raw.shard !== undefined) {
      shard = parseShard(raw.shard);
      if (shard === null) throw new UsageError(`--shard must be K/N with 1 ≤ K ≤ N (e.g. 2/8), not ${JSON.stringify(raw.shard)}`);
    }
    batch = {
      input: raw.input,
      concurrency: count(raw.concurrency, '--concurrency', 1, 1000),
      perHost: count(raw.perHost, '--per-host', 1, 100),
      retries: count(raw.retries, '--retries', 0, 10),
      retryDelayMs: raw.retryDelay === '0' ? 0 : seconds(raw.retryDelay, '--retry-delay'),
      shard,
      resume: raw.resume === true,
    };
  } else if (raw.shard !== undefined || raw.resume === true) {
    throw new UsageError(`${raw.shard !== undefined ? '--shard' : '--resume'} goes with --input`);
  }
  if (domains.length === 0 && server === null && batch === null) {
    throw new UsageError('give a domain to probe (mxprobe example.com), a server (--server mx.example.com) or a list (--input domains.csv)');
  }
  return {
    domains: [...new Map(domains.map((d) => [d.domain, d])).values()],
    server,
    port: defaultPort,
    families: { ipv4: raw['6'] !== true || raw['4'] === true, ipv6: raw['4'] !== true || raw['6'] === true },
    resolver: raw.resolver ?? null,
    allowSpecialAddresses: raw.allowSpecialAddresses === true,
    ehloName: raw.ehloName ?? null,
    tlsMode: raw.tls ?? null,
    timeoutMs: seconds(raw.timeout, '--timeout'),
    connectTimeoutMs: seconds(raw.connectTimeout, '--connect-timeout'),
    dnsTimeoutMs: seconds(raw.dnsTimeout, '--dns-timeout'),
    caFile: raw.caFile ?? null,
    required: raw.require,
    warnDays,
    format,
    output: raw.output ?? null,
    transcript: raw.transcript === true,
    color: raw.color,
    quiet: raw.quiet === true,
    batch,
  };
}
