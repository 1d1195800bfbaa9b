/**
 * Gathers every fact about one mail domain: whether the run's resolver validates DNSSEC (once
 * per resolver), its mail hosts from DNS and the TLSA records of those DANE can apply to, its
 * MTA-STS and TLS-RPT records and policy (gather-mail-policies.ts, alongside), then a probe of
 * every chosen address of every host (in parallel, bounded), all within the domain's deadline.
 * Also probes a single server directly (--server) without any MX look-up. Returns
 * DomainFacts; judging happens elsewhere.
 *
 * The domain's deadline (README "Limits"): its DNS look-ups get at most
 * DNS_BUDGET_ATTEMPTS × --dns-timeout, then its probes at most PROBE_BUDGET_ROUNDS ×
 * --timeout. When a budget runs out, look-ups and probes still running are stopped, none
 * is started, and each address left unfinished is reported as a timeout. The MTA-STS policy
 * fetch is no look-up: it has its own deadline and stops early only with the run.
 */
import { setMaxListeners } from 'node:events';
import { ipFamily } from '../input/ip-family.js';
import { lookupFailed } from '../model/dns-rcode.js';
import type { AddressFacts } from '../model/address.js';
import type { DomainFacts, MxHostFacts } from '../model/domain.js';
import type { TlsaFacts } from '../model/dane.js';
import type { TlsMode } from '../model/tls.js';
import { chooseAddresses, resolveMailHosts, type Address, type AddressFamilies, type MailHost } from '../dns/resolve-mail-hosts.js';
import type { Resolver } from '../dns/resolver-api.js';
import { defaultResolver } from '../dns/default-resolver.js';
import { abortReason, type AbortReason } from '../dns/abort-reason.js';
import { mapLimit } from '../concurrency/map-limit.js';
import { noFactsYet } from './probe-run.js';
import { defaultTlsMode, probeAddress, type AddressTarget, type ProbeOptions } from './probe-address.js';
import { checkNumber, PROBE_DEFAULTS, probeOptions } from './probe-defaults.js';
import { DEFAULT_POLICY_PORT, gatherHostTlsa, gatherMailPolicies } from './gather-mail-policies.js';
import { addressAnswersSecure, daneServerName } from '../rules/dane-applies.js';

/**
 * How a domain is probed. Every field may be left out (PROBE_DEFAULTS, probe-defaults.ts).
 *
 * @example await probeDomain('example.com', 'example.com', resolver, { port: 2525, families: { ipv4: true, ipv6: false }, probe: { timeoutMs: 10_000 } })
 */
export interface DomainProbeOptions {
  /** The address families probed (-4, -6); default both. */
  families?: AddressFamilies;
  /** SMTP port; default 25. */
  port?: number;
  /** Addresses of one domain probed at the same time; default 8. */
  parallel?: number;
  /** How each address is probed; what is left out takes the defaults of probeOptions(). */
  probe?: Partial<ProbeOptions>;
  /** Probe MX addresses from DNS in special-purpose ranges too (--allow-special-addresses); the MTA-STS policy host too. */
  allowSpecialAddresses?: boolean;
  /** The HTTPS port of `mta-sts.DOMAIN`: 443 (RFC 8461 §3.3), the default; another only for a test server. */
  policyPort?: number;
  /** Stops the domain's DNS queries and probes (a batch stopped by a signal). */
  signal?: AbortSignal;
  /**
   * How one address is probed; default a fresh probeAddress given `signal` (the domain's
   * deadline or stop). A batch shares probes between domains (SharedProber) and may ignore
   * it: the domain then stops waiting for the probe, which ends by its own deadline.
   */
  probeAddress?: (target: AddressTarget, signal: AbortSignal) => Promise<AddressFacts>;
}

/** The domain's DNS look-ups may take this many --dns-timeout: the MX query and the host look-ups, each with one retry. @example DNS_BUDGET_ATTEMPTS * resolver.timeoutMs // 12000 by default */
export const DNS_BUDGET_ATTEMPTS = 4;
/** The domain's probes may take this many --timeout: with `parallel` at a time, three rounds of silent servers. @example PROBE_BUDGET_ROUNDS * probe.timeoutMs // 90000 by default */
export const PROBE_BUDGET_ROUNDS = 3;
/** How long a stopped probe gets to hand back what it found so far before it is reported without it. */
const STOP_GRACE_MS = 250;

/** DomainProbeOptions with every default filled in (and checked). */
interface SettledOptions extends Omit<DomainProbeOptions, 'families' | 'port' | 'parallel' | 'probe' | 'policyPort'> {
  families: AddressFamilies;
  port: number;
  policyPort: number;
  parallel: number;
  probe: ProbeOptions;
}

