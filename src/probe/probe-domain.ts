/**
 * Gathers every fact about one mail domain: its mail hosts from DNS, then a probe of every
 * chosen address of every host (in parallel, bounded), all within the domain's deadline.
 * Also probes a single server directly (--server) without any MX look-up. Returns
 * DomainFacts; judging happens elsewhere.
 *
 * The domain's deadline (README "Limits"): its DNS look-ups get at most
 * DNS_BUDGET_ATTEMPTS × --dns-timeout, then its probes at most PROBE_BUDGET_ROUNDS ×
 * --timeout. When a budget runs out, look-ups and probes still running are stopped, none
 * is started, and each address left unfinished is reported as a timeout.
 */
import dns from 'node:dns/promises';
import { ipFamily } from '../input/ip-family.js';
import { lookupFailed, type AddressFacts, type DomainFacts, type MxHostFacts } from '../model/result.js';
import { chooseAddresses, resolveMailHosts, type Address, type AddressFamilies, type MailHost } from '../dns/resolve-mail-hosts.js';
import type { DnsResolver } from '../dns/resolver.js';
import { stopReason, type StopReason } from '../dns/stop-reason.js';
import { mapLimit } from './map-limit.js';
import { probeAddress, type AddressTarget, type ProbeOptions } from './probe-address.js';

export interface DomainProbeOptions {
  families: AddressFamilies;
  port: number;
  /** Addresses of one domain probed at the same time. */
  parallel: number;
  probe: ProbeOptions;
  /** Probe MX addresses from DNS in special-purpose ranges too (--allow-special-addresses). */
  allowSpecialAddresses?: boolean;
  /** Stops the domain's DNS queries and probes (a batch stopped by a signal). */
  signal?: AbortSignal;
  /**
   * How one address is probed; default a fresh probeAddress given `signal` (the domain's
   * deadline or stop). A batch shares probes between domains (SharedProber) and may ignore
   * it: the domain then stops waiting for the probe, which ends by its own deadline.
   */
  probeAddress?: (target: AddressTarget, signal: AbortSignal) => Promise<AddressFacts>;
}

/** The domain's DNS look-ups may take this many --dns-timeout: the MX query and the host look-ups, each with one retry. */
export const DNS_BUDGET_ATTEMPTS = 4;
/** The domain's probes may take this many --timeout: with `parallel` at a time, three rounds of silent servers. */
export const PROBE_BUDGET_ROUNDS = 3;
/** How long a stopped probe gets to hand back what it found so far before it is reported without it. */
const STOP_GRACE_MS = 250;

const seconds = (ms: number) => `${Number((ms / 1000).toFixed(1))} s`;

/**
 * A signal that aborts `ms` from now with a deadline reason, or when `outer` aborts (with
 * its reason); `dispose` clears the timer and the listener.
 */
function budget(outer: AbortSignal | undefined, ms: number, message: string): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const reason: StopReason = { kind: 'deadline', message };
  const timer = setTimeout(() => controller.abort(reason), ms);
  const onOuter = () => controller.abort(stopReason(outer as AbortSignal));
  if (outer?.aborted === true) onOuter();
  else outer?.addEventListener('abort', onOuter, { once: true });
  return {
    signal: controller.signal,
    dispose() {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onOuter);
    },
  };
}

/** Facts for an address the domain's deadline (or a stop) left unprobed or unfinished. */
function stoppedFacts(target: AddressTarget, reason: StopReason, what: 'not probed' | 'stopped', ms: number): AddressFacts {
  return {
    ...target,
    connected: false,
    banner: null,
    ehlo: null,
    starttls: false,
    starttlsReply: null,
    injectedBytes: 0,
    tlsRequiredReply: null,
    tls: null,
    ehloTls: null,
    certificate: null,
    failure: { stage: 'connect', kind: 'timeout', message: `${what}: ${reason.message}` },
    timings: { total: ms },
  };
}

/** The facts of a probe that the stop cut short: its failure says why, as a timeout. */
function cutShort(facts: AddressFacts, signal: AbortSignal): AddressFacts {
  if (facts.failure === null) return facts; // it finished just in time
  return { ...facts, failure: { stage: facts.failure.stage, kind: 'timeout', message: stopReason(signal).message } };
}

