/**
 * Validates the command line at the edge: every bad value becomes a one-line UsageError,
 * and the rest of the program receives the run's settings (pipeline/run-settings.ts), built
 * here once, typed and checked. What main.ts needs before that (the options' raw shape,
 * defaults and minimums, the usage error) is in raw-options.ts, so that --help and a parse
 * error load none of the checks' modules.
 */
import os from 'node:os';
import { normalizeDomain } from '../input/normalize-domain.js';
import { ipFamily } from '../input/ip-family.js';
import { quote } from '../render/sanitize.js';
import { parseRequirementSpec, requirementNames } from '../judge/sender-policies.js';
import { GUIDELINE_PROFILE_IDS, type GuidelineProfileId } from '../model/guideline-profile-ids.js';
import type { Requirement } from '../model/policy.js';
import { parseServer } from '../dns/server-address.js';
import { parseShard } from '../batch/shard.js';
import { FORMATS, isFormat } from '../render/formats.js';
import type { RowSourceSettings, RunSettings } from '../pipeline/run-settings.js';
import { MAX_WORKERS, MIN_RETRY_DELAY_SECONDS, MIN_TIMEOUT_SECONDS, OPTION_DEFAULTS, UsageError, type GivenOption, type RawOptions } from './raw-options.js';

export { MAX_WORKERS, MIN_RETRY_DELAY_SECONDS, MIN_TIMEOUT_SECONDS, OPTION_DEFAULTS, UsageError, type GivenOption, type RawOptions } from './raw-options.js';

/**
 * The default of --workers: one probe worker per core this process may use.
 *
 * @example defaultWorkers() // 2 on a machine with two cores
 */
export function defaultWorkers(): number {
  return Math.min(MAX_WORKERS, Math.max(1, os.availableParallelism()));
}

/**
 * Options that only a batch (--input) uses: given without --input they are refused, not
 * silently ignored. Key in RawOptions → the flag a person typed.
 */
const BATCH_ONLY = {
  concurrency: '--concurrency',
  perHost: '--per-host',
  retries: '--retries',
  retryDelay: '--retry-delay',
  shard: '--shard',
  resume: '--resume',
  quiet: '--quiet',
  workers: '--workers',
} as const satisfies Partial<Record<keyof RawOptions, string>>;

const MAX_SECONDS = 3600;

/**
 * The runner's values for domains given as arguments and --server, where the batch options
 * are refused: as many domains at once as a person gives in one command, each MX address
 * probed once (shared by the domains that name it), no retry, every probe in the main thread
 * (a probe worker's start-up would cost more than a few probes gain).
 *
 * @example checkOptions(['a.example'], raw).concurrency === COMMAND_LINE_RUN.concurrency // true
 */
export const COMMAND_LINE_RUN = { concurrency: 4, perHost: 8, retries: 0, retryDelayMs: 0, workers: 1 } as const;

/**
 * This host's name when it is a fully-qualified domain name, else null (the prober then sends an address literal).
 *
 * @example defaultEhloName('Probe.Example.com') // 'probe.example.com'
 */
export function defaultEhloName(hostname = os.hostname()): string | null {
  return /^(?=.{1,253}$)[a-z0-9-]+(\.[a-z0-9-]+)+$/i.test(hostname) ? hostname.toLowerCase() : null;
}

function count(text: string, what: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) throw new UsageError(`${what} must be a whole number from ${min} to ${max}, not ${quote(text)}`);
  return n;
}

function port(text: string, what: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > 65535) throw new UsageError(`${what} must be a port number from 1 to 65535, not ${quote(text)}`);
  return n;
}

/** Seconds to whole milliseconds, from `min` (or exactly 0 when `zero` allows it) to an hour. */
function seconds(text: string, what: string, min: number, zero = false): number {
  const n = /^\s*$/.test(text) ? Number.NaN : Number(text);
  if (zero && n === 0) return 0;
  if (!Number.isFinite(n) || n < min || n > MAX_SECONDS) {
    const range = zero ? `0 or at least ${min}` : `at least ${min}`;
    throw new UsageError(`${what} must be a number of seconds, ${range} and at most ${MAX_SECONDS}, not ${quote(text)}`);
  }
  return Math.round(n * 1000);
}

const SERVER_FORMS = 'HOST, HOST:PORT, IPv4:PORT or [IPv6]:PORT';

