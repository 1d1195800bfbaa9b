/**
 * TLS facts of one address probe: how TLS was reached, what the handshake negotiated, and what
 * a sender with current TLS defaults gets. Types only; the ordered protocol table and the
 * cipher classification are model/tls-protocols.ts and model/cipher-classes.ts. Field names
 * are a public contract (README "JSON format").
 */
import type { ProbeFailure } from './smtp.js';

/**
 * How TLS is reached: `starttls` upgrades a plaintext SMTP session (RFC 3207; ports 25 and
 * 587), `implicit` starts TLS at once and speaks SMTP inside it (RFC 8314 §3; port 465).
 *
 * @example const mode: TlsMode = 'implicit'; // port 465 (RFC 8314)
 */
export type TlsMode = 'starttls' | 'implicit';

/**
 * What a sender with current TLS defaults gets from this address: a second handshake on a
 * new connection with TLS 1.2 or later at OpenSSL security level 2 (the probe's own
 * handshake accepts TLS 1.0 at level 0, to gather facts). Made only when the first
 * handshake left doubt (an old protocol, a small DH group, a legacy signature algorithm).
 *
 * @example const modernSenderFails = (a: AddressFacts) => a.modernTls?.ok === false; // a sender with current TLS defaults gets no TLS there
 */
export interface ModernTlsFacts {
  /** The handshake succeeded; false: it failed (`error`); null: the check stopped before it (`failure`). */
  ok: boolean | null;
  /** Negotiated by the check, when it succeeded. */
  protocol: string | null;
  /** IANA cipher suite name, when it succeeded. */
  cipher: string | null;
  /** OpenSSL's reason when the handshake failed, e.g. "dh key too small" (may contain server text). */
  error: string | null;
  /** Where the check's own dialogue stopped before its handshake (a refused or timed-out second connection). */
  failure: ProbeFailure | null;
}

/**
 * What the TLS handshake with one address negotiated.
 *
 * @example const tlsOf = (a: AddressFacts): TlsFacts | null => a.tls; // { protocol: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', … }
 */
export interface TlsFacts {
  /** 'TLSv1.3', 'TLSv1.2', 'TLSv1.1', 'TLSv1', ... */
  protocol: string;
  /** IANA cipher suite name, e.g. TLS_AES_256_GCM_SHA384. */
  cipher: string;
  /** OpenSSL's name for the same suite. */
  cipherOpenssl: string;
  /** Ephemeral key exchange, e.g. { type: 'ECDH', name: 'X25519', size: 253 }; null for static RSA or unknown. */
  keyExchange: { type: string; name: string | null; size: number } | null;
  /**
   * The SNI sent, or null for an IP literal: the MX host name (the --server name); in
   * AddressFacts.daneHandshake, the TLSA base domain (RFC 7672 §8.1).
   */
  sni: string | null;
  /**
   * The signature scheme of the server's key exchange in TLS 1.0-1.2 (RFC 5246 §7.4.3, RFC 8446
   * §4.2.3 names), e.g. 'rsa_pss_rsae_sha256', 'rsa_pkcs1_sha1'; TLS 1.0/1.1 sign with
   * 'rsa_pkcs1_md5_sha1' or 'ecdsa_sha1'. Null when nothing was signed (RSA key transport),
   * for TLS 1.3 (its CertificateVerify never uses SHA-1) or when it could not be read.
   * Always set by the prober; optional only for facts recorded before it existed.
   */
  serverSignature?: string | null;
}
