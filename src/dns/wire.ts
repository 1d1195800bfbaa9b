/**
 * The DNS message format (RFC 1035 §4.1), as much of it as mxprobe needs: one query out,
 * one answer in, read strictly. Every length is checked against the message (rdlength,
 * label lengths and types, compression pointers, the 255-octet name limit, A data of 4
 * bytes and AAAA data of 16): a message that breaks a rule is "malformed", with what was
 * wrong in words, and is never guessed at. (dns-packet, used before, read an A record's 4
 * bytes whatever its rdlength said, turning 3 bytes into "127.0.5.undefined", and threw on
 * an over-long name, which became a timeout.) Hot path: no exceptions, no Error objects.
 */
import { isIPv6 } from 'node:net';
import type { TlsaRecord } from '../model/dane.js';
import type { DnsQueryType } from '../model/dns.js';

/**
 * The record types mxprobe asks for: MX and addresses for the probe, TLSA for DANE (RFC 7672),
 * TXT for MTA-STS and TLS-RPT (RFC 8461, RFC 8460), and SOA or DNSKEY of a signed name (the
 * root by default) to check that the resolver validates (resolver-validation.ts).
 *
 * @example const asked = (resolver: ReplayResolver) => resolver.queries.map((q) => `${q.name} ${q.type satisfies QueryType}`); // ['example.com MX', 'mx.example.com A', …]
 */
export type QueryType = DnsQueryType;

/**
 * How a query is asked beyond its name and type. `checkingDisabled` sets the CD bit (RFC 4035
 * §3.2.2): a validating resolver then answers without validating, which tells a bogus answer
 * (SERVFAIL with CD=0, data with CD=1) from a failed look-up.
 *
 * @example encodeQuery(4242, '_25._tcp.mx.example.com', 'TLSA', { checkingDisabled: true })
 */
export interface QueryOptions {
  checkingDisabled?: boolean;
}

/**
 * Caps on what one answer may hold, beyond the DNS format's own limits: a TXT record of more
 * text than this, or more TLSA or TXT records than this, makes the answer malformed (with
 * those words) rather than be cut, which could change its meaning (RFC 8461 §3.1: exactly one
 * `v=STSv1` record). Real MTA-STS and TLS-RPT records are under 200 bytes; real TLSA RRsets
 * hold 1 to 4 records.
 *
 * @example ANSWER_CAPS.txtRecordBytes // 4096
 */
export const ANSWER_CAPS = {
  /** Text of one TXT record, its character-strings joined (RFC 7208 §3.3, RFC 8461 §3.1). */
  txtRecordBytes: 4096,
  /** TLSA or TXT records in one answer. */
  records: 64,
} as const;

/** The data of an MX record. @example const mx: MxData = { preference: 10, exchange: 'mx.example.com' }; */
export interface MxData {
  preference: number;
  /** Presentation form, lower case, no trailing dot; '' for the root (a null MX, RFC 7505). */
  exchange: string;
}

/**
 * A record of the answer section that mxprobe reads; other types are skipped. Names in
 * presentation form (RFC 1035 §5.1), lower case. A TXT record's data is its character-strings
 * joined into one text (RFC 7208 §3.3, RFC 8461 §3.1), read as UTF-8; a TLSA record's data as
 * in model/dane.ts, the association data in lower-case hex.
 *
 * @example { name: 'mx.example.com', type: 'A', data: '192.0.2.25' }
 */
export type WireRecord =
  | { name: string; type: 'A' | 'AAAA' | 'CNAME' | 'TXT'; data: string }
  | { name: string; type: 'MX'; data: MxData }
  | { name: string; type: 'TLSA'; data: TlsaRecord };

/** A DNS answer as read. @example answer.answers.filter((r) => r.type === 'A') */
export interface WireAnswer {
  /** NOERROR, NXDOMAIN, SERVFAIL, … (extended by the OPT record, RFC 6891 §6.1.3). */
  rcode: string;
  /** The AD flag (RFC 4035 §3.2.3): the resolver validated every record of the answer (or the denial). */
  authenticated: boolean;
  /** The TC flag: the answer did not fit (RFC 1035 §4.1.1); its records are not read. */
  truncated: boolean;
  answers: WireRecord[];
}

/** What readAnswer made of a message. @example if (read.kind === 'malformed') console.log(read.what) */
export type ReadResult =
  | { kind: 'answer'; answer: WireAnswer }
  /** It answers this query, but breaks the format: `what` says how. */
  | { kind: 'malformed'; what: string }
  /** Not the answer to this query (another ID, not a response, another question): ignore it (RFC 5452 §9.1). */
  | { kind: 'not-ours' };

