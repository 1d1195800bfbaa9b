/**
 * A Resolver that answers in process from a zone (name → records), as a validating recursive
 * resolver serving that zone would: CNAMEs followed inside the zone, NXDOMAIN for a name it
 * does not hold, an rcode or no answer at all where the zone says so, the AD flag only when
 * every name of the answer is authenticated, SERVFAIL for a bogus name unless checking is
 * disabled. The facts are made as DnsResolver makes them (look-up.ts, resolver-validation.ts),
 * so a test or a library user replays DNS without a server; test/helpers/fake-dns.ts serves
 * the same zones on the wire, and a test checks that both give the same facts.
 */
import type { QueryOptions, QueryType, WireAnswer, WireRecord } from './wire.js';
import { answerCapsProblem, encodeQuery, ipv6AsRead } from './wire.js';
import { stopped, type Exchange } from './transport.js';
import { ADDRESS_KINDS, lookUp, MX_KIND, TLSA_KIND, TXT_KIND } from './look-up.js';
import { checkValidation, ROOT_PROBE, type ValidationProbe } from './resolver-validation.js';
import type { LookupResult, MxRecord, Resolver } from './resolver-api.js';
import type { ResolverValidation } from '../model/dns.js';
import type { TlsaRecord } from '../model/dane.js';

/**
 * The records of one name. Names are compared without case and without a trailing dot.
 *
 * @example const set: ReplayRecordSet = { MX: [{ preference: 10, exchange: 'mx.example.com' }], authenticated: true };
 */
export interface ReplayRecordSet {
  /** `exchange` '.' or '' for a null MX (RFC 7505). */
  MX?: Array<{ preference: number; exchange: string }>;
  A?: string[];
  AAAA?: string[];
  /** TLSA records (RFC 6698), association data in hex. */
  TLSA?: TlsaRecord[];
  /** One text per TXT record (the wire splits one longer than 255 bytes into character-strings). */
  TXT?: string[];
  /** An alias: the answer holds the CNAME, then what its target holds (in the zone). */
  CNAME?: string;
  /**
   * The AD flag (RFC 4035 §3.2.3), set only when every name along a CNAME chain has it; with
   * `rcode: 'NXDOMAIN'` (or no records of the type asked) a secure denial.
   */
  authenticated?: boolean;
  /**
   * Signed, and validation fails: SERVFAIL, unless the query sets CD (RFC 4035 §3.2.2), when
   * the records are answered without AD.
   */
  bogus?: boolean;
  /** Every query for this name gets this rcode. */
  rcode?: 'SERVFAIL' | 'REFUSED' | 'NXDOMAIN';
  /** Queries for this name get no answer: the look-up fails with TIMEOUT (at once, without waiting). */
  drop?: boolean;
}

/** Names (without trailing dot; "." for the root) to their records. @example const zone: ReplayZone = { 'mx.example.com': { A: ['192.0.2.25'] } }; */
export type ReplayZone = Record<string, ReplayRecordSet>;

/** The longest CNAME chain a resolver follows before it answers SERVFAIL. */
const MAX_CNAME_CHAIN = 8;

/** What ReplayResolver says answered: the facts' `server`. @example facts.server === REPLAY_SERVER */
export const REPLAY_SERVER = 'replay';

const normal = (name: string) => name.replace(/\.+$/, '').toLowerCase();

/**
 * Answers from `zone`, in process. `queries` lists every query asked, in order.
 *
 * @example
 * const resolver = new ReplayResolver({ 'example.com': { MX: [{ preference: 10, exchange: 'mx.example.com' }] }, 'mx.example.com': { A: ['192.0.2.25'] } });
 * await resolveMailHosts('example.com', resolver, { ipv4: true, ipv6: true }, { allowSpecialAddresses: true })
 */
export class ReplayResolver implements Resolver {
  readonly timeoutMs: number;
  /** Every query asked (a CNAME chain ending in an alias asks twice), in order. */
  readonly queries: Array<{ name: string; type: QueryType; checkingDisabled?: true }> = [];
  private readonly zone: Map<string, ReplayRecordSet>;
  private readonly probe: ValidationProbe;
  private checked: Promise<ResolverValidation> | null = null;
  private validates = false;

  /**
   * `timeoutMs`: what the Resolver interface reports (the domain's DNS deadline is derived from
   * it); default 3000. `validating`: whether the replayed resolver validates DNSSEC, i.e.
   * whether the answer to `validationProbe` (default the root's SOA) has AD; the same as a
   * zone entry for that name with `authenticated` (an entry in the zone wins). Without either,
   * the probe gets NXDOMAIN without AD: a resolver that does not validate.
   */
  constructor(zone: ReplayZone, options: { timeoutMs?: number; validating?: boolean; validationProbe?: { name: string; type: 'SOA' | 'DNSKEY' } } = {}) {
    this.zone = new Map(Object.entries(zone).map(([name, set]) => [normal(name), set]));
    this.timeoutMs = options.timeoutMs ?? 3000;
    this.probe = options.validationProbe ?? ROOT_PROBE;
    const probeName = normal(this.probe.name);
    if (options.validating !== undefined && !this.zone.has(probeName)) this.zone.set(probeName, { authenticated: options.validating });
  }

  /** @example (await resolver.mx('example.com')).records // [{ preference: 10, exchange: 'mx.example.com' }] */
  mx(name: string, signal?: AbortSignal): Promise<LookupResult<MxRecord>> {
    return lookUp(this.ask, name, MX_KIND, signal, this.validates);
  }

