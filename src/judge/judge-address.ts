/**
 * Judges what one address probe found: its level (none < encrypt < verify) and its problems.
 * Pure: the time is a parameter, so a test can pin it.
 */
import type { AddressFacts, AddressResult } from '../model/address.js';
import type { CertificateFacts, CertificateInfo, CertificateVerdict, PathCertificate } from '../model/certificate.js';
import type { AddressPlace, Problem, ProblemCode } from '../model/problem.js';
import type { Level } from '../model/levels.js';
import type { Requirement } from '../model/policy.js';
import { matchHostName } from '../rules/name-match.js';
import { isWeakSignature } from '../rules/signature-strength.js';
import { failureCode, problem, PROBLEMS } from './problem-catalogue.js';
import { judgePath, PATH_CHECKS, timeFailures, type PathCheck, type PathFailure } from './verify-path.js';
import { modernTlsProblem } from './modern-tls.js';
import { judgedAt, judgePolicy } from './judge-policy.js';
import { tlsProtocol } from '../model/tls-protocols.js';
import { cipherWeaknesses } from '../model/cipher-classes.js';
import type { GuidelineProfileId } from '../model/tls-guidelines.js';
import { gradeAddress } from './deep-grade.js';

/**
 * What a domain is judged against: the sender policies it must satisfy, and when a certificate
 * expires soon. Every field may be left out where a judge takes it (DEFAULT_JUDGE_POLICY).
 *
 * @example const policy: JudgePolicy = { required: parseRequirement('b,d') ?? ['verify'], warnDays: 14 };
 */
export interface JudgePolicy {
  /** The sender policies each domain must satisfy (judge/sender-policies.ts parseRequirement). */
  required: Requirement;
  /** CERT_EXPIRES_SOON below this many days left. */
  warnDays: number;
  /**
   * `--require …+graded`: no fact of any reachable address may be graded insufficient under
   * `profile` (judge/deep-grade.ts), and every one must be graded completely (a deep probe that
   * ran to its end). Absent: false.
   */
  graded?: boolean;
  /**
   * The guideline profile facts are graded under (`--profile`; model/tls-guidelines.ts). Absent: ncsc.
   */
  profile?: GuidelineProfileId;
}

const DAY_MS = 86_400_000;
/** Key sizes below these are WEAK_KEY (NIST SP 800-131A; Debian's OpenSSL default security level 2). */
const MIN_KEY_BITS: Record<string, number> = { rsa: 2048, 'rsa-pss': 2048, dsa: 2048, dh: 2048, ec: 224 };

const replyText = (reply: { code: number; lines: string[] }) => `${reply.code} ${reply.lines.join(' ').trim()}`;

/** Whole days from `now` to `notAfter`, rounded down (negative once past). @example daysLeft('2026-06-11T12:00:00Z', new Date('2026-06-01T12:00:00Z')) // 10 */
export function daysLeft(notAfter: string, now: Date): number {
  return Math.floor((Date.parse(notAfter) - now.getTime()) / DAY_MS);
}

/**
 * The judged certificate: the path verified at `now` (judge/verify-path.ts; `failures` when
 * the caller has them already), the leaf's validity, and whether it names the host.
 * @example certificateVerdict(facts.certificate, 'mx.example.com', new Date()).trusted
 */
export function certificateVerdict(
  certificate: CertificateFacts,
  host: string,
  now: Date,
  failures: readonly PathFailure[] = judgePath(certificate, now),
): CertificateVerdict {
  const trust = { trusted: failures.length === 0, trustError: failures[0]?.openssl ?? null, trustErrors: failures.map((f) => f.openssl) };
  const leaf = certificate.chain[0];
  if (leaf === undefined) {
    return { ...trust, nameMatch: false, matchedName: null, expired: false, notYetValid: false, daysLeft: 0, chainDaysLeft: [] };
  }
  const name = matchHostName(host, leaf.san, leaf.commonNames);
  const time = timeFailures(leaf, 0, now);
  return {
    ...trust,
    nameMatch: name.match,
    matchedName: name.matchedName,
    expired: time.includes('leaf-expired'),
    notYetValid: time.includes('leaf-not-yet-valid'),
    daysLeft: daysLeft(leaf.notAfter, now),
    chainDaysLeft: certificate.chain.map((c) => daysLeft(c.notAfter, now)),
  };
}

