/**
 * Grades what one address accepts under a guideline profile (model/tls-guidelines.ts): the
 * facts of a deep probe (`--deep`) and of the probe's own handshake, each with its tier, the
 * worst tier, what could not be told, and a problem per kind of fact graded phase-out or
 * insufficient; and a domain's graded requirement (`--require …+graded`). Pure.
 *
 * Without deep facts only the probe's own handshake is graded: what it negotiated is graded
 * like anything else, but what else the server accepts is not known, so the grade is not
 * complete and a graded requirement cannot pass on it (a `+graded` requirement turns --deep
 * on; the verdict must be right).
 */
import type { AddressFacts, AddressResult } from '../model/address.js';
import type { CertificateInfo } from '../model/certificate.js';
import type { DeepFacts } from '../model/deep.js';
import type { AddressPlace, Problem, ProblemCode } from '../model/problem.js';
import { cipherSuite, cipherSuiteByName } from '../model/cipher-suites.js';
import { TLS12, TLS13, normaliseVersion, protocolRank } from '../model/tls-protocols.js';
import {
  GUIDELINE_PROFILES,
  certHashTier,
  certKeyTier,
  dhTier,
  groupName,
  groupTier,
  protocolTier,
  suiteTier,
  worstTier,
  type AddressGrade,
  type GradedFact,
  type GradedFactKind,
  type GradedVerdict,
  type GuidelineProfile,
  type GuidelineProfileId,
  type Tier,
} from '../model/tls-guidelines.js';
import { problem } from './problem-catalogue.js';

/**
 * What grading reads of an address.
 *
 * @example const input: GradeInput = facts; // an AddressFacts is one
 */
export type GradeInput = Pick<AddressFacts, 'host' | 'ip' | 'tlsMode' | 'tls' | 'certificate'> & { deep?: DeepFacts | undefined };

/**
 * The code for a kind of fact at a tier below sufficient. Certificates the probe's own
 * handshake did not see (a deep probe's second certificate) reuse WEAK_KEY and WEAK_SIGNATURE
 * for insufficient; the probe's own certificate has those from the address judge already.
 *
 * @example GRADE_CODES.protocol.insufficient // 'TLS_PROTOCOL_INSUFFICIENT'
 */
export const GRADE_CODES: Readonly<Record<GradedFactKind, Readonly<Record<'phase-out' | 'insufficient', ProblemCode>>>> = {
  protocol: { insufficient: 'TLS_PROTOCOL_INSUFFICIENT', 'phase-out': 'TLS_PROTOCOL_PHASE_OUT' },
  cipher: { insufficient: 'TLS_CIPHER_INSUFFICIENT', 'phase-out': 'TLS_CIPHER_PHASE_OUT' },
  'cipher-order': { insufficient: 'TLS_CIPHER_ORDER', 'phase-out': 'TLS_CIPHER_ORDER' },
  group: { insufficient: 'TLS_GROUP_INSUFFICIENT', 'phase-out': 'TLS_GROUP_PHASE_OUT' },
  dh: { insufficient: 'WEAK_DH', 'phase-out': 'TLS_GROUP_PHASE_OUT' },
  'cert-key': { insufficient: 'WEAK_KEY', 'phase-out': 'CERT_KEY_PHASE_OUT' },
  'cert-hash': { insufficient: 'WEAK_SIGNATURE', 'phase-out': 'CERT_HASH_PHASE_OUT' },
  compression: { insufficient: 'TLS_COMPRESSION', 'phase-out': 'TLS_COMPRESSION' },
  renegotiation: { insufficient: 'TLS_INSECURE_RENEGOTIATION', 'phase-out': 'TLS_INSECURE_RENEGOTIATION' },
  'client-renegotiation': { insufficient: 'TLS_CLIENT_RENEGOTIATION', 'phase-out': 'TLS_CLIENT_RENEGOTIATION' },
  'extended-master-secret': { insufficient: 'TLS_NO_EXTENDED_MASTER_SECRET', 'phase-out': 'TLS_NO_EXTENDED_MASTER_SECRET' },
  'command-injection': { insufficient: 'STARTTLS_COMMAND_INJECTION', 'phase-out': 'STARTTLS_COMMAND_INJECTION' },
};

