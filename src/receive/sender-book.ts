/**
 * The receiver's memory of each sender IP: its observations per round (judge/sender-verdict.ts
 * says which round comes next and what they mean), its sessions, its reverse name. Holds state
 * only; at most `maxSenders` IPs are kept (a flood of addresses cannot grow it without bound:
 * past it, new IPs are refused by the receiver).
 */
import { nextRound, roundObservation, senderVerdict, meetsRequirement } from '../judge/sender-verdict.js';
import type { Round, SenderObservations, SenderRecord, SendingLetter, SessionRecord } from '../model/receive.js';

interface SenderState {
  ip: string;
  obs: SenderObservations;
  sessions: number;
  reverseName: string | null;
  /** Seen in a session that counted for a round (a real sender, not a port scan). */
  counted: boolean;
}

/**
 * Per-IP round state.
 *
 * @example const book = new SenderBook(); const round = book.roundFor('192.0.2.7'); // { round: 1, decided: false }
 */
export class SenderBook {
  private readonly senders = new Map<string, SenderState>();

  constructor(private readonly maxSenders = 10_000) {}

  private stateOf(ip: string): SenderState {
    let s = this.senders.get(ip);
    if (s === undefined) {
      s = { ip, obs: { 1: null, 2: null, 3: null }, sessions: 0, reverseName: null, counted: false };
      this.senders.set(ip, s);
    }
    return s;
  }

  /** Is there room for this IP (known, or under the cap)? @example book.hasRoomFor('192.0.2.7') // true */
  hasRoomFor(ip: string): boolean {
    return this.senders.has(ip) || this.senders.size < this.maxSenders;
  }

  /**
   * The round to offer a new session from `ip` (round 1 to a decided sender, which is turned away) and counts the session.
   *
   * @example book.roundFor('192.0.2.7') // { round: 1, decided: false }
   */
  roundFor(ip: string): { round: Round; decided: boolean } {
    const s = this.stateOf(ip);
    s.sessions += 1;
    const next = nextRound(s.obs);
    return next === null ? { round: 1, decided: true } : { round: next, decided: false };
  }

  /**
   * Records what a session showed, when it is the first to show something of its sender's
   * current round; returns whether it counted (and sets `session.counted`).
   *
   * @example book.observe(session) // true: round 1 seen
   */
  observe(session: SessionRecord): boolean {
    const s = this.stateOf(session.ip);
    if (session.counted) return true;
    const next = nextRound(s.obs);
    if (next === null || next !== session.round || s.obs[session.round] !== null) return false;
    const o = roundObservation(session);
    if (o === null) return false;
    s.obs[session.round] = o;
    s.counted = true;
    session.counted = true;
    return true;
  }

  /** Whether this sender is decided. @example book.isDecided('192.0.2.7') // false */
  isDecided(ip: string): boolean {
    return nextRound(this.stateOf(ip).obs) === null;
  }

  /** Notes the reverse name of an IP. @example book.setReverseName('192.0.2.7', 'mta.example.net') */
  setReverseName(ip: string, name: string | null): void {
    this.stateOf(ip).reverseName = name;
  }

  /**
   * Every sender that showed something (a session that counted), in the order first seen, with its verdict.
   *
   * @example book.records('c').map((s) => s.meets) // [true, null]
   */
  records(required: SendingLetter | null): SenderRecord[] {
    return [...this.senders.values()]
      .filter((s) => s.counted)
      .map((s) => {
        const v = senderVerdict(s.obs);
        const record: SenderRecord = {
          record: 'sender',
          ip: s.ip,
          reverseName: s.reverseName,
          policies: v.policies,
          observed: v.observed,
          missing: v.missing,
          decided: v.decided,
          sessions: s.sessions,
          notes: v.notes,
        };
        if (required !== null) record.meets = meetsRequirement(v.policies, required);
        return record;
      });
  }

  /** Every IP seen is decided (and at least one sender showed something). @example book.allDecided() // false */
  allDecided(): boolean {
    const counted = [...this.senders.values()].filter((s) => s.counted);
    return counted.length > 0 && counted.every((s) => nextRound(s.obs) === null);
  }
}
