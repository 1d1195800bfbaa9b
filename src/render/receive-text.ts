/**
 * `mxprobe receive` as text: a block per session as it ends (what was offered, what the client
 * did), then a verdict line per sender, with the rounds seen and missing and the notes that
 * qualify it. Every string a client chose (EHLO name, SNI, addresses, certificate names,
 * OpenSSL's words) goes through sanitize(). Pure.
 */
import type { SenderRecord, SendingLetter, SessionRecord } from '../model/receive.js';
import { sanitize } from './sanitize.js';

/** The FAQs' names of the sender policies. @example SENDING_POLICY_NAMES.c // 'TLS required' */
export const SENDING_POLICY_NAMES: Readonly<Record<SendingLetter, string>> = {
  a: 'plain',
  b: 'TLS if offered',
  c: 'TLS required',
  d: 'TLS required, name verified',
};

const ROUND_WORDS = {
  1: 'round 1: STARTTLS offered, --cert',
  2: 'round 2: STARTTLS offered, a certificate that does not name the host',
  3: 'round 3: STARTTLS not offered',
} as const;

const REPLY_WORDS: Record<string, string> = {
  '451': '451: asked to come back (next round)',
  '550': '550: refused (the test is over: nothing is delivered)',
  '552': '552: too big',
};

function tlsLine(s: SessionRecord): string {
  if (!s.startedTls) return s.offered.starttls ? 'not used (offered)' : 'not offered';
  if (s.tls === null) return `handshake failed: ${sanitize(s.tlsError ?? 'unknown', 200)}`;
  const t = s.tls;
  const parts = [t.protocol ?? '?', t.cipher ?? '?'];
  if (t.keyExchange !== null) parts.push(t.keyExchange);
  return `${parts.map((p) => sanitize(p, 100)).join(' ')}, SNI ${t.sni === null ? 'none' : sanitize(t.sni, 255)}`;
}

function clientCertificateLine(s: SessionRecord): string | null {
  if (s.tls === null) return null;
  const c = s.clientCertificate;
  if (c === null) return 'none';
  const leaf = c.chain[0];
  const name = leaf === undefined ? 'unreadable' : sanitize(leaf.subject, 300);
  return `${name} (${c.chain.length} in chain), ${c.trusted ? 'trusted' : `not trusted: ${sanitize(c.error ?? 'unknown', 200)}`}`;
}

function outcomeLine(s: SessionRecord): string {
  const words: Record<SessionRecord['outcome'], string> = {
    message: 'sent the message',
    'quit-after-handshake': 'left after STARTTLS without a message',
    quit: 'QUIT without a message',
    dropped: 'closed the connection without a message',
    timeout: 'timed out',
    'too-large': 'went past a size cap',
    refused: 'refused: session cap',
    error: 'ended after too many bad commands',
  };
  const parts = [words[s.outcome]];
  if (s.dataReply !== null) parts.push(REPLY_WORDS[s.dataReply] ?? s.dataReply);
  return parts.join(', ');
}

function messageLine(s: SessionRecord): string | null {
  const m = s.message;
  if (m === null) return null;
  const parts = [`${m.size} bytes`];
  const r = m.received;
  if (r !== null) {
    const all = r.verdict.allNetworkHopsEncrypted;
    parts.push(`${r.hops.length} Received hop${r.hops.length === 1 ? '' : 's'} before ours`, `every network hop over TLS: ${all === null ? 'unknown' : all ? 'yes' : 'no'}`);
  }
  if (m.savedAs !== null) parts.push(`saved as ${sanitize(m.savedAs, 200)}`);
  return parts.join(', ');
}

/**
 * One session as a text block (ends with an empty line).
 *
 * @example receiveSessionText(session) // 'session 1  192.0.2.7  round 1: STARTTLS offered, --cert\n  EHLO …'
 */
export function receiveSessionText(s: SessionRecord): string {
  const who = s.reverseName === null ? sanitize(s.ip, 60) : `${sanitize(s.ip, 60)} (${sanitize(s.reverseName, 255)})`;
  const lines = [`session ${s.id}  ${who}  ${ROUND_WORDS[s.round]}${s.counted ? '' : s.outcome === 'refused' ? '' : ' (did not count)'}`];
  const row = (label: string, value: string | null) => {
    if (value !== null) lines.push(`  ${label.padEnd(19)}${value}`);
  };
  if (s.outcome !== 'refused') {
    row(s.helo ? 'HELO' : 'EHLO', s.ehlo === null ? 'none' : sanitize(s.ehlo, 255));
    row('TLS', tlsLine(s));
    row('client certificate', clientCertificateLine(s));
    if (s.mailFrom !== null) row('envelope', `from <${sanitize(s.mailFrom, 255)}> to ${s.rcptTo.length} recipient${s.rcptTo.length === 1 ? '' : 's'}`);
    row('message', messageLine(s));
    if (s.injectionRefused) row('STARTTLS injection', 'plaintext sent after STARTTLS was discarded');
    if (s.badCommands > 0) row('bad commands', String(s.badCommands));
  }
  row('outcome', outcomeLine(s));
  row('time', `${(s.timings.totalMs / 1000).toFixed(1)} s`);
  return `${lines.join('\n')}\n\n`;
}

/**
 * The verdict line of one sender, with its notes below.
 *
 * @example receiveSenderText(sender) // 'sender 192.0.2.7: (c) TLS required  [rounds seen 1, 2, 3]  meets --require c\n'
 */
export function receiveSenderText(s: SenderRecord, required: SendingLetter | null): string {
  const who = s.reverseName === null ? sanitize(s.ip, 60) : `${sanitize(s.ip, 60)} (${sanitize(s.reverseName, 255)})`;
  const policies = s.policies.map((l) => `(${l}) ${SENDING_POLICY_NAMES[l]}`).join(' or ');
  const seen = s.observed.length === 0 ? 'no round seen' : `rounds seen ${s.observed.join(', ')}`;
  const missing = s.decided ? 'decided' : `not decided: round${s.missing.length === 1 ? '' : 's'} ${s.missing.join(', ')} not seen yet`;
  let meets = '';
  if (required !== null) meets = s.meets === true ? `  meets --require ${required}` : s.meets === false ? `  BELOW --require ${required}` : `  --require ${required}: not known yet`;
  const lines = [`sender ${who}: ${policies}  [${seen}; ${missing}]${meets}`, ...s.notes.map((n) => `  - ${n}`)];
  return `${lines.join('\n')}\n`;
}

/**
 * The closing part of the text report: every sender's verdict, or a line saying none was seen.
 *
 * @example receiveSummaryText([], null) // 'no sender observed (no session got as far as a round)\n'
 */
export function receiveSummaryText(senders: readonly SenderRecord[], required: SendingLetter | null): string {
  if (senders.length === 0) return 'no sender observed (no session got as far as a round)\n';
  return senders.map((s) => receiveSenderText(s, required)).join('');
}
