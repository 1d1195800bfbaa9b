/**
 * One mail domain: its MX hosts and their addresses, the DNS queries asked, what became of
 * it (DomainFacts), and its judgement (DomainResult: level, pass, problems, sender policies).
 * Types only. Field names are a public contract (README "JSON format").
 */
import type { AddressFacts, AddressResult } from './address.js';
import type { DnsQueryFacts } from './dns.js';
import type { Level } from './levels.js';
import type { PolicyOutcome, SenderPolicyId } from './policy.js';
import type { Problem } from './problem.js';
import type { DaneRollover, TlsaFacts } from './dane.js';
import type { DnssecState } from './dns.js';
import type { MtaStsFacts, MtaStsMxMatch, TlsRptFacts } from './mta-sts.js';
import type { GradedVerdict } from './tls-guidelines.js';

/**
 * One MX host of a domain: its name and preference, the addresses probed (facts, or judged:
 * `A`) and those left out.
 *
 * @example const hosts = (facts: DomainFacts) => facts.mx.map((h: MxHostFacts) => `${h.preference} ${h.host}`); // ['10 mx1.example.com', '20 mx2.example.com']
 */
export interface MxHostFacts<A = AddressFacts> {
  /** A-label host name without trailing dot. */
  host: string;
  preference: number;
  /** No MX record: the domain itself is the mail host (RFC 5321 §5.1). */
  implicit: boolean;
  /** CNAMEs followed from `host` to its addresses (RFC 5321 §5.1 says an MX should not be an alias). */
  cnames: string[];
  /** The addresses probed. */
  addresses: A[];
  /** Addresses DNS gave that were not probed, and why; absent when none. */
  skipped?: SkippedAddress[];
  /** Set when the MX target was neither looked up nor probed: it is no host name a sender would use. */
  unusable?: UnusableTarget;
  /**
   * The host's TLSA records (`_PORT._tcp.HOST`, RFC 7672 §2.2.3), looked up only where DANE can
   * apply: the resolver validates and the MX answer and the host's address answers are
   * DNSSEC-secure (RFC 7672 §2.2). Absent otherwise (and with --server: no MX look-up).
   */
  tlsa?: TlsaFacts;
  /**
   * Judged: whether the host's TLSA set survives its next key or CA change (judge/dane-rollover.ts);
   * absent where DANE does not apply or no usable record is published.
   */
  rollover?: DaneRollover;
}

/**
 * The domain's DNSSEC, as the run's resolver tells it: whether the resolver validates (checked
 * once per run, ResolverValidation) and the state of the MX answer. Absent with --server (no
 * MX look-up).
 *
 * @example const daneCanApply = (d: DomainDnssec) => d.validating === true && d.mx === 'secure';
 */
export interface DomainDnssec {
  /** The run's resolver validates DNSSEC: true; does not (DNSSEC_NOT_VALIDATED): false; could not be told: null. */
  validating: boolean | null;
  /** The DNSSEC state of the MX answer (a secure NODATA too, for an implicit MX); null when the resolver is not known to validate. */
  mx: DnssecState | null;
}

/**
 * An address found in DNS and not probed.
 *
 * @example const special = (h: MxHostFacts) => (h.skipped ?? []).filter((s: SkippedAddress) => s.reason === 'special-purpose').map((s) => `${s.ip} (${s.range})`); // ['10.0.0.25 (private-use)']
 */
export interface SkippedAddress {
  ip: string;
  family: 4 | 6;
  /**
   * special-purpose: in an IANA special-purpose range a sender cannot use (MX_ADDRESS_SPECIAL;
   * probed with --allow-special-addresses); family: of the family -4/-6 leaves out
   * (ADDRESSES_FILTERED); limit: beyond the addresses probed per MX host (MX_LIMIT_REACHED).
   */
  reason: 'special-purpose' | 'family' | 'limit';
  /** special-purpose: the range's name, e.g. "loopback", "private-use", "ipv4-mapped link-local". */
  range?: string;
  /** special-purpose: the registry's block, e.g. "127.0.0.0/8". */
  block?: string;
}

/**
 * An MX target that is not a host name a sender would use.
 *
 * @example const target: UnusableTarget = { kind: 'ip-literal', detail: 'an IP address (192.0.2.1) where a host name belongs' };
 */
export interface UnusableTarget {
  /** ip-literal: an IP address where a host name belongs (MX_IP_LITERAL); invalid-name: not a host name (DNS_MALFORMED). */
  kind: 'ip-literal' | 'invalid-name';
  /** What is wrong, in words, e.g. "an IP address (192.0.2.1) where a host name belongs". */
  detail: string;
}

/**
 * What became of a domain: probed, or why not (no such domain, a null MX, a DNS failure, no
 * usable mail host, …).
 *
 * @example const acceptsMail = (outcome: DomainOutcome) => outcome !== 'nxdomain' && outcome !== 'null-mx';
 */