/** The order problems are listed in: validity first, then the chain's end, then the rest. */
const CHECK_ORDER: PathCheck[] = [
  'leaf-expired',
  'leaf-not-yet-valid',
  'ca-expired',
  'ca-not-yet-valid',
  'self-signed-leaf',
  'issuer-missing',
  'untrusted-root',
  'issuer-unknown',
  'anchor-issuer-unknown',
  'issuer-not-ca',
  'issuer-key-usage',
  'path-length',
  'purpose',
  'signature',
  'critical-extension',
  'openssl',
];

/** One sentence for one failure of the path (server text inside is sanitised by the renderers). */
function failureMessage(f: PathFailure, path: readonly PathCertificate[], where: string, daysLeftOfLeaf: number): string {
  const day = (iso: string) => iso.slice(0, 10);
  const c = path[f.depth] as PathCertificate;
  const below = path[f.depth - 1];
  const ca = (x: PathCertificate) =>
    x.inTrustStore
      ? `The trust anchor "${x.subject}" (from the local store: Node's roots or --ca-file) that the chain of ${where} leads to`
      : `The CA certificate "${x.subject}" in the chain of ${where}`;
  const reason = ` (${f.openssl})`;
  switch (f.check) {
    case 'leaf-expired':
      return `The certificate of ${where} expired on ${day(c.notAfter)} (${-daysLeftOfLeaf} days ago).`;
    case 'leaf-not-yet-valid':
      return `The certificate of ${where} is not valid before ${day(c.notBefore)}.`;
    case 'ca-expired':
      return `${ca(c)} expired on ${day(c.notAfter)} (chain position ${f.depth}).`;
    case 'ca-not-yet-valid':
      return `${ca(c)} is not valid before ${day(c.notBefore)} (chain position ${f.depth}).`;
    case 'self-signed-leaf':
      return `The certificate of ${where} is self-signed${reason}.`;
    case 'issuer-missing':
      return `${where} did not send the issuer of its certificate, "${c.issuer}": the intermediate certificate(s) are missing${reason}.`;
    case 'untrusted-root':
      return `The chain of ${where} ends at "${c.subject}" which is not a trusted root${reason}.`;
    case 'issuer-unknown':
      return `The chain of ${where} ends at "${c.subject}", issued by "${c.issuer}", which is not a trusted root${reason}.`;
    case 'anchor-issuer-unknown':
      return `The chain of ${where} ends at "${c.subject}" from the local trust store, which is not a root: its issuer "${c.issuer}" is not trusted${reason}.`;
    case 'issuer-not-ca': {
      const bc = c.basicConstraints === null ? 'no basicConstraints' : 'basicConstraints CA:FALSE';
      return `The certificate "${below?.subject ?? '?'}" in the chain of ${where} is issued by "${c.subject}", which is not a CA (${bc})${reason}.`;
    }
    case 'issuer-key-usage':
      return `The CA certificate "${c.subject}" in the chain of ${where} may not sign certificates: its keyUsage is ${(c.keyUsage ?? []).join(', ') || 'empty'}, without keyCertSign${reason}.`;
    case 'path-length': {
      const intermediates = path.slice(1, f.depth).filter((x) => !x.selfIssued).length;
      const allowed = c.basicConstraints?.pathLength ?? 0;
      return `The CA certificate "${c.subject}" in the chain of ${where} allows ${allowed} intermediate CA(s) below it (pathLenConstraint), but the path has ${intermediates}${reason}.`;
    }
    case 'purpose': {
      const uses = [
        c.extendedKeyUsage !== null ? `extendedKeyUsage ${c.extendedKeyUsage.join(', ') || 'empty'}` : null,
        f.depth === 0 && c.keyUsage !== null ? `keyUsage ${c.keyUsage.join(', ') || 'empty'}` : null,
        c.netscapeCertType !== null ? `Netscape cert type ${c.netscapeCertType.join(', ') || 'empty'}` : null,
      ].filter((u) => u !== null);
      return f.depth === 0
        ? `The certificate of ${where} is not for a TLS server: ${uses.join('; ')}${reason}.`
        : `The CA certificate "${c.subject}" in the chain of ${where} may not issue TLS server certificates: ${uses.join('; ')}${reason}.`;
    }
    case 'signature':
      return `The signature of "${c.subject}" in the chain of ${where} does not verify with the key of its issuer "${path[f.depth + 1]?.subject ?? c.issuer}"${reason}.`;
    case 'critical-extension':
      return `The certificate "${c.subject}" of ${where} has a critical extension OpenSSL does not handle (${c.unhandledCriticalExtensions.join(', ')})${reason}.`;
    case 'openssl': {
      const unnamed = f.openssl === 'UNSPECIFIED' ? ' (Node does not name this OpenSSL error; `openssl verify -purpose sslserver` does)' : '';
      return `OpenSSL refused the chain of ${where} with ${f.openssl}${unnamed}, for a reason mxprobe does not check itself.`;
    }
  }
}

