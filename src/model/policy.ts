/**
 * Sender policies: what a sender with one of the policies of the partner TLS FAQs would do with
 * a domain's MX hosts, and what a domain must satisfy (the requirement). Types only; the table
 * of policies, their judges and the one definition of "satisfies" are judge/sender-policies.ts.
 */

/**
 * The sender policies, by id: `plain` (a) never uses TLS; `opportunistic` (b) uses TLS when
 * offered; `tls-required` (c) requires TLS; `verify` (d) requires TLS and verifies the
 * certificate and its name; `dane` (e) enforces DANE (RFC 7672) and `mta-sts` (f) enforces
 * MTA-STS (RFC 8461): both authenticate where the domain publishes a policy and fall back to
 * opportunistic TLS where it publishes none.
 *
 * @example const id: SenderPolicyId = 'tls-required'; // policy (c), --require encrypt
 */
export type SenderPolicyId = 'plain' | 'opportunistic' | 'tls-required' | 'verify' | 'dane' | 'mta-sts';

/**
 * The letter of a policy: (a)–(d) as the partner TLS FAQs give them; (e) DANE and (f) MTA-STS
 * are mxprobe's, after the FAQs' four, so that every row has a letter and `--require e` works.
 *
 * @example const letter: PolicyLetter = senderPolicy('verify').letter; // 'd'
 */
export type PolicyLetter = 'a' | 'b' | 'c' | 'd' | 'e' | 'f';

/**
 * What a domain must satisfy: one or more sender policies, in the table's order (`--require`,
 * the batch `require` column). Never empty.
 *
 * @example const required: Requirement = parseRequirement('b,d') ?? ['tls-required']; // ['opportunistic', 'verify']
 */
export type Requirement = readonly SenderPolicyId[];

/**
 * Over the reachable addresses: 'yes' every one, 'partly' some, 'no' none; 'unknown' none could be judged.
 *
 * @example const everywhere = (share: Share | 'n/a') => share === 'yes';
 */
export type Share = 'yes' | 'partly' | 'no' | 'unknown';

/**
 * What a sender of one policy does at one reachable address (a policy's judge says it).
 *
 * @example const delivery: AddressDelivery = { delivered: true, encrypted: true, authenticated: false }; // policy (c) at an address whose certificate is not trusted
 */
export interface AddressDelivery {
  /** The sender delivers the mail there. */
  delivered: boolean;
  /** … over TLS. */
  encrypted: boolean;
  /** … having checked it talks to the right server (the certificate verified, with the MX host's name). */
  authenticated: boolean;
}

/**
 * One row of a domain's verdict per sender policy of the partner TLS FAQs.
 *
 * @example const rowD = (r: DomainResult): PolicyOutcome | undefined => r.policies.find((p) => p.id === 'verify'); // rowD(result)?.satisfied
 */
export interface PolicyOutcome {
  /** The policy's letter: (a)–(d) the FAQs', (e) DANE, (f) MTA-STS. */
  policy: PolicyLetter;
  id: SenderPolicyId;
  /** As the FAQs call it, e.g. "TLS required". */
  name: string;
  /** Would mail be delivered: at every reachable MX address ('yes'), some, none; 'unknown' when nothing was reachable. */
  delivered: Share;
  /** Of the addresses it is delivered to, how many over TLS; 'n/a' where the policy delivers nothing. */
  encrypted: Share | 'n/a';
  /** Of the addresses it is delivered to, how many the sender authenticated (verified certificate and name); 'n/a' where it delivers nothing. */
  authenticated: Share | 'n/a';
  /**
   * The domain satisfies the policy (judge/sender-policies.ts `satisfies`: delivered everywhere,
   * and encrypted and authenticated everywhere where the policy promises it); null when the
   * verdict could not be determined (nothing reachable).
   */
  satisfied: boolean | null;
}