/** Waits for `probing` until `signal` aborts; then briefly for the facts the stopped probe still returns. */
async function within(target: AddressTarget, probing: Promise<AddressFacts>, signal: AbortSignal): Promise<AddressFacts> {
  const started = performance.now();
  let onAbort: () => void = () => {};
  const aborted = new Promise<null>((resolve) => {
    onAbort = () => resolve(null);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    const facts = await Promise.race([probing, aborted]);
    // A probe that honours the signal ends with a failure of its own at the same moment.
    if (facts !== null) return signal.aborted ? cutShort(facts, signal) : facts;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  probing.catch(() => {}); // abandoned: a late failure must not go unhandled
  let graceTimer: NodeJS.Timeout | undefined;
  const late = await Promise.race([probing, new Promise<null>((resolve) => (graceTimer = setTimeout(() => resolve(null), STOP_GRACE_MS)))]);
  clearTimeout(graceTimer);
  if (late === null) return stoppedFacts(target, stopReason(signal), 'stopped', Math.round(performance.now() - started));
  return cutShort(late, signal);
}

async function probeHosts(hosts: readonly MailHost[], options: DomainProbeOptions, signal: AbortSignal): Promise<MxHostFacts[]> {
  const targets = hosts.flatMap((h) => h.addresses.map((a) => ({ host: h.host, ip: a.ip, family: a.family, port: options.port })));
  const run = options.probeAddress ?? ((target: AddressTarget, s: AbortSignal) => probeAddress(target, { ...options.probe, signal: s }));
  const probed = await mapLimit(targets, options.parallel, (target) =>
    signal.aborted ? Promise.resolve(stoppedFacts(target, stopReason(signal), 'not probed', 0)) : within(target, run(target, signal), signal),
  );
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
    return host;
  });
}

/** The probe phase: its budget starts when DNS is done. */
async function probePhase(hosts: readonly MailHost[], options: DomainProbeOptions): Promise<MxHostFacts[]> {
  const ms = PROBE_BUDGET_ROUNDS * options.probe.timeoutMs;
  const phase = budget(options.signal, ms, `the domain's deadline of ${seconds(ms)} for its probes, ${PROBE_BUDGET_ROUNDS} × --timeout, passed`);
  try {
    return await probeHosts(hosts, options, phase.signal);
  } finally {
    phase.dispose();
  }
}

/** @example await probeDomain('example.com', 'example.com', new DnsResolver(), options) */
export async function probeDomain(input: string, domain: string, resolver: DnsResolver, options: DomainProbeOptions): Promise<DomainFacts> {
  const probedAt = new Date().toISOString();
  const dnsMs = DNS_BUDGET_ATTEMPTS * resolver.timeoutMs;
  const dnsPhase = budget(options.signal, dnsMs, `the domain's deadline of ${seconds(dnsMs)} for DNS look-ups, ${DNS_BUDGET_ATTEMPTS} × --dns-timeout, passed`);
  let found;
  try {
    found = await resolveMailHosts(domain, resolver, options.families, {
      signal: dnsPhase.signal,
      ...(options.allowSpecialAddresses !== undefined ? { allowSpecialAddresses: options.allowSpecialAddresses } : {}),
    });
  } finally {
    dnsPhase.dispose();
  }
  const facts: DomainFacts = {
    domain,
    input,
    outcome: found.outcome,
    mxAuthenticated: found.mxAuthenticated,
    mx: await probePhase(found.hosts, options),
    dns: found.queries,
    probedAt,
  };
  if (found.mxLimit !== null) facts.mxLimit = found.mxLimit;
  return facts;
}

export interface ServerTarget {
  /** Host name or IP literal to connect to. */
  host: string;
  port: number;
  /** Name to send as SNI and to match the certificate against; default `host`. */
  name: string | null;
}

/**
 * Probes one server with no MX look-up (--server). A host name is resolved through
 * `resolver` (--resolver) when one is given, else through the system (getaddrinfo, so
 * /etc/hosts applies); an IP literal needs neither. The server is the user's choice:
 * special-purpose addresses are probed; -4/-6 still leave a family out.
 */
export async function probeServer(server: ServerTarget, options: DomainProbeOptions, resolver: DnsResolver | null): Promise<DomainFacts> {
  const probedAt = new Date().toISOString();
  const name = server.name ?? server.host;
  const dnsFacts: DomainFacts['dns'] = [];
  const found: Address[] = [];
  const family = ipFamily(server.host);
  if (family !== 0) {
    found.push({ ip: server.host, family });
  } else if (resolver !== null) {
    // Both families, filtered afterwards: a host with only the other family is reported as filtered.
    for (const [type, fam] of [['A', 4], ['AAAA', 6]] as const) {
      const result = await resolver.addresses(server.host, type, options.signal);
      dnsFacts.push(result.facts);
      found.push(...result.records.map((ip) => ({ ip, family: fam })));
    }
  } else {
    try {
      const all = await dns.lookup(server.host, { all: true, verbatim: true });
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
  const chosen = chooseAddresses(found, { families: options.families, filterSpecial: false });
  const host: MailHost = { host: name, preference: 0, implicit: false, cnames: [], addresses: chosen.addresses, skipped: chosen.skipped, unusable: null };
  const failed = dnsFacts.some((q) => lookupFailed(q.rcode));
  let outcome: DomainFacts['outcome'] = 'probed';
  if (host.addresses.length === 0) outcome = failed ? 'dns-failure' : host.skipped.length > 0 ? 'not-probed' : 'no-mail-host';
  return {
    domain: name,
    input: `${server.host}:${server.port}`,
    outcome,
    mxAuthenticated: false,
    mx: await probePhase([host], { ...options, port: server.port }),
    dns: dnsFacts,
    probedAt,
  };
}
