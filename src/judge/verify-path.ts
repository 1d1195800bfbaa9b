/**
 * Verifies a certificate path at a given moment as OpenSSL 3 verifies a TLS server's chain
 * (crypto/x509/x509_vfy.c: build_chain's verdict, check_extensions, internal_verify; purpose
 * "sslserver", the default of a TLS client and of `openssl verify -purpose sslserver`), from
 * the gathered facts alone. Pure: the time is a parameter. Each failure names its own check,
 * and PATH_CHECKS says, in one place, which OpenSSL errors each check explains: an error
 * OpenSSL raised in the handshake that none of them explains is a failure of its own.
 */
import type { CertificateFacts, CertificateInfo, PathCertificate } from '../model/certificate.js';
import type { ProblemCode } from '../model/problem.js';

export type PathCheck =
  | 'self-signed-leaf'
  | 'untrusted-root'
  | 'anchor-issuer-unknown'
  | 'issuer-missing'
  | 'issuer-unknown'
  | 'critical-extension'
  | 'issuer-not-ca'
  | 'issuer-key-usage'
  | 'purpose'
  | 'path-length'
  | 'signature'
  | 'leaf-not-yet-valid'
  | 'leaf-expired'
  | 'ca-not-yet-valid'
  | 'ca-expired'
  | 'openssl';

/**
 * Each check: the problem code it reports, and the OpenSSL verification errors it explains
 * (X509_V_ERR_* without the prefix, as Node names them), the one OpenSSL raises for it first.
 * One failure can make OpenSSL raise several: an issuer that is not a CA is an invalid CA, an
 * unsuitable CA for the purpose, and (with a keyUsage) a key not allowed to sign certificates.
 * @example PATH_CHECKS['ca-expired'] // { code: 'CERT_CA_EXPIRED', openssl: ['CERT_HAS_EXPIRED'] }
 */
export const PATH_CHECKS: Record<PathCheck, { code: ProblemCode; openssl: readonly string[] }> = {
  'self-signed-leaf': { code: 'CERT_SELF_SIGNED', openssl: ['DEPTH_ZERO_SELF_SIGNED_CERT'] },
  'untrusted-root': { code: 'CERT_UNTRUSTED', openssl: ['SELF_SIGNED_CERT_IN_CHAIN'] },
  'anchor-issuer-unknown': { code: 'CERT_UNTRUSTED', openssl: ['UNABLE_TO_GET_ISSUER_CERT'] },
  'issuer-missing': { code: 'CERT_CHAIN_INCOMPLETE', openssl: ['UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'] },
  'issuer-unknown': { code: 'CERT_UNTRUSTED', openssl: ['UNABLE_TO_GET_ISSUER_CERT_LOCALLY'] },
  'critical-extension': { code: 'CERT_VERIFY_FAILED', openssl: ['UNHANDLED_CRITICAL_EXTENSION'] },
  'issuer-not-ca': { code: 'CERT_ISSUER_NOT_CA', openssl: ['INVALID_CA', 'INVALID_PURPOSE'] },
  'issuer-key-usage': { code: 'CERT_ISSUER_KEY_USAGE', openssl: ['INVALID_CA', 'INVALID_PURPOSE', 'KEYUSAGE_NO_CERTSIGN'] },
  purpose: { code: 'CERT_WRONG_PURPOSE', openssl: ['INVALID_PURPOSE'] },
  'path-length': { code: 'CERT_PATH_TOO_LONG', openssl: ['PATH_LENGTH_EXCEEDED'] },
  signature: { code: 'CERT_BAD_SIGNATURE', openssl: ['CERT_SIGNATURE_FAILURE'] },
  'leaf-not-yet-valid': { code: 'CERT_NOT_YET_VALID', openssl: ['CERT_NOT_YET_VALID'] },
  'leaf-expired': { code: 'CERT_EXPIRED', openssl: ['CERT_HAS_EXPIRED'] },
  'ca-not-yet-valid': { code: 'CERT_CA_NOT_YET_VALID', openssl: ['CERT_NOT_YET_VALID'] },
  'ca-expired': { code: 'CERT_CA_EXPIRED', openssl: ['CERT_HAS_EXPIRED'] },
  openssl: { code: 'CERT_VERIFY_FAILED', openssl: [] },
};

/**
 * The verification errors Node names in `authorizationError` (src/crypto X509ErrorCode); any
 * other OpenSSL error reaches JavaScript as "UNSPECIFIED".
 */
