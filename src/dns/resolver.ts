/**
 * One DNS look-up as a fact: the records of one type for one name, the CNAMEs followed to
 * reach them, the rcode and the DNSSEC AD flag. Never throws: a failed look-up is a fact too.
 */
import dns from 'node:dns';
import type * as dnsPacket from 'dns-packet';
import type { DnsQueryFacts } from '../model/result.js';
import { DnsTransportError, queryServers, type WireAnswer } from './transport.js';
import { parseServer, type DnsServer } from './server-address.js';

export type MxRecord = { preference: number; exchange: string };

export interface LookupResult<T> {
  facts: DnsQueryFacts;
  records: T[];
}

const MAX_CNAME_HOPS = 8;

export interface DnsResolverOptions {
  /** Servers as "IP" or "IP:PORT" / "[IPv6]:PORT"; default the system's (resolv.conf). */
  servers?: readonly string[];
  /** Per attempt, in ms. */
  timeoutMs?: number;
  /**
   * Remember this many address answers (and share look-ups in flight) for the resolver's
   * lifetime: in a batch, thousands of domains name the same few MX hosts. MX answers are
   * not kept: a batch asks for each domain once, so they would only fill memory (about
   * 1.5 KB each: 130 MB at 100,000 domains). 0 (default): no cache.
   */
  cacheSize?: number;
}

const sameName = (a: string, b: string) => a.toLowerCase().replace(/\.$/, '') === b.toLowerCase().replace(/\.$/, '');

export class DnsResolver {
  readonly servers: DnsServer[];
  private readonly timeoutMs: number;
  private readonly cacheSize: number;
  private readonly cache = new Map<string, Promise<LookupResult<unknown>>>();

  constructor(options: DnsResolverOptions = {}) {
    const texts = options.servers ?? dns.getServers();
    this.servers = texts.map((text) => parseServer(text)).filter((s): s is DnsServer => s !== null);
    this.timeoutMs = options.timeoutMs ?? 3000;
    this.cacheSize = options.cacheSize ?? 0;
  }

  async mx(name: string): Promise<LookupResult<MxRecord>> {
    return this.lookup(name, 'MX', (a) =>
      a.type === 'MX' ? { preference: a.data.preference ?? 0, exchange: a.data.exchange.replace(/\.$/, '').toLowerCase() } : null,
    );
  }

  async addresses(name: string, type: 'A' | 'AAAA'): Promise<LookupResult<string>> {
    return this.cached(name, type, (a) => (a.type === type ? String(a.data) : null));
  }

  /** The answer from the cache when there is one; transport failures are not remembered. */
  private cached<T>(name: string, type: 'A' | 'AAAA', pick: (a: dnsPacket.Answer) => T | null): Promise<LookupResult<T>> {
    if (this.cacheSize === 0) return this.lookup(name, type, pick);
    const key = `${type} ${name.toLowerCase()}`;
    const hit = this.cache.get(key) as Promise<LookupResult<T>> | undefined;
    if (hit !== undefined) return hit;
    const answer = this.lookup(name, type, pick).then((result) => {
      if (result.facts.rcode === 'TIMEOUT' || result.facts.rcode === 'NETWORK_ERROR') this.cache.delete(key);
      return result;
    });
    if (this.cache.size >= this.cacheSize) this.cache.delete(this.cache.keys().next().value as string); // oldest first
    this.cache.set(key, answer);
    return answer;
  }

  private async lookup<T>(name: string, type: 'MX' | 'A' | 'AAAA', pick: (a: dnsPacket.Answer) => T | null): Promise<LookupResult<T>> {
    const started = performance.now();
    const facts: DnsQueryFacts = { name, type, rcode: 'NOERROR', authenticated: true, cnames: [], answers: [], server: null, ms: 0 };
    const records: T[] = [];
    let owner = name;
    for (let hop = 0; hop <= MAX_CNAME_HOPS; hop++) {
      let answer: WireAnswer;
      try {
        answer = await queryServers(this.servers, owner, type, this.timeoutMs);
      } catch (err) {
        facts.rcode = err instanceof DnsTransportError ? err.kind : 'NETWORK_ERROR';
        facts.authenticated = false;
        break;
      }
      facts.server = answer.server;
      facts.rcode = answer.rcode;
      facts.authenticated &&= answer.authenticated;
      if (answer.rcode !== 'NOERROR') break;
      // A recursive resolver puts the CNAME chain first, then the records of its target (RFC 1034 §3.6.2).
      for (let guard = 0; guard < MAX_CNAME_HOPS; guard++) {
        const alias = answer.answers.find((a) => a.type === 'CNAME' && sameName(a.name, owner));
        if (alias === undefined || alias.type !== 'CNAME') break;
        owner = String(alias.data).replace(/\.$/, '').toLowerCase();
        facts.cnames.push(owner);
      }
      for (const a of answer.answers) {
        if (a.type !== type || !sameName(a.name, owner)) continue;
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
}
