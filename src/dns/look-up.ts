/**
 * One look-up as a fact, whatever answers the queries: ask for a name and type, follow the
 * CNAMEs of the answer (RFC 1034 §3.6.2) and ask again for the target of a chain that ends in
 * an alias, and record the rcode, the AD flag, the CNAMEs, the records and the time taken.
 * DnsResolver asks over the wire, ReplayResolver in process: the facts are made here for both.
 */
import type { DnsQueryFacts } from '../model/dns.js';
import type { Exchange } from './transport.js';
import type { QueryType, WireRecord } from './wire.js';
import { hostNameProblem } from './host-name.js';
import type { LookupResult, MxRecord } from './resolver-api.js';

/** One query for `name` and `type`: an answer or why there is none. Never rejects. @example const ask: Ask = (name, type, signal) => queryServers(servers, name, type, 3000, signal); */
export type Ask = (name: string, type: QueryType, signal: AbortSignal | undefined) => Promise<Exchange>;

const MAX_CNAME_HOPS = 8;

/**
 * Looks up `name`'s records of `type` through `ask`, keeping those `pick` takes.
 *
 * @example await lookUp(ask, 'example.com', 'MX', signal, (r) => (r.type === 'MX' ? r.data : null))
 */
export async function lookUp<T>(ask: Ask, name: string, type: QueryType, signal: AbortSignal | undefined, pick: (r: WireRecord) => T | null): Promise<LookupResult<T>> {
  const started = performance.now();
  const facts: DnsQueryFacts = { name, type, rcode: 'NOERROR', authenticated: true, cnames: [], answers: [], server: null, ms: 0 };
  const records: T[] = [];
  let owner = name.toLowerCase().replace(/\.$/, '');
  hops: for (let hop = 0; hop <= MAX_CNAME_HOPS; hop++) {
    const result = await ask(owner, type, signal);
    facts.server = result.server;
    if (!result.ok) {
      facts.rcode = result.rcode;
      facts.error = result.error;
      facts.authenticated = false;
      break;
    }
    const answer = result.answer;
    facts.rcode = answer.rcode;
    facts.authenticated &&= answer.authenticated;
    if (answer.rcode !== 'NOERROR') break;
    // A recursive resolver puts the CNAME chain first, then the records of its target (RFC 1034 §3.6.2).
    for (let guard = 0; guard < MAX_CNAME_HOPS; guard++) {
      const alias = answer.answers.find((a) => a.type === 'CNAME' && a.name === owner);
      if (alias === undefined || alias.type !== 'CNAME') break;
      const problem = hostNameProblem(alias.data);
      if (problem !== null) {
        facts.rcode = 'MALFORMED';
        facts.error = `the CNAME target "${alias.data}" of ${owner} is not a host name: ${problem}`;
        facts.authenticated = false;
        records.length = 0;
        break hops;
      }
      owner = alias.data;
      facts.cnames.push(owner);
    }
    for (const a of answer.answers) {
      if (a.type !== type || a.name !== owner) continue;
      const record = pick(a);
      if (record !== null) records.push(record);
    }
    const endsInAlias = records.length === 0 && facts.cnames.length > 0 && !answer.answers.some((a) => a.type === type);
    if (!endsInAlias) break;
    // The resolver stopped at an alias: ask for its target ourselves.
  }
  facts.answers = records.map((r) => (typeof r === 'string' ? r : `${(r as MxRecord).preference} ${(r as MxRecord).exchange || '.'}`));
  facts.ms = Math.round(performance.now() - started);
  return { facts, records };
}

/** The records `mx` keeps. @example lookUp(ask, name, 'MX', signal, pickMx) */
export const pickMx = (r: WireRecord): MxRecord | null => (r.type === 'MX' ? r.data : null);

/** The records `addresses` keeps for `type`. @example lookUp(ask, name, 'A', signal, pickAddress('A')) */
export const pickAddress =
  (type: 'A' | 'AAAA') =>
  (r: WireRecord): string | null =>
    r.type === type ? r.data : null;
