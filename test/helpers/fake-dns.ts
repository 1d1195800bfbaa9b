// Fake recursive DNS server on loopback for integration tests.
// One UDP socket and one TCP server on the same port; answers from an in-memory zone.
// Test helper only: never use outside tests, never bind anything but loopback.
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';
import type { Answer, DecodedPacket, OptAnswer, Packet, Question } from 'dns-packet';
import type { ReplayRecordSet } from '../../src/dns/replay-resolver.ts';

/**
 * The records of one name: those ReplayResolver (src/dns/replay-resolver.ts) answers from in
 * process, with the same meaning (MX, A, AAAA, TLSA, TXT, CNAME, authenticated, bogus, rcode,
 * drop: never answer), so that one zone serves both; plus what only the wire has.
 * The fake acts as a validating resolver: AD where `authenticated` says so (a secure NXDOMAIN
 * too), SERVFAIL for a `bogus` name unless the query sets CD, and the root ('.') answered
 * NODATA with or without AD for the resolver check (its SOA or DNSKEY), as the zone says:
 * `'.': { authenticated: true }` makes a validating resolver; without a '.' entry, NXDOMAIN
 * without AD, as from a resolver that does not validate.
 * TXT: one record per element; a text over 255 bytes is split into 255-byte character-strings.
 */
export interface FakeRecordSet extends ReplayRecordSet {
  truncate?: boolean; // UDP: TC=1 with no answers; TCP: the real answer
  ttl?: number;
  delayMs?: number; // answer queries for this name this much later (UDP and TCP)
  raw?: (query: RawQuery) => Buffer | null; // answer with exactly these bytes (see craftResponse); null: stay silent
}

/** A query as the fake server received it, for `raw` responders. */
export interface RawQuery {
  id: number;
  name: string; // lower-case, no trailing dot
  type: string;
  flags: number;
  transport: 'udp' | 'tcp';
  question: Buffer; // the question section exactly as sent (name, type, class)
}

/** One record of a crafted answer: the owner (raw wire bytes, or text; default a pointer to the question's name) and raw rdata. */
export interface CraftedRecord {
  name?: Buffer | string;
  type: 'A' | 'AAAA' | 'MX' | 'CNAME' | number;
  rdata: Buffer;
  ttl?: number;
}

const TYPE_CODES = { A: 1, CNAME: 5, MX: 15, AAAA: 28 } as const;

/**
 * A name in wire form with no checks at all: labels of any length (a length over 63 sets
 * the reserved label-type bits), any total length. For crafting malformed answers.
 */
