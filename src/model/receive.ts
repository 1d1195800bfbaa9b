/**
 * `mxprobe receive`: what the receiver observed of a partner's SENDING gateway. Types only.
 * One record per SMTP session (what was offered, what the client did), then one verdict per
 * sender IP (judge/sender-verdict.ts): the sender policy letters (a)–(d) of the partner TLS FAQs
 * consistent with the rounds observed, and the rounds still missing.
 */
import type { CertificateInfo } from './certificate.js';
import type { MessageResult } from './headers.js';

/** The JSON and NDJSON schema version of `mxprobe receive`. @example RECEIVE_SCHEMA_VERSION // 1 */
export const RECEIVE_SCHEMA_VERSION = 1;

/**
 * A round of the test, per sender IP: 1 STARTTLS offered with --cert; 2 STARTTLS offered with a
 * generated self-signed certificate that does not name the host; 3 STARTTLS not offered.
 *
 * @example const first: Round = 1;
 */
export type Round = 1 | 2 | 3;

/**
 * How a session ended: `message` the message was sent (DATA completed); `quit-after-handshake`
 * STARTTLS completed (or failed) and the client left without sending a message; `quit` it sent
 * QUIT without a message; `dropped` it closed the connection without QUIT; `timeout` an idle or
 * session deadline; `too-large` a line or the message went past its cap; `refused` not served
 * (a session cap); `error` ended by the receiver after too many bad commands.
 *
 * @example const deferred = (o: SessionOutcome) => o !== 'message';
 */
export type SessionOutcome = 'message' | 'quit-after-handshake' | 'quit' | 'dropped' | 'timeout' | 'too-large' | 'refused' | 'error';

/** The TLS session a client made after STARTTLS. @example const t: ReceivedTls = { protocol: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', keyExchange: null, sni: 'mx.example.com' }; */
export interface ReceivedTls {
  protocol: string | null;
  cipher: string | null;
  /** Key exchange as far as the server side can tell (ECDHE, DHE, RSA from a TLS 1.2 suite name); null for TLS 1.3. */
  keyExchange: string | null;
  /** The server name the client sent (SNI), or null. */
  sni: string | null;
}

/** The certificate a client presented: its chain as sent and whether it verified against the trust store and --ca-file. @example const trusted = (c: ClientCertificate | null) => c?.trusted === true; */
export interface ClientCertificate {
  chain: CertificateInfo[];
  trusted: boolean;
  /** OpenSSL's verdict (Node's authorizationError), null when trusted. */
  error: string | null;
}

/** The message received: its size and its own Received: chain, analysed by the `headers` code. @example const hops = (m: ReceivedMessage) => m.received?.hops.length ?? 0; */
export interface ReceivedMessage {
  /** Bytes of the message as received (dot-unstuffed), up to the cap. */
  size: number;
  /** The header analysis (oldest hop first), null when no header could be read. */
  received: MessageResult | null;
  /** The file --save wrote (its name inside DIR), null when not saved. */
  savedAs: string | null;
}

/** What the receiver offered in a session. @example const offered: Offered = { starttls: true, certificate: 'wrong-name' }; */
export interface Offered {
  starttls: boolean;
  /** The certificate STARTTLS would present: --cert ('valid') or the generated one ('wrong-name'); null when STARTTLS was not offered. */
  certificate: 'valid' | 'wrong-name' | null;
}

/** Milliseconds from the connection, null when the step did not happen. @example const t: SessionTimings = { startedAt: '2026-12-02T16:00:00.000Z', tlsMs: 12, dataMs: 30, totalMs: 41 }; */
export interface SessionTimings {
  /** ISO 8601. */
  startedAt: string;
  tlsMs: number | null;
  dataMs: number | null;
  totalMs: number;
}

/**
 * One SMTP session, as observed. `round` is the round offered; `counted` says whether the
 * session told something about that round (a session that quits before EHLO does not; neither
 * does one of a sender already decided, which is offered round 1 and turned away).
 *
 * @example const usedTls = (s: SessionRecord) => s.startedTls && s.tls !== null;
 */
export interface SessionRecord {
  record: 'session';
  /** 1, 2, … in the order sessions started. */
  id: number;
  ip: string;
  /** The client IP's reverse name, null when none (or the look-up failed). */
  reverseName: string | null;
  /** The EHLO or HELO argument, null when none was sent. */
  ehlo: string | null;
  /** HELO rather than EHLO. */
  helo: boolean;
  /** The client issued STARTTLS. */
  startedTls: boolean;
  /** The TLS session, when the handshake completed. */
  tls: ReceivedTls | null;
  /** The handshake failed: why (OpenSSL's words), else null. */
  tlsError: string | null;
  clientCertificate: ClientCertificate | null;
  round: Round;
  counted: boolean;
  offered: Offered;
  outcome: SessionOutcome;
  /** Our answer to the end of DATA ('451', '550', '552'), null when no message came. */
  dataReply: string | null;
  /** The envelope: MAIL FROM and RCPT TO as given (sanitised when shown). */
  mailFrom: string | null;
  rcptTo: string[];
  message: ReceivedMessage | null;
  /** Commands the server refused as out of order or malformed. */
  badCommands: number;
  /** Plaintext that came after STARTTLS before the handshake (an injection attempt): discarded. */
  injectionRefused: boolean;
  timings: SessionTimings;
}

/**
 * What one round showed of a sender: `tls` it used STARTTLS (handshake completed or failed);
 * `delivered` it sent the message. Round 3 offers no STARTTLS, so `tls` is false there.
 *
 * @example const notVerifying: RoundObservation = { tls: true, delivered: true }; // in round 2
 */
export interface RoundObservation {
  tls: boolean;
  delivered: boolean;
  /** The TLS handshake itself failed (so a refusal says nothing of verification). */
  handshakeFailed: boolean;
}

/** A sender's observations, one per round seen (the first session that counted for it). @example const nothing: SenderObservations = { 1: null, 2: null, 3: null }; */
export type SenderObservations = Record<Round, RoundObservation | null>;

/** The sender policy letters of the partner TLS FAQs that `receive` tells apart. @example const c: SendingLetter = 'c'; */
export type SendingLetter = 'a' | 'b' | 'c' | 'd';

/**
 * The verdict on one sender IP: the letters consistent with what was observed (one once
 * decided), the rounds observed and those still missing, and whether it meets --require (null
 * when not yet known, absent when nothing was required).
 *
 * @example const verdict = (s: SenderRecord) => (s.decided ? s.policies.join('/') : `${s.policies.join('/')}?`);
 */
export interface SenderRecord {
  record: 'sender';
  ip: string;
  reverseName: string | null;
  policies: SendingLetter[];
  observed: Round[];
  missing: Round[];
  decided: boolean;
  /** Sessions seen from this IP. */
  sessions: number;
  /** Remarks that qualify the verdict (a refused --cert, a failed handshake, behaviour that fits no policy). */
  notes: string[];
  meets?: boolean | null;
}

/** The whole report (`--format json`). @example const report: ReceiveReport = { schemaVersion: 1, sessions: [], senders: [] }; */
export interface ReceiveReport {
  schemaVersion: number;
  /** The first 10,000 sessions (a flood cannot grow the report without bound); NDJSON has them all. */
  sessions: SessionRecord[];
  /** Sessions past the first 10,000, left out of `sessions`; absent when none. */
  sessionsLeftOut?: number;
  senders: SenderRecord[];
}
