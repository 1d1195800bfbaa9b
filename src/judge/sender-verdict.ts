/**
 * The verdict of `mxprobe receive` on a partner's sending gateway, per sender IP: which of the
 * sender policies (a)–(d) of the partner TLS FAQs fit what it did in each round, which round to
 * offer it next, and whether it meets `--require`. Pure.
 *
 * The rounds (README "mxprobe receive"):
 *   1. STARTTLS offered with --cert: a sender that delivers without STARTTLS is (a), decided;
 *      one that uses TLS is (b), (c) or (d): round 2.
 *   2. STARTTLS offered with a self-signed certificate that does not name the host: one that
 *      delivers over it does not verify ((b)/(c)); one that leaves after (or in) the handshake
 *      without a message verifies ((d), or DANE/MTA-STS): round 3.
 *   3. STARTTLS not offered: one that delivers in plaintext is (b); one that defers (leaves
 *      without a message) is (c) or (d), by round 2. Decided.
 * A sender that refused the valid certificate too (round 1: TLS without a message) shows
 * nothing about verification in round 2; the verdict says so and keeps both letters.
 */
import type { Round, RoundObservation, SenderObservations, SendingLetter, SessionRecord } from '../model/receive.js';
import { parseRequirement, SENDER_POLICIES } from './sender-policies.js';

/** The letters, weakest first: a sender "meets" a letter when it is at least as strict. @example SENDING_LETTERS.indexOf('c') // 2 */
export const SENDING_LETTERS: readonly SendingLetter[] = ['a', 'b', 'c', 'd'];

/** The letters `receive` tells apart. */
const RECEIVE_LETTERS: ReadonlySet<string> = new Set(SENDING_LETTERS);

/**
 * A --require value as a letter, or null when it is none: one name of a sender policy (a)–(d)
 * as the probe's --require reads it (letter, id or level name: plain, opportunistic,
 * tls-required / encrypt, verify; judge/sender-policies.ts), or Postfix's `may` for (b).
 *
 * @example parseSendingLetter('encrypt') // 'c'
 */
export function parseSendingLetter(text: string): SendingLetter | null {
  const name = text.trim().toLowerCase();
  if (name.includes(',')) return null; // one policy, not a list
  const ids = parseRequirement(name === 'may' ? 'opportunistic' : name);
  const letter = ids?.length === 1 ? SENDER_POLICIES.find((p) => p.id === ids[0])?.letter : undefined;
  return letter !== undefined && RECEIVE_LETTERS.has(letter) ? (letter as SendingLetter) : null;
}

/**
 * What a session showed of its round, or null when it showed nothing: a client that never
 * greeted (no EHLO/HELO), or, in rounds 1 and 2, one that neither tried TLS nor sent a message.
 * "Delivered" means the message came to its end (we answered the end of DATA, a size refusal
 * included); "tls" that it issued STARTTLS and the handshake was attempted.
 *
 * @example roundObservation({ round: 2, ehlo: 'mta.example', startedTls: true, tls: null, tlsError: 'bad certificate', dataReply: null }) // { tls: true, delivered: false, handshakeFailed: true }
 */
export function roundObservation(session: Pick<SessionRecord, 'round' | 'ehlo' | 'startedTls' | 'tls' | 'tlsError' | 'dataReply'>): RoundObservation | null {
  if (session.ehlo === null) return null;
  const delivered = session.dataReply !== null;
  if (session.round === 3) return { tls: false, delivered, handshakeFailed: false };
  const tls = session.startedTls && (session.tls !== null || session.tlsError !== null);
  if (!tls && !delivered) return null;
  return { tls, delivered, handshakeFailed: tls && session.tls === null };
}

/** The verdict on one sender's observations. @example const v: SenderVerdict = senderVerdict({ 1: null, 2: null, 3: null }); // v.policies: ['a','b','c','d'] */
export interface SenderVerdict {
  /** The letters consistent with what was observed, weakest first. */
  policies: SendingLetter[];
  observed: Round[];
  /** The rounds still needed (empty once decided). */
  missing: Round[];
  decided: boolean;
  notes: string[];
}

