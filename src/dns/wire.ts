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

/**
 * The record types mxprobe asks for.
 *
 * @example const asked = (resolver: ReplayResolver) => resolver.queries.map((q) => `${q.name} ${q.type satisfies QueryType}`); // ['example.com MX', 'mx.example.com A', …]
 */
export type QueryType = 'A' | 'AAAA' | 'MX';

/** The data of an MX record. @example const mx: MxData = { preference: 10, exchange: 'mx.example.com' }; */
export interface MxData {
  preference: number;
  /** Presentation form, lower case, no trailing dot; '' for the root (a null MX, RFC 7505). */
  exchange: string;
}

/** A record of the answer section that mxprobe reads; other types are skipped. Names in presentation form (RFC 1035 §5.1), lower case. @example { name: 'mx.example.com', type: 'A', data: '192.0.2.25' } */
export type WireRecord = { name: string; type: 'A' | 'AAAA' | 'CNAME'; data: string } | { name: string; type: 'MX'; data: MxData };

/** A DNS answer as read. @example answer.answers.filter((r) => r.type === 'A') */
export interface WireAnswer {
  /** NOERROR, NXDOMAIN, SERVFAIL, … (extended by the OPT record, RFC 6891 §6.1.3). */
  rcode: string;
  /** The AD flag (RFC 4035 §3.2.3). */
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

const TYPE = { A: 1, CNAME: 5, MX: 15, AAAA: 28, OPT: 41 } as const;
const CLASS_IN = 1;
const FLAG_QR = 0x8000;
const FLAG_TC = 0x0200;
const FLAG_RD = 0x0100;
const FLAG_AD = 0x0020;
const HEADER = 12;
const MAX_NAME_OCTETS = 255;
const MAX_LABEL = 63;
/** What mxprobe offers to take over UDP (the DNS Flag Day 2020 size). */
const UDP_PAYLOAD = 1232;

const RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED', 'YXDOMAIN', 'YXRRSET', 'NXRRSET', 'NOTAUTH', 'NOTZONE'];
const rcodeName = (n: number) => RCODES[n] ?? (n === 16 ? 'BADVERS' : `RCODE${n}`);
const TYPE_NAMES: Record<number, string> = { 1: 'A', 2: 'NS', 5: 'CNAME', 6: 'SOA', 15: 'MX', 28: 'AAAA', 41: 'OPT', 46: 'RRSIG' };
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
 * whether the resolver validated the answer (RFC 6840 §5.7), and an EDNS OPT record
 * offering 1232-byte UDP answers (RFC 6891). A string says why the name cannot be encoded.
 * One buffer, written in place: a query is built for every look-up of a batch.
 *
 * @example encodeQuery(4242, 'example.com', 'MX') // Buffer of 40 bytes
 */
export function encodeQuery(id: number, name: string, type: QueryType): Buffer | string {
  const text = name.endsWith('.') ? name.slice(0, -1) : name;
  const labels = text === '' ? [] : text.split('.');
  const size = nameSize(name, labels);
  if (typeof size === 'string') return size;
  const out = Buffer.alloc(HEADER + size + 4 + 11);
  out.writeUInt16BE(id, 0);
  out.writeUInt16BE(FLAG_RD | FLAG_AD, 2);
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
  // OPT (RFC 6891 §6.1.2): root owner, type 41, class = UDP payload size, TTL = extended rcode, version, flags (DO clear), no options.
  out.writeUInt16BE(TYPE.OPT, at + 1);
  out.writeUInt16BE(UDP_PAYLOAD, at + 3);
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
    default:
      return null;
  }
}

const NOT_OURS: ReadResult = { kind: 'not-ours' };
const malformed = (what: string): ReadResult => ({ kind: 'malformed', what });
const SECTIONS = ['answer', 'authority', 'additional'] as const;
/** Which record, in words: built only for a message that is malformed. */
const recordAt = (section: number, i: number, count: number) => `${SECTIONS[section]} record ${i + 1} of ${count}`;

/**
 * Reads the answer to the query (`id`, `name`, `type`) from a DNS message.
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
      if (section === 0 && rclass === CLASS_IN) {
        const record = readRecord(buf, owner.text, rtype, at, end);
        if (typeof record === 'string') return malformed(record);
        if (record !== null) answers.push(record);
      } else if (section === 2 && rtype === TYPE.OPT) {
        rcode |= ((ttl >>> 24) & 0xff) << 4; // RFC 6891 §6.1.3: the upper 8 bits of a 12-bit rcode
      }
      at = end;
    }
  }
  return { kind: 'answer', answer: { rcode: rcodeName(rcode), authenticated, truncated: false, answers } };
}