const TYPE = { A: 1, CNAME: 5, SOA: 6, MX: 15, TXT: 16, AAAA: 28, OPT: 41, DNSKEY: 48, TLSA: 52 } as const;
const CLASS_IN = 1;
const FLAG_QR = 0x8000;
const FLAG_TC = 0x0200;
const FLAG_RD = 0x0100;
const FLAG_AD = 0x0020;
const FLAG_CD = 0x0010;
/** The DO bit of the OPT record's flags (RFC 3225 §3, RFC 6891 §6.1.4): send DNSSEC records, and AD. */
const EDNS_DO = 0x8000;
const HEADER = 12;
const MAX_NAME_OCTETS = 255;
const MAX_LABEL = 63;
/** What mxprobe offers to take over UDP (the DNS Flag Day 2020 size). */
const UDP_PAYLOAD = 1232;

const RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED', 'YXDOMAIN', 'YXRRSET', 'NXRRSET', 'NOTAUTH', 'NOTZONE'];
const rcodeName = (n: number) => RCODES[n] ?? (n === 16 ? 'BADVERS' : `RCODE${n}`);
const TYPE_NAMES: Record<number, string> = { 1: 'A', 2: 'NS', 5: 'CNAME', 6: 'SOA', 15: 'MX', 16: 'TXT', 28: 'AAAA', 41: 'OPT', 46: 'RRSIG', 48: 'DNSKEY', 52: 'TLSA' };
const typeName = (n: number) => TYPE_NAMES[n] ?? `TYPE${n}`;

/** Why a name cannot be carried by a query (labels of 1–63 printable characters, 255 octets in all), or its wire size. */
function nameSize(name: string, labels: readonly string[]): number | string {
  let size = 1;
  for (const label of labels) {
    if (label === '') return `"${name}" has an empty label`;
    if (label.length > MAX_LABEL) return `a label of "${name}" is ${label.length} characters long, more than ${MAX_LABEL} (RFC 1035 §2.3.4)`;
    if (!/^[\x21-\x7e]+$/.test(label) || label.includes('\\')) return `"${name}" has characters a query name cannot carry`;
    size += label.length + 1;
  }
  if (size > MAX_NAME_OCTETS) return `"${name.slice(0, 40)}…" is ${size} octets long, more than ${MAX_NAME_OCTETS} (RFC 1035 §2.3.4)`;
  return size;
}

/**
 * The query for `name` and `type` with ID `id`: recursion desired, the AD bit set to ask
 * whether the resolver validated the answer (RFC 6840 §5.7), CD clear unless `options` set it
 * (RFC 4035 §3.2.2), and an EDNS OPT record offering 1232-byte UDP answers (RFC 6891) with the
 * DO bit set (RFC 3225 §3: a validating resolver sets AD only for a client that sets DO or AD;
 * RFC 4035 §3.2.3). A string says why the name cannot be encoded. One buffer, written in
 * place: a query is built for every look-up of a batch.
 *
 * @example encodeQuery(4242, 'example.com', 'MX') // Buffer of 40 bytes
 */
export function encodeQuery(id: number, name: string, type: QueryType, options: QueryOptions = {}): Buffer | string {
  const text = name.endsWith('.') ? name.slice(0, -1) : name;
  const labels = text === '' ? [] : text.split('.');
  const size = nameSize(name, labels);
  if (typeof size === 'string') return size;
  const out = Buffer.alloc(HEADER + size + 4 + 11);
  out.writeUInt16BE(id, 0);
  out.writeUInt16BE(FLAG_RD | FLAG_AD | (options.checkingDisabled === true ? FLAG_CD : 0), 2);
  out.writeUInt16BE(1, 4); // one question
  out.writeUInt16BE(1, 10); // one additional record: OPT
  let at = HEADER;
  for (const label of labels) {
    out[at++] = label.length;
    at += out.write(label, at, 'latin1');
  }
  at += 1; // the root label
  out.writeUInt16BE(TYPE[type], at);
  out.writeUInt16BE(CLASS_IN, at + 2);
  at += 4;
  // OPT (RFC 6891 §6.1.2): root owner, type 41, class = UDP payload size, TTL = extended rcode,
  // version 0 and the flags (DO set, RFC 3225 §3), no options.
  out.writeUInt16BE(TYPE.OPT, at + 1);
  out.writeUInt16BE(UDP_PAYLOAD, at + 3);
  out.writeUInt16BE(EDNS_DO, at + 7);
  return out;
}