const NODE_NAMED = new Set([
  'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_CRL', 'UNABLE_TO_DECRYPT_CERT_SIGNATURE', 'UNABLE_TO_DECRYPT_CRL_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY', 'CERT_SIGNATURE_FAILURE', 'CRL_SIGNATURE_FAILURE', 'CERT_NOT_YET_VALID', 'CERT_HAS_EXPIRED',
  'CRL_NOT_YET_VALID', 'CRL_HAS_EXPIRED', 'ERROR_IN_CERT_NOT_BEFORE_FIELD', 'ERROR_IN_CERT_NOT_AFTER_FIELD',
  'ERROR_IN_CRL_LAST_UPDATE_FIELD', 'ERROR_IN_CRL_NEXT_UPDATE_FIELD', 'OUT_OF_MEM', 'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'CERT_CHAIN_TOO_LONG',
  'CERT_REVOKED', 'INVALID_CA', 'PATH_LENGTH_EXCEEDED', 'INVALID_PURPOSE', 'CERT_UNTRUSTED', 'CERT_REJECTED', 'HOSTNAME_MISMATCH',
]);

/** How an OpenSSL error code reaches JavaScript through Node. @example nodeErrorName('KEYUSAGE_NO_CERTSIGN') // 'UNSPECIFIED' */
export function nodeErrorName(code: string): string {
  return NODE_NAMED.has(code) ? code : 'UNSPECIFIED';
}

export interface PathFailure {
  check: PathCheck;
  /** Position in the path: 0 the leaf; for an issuer check, the issuer's position. */
  depth: number;
  /** The OpenSSL error code OpenSSL raises for it (for 'openssl': the code OpenSSL gave). */
  openssl: string;
}

/** 9999-12-31T23:59:59Z: "no well-defined expiration date" (RFC 5280 §4.1.2.5). */
const NO_EXPIRY = '9999-12-31T23:59:59.000Z';
const seconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);

/** OpenSSL's ku_reject(x, KU_KEY_CERT_SIGN): a keyUsage is present and lacks keyCertSign (RFC 5280 §4.2.1.3). */
const keyCertSignRefused = (c: PathCertificate) => c.keyUsage !== null && !c.keyUsage.includes('keyCertSign');

/**
 * OpenSSL's check_ca (v3_purp.c) without its keyUsage test, which is the issuer-key-usage
 * check: 1 a CA by basicConstraints; 3 a version 1 root, 4 a keyUsage without
 * basicConstraints, 5 a Netscape CA type, each tolerated for the path's last certificate
 * only; 0 not a CA.
 */
function caKind(c: PathCertificate): 0 | 1 | 3 | 4 | 5 {
  if (c.basicConstraints !== null) return c.basicConstraints.ca ? 1 : 0;
  if (c.version === 1 && c.selfSigned) return 3;
  if (c.keyUsage !== null) return 4;
  if (c.netscapeCertType?.some((bit) => bit === 'sslCA' || bit === 'emailCA' || bit === 'objCA') === true) return 5;
  return 0;
}

const ANY = (list: readonly string[] | null, wanted: readonly string[]) => list === null || wanted.some((w) => list.includes(w));

/** Purpose sslserver (v3_purp.c check_purpose_ssl_server); `asCa` for every certificate above the leaf. */
function fitForTlsServer(c: PathCertificate, asCa: boolean): boolean {
  // RFC 5280 §4.2.1.12; OpenSSL 3 does not accept anyExtendedKeyUsage here, and neither may mxprobe.
  if (!ANY(c.extendedKeyUsage, ['serverAuth', 'nsSGC', 'msSGC'])) return false;
  // check_ssl_ca: a CA only by its Netscape type must be an SSL CA (not being a CA at all is
  // the issuer-not-ca and issuer-key-usage checks' failure).
  if (asCa) return caKind(c) !== 5 || c.netscapeCertType?.includes('sslCA') === true;
  if (!ANY(c.netscapeCertType, ['server'])) return false;
  // RFC 5280 §4.2.1.3: a TLS server key signs (ECDHE), encrypts (RSA key exchange) or agrees.
  return ANY(c.keyUsage, ['digitalSignature', 'keyEncipherment', 'keyAgreement']);
}

/**
 * The time checks of the certificate at `depth` of a path (OpenSSL's
 * ossl_x509_check_cert_time): compared at `at` in whole seconds, 99991231235959Z never expires.
 * @example timeFailures(leaf, 0, new Date('2030-01-01')) // ['leaf-expired']
 */
