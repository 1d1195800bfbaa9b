/**
 * The settings of one run, built once from the command line (cli/options.ts checkOptions) and
 * read everywhere: where the rows come from, how to gather, how many at once, what each row
 * must satisfy, how to write the report. What a stage needs (the probe's options, a domain's,
 * the judge's policy, the resolver's, the shared prober's) is derived from them here by small
 * functions, never copied into a settings object of its own.
 */
import type { Requirement } from '../model/policy.js';
import type { TlsMode } from '../model/tls.js';
import type { AddressFacts } from '../model/address.js';
import type { AddressFamilies } from '../dns/resolve-mail-hosts.js';
import type { DnsResolverOptions } from '../dns/resolver.js';
import { DEFAULT_MAX_IN_FLIGHT } from '../dns/query-limits.js';
import type { TrustStore } from '../cert/trust-store.js';
import type { AddressTarget, ProbeOptions } from '../probe/probe-address.js';
import { deepTimeoutFor } from '../deep/deep-options.js';
import type { GuidelineProfileId } from '../model/tls-guidelines.js';
import type { DomainProbeOptions, ServerTarget } from '../probe/probe-domain.js';
import type { SharedProberOptions } from '../probe/shared-prober.js';
import type { JudgePolicy } from '../judge/judge-address.js';
import type { Shard } from '../batch/shard.js';
import type { Format } from '../render/formats.js';
import type { ReportLayout } from '../render/report-renderer.js';

/**
 * Where the rows of a run come from: domains given as arguments, one server (`--server`), or
 * a batch input (`--input FILE`, `-` for standard input) with its shard and `--resume`.
 *
 * @example const source: RowSourceSettings = { kind: 'input', path: 'partners.csv', shard: null, resume: false };
 */
export type RowSourceSettings =
  | { kind: 'arguments'; domains: Array<{ input: string; domain: string }> }
  | { kind: 'server'; server: ServerTarget }
  | { kind: 'input'; path: string; shard: Shard | null; resume: boolean };

/**
 * @example const settings = checkOptions(['example.com'], raw); settings.source.kind // 'arguments'
 */
export interface RunSettings {
  source: RowSourceSettings;

  // Gathering.
  /** SMTP port of every MX address (--port); --server may name its own. */
  port: number;
  families: AddressFamilies;
  /** --resolver: every DNS query goes to this server; null: the system's. */
  resolver: string | null;
  /** Probe MX addresses from DNS in IANA special-purpose ranges too (loopback, private, …); --server is never filtered. */
  allowSpecialAddresses: boolean;
  /** --mta-sts-port: the HTTPS port of `mta-sts.DOMAIN` (443, RFC 8461 §3.3). */
  policyPort: number;
  /** The EHLO argument: --ehlo-name, else this host's FQDN; null: the address literal of the local end. */
  ehloName: string | null;
  /** --tls: how TLS is reached; null: by the port (implicit on 465, else STARTTLS). */
  tlsMode: TlsMode | null;
  timeoutMs: number;
  connectTimeoutMs: number;
  dnsTimeoutMs: number;
  caFile: string | null;
  /** --deep: what else each address accepts (--deep-delay ms between its connections); null: no deep probe. */
  deep: { delayMs: number } | null;

  // The runner (the batch options; fixed values for the command line).
  /** Rows probed at once. */
  concurrency: number;
  /** Most simultaneous connections to one server IP. */
  perHost: number;
  /** Extra attempts after a transient failure. */
  retries: number;
  /** First backoff before a retry, doubled each time. */
  retryDelayMs: number;
  /**
   * Threads that probe addresses (--workers): 1 probes in the main thread; more start that
   * many probe workers (pipeline/probe-workers.ts). Always 1 for the command line.
   */
  workers: number;

  // Judging.
  /** --require: the sender policies every domain must satisfy (a batch row's `require` cell overrides it). */
  required: Requirement;
  /** `--require …+graded`: nothing graded insufficient under `profile` (it turns `deep` on). */
  graded: boolean;
  /** --profile: the guideline the facts are graded under. */
  profile: GuidelineProfileId;
  warnDays: number;

  // The report.
  format: Format;
  /** Write the report here instead of standard output. */
  output: string | null;
  transcript: boolean;
  color: boolean;
  /** No progress and no summary on standard error (a batch). */
  quiet: boolean;
}

/**
 * DNS answers remembered in one run (least recently used forgotten): a domain asks three to
 * five names of its own, which no other domain asks again; the mail hosts' names that domains
 * share are asked for all along, so they stay. Bounded so that a batch's memory does not grow
 * with its number of distinct domains through the cache.
 */
