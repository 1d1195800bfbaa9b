/**
 * Judges DANE over a whole domain (RFC 7672 §2.2, §3): for each MX host whether DANE can apply
 * (the resolver validates and the host's address answers are DNSSEC-secure),
 * then each address's DANE outcome (judge/dane.ts judgeDane), the host's TLSA-set problems and
 * its rollover safety (judge/dane-rollover.ts). The problems are returned by scope, never fed
 * to the PKIX level ladder (judge-address.ts capLevel). Pure: `now` is a parameter.
 */
import type { AddressResult } from '../model/address.js';
import type { CertificateInfo } from '../model/certificate.js';
import type { DaneOutcome, TlsaFacts } from '../model/dane.js';
import type { DomainFacts, MxHostFacts } from '../model/domain.js';
import type { Problem } from '../model/problem.js';
import { daneReferenceNames, judgeDane, judgeTlsaSet, type DaneAddressInput } from './dane.js';
import { judgeRollover } from './dane-rollover.js';
import { addressAnswersSecure } from '../rules/dane-applies.js';

/**
 * Whether DANE can apply to `host` (RFC 7672 §2.2.2): the run's resolver validates and every
 * address answer asked for the host (A and AAAA, their CNAME chains included) is secure. The
 * MX answer need not be: RFC 7672 §2.2.1 lets a sender use DANE with MX hosts from an insecure
 * MX RRset, and Postfix does (posttls-finger -l dane: "MX RRset insecure: log verified as
 * trusted", and a TLSA mismatch refused), so a DANE sender refuses there too. A `localhost`
 * host (never asked of DNS) is not. Pure: read from the facts' `dns` list.
 *
 * @example hostAnswersSecure(facts, facts.mx[0]) // true when the host's A and AAAA answers had AD from a validating resolver
 */
export function hostAnswersSecure(facts: Pick<DomainFacts, 'dns' | 'dnssec'>, host: Pick<MxHostFacts<unknown>, 'host'>): boolean {
  return facts.dnssec?.validating === true && addressAnswersSecure(facts.dns, host.host);
}

/**
 * The chain a DANE sender gets at an address, as sent, or why there is none: from the handshake
 * with its SNI (the TLSA base domain, RFC 7672 §8.1) where the probe made one (a CNAME'd host);
 * else from the address's own handshake, whose SNI is then the DANE sender's.
 */
function chainAt(a: AddressResult): DaneAddressInput['chain'] {
  if (a.level === null) return 'unreached';
  if (a.tls === null || a.certificate === null) return 'no-tls';
  const dane = a.daneHandshake;
  if (dane === undefined) return a.certificate.chain;
  if (dane.certificate !== null) return dane.certificate.chain;
  // The handshake itself failed: a DANE sender gets no TLS; stopped before it: unknown.
  return dane.failure === null || dane.failure.stage === 'handshake' ? 'no-tls' : 'unreached';
}

/**
 * The DANE judgement of a domain's judged hosts: each address gets its `dane` outcome (its
 * problems, scope `address`, added to its own after its level was set), each host its
 * `rollover` where DANE applies; `problems` are the hosts' (scope `host`: DNSSEC_BOGUS,
 * DANE_UNUSABLE_*, DANE_ROLLOVER_UNSAFE). Facts gathered without DNSSEC (no `dnssec`: --server,
 * older facts) are left as they are.
 *
 * @example const { mx, problems } = judgeDomainDane(facts, judgedHosts, new Date()); // mx[0].addresses[0].dane?.status: 'valid'
 */
export function judgeDomainDane(
  facts: Pick<DomainFacts, 'domain' | 'dns' | 'dnssec'>,
  hosts: readonly MxHostFacts<AddressResult>[],
  now: Date,
): { mx: MxHostFacts<AddressResult>[]; problems: Problem[] } {
  const dnssec = facts.dnssec;
  if (dnssec === undefined) return { mx: [...hosts], problems: [] };
  const problems: Problem[] = [];
  const mx = hosts.map((host): MxHostFacts<AddressResult> => {
    if (host.addresses.length === 0) return host;
    const outcome = (status: DaneOutcome['status'], message: string): DaneOutcome => ({ status, matched: null, message });
    const every = (o: DaneOutcome) => ({ ...host, addresses: host.addresses.map((a) => ({ ...a, dane: o })) });
    if (dnssec.validating !== true) {
      const why = dnssec.validating === false ? 'the resolver does not validate DNSSEC (DNSSEC_NOT_VALIDATED)' : 'whether the resolver validates DNSSEC could not be checked';
      return every(outcome('indeterminate', `Whether DANE applies to ${host.host} cannot be told: ${why}.`));
    }
    const secure = hostAnswersSecure(facts, host);
    if (!secure) {
      return every(outcome('insecure', `The MX or address answers for ${host.host} are not DNSSEC-secure: DANE does not apply (RFC 7672 §2.2), whatever TLSA records say; a DANE sender uses opportunistic TLS.`));
    }
    const tlsa: TlsaFacts | undefined = host.tlsa;
    if (tlsa === undefined) {
      return every(outcome('indeterminate', `The TLSA records of ${host.host} were not looked up (the domain's DNS deadline passed): its DANE state is unknown.`));
    }
    // The next-hop domain names the server only when DNSSEC vouches for the MX record that led here.
    const referenceNames = daneReferenceNames(host.host, tlsa.baseDomain !== host.host ? [tlsa.baseDomain] : [], facts.dnssec?.mx === 'secure' ? facts.domain : undefined);
    const addresses = host.addresses.map((a) => {
      const judged = judgeDane({ host: host.host, ip: a.ip, referenceNames, hostSecure: true, tlsa, chain: chainAt(a) }, now);
      return { ...a, dane: judged.outcome, problems: [...a.problems, ...judged.problems] };
    });
    problems.push(...judgeTlsaSet(host.host, tlsa, true));
    const chains = host.addresses.flatMap((a): Array<readonly CertificateInfo[]> => {
      const chain = a.daneHandshake !== undefined ? a.daneHandshake.certificate?.chain : a.certificate?.chain;
      return chain !== undefined && chain.length > 0 ? [chain] : [];
    });
    const { rollover, problems: rolloverProblems } = judgeRollover(host.host, tlsa, true, chains, now);
    problems.push(...rolloverProblems);
    const judged: MxHostFacts<AddressResult> = { ...host, addresses };
    if (rollover !== null) judged.rollover = rollover;
    return judged;
  });
  return { mx, problems };
}
