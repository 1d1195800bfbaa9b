/**
 * Judges what a sender with current TLS defaults gets from an address (ModernTlsFacts): when
 * its handshake failed, the problem says why, in words, from OpenSSL's reason and the facts
 * of the probe's own handshake. Pure.
 */
import type { AddressFacts } from '../model/address.js';
import type { AddressPlace, Problem } from '../model/problem.js';
import { isLegacySignatureScheme } from '../rules/signature-strength.js';
import { failureCode, problem } from './problem-catalogue.js';
import { tlsProtocol } from '../model/tls-protocols.js';

const CURRENT = 'a sender with current TLS defaults (TLS 1.2 or later, OpenSSL security level 2)';

/**
 * Why the current sender's handshake failed, from OpenSSL's reason (its wording in OpenSSL
 * 3.0: ssl/ssl_err.c) and the first handshake's facts.
 *
 * @example modernFailureReason('tlsv1 alert protocol version', facts) // 'the server speaks only TLSv1.1, …'
 */
export function modernFailureReason(error: string, facts: Pick<AddressFacts, 'tls'>): string {
  const e = error.toLowerCase();
  const tls = facts.tls;
  const scheme = tls?.serverSignature ?? null;
  if (/protocol version|unsupported protocol|wrong ssl version|version too low|no protocols available/.test(e)) {
    // Legacy by the one protocol table (or unknown to it): the server's best is below what current senders accept.
    const only = tls !== null && tlsProtocol(tls.protocol)?.legacy !== false ? `only ${tls.protocol}` : 'no TLS 1.2 or later';
    return `the server speaks ${only}, and current senders require TLS 1.2 or later (RFC 8996 deprecates TLS 1.0 and 1.1)`;
  }
  if (e.includes('dh key too small')) {
    const bits = tls?.keyExchange?.type === 'DH' ? `${tls.keyExchange.size} bits` : 'too few bits';
    return `its Diffie-Hellman group has ${bits}, and current senders require 2048`;
  }
  if (/legacy sigalg|wrong signature type|unsupported signature|digest too weak/.test(e)) {
    return `it signs the handshake with ${scheme ?? 'SHA-1 or MD5'}, which current senders refuse ("legacy sigalg disallowed")`;
  }
  if (/handshake failure|no shared cipher|insufficient security|no suitable signature|no cipher/.test(e)) {
    const signed = scheme !== null && isLegacySignatureScheme(scheme) ? ` (offered SHA-1, it signs with ${scheme})` : '';
    return `it accepts none of the cipher suites, groups or signature algorithms current senders offer${signed}`;
  }
  if (/key too small|key too weak/.test(e)) return 'its certificate key is too small for current senders';
  if (e.includes('timeout')) return 'it did not complete the handshake in time';
  if (/disconnected|econnreset|socket hang up|closed/.test(e)) return 'it closed the connection during the handshake';
  return 'the handshake failed';
}

/**
 * The problem of an address whose current-defaults handshake failed (TLS_MODERN_HANDSHAKE_FAILED),
 * or whose check stopped before it (the address's level is then unknown); null when there is
 * nothing to say.
 *
 * @example modernTlsProblem(facts, 'mx.example.com [192.0.2.1]', { scope: 'address', host: 'mx.example.com', ip: '192.0.2.1' })
 */
export function modernTlsProblem(facts: AddressFacts, where: string, at: AddressPlace): Problem | null {
  const modern = facts.modernTls;
  if (modern === null || modern.ok === true) return null;
  if (modern.ok === false) {
    const error = modern.error ?? 'unknown error';
    return problem(
      'TLS_MODERN_HANDSHAKE_FAILED',
      `${where}: ${CURRENT} cannot make a TLS session here: ${modernFailureReason(error, facts)}; OpenSSL says "${error}". Such a sender delivers in plaintext where TLS is optional and does not deliver where TLS is required.`,
      at,
    );
  }
  const failure = modern.failure ?? { stage: 'connect', kind: 'protocol', message: 'unknown' };
  // Stopped before its handshake: the same code as the address's own dialogue stopped there.
  return problem(
    failureCode(failure),
    `${where}: the second connection, made to check what ${CURRENT} gets, failed before its handshake: ${failure.message}. The level of this address stays unknown until the check succeeds.`,
    at,
  );
}
