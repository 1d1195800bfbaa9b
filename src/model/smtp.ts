/**
 * SMTP facts of one address probe: replies, the transcript, where a dialogue stopped and how
 * long each stage took. Types only. Field names are a public contract (README "JSON format").
 */

export interface SmtpReply {
  code: number;
  /** Text of each line without the code and separator. */
  lines: string[];
}

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
 * connection that checks what a sender with current TLS defaults gets (ModernTlsFacts).
 */
export type ProbeStage = 'connect' | 'banner' | 'ehlo' | 'starttls' | 'handshake' | 'ehlo-tls' | 'quit' | 'modern-tls';

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

/** Milliseconds each stage took, and the whole probe's. */
export type StageTimings = Partial<Record<ProbeStage, number>> & { total: number };
