/**
 * Reads one unfolded Received field (RFC 5322 §3.6.7, RFC 5321 §4.4) into hop facts: from, by,
 * with, id, for, the time stamp, and the TLS notation of the MTA that wrote it (Postfix,
 * sendmail, Exim, Gmail, Microsoft, OpenSMTPD, qmail-tls, RFC 3848 keywords). Pure and linear:
 * a hand-written tokenizer splits the field once; recognisers look at one comment at a time with
 * anchored patterns only. What is not recognised is reported as unknown, never guessed.
 */
import { isIP } from 'node:net';
import type { ClientCertVerified, HopBy, HopFrom, HopTls, ReceivedFacts, ReceivedFormat } from '../model/headers.js';
import { keywordClass, keywordSource } from './protocol-names.js';
import { normaliseVersion } from '../model/tls-protocols.js';

// ---------------------------------------------------------------------------------------
// Tokens

type TokenKind = 'word' | 'comment' | 'angle' | 'quoted' | 'semicolon';

interface Token {
  kind: TokenKind;
  /** Words as written; comments, angle-addrs and quoted strings without their delimiters. */
  text: string;
  /** Offset of the token in the field. */
  at: number;
}

/** A 16 KiB field of one-letter words has ~8,000; the clauses that matter come first. */
const MAX_TOKENS = 4000;
/** Comments kept per clause. */
const MAX_COMMENTS = 64;
/** Characters kept of a value (host, id, for, software, TLS notation). */
const VALUE_CHARS = 255;
const NOTATION_CHARS = 500;

const isSpace = (c: number) => c === 32 || c === 9 || c === 10 || c === 13;
/** White space, `(`, `)`, `;`, `<`, `"`: the characters that end a word. */
const endsWord = (c: number) => isSpace(c) || c === 40 || c === 41 || c === 59 || c === 60 || c === 34;

/**
 * Splits a field into words, comments (RFC 5322 §3.2.2, nested, `\` quoting), angle-addrs,
 * quoted strings and semicolons. An unterminated comment or string runs to the end of the field
 * (a truncated field). One pass: every character is looked at a bounded number of times.
 */
function tokenize(value: string): Token[] {
  const tokens: Token[] = [];
  const n = value.length;
  let i = 0;
  while (i < n && tokens.length < MAX_TOKENS) {
    const c = value.charCodeAt(i);
    if (isSpace(c) || c === 41) {
      i += 1; // white space, or a stray ')'
    } else if (c === 40) {
      let depth = 1;
      let j = i + 1;
      while (j < n) {
        const d = value.charCodeAt(j);
        if (d === 92) j += 2;
        else {
          if (d === 40) depth += 1;
          else if (d === 41 && --depth === 0) break;
          j += 1;
        }
      }
      tokens.push({ kind: 'comment', text: value.slice(i + 1, Math.min(j, n)), at: i });
      i = j + 1;
    } else if (c === 59) {
      tokens.push({ kind: 'semicolon', text: ';', at: i });
      i += 1;
    } else if (c === 60) {
      // To `>`; an unclosed `<` stops before `;` so the time stamp survives.
      let j = i + 1;
      while (j < n && value.charCodeAt(j) !== 62 && value.charCodeAt(j) !== 59) j += 1;
      tokens.push({ kind: 'angle', text: value.slice(i + 1, j), at: i });
      i = j < n && value.charCodeAt(j) === 62 ? j + 1 : j;
    } else if (c === 34) {
      let j = i + 1;
      while (j < n && value.charCodeAt(j) !== 34) j += value.charCodeAt(j) === 92 ? 2 : 1;
      tokens.push({ kind: 'quoted', text: value.slice(i + 1, Math.min(j, n)), at: i });
      i = j + 1;
    } else {
      let j = i + 1;
      while (j < n && !endsWord(value.charCodeAt(j))) j += 1;
      tokens.push({ kind: 'word', text: value.slice(i, j), at: i });
      i = j;
    }
  }
  return tokens;
}