/**
 * "mx.example.com", "mx.example.com:2525", "192.0.2.1:25", "[2001:db8::1]:25", "2001:db8::1":
 * an IP address or a host name (LDH labels, RFC 1123 §2.1; IDN as A-labels), else a UsageError.
 * @example parseServerOption('[2001:db8::1]:2525', 25) // { host: '2001:db8::1', port: 2525 }
 */
export function parseServerOption(text: string, defaultPort: number): { host: string; port: number } {
  const bad = (why: string) => new UsageError(`--server ${quote(text)} ${why} (use ${SERVER_FORMS})`);
  if (text === '') throw new UsageError(`--server needs a host (use ${SERVER_FORMS})`);
  if (/[\s\x00-\x1f\x7f-\x9f]/.test(text)) throw bad('contains spaces or control characters');
  const bracket = /^\[([^\]]*)\](?::(.*))?$/.exec(text);
  if (bracket !== null) {
    const host = (bracket[1] ?? '').toLowerCase();
    if (ipFamily(host) !== 6) throw bad('has no IPv6 address between the brackets');
    return { host, port: bracket[2] !== undefined ? port(bracket[2], '--server port') : defaultPort };
  }
  if (ipFamily(text) === 6) return { host: text.toLowerCase(), port: defaultPort };
  const colon = text.lastIndexOf(':');
  const host = colon >= 0 ? text.slice(0, colon) : text;
  if (host === '') throw bad('has no host');
  if (host.includes(':')) throw bad('is not an IP address or a host name: an IPv6 address with a port goes in brackets');
  const portNumber = colon >= 0 ? port(text.slice(colon + 1), '--server port') : defaultPort;
  if (ipFamily(host) === 4) return { host, port: portNumber };
  const name = host.includes('@') || host.startsWith('[') ? null : normalizeDomain(host);
  if (name === null || !name.ok) throw bad('is not an IP address or a host name');
  return { host: name.domain, port: portNumber };
}

/** The default `given`: an option counts as given when its value is not the default one. */
const differsFromDefault =
  (raw: RawOptions): GivenOption =>
  (key) =>
    raw[key] !== undefined && raw[key] !== false && raw[key] !== (OPTION_DEFAULTS as Partial<RawOptions>)[key];

/**
 * Checks the command line and returns the run's settings, or throws a one-line UsageError.
 * `given` tells which options the person gave (main.ts asks commander's value source).
 * Arguments naming the same domain are probed once (the last one's text is kept as its input).
 * @example checkOptions(['example.com'], { ...OPTION_DEFAULTS, color: true }).source // { kind: 'arguments', domains: [{ input: 'example.com', domain: 'example.com' }] }
 */
