/**
 * A Resolver that answers in process from a zone (name → records), as a recursive resolver
 * serving that zone would: CNAMEs followed inside the zone, NXDOMAIN for a name it does not
 * hold, an rcode or no answer at all where the zone says so, the AD flag only when every name
 * of the answer is authenticated. The facts are made as DnsResolver makes them (look-up.ts),
 * so a test or a library user replays DNS without a server; test/helpers/fake-dns.ts serves
 * the same zones on the wire, and a test checks that both give the same facts.
 */
import type { QueryType, WireAnswer, WireRecord } from './wire.js';
import { encodeQuery, ipv6AsRead } from './wire.js';
import { stopped, type Exchange } from './transport.js';
import { lookUp, pickAddress, pickMx } from './look-up.js';
import type { LookupResult, MxRecord, Resolver } from './resolver-api.js';

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
  /** An alias: the answer holds the CNAME, then what its target holds (in the zone). */
  CNAME?: string;
  /** The AD flag (RFC 4035 §3.2.3), set only when every name along a CNAME chain has it. */
  authenticated?: boolean;
  /** Every query for this name gets this rcode. */
  rcode?: 'SERVFAIL' | 'REFUSED' | 'NXDOMAIN';
  /** Queries for this name get no answer: the look-up fails with TIMEOUT (at once, without waiting). */
  drop?: boolean;
}

/** Names (without trailing dot) to their records. @example const zone: ReplayZone = { 'mx.example.com': { A: ['192.0.2.25'] } }; */
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
  readonly queries: Array<{ name: string; type: QueryType }> = [];
  private readonly zone: Map<string, ReplayRecordSet>;

  /** `timeoutMs`: what the Resolver interface reports (the domain's DNS deadline is derived from it); default 3000. */
  constructor(zone: ReplayZone, options: { timeoutMs?: number } = {}) {
    this.zone = new Map(Object.entries(zone).map(([name, set]) => [normal(name), set]));
    this.timeoutMs = options.timeoutMs ?? 3000;
  }

  /** @example (await resolver.mx('example.com')).records // [{ preference: 10, exchange: 'mx.example.com' }] */
  mx(name: string, signal?: AbortSignal): Promise<LookupResult<MxRecord>> {
    return lookUp(this.ask, name, 'MX', signal, pickMx);
  }

  /** @example (await resolver.addresses('mx.example.com', 'A')).records // ['192.0.2.25'] */
  addresses(name: string, type: 'A' | 'AAAA', signal?: AbortSignal): Promise<LookupResult<string>> {
    return lookUp(this.ask, name, type, signal, pickAddress(type));
  }

  private readonly ask = async (name: string, type: QueryType, signal: AbortSignal | undefined): Promise<Exchange> => {
    if (signal?.aborted === true) return stopped(signal, null);
    // A name that no query can carry fails as it does on the wire (transport.ts).
    const query = encodeQuery(0, name, type);
    if (typeof query === 'string') return { ok: false, rcode: 'MALFORMED', error: `the name cannot be put in a query: ${query}`, server: null };
    this.queries.push({ name: normal(name), type });
    const answer = this.resolve(name, type);
    if (answer === null) return { ok: false, rcode: 'TIMEOUT', error: `no answer from ${REPLAY_SERVER}: the zone drops queries for ${normal(name)}`, server: REPLAY_SERVER };
    return { ok: true, answer, server: REPLAY_SERVER };
  };

  /** The answer a recursive resolver serving the zone gives, or null for none. */
  private resolve(qname: string, type: QueryType): WireAnswer | null {
    const answers: WireRecord[] = [];
    let owner = normal(qname);
    let authenticated = true;
    const seen = new Set<string>();
    for (let depth = 0; ; depth++) {
      const set = this.zone.get(owner);
      // An unknown name (or the dangling target of a CNAME): NXDOMAIN, with the chain so far.
      if (set === undefined) return { rcode: 'NXDOMAIN', authenticated: false, truncated: false, answers };
      if (set.drop === true) return null;
      if (set.rcode !== undefined) return { rcode: set.rcode, authenticated: false, truncated: false, answers: set.rcode === 'NXDOMAIN' ? answers : [] };
      if (set.authenticated !== true) authenticated = false;
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
  if (type === 'MX') return (set.MX ?? []).map((mx) => ({ name: owner, type: 'MX', data: { preference: mx.preference, exchange: mx.exchange === '.' ? '' : normal(mx.exchange) } }));
  return (set[type] ?? []).map((ip) => ({ name: owner, type, data: type === 'AAAA' ? (ipv6AsRead(ip) ?? ip) : ip }));
}