function labelText(buf: Buffer, start: number, length: number): string {
  let plain = true;
  for (let i = start; i < start + length; i++) {
    const c = buf[i] as number;
    if (c < 0x21 || c > 0x7e || c === 0x2e || c === 0x5c) {
      plain = false;
      break;
    }
  }
  if (plain) return buf.toString('latin1', start, start + length).toLowerCase();
  // RFC 1035 §5.1: "\." and "\\" for a dot or backslash inside a label, "\DDD" for other bytes.
  let out = '';
  for (let i = start; i < start + length; i++) {
    const c = buf[i] as number;
    if (c === 0x2e || c === 0x5c) out += `\\${String.fromCharCode(c)}`;
    else if (c < 0x21 || c > 0x7e) out += `\\${String(c).padStart(3, '0')}`;
    else out += String.fromCharCode(c).toLowerCase();
  }
  return out;
}

type NameRead = { text: string; end: number; error: null } | { text: ''; end: 0; error: string };
const nameError = (error: string): NameRead => ({ text: '', end: 0, error });

/** A (possibly compressed) name at `start`: its text and where it ends in the message (RFC 1035 §4.1.4). */
function readName(buf: Buffer, start: number): NameRead {
  let text = '';
  let at = start;
  let end = -1;
  let octets = 1;
  let floor = start; // a pointer must point before the part of the name that led to it
  for (;;) {
    if (at >= buf.length) return nameError('a name runs past the end of the message');
    const length = buf[at] as number;
    if (length === 0) {
      if (end < 0) end = at + 1;
      return { text, end, error: null };
    }
    const kind = length & 0xc0;
    if (kind === 0xc0) {
      if (at + 1 >= buf.length) return nameError('a compression pointer runs past the end of the message');
      const target = ((length & 0x3f) << 8) | (buf[at + 1] as number);
      if (end < 0) end = at + 2;
      if (target >= floor || target < HEADER) return nameError('a compression pointer does not point back into the message (RFC 1035 §4.1.4)');
      floor = target;
      at = target;
      continue;
    }
    if (kind !== 0) return nameError(`a label has the reserved type bits 0x${kind.toString(16)} (RFC 6891 §5)`);
    if (at + 1 + length > buf.length) return nameError('a label runs past the end of the message');
    octets += length + 1;
    if (octets > MAX_NAME_OCTETS) return nameError(`a name is longer than ${MAX_NAME_OCTETS} octets (RFC 1035 §2.3.4)`);
    const label = labelText(buf, at + 1, length);
    text = text === '' ? label : `${text}.${label}`;
    at += 1 + length;
  }
}

function formatIpv6(buf: Buffer, at: number): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push(buf.readUInt16BE(at + i * 2));
  // RFC 5952 §4.2: "::" for the longest run of two or more zero groups, the first one on a tie.
  let best = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      best = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (g: number[]) => g.map((n) => n.toString(16)).join(':');
  if (best < 0) return hex(groups);
  return `${hex(groups.slice(0, best))}::${hex(groups.slice(best + bestLength))}`;
}

/**
 * An IPv6 address as an AAAA record read off the wire shows it (RFC 5952 text of its 16
 * bytes: lower case, the longest zero run as "::", an embedded IPv4 tail in hex), or null
 * when `text` is no IPv6 address. For answers made in process (replay-resolver.ts).
 *
 * @example ipv6AsRead('2001:DB8:0:0::1') // '2001:db8::1'
 */
export function ipv6AsRead(text: string): string | null {
  if (!isIPv6(text)) return null;
  const bytes = Buffer.alloc(16);
  const [head = '', tail] = text.split('::');
  const groupsOf = (part: string): number[] => {
    if (part === '') return [];
    const out: number[] = [];
    for (const piece of part.split(':')) {
      if (piece.includes('.')) {
        const [a = 0, b = 0, c = 0, d = 0] = piece.split('.').map(Number);
        out.push((a << 8) | b, (c << 8) | d);
      } else out.push(parseInt(piece, 16));
    }
    return out;
  };
  const front = groupsOf(head);
  const back = tail === undefined ? [] : groupsOf(tail);
  const groups = [...front, ...Array<number>(8 - front.length - back.length).fill(0), ...back];
  groups.forEach((g, i) => bytes.writeUInt16BE(g, i * 2));
  return formatIpv6(bytes, 0);
}

