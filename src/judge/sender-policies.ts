/**
 * The sender policies of the partner TLS FAQs as one table: each row is a policy (its id, the
 * FAQs' letter and name, the level name that also names it in `--require`, what it promises)
 * and its judge over one address result. A domain's verdict per policy, what "satisfies" means,
 * whether a requirement is met, and how `--require` names policies are all read from the table,
 * as are the renderers' rows: adding a sender policy is one row and its judge. Pure.
 *
 * "Satisfies", defined once ({@link satisfies}): the policy delivers to every reachable MX
 * address, and wherever the policy promises encryption or authentication, every delivery has
 * it. Per row:
 *   (a) plain         every reachable MX address accepts the mail in plaintext;
 *   (b) opportunistic delivered everywhere, and encrypted everywhere;
 *   (c) tls-required  delivered everywhere (so encrypted everywhere);
 *   (d) verify        delivered everywhere with the certificate and the MX host's name verified;
 *   (e) dane          a DANE sender (RFC 7672): delivered everywhere, and authenticated by DANE
 *                     everywhere (so every MX host publishes DNSSEC-secure TLSA records that
 *                     match, whatever PKIX says of the certificate);
 *   (f) mta-sts       an MTA-STS sender (RFC 8461): the domain enforces a policy that lists every
 *                     MX host, and each gets the mail over TLS with its certificate verified.
 * The letters (e) and (f) are mxprobe's: the FAQs name (a)–(d).
 * Only reachable addresses count (an address whose level is unknown says nothing); a domain that
 * accepts no mail (NXDOMAIN, null MX, no mail host) satisfies none; one with nothing reachable
 * is undetermined (null).
 */
import type { AddressResult } from '../model/address.js';
import type { DomainFacts, DomainOutcome, MtaStsResult, MxHostFacts } from '../model/domain.js';
import { mtaStsDelivery } from './mta-sts.js';
import { meetsLevel, type Level } from '../model/levels.js';
import type { AddressDelivery, PolicyLetter, PolicyOutcome, Requirement, SenderPolicyId, Share } from '../model/policy.js';

/**
 * What a policy's judge may read besides the address (its `dane` outcome): its MX host's facts (`tlsa`) and the domain's (the judged `mtaSts`).
 *
 * @example const deliversThere = (p: SenderPolicy, address: AddressResult, context: PolicyContext) => p.atAddress(address, context)?.delivered ?? null;
 */
export interface PolicyContext {
  host: MxHostFacts<AddressResult>;
  /** The domain's facts: its outcome, DNS answers, TLS-RPT, and its MTA-STS facts as judged (mode, MX match); `mtaSts` absent when not gathered. */
  domain: Pick<DomainFacts, 'domain' | 'outcome' | 'mx' | 'dns' | 'tlsRpt'> & { mtaSts?: MtaStsResult };
}

/**
 * One sender policy: a row of the table.
 *
 * @example const d: SenderPolicy = senderPolicy('verify'); // d.promises: { encrypted: true, authenticated: true }
 */
export interface SenderPolicy {
  id: SenderPolicyId;
  letter: PolicyLetter;
  /** As the FAQs call it. */
  name: string;
  /** The level name that also names this policy in `--require` (none → plain, encrypt → tls-required, verify → verify), or null. */
  level: Level | null;
  /** What it promises wherever it delivers: satisfied only when every delivery has it. */
  promises: { encrypted: boolean; authenticated: boolean };
  /** What "satisfies" means for it, in words (README "Sender policies"). */
  satisfiedWhen: string;
  /**
   * What a sender of this policy does at one reachable address (its level is known); null when
   * it cannot be told for this address (it then does not count).
   */
  atAddress(address: AddressResult, context: PolicyContext): AddressDelivery | null;
}

/** The server refused plaintext commands (530 "must issue STARTTLS first" to EHLO): a plaintext sender cannot deliver. */
const refusesPlaintext = (a: AddressResult) => a.tlsRequiredReply !== null;
const atLeast = (a: AddressResult, level: Level) => a.level !== null && meetsLevel(a.level, level);

/** What an opportunistic sender (b) does: TLS when a session can be made, else plaintext (which a server that demands TLS refuses). */
function opportunistic(a: AddressResult): AddressDelivery {
  const encrypted = atLeast(a, 'encrypt');
  return { delivered: encrypted || !refusesPlaintext(a), encrypted, authenticated: false };
}