const only = (set: readonly SendingLetter[], keep: readonly SendingLetter[]) => set.filter((l) => keep.includes(l));

/**
 * The letters consistent with the observations, the rounds seen and missing, and remarks.
 *
 * @example senderVerdict({ 1: { tls: true, delivered: true, handshakeFailed: false }, 2: { tls: true, delivered: false, handshakeFailed: false }, 3: { tls: false, delivered: false, handshakeFailed: false } }).policies // ['d']
 */
export function senderVerdict(obs: SenderObservations): SenderVerdict {
  const notes: string[] = [];
  let policies: SendingLetter[] = [...SENDING_LETTERS];
  let decided = false;
  const r1 = obs[1];
  const r2 = obs[2];
  const r3 = obs[3];
  let refusedValid = false;
  let verifies = false;
  if (r1 !== null) {
    if (!r1.tls) {
      policies = ['a'];
      decided = true;
      notes.push('delivered in plaintext although STARTTLS was offered');
    } else {
      policies = ['b', 'c', 'd'];
      if (!r1.delivered) {
        refusedValid = true;
        notes.push(
          r1.handshakeFailed
            ? 'the TLS handshake failed with --cert too: round 2 cannot tell whether it verifies'
            : 'it did not deliver over TLS with --cert either (is --cert trusted by the sender and does it name the host?): round 2 cannot tell whether it verifies',
        );
      }
    }
  }
  // A round is read only after the rounds before it (they are offered in order).
  if (!decided && r1 !== null && r2 !== null) {
    if (!r2.tls) {
      if (r2.delivered) {
        policies = ['a'];
        decided = true;
        notes.push('round 2: delivered in plaintext although STARTTLS was offered');
      }
    } else if (r2.delivered) {
      policies = only(policies, ['b', 'c']);
      notes.push('delivered over TLS to a certificate that does not name the host: it does not verify');
    } else if (!refusedValid) {
      verifies = true;
      policies = only(policies, ['b', 'd']);
      notes.push(r2.handshakeFailed ? 'failed the handshake with the wrong-name certificate: it verifies' : 'left without a message after the handshake with the wrong-name certificate: it verifies');
    }
  }
  if (!decided && r1 !== null && r2 !== null && r3 !== null) {
    decided = true;
    if (r3.delivered) {
      const fit = only(policies, ['a', 'b']);
      if (verifies) notes.push('it verifies a certificate when STARTTLS is offered but delivers in plaintext when it is not: no better than (b)');
      else notes.push('delivered in plaintext when STARTTLS was not offered');
      policies = fit.length === 0 ? ['b'] : fit;
    } else {
      const fit = only(policies, ['c', 'd']);
      notes.push('deferred (left without a message) when STARTTLS was not offered: it requires TLS');
      policies = fit.length === 0 ? ['c'] : fit;
    }
  }
  const observed = ([1, 2, 3] as const).filter((r) => obs[r] !== null);
  const missing = decided ? [] : ([1, 2, 3] as const).filter((r) => obs[r] === null);
  return { policies, observed: [...observed], missing: [...missing], decided, notes };
}

/**
 * The round to offer a sender next, or null once it is decided (it is then offered round 1 and
 * turned away with 550).
 *
 * @example nextRound({ 1: { tls: true, delivered: true, handshakeFailed: false }, 2: null, 3: null }) // 2
 */
export function nextRound(obs: SenderObservations): Round | null {
  if (senderVerdict(obs).decided) return null;
  if (obs[1] === null) return 1;
  if (obs[2] === null) return 2;
  return 3;
}

/**
 * Whether letters consistent with a sender meet a required one: true when every one is at least
 * as strict, false when none is, null when some are and some are not (not yet told apart).
 *
 * @example meetsRequirement(['b', 'c'], 'c') // null
 */
export function meetsRequirement(policies: readonly SendingLetter[], required: SendingLetter): boolean | null {
  const rank = (l: SendingLetter) => SENDING_LETTERS.indexOf(l);
  const ok = policies.filter((l) => rank(l) >= rank(required)).length;
  if (ok === policies.length && ok > 0) return true;
  if (ok === 0) return false;
  return null;
}