function settle(options: DomainProbeOptions): SettledOptions {
  return {
    ...options,
    families: options.families ?? { ...PROBE_DEFAULTS.families },
    port: checkNumber('port', options.port ?? PROBE_DEFAULTS.port, 1, true, 65_535),
    policyPort: checkNumber('policyPort', options.policyPort ?? DEFAULT_POLICY_PORT, 1, true, 65_535),
    parallel: checkNumber('parallel', options.parallel ?? PROBE_DEFAULTS.parallel, 1, true),
    probe: probeOptions(options.probe),
  };
}

const seconds = (ms: number) => `${Number((ms / 1000).toFixed(1))} s`;

/**
 * The domain's clock: one AbortController for its phases (DNS, then probes), whose timer
 * is re-armed for each phase, and which also aborts when `outer` does (with its reason).
 * One controller and one timer per domain keep this cheap on the hot path of a batch.
 */
class DomainClock {
  private controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private readonly onOuter = () => this.controller.abort(abortReason(this.outer as AbortSignal));

  constructor(private readonly outer: AbortSignal | undefined) {
    if (outer?.aborted === true) this.onOuter();
    else outer?.addEventListener('abort', this.onOuter, { once: true });
  }

  /** Starts a phase of `ms`, after which its signal aborts with the deadline reason `message()`. */
  phase(ms: number, message: () => string): AbortSignal {
    clearTimeout(this.timer);
    const previous = this.controller.signal;
    // A phase whose own time ran out does not take the next phase's time with it.
    if (previous.aborted && this.outer?.aborted !== true) this.controller = new AbortController();
    const controller = this.controller;
    // Each address probed and each look-up of the phase listens: more than EventTarget's 10.
    setMaxListeners(0, controller.signal);
    this.timer = setTimeout(() => controller.abort({ kind: 'deadline', message: message() } satisfies AbortReason), ms);
    return controller.signal;
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.outer?.removeEventListener('abort', this.onOuter);
  }
}

/** Facts for an address the domain's deadline (or a stop) left unprobed or unfinished. */
function stoppedFacts(target: AddressTarget, reason: AbortReason, what: 'not probed' | 'stopped', ms: number, tlsMode: TlsMode): AddressFacts {
  return {
    ...noFactsYet(target, tlsMode),
    failure: { stage: 'connect', kind: failureKind(reason), message: `${what}: ${reason.message}` },
    timings: { total: ms },
  };
}

/**
 * How a stopped address's failure is told: the domain's own deadline is a timeout (the
 * server was too slow); a stop from outside (a signal) is `aborted`, which blames no server.
 */
function failureKind(reason: AbortReason): 'timeout' | 'aborted' {
  return reason.kind === 'deadline' ? 'timeout' : 'aborted';
}

/** The facts of a probe that the stop cut short: its failure says why. */
function cutShort(facts: AddressFacts, signal: AbortSignal): AddressFacts {
  if (facts.failure === null) return facts; // it finished just in time
  const reason = abortReason(signal);
  return { ...facts, failure: { stage: facts.failure.stage, kind: failureKind(reason), message: reason.message } };
}

/**
 * Waits for `probing` until the phase's signal aborts (`aborted` resolves, shared by every
 * address of the phase); then briefly for the facts the stopped probe still returns.
 */
async function within(target: AddressTarget, probing: Promise<AddressFacts>, signal: AbortSignal, aborted: Promise<null>, mode: TlsMode): Promise<AddressFacts> {
  const started = performance.now();
  const facts = await Promise.race([probing, aborted]);
  // A probe that honours the signal ends with a failure of its own at the same moment.
  if (facts !== null) return signal.aborted ? cutShort(facts, signal) : facts;
  probing.catch(() => {}); // abandoned: a late failure must not go unhandled
  let graceTimer: NodeJS.Timeout | undefined;
  const late = await Promise.race([probing, new Promise<null>((resolve) => (graceTimer = setTimeout(() => resolve(null), STOP_GRACE_MS)))]);
  clearTimeout(graceTimer);
  if (late === null) return stoppedFacts(target, abortReason(signal), 'stopped', Math.round(performance.now() - started), mode);
  return cutShort(late, signal);
}

