/**
 * What a sender with current TLS defaults gets from an address. The probe's own handshake is
 * permissive (TLS 1.0 up, OpenSSL security level 0) so that weak servers yield facts; a
 * current sender offers TLS 1.2 up at security level 2, and some servers that pass the first
 * handshake fail that one. When the first handshake's facts leave doubt, a second connection
 * makes the current sender's handshake (second-dialogue.ts), and records the outcome.
 */
import type { ModernTlsFacts, TlsFacts } from '../model/tls.js';
import type { ProbeFailure } from '../model/smtp.js';
import { modernHandshake } from '../tls/start-tls.js';
import { isLegacySignatureScheme } from '../rules/signature-strength.js';
import type { ProbeRun } from './probe-run.js';
import { secondDialogue } from './second-dialogue.js';

/** At security level 2 (112-bit security): finite-field DH of 2048 bits, elliptic curves of 224. */
const MIN_DH_BITS = 2048;
const MIN_ECDH_BITS = 224;

/**
 * Whether the permissive handshake's facts leave doubt that a current sender's handshake
 * succeeds: a protocol below TLS 1.2, a DH group or curve below security level 2, or a
 * key exchange signed with SHA-1 or MD5 (or whose signature could not be read). TLS 1.3
 * leaves none: its groups and CertificateVerify schemes all meet level 2. The cipher suite
 * needs no check: both handshakes offer OpenSSL's DEFAULT list, and security level 2 removes
 * no TLS 1.2 suite from it (OpenSSL 3.0: the same 27 suites at levels 0 and 2).
 *
 * @example modernCheckNeeded({ ...tls, protocol: 'TLSv1.1' }) // true
 */
export function modernCheckNeeded(tls: TlsFacts): boolean {
  if (tls.protocol === 'TLSv1.3') return false;
  if (tls.protocol !== 'TLSv1.2') return true;
  const kx = tls.keyExchange;
  if (kx === null) return false; // RSA key transport: nothing signed, nothing ephemeral
  if (kx.type === 'DH' && kx.size < MIN_DH_BITS) return true;
  if (kx.type === 'ECDH' && kx.size < MIN_ECDH_BITS) return true;
  const signature = tls.serverSignature ?? null;
  return signature === null || isLegacySignatureScheme(signature);
}

/**
 * Makes the current sender's handshake on a new connection. Never throws for a remote
 * problem: a failed handshake is `ok: false`; a check that stopped before its handshake is
 * `ok: null` with where and why. Rethrows an abort, and any error that is not a StageError (a bug).
 *
 * @example if (modernCheckNeeded(facts.tls)) facts.modernTls = await checkModernTls(run);
 */
export async function checkModernTls(run: ProbeRun): Promise<ModernTlsFacts> {
  const { target } = run;
  run.enter('modern-tls');
  run.note('second connection: the handshake of a sender with current TLS defaults (TLS 1.2 or later, OpenSSL security level 2)');
  const outcome = await secondDialogue(run, (socket, ms) => modernHandshake(socket, target.host, ms, run.abortSignal));
  if (outcome.ok) {
    const { session } = outcome;
    run.note(`current defaults: TLS established: ${session.protocol} ${session.cipher}`);
    return { ok: true, protocol: session.protocol, cipher: session.cipher, error: null, failure: null };
  }
  const { step, error } = outcome;
  run.note(`current defaults: ${error.message}`);
  if (step === 'handshake') return { ok: false, protocol: null, cipher: null, error: error.message, failure: null };
  const failure: ProbeFailure = { stage: step, kind: error.kind, message: error.message };
  return { ok: null, protocol: null, cipher: null, error: null, failure };
}