/** How a problem's message says what was found, per kind. */
const FOUND: Readonly<Record<GradedFactKind, (subjects: string) => string>> = {
  protocol: (s) => `accepts ${s}`,
  cipher: (s) => `accepts the cipher suites ${s}`,
  'cipher-order': () => 'lets the client choose among cipher suites of different tiers (it does not enforce its own order)',
  group: (s) => `accepts the key exchange groups ${s}`,
  dh: (s) => `uses finite-field Diffie-Hellman with ${s}`,
  'cert-key': (s) => `presents a certificate with ${s}`,
  'cert-hash': (s) => `presents a certificate signed with ${s}`,
  compression: () => 'compresses TLS records',
  renegotiation: () => 'does not support secure renegotiation (RFC 5746)',
  'client-renegotiation': () => 'accepts a renegotiation started by the client',
  'extended-master-secret': () => 'does not use the extended master secret (RFC 7627) with TLS 1.2',
  'command-injection': () => 'answers commands sent together with STARTTLS inside the TLS session',
};


/**
 * How many names a problem's message lists (suites, protocols, groups, what was not told): the
 * rest are counted ("and 27 more"); the grade's facts and the deep facts keep every one.
 *
 * @example MESSAGE_NAMES // 5
 */
export const MESSAGE_NAMES = 5;

/**
 * Names for a message: the first MESSAGE_NAMES joined by `separator`, then how many more.
 *
 * @example namesInMessage(['a', 'b', 'c', 'd', 'e', 'f', 'g']) // 'a, b, c, d, e and 2 more'
 */
export function namesInMessage(names: readonly string[], separator = ', '): string {
  const shown = names.slice(0, MESSAGE_NAMES).join(separator);
  return names.length > MESSAGE_NAMES ? `${shown} and ${names.length - MESSAGE_NAMES} more` : shown;
}

/** Grading's running state: the facts so far, each subject of a kind once (the probe's own first). */
class Facts {
  readonly list: GradedFact[] = [];
  add(kind: GradedFactKind, subject: string, tier: Tier | null, seenBy: GradedFact['seenBy']): void {
    if (tier === null || this.list.some((f) => f.kind === kind && f.subject === subject)) return;
    this.list.push({ kind, subject, tier, seenBy });
  }
}

/** A certificate's key in words: "RSA 2048", "EC secp384r1", "ED25519". */
function keyText(c: CertificateInfo): string {
  if (c.keyType === 'ec') return `EC ${c.curve === null ? `${c.keyBits ?? '?'} bits` : groupName(c.curve)}`;
  return c.keyBits !== null && c.keyType !== 'ed25519' && c.keyType !== 'ed448' ? `${c.keyType.toUpperCase()} ${c.keyBits}` : c.keyType.toUpperCase();
}

/**
 * Grades a chain: every certificate's key but a self-signed root's (internet.nl skips roots),
 * every signature but a self-signature (nobody checks it).
 */
function gradeChain(facts: Facts, profile: GuidelineProfile, chain: readonly CertificateInfo[], seenBy: GradedFact['seenBy']): void {
  for (const c of chain) {
    const name = `"${c.subject}"`;
    if (!c.selfSigned) {
      facts.add('cert-key', `${keyText(c)} (${name})`, certKeyTier(profile, c.keyType, c.keyBits, c.curve), seenBy);
      facts.add('cert-hash', `${c.signatureAlgorithm} (${name})`, certHashTier(profile, c.signatureAlgorithm), seenBy);
    }
  }
}