/** One record of the answer section: the record, null to skip it, or what is wrong with it. */
function readRecord(buf: Buffer, owner: string, type: number, start: number, end: number): WireRecord | null | string {
  const size = end - start;
  const shown = owner === '' ? '.' : owner;
  switch (type) {
    case TYPE.A:
      if (size !== 4) return `the A record of ${shown} has ${size} bytes of data, not 4 (RFC 1035 §3.4.1)`;
      return { name: owner, type: 'A', data: `${buf[start]}.${buf[start + 1]}.${buf[start + 2]}.${buf[start + 3]}` };
    case TYPE.AAAA:
      if (size !== 16) return `the AAAA record of ${shown} has ${size} bytes of data, not 16 (RFC 3596 §2.2)`;
      return { name: owner, type: 'AAAA', data: formatIpv6(buf, start) };
    case TYPE.CNAME:
    case TYPE.MX: {
      const mx = type === TYPE.MX;
      const what = `the ${mx ? 'MX' : 'CNAME'} record of ${shown}`;
      if (mx && size < 3) return `${what} has ${size} bytes of data, too few for a preference and a name (RFC 1035 §3.3.9)`;
      const target = readName(buf, mx ? start + 2 : start);
      if (target.error !== null) return `${what}: ${target.error}`;
      if (target.end > end) return `${what} has a name that runs past its ${size} bytes of data`;
      if (target.end < end) return `${what} has ${end - target.end} bytes after its name`;
      return mx ? { name: owner, type: 'MX', data: { preference: buf.readUInt16BE(start), exchange: target.text } } : { name: owner, type: 'CNAME', data: target.text };
    }
    case TYPE.TLSA:
      // RFC 6698 §2.1: usage, selector and matching type (one byte each), then the association data.
      if (size < 4) return `the TLSA record of ${shown} has ${size} bytes of data, too few for its three fields and association data (RFC 6698 §2.1)`;
      return { name: owner, type: 'TLSA', data: { usage: buf[start] as number, selector: buf[start + 1] as number, matchingType: buf[start + 2] as number, data: buf.toString('hex', start + 3, end) } };
    case TYPE.TXT:
      return readTxt(buf, owner, shown, start, end);
    default:
      return null;
  }
}

const txtTooLong = (shown: string) => `the TXT record of ${shown} holds more than ${ANSWER_CAPS.txtRecordBytes} bytes of text, more than mxprobe reads`;

/**
 * What breaks ANSWER_CAPS in the records of an answer, in words, or null: more TLSA or TXT
 * records than it allows, or a TXT record of more text. readAnswer applies it to what it read;
 * ReplayResolver to the answers it makes, so that both refuse the same answers.
 *
 * @example answerCapsProblem([{ name: 'x.test', type: 'TXT', data: 'v=STSv1; id=1' }]) // null
 */
export function answerCapsProblem(answers: readonly WireRecord[]): string | null {
  let counted = 0;
  for (const record of answers) {
    if (record.type !== 'TLSA' && record.type !== 'TXT') continue;
    if (++counted > ANSWER_CAPS.records) return `the answer holds more than ${ANSWER_CAPS.records} ${record.type} records, more than mxprobe reads`;
    if (record.type === 'TXT' && Buffer.byteLength(record.data, 'utf8') > ANSWER_CAPS.txtRecordBytes) return txtTooLong(record.name || '.');
  }
  return null;
}

/**
 * TXT data: one or more character-strings, each a length byte and that many bytes (RFC 1035
 * §3.3.14), joined into one text (RFC 7208 §3.3, RFC 8461 §3.1), at most ANSWER_CAPS.txtRecordBytes.
 */
function readTxt(buf: Buffer, owner: string, shown: string, start: number, end: number): WireRecord | string {
  if (end === start) return `the TXT record of ${shown} has no data, not even one character-string (RFC 1035 §3.3.14)`;
  const parts: Buffer[] = [];
  let total = 0;
  for (let at = start; at < end; ) {
    const length = buf[at] as number;
    if (at + 1 + length > end) return `the TXT record of ${shown} has a character-string of ${length} bytes that runs past its ${end - start} bytes of data`;
    total += length;
    if (total > ANSWER_CAPS.txtRecordBytes) return txtTooLong(shown);
    parts.push(buf.subarray(at + 1, at + 1 + length));
    at += 1 + length;
  }
  return { name: owner, type: 'TXT', data: Buffer.concat(parts, total).toString('utf8') };
}