/**
 * What a DANE sender (RFC 7672; Postfix `smtp_tls_security_level = dane`) does at one address,
 * by its DANE outcome: `valid` → TLS, authenticated (whatever PKIX says: a self-signed
 * certificate will do); `unusable` → TLS required, not authenticated (§2.2); `invalid`,
 * `bogus` → no delivery (§2.1.1, §2.2); `insecure`, `none` → DANE does not apply: opportunistic
 * TLS; `indeterminate` (the look-up failed, the resolver does not validate) → unknown. Without
 * a DANE outcome (not gathered: --server) → unknown.
 *
 * @example daneDelivery(address) // { delivered: true, encrypted: true, authenticated: true } where DANE is valid
 */
export function daneDelivery(a: AddressResult): AddressDelivery | null {
  const session = atLeast(a, 'encrypt');
  switch (a.dane?.status) {
    case 'valid':
      return { delivered: session, encrypted: session, authenticated: session };
    case 'unusable':
      return { delivered: session, encrypted: session, authenticated: false };
    case 'invalid':
    case 'bogus':
      return { delivered: false, encrypted: false, authenticated: false };
    case 'insecure':
    case 'none':
      return opportunistic(a);
    default:
      return null;
  }
}

/**
 * The table, in the FAQs' order.
 *
 * @example SENDER_POLICIES.map((p) => p.letter) // ['a', 'b', 'c', 'd', 'e', 'f']
 */
export const SENDER_POLICIES: readonly SenderPolicy[] = [
  {
    id: 'plain',
    letter: 'a',
    name: 'plain (no TLS)',
    level: 'none',
    promises: { encrypted: false, authenticated: false },
    satisfiedWhen: 'every reachable MX address accepts the mail in plaintext',
    atAddress: (a) => ({ delivered: !refusesPlaintext(a), encrypted: false, authenticated: false }),
  },
  {
    id: 'opportunistic',
    letter: 'b',
    name: 'TLS if offered',
    level: null,
    promises: { encrypted: true, authenticated: false },
    satisfiedWhen: 'every reachable MX address gets the mail, and over TLS',
    atAddress: opportunistic,
  },
  {
    id: 'tls-required',
    letter: 'c',
    name: 'TLS required',
    level: 'encrypt',
    promises: { encrypted: true, authenticated: false },
    satisfiedWhen: 'every reachable MX address gets the mail (over TLS: nothing else is sent)',
    atAddress: (a) => {
      const delivered = atLeast(a, 'encrypt');
      return { delivered, encrypted: delivered, authenticated: false };
    },
  },
  {
    id: 'verify',
    letter: 'd',
    name: 'TLS required, name verified',
    level: 'verify',
    promises: { encrypted: true, authenticated: true },
    satisfiedWhen: 'every reachable MX address gets the mail over TLS, with its certificate and name verified',
    atAddress: (a) => {
      const delivered = atLeast(a, 'verify');
      return { delivered, encrypted: delivered, authenticated: delivered };
    },
  },
  {
    id: 'dane',
    letter: 'e',
    name: 'DANE enforced',
    level: null,
    promises: { encrypted: true, authenticated: true },
    satisfiedWhen: 'every reachable MX address gets the mail over TLS with its certificate authenticated by DNSSEC-signed TLSA records (PKIX trust not needed)',
    atAddress: daneDelivery,
  },
  {
    id: 'mta-sts',
    letter: 'f',
    name: 'MTA-STS enforced',
    level: null,
    promises: { encrypted: true, authenticated: true },
    satisfiedWhen: 'the domain enforces an MTA-STS policy listing every MX host, and every reachable MX address gets the mail over TLS with its certificate and name verified',
    // RFC 8461 §5: without an enforced policy the sender delivers as an opportunistic one.
    atAddress: (a, { host, domain }) =>
      domain.mtaSts === undefined ? null : mtaStsDelivery(domain.mtaSts, host.host, { encrypted: atLeast(a, 'encrypt'), verified: atLeast(a, 'verify'), refusesPlaintext: refusesPlaintext(a) }),
  },
];

const BY_ID: ReadonlyMap<SenderPolicyId, SenderPolicy> = new Map(SENDER_POLICIES.map((p) => [p.id, p]));

/**
 * The table's row of a policy.
 *
 * @example senderPolicy('tls-required').letter // 'c'
 */