/** Words of a comment, white space collapsed; at most `max` of them. */
function wordsOf(text: string, max = 64): string[] {
  const words: string[] = [];
  let i = 0;
  const n = text.length;
  while (i < n && words.length < max) {
    while (i < n && isSpace(text.charCodeAt(i))) i += 1;
    let j = i;
    while (j < n && !isSpace(text.charCodeAt(j))) j += 1;
    if (j > i) words.push(text.slice(i, j));
    i = j;
  }
  return words;
}

const cap = (text: string, max = VALUE_CHARS) => (text.length > max ? text.slice(0, max) : text);
const collapse = (text: string) => cap(wordsOf(text, 200).join(' '), NOTATION_CHARS);

// ---------------------------------------------------------------------------------------
// Clauses (RFC 5321 §4.4: Stamp = From-domain By-domain Opt-info [CFWS] ";" FWS date-time)

type Clause = 'start' | 'from' | 'by' | 'via' | 'with' | 'id' | 'for' | 'tls';

const KEYWORDS: ReadonlySet<string> = new Set(['from', 'by', 'via', 'with', 'id', 'for']);

interface Clauses {
  values: Partial<Record<Clause, string>>;
  comments: Record<Clause, string[]>;
  /** Every comment in order, with the clause it followed. */
  all: Array<{ clause: Clause; text: string }>;
}

function readClauses(tokens: readonly Token[]): Clauses {
  const values: Partial<Record<Clause, string>> = {};
  const comments: Record<Clause, string[]> = { start: [], from: [], by: [], via: [], with: [], id: [], for: [], tls: [] };
  const all: Clauses['all'] = [];
  let clause: Clause = 'start';
  let expecting = false;
  /** Words still to add to a multi-word `with` ("Microsoft SMTP Server"). */
  let withWords = 0;
  for (const token of tokens) {
    if (token.kind === 'comment') {
      withWords = 0;
      if (comments[clause].length < MAX_COMMENTS) comments[clause].push(token.text);
      if (all.length < MAX_COMMENTS * 2) all.push({ clause, text: token.text });
      continue;
    }
    if (token.kind === 'semicolon') continue;
    const lower = token.kind === 'word' ? token.text.toLowerCase() : '';
    if (token.kind === 'word' && KEYWORDS.has(lower) && !(expecting && clause === 'for')) {
      clause = lower as Clause;
      expecting = true;
      withWords = 0;
      continue;
    }
    if (token.kind === 'word' && lower === 'tls' && clause === 'with' && !expecting) {
      // Exim 4.92+: `with esmtps (TLS1.3) tls TLS_AES_256_GCM_SHA384`
      clause = 'tls';
      expecting = true;
      continue;
    }
    if (expecting) {
      expecting = false;
      if (values[clause] === undefined) {
        values[clause] = cap(token.text);
        if (clause === 'with' && lower === 'microsoft') withWords = 3;
      }
      continue;
    }
    if (withWords > 0 && clause === 'with' && token.kind === 'word') {
      withWords -= 1;
      values.with = cap(`${values.with ?? ''} ${token.text}`);
    }
  }
  return { values, comments, all };
}

// ---------------------------------------------------------------------------------------
// TCP-info: `(reverse [ip])`, `(IDENT:user@reverse [ip])`, Exim `([ip]:port helo=name)`,
// qmail `(HELO name) (ip)`, Microsoft `(ip)`, OpenSMTPD `(reverse [local])`

interface TcpInfo {
  helo: string | null;
  reverse: string | null;
  ip: string | null;
  localSocket: boolean;
}

/** An IP address without brackets, `IPv6:` tag, zone or port; or null. */
function ipOf(text: string): string | null {
  if (text.length > 64) return null;
  let t = text;
  if (t.startsWith('[')) {
    const close = t.indexOf(']');
    t = close === -1 ? t.slice(1) : t.slice(1, close);
  }
  if (t.slice(0, 5).toLowerCase() === 'ipv6:') t = t.slice(5);
  const zone = t.indexOf('%');
  if (zone !== -1) t = t.slice(0, zone);
  return isIP(t) === 0 ? null : t.toLowerCase();
}

