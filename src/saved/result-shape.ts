/**
 * The shape of a saved DomainResult (a row of an earlier run's NDJSON or JSON, schema version
 * 2), checked before anything judges or renders it: a saved file is input, and may be
 * truncated, edited or hostile. What the judges and renderers read is checked field by field
 * (types, closed lists: outcome, level, problem codes, sender policies …); what only a few of
 * them read (deep facts, DANE, MTA-STS, TLS-RPT details) is checked to be an object where one
 * belongs. Pure.
 */
import { LEVELS } from '../model/levels.js';
import { PROBLEMS } from '../judge/problem-catalogue.js';
import { SENDER_POLICIES } from '../judge/sender-policies.js';
import { GUIDELINE_PROFILE_IDS } from '../model/guideline-profile-ids.js';

/** A check: null when `value` fits, else what is wrong, with the path below `at`. */
type Check = (value: unknown, at: string) => string | null;

const kind = (value: unknown) => (value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : `a ${typeof value}`);
const wrong = (at: string, want: string, value: unknown) => `${at}: ${want} expected, not ${kind(value)}`;

const str: Check = (v, at) => (typeof v === 'string' ? null : wrong(at, 'a string', v));
const num: Check = (v, at) => (typeof v === 'number' && Number.isFinite(v) ? null : wrong(at, 'a number', v));
const int: Check = (v, at) => (Number.isSafeInteger(v) ? null : wrong(at, 'an integer', v));
const bool: Check = (v, at) => (typeof v === 'boolean' ? null : wrong(at, 'true or false', v));
const date: Check = (v, at) => (typeof v === 'string' && !Number.isNaN(Date.parse(v)) ? null : wrong(at, 'an ISO 8601 time', v));
const anyObject: Check = (v, at) => (typeof v === 'object' && v !== null && !Array.isArray(v) ? null : wrong(at, 'an object', v));
const nullable =
  (check: Check): Check =>
  (v, at) =>
    v === null ? null : check(v, at);
const oneOf = (values: readonly unknown[]): Check => {
  const list = values.map((x) => JSON.stringify(x)).join(', ');
  return (v, at) => (values.includes(v) ? null : `${at}: one of ${list} expected, not ${typeof v === 'string' ? JSON.stringify(v.slice(0, 40)) : kind(v)}`);
};
const arrayOf =
  (check: Check): Check =>
  (v, at) => {
    if (!Array.isArray(v)) return wrong(at, 'an array', v);
    for (let i = 0; i < v.length; i++) {
      const bad = check(v[i], `${at}[${i}]`);
      if (bad !== null) return bad;
    }
    return null;
  };
const recordOf =
  (check: Check): Check =>
  (v, at) => {
    const bad = anyObject(v, at);
    if (bad !== null) return bad;
    for (const [key, value] of Object.entries(v as object)) {
      const wrongValue = check(value, `${at}.${key}`);
      if (wrongValue !== null) return wrongValue;
    }
    return null;
  };
/** An object with `required` fields and `optional` ones (absent, or of their shape); other fields are left alone. */
const object =
  (required: Record<string, Check>, optional: Record<string, Check> = {}): Check =>
  (v, at) => {
    const bad = anyObject(v, at);
    if (bad !== null) return bad;
    const o = v as Record<string, unknown>;
    for (const [key, check] of Object.entries(required)) {
      if (!(key in o)) return `${at}.${key}: missing`;
      const wrongValue = check(o[key], `${at}.${key}`);
      if (wrongValue !== null) return wrongValue;
    }
    for (const [key, check] of Object.entries(optional)) {
      if (o[key] === undefined) continue;
      const wrongValue = check(o[key], `${at}.${key}`);
      if (wrongValue !== null) return wrongValue;
    }
    return null;
  };