  /** @example (await resolver.addresses('mx.example.com', 'A')).records // ['192.0.2.25'] */
  addresses(name: string, type: 'A' | 'AAAA', signal?: AbortSignal): Promise<LookupResult<string>> {
    return lookUp(this.ask, name, ADDRESS_KINDS[type], signal, this.validates);
  }

  /** @example (await new ReplayResolver({ '_25._tcp.mx.example.com': { TLSA: [{ usage: 3, selector: 1, matchingType: 1, data: 'ab'.repeat(32) }], authenticated: true } }, { validating: true }).tlsa('_25._tcp.mx.example.com')).facts.dnssec // 'secure' */
  async tlsa(name: string, signal?: AbortSignal): Promise<LookupResult<TlsaRecord>> {
    await this.validation();
    return lookUp(this.ask, name, TLSA_KIND, signal, this.validates);
  }

  /** @example (await new ReplayResolver({ '_mta-sts.example.com': { TXT: ['v=STSv1; id=1'] } }).txt('_mta-sts.example.com')).records // ['v=STSv1; id=1'] */
  async txt(name: string, signal?: AbortSignal): Promise<LookupResult<string>> {
    await this.validation();
    return lookUp(this.ask, name, TXT_KIND, signal, this.validates);
  }

  /** @example (await new ReplayResolver({}, { validating: true }).validation()).validating // true */
  validation(): Promise<ResolverValidation> {
    this.checked ??= checkValidation(this.ask, this.probe).then((result) => {
      this.validates = result.validating === true;
      return result;
    });
    return this.checked;
  }

  private readonly ask = async (name: string, type: QueryType, signal: AbortSignal | undefined, options?: QueryOptions): Promise<Exchange> => {
    if (signal?.aborted === true) return stopped(signal, null);
    // A name that no query can carry fails as it does on the wire (transport.ts).
    const query = encodeQuery(0, name, type);
    if (typeof query === 'string') return { ok: false, rcode: 'MALFORMED', error: `the name cannot be put in a query: ${query}`, server: null };
    const checkingDisabled = options?.checkingDisabled === true;
    this.queries.push({ name: normal(name), type, ...(checkingDisabled ? { checkingDisabled: true as const } : {}) });
    const answer = this.resolve(name, type, checkingDisabled);
    if (answer === null) return { ok: false, rcode: 'TIMEOUT', error: `no answer from ${REPLAY_SERVER}: the zone drops queries for ${normal(name)}`, server: REPLAY_SERVER };
    const overCap = answerCapsProblem(answer.answers);
    if (overCap !== null) return { ok: false, rcode: 'MALFORMED', error: overCap, server: REPLAY_SERVER };
    return { ok: true, answer, server: REPLAY_SERVER };
  };

  /** The answer a validating recursive resolver serving the zone gives, or null for none. */
  private resolve(qname: string, type: QueryType, checkingDisabled: boolean): WireAnswer | null {
    const answers: WireRecord[] = [];
    let owner = normal(qname);
    let authenticated = true;
    const seen = new Set<string>();
    for (let depth = 0; ; depth++) {
      const set = this.zone.get(owner);
      // An unknown name (or the dangling target of a CNAME): NXDOMAIN, with the chain so far.
      if (set === undefined) return { rcode: 'NXDOMAIN', authenticated: false, truncated: false, answers };
      if (set.drop === true) return null;
      if (set.bogus === true) {
        // RFC 4035 §3.2.2: validation fails; with CD the data comes back, without AD.
        if (!checkingDisabled) return { rcode: 'SERVFAIL', authenticated: false, truncated: false, answers: [] };
        authenticated = false;
      }
      if (set.authenticated !== true) authenticated = false;
      if (set.rcode !== undefined) {
        const nxdomain = set.rcode === 'NXDOMAIN';
        return { rcode: set.rcode, authenticated: nxdomain && authenticated, truncated: false, answers: nxdomain ? answers : [] };
      }
      if (set.CNAME !== undefined) {
        if (depth >= MAX_CNAME_CHAIN || seen.has(owner)) return { rcode: 'SERVFAIL', authenticated: false, truncated: false, answers: [] };
        seen.add(owner);
        const target = normal(set.CNAME);
        answers.push({ name: owner, type: 'CNAME', data: target });
        owner = target;
        continue;
      }
      answers.push(...recordsOf(owner, type, set));
      return { rcode: 'NOERROR', authenticated, truncated: false, answers };
    }
  }
}

/** The records of `type` a set holds, as DNS answers carry them (names lower-case, no trailing dot). */
function recordsOf(owner: string, type: QueryType, set: ReplayRecordSet): WireRecord[] {
  switch (type) {
    case 'MX':
      return (set.MX ?? []).map((mx) => ({ name: owner, type: 'MX', data: { preference: mx.preference, exchange: mx.exchange === '.' ? '' : normal(mx.exchange) } }));
    case 'A':
      return (set.A ?? []).map((ip) => ({ name: owner, type: 'A', data: ip }));
    case 'AAAA':
      return (set.AAAA ?? []).map((ip) => ({ name: owner, type: 'AAAA', data: ipv6AsRead(ip) ?? ip }));
    case 'TLSA':
      return (set.TLSA ?? []).map((t) => ({ name: owner, type: 'TLSA', data: { usage: t.usage, selector: t.selector, matchingType: t.matchingType, data: t.data.toLowerCase() } }));
    case 'TXT':
      return (set.TXT ?? []).map((text) => ({ name: owner, type: 'TXT', data: text }));
    default:
      return []; // SOA, DNSKEY: only their AD flag is read (resolver-validation.ts)
  }
}