function certificateProblems(
  cert: CertificateFacts & CertificateVerdict,
  pathFailures: readonly PathFailure[],
  host: string,
  at: AddressPlace,
  policy: JudgePolicy,
): Problem[] {
  const problems: Problem[] = [];
  const where = `${host} [${at.ip}]`;
  const leaf = cert.chain[0] as CertificateInfo;
  const day = (iso: string) => iso.slice(0, 10);

  const failures = [...pathFailures].sort((a, b) => CHECK_ORDER.indexOf(a.check) - CHECK_ORDER.indexOf(b.check));
  // The leaf's own validity comes from the presented leaf (the path starts with the same one).
  const path = cert.path.length > 0 ? cert.path : [{ ...leaf, signatureValid: null }];
  for (const f of failures) problems.push(problem(PATH_CHECKS[f.check].code, failureMessage(f, path, where, cert.daysLeft), at));
  if (!cert.expired && !cert.notYetValid && cert.daysLeft < policy.warnDays) {
    problems.unshift(problem('CERT_EXPIRES_SOON', `The certificate of ${where} expires on ${day(leaf.notAfter)}, in ${cert.daysLeft} days.`, at));
  }

  if (!cert.nameMatch) {
    const names = leaf.san.length > 0 ? leaf.san.join(', ') : leaf.commonNames.map((cn) => `CN=${cn}`).join(', ') || 'no names';
    problems.push(problem('CERT_NAME_MISMATCH', `The certificate of ${where} does not name ${host}; it names ${names}.`, at));
  }

  for (const c of cert.path) {
    const min = MIN_KEY_BITS[c.keyType];
    if (c.inTrustStore || min === undefined || c.keyBits === null || c.keyBits >= min) continue;
    problems.push(problem('WEAK_KEY', `The certificate "${c.subject}" of ${where} has a ${c.keyBits}-bit ${c.keyType.toUpperCase()} key.`, at));
  }
  for (const c of cert.path) {
    if (c.selfSigned || !isWeakSignature(c.signatureAlgorithm)) continue; // a root's self-signature is never checked
    problems.push(problem('WEAK_SIGNATURE', `The certificate "${c.subject}" of ${where} is signed with ${c.signatureAlgorithm}.`, at));
  }
  return problems;
}

/** Stages after which an address counts as reachable: its TLS capability was learned. */
const DETERMINED_STAGES = new Set(['handshake', 'ehlo-tls', 'quit']);

