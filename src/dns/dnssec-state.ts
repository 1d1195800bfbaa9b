/**
 * The DNSSEC state of one look-up, told as Postfix tells it: by trusting a validating
 * resolver's AD flag (RFC 4035 §3.2.3), and by asking again with checking disabled when it
 * answers SERVFAIL (RFC 4035 §3.2.2), to tell a validation failure ("bogus") from a look-up
 * that failed for another reason. Used by look-up.ts for every resolver, on the wire or replayed.
 */
import type { DnssecState } from '../model/dns.js';
import { lookupFailed } from '../model/dns-rcode.js';
import type { QueryOptions, QueryType } from './wire.js';
import type { Exchange } from './transport.js';

/** One query; `options` sets the CD bit. @example const ask: CheckingAsk = (name, type, signal, options) => queryServers(servers, name, type, 3000, signal, options); */
export type CheckingAsk = (name: string, type: QueryType, signal: AbortSignal | undefined, options?: QueryOptions) => Promise<Exchange>;

const CHECKING_DISABLED: QueryOptions = { checkingDisabled: true };

/**
 * The state of a look-up that ended with `rcode` (AD over the whole answer: `authenticated`),
 * its last query being `owner`/`type`. A SERVFAIL is asked once more with CD=1: an answer
 * then means the data is there but failed validation (`bogus`); another SERVFAIL, a timeout
 * or any other failure leaves it `indeterminate`. The records of the CD=1 answer are never used.
 *
 * @example await dnssecState(ask, 'NOERROR', true, '_25._tcp.mx.example.com', 'TLSA', signal) // 'secure'
 * @example await dnssecState(ask, 'SERVFAIL', false, '_25._tcp.bogus.example', 'TLSA', signal) // 'bogus' when the CD=1 answer is NOERROR
 */
export async function dnssecState(ask: CheckingAsk, rcode: string, authenticated: boolean, owner: string, type: QueryType, signal: AbortSignal | undefined): Promise<DnssecState> {
  // RFC 4035 §3.2.3: AD covers every record of the answer, and the denial of an NXDOMAIN or NODATA.
  if (!lookupFailed(rcode)) return authenticated ? 'secure' : 'insecure';
  if (rcode !== 'SERVFAIL') return 'indeterminate';
  const unchecked = await ask(owner, type, signal, CHECKING_DISABLED);
  return unchecked.ok && !lookupFailed(unchecked.answer.rcode) ? 'bogus' : 'indeterminate';
}