const NOT_OURS: ReadResult = { kind: 'not-ours' };
const malformed = (what: string): ReadResult => ({ kind: 'malformed', what });
const SECTIONS = ['answer', 'authority', 'additional'] as const;
/** Which record, in words: built only for a message that is malformed. */
const recordAt = (section: number, i: number, count: number) => `${SECTIONS[section]} record ${i + 1} of ${count}`;

/**
 * Reads the answer to the query (`id`, `name`, `type`) from a DNS message.
 *
 * The AD flag is read from the header (RFC 4035 §3.2.3); the OPT record, wherever it is, is
 * never an answer record.
 *
 * @example readAnswer(message, 4242, 'example.com', 'MX') // { kind: 'answer', answer: { rcode: 'NOERROR', … } }
 */
export function readAnswer(buf: Buffer, id: number, name: string, type: QueryType): ReadResult {
  if (buf.length < HEADER || buf.readUInt16BE(0) !== id) return NOT_OURS;
  const flags = buf.readUInt16BE(2);
  if ((flags & FLAG_QR) === 0) return NOT_OURS;
  let rcode = flags & 0x0f;
  const authenticated = (flags & FLAG_AD) !== 0;
  const counts = [buf.readUInt16BE(6), buf.readUInt16BE(8), buf.readUInt16BE(10)] as const;
  const questions = buf.readUInt16BE(4);
  // A server that could not read the query may answer FORMERR, NOTIMP, … without repeating it.
  if (questions === 0 && rcode !== 0) return { kind: 'answer', answer: { rcode: rcodeName(rcode), authenticated: false, truncated: false, answers: [] } };
  if (questions !== 1) return malformed(`the answer carries ${questions} questions, not 1`);
  const question = readName(buf, HEADER);
  if (question.error !== null) return malformed(`its question: ${question.error}`);
  let at = question.end;
  if (at + 4 > buf.length) return malformed('the message ends inside its question');
  const wanted = (name.endsWith('.') ? name.slice(0, -1) : name).toLowerCase();
  if (question.text !== wanted || buf.readUInt16BE(at) !== TYPE[type] || buf.readUInt16BE(at + 2) !== CLASS_IN) return NOT_OURS;
  at += 4;
  if ((flags & FLAG_TC) !== 0) return { kind: 'answer', answer: { rcode: rcodeName(rcode), authenticated, truncated: true, answers: [] } };

  const answers: WireRecord[] = [];
  let opts = 0;
  for (let section = 0; section < 3; section++) {
    const count = counts[section] as number;
    for (let i = 0; i < count; i++) {
      const owner = readName(buf, at);
      if (owner.error !== null) return malformed(`the ${recordAt(section, i, count)}: ${owner.error}`);
      at = owner.end;
      if (at + 10 > buf.length) return malformed(`the message ends inside the ${recordAt(section, i, count)}`);
      const rtype = buf.readUInt16BE(at);
      const rclass = buf.readUInt16BE(at + 2);
      const ttl = buf.readUInt32BE(at + 4);
      const size = buf.readUInt16BE(at + 8);
      at += 10;
      const end = at + size;
      if (end > buf.length) return malformed(`the ${typeName(rtype)} record of ${owner.text || '.'} claims ${size} bytes of data, but the message ends ${buf.length - at} bytes later`);
      if (section === 0 && rclass === CLASS_IN && rtype !== TYPE.OPT) {
        // An OPT record outside the additional section is no answer record (RFC 6891 §6.1.1): skipped.
        const record = readRecord(buf, owner.text, rtype, at, end);
        if (typeof record === 'string') return malformed(record);
        if (record !== null) answers.push(record);
      } else if (section === 2 && rtype === TYPE.OPT) {
        // RFC 6891 §6.1.1: at most one OPT record, owned by the root.
        if (++opts > 1) return malformed('the answer carries more than one OPT record (RFC 6891 §6.1.1)');
        if (owner.text !== '') return malformed(`the OPT record is owned by ${owner.text}, not the root (RFC 6891 §6.1.2)`);
        rcode |= ((ttl >>> 24) & 0xff) << 4; // RFC 6891 §6.1.3: the upper 8 bits of a 12-bit rcode
      }
      at = end;
    }
  }
  const overCap = answerCapsProblem(answers);
  if (overCap !== null) return malformed(overCap);
  return { kind: 'answer', answer: { rcode: rcodeName(rcode), authenticated, truncated: false, answers } };
}