/**
 * Stages of the dialogue over TLS: a failure there means no mail goes over TLS at this
 * address, whatever the handshake established (QUIT failures are never recorded).
 */
const AFTER_HANDSHAKE = new Set(['ehlo-tls']);

/**
 * Codes that mean no mail goes over TLS at the address, whatever the probe's own handshake
 * established: its dialogue over TLS failed, or a sender with current TLS defaults cannot
 * make a TLS session there.
 */
const NO_TLS_DELIVERY = new Set<ProblemCode>(['TLS_DIALOGUE_FAILED', 'TLS_MODERN_HANDSHAKE_FAILED']);

/** A code that weighs on the PKIX ladder: neither one sender policy's own nor the guideline grading's. */
const onLadder = (code: ProblemCode): boolean => PROBLEMS[code].policy === undefined && PROBLEMS[code].graded !== true;

/**
 * The level an address's problems allow at most. Rules, each over the whole catalogue:
 * - no delivery over TLS (NO_TLS_DELIVERY): at most `none` (an opportunistic sender
 *   delivers in plaintext, one that requires TLS does not deliver);
 * - any other error-severity problem keeps the address below `verify` (a sender that
 *   verifies, or the path, refuses or tampers with the session);
 * - except the codes of one sender policy's own mechanism (the catalogue's `policy`: DANE,
 *   MTA-STS): they weigh on that row only. The level is the PKIX ladder; an address can be
 *   `verify` for policy (d) and DANE-invalid;
 * - and except the codes of the guideline grading (the catalogue's `graded`: what else the
 *   server accepts): they weigh on `--require …+graded` only.
 *
 * @example capLevel('verify', [problem('STARTTLS_INJECTION', '…')]) // 'encrypt'
 * @example capLevel('verify', [problem('DANE_NO_MATCH', '…')]) // 'verify'
 */
export function capLevel(level: Level | null, problems: readonly Problem[]): Level | null {
  if (level === null) return null;
  if (problems.some((p) => NO_TLS_DELIVERY.has(p.code))) return 'none';
  if (level === 'verify' && problems.some((p) => p.severity === 'error' && onLadder(p.code))) return 'encrypt';
  return level;
}

function failureProblem(facts: AddressFacts, where: string, at: AddressPlace): Problem | null {
  const failure = facts.failure;
  // An aborted probe (a stopped batch) says nothing about the server: no problem blames it.
  if (failure === null || failure.kind === 'aborted') return null;
  // With implicit TLS (port 465) the greeting, too, comes after the handshake.
  const overTls = AFTER_HANDSHAKE.has(failure.stage) || (facts.tlsMode === 'implicit' && facts.tls !== null && failure.stage !== 'connect');
  if (overTls) {
    return problem(
      'TLS_DIALOGUE_FAILED',
      `${where}: the TLS handshake succeeded, but the SMTP dialogue over TLS failed (${failure.message}): no mail can be delivered over TLS here; a sender that requires TLS defers it, an opportunistic one may retry in plaintext.`,
      at,
    );
  }
  return problem(failureCode(failure), `${where}: ${failure.message}.`, at);
}

/**
 * The judged address at `now`: its level and problems. `policy` may leave anything out
 * (judge/judge-policy.ts: --warn-days 30). Pure.
 *
 * @example judgeAddress(facts, { warnDays: 14 }, new Date('2026-01-01')).level // 'verify'
 */