/** A host name as receivers write it: letters, digits, `.`, `-`, `_`. */
function hostNameLike(text: string): boolean {
  if (text.length === 0 || text.length > 253) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const ok = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 46 || c === 45 || c === 95;
    if (!ok) return false;
  }
  return true;
}

const unquote = (text: string) => text.replace(/^"/, '').replace(/"?\)?$/, '');
const withoutDot = (text: string) => (text.endsWith('.') ? text.slice(0, -1) : text);

/** The name in `IDENT:user@host.example.` or `host.example.`: host.example; null for `unknown`. */
function reverseName(word: string): string | null {
  let w = word;
  if (w.slice(0, 6).toLowerCase() === 'ident:') w = w.slice(6);
  const at = w.lastIndexOf('@');
  if (at !== -1) w = w.slice(at + 1);
  w = withoutDot(w);
  if (w.toLowerCase() === 'unknown' || !hostNameLike(w)) return null;
  return w;
}

function tcpInfo(comments: readonly string[]): TcpInfo {
  const info: TcpInfo = { helo: null, reverse: null, ip: null, localSocket: false };
  for (const comment of comments) {
    if (tlsNotation(comment) !== null || clientCertificate(comment) !== null) continue;
    // `name[ip]` without a space is seen too: split before the bracket (not in `helo=[ip]`).
    const words = wordsOf(comment, 16).flatMap((w) => {
      const bracket = w.indexOf('[');
      return bracket > 0 && w[bracket - 1] !== '=' ? [w.slice(0, bracket), w.slice(bracket)] : [w];
    });
    // A name counts as the reverse name only before an address in the same comment, so that
    // `(authenticated bits=0)` or `(may be forged)` are not taken for one.
    let name: string | null = null;
    let address = false;
    for (let k = 0; k < words.length; k++) {
      const w = words[k] ?? '';
      const lower = w.toLowerCase();
      const ip = ipOf(w);
      if (lower.startsWith('[local]')) {
        info.localSocket = true;
        address = true;
      } else if (ip !== null) {
        info.ip ??= ip;
        address = true;
      } else if (lower.startsWith('helo=')) {
        info.helo ??= cap(unquote(w.slice(5)));
      } else if (lower === 'helo' || lower === 'ehlo' || lower === '"helo' || lower === '"ehlo') {
        const next = words[k + 1];
        if (next !== undefined) info.helo ??= cap(unquote(next));
        k += 1;
      } else if (k === 0) {
        name = reverseName(w);
      }
    }
    if (address && name !== null) info.reverse ??= name;
  }
  return info;
}

function fromFacts(clauses: Clauses): HopFrom | null {
  const word = clauses.values.from;
  if (word === undefined) return null;
  const tcp = tcpInfo(clauses.comments.from);
  const literal = ipOf(word);
  if (tcp.helo !== null) {
    // Exim and qmail: `from` names the client as the receiver found it, `helo=` what it said.
    return { helo: tcp.helo, reverseName: tcp.reverse ?? (literal === null ? reverseName(word) : null), ip: tcp.ip ?? literal, localSocket: tcp.localSocket };
  }
  return { helo: word, reverseName: tcp.reverse, ip: tcp.ip ?? literal, localSocket: tcp.localSocket };
}

function byFacts(clauses: Clauses, withValue: string | null): HopBy | null {
  const host = clauses.values.by;
  if (host === undefined) return null;
  let ip: string | null = ipOf(host);
  let software: string | null = null;
  const first = clauses.comments.by[0];
  if (first !== undefined) {
    const words = wordsOf(first, 8);
    const address = words.map(ipOf).find((a) => a !== null);
    if (address !== undefined) ip ??= address;
    else software = collapse(first);
  }
  // Exim writes its name after the `with` clause: `with esmtps … (Exim 4.98)`.
  const exim = clauses.all.find((c) => c.text.startsWith('Exim ') && c.text.length < 40);
  if (exim !== undefined) software ??= exim.text;
  if (withValue !== null && withValue.toLowerCase().startsWith('microsoft ')) software ??= withValue;
  return { host: withoutDot(host), ip, software };
}