export function checkOptions(args: readonly string[], raw: RawOptions, given: GivenOption = differsFromDefault(raw)): RunSettings {
  const defaultPort = port(raw.port, '--port');
  const format = raw.json === true ? 'json' : raw.format;
  if (!isFormat(format)) throw new UsageError(`--format must be one of ${FORMATS.join(', ')}, not ${quote(format)}`);
  const spec = parseRequirementSpec(raw.require);
  if (spec === null) throw new UsageError(`--require must name sender policies (${requirementNames()}; several comma-separated), optionally followed by +graded, not ${quote(raw.require)}`);
  const { required, graded } = spec;
  if (!(GUIDELINE_PROFILE_IDS as readonly string[]).includes(raw.profile)) throw new UsageError(`--profile must be one of ${GUIDELINE_PROFILE_IDS.join(', ')}, not ${quote(raw.profile)}`);
  const profile = raw.profile as GuidelineProfileId;
  const deepDelayMs = Number(raw.deepDelay);
  if (!/^\d+$/.test(raw.deepDelay) || deepDelayMs > 60_000) throw new UsageError(`--deep-delay must be a whole number of milliseconds from 0 to 60000, not ${quote(raw.deepDelay)}`);
  // +graded judges what else the server accepts: only a deep probe can tell, so it turns --deep on.
  const deep = raw.deep === true || graded;
  if (!deep && given('deepDelay')) throw new UsageError('--deep-delay goes with --deep');
  if (!deep && given('profile')) throw new UsageError('--profile goes with --deep or --require …+graded (it says what the deep facts are graded under)');
  const warnDays = Number(raw.warnDays);
  if (!/^\d+$/.test(raw.warnDays) || warnDays > 3650) throw new UsageError(`--warn-days must be a whole number of days from 0 to 3650, not ${quote(raw.warnDays)}`);
  if (raw.resolver !== undefined && parseServer(raw.resolver) === null) {
    throw new UsageError(`--resolver must be an IP address with an optional port (192.0.2.53, 192.0.2.53:5353, [2001:db8::53]:53), not ${quote(raw.resolver)}`);
  }
  if (raw.ehloName !== undefined && !/^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]|\[IPv6:[0-9A-Fa-f:.]+\])$/.test(raw.ehloName)) {
    throw new UsageError(`--ehlo-name must be a domain name or an address literal such as [192.0.2.1], not ${quote(raw.ehloName)}`);
  }
  if (raw.tls !== undefined && raw.tls !== 'starttls' && raw.tls !== 'implicit') {
    throw new UsageError(`--tls must be starttls or implicit, not ${quote(raw.tls)}`);
  }
  const domains = args.map((input) => {
    const n = normalizeDomain(input);
    if (!n.ok) throw new UsageError(n.error);
    return { input, domain: n.domain };
  });
  let source: RowSourceSettings | null = domains.length > 0 ? { kind: 'arguments', domains: [...new Map(domains.map((d) => [d.domain, d])).values()] } : null;
  if (raw.server !== undefined) {
    if (domains.length > 0) throw new UsageError('give either domains or --server, not both');
    const parsed = parseServerOption(raw.server, defaultPort);
    let name: string | null = null;
    if (raw.name !== undefined) {
      const n = normalizeDomain(raw.name);
      if (!n.ok) throw new UsageError(`--name: ${n.error}`);
      name = n.domain;
    }
    source = { kind: 'server', server: { ...parsed, name } };
  } else if (raw.name !== undefined) {
    throw new UsageError('--name goes with --server');
  }
  let run: Pick<RunSettings, 'concurrency' | 'perHost' | 'retries' | 'retryDelayMs' | 'workers'> = COMMAND_LINE_RUN;
  if (raw.input !== undefined) {
    if (source !== null) throw new UsageError('give domains, --server or --input, not several');
    let shard = null;
    if (raw.shard !== undefined) {
      shard = parseShard(raw.shard);
      if (shard === null) throw new UsageError(`--shard must be K/N with 1 ≤ K ≤ N (e.g. 2/8), not ${quote(raw.shard)}`);
    }
    source = { kind: 'input', path: raw.input, shard, resume: raw.resume === true };
    run = {
      concurrency: count(raw.concurrency, '--concurrency', 1, 1000),
      perHost: count(raw.perHost, '--per-host', 1, 100),
      retries: count(raw.retries, '--retries', 0, 10),
      retryDelayMs: seconds(raw.retryDelay, '--retry-delay', MIN_RETRY_DELAY_SECONDS, true),
      workers: raw.workers !== undefined ? count(raw.workers, '--workers', 1, MAX_WORKERS) : defaultWorkers(),
    };
  } else {
    for (const [key, flag] of Object.entries(BATCH_ONLY) as Array<[keyof typeof BATCH_ONLY, string]>) {
      if (given(key)) throw new UsageError(`${flag} goes with --input (it is for batch audits only)`);
    }
  }
  if (source === null) {
    throw new UsageError('give a domain to probe (mxprobe example.com), a server (--server mx.example.com) or a list (--input domains.csv)');
  }
  return {
    source,
    port: defaultPort,
    families: { ipv4: raw['6'] !== true || raw['4'] === true, ipv6: raw['4'] !== true || raw['6'] === true },
    resolver: raw.resolver ?? null,
    allowSpecialAddresses: raw.allowSpecialAddresses === true,
    policyPort: raw.mtaStsPort !== undefined ? port(raw.mtaStsPort, '--mta-sts-port') : 443,
    ehloName: raw.ehloName ?? defaultEhloName(),
    tlsMode: raw.tls ?? null,
    timeoutMs: seconds(raw.timeout, '--timeout', MIN_TIMEOUT_SECONDS),
    connectTimeoutMs: seconds(raw.connectTimeout, '--connect-timeout', MIN_TIMEOUT_SECONDS),
    dnsTimeoutMs: seconds(raw.dnsTimeout, '--dns-timeout', MIN_TIMEOUT_SECONDS),
    caFile: raw.caFile ?? null,
    ...run,
    required,
    graded,
    profile,
    deep: deep ? { delayMs: deepDelayMs } : null,
    warnDays,
    format,
    output: raw.output ?? null,
    transcript: raw.transcript === true,
    color: raw.color,
    quiet: raw.quiet === true,
  };
}