export function wireName(name: string): Buffer {
  const labels = name.replace(/\.$/, '').split('.').filter((l) => l !== '');
  const parts: Buffer[] = [];
  for (const label of labels) {
    const bytes = Buffer.from(label, 'latin1');
    parts.push(Buffer.from([bytes.length & 0xff]), bytes);
  }
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

/** MX rdata: preference, then the exchange (text through wireName, or raw bytes). */
export function mxRdata(preference: number, exchange: string | Buffer): Buffer {
  const pref = Buffer.alloc(2);
  pref.writeUInt16BE(preference);
  return Buffer.concat([pref, typeof exchange === 'string' ? wireName(exchange) : exchange]);
}

/** A response to `query` with exactly these records in the answer section (rcode NOERROR unless given). */
export function craftResponse(query: RawQuery, records: CraftedRecord[], options: { rcode?: number; flags?: number } = {}): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(query.id, 0);
  header.writeUInt16BE(QR | (query.flags & dnsPacket.RECURSION_DESIRED) | dnsPacket.RECURSION_AVAILABLE | (options.flags ?? 0) | ((options.rcode ?? 0) & 0xf), 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(records.length, 6);
  const parts: Buffer[] = [header, query.question];
  for (const r of records) {
    const owner = r.name === undefined ? Buffer.from([0xc0, 12]) : typeof r.name === 'string' ? wireName(r.name) : r.name;
    const fixed = Buffer.alloc(10);
    fixed.writeUInt16BE(typeof r.type === 'number' ? r.type : TYPE_CODES[r.type], 0);
    fixed.writeUInt16BE(1, 2); // IN
    fixed.writeUInt32BE(r.ttl ?? DEFAULT_TTL, 4);
    fixed.writeUInt16BE(r.rdata.length, 8);
    parts.push(owner, fixed, r.rdata);
  }
  return Buffer.concat(parts);
}
export type FakeZone = Record<string, FakeRecordSet>; // keys: names without trailing dot, lower-case

export interface FakeQuery {
  name: string; // lower-case, no trailing dot
  type: string; // e.g. 'MX', 'A', 'TLSA'
  transport: 'udp' | 'tcp';
  flags: number; // header flags of the query (16 bits without QR: opcode, RD, AD, CD, ...)
  ednsDo: boolean; // query had an OPT record with the DO bit set
}

export interface FakeDnsServer {
  host: string;
  port: number;
  address: string; // 'host:port' (IPv6 as '[::1]:port') for --resolver
  queries: FakeQuery[];
  /** Queries received and not answered yet (a dropped query is not counted). */
  inFlight: number;
  /** Most queries in flight at once so far (raise delayMs to make overlaps visible). */
  peakInFlight: number;
  setZone(zone: FakeZone): void;
  close(): Promise<void>;
}

const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
const QR = 0x8000;
const OPCODE_MASK = 0x7800;
const DEFAULT_TTL = 300;
const MAX_CNAME_CHAIN = 8;
const MAX_TCP_BUFFER = 65537; // one maximal framed message (2 + 65535)
const TCP_IDLE_MS = 30_000;
const RESPONSE_UDP_SIZE = 1232;

function normName(name: string): string {
  return name.replace(/\.+$/, '').toLowerCase();
}

function normZone(zone: FakeZone): Map<string, FakeRecordSet> {
  const m = new Map<string, FakeRecordSet>();
  for (const [k, v] of Object.entries(zone)) m.set(normName(k), v);
  return m;
}

function txtChunks(s: string): Buffer[] {
  const b = Buffer.from(s, 'utf8');
  if (b.length === 0) return [b];
  const out: Buffer[] = [];
  for (let i = 0; i < b.length; i += 255) out.push(b.subarray(i, i + 255));
  return out;
}

/** Records of `type` owned by `owner` from `rs` (no CNAME handling). */
function recordsFor(owner: string, type: string, rs: FakeRecordSet): Answer[] {
  const ttl = rs.ttl ?? DEFAULT_TTL;
  switch (type) {
    case 'A':
      return (rs.A ?? []).map((ip) => ({ type: 'A', name: owner, ttl, data: ip }));
    case 'AAAA':
      return (rs.AAAA ?? []).map((ip) => ({ type: 'AAAA', name: owner, ttl, data: ip }));
    case 'MX':
      return (rs.MX ?? []).map((mx) => ({
        type: 'MX',
        name: owner,
        ttl,
        // dns-packet miscounts '' (encodingLength 2, writes 1); '.' encodes as the root label.
        data: { preference: mx.preference, exchange: mx.exchange === '' ? '.' : mx.exchange },
      }));
    case 'TXT':
      return (rs.TXT ?? []).map((t) => ({ type: 'TXT', name: owner, ttl, data: txtChunks(t) }));
    case 'TLSA':
      return (rs.TLSA ?? []).map((t) => ({
        type: 'TLSA',
        name: owner,
        ttl,
        data: { usage: t.usage, selector: t.selector, matchingType: t.matchingType, certificate: Buffer.from(t.data, 'hex') },
      }));
    case 'CNAME':
      return rs.CNAME !== undefined ? [{ type: 'CNAME', name: owner, ttl, data: rs.CNAME }] : [];
    default:
      return []; // any other type: NODATA
  }
}

interface Resolution {
  drop: boolean;
  truncate: boolean;
  rcode: number;
  ad: boolean;
  answers: Answer[];
}

function resolve(zone: Map<string, FakeRecordSet>, qname: string, qtype: string, checkingDisabled: boolean): Resolution {
  const answers: Answer[] = [];
  let owner = qname.replace(/\.+$/, ''); // first owner keeps the case asked (0x20-safe echo)
  let ad = true;
  let truncate = false;
  const seen = new Set<string>();
  for (let depth = 0; ; depth++) {
    const key = normName(owner);
    const rs = zone.get(key);
    if (rs === undefined) {
      // Unknown name (or dangling CNAME target): NXDOMAIN, keep the chain like a resolver does.
      return { drop: false, truncate, rcode: RCODE.NXDOMAIN, ad: false, answers };
    }
    if (rs.drop) return { drop: true, truncate: false, rcode: 0, ad: false, answers: [] };
    if (rs.truncate) truncate = true;
    if (rs.bogus === true) {
      // A validating resolver: SERVFAIL when validation fails, the data without AD when CD is set (RFC 4035 §3.2.2).
      if (!checkingDisabled) return { drop: false, truncate, rcode: RCODE.SERVFAIL, ad: false, answers: [] };
      ad = false;
    }
    if (rs.authenticated !== true) ad = false;
    if (rs.rcode !== undefined) {
      const rcode = RCODE[rs.rcode];
      const nxdomain = rcode === RCODE.NXDOMAIN;
      return { drop: false, truncate, rcode, ad: nxdomain && ad, answers: nxdomain ? answers : [] };
    }
    if (rs.CNAME !== undefined && qtype !== 'CNAME') {
      if (depth >= MAX_CNAME_CHAIN || seen.has(key)) {
        return { drop: false, truncate, rcode: RCODE.SERVFAIL, ad: false, answers: [] };
      }
      seen.add(key);
      answers.push(...recordsFor(owner, 'CNAME', rs));
      owner = rs.CNAME.replace(/\.+$/, '');
      continue;
    }
    answers.push(...recordsFor(owner, qtype, rs));
    return { drop: false, truncate, rcode: RCODE.NOERROR, ad, answers };
  }
}

function getOpt(p: DecodedPacket): OptAnswer | undefined {
  for (const a of p.additionals ?? []) if (a && a.type === 'OPT') return a as OptAnswer;
  return undefined;
}

/** The question section of a raw query: from the header to the end of QTYPE/QCLASS. */
function questionBytes(raw: Buffer): Buffer {
  let at = 12;
  while (at < raw.length && raw[at] !== 0) at += (raw[at] as number) + 1;
  return raw.subarray(12, Math.min(raw.length, at + 5));
}

/** The answer to one raw query and how long to hold it; `answer` null to stay silent. Throws on malformed input. */
function handle(
  raw: Buffer,
  transport: 'udp' | 'tcp',
  zone: Map<string, FakeRecordSet>,
  queries: FakeQuery[],
): { answer: Buffer | null; delayMs: number } {
  const q = dnsPacket.decode(raw);
  const name = q.questions?.[0]?.name;
  const own = name === undefined ? undefined : zone.get(normName(name));
  return { answer: answerFor(q, raw, transport, zone, queries, own), delayMs: own?.delayMs ?? 0 };
}

function answerFor(
  q: DecodedPacket,
  raw: Buffer,
  transport: 'udp' | 'tcp',
  zone: Map<string, FakeRecordSet>,
  queries: FakeQuery[],
  own: FakeRecordSet | undefined,
): Buffer | null {
  const rawFlags = raw.readUInt16BE(2);
  if ((rawFlags & QR) !== 0) return null; // a response, not a query
  const opt = getOpt(q);
  const ednsDo = opt !== undefined && (opt.flags & dnsPacket.DNSSEC_OK) !== 0;
  const questions: Question[] = (q.questions ?? []).filter((x): x is Question => x !== undefined);
  const first = questions[0];

  const reply = (rcode: number, extraFlags: number, answers: Answer[]): Buffer => {
    const flags =
      (rawFlags & dnsPacket.RECURSION_DESIRED) |
      (rawFlags & dnsPacket.CHECKING_DISABLED) |
      dnsPacket.RECURSION_AVAILABLE |
      extraFlags |
      (rcode & 0xf);
    const additionals: Answer[] = [];
    if (opt !== undefined) {
      additionals.push({
        type: 'OPT',
        name: '.',
        udpPayloadSize: RESPONSE_UDP_SIZE,
        extendedRcode: 0,
        ednsVersion: 0,
        flags: ednsDo ? dnsPacket.DNSSEC_OK : 0,
        flag_do: ednsDo,
        options: [],
      });
    }
    const packet: Packet = { type: 'response', id: q.id ?? 0, flags, questions, answers, additionals };
    return dnsPacket.encode(packet);
  };

  if (first !== undefined) {
    queries.push({ name: normName(first.name), type: String(first.type), transport, flags: rawFlags, ednsDo });
  }
  if ((rawFlags & OPCODE_MASK) !== 0) return reply(RCODE.NOTIMP, 0, []);
  if (first === undefined || questions.length !== 1) return reply(RCODE.FORMERR, 0, []);
  if (own?.raw !== undefined) {
    return own.raw({ id: q.id ?? 0, name: normName(first.name), type: String(first.type), flags: rawFlags, transport, question: questionBytes(raw) });
  }

  const r = resolve(zone, first.name, String(first.type).toUpperCase(), (rawFlags & dnsPacket.CHECKING_DISABLED) !== 0);
  if (r.drop) return null;
  const ad = r.ad ? dnsPacket.AUTHENTIC_DATA : 0;
  if (transport === 'udp' && r.truncate) return reply(r.rcode, dnsPacket.TRUNCATED_RESPONSE, []);
  const buf = reply(r.rcode, ad, r.answers);
  if (transport === 'udp') {
    const limit = opt !== undefined ? Math.max(512, Math.min(opt.udpPayloadSize, 4096)) : 512;
    if (buf.length > limit) return reply(r.rcode, dnsPacket.TRUNCATED_RESPONSE | ad, []);
  }
  return buf;
}

/** `delayMs`: answer every UDP query this much later (to look like a resolver on the internet). */
export async function startFakeDns(zone: FakeZone, options?: { host?: string; delayMs?: number }): Promise<FakeDnsServer> {
  const host = options?.host ?? '127.0.0.1';
  if (!/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) && host !== '::1') {
    throw new Error(`fake-dns: refusing to bind to non-loopback host ${host}`);
  }
  const ipv6 = net.isIPv6(host);
  let current = normZone(zone);
  const queries: FakeQuery[] = [];
  const conns = new Set<net.Socket>();
  const stats = { inFlight: 0, peakInFlight: 0 };
  /** Sends an answer after `delayMs`, counting it as in flight until then. */
  const later = (delayMs: number, send: () => void): void => {
    stats.inFlight += 1;
    stats.peakInFlight = Math.max(stats.peakInFlight, stats.inFlight);
    const go = () => {
      stats.inFlight -= 1;
      send();
    };
    if (delayMs > 0) setTimeout(go, delayMs).unref();
    else go();
  };

  const onTcpConnection = (sock: net.Socket): void => {
    conns.add(sock);
    sock.unref();
    sock.setNoDelay(true);
    sock.setTimeout(TCP_IDLE_MS, () => sock.destroy());
    sock.on('error', () => sock.destroy());
    sock.on('close', () => conns.delete(sock));
    let buf: Buffer = Buffer.alloc(0);
    sock.on('data', (chunk: Buffer) => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      if (buf.length > MAX_TCP_BUFFER) {
        sock.destroy();
        return;
      }
      while (buf.length >= 2) {
        const len = buf.readUInt16BE(0);
        if (buf.length < 2 + len) break;
        const msg = buf.subarray(2, 2 + len);
        buf = buf.subarray(2 + len);
        let out: { answer: Buffer | null; delayMs: number };
        try {
          if (len < 12) throw new Error('short');
          out = handle(msg, 'tcp', current, queries);
        } catch {
          sock.destroy();
          return;
        }
        const answer = out.answer;
        if (answer === null) continue;
        const frame = Buffer.alloc(2 + answer.length);
        frame.writeUInt16BE(answer.length, 0);
        answer.copy(frame, 2);
        later(out.delayMs, () => {
          if (!sock.destroyed) sock.write(frame);
        });
      }
    });
  };

  let lastErr: unknown;
  for (let attempt = 0; attempt < 8; attempt++) {
    const udp = dgram.createSocket({ type: ipv6 ? 'udp6' : 'udp4' });
    await new Promise<void>((res, rej) => {
      udp.once('error', rej);
      udp.bind(0, host, () => {
        udp.off('error', rej);
        res();
      });
    });
    const port = udp.address().port;
    const tcp = net.createServer(onTcpConnection);
    try {
      await new Promise<void>((res, rej) => {
        tcp.once('error', rej);
        tcp.listen({ port, host, exclusive: true }, () => {
          tcp.off('error', rej);
          res();
        });
      });
    } catch (err) {
      lastErr = err;
      await new Promise<void>((res) => udp.close(() => res()));
      if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') continue;
      throw err;
    }

    udp.on('error', () => {}); // never crash the test process
    tcp.on('error', () => {});
    udp.on('message', (msg, rinfo) => {
      let out: { answer: Buffer | null; delayMs: number };
      try {
        if (msg.length < 12) return;
        out = handle(msg, 'udp', current, queries);
      } catch {
        return; // malformed: ignore
      }
      const answer = out.answer;
      if (answer === null) return;
      later(Math.max(out.delayMs, options?.delayMs ?? 0), () => {
        try {
          udp.send(answer, rinfo.port, rinfo.address);
        } catch {
          /* socket closed meanwhile */
        }
      });
    });
    // Do not keep the event loop alive on our own: a test that forgets close() must not hang.
    udp.unref();
    tcp.unref();

    let closing: Promise<void> | undefined;
    const close = (): Promise<void> => {
      closing ??= (async () => {
        for (const s of conns) s.destroy();
        conns.clear();
        await Promise.all([
          new Promise<void>((res) => {
            try {
              udp.close(() => res());
            } catch {
              res();
            }
          }),
          new Promise<void>((res) => tcp.close(() => res())),
        ]);
      })();
      return closing;
    };

    return {
      host,
      port,
      address: ipv6 ? `[${host}]:${port}` : `${host}:${port}`,
      queries,
      get inFlight() {
        return stats.inFlight;
      },
      get peakInFlight() {
        return stats.peakInFlight;
      },
      setZone(z: FakeZone): void {
        current = normZone(z);
      },
      close,
    };
  }
  throw new Error(`fake-dns: could not bind UDP+TCP on one port: ${String(lastErr)}`);
}

/**
 * Runs `fn` with a fake DNS server for `zone`, closed afterwards whatever happens.
 *
 * @example await withFakeDns({ 'mx.test': { A: ['127.0.0.2'] } }, async (dns) => runCli(['--resolver', dns.address, 'x.test']))
 */
export async function withFakeDns<T>(zone: FakeZone, fn: (dns: FakeDnsServer) => Promise<T>, options: { delayMs?: number } = {}): Promise<T> {
  const dns = await startFakeDns(zone, options);
  try {
    return await fn(dns);
  } finally {
    await dns.close();
  }
}