export function senderPolicy(id: SenderPolicyId): SenderPolicy {
  return BY_ID.get(id) as SenderPolicy;
}

function share(count: number, total: number): Share {
  return count === 0 ? 'no' : count === total ? 'yes' : 'partly';
}

/**
 * The one definition of "satisfies": delivered to every reachable MX address, and every
 * delivery encrypted (authenticated) where the policy promises it; null when undetermined.
 *
 * @example satisfies(senderPolicy('opportunistic'), { delivered: 'yes', encrypted: 'partly', authenticated: 'no' }) // false
 */
export function satisfies(policy: SenderPolicy, row: Pick<PolicyOutcome, 'delivered' | 'encrypted' | 'authenticated'>): boolean | null {
  if (row.delivered === 'unknown') return null;
  return row.delivered === 'yes' && (!policy.promises.encrypted || row.encrypted === 'yes') && (!policy.promises.authenticated || row.authenticated === 'yes');
}

/** Outcomes after which a domain accepts no mail at all: every policy delivers nothing. */
const NO_MAIL: ReadonlySet<DomainOutcome> = new Set(['nxdomain', 'null-mx', 'no-mail-host', 'invalid-input']);

const UNKNOWN_ROW = { delivered: 'unknown', encrypted: 'unknown', authenticated: 'unknown' } as const;

/**
 * A domain's row for one policy, from its judged MX hosts (only reachable addresses count). A
 * reachable address where the policy's sender cannot be told (atAddress null: a TLSA look-up
 * that failed, a DNS deadline) is never taken for a delivery: unless a known address already
 * fails the policy, the row is unknown (a DANE sender defers at a host whose TLSA look-up
 * failed, RFC 7672 §2.1.1; the other hosts cannot make the row satisfied).
 *
 * @example policyOutcome(senderPolicy('verify'), facts, mx).delivered // 'partly'
 */
export function policyOutcome(policy: SenderPolicy, domain: PolicyContext['domain'], mx: readonly MxHostFacts<AddressResult>[]): PolicyOutcome {
  let undetermined = 0;
  const deliveries = mx.flatMap((host) =>
    host.addresses.flatMap((a) => {
      if (a.level === null) return [];
      const d = policy.atAddress(a, { host, domain });
      if (d === null) undetermined++;
      return d === null ? [] : [d];
    }),
  );
  const base = { policy: policy.letter, id: policy.id, name: policy.name };
  if (deliveries.length === 0) {
    const row = NO_MAIL.has(domain.outcome) ? ({ delivered: 'no', encrypted: 'n/a', authenticated: 'n/a' } as const) : UNKNOWN_ROW;
    return { ...base, ...row, satisfied: satisfies(policy, row) };
  }
  const delivered = deliveries.filter((d) => d.delivered);
  const of = (key: 'encrypted' | 'authenticated'): Share | 'n/a' => (delivered.length === 0 ? 'n/a' : share(delivered.filter((d) => d[key]).length, delivered.length));
  const known = { delivered: share(delivered.length, deliveries.length), encrypted: of('encrypted'), authenticated: of('authenticated') };
  const row = undetermined > 0 && satisfies(policy, known) !== false ? UNKNOWN_ROW : known;
  return { ...base, ...row, satisfied: satisfies(policy, row) };
}

/**
 * The domain's verdict per sender policy: a row per table entry.
 *
 * @example judgePolicies(facts, mx).map((p) => [p.policy, p.satisfied]) // [['a', true], ['b', false], ['c', false], ['d', false], ['e', false], ['f', false]]
 */
export function judgePolicies(domain: PolicyContext['domain'], mx: readonly MxHostFacts<AddressResult>[]): PolicyOutcome[] {
  return SENDER_POLICIES.map((policy) => policyOutcome(policy, domain, mx));
}

/**
 * Whether a domain meets its requirement: true when it satisfies every required policy, false
 * when it does not satisfy one of them, null when that could not be determined.
 *
 * @example requirementMet(result.policies, ['tls-required']) // true | false | null
 */
export function requirementMet(policies: readonly PolicyOutcome[], required: Requirement): boolean | null {
  const verdicts = required.map((id) => policies.find((p) => p.id === id)?.satisfied ?? null);
  if (verdicts.some((v) => v === false)) return false;
  return verdicts.length > 0 && verdicts.every((v) => v === true) ? true : null;
}

