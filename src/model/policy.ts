/**
 * Sender policies: what a sender with one of the policies of the partner TLS FAQs would do with
 * a domain's MX hosts. Types only; the table of policies and their judges is
 * judge/sender-policies.ts.
 */

export type PolicyId = 'a' | 'b' | 'c' | 'd';

/** Would mail be delivered, and encrypted, under one of the seed FAQ's sender policies. */
export interface PolicyOutcome {
  policy: PolicyId;
  name: string;
  /** 'yes' every reachable MX address, 'partly' some, 'no' none, 'unknown' nothing reachable. */
  delivered: 'yes' | 'partly' | 'no' | 'unknown';
  /** 'n/a' where the policy delivers nothing. */
  encrypted: 'yes' | 'partly' | 'no' | 'unknown' | 'n/a';
}