// ---------------------------------------------------------------------------------------
// TLS notations

/** sendmail's `${verify}` (and its old `verified X`): OK, NO, NOT, FAIL, TEMP, PROTOCOL, SOFTWARE, NONE. */
function sendmailVerify(word: string | undefined): ClientCertVerified | null {
  switch (word?.replace(/\)$/, '').toUpperCase()) {
    case 'OK':
    case 'TRUSTED':
      return 'yes';
    case 'NO':
      return 'no';
    case 'NOT':
      return 'not-requested';
    case 'FAIL':
    case 'TEMP':
    case 'PROTOCOL':
    case 'SOFTWARE':
      return 'fail';
    default:
      return null;
  }
}

/** Bits from "256/256", "(256/256", "168", "bits=256": the first number; null when not a number. */
function bitsOf(text: string | undefined): number | null {
  if (text === undefined) return null;
  const digits = text.replace(/^\(/, '').split('/')[0] ?? '';
  if (digits.length === 0 || digits.length > 5) return null;
  for (let i = 0; i < digits.length; i++) {
    const c = digits.charCodeAt(i);
    if (c < 48 || c > 57) return null;
  }
  return Number(digits);
}

interface Notation {
  format: ReceivedFormat;
  tls: HopTls;
}

function notation(format: ReceivedFormat, raw: string, facts: Partial<Omit<HopTls, 'raw' | 'version'>>): Notation {
  const protocol = facts.protocol ?? null;
  return {
    format,
    tls: {
      protocol,
      version: normaliseVersion(protocol),
      cipher: facts.cipher ?? null,
      bits: facts.bits ?? null,
      keyExchange: facts.keyExchange ?? null,
      verified: facts.verified ?? null,
      raw: collapse(raw),
    },
  };
}

/**
 * Postfix `using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519
 * server-signature RSA-PSS (2048 bits) server-digest SHA256` and sendmail 8.12's
 * `using TLSv1/SSLv3 with cipher EDH-RSA-DES-CBC3-SHA (168 bits) verified FAIL`.
 */
function usingNotation(comment: string): Notation | null {
  const w = wordsOf(comment);
  if (w[0]?.toLowerCase() !== 'using' || w[1] === undefined) return null;
  const protocol = cap(w[1], 32);
  let k = 2;
  let cipher: string | null = null;
  if (w[2]?.toLowerCase() === 'with' && w[3]?.toLowerCase() === 'cipher' && w[4] !== undefined && !w[4].startsWith('(')) {
    cipher = w[4];
    k = 5;
    // A cipher name has no space: a wrapped line ("EDH-RSA-DES- CBC3-SHA") is joined back.
    while (cipher.endsWith('-') && w[k] !== undefined && !(w[k] ?? '').startsWith('(') && k < 8) {
      cipher += w[k];
      k += 1;
    }
    cipher = cap(cipher, 100);
  }
  const bits = w[k]?.startsWith('(') === true && w[k + 1]?.toLowerCase().startsWith('bits') === true ? bitsOf(w[k]) : null;
  let keyExchange: string | null = null;
  let verified: ClientCertVerified | null = null;
  let sendmail = false;
  for (let i = k; i < w.length; i++) {
    const word = (w[i] ?? '').toLowerCase();
    if (word === 'key-exchange' && w[i + 1] !== undefined) keyExchange = cap((w[i + 1] ?? '').replace(/\)$/, ''), 32);
    if (word === 'verified') {
      sendmail = true;
      verified = sendmailVerify(w[i + 1]);
    }
  }
  return notation(sendmail ? 'sendmail' : 'postfix', comment, { protocol, cipher, bits, keyExchange, verified });
}

/**
 * `key=value` notations: sendmail `version=TLSv1.3 cipher=… bits=256 verify=NOT`, Gmail
 * `version=TLS1_3 cipher=… bits=256/256`, Microsoft `version=TLS1_2, cipher=…` (commas).
 */
