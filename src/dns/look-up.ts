/**
 * One look-up as a fact, whatever answers the queries: ask for a name and type, follow the
 * CNAMEs of the answer (RFC 1034 §3.6.2) and ask again for the target of a chain that ends in
 * an alias, and record the rcode, the AD flag (over every step of the chain), the DNSSEC state
 * when the resolver validates (dnssec-state.ts), the CNAMEs, the records and the time taken.
 * DnsResolver asks over the wire, ReplayResolver in process: the facts are made here for both.
 */
import type { DnsQueryFacts } from '../model/dns.js';
import type { TlsaRecord } from '../model/dane.js';
import type { QueryType, WireRecord } from './wire.js';
import { hostNameProblem } from './host-name.js';
import { dnssecState, type CheckingAsk } from './dnssec-state.js';
import type { LookupResult, MxRecord } from './resolver-api.js';

/** One query for `name` and `type` (`options`: the CD bit): an answer or why there is none. Never rejects. @example const ask: Ask = (name, type, signal, options) => queryServers(servers, name, type, 3000, signal, options); */
export type Ask = CheckingAsk;

/**
 * A kind of record a look-up keeps: the type asked, which records of the answer it takes,
 * and how one is written in the facts' `answers`.
 *
 * @example const kind: RecordKind<string> = ADDRESS_KINDS.A; // lookUp(ask, 'mx.example.com', kind, signal, false)
 */
export interface RecordKind<T> {
  type: QueryType;
  pick: (r: WireRecord) => T | null;
  present: (record: T) => string;
}

const MAX_CNAME_HOPS = 8;

/**
 * Looks up `name`'s records of `kind` through `ask`. With `dnssec` (the resolver was checked
 * and validates) the facts get their DNSSEC state, which may ask once more (CD=1) after a SERVFAIL.
 *
 * @example await lookUp(ask, 'example.com', MX_KIND, signal, true)
 */
export async function lookUp<T>(ask: Ask, name: string, kind: RecordKind<T>, signal: AbortSignal | undefined, dnssec: boolean): Promise<LookupResult<T>> {
  const { type, pick } = kind;
  const started = performance.now();
  const facts: DnsQueryFacts = { name, type, rcode: 'NOERROR', authenticated: true, cnames: [], answers: [], server: null, ms: 0 };
  const records: T[] = [];
  let owner = name.toLowerCase().replace(/\.$/, '');
  hops: for (let hop = 0; hop <= MAX_CNAME_HOPS; hop++) {
    const result = await ask(owner, type, signal, undefined);
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
  facts.answers = records.map(kind.present);
  if (!dnssec) {
    facts.ms = Math.round(performance.now() - started);
    return { facts, records };
  }
  // The state of the whole chain: AD was required of every step above; a SERVFAIL is told at the step that failed.
  const state = await dnssecState(ask, facts.rcode, facts.authenticated, owner, type, signal);
  const { name: asked, type: askedType, rcode, authenticated, ...rest } = facts;
  // `dnssec` next to `authenticated`, as the model lists it (the JSON output keeps this order).
  return { facts: { name: asked, type: askedType, rcode, authenticated, dnssec: state, ...rest, ms: Math.round(performance.now() - started) }, records };
}

/** What `mx` keeps: MX records, "10 mx.example.com" ("0 ." for a null MX). @example lookUp(ask, name, MX_KIND, signal, false) */
export const MX_KIND: RecordKind<MxRecord> = {
  type: 'MX',
  pick: (r) => (r.type === 'MX' ? r.data : null),
  present: (mx) => `${mx.preference} ${mx.exchange || '.'}`,
};

const addressKind = (type: 'A' | 'AAAA'): RecordKind<string> => ({ type, pick: (r) => (r.type === type ? r.data : null), present: (ip) => ip });

/** What `addresses` keeps, by type. @example lookUp(ask, name, ADDRESS_KINDS.AAAA, signal, false) */
export const ADDRESS_KINDS: Readonly<Record<'A' | 'AAAA', RecordKind<string>>> = { A: addressKind('A'), AAAA: addressKind('AAAA') };

/** What `tlsa` keeps: TLSA records, "3 1 1 8cb0…" (RFC 6698 §2.2). @example lookUp(ask, '_25._tcp.mx.example.com', TLSA_KIND, signal, true) */
export const TLSA_KIND: RecordKind<TlsaRecord> = {
  type: 'TLSA',
  pick: (r) => (r.type === 'TLSA' ? r.data : null),
  present: (t) => `${t.usage} ${t.selector} ${t.matchingType} ${t.data}`,
};

/** What `txt` keeps: each TXT record's text, its character-strings joined. @example lookUp(ask, '_mta-sts.example.com', TXT_KIND, signal, true) */
export const TXT_KIND: RecordKind<string> = { type: 'TXT', pick: (r) => (r.type === 'TXT' ? r.data : null), present: (text) => text };