/**
 * The names `--require` and the batch `require` column accept for each policy: its letter, its
 * id and its level name, without regard to case.
 *
 * @example requirementNames() // 'none, encrypt, verify, a–f, plain, opportunistic, tls-required, dane, mta-sts'
 */
export function requirementNames(): string {
  const levels = SENDER_POLICIES.flatMap((p) => (p.level !== null ? [p.level] : []));
  const letters = SENDER_POLICIES.map((p) => p.letter);
  const ids = SENDER_POLICIES.map((p) => p.id).filter((id) => !(levels as readonly string[]).includes(id));
  return [...levels, `${letters[0]}–${letters.at(-1)}`, ...ids].join(', ');
}

const BY_NAME: ReadonlyMap<string, SenderPolicyId> = new Map(
  SENDER_POLICIES.flatMap((p) => [p.letter, p.id, ...(p.level !== null ? [p.level] : [])].map((name) => [name.toLowerCase(), p.id] as const)),
);

/**
 * A requirement from its text: one or more policy names, comma-separated (letters, ids, or the
 * level names none/encrypt/verify), without regard to case or spaces around commas; in the
 * table's order, each once. Null when a name is empty or unknown (the caller says which names
 * there are: {@link requirementNames}).
 *
 * @example parseRequirement('d, B') // ['opportunistic', 'verify']
 * @example parseRequirement('encrypt') // ['tls-required']
 * @example parseRequirement('dane, mta-sts') // ['dane', 'mta-sts']
 * @example parseRequirement('tlsa') // null
 */
export function parseRequirement(text: string): Requirement | null {
  const ids = new Set<SenderPolicyId>();
  for (const name of text.split(',')) {
    const id = BY_NAME.get(name.trim().toLowerCase());
    if (id === undefined) return null;
    ids.add(id);
  }
  return SENDER_POLICIES.map((p) => p.id).filter((id) => ids.has(id));
}

/**
 * A requirement as `required` shows it (JSON, CSV, text): each policy by its level name when it
 * has one (so a requirement v1 could state reads as it did: "encrypt"), else by its id, joined
 * by commas in the table's order; `+graded` after them when no fact may be graded insufficient.
 *
 * @example requirementText(['tls-required']) // 'encrypt'
 * @example requirementText(['opportunistic', 'verify']) // 'opportunistic,verify'
 * @example requirementText(['verify'], true) // 'verify+graded'
 */
export function requirementText(required: Requirement, graded = false): string {
  return required.map((id) => senderPolicy(id).level ?? id).join(',') + (graded ? GRADED_SUFFIX : '');
}

/** What `--require` appends to demand that no fact is graded insufficient (judge/deep-grade.ts). */
const GRADED_SUFFIX = '+graded';

/**
 * A requirement with its graded demand, as `--require` gives it: the sender policies, and
 * whether no fact of any reachable address may be graded insufficient under the guideline
 * profile (`+graded`, judge/deep-grade.ts). A graded requirement needs the deep probe: the
 * caller turns `--deep` on for it.
 *
 * @example const spec: RequirementSpec = parseRequirementSpec('verify+graded') ?? { required: ['tls-required'], graded: false };
 */
export interface RequirementSpec {
  required: Requirement;
  graded: boolean;
}

/**
 * A requirement and its graded demand from `--require`'s text: the sender policies as
 * {@link parseRequirement} reads them, then optionally `+graded` (without regard to case or
 * spaces around it), which applies to the requirement as a whole. Null when the policies are
 * not a requirement, or anything but `+graded` follows them.
 *
 * @example parseRequirementSpec('verify+graded') // { required: ['verify'], graded: true }
 * @example parseRequirementSpec('b, d + GRADED') // { required: ['opportunistic', 'verify'], graded: true }
 * @example parseRequirementSpec('encrypt') // { required: ['tls-required'], graded: false }
 * @example parseRequirementSpec('+graded') // null
 */
export function parseRequirementSpec(text: string): RequirementSpec | null {
  const plus = text.indexOf('+');
  const graded = plus >= 0;
  if (graded && text.slice(plus).replace(/\s+/g, '').toLowerCase() !== GRADED_SUFFIX) return null;
  const required = parseRequirement(graded ? text.slice(0, plus) : text);
  return required === null ? null : { required, graded };
}
