/**
 * How long each stage of a probe may take. Every wait has two bounds: its stage's cap below,
 * and what is left of the address's overall deadline (--timeout); the nearer one wins. The
 * caps keep one slow stage from eating the time of those after it, and name the stage that
 * was slow. (Postfix's posttls-finger sets a deadline right before each stage too: -t 30 s
 * for the connection and the greeting, -T 30 s for each command.)
 *
 * Why these values, where a sending MTA waits far longer (RFC 5321 §4.5.3.2: 5 minutes for
 * the greeting, as Postfix's smtp_helo_timeout; smtp_starttls_timeout 300 s): a probe only
 * needs to see the server work, and its report must come while someone waits for it.
 * - connect: --connect-timeout (10 s by default).
 * - greeting: 20 s. Servers greet within a second unless they pause on purpose to catch
 *   clients that talk first: Postfix's postscreen waits 6 s (postscreen_greet_wait),
 *   sendmail's greet_pause and Exim's banner delays are a few seconds. 20 s covers them with
 *   room and leaves 10 s of the default --timeout for the rest.
 * - each command's reply (EHLO, STARTTLS, NOOP, EHLO over TLS): 10 s. Replies come in
 *   milliseconds; servers that slow down suspicious clients delay them by seconds (Postfix's
 *   smtpd_error_sleep_time is 1 s).
 * - the TLS handshake: 15 s: a few round trips and one private-key operation, about a
 *   second on a slow server with a large RSA key.
 * - QUIT: 1 s: politeness only, no fact depends on the 221.
 */

/** The caps of the stages after the connection, in ms. @example const caps: StageCaps = { ...STAGE_CAPS, greeting: 5_000 }; */
export interface StageCaps {
  /** Reading the server's greeting (banner). */
  greeting: number;
  /** Reading the reply to one command (EHLO, STARTTLS, NOOP, EHLO over TLS). */
  command: number;
  /** The TLS handshake. */
  handshake: number;
  /** Reading the reply to QUIT. */
  quit: number;
}

/**
 * The caps mxprobe uses (see the module comment for why).
 *
 * @example await probeAddress(target, { stageCaps: { greeting: 2 * STAGE_CAPS.greeting } }) // a server that greets late on purpose
 */
export const STAGE_CAPS: Readonly<StageCaps> = Object.freeze({ greeting: 20_000, command: 10_000, handshake: 15_000, quit: 1_000 });

/** A stage's cap, connect included (--connect-timeout). @example const caps: StageDeadlines = { connect: 10_000, ...STAGE_CAPS }; */
export interface StageDeadlines extends StageCaps {
  connect: number;
}