export type DomainOutcome =
  /** MX (or implicit MX) hosts found and probed. */
  | 'probed'
  | 'nxdomain'
  | 'null-mx'
  | 'dns-failure'
  | 'no-mail-host'
  /**
   * Mail hosts found, but none of their addresses probed while some could be used: every
   * address of the family -4/-6 leaves out, or every host probed unusable and more beyond
   * the cap (MX_LIMIT_REACHED). Undetermined.
   */
  | 'not-probed'
  /** Batch input row that is not a domain (problem INVALID_INPUT): nothing was probed. */
  | 'invalid-input';

/**
 * Everything probing a domain found (probeDomain, probeServer): facts only, to be judged at any
 * moment (judgeDomain).
 *
 * @example const facts: DomainFacts = await probeDomain('example.com', 'example.com'); // facts.outcome: 'probed'
 */
export interface DomainFacts {
  /** Normalised A-label domain. */
  domain: string;
  /** As given by the user. */
  input: string;
  outcome: DomainOutcome;
  /** The DNSSEC AD flag of the MX answer (false when none). */
  mxAuthenticated: boolean;
  mx: MxHostFacts[];
  /** Set when the domain publishes more MX hosts than mxprobe probes: how many it has, and how many (the most preferred) were probed. */
  mxLimit?: { found: number; probed: number };
  dns: DnsQueryFacts[];
  /** ISO 8601 time the probe started. */
  probedAt: string;
  /** The domain's DNSSEC as the run's resolver tells it; absent with --server. */
  dnssec?: DomainDnssec;
  /** The domain's MTA-STS record and policy (RFC 8461); absent with --server. */
  mtaSts?: MtaStsFacts;
  /** The domain's TLS reporting record (RFC 8460); absent with --server. */
  tlsRpt?: TlsRptFacts;
}

/**
 * A domain's MTA-STS facts judged (judge/mta-sts.ts): what a sender that implements MTA-STS
 * applies, and how each MX host fares against the policy. The problems are the domain's.
 *
 * @example const listed = (m: MtaStsResult) => m.mxMatch.every((x) => x.pattern !== null);
 */
export interface MtaStsResult extends MtaStsFacts {
  /**
   * The mode a sender applies: the policy's, `none` without a usable policy (RFC 8461 §5:
   * deliver as without MTA-STS), null when it cannot be told (the TXT look-up failed, the fetch
   * was stopped).
   */
  mode: 'enforce' | 'testing' | 'none' | null;
  /** Each MX host against the policy's `mx` patterns (only in enforce and testing mode). */
  mxMatch: MtaStsMxMatch[];
}

/**
 * A domain judged (judgeDomain): its facts, its level, `pass` against the requirement, its own
 * problems and the verdict per sender policy.
 *
 * @example const result: DomainResult = judgeDomain(facts, { required: ['verify'] }, new Date()); // result.pass: true | false | null
 */
export interface DomainResult extends Omit<DomainFacts, 'mx' | 'mtaSts'> {
  mx: MxHostFacts<AddressResult>[];
  /** The MTA-STS facts with their verdict; absent when none were gathered. */
  mtaSts?: MtaStsResult;
  /** Lowest level over all reachable addresses (the highest of none < encrypt < verify every one reached); null when undetermined or no mail host. */
  level: Level | null;
  /**
   * What the domain had to satisfy, as text: each required policy by its level name when it has
   * one (none, encrypt, verify), else by its id, comma-separated ("encrypt", "opportunistic,verify").
   */
  required: string;
  /** The required sender policies by id, in the table's order (judge/sender-policies.ts). */
  requiredPolicies: SenderPolicyId[];
  /** Every required policy is satisfied; false when one is not; null when that could not be determined (exit code 3). */
  pass: boolean | null;
  /**
   * The graded requirement (`--require …+graded`): the profile, the worst tier over the reachable addresses, and whether none was insufficient; absent when not required.
   */
  graded?: GradedVerdict;
  /**
   * The domain's own problems: scope `domain` (DNS, the MX set, its limits), `host` (one MX
   * host: its name, look-ups, addresses left out) and `input` (the batch row). Each address's
   * problems are under the address only; judge/all-problems.ts joins them.
   */
  problems: Problem[];
  /** The verdict per sender policy of the partner TLS FAQs, a row per policy in the table's order. */
  policies: PolicyOutcome[];
  /** Batch mode: where the domain came from (line of the input) and its other input columns, untouched. */
  source?: BatchSource;
}

/**
 * Where a batch row came from: its line and its other columns.
 *
 * @example const origin = (r: DomainResult) => (r.source === undefined ? 'command line' : `line ${r.source.line}`);
 */
export interface BatchSource {
  /** 1-based line of the input where the row starts. */
  line: number;
  /** The row's other columns by header name (none for a plain list). */
  columns: Record<string, string>;
  /**
   * `--shard K/N`: which part of the input the run took (K counts from 1), so that the outputs
   * of N shards can be merged and checked for a missing one (`mxprobe report`); absent without --shard.
   */
  shard?: { index: number; count: number };
}