const level = nullable(oneOf(LEVELS));
const reply = object({ code: int, lines: arrayOf(str) });
const failure = object({ stage: str, kind: str, message: str });
const problem = object(
  { code: oneOf(Object.keys(PROBLEMS)), severity: oneOf(['error', 'warning', 'info']), message: str, hint: str, scope: oneOf(['domain', 'host', 'address', 'input']) },
  { host: str, ip: str },
);
const certificateInfo = object({
  subject: str,
  issuer: str,
  commonNames: arrayOf(str),
  san: arrayOf(str),
  notBefore: date,
  notAfter: date,
  keyType: str,
  keyBits: nullable(int),
  curve: nullable(str),
  signatureAlgorithm: str,
  fingerprint256: str,
  serialNumber: str,
  selfSigned: bool,
  selfIssued: bool,
  isCA: bool,
  inTrustStore: bool,
  version: int,
  basicConstraints: nullable(object({ ca: bool, pathLength: nullable(int) })),
  keyUsage: nullable(arrayOf(str)),
  extendedKeyUsage: nullable(arrayOf(str)),
  netscapeCertType: nullable(arrayOf(str)),
  unhandledCriticalExtensions: arrayOf(str),
  pem: str,
});
const pathCertificate: Check = (v, at) => certificateInfo(v, at) ?? object({ signatureValid: nullable(bool) })(v, at);
/** A judged certificate: its facts and the verdict the judge added. */
const certificate = object({
  chain: arrayOf(certificateInfo),
  chainSource: oneOf(['presented', 'rebuilt']),
  path: arrayOf(pathCertificate),
  opensslError: nullable(str),
  verifiedAt: str,
  trusted: bool,
  trustError: nullable(str),
  trustErrors: arrayOf(str),
  nameMatch: bool,
  matchedName: nullable(str),
  expired: bool,
  notYetValid: bool,
  daysLeft: num,
  chainDaysLeft: arrayOf(num),
});
const tls = object(
  { protocol: str, cipher: str, cipherOpenssl: str, keyExchange: nullable(object({ type: str, name: nullable(str), size: num })), sni: nullable(str) },
  { serverSignature: nullable(str) },
);
const address = object(
  {
    ip: str,
    family: oneOf([4, 6]),
    port: int,
    host: str,
    tlsMode: oneOf(['starttls', 'implicit']),
    connected: bool,
    banner: nullable(reply),
    ehlo: nullable(arrayOf(str)),
    starttls: bool,
    starttlsReply: nullable(reply),
    injectedBytes: int,
    tlsRequiredReply: nullable(reply),
    tls: nullable(tls),
    ehloTls: nullable(arrayOf(str)),
    certificate: nullable(certificate),
    modernTls: nullable(object({ ok: nullable(bool), protocol: nullable(str), cipher: nullable(str), error: nullable(str), failure: nullable(failure) })),
    failure: nullable(failure),
    timings: object({ total: num }),
    level,
    problems: arrayOf(problem),
  },
  {
    daneHandshake: anyObject,
    deep: object({}),
    attempts: int,
    transcript: arrayOf(object({ dir: str, text: str, ms: num })),
    dane: object({ status: str, message: str }),
    grade: anyObject,
  },
);
const host = object(
  { host: str, preference: int, implicit: bool, cnames: arrayOf(str), addresses: arrayOf(address) },
  {
    skipped: arrayOf(object({ ip: str, family: oneOf([4, 6]), reason: oneOf(['special-purpose', 'family', 'limit']) }, { range: str, block: str })),
    unusable: object({ kind: oneOf(['ip-literal', 'invalid-name']), detail: str }),
    tlsa: anyObject,
    rollover: object({ safe: bool, message: str }),
  },
);
const SHARES = ['yes', 'partly', 'no', 'unknown'];
const policy = object({
  policy: oneOf(SENDER_POLICIES.map((p) => p.letter)),
  id: oneOf(SENDER_POLICIES.map((p) => p.id)),
  name: str,
  delivered: oneOf(SHARES),
  encrypted: oneOf([...SHARES, 'n/a']),
  authenticated: oneOf([...SHARES, 'n/a']),
  satisfied: nullable(bool),
});
const dnsQuery = object({ name: str, type: str, rcode: str, authenticated: bool, cnames: arrayOf(str), answers: arrayOf(str), server: nullable(str), ms: num }, { dnssec: str, error: str });
const shard: Check = (v, at) => {
  const bad = object({ index: int, count: int })(v, at);
  if (bad !== null) return bad;
  const { index, count } = v as { index: number; count: number };
  return index >= 1 && index <= count && count <= 100_000 ? null : `${at}: K/N with 1 ≤ K ≤ N ≤ 100000 expected, not ${index}/${count}`;
};

const domainResult = object(
  {
    domain: str,
    input: str,
    outcome: oneOf(['probed', 'nxdomain', 'null-mx', 'dns-failure', 'no-mail-host', 'not-probed', 'invalid-input']),
    mxAuthenticated: bool,
    mx: arrayOf(host),
    dns: arrayOf(dnsQuery),
    probedAt: date,
    level,
    required: str,
    requiredPolicies: (v, at) => (Array.isArray(v) && v.length === 0 ? `${at}: no sender policy` : arrayOf(oneOf(SENDER_POLICIES.map((p) => p.id)))(v, at)),
    pass: nullable(bool),
    problems: arrayOf(problem),
    policies: arrayOf(policy),
  },
  {
    mxLimit: object({ found: int, probed: int }),
    dnssec: object({ validating: nullable(bool), mx: nullable(str) }),
    mtaSts: anyObject,
    tlsRpt: anyObject,
    graded: object({ profile: oneOf(GUIDELINE_PROFILE_IDS), worst: nullable(str), satisfied: nullable(bool) }),
    source: object({ line: int, columns: recordOf(str) }, { shard }),
  },
);

/**
 * What is wrong with a saved row, as `path: reason` (e.g. `mx[0].addresses[1].level: one of
 * "none", "encrypt", "verify" expected, not "best"`); null when it has the shape of a
 * DomainResult of schema version 2.
 *
 * @example savedResultProblem(JSON.parse(line)) // null, or 'outcome: missing'
 */
export function savedResultProblem(value: unknown): string | null {
  const bad = domainResult(value, '');
  return bad === null ? null : bad.replace(/^\./, '');
}