/** Probes every address of `hosts`, `parallel` at a time, within the probe phase of `clock`; each host's TLSA facts joined from `tlsa`. */
async function probeHosts(hosts: readonly MailHost[], options: SettledOptions, clock: DomainClock, tlsa: ReadonlyMap<string, TlsaFacts> = new Map()): Promise<MxHostFacts[]> {
  const targets = hosts.flatMap((h) => {
    // RFC 7672 §8.1: where DANE applies and the TLSA base domain is not the host name, a DANE sender sends it as SNI.
    const dane = daneServerName(h.host, tlsa.get(h.host));
    return h.addresses.map((a): AddressTarget => ({ host: h.host, ip: a.ip, family: a.family, port: options.port, ...(dane !== null ? { daneServerName: dane } : {}) }));
  });
  let probed: AddressFacts[] = [];
  if (targets.length > 0) {
    const deepMs = options.probe.deep?.timeoutMs ?? 0;
    const ms = PROBE_BUDGET_ROUNDS * (options.probe.timeoutMs + deepMs);
    const budget = deepMs > 0 ? `${PROBE_BUDGET_ROUNDS} × (--timeout + the deep probe's ${seconds(deepMs)})` : `${PROBE_BUDGET_ROUNDS} × --timeout`;
    const signal = clock.phase(ms, () => `the domain's deadline of ${seconds(ms)} for its probes, ${budget}, passed`);
    const aborted = new Promise<null>((resolve) => signal.addEventListener('abort', () => resolve(null), { once: true }));
    const run = options.probeAddress ?? ((target: AddressTarget, s: AbortSignal) => probeAddress(target, { ...options.probe, signal: s }));
    const mode = options.probe.tlsMode ?? defaultTlsMode(options.port);
    probed = await mapLimit(targets, options.parallel, (target) =>
      signal.aborted ? Promise.resolve(stoppedFacts(target, abortReason(signal), 'not probed', 0, mode)) : within(target, run(target, signal), signal, aborted, mode),
    );
  }
  let i = 0;
  return hosts.map((h) => {
    const host: MxHostFacts = {
      host: h.host,
      preference: h.preference,
      implicit: h.implicit,
      cnames: h.cnames,
      addresses: h.addresses.map(() => probed[i++] as AddressFacts),
    };
    if (h.skipped.length > 0) host.skipped = h.skipped;
    if (h.unusable !== null) host.unusable = h.unusable;
    const records = tlsa.get(h.host);
    if (records !== undefined) host.tlsa = records;
    return host;
  });
}

/**
 * The facts of a domain: `domain` (normalized: normalizeDomain) as DNS and its mail servers
 * answer; `input` is what was asked (an address, a name in capitals …), kept in the facts.
 * Any Resolver will do: DnsResolver on the wire, ReplayResolver to replay DNS in process;
 * default one DnsResolver for the process (the system's servers). Every option may be left
 * out (DomainProbeOptions). Never rejects for what DNS or a server does (that is a fact);
 * rejects with a RangeError for an option out of range, and for a bug in mxprobe.
 *
 * @example const facts = await probeDomain('Ops@Example.COM', 'example.com');
 * @example const facts = await probeDomain('example.com', 'example.com', new DnsResolver({ servers: ['192.0.2.53'] }), { port: 587 });
 */
export async function probeDomain(input: string, domain: string, resolver?: Resolver, options: DomainProbeOptions = {}): Promise<DomainFacts> {
  const probedAt = new Date().toISOString();
  const settled = settle(options);
  resolver ??= await defaultResolver();
  const clock = new DomainClock(settled.signal);
  try {
    const dnsMs = DNS_BUDGET_ATTEMPTS * resolver.timeoutMs;
    const signal = clock.phase(dnsMs, () => `the domain's deadline of ${seconds(dnsMs)} for DNS look-ups, ${DNS_BUDGET_ATTEMPTS} × --dns-timeout, passed`);
    // Before any look-up: only answers asked after the check carry a DNSSEC state (one check per resolver, so per run).
    const validation = await resolver.validation(signal);
    const validating = validation.validating;
    // MTA-STS and TLS-RPT alongside the MX hosts and their probes. Their look-ups count in the DNS
    // deadline; the policy fetch has its own, min(--timeout, POLICY_FETCH_LIMITS.timeoutMs), and
    // stops only with the run: a slow resolver that eats the DNS deadline must not hide the policy.
    const policies = gatherMailPolicies(
      domain,
      resolver,
      { trust: settled.probe.trust, timeoutMs: settled.probe.timeoutMs, families: settled.families, allowSpecialAddresses: settled.allowSpecialAddresses === true, port: settled.policyPort },
      { lookups: signal, ...(settled.signal !== undefined ? { fetch: settled.signal } : {}) },
    );
    const found = await resolveMailHosts(domain, resolver, settled.families, {
      signal,
      ...(settled.allowSpecialAddresses !== undefined ? { allowSpecialAddresses: settled.allowSpecialAddresses } : {}),
    });
    const mxQuery = found.queries[0];
    const mxState = validating === true ? (mxQuery?.dnssec ?? null) : null;
    // RFC 7672 §2.2: TLSA only where the host's address answers are secure (an insecure MX RRset does not stop it: §2.2.1, as Postfix).
    const secure = (h: MailHost) => addressAnswersSecure(found.queries, h.host);
    const tlsa = validating === true ? await gatherHostTlsa(found.hosts, secure, resolver, settled.port, signal) : { tlsa: new Map<string, TlsaFacts>(), queries: [] };
    const mx = await probeHosts(found.hosts, settled, clock, tlsa.tlsa);
    const mail = await policies;
    const facts: DomainFacts = {
      domain,
      input,
      outcome: found.outcome,
      mxAuthenticated: found.mxAuthenticated,
      mx,
      dns: [...found.queries, ...tlsa.queries, ...mail.queries],
      probedAt,
      dnssec: { validating, mx: mxState },
      mtaSts: mail.mtaSts,
      tlsRpt: mail.tlsRpt,
    };
    if (found.mxLimit !== null) facts.mxLimit = found.mxLimit;
    return facts;
  } finally {
    clock.dispose();
  }
}