function keyValueNotation(comment: string): Notation | null {
  const words = wordsOf(comment, 16);
  const pairs: Record<string, string> = {};
  let commas = false;
  for (const word of words) {
    const eq = word.indexOf('=');
    if (eq <= 0) continue;
    let value = word.slice(eq + 1);
    if (value.endsWith(',')) {
      commas = true;
      value = value.slice(0, -1);
    }
    pairs[word.slice(0, eq).toLowerCase()] = value;
  }
  if (pairs.version === undefined || pairs.cipher === undefined || pairs.version === '') return null;
  // Gmail always writes `bits=N/M` and no verify; sendmail `bits=N verify=…` (also when cut short).
  const format: ReceivedFormat = commas ? 'microsoft' : pairs.verify === undefined && pairs.bits?.includes('/') === true ? 'gmail' : 'sendmail';
  return notation(format, comment, {
    protocol: cap(pairs.version, 32),
    cipher: pairs.cipher === '' ? null : cap(pairs.cipher, 100),
    bits: bitsOf(pairs.bits),
    verified: pairs.verify === undefined ? null : sendmailVerify(pairs.verify),
  });
}

/** Exim before 4.92 `TLS1.2:ECDHE_RSA_AES_256_GCM_SHA384:256`; OpenSMTPD `TLSv1.3:TLS_AES_256_GCM_SHA384:256:NO`. */
function colonNotation(comment: string): Notation | null {
  const text = comment.trim();
  if (text.length > 120 || wordsOf(text, 2).length !== 1) return null;
  const parts = text.split(':');
  const [protocol, cipher, bits, verify] = parts;
  if (protocol === undefined || cipher === undefined || bits === undefined) return null;
  const head = protocol.slice(0, 3).toUpperCase();
  if ((head !== 'TLS' && head !== 'SSL') || bitsOf(bits) === null || cipher.length === 0) return null;
  if (parts.length === 3) return notation('exim-legacy', text, { protocol, cipher, bits: bitsOf(bits) });
  const verified: Record<string, ClientCertVerified> = { YES: 'yes', NO: 'no', FAIL: 'fail' };
  if (parts.length === 4 && verify !== undefined && verified[verify.toUpperCase()] !== undefined) {
    return notation('opensmtpd', text, { protocol, cipher, bits: bitsOf(bits), verified: verified[verify.toUpperCase()] ?? null });
  }
  return null;
}

/** qmail-tls: `with (ECDHE-RSA-AES256-GCM-SHA384 encrypted) SMTP`. */
function qmailNotation(comment: string): Notation | null {
  const words = wordsOf(comment, 3);
  if (words.length !== 2 || words[1]?.toLowerCase() !== 'encrypted' || words[0] === undefined) return null;
  return notation('qmail', comment, { cipher: cap(words[0], 100) });
}

/** Gmail's `(Google Transport Security)`: TLS inside Google, no details. */
function googleNotation(comment: string): Notation | null {
  return comment.trim().toLowerCase() === 'google transport security' ? notation('gmail', comment, {}) : null;
}

/** Any TLS notation in one comment, or null. */
function tlsNotation(comment: string): Notation | null {
  return usingNotation(comment) ?? keyValueNotation(comment) ?? colonNotation(comment) ?? qmailNotation(comment) ?? googleNotation(comment);
}

/** Postfix's client-certificate comment (`smtpd_tls_received_header`). */
function clientCertificate(comment: string): ClientCertVerified | null {
  const text = collapse(comment);
  if (text.startsWith('Client CN ') || text.startsWith('Client CN=')) {
    if (text.endsWith('(verified OK)')) return 'yes';
    if (text.endsWith('(not verified)')) return 'fail';
    return null;
  }
  if (text === 'Client did not present a certificate') return 'no';
  if (text === 'No client certificate requested') return 'not-requested';
  return null;
}

/** An Exim protocol comment right after `with`: `(TLS1.3)`, `(TLSv1.2)`. */
function eximVersion(comment: string): string | null {
  const text = comment.trim();
  return text.length <= 12 && normaliseVersion(text) !== null ? text : null;
}

