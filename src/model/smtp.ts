/**
 * SMTP facts of one address probe: replies, the transcript, where a dialogue stopped and how
 * long each stage took. Types only. Field names are a public contract (README "JSON format").
 */

/**
 * One SMTP reply (RFC 5321 §4.2): its code and the text of each line.
 *
 * @example const reply: SmtpReply = { code: 250, lines: ['mx.example.com', 'PIPELINING', 'STARTTLS'] };
 */
export interface SmtpReply {
  code: number;
  /** Text of each line without the code and separator. */
  lines: string[];
}

/**
 * One line of an SMTP dialogue (what the client said, what the server said, or an event), with
 * its time.
 *
 * @example const dialogue = (a: AddressFacts) => (a.transcript ?? []).map((e: TranscriptEntry) => `${e.dir}: ${e.text}`); // ['S: 220 mx.example.com ESMTP', 'C: EHLO [192.0.2.1]', …]
 */
export interface TranscriptEntry {
  /** 'C' client, 'S' server, '*' event (TLS started, closed, timeout). */
  dir: 'C' | 'S' | '*';
  text: string;
  /** Milliseconds since the connection attempt started. */
  ms: number;
}

/**
 * Where an address probe stopped, when it did not finish its dialogue. With implicit TLS the
 * handshake comes first and `banner` and `ehlo-tls` follow it. `modern-tls` is the second
 * connection that checks what a sender with current TLS defaults gets (ModernTlsFacts);
 * `dane-handshake` the one that sends a DANE sender's SNI (DaneHandshakeFacts).
 *
 * @example const stoppedAt = (a: AddressFacts): ProbeStage | null => a.failure?.stage ?? null; // 'handshake'
 */
export type ProbeStage = 'connect' | 'banner' | 'ehlo' | 'starttls' | 'handshake' | 'ehlo-tls' | 'quit' | 'modern-tls' | 'dane-handshake';

/**
 * Why an address probe stopped before its dialogue ended.
 *
 * @example const why = (f: ProbeFailure) => `${f.kind} at ${f.stage}: ${f.message}`; // 'timeout at banner: timeout while reading server greeting'
 */
export interface ProbeFailure {
  stage: ProbeStage;
  /**
   * `aborted`: the probe was stopped from outside (a batch interrupted by a signal, a domain
   * past its deadline), not by the server: nothing is known about the rest of the dialogue.
   */
  kind: 'timeout' | 'connect' | 'closed' | 'protocol' | 'rejected' | 'tls' | 'aborted';
  /** Human-readable, e.g. "timeout while reading server greeting"; may contain server text. */
  message: string;
}

/**
 * Milliseconds each stage took, and the whole probe's.
 *
 * @example const handshakeMs = (timings: StageTimings) => timings.handshake ?? null; // null when the stage was not reached
 */
export type StageTimings = Partial<Record<ProbeStage, number>> & { total: number };
