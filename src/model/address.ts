/**
 * One IP address of one MX host: what probing it found (AddressFacts) and its judgement
 * (AddressResult: level and problems). Types only. Field names are a public contract
 * (README "JSON format").
 */
import type { CertificateFacts, CertificateVerdict } from './certificate.js';
import type { Level } from './levels.js';
import type { Problem } from './problem.js';
import type { DaneHandshakeFacts, DaneOutcome } from './dane.js';
import type { DeepFacts, DeepResult } from './deep.js';
import type { AddressGrade } from './tls-guidelines.js';
import type { ProbeFailure, SmtpReply, StageTimings, TranscriptEntry } from './smtp.js';
import type { ModernTlsFacts, TlsFacts, TlsMode } from './tls.js';

/**
 * What probing one IP address of one MX host found.
 *
 * @example const protocolAt = (a: AddressFacts) => a.tls?.protocol ?? null; // 'TLSv1.3', or null without TLS
 */
export interface AddressFacts {
  ip: string;
  family: 4 | 6;
  port: number;
  /** The MX host (or --server host) this address belongs to. */
  host: string;
  /** How TLS was reached: STARTTLS in plaintext SMTP, or implicit TLS from the first byte (port 465). */
  tlsMode: TlsMode;
  /** A TCP connection was made. */
  connected: boolean;
  /** The first reply (220 greeting, or 421/554 refusal). */
  banner: SmtpReply | null;
  /** EHLO reply before TLS: the extension keywords, upper-cased, with parameters (null with implicit TLS). */
  ehlo: string[] | null;
  /** STARTTLS was advertised in EHLO (never with implicit TLS). */
  starttls: boolean;
  /** The reply to STARTTLS, when sent. */
  starttlsReply: SmtpReply | null;
  /** Bytes the server sent after its 220 to STARTTLS and before the TLS handshake (RFC 3207 §6); discarded. */
  injectedBytes: number;
  /** A 530 reply ("must issue STARTTLS first") to a command sent in plaintext. */
  tlsRequiredReply: SmtpReply | null;
  tls: TlsFacts | null;
  /** EHLO reply after TLS. */
  ehloTls: string[] | null;
  certificate: CertificateFacts | null;
  /** What a sender with current TLS defaults gets; null when not checked (nothing in doubt, or no TLS). */
  modernTls: ModernTlsFacts | null;
  failure: ProbeFailure | null;
  /**
   * The handshake with SNI = the TLSA base domain, as a DANE sender makes it (RFC 7672 §8.1):
   * only where DANE applies to the host with usable TLSA records and the base domain is not the
   * MX host name (a secure CNAME); absent otherwise (the address's own handshake is the DANE
   * sender's then). The DANE judgement reads its chain.
   */
  daneHandshake?: DaneHandshakeFacts;
  /**
   * What a deep probe (`--deep`, issue 10) found beyond the probe's own handshake; absent without --deep.
   */
  deep?: DeepFacts;
  /** Connections it took (batch mode retries transient failures: --retries). */
  attempts?: number;
  timings: StageTimings;
  /** The SMTP dialogue; dropped from JSON unless --transcript. */
  transcript?: TranscriptEntry[];
}

/**
 * One address judged (judgeAddress): its facts, the certificate with its verdict, the level
 * reached and its problems.
 *
 * @example const belowVerify = (addresses: AddressResult[]) => addresses.filter((a) => a.level !== 'verify').map((a) => `${a.host} [${a.ip}]`);
 */
export interface AddressResult extends Omit<AddressFacts, 'certificate' | 'deep'> {
  certificate: (CertificateFacts & CertificateVerdict) | null;
  /**
   * The deep probe's facts (AddressFacts.deep), each certificate per signature algorithm with its verdict; absent without --deep.
   */
  deep?: DeepResult;
  /** Level reached at this address; null when it could not be determined (not reachable). */
  level: Level | null;
  /** The DANE outcome of this address against its host's TLSA records (RFC 7672). Filled by a later version; absent in this one. */
  dane?: DaneOutcome;
  /**
   * The address graded under the guideline profile (judge/deep-grade.ts): present with deep facts or a graded requirement.
   */
  grade?: AddressGrade;
  problems: Problem[];
}