/** The probe's own handshake: the protocol and suite it negotiated, its key exchange, its certificate. */
function gradeOwnHandshake(facts: Facts, profile: GuidelineProfile, input: GradeInput): void {
  const tls = input.tls;
  if (tls === null) return;
  const version = normaliseVersion(tls.protocol);
  facts.add('protocol', version ?? tls.protocol, protocolTier(profile, tls.protocol), 'probe');
  const suite = cipherSuiteByName(tls.cipher) ?? cipherSuiteByName(tls.cipherOpenssl);
  const name = suite?.name ?? tls.cipher;
  facts.add('cipher', name, suiteTier(profile, name), 'probe');
  const kx = tls.keyExchange;
  if (kx !== null) {
    if (kx.type === 'DH' && (kx.name === null || !/^ffdhe/i.test(kx.name))) facts.add('dh', `DH ${kx.size}`, dhTier(profile, kx.size), 'probe');
    else if (kx.name !== null) facts.add('group', groupName(kx.name), groupTier(profile, kx.name), 'probe');
  }
  if (input.certificate !== null) gradeChain(facts, profile, input.certificate.chain, 'probe');
}

/** A deep probe's facts, and what it could not tell. */
function gradeDeep(facts: Facts, profile: GuidelineProfile, input: GradeInput, deep: DeepFacts): string[] {
  const missing: string[] = [];
  for (const p of deep.protocols) {
    if (p.accepted === true) facts.add('protocol', p.version, protocolTier(profile, p.version), 'deep');
    else if (p.accepted === null) missing.push(`${p.version}${p.note !== null ? `: ${p.note}` : ''}`);
  }
  const accepted = deep.ciphers.accepted.map((s) => ({ ...s, name: cipherSuite(s.code)?.name ?? s.name }));
  for (const s of accepted) facts.add('cipher', s.name, suiteTier(profile, s.name), 'deep');
  missing.push(...deep.ciphers.untested);
  // internet.nl: a server that takes the client's order while it accepts suites of a lower tier
  // than others lets a client get the lower one (TLS 1.3 suites are all good or sufficient).
  const legacy = accepted.filter((s) => s.protocol !== TLS13).map((s) => suiteTier(profile, s.name));
  const mixed = legacy.some((t) => t === 'good' || t === 'sufficient') && legacy.some((t) => t === 'phase-out' || t === 'insufficient');
  if (deep.ciphers.serverOrder === false && mixed) facts.add('cipher-order', 'client order', profile.clientCipherOrder, 'deep');
  else if (deep.ciphers.serverOrder === true && mixed) facts.add('cipher-order', 'server order', 'good', 'deep');
  for (const g of deep.groups.accepted) facts.add('group', groupName(g), groupTier(profile, g), 'deep');
  for (const bits of deep.groups.dhBits) {
    // A prime of the server's own (not RFC 7919's of that size) is insufficient where the profile admits only the named groups.
    const named = deep.groups.dhGroups.includes(`ffdhe${bits}`);
    const tier = profile.dhNamedOnly && !named ? 'insufficient' : dhTier(profile, bits);
    facts.add('dh', `DH ${bits}`, tier, 'deep');
  }
  missing.push(...deep.groups.untested);
  for (const c of deep.certificates) if (c.certificate !== null) gradeChain(facts, profile, c.certificate.chain, 'deep');
  // The session facts of TLS 1.2 and older: told only when such a version was accepted.
  const old = deep.protocols.some((p) => p.accepted === true && protocolRank(p.version) < protocolRank(TLS13));
  const tls12 = deep.protocols.some((p) => p.accepted === true && p.version === TLS12);
  const told = (kind: GradedFactKind, value: boolean | null, bad: Tier | null, applies: boolean, what: string) => {
    if (value === null) {
      if (applies) missing.push(what);
      return;
    }
    facts.add(kind, what, value ? bad : 'good', 'deep');
  };
  told('compression', deep.compression, profile.compression, old, 'compression');
  told('renegotiation', deep.renegotiation.secure === null ? null : !deep.renegotiation.secure, profile.insecureRenegotiation, old, 'secure renegotiation');
  told('client-renegotiation', deep.renegotiation.clientInitiated, profile.clientRenegotiation, old, 'client-initiated renegotiation');
  told('extended-master-secret', deep.extendedMasterSecret === null ? null : !deep.extendedMasterSecret, profile.noExtendedMasterSecret, tls12, 'extended master secret');
  // Command injection is a STARTTLS matter: with implicit TLS there is nothing to inject into.
  told('command-injection', deep.commandInjection.vulnerable, profile.commandInjection, input.tlsMode === 'starttls', 'STARTTLS command injection');
  return missing;
}