/** @example await probeServer({ host: '192.0.2.25', port: 465, name: 'mx.example.com' }) */
export interface ServerTarget {
  /** Host name or IP literal to connect to. */
  host: string;
  /** Default DomainProbeOptions.port (25). */
  port?: number;
  /** Name to send as SNI and to match the certificate against; default (or null) `host`. */
  name?: string | null;
}

/**
 * Probes one server with no MX look-up (--server). A host name is resolved through
 * `resolver` (--resolver) when one is given, else through the system (getaddrinfo, so
 * /etc/hosts applies); an IP literal needs neither. The server is the user's choice:
 * special-purpose addresses are probed; -4/-6 still leave a family out. Every option may be
 * left out (DomainProbeOptions).
 *
 * @example await probeServer({ host: 'mx.example.com' })
 * @example await probeServer({ host: '127.0.0.1', port: 2525, name: 'mx.example.com' }, { probe: { trust: makeTrustStore(readCaFile('lab-ca.pem')) } })
 */
export async function probeServer(server: ServerTarget, options: DomainProbeOptions = {}, resolver: Resolver | null = null): Promise<DomainFacts> {
  const probedAt = new Date().toISOString();
  const settled = settle(options);
  const port = checkNumber('port', server.port ?? settled.port, 1, true, 65_535);
  const name = server.name ?? server.host;
  const dnsFacts: DomainFacts['dns'] = [];
  const found: Address[] = [];
  const family = ipFamily(server.host);
  if (family !== 0) {
    found.push({ ip: server.host, family });
  } else if (resolver !== null) {
    // Both families, filtered afterwards: a host with only the other family is reported as filtered.
    for (const [type, fam] of [['A', 4], ['AAAA', 6]] as const) {
      const result = await resolver.addresses(server.host, type, settled.signal);
      dnsFacts.push(result.facts);
      found.push(...result.records.map((ip) => ({ ip, family: fam })));
    }
  } else {
    // The system's resolver, loaded here only: a --server IP address (the usual case) never needs it.
    const { lookup } = await import('node:dns/promises');
    try {
      const all = await lookup(server.host, { all: true, verbatim: true });
      for (const a of all) if (a.family === 4 || a.family === 6) found.push({ ip: a.address, family: a.family });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      dnsFacts.push({
        name: server.host,
        type: 'A',
        rcode: code === 'ENOTFOUND' ? 'NXDOMAIN' : 'SERVFAIL',
        authenticated: false,
        cnames: [],
        answers: [],
        server: 'system',
        ms: 0,
      });
    }
  }
  const chosen = chooseAddresses(found, { families: settled.families, filterSpecial: false });
  const host: MailHost = { host: name, preference: 0, implicit: false, cnames: [], addresses: chosen.addresses, skipped: chosen.skipped, unusable: null };
  const failed = dnsFacts.some((q) => lookupFailed(q.rcode));
  let outcome: DomainFacts['outcome'] = 'probed';
  if (host.addresses.length === 0) outcome = failed ? 'dns-failure' : host.skipped.length > 0 ? 'not-probed' : 'no-mail-host';
  const clock = new DomainClock(settled.signal);
  try {
    return {
      domain: name,
      input: `${server.host}:${port}`,
      outcome,
      mxAuthenticated: false,
      mx: await probeHosts([host], { ...settled, port }, clock),
      dns: dnsFacts,
      probedAt,
    };
  } finally {
    clock.dispose();
  }
}