export function timeFailures(c: Pick<CertificateInfo, 'notBefore' | 'notAfter'>, depth: number, at: Date): PathCheck[] {
  const when = Math.floor(at.getTime() / 1000);
  const leaf = depth === 0;
  const out: PathCheck[] = [];
  if (when < seconds(c.notBefore)) out.push(leaf ? 'leaf-not-yet-valid' : 'ca-not-yet-valid');
  if (c.notAfter !== NO_EXPIRY && when > seconds(c.notAfter)) out.push(leaf ? 'leaf-expired' : 'ca-expired');
  return out;
}

/**
 * Every failure of the path at `at`, in the order OpenSSL meets them: the chain's end, then
 * each certificate's extensions from the leaf up, then signatures and validity periods from
 * the anchor down. Empty: OpenSSL accepts the path at that moment.
 * @example verifyPath(facts.path, new Date('2026-06-01')) // [{ check: 'ca-expired', depth: 2, openssl: 'CERT_HAS_EXPIRED' }]
 */
export function verifyPath(path: readonly PathCertificate[], at: Date): PathFailure[] {
  const n = path.length;
  const top = path[n - 1];
  if (top === undefined) return [{ check: 'issuer-missing', depth: 0, openssl: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY' }];
  const failures: PathFailure[] = [];
  const fail = (check: PathCheck, depth: number, openssl = PATH_CHECKS[check].openssl[0] as string) => {
    if (!failures.some((f) => f.check === check && f.depth === depth)) failures.push({ check, depth, openssl });
  };

  // build_chain's verdict: does the path end at a trust anchor (self-signed, from the store)?
  if (!(top.inTrustStore && top.selfSigned)) {
    if (top.selfSigned) fail(n === 1 ? 'self-signed-leaf' : 'untrusted-root', n - 1);
    else if (top.inTrustStore) fail('anchor-issuer-unknown', n - 1);
    else fail(n === 1 ? 'issuer-missing' : 'issuer-unknown', n - 1);
  }

  // check_extensions: from the leaf up.
  let nonSelfIssued = 0; // intermediates below the current certificate, for pathLenConstraint
  path.forEach((c, i) => {
    if (c.unhandledCriticalExtensions.length > 0) fail('critical-extension', i);
    if (i > 0) {
      if (keyCertSignRefused(c)) fail('issuer-key-usage', i);
      // An intermediate must be a CA by basicConstraints; the last certificate may be one of the tolerated kinds.
      const kind = caKind(c);
      if (i === n - 1 ? kind === 0 : kind !== 1) fail('issuer-not-ca', i);
    }
    if (!fitForTlsServer(c, i > 0)) fail('purpose', i);
    const pathLength = c.basicConstraints?.ca === true ? c.basicConstraints.pathLength : null;
    if (i > 1 && pathLength !== null && nonSelfIssued > pathLength) fail('path-length', i);
    if (i > 0 && !c.selfIssued) nonSelfIssued += 1;
  });

  // internal_verify: from the anchor down, each link's signature, then validity. (It checks each
  // issuer's keyUsage again; check_extensions above has reported that already.)
  if (!top.selfSigned && n === 1) fail('issuer-missing', 0);
  for (let depth = n - 1; depth >= 0; depth--) {
    const c = path[depth] as PathCertificate;
    if (c.signatureValid === false && depth < n - 1) fail('signature', depth);
    for (const check of timeFailures(c, depth, at)) fail(check, depth);
  }
  return failures;
}

/** The OpenSSL error codes (as Node names them) that these failures explain. */
function explained(failures: readonly PathFailure[]): Set<string> {
  return new Set(failures.flatMap((f) => (f.check === 'openssl' ? [f.openssl] : PATH_CHECKS[f.check].openssl.map(nodeErrorName))));
}

/**
 * The path's failures at the judged moment `now`, plus OpenSSL's own handshake error when
 * none of mxprobe's checks explains it: verified again at the handshake's moment, the path
 * must show a failure that accounts for OpenSSL's code, or mxprobe does not know why OpenSSL
 * refused, and says so (CERT_VERIFY_FAILED) rather than pass what OpenSSL refused.
 * @example judgePath(facts, new Date()).length === 0 // trusted
 */
export function judgePath(facts: Pick<CertificateFacts, 'path' | 'opensslError' | 'verifiedAt'>, now: Date): PathFailure[] {
  const failures = verifyPath(facts.path, now);
  const error = facts.opensslError;
  if (error === null) return failures;
  const then = Date.parse(facts.verifiedAt);
  const atHandshake = Number.isNaN(then) || then === now.getTime() ? failures : verifyPath(facts.path, new Date(then));
  if (explained(atHandshake).has(error)) return failures;
  return [...failures, { check: 'openssl', depth: 0, openssl: error }];
}