export const CACHE_ENTRIES = 16_384;
/**
 * Address probe results remembered in one run (least recently used forgotten). Each holds a
 * probe's facts with its certificates (~20-30 KB): 100,000 of them took a batch of distinct
 * mail hosts far past 300 MB, while the hosts domains share (the big providers) are few and
 * asked for all along, so they stay. An address forgotten and asked for again is probed again.
 */
export const PROBE_CACHE_ENTRIES = 4096;

/**
 * A batch input is a long list: a row a line, written as each finishes. Arguments and
 * --server are a few domains a person reads: the full report of each, in the order given.
 *
 * @example reportLayout(settings) // 'report' for `mxprobe example.com`
 */
export function reportLayout(settings: Pick<RunSettings, 'source'>): ReportLayout {
  return settings.source.kind === 'input' ? 'rows' : 'report';
}

/**
 * Results are handed on in the order of the rows for the command line (the report follows
 * the arguments), as they finish for a batch (a slow domain holds no other row back).
 *
 * @example inRowOrder(settings) // true for `mxprobe a.example b.example`
 */
export function inRowOrder(settings: Pick<RunSettings, 'source'>): boolean {
  return settings.source.kind !== 'input';
}

/**
 * How one address is probed. The connection deadline never exceeds the overall one.
 *
 * @example probeOptionsFor(settings, trust, stop.abort).connectTimeoutMs // min(--connect-timeout, --timeout)
 */
export function probeOptionsFor(settings: RunSettings, trust: TrustStore, signal: AbortSignal): ProbeOptions {
  return {
    timeoutMs: settings.timeoutMs,
    connectTimeoutMs: Math.min(settings.connectTimeoutMs, settings.timeoutMs),
    ehloName: settings.ehloName,
    trust,
    signal,
    ...(settings.tlsMode !== null ? { tlsMode: settings.tlsMode } : {}),
    ...(settings.deep !== null ? { deep: { delayMs: settings.deep.delayMs, timeoutMs: deepTimeoutFor(settings.timeoutMs) } } : {}),
  };
}

/**
 * How the shared prober of a run probes: the per-IP cap, retries and their backoff.
 *
 * @example new SharedProber(proberOptionsFor(settings, probe, stop.stopping))
 */
export function proberOptionsFor(settings: RunSettings, probe: ProbeOptions, stop: AbortSignal): SharedProberOptions {
  return {
    probe,
    perHost: settings.perHost,
    retries: settings.retries,
    retryDelayMs: settings.retryDelayMs,
    transcript: settings.transcript,
    cacheSize: PROBE_CACHE_ENTRIES,
    stop,
  };
}

/**
 * How one domain is gathered: its addresses through `probeAddress` (the run's shared prober),
 * as many at once as a library caller's default (PROBE_DEFAULTS.parallel).
 *
 * @example probeDomain(input, domain, resolver, domainOptionsFor(settings, probe, (t) => prober.probe(t), stop.abort))
 */
export function domainOptionsFor(
  settings: RunSettings,
  probe: ProbeOptions,
  probeAddress: (target: AddressTarget) => Promise<AddressFacts>,
  signal: AbortSignal,
): DomainProbeOptions {
  return {
    families: settings.families,
    allowSpecialAddresses: settings.allowSpecialAddresses,
    policyPort: settings.policyPort,
    port: settings.port,
    probe,
    signal,
    probeAddress,
  };
}

/**
 * What a row is judged against: its own requirement (a batch `require` cell), else --require.
 *
 * @example judgePolicyFor(settings, null) // { required: settings.required, warnDays: settings.warnDays, profile: 'ncsc' }
 */
export function judgePolicyFor(settings: RunSettings, required: Requirement | null): JudgePolicy {
  return { required: required ?? settings.required, warnDays: settings.warnDays, ...(settings.graded ? { graded: true } : {}), profile: settings.profile };
}

/**
 * The run's DNS resolver: --resolver or the system's servers, --dns-timeout, a cache of
 * answers shared by every domain, and room for the queries of every row in flight: a domain
 * starts three at once (MX, `_mta-sts` and `_smtp._tls` TXT), so 64 in flight held a batch of
 * 32 rows at about two thirds of its pace (bench:batch).
 *
 * @example new DnsResolver(resolverOptionsFor(settings))
 */
export function resolverOptionsFor(settings: RunSettings): DnsResolverOptions {
  return {
    ...(settings.resolver !== null ? { servers: [settings.resolver] } : {}),
    timeoutMs: settings.dnsTimeoutMs,
    cacheSize: CACHE_ENTRIES,
    maxInFlight: Math.max(DEFAULT_MAX_IN_FLIGHT, QUERIES_PER_ROW * settings.concurrency),
  };
}

/** Queries a row may have in flight at once: its MX and two TXT look-ups, then an address look-up per MX host (8 per domain at most). */
const QUERIES_PER_ROW = 4;