/** Words that show some TLS notation is present, when no recogniser knew it. */
function looksLikeTls(comment: string): boolean {
  const lower = comment.toLowerCase();
  return lower.includes('cipher') || lower.includes('tlsv1') || lower.includes('tls1') || lower.includes('sslv');
}

// ---------------------------------------------------------------------------------------
// Time stamp (RFC 5322 §3.3 date-time, with §4.3's obsolete forms)

const MONTHS: Readonly<Record<string, number>> = { jan: 0, feb: 1, mar: 2, apr: 3, may: 4, jun: 5, jul: 6, aug: 7, sep: 8, oct: 9, nov: 10, dec: 11 };
/** RFC 5322 §4.3 obs-zone; military letters mean -0000 (unknown). Minutes east of UTC. */
const ZONES: Readonly<Record<string, number>> = {
  ut: 0, utc: 0, gmt: 0, z: 0,
  est: -300, edt: -240, cst: -360, cdt: -300, mst: -420, mdt: -360, pst: -480, pdt: -420,
};

function allDigits(text: string, min: number, max: number): boolean {
  if (text.length < min || text.length > max) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/**
 * `Sun, 9 Dec 2001 16:22:10 -0800 (PST)` → '2001-12-10T00:22:10.000Z'; null when it is not an
 * RFC 5322 date-time (day, month name, year, hh:mm[:ss], zone). Text after `(` is a comment.
 *
 * @example parseDateTime('Mon, 14 Sep 2026 10:11:12 +0200 (CEST)') // '2026-09-14T08:11:12.000Z'
 */
export function parseDateTime(text: string): string | null {
  const paren = text.indexOf('(');
  const body = (paren === -1 ? text : text.slice(0, paren)).slice(0, 200);
  const words = wordsOf(body.replaceAll(',', ' '), 8);
  if (words[0] !== undefined && !allDigits(words[0], 1, 2)) words.shift(); // day of week
  const [dayText, monthText, yearText, timeText, zoneText] = words;
  if (dayText === undefined || monthText === undefined || yearText === undefined || timeText === undefined) return null;
  const month = MONTHS[monthText.slice(0, 3).toLowerCase()];
  if (!allDigits(dayText, 1, 2) || month === undefined || !allDigits(yearText, 2, 4)) return null;
  let year = Number(yearText);
  if (yearText.length === 2) year += year < 50 ? 2000 : 1900;
  else if (yearText.length === 3) year += 1900;
  const [h, m, s = '00', extra] = timeText.split(':');
  if (extra !== undefined || h === undefined || m === undefined || !allDigits(h, 1, 2) || !allDigits(m, 2, 2) || !allDigits(s, 2, 2)) return null;
  const day = Number(dayText);
  const hour = Number(h);
  const minute = Number(m);
  const second = Math.min(Number(s), 59); // a leap second (60) is read as :59
  if (day < 1 || hour > 23 || minute > 59 || second > 60) return null;
  let offset = 0;
  if (zoneText !== undefined) {
    const sign = zoneText[0];
    if ((sign === '+' || sign === '-') && allDigits(zoneText.slice(1), 4, 4)) {
      const hh = Number(zoneText.slice(1, 3));
      const mm = Number(zoneText.slice(3, 5));
      if (mm > 59) return null;
      offset = (sign === '-' ? -1 : 1) * (hh * 60 + mm);
    } else {
      offset = ZONES[zoneText.toLowerCase()] ?? 0;
    }
  }
  const utc = Date.UTC(year, month, day, hour, minute, second);
  const check = new Date(utc);
  if (check.getUTCDate() !== day || check.getUTCMonth() !== month) return null; // 31 Feb
  return new Date(utc - offset * 60_000).toISOString();
}

// ---------------------------------------------------------------------------------------

function encryption(clauses: Clauses, withValue: string | null): Pick<ReceivedFacts, 'tls' | 'format' | 'encrypted' | 'evidence'> {
  let found: Notation | null = null;
  for (const { text } of clauses.all) {
    found = tlsNotation(text);
    if (found !== null) break;
  }
  const withLower = withValue?.toLowerCase() ?? '';
  const eximCipher = clauses.values.tls;
  const eximProtocol = clauses.comments.with.map(eximVersion).find((v) => v !== null) ?? null;
  if (found === null && (eximCipher !== undefined || eximProtocol !== null)) {
    found = notation('exim', `${eximProtocol === null ? '' : `(${eximProtocol}) `}tls ${eximCipher ?? ''}`, {
      protocol: eximProtocol,
      cipher: eximCipher === undefined ? null : cap(eximCipher, 100),
    });
  }
  if (found === null && withLower.startsWith('microsoft smtp server') && clauses.comments.with.some((c) => c.trim().toUpperCase() === 'TLS')) {
    found = notation('microsoft', 'TLS', {}); // Exchange 2010: `with Microsoft SMTP Server (TLS) id 14.x`
  }
  if (found !== null) {
    if (found.format === 'postfix') {
      const client = clauses.all.map((c) => clientCertificate(c.text)).find((v) => v !== null);
      if (client !== undefined) found.tls.verified = client;
    }
    return { tls: found.tls, format: found.format, encrypted: true, evidence: `TLS details (${found.format})` };
  }

  const keyword = keywordClass(withValue);
  const said = `with ${withValue ?? ''}`;
  const source = keywordSource(withValue);
  if (keyword === 'tls') return { tls: null, format: 'rfc3848-only', encrypted: true, evidence: `${said} (${source})` };
  if (keyword === 'plain') {
    if (clauses.all.some((c) => looksLikeTls(c.text))) {
      return { tls: null, format: 'unknown', encrypted: null, evidence: `${said}, next to a TLS notation mxprobe does not know` };
    }
    return { tls: null, format: 'rfc3848-only', encrypted: false, evidence: `${said} (${source})` };
  }
  if (keyword === 'local') return { tls: null, format: 'unknown', encrypted: null, evidence: `${said}: handed over by a local process` };
  if (withLower.startsWith('microsoft smtp server')) {
    // Exchange and Microsoft 365 write `(version=…, cipher=…)` (2010: `(TLS)`) whenever TLS was used.
    return { tls: null, format: 'microsoft', encrypted: false, evidence: `${said} without a TLS notation` };
  }
  if (withLower === 'mapi') return { tls: null, format: 'microsoft', encrypted: null, evidence: 'with mapi: Exchange client submission, encryption not recorded' };
  return {
    tls: null,
    format: 'unknown',
    encrypted: null,
    evidence: withValue === null ? 'no protocol recorded' : `unknown protocol keyword "${withValue}"`,
  };
}

/**
 * Reads one unfolded Received field value (without `Received:`).
 *
 * @example
 * parseReceived('from a.example (a.example [192.0.2.1]) by b.example (Postfix) with ESMTPS id X; Mon, 1 Jan 2024 00:00:00 +0000')
 * // { from: { helo: 'a.example', reverseName: 'a.example', ip: '192.0.2.1', … }, encrypted: true, format: 'rfc3848-only', … }
 */
export function parseReceived(value: string): ReceivedFacts {
  const tokens = tokenize(value);
  let lastSemicolon = -1;
  for (let i = tokens.length - 1; i >= 0; i--) {
    if (tokens[i]?.kind === 'semicolon') {
      lastSemicolon = i;
      break;
    }
  }
  const clauses = readClauses(lastSemicolon === -1 ? tokens : tokens.slice(0, lastSemicolon));
  const semicolonAt = lastSemicolon === -1 ? -1 : (tokens[lastSemicolon]?.at ?? -1);
  const dateText = semicolonAt === -1 ? null : cap(value.slice(semicolonAt + 1, semicolonAt + 1 + 400).trim(), 200);
  const withValue = clauses.values.with ?? null;
  const forValue = clauses.values.for;
  return {
    from: fromFacts(clauses),
    by: byFacts(clauses, withValue),
    with: withValue,
    id: clauses.values.id ?? null,
    for: forValue === undefined ? null : forValue,
    dateText: dateText === '' ? null : dateText,
    date: dateText === null ? null : parseDateTime(dateText),
    ...encryption(clauses, withValue),
  };
}