/** Certificates the probe's own handshake presented, by fingerprint (their insufficient key or hash is the address judge's). */
function ownSubjects(input: GradeInput, profile: GuidelineProfile): Set<string> {
  const own = new Facts();
  if (input.certificate !== null) gradeChain(own, profile, input.certificate.chain, 'probe');
  return new Set(own.list.map((f) => `${f.kind} ${f.subject}`));
}

/**
 * The grade of one address under a profile, and its problems: one per code, naming every fact
 * of that kind and tier, and DEEP_PARTIAL when the deep probe could not tell everything.
 *
 * @example gradeAddress(facts, 'ncsc').grade.worst // 'insufficient' when TLS 1.0 was accepted
 */
export function gradeAddress(input: GradeInput, profileId: GuidelineProfileId = 'ncsc'): { grade: AddressGrade; problems: Problem[] } {
  const profile = GUIDELINE_PROFILES[profileId];
  const facts = new Facts();
  gradeOwnHandshake(facts, profile, input);
  const deep = input.deep;
  const missing = deep !== undefined ? gradeDeep(facts, profile, input, deep) : input.tls !== null ? ['--deep was not run: only the probe\'s own handshake was graded'] : [];
  const complete = missing.length === 0 && (deep === undefined ? input.tls === null : deep.partial === null);
  const grade: AddressGrade = { profile: profileId, facts: facts.list, worst: worstTier(facts.list.map((f) => f.tier)), complete, missing };

  const at: AddressPlace = { scope: 'address', host: input.host, ip: input.ip };
  const where = `${input.host} [${input.ip}]`;
  const own = ownSubjects(input, profile);
  const byCode = new Map<ProblemCode, { kind: GradedFactKind; tier: Tier; subjects: string[] }>();
  for (const f of facts.list) {
    if (f.tier !== 'phase-out' && f.tier !== 'insufficient') continue;
    const code = GRADE_CODES[f.kind][f.tier];
    // The probe's own certificate: WEAK_KEY and WEAK_SIGNATURE come from the address judge.
    if ((code === 'WEAK_KEY' || code === 'WEAK_SIGNATURE') && own.has(`${f.kind} ${f.subject}`)) continue;
    const entry = byCode.get(code) ?? { kind: f.kind, tier: f.tier, subjects: [] };
    entry.subjects.push(f.subject);
    byCode.set(code, entry);
  }
  const problems: Problem[] = [];
  for (const [code, { kind, tier, subjects }] of byCode) {
    const message = `${where} ${FOUND[kind](namesInMessage(subjects))}: ${tier} under ${profile.title}.`;
    problems.push(problem(code, message, at));
  }
  if (deep !== undefined && (deep.partial !== null || missing.length > 0)) {
    const why = deep.partial !== null ? `the deep probe of ${where} stopped early (${deep.partial.message})` : `the deep probe of ${where} could not tell everything`;
    const what = missing.length > 0 ? `; not told: ${namesInMessage(missing, '; ')}` : '';
    problems.push(problem('DEEP_PARTIAL', `${why.charAt(0).toUpperCase()}${why.slice(1)}${what}.`, at));
  }
  return { grade, problems };
}

/**
 * A domain's graded requirement over its judged addresses: false when an address was graded
 * insufficient, true when every reachable address was graded completely and none was, else
 * null (nothing reachable, or a grade not complete: the deep probe stopped, or did not run).
 *
 * @example gradedVerdict(result.mx.flatMap((h: MxHostResult) => h.addresses), 'ncsc').satisfied // true | false | null
 */
export function gradedVerdict(addresses: readonly AddressResult[], profile: GuidelineProfileId): GradedVerdict {
  const graded = addresses.filter((a) => a.grade !== undefined);
  const worst = worstTier(graded.flatMap((a) => (a.grade?.worst != null ? [a.grade.worst] : [])));
  if (worst === 'insufficient') return { profile, worst, satisfied: false };
  const reached = addresses.filter((a) => a.level !== null);
  const satisfied = reached.length > 0 && reached.every((a) => a.grade?.complete === true) ? true : null;
  return { profile, worst, satisfied };
}