export function judgeAddress(facts: AddressFacts, given: Partial<JudgePolicy>, now: Date): AddressResult {
  const policy = judgePolicy(given);
  judgedAt(now);
  const at: AddressPlace = { scope: 'address', host: facts.host, ip: facts.ip };
  const where = `${facts.host} [${facts.ip}]`;
  const problems: Problem[] = [];
  const failed = failureProblem(facts, where, at);
  if (failed !== null) problems.push(failed);

  if (facts.tlsRequiredReply !== null) {
    problems.push(problem('TLS_REQUIRED_BY_SERVER', `${where} requires STARTTLS first: ${replyText(facts.tlsRequiredReply)}.`, at));
  }
  const aborted = facts.failure?.kind === 'aborted';
  const talked = !aborted && (facts.failure === null || DETERMINED_STAGES.has(facts.failure.stage));
  if (talked && facts.tlsMode === 'starttls' && !facts.starttls && facts.starttlsReply === null) {
    problems.push(problem('STARTTLS_NOT_OFFERED', `${where} does not offer STARTTLS${facts.ehlo === null ? ' (it does not support EHLO)' : ''}.`, at));
  }
  if (facts.starttlsReply !== null && facts.starttlsReply.code !== 220) {
    problems.push(problem('STARTTLS_REJECTED', `${where} refused STARTTLS: ${replyText(facts.starttlsReply)}.`, at));
  }
  if (facts.injectedBytes > 0) {
    problems.push(
      problem('STARTTLS_INJECTION', `${where} sent ${facts.injectedBytes} bytes of plaintext after its 220 to STARTTLS; they were discarded.`, at),
    );
  }

  let certificate: AddressResult['certificate'] = null;
  let level: Level | null = talked ? 'none' : null;
  if (facts.tls !== null) {
    level = 'encrypt';
    if (tlsProtocol(facts.tls.protocol)?.legacy === true) {
      problems.push(problem('TLS_LEGACY_PROTOCOL', `${where} negotiated ${facts.tls.protocol}.`, at));
    }
    // The probe offers every suite OpenSSL still has (security level 0): a broken one it got is the server's choice.
    const weak = [...new Set([...cipherWeaknesses(facts.tls.cipher), ...cipherWeaknesses(facts.tls.cipherOpenssl)])];
    if (weak.length > 0) {
      problems.push(problem('TLS_WEAK_CIPHER', `${where} negotiated the broken cipher suite ${facts.tls.cipher} (${weak.join(', ')}).`, at));
    }
    // What a sender with current TLS defaults gets (TLS_MODERN_HANDSHAKE_FAILED; capLevel caps it).
    const modern = modernTlsProblem(facts, where, at);
    if (modern !== null) problems.push(modern);
    if (facts.certificate !== null && facts.certificate.chain.length > 0) {
      // The verdict and the problems ask the same question of the path: answer it once.
      const failures = judgePath(facts.certificate, now);
      certificate = { ...facts.certificate, ...certificateVerdict(facts.certificate, facts.host, now, failures) };
      problems.push(...certificateProblems(certificate, failures, facts.host, at, policy));
      level = 'verify'; // capLevel keeps it below: any error-severity problem, a certificate one too
    }
  }
  // The guideline grading, with deep facts or a graded requirement: its codes never lower the
  // level (capLevel); a second certificate's WEAK_KEY or WEAK_SIGNATURE does, as the probe's own.
  let grade: AddressResult['grade'];
  if (facts.deep !== undefined || policy.graded === true) {
    const graded = gradeAddress(facts, policy.profile ?? 'ncsc');
    grade = graded.grade;
    problems.push(...graded.problems);
  }
  // Each certificate of the deep probe gets the verdict the probe's own gets (trust, name, expiry).
  const deep: AddressResult['deep'] =
    facts.deep === undefined
      ? undefined
      : {
          ...facts.deep,
          certificates: facts.deep.certificates.map((c) => ({
            ...c,
            certificate: c.certificate === null ? null : { ...c.certificate, ...certificateVerdict(c.certificate, facts.host, now) },
          })),
        };
  // Undetermined: the probe was aborted, or the check of what a current sender gets could not be made.
  const unknown = aborted || facts.modernTls?.ok === null;
  // The judged deep facts take the place of the facts (same key, same place in JSON).
  const { deep: _facts, ...rest } = facts;
  return { ...rest, ...(deep !== undefined ? { deep } : {}), certificate, level: unknown ? null : capLevel(level, problems), ...(grade !== undefined ? { grade } : {}), problems };
}
