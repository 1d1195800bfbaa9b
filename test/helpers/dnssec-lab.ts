// Test harness: a real DNSSEC lab on loopback: nsd serving a signed lab root and `test.` zone
// (plus an insecure and two bogus sub-zones), unbound validating against the lab's trust anchor,
// and a second unbound that does not validate.
//
// Everything lives in one temp dir (fs.mkdtemp), removed by stop():
//   DIR/keys       ECDSA P-256 keys (ldns-keygen), readable only by the test user
//   DIR/nsd        nsd.conf, the zone files (signed with ldns-signzone), nsd's state and log
//   DIR/validating unbound.conf, root.ds (the lab's trust anchor), control socket, log
//   DIR/plain      the same for the non-validating unbound (module-config "iterator")
//
// The zones (RFC 6761: `test.` can never exist on the internet):
//   .               the LAB root, signed; its DS is the only trust anchor of the validating
//                   unbound, so the root SOA/DNSKEY come back with AD=1 (a validating resolver)
//   test.           signed, DS in the lab root: the records a test gives live here (secure)
//   insecure.test.  unsigned, delegated without DS (RFC 4035 §5.2: provably insecure, AD=0)
//   bogus.test.     signed, DS in test., every RRSIG expired (RFC 4035 §5.3.1: bogus, SERVFAIL)
//   wrongkey.test.  signed with a key that the DS in test. does not match (RFC 4035 §5.2: bogus)
// A record goes to the deepest lab zone its name is in; `ns.test` (the lab's name server,
// 127.0.0.1) is reserved. CNAMEs across zones give mixed chains (e.g. a secure MX host whose
// `_25._tcp` name is a CNAME into insecure.test).
//
// Nothing leaves loopback: both unbounds know every lab zone as a stub zone pointing at nsd
// (a stub for "." included, so neither root hints nor any other address is ever used), send
// from 127.0.0.1 only (outgoing-interface), and log every outgoing query at verbosity 3, which
// outgoingQueries() reads so that a test can check it. unbound resolves the names of other TLDs
// to a secure NXDOMAIN from the lab root.
//
// When the tests run as root, nsd and unbound drop to the `nsd` / `unbound` users (as the
// Debian packages do); otherwise they run as the test user (ports are high, nothing needs root).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { closeSync, existsSync, openSync, promises as fsp, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import dnsPacket from 'dns-packet';
import type { Answer, DecodedPacket, RecordType } from 'dns-packet';

/** Record types a test may put into the lab zones. */
export type LabRecordType = 'A' | 'AAAA' | 'MX' | 'TLSA' | 'TXT' | 'CNAME' | 'SRV' | 'CAA' | 'PTR';

/**
 * One record of a lab zone, in zone-file presentation format.
 * @example const r: LabRecord = { name: '_25._tcp.mx.test', type: 'TLSA', data: '3 1 1 8f2d…' };
 */
export interface LabRecord {
  /** Absolute owner name under `test`, a trailing dot optional: 'mx.test', '_25._tcp.mx.test', '*.w.test'. */
  name: string;
  type: LabRecordType;
  /**
   * RDATA as in a zone file: '127.0.0.1', '10 mx.test', '3 1 1 ab12…', txt('v=STSv1; id=1').
   * Target names of MX, CNAME, SRV and PTR are absolute (a missing trailing dot is added).
   */
  data: string;
  ttl?: number; // default 300
}

/** The lab's zone names (no trailing dot; the root is '.'). */
export interface LabZones {
  root: '.';
  secure: 'test';
  insecure: 'insecure.test';
  bogus: 'bogus.test'; // RRSIGs expired
  wrongKey: 'wrongkey.test'; // DS in the parent matches no DNSKEY of the zone
}

export const LAB_ZONES: LabZones = {
  root: '.',
  secure: 'test',
  insecure: 'insecure.test',
  bogus: 'bogus.test',
  wrongKey: 'wrongkey.test',
};

/** The lab's name server name (A 127.0.0.1 in the lab); a test may not give records for it. */
export const LAB_NAMESERVER = 'ns.test';

/** A query unbound sent upstream, read from its log ("sending to target: <zone> addr#port"). */
export interface OutgoingQuery {
  resolver: 'validating' | 'plain';
  zone: string; // the delegation point unbound used, e.g. 'test.'
  host: string;
  port: number;
}

export interface DnssecLab {
  /** The validating unbound: '127.0.0.1:port'. */
  resolver: string;
  /** The unbound that does not validate (never sets AD, answers bogus data): '127.0.0.1:port'. */
  plainResolver: string;
  /** nsd, authoritative for all lab zones: '127.0.0.1:port'. */
  authoritative: string;
  zones: LabZones;
  /** The DS record of the lab root: the validating resolver's only trust anchor. */
  trustAnchor: string;
  /** The records currently served (as given). */
  records(): readonly LabRecord[];
  /** Serves these records instead (re-signs, reloads nsd, flushes both resolvers' caches). */
  setRecords(records: readonly LabRecord[]): Promise<void>;
  /** Every upstream query both unbounds logged so far (to check that none left loopback). */
  outgoingQueries(): Promise<OutgoingQuery[]>;
  /** How long the start took, by stage (ms): keys, signing, nsd up, both unbounds up. */
  startTimings: { keysMs: number; signMs: number; nsdMs: number; unboundMs: number };
  /** Log files of the three daemons (for a failing test to print). */
  logFiles: { authoritative: string; resolver: string; plainResolver: string };
  /** Stops the daemons and removes the temp dir; idempotent; also done at process exit. */
  stop(): Promise<void>;
}

export type DnssecLabStart = { ok: true; lab: DnssecLab } | { ok: false; reason: string };

export interface StartDnssecLabOptions {
  records?: readonly LabRecord[];
}

const HOST = '127.0.0.1';
const READY_TIMEOUT_MS = 20_000;
const CMD_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 5_000;
const GROUP_EXIT_TIMEOUT_MS = 5_000; // nsd's main and server processes end ~1 s after the pid we signal
const MAX_START_ATTEMPTS = 3;
const DEFAULT_TTL = 300;
const ALGORITHM = 'ECDSAP256SHA256'; // RFC 8624 §3.1: MUST sign; keys are made in milliseconds

const BINARIES = {
  nsd: ['/usr/sbin/nsd'],
  unbound: ['/usr/sbin/unbound'],
  unboundControl: ['/usr/sbin/unbound-control'],
  ldnsKeygen: ['/usr/bin/ldns-keygen'],
  ldnsSignzone: ['/usr/bin/ldns-signzone'],
} as const;
type Binaries = Record<keyof typeof BINARIES, string>;

/**
 * Quotes text as one TXT RDATA (character-strings of at most 255 bytes, RFC 1035 §3.3.14).
 * @example { name: '_mta-sts.test', type: 'TXT', data: txt('v=STSv1; id=20240101') }
 */
export function txt(text: string): string {
  const bytes = Buffer.from(text, 'utf8');
  const parts: string[] = [];
  for (let i = 0; i === 0 || i < bytes.length; i += 255) {
    let s = '"';
    for (const b of bytes.subarray(i, i + 255)) {
      if (b === 0x22 || b === 0x5c) s += '\\' + String.fromCharCode(b);
      else if (b < 0x20 || b > 0x7e) s += '\\' + String(b).padStart(3, '0');
      else s += String.fromCharCode(b);
    }
    parts.push(s + '"');
  }
  return parts.join(' ');
}

// ---------------------------------------------------------------------------------------------
// A tiny DNS client (dns-packet over node:dgram, TCP when truncated), used for readiness checks
// and by the tests; it is not mxprobe's resolver.

/** One record of an answer (dns-packet's decoding of the RDATA in `data`). */
export interface LabRR {
  name: string;
  type: string;
  ttl: number;
  data: unknown;
}

export interface LabAnswer {
  rcode: string; // 'NOERROR', 'SERVFAIL', 'NXDOMAIN', …
  aa: boolean;
  ad: boolean;
  cd: boolean;
  answers: LabRR[];
  authorities: LabRR[];
  /** Extended DNS Errors (RFC 8914), e.g. 7 Signature Expired, 9 DNSKEY Missing (unbound: ede: yes). */
  ede: Array<{ code: number; text: string }>;
}

export interface LabQueryOptions {
  dnssecOk?: boolean; // default true
  checkingDisabled?: boolean; // CD=1 (RFC 4035 §3.2.2): the resolver returns bogus data
  recursionDesired?: boolean; // default true
  timeoutMs?: number; // default 5000
}

/** Splits '127.0.0.1:5353' into host and port. */
function splitAddress(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(':');
  return { host: address.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(address.slice(i + 1)) };
}

/**
 * Asks one server one question (UDP, then TCP if the answer is truncated).
 * @example const a = await queryLab(lab.resolver, 'mx.test', 'A'); assert.equal(a.ad, true);
 */
export async function queryLab(server: string, name: string, type: RecordType, options: LabQueryOptions = {}): Promise<LabAnswer> {
  const { host, port } = splitAddress(server);
  const timeoutMs = options.timeoutMs ?? 5000;
  let flags = options.recursionDesired === false ? 0 : dnsPacket.RECURSION_DESIRED;
  if (options.checkingDisabled) flags |= dnsPacket.CHECKING_DISABLED;
  const id = Math.floor(Math.random() * 65536);
  const query = dnsPacket.encode({
    type: 'query',
    id,
    flags,
    questions: [{ type, name }],
    additionals: [
      {
        type: 'OPT',
        name: '.',
        udpPayloadSize: 1232,
        extendedRcode: 0,
        ednsVersion: 0,
        flags: options.dnssecOk === false ? 0 : dnsPacket.DNSSEC_OK,
        flag_do: options.dnssecOk !== false,
        options: [],
      },
    ],
  });
  let reply = await udpExchange(host, port, query, id, timeoutMs);
  if (reply.flag_tc) reply = await tcpExchange(host, port, query, id, timeoutMs);
  return {
    rcode: reply.rcode ?? 'NOERROR',
    aa: reply.flag_aa === true,
    ad: reply.flag_ad === true,
    cd: reply.flag_cd === true,
    answers: records(reply.answers),
    authorities: records(reply.authorities),
    ede: extendedErrors(reply.additionals),
  };
}

/** RFC 8914 §2: EDNS option 15 = INFO-CODE (16 bits) + EXTRA-TEXT (UTF-8). */
function extendedErrors(additionals: Answer[] | undefined): Array<{ code: number; text: string }> {
  const out: Array<{ code: number; text: string }> = [];
  for (const rr of additionals ?? []) {
    if (rr.type !== 'OPT') continue;
    for (const o of rr.options as Array<{ code: number; data?: unknown }>) {
      const data = o.data;
      if (o.code === 15 && Buffer.isBuffer(data) && data.length >= 2) out.push({ code: data.readUInt16BE(0), text: data.subarray(2).toString('utf8') });
    }
  }
  return out;
}

function records(list: Answer[] | undefined): LabRR[] {
  return (list ?? []).flatMap((a) => (a.type === 'OPT' ? [] : [{ name: a.name, type: a.type, ttl: a.ttl ?? 0, data: a.data as unknown }]));
}

type Reply = DecodedPacket & { rcode?: string; flag_tc?: boolean; flag_aa?: boolean; flag_ad?: boolean; flag_cd?: boolean };

function udpExchange(host: string, port: number, query: Buffer, id: number, timeoutMs: number): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
    const done = (err: Error | null, reply?: Reply): void => {
      clearTimeout(timer);
      sock.close();
      if (err) reject(err);
      else resolve(reply as Reply);
    };
    const timer = setTimeout(() => done(new Error(`no DNS answer from ${host}:${port} within ${timeoutMs} ms`)), timeoutMs);
    sock.on('error', (e) => done(e));
    sock.on('message', (msg) => {
      try {
        const reply = dnsPacket.decode(msg) as Reply;
        if (reply.id === id) done(null, reply);
      } catch {
        /* not a DNS answer to us: keep waiting */
      }
    });
    // Connected, so that a port nobody listens on fails at once (ECONNREFUSED) instead of
    // after the timeout: the readiness checks poll a daemon that is still starting.
    sock.connect(port, host, () => sock.send(query));
  });
}

function tcpExchange(host: string, port: number, query: Buffer, id: number, timeoutMs: number): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host, port });
    let buf = Buffer.alloc(0);
    const done = (err: Error | null, reply?: Reply): void => {
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(reply as Reply);
    };
    const timer = setTimeout(() => done(new Error(`no DNS answer over TCP from ${host}:${port} within ${timeoutMs} ms`)), timeoutMs);
    sock.on('error', (e) => done(e));
    sock.on('connect', () => sock.write(dnsPacket.streamEncode(dnsPacket.decode(query))));
    sock.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length > 70_000) return done(new Error('oversized TCP DNS answer'));
      if (buf.length < 2 || buf.length < 2 + buf.readUInt16BE(0)) return;
      try {
        const reply = dnsPacket.streamDecode(buf) as Reply;
        if (reply.id !== id) return done(new Error('TCP DNS answer with a wrong id'));
        done(null, reply);
      } catch (e) {
        done(e instanceof Error ? e : new Error(String(e)));
      }
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Processes and files.

interface CmdResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], cwd?: string): Promise<CmdResult> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: CMD_TIMEOUT_MS, encoding: 'utf8', ...(cwd ? { cwd } : {}) }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr: stderr || (error?.message ?? '') });
    });
  });
}

async function mustRun(cmd: string, args: string[], cwd?: string): Promise<string> {
  const r = await run(cmd, args, cwd);
  if (r.code !== 0) throw new Error(`\`${path.basename(cmd)} ${args.join(' ')}\` failed (exit ${r.code ?? 'signal/timeout'}): ${r.stderr.trim()}`);
  return r.stdout;
}

function findBinaries(): Binaries | string[] {
  const found: Partial<Binaries> = {};
  const missing: string[] = [];
  const pathDirs = (process.env['PATH'] ?? '').split(path.delimiter).filter(Boolean);
  for (const [key, candidates] of Object.entries(BINARIES) as Array<[keyof Binaries, readonly string[]]>) {
    const base = path.basename(candidates[0] ?? key);
    const hit = [...candidates, ...pathDirs.map((d) => path.join(d, base))].find((p) => existsSync(p));
    if (hit) found[key] = hit;
    else missing.push(base);
  }
  return missing.length > 0 ? missing : (found as Binaries);
}

/** A port free for both UDP and TCP on 127.0.0.1 (the daemons bind both). */
async function freePort(): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = net.createServer();
      srv.unref();
      srv.on('error', reject);
      srv.listen({ host: HOST, port: 0, exclusive: true }, () => {
        const a = srv.address();
        const p = typeof a === 'object' && a ? a.port : 0;
        srv.close(() => resolve(p));
      });
    });
    const udpFree = await new Promise<boolean>((resolve) => {
      const s = dgram.createSocket('udp4');
      s.on('error', () => resolve(false));
      s.bind(port, HOST, () => s.close(() => resolve(true)));
    });
    if (port > 0 && udpFree) return port;
  }
  throw new Error('could not find a port free for UDP and TCP');
}

/** uid/gid of a system user, or undefined (no such user, or not running as root). */
async function daemonUser(name: string): Promise<{ name: string; uid: number; gid: number } | undefined> {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  const uid = await run('id', ['-u', name]);
  const gid = await run('id', ['-g', name]);
  const u = Number.parseInt(uid.stdout, 10);
  const g = Number.parseInt(gid.stdout, 10);
  return uid.code === 0 && gid.code === 0 && u > 0 && g > 0 ? { name, uid: u, gid: g } : undefined;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function alive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** Kills a daemon's whole process group (nsd forks xfrd and server processes). */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      /* gone */
    }
  }
}

/** True while any process of the group is left (zombies included). */
function groupLeft(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Stops a daemon the documented way (SIGTERM to the pid it was started with; nsd's then stops
 * and reaps its own children), then SIGKILLs whatever is left of its process group.
 */
async function stopDaemon(child: ChildProcess): Promise<void> {
  const pid = child.pid;
  if (pid === undefined) return;
  if (alive(child)) {
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    try {
      child.kill('SIGTERM');
    } catch {
      /* gone */
    }
    const timedOut = await Promise.race([exited.then(() => false), sleep(STOP_TIMEOUT_MS).then(() => true)]);
    if (timedOut) {
      killGroup(child, 'SIGKILL');
      await Promise.race([exited, sleep(2000)]);
    }
  }
  const until = Date.now() + GROUP_EXIT_TIMEOUT_MS;
  while (groupLeft(pid) && Date.now() < until) await sleep(20);
  if (groupLeft(pid)) killGroup(child, 'SIGKILL');
}

/** Starts a daemon in the foreground, in its own process group, its output appended to a log. */
function spawnDaemon(cmd: string, args: string[], logFile: string): ChildProcess {
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(cmd, args, { detached: true, stdio: ['ignore', fd, fd] });
    child.on('error', () => {}); // reported through exitCode / the readiness check
    child.unref(); // a forgotten stop() must not keep the test process alive; the exit hook kills
    return child;
  } finally {
    closeSync(fd);
  }
}

async function logTail(file: string, lines = 20): Promise<string> {
  try {
    return (await fsp.readFile(file, 'utf8')).trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

// Daemons of labs whose stop() has not run: killed when the test process exits or is signalled.
const liveLabs = new Map<string, { children: Set<ChildProcess> }>();
let hooksInstalled = false;
function killAllNow(): void {
  for (const [dir, lab] of liveLabs) {
    for (const c of lab.children) if (alive(c)) killGroup(c, 'SIGKILL');
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      /* ignore */
    }
  }
  liveLabs.clear();
}
function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', killAllNow);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      killAllNow();
      // Keep the default behaviour (exit by this signal) unless someone else handles it.
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    };
    process.once(sig, onSignal);
  }
}

// ---------------------------------------------------------------------------------------------
// Zones.

interface ZoneSpec {
  apex: string; // 'test' ('' for the root)
  file: string;
  key: 'root' | 'test' | 'bogus' | 'wrongKeySigner' | null; // null: unsigned
  expired: boolean;
}

const ZONES: readonly ZoneSpec[] = [
  { apex: '', file: 'root.zone', key: 'root', expired: false },
  { apex: 'test', file: 'test.zone', key: 'test', expired: false },
  { apex: 'insecure.test', file: 'insecure.test.zone', key: null, expired: false },
  { apex: 'bogus.test', file: 'bogus.test.zone', key: 'bogus', expired: true },
  { apex: 'wrongkey.test', file: 'wrongkey.test.zone', key: 'wrongKeySigner', expired: false },
];

interface Keys {
  root: string; // key basenames in DIR/keys (K<name>+013+<tag>)
  test: string;
  bogus: string;
  wrongKeyInDs: string; // its DS is in test.; the zone is not signed with it
  wrongKeySigner: string;
  ds: Record<'root' | 'test' | 'bogus' | 'wrongKeyInDs', string>;
}

const fqdn = (name: string): string => (name === '' ? '.' : `${name}.`);
const LABEL = /^(\*|[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)$/;
const TARGET_FIELD: Partial<Record<LabRecordType, number>> = { MX: 1, CNAME: 0, SRV: 3, PTR: 0 };

/** Checks and normalises the records; throws a TypeError naming the first bad one. */
function normaliseRecords(records: readonly LabRecord[]): LabRecord[] {
  const types = new Set<string>(['A', 'AAAA', 'MX', 'TLSA', 'TXT', 'CNAME', 'SRV', 'CAA', 'PTR']);
  return records.map((r, i) => {
    const what = `record ${i} (${JSON.stringify(r)})`;
    const name = r.name.toLowerCase().replace(/\.$/, '');
    const labels = name.split('.');
    if (name.length > 253 || !labels.every((l) => LABEL.test(l)) || labels.slice(1).includes('*')) {
      throw new TypeError(`${what}: invalid owner name`);
    }
    if (name !== 'test' && !name.endsWith('.test')) throw new TypeError(`${what}: the name must be under "test"`);
    if (name === LAB_NAMESERVER) throw new TypeError(`${what}: ${LAB_NAMESERVER} is the lab's name server`);
    if (!types.has(r.type)) throw new TypeError(`${what}: type must be one of ${[...types].join(', ')}`);
    // Keep zone files one record a line: no control characters; outside quotes no ';' (a
    // comment would silently cut `v=STSv1; id=1` to `v=STSv1`: use txt()) and no parentheses.
    if (/[\u0000-\u001f\u007f]/.test(r.data) || r.data.trim() === '') throw new TypeError(`${what}: invalid data`);
    const bare = unquoted(r.data);
    if (bare === null) throw new TypeError(`${what}: unbalanced quotes in data`);
    if (/[;()]/.test(bare)) throw new TypeError(`${what}: ';', '(' or ')' outside quotes in data (quote TXT text with txt())`);
    if (r.ttl !== undefined && !(Number.isInteger(r.ttl) && r.ttl >= 0 && r.ttl <= 86_400)) throw new TypeError(`${what}: invalid ttl`);
    let data = r.data.trim();
    const field = TARGET_FIELD[r.type];
    if (field !== undefined) {
      const parts = data.split(/\s+/);
      const target = parts[field];
      if (target === undefined) throw new TypeError(`${what}: missing target name`);
      if (!target.endsWith('.')) parts[field] = `${target}.`;
      data = parts.join(' ');
    }
    return { ...r, name, data };
  });
}

/** The data with its quoted strings taken out (null if a quote is left open). */
function unquoted(data: string): string | null {
  let out = '';
  let quoted = false;
  for (let i = 0; i < data.length; i++) {
    const c = data[i];
    if (c === '\\') {
      i++; // an escaped character never opens, closes or comments
      continue;
    }
    if (c === '"') quoted = !quoted;
    else if (!quoted) out += c;
  }
  return quoted ? null : out;
}

/** The deepest lab zone holding a name (records under a sub-zone's apex belong to the sub-zone). */
function zoneOf(name: string): ZoneSpec {
  let best: ZoneSpec | undefined;
  for (const z of ZONES) {
    if (z.apex === '' || name === z.apex || name.endsWith(`.${z.apex}`)) {
      if (!best || z.apex.length > best.apex.length) best = z;
    }
  }
  return best as ZoneSpec;
}

function zoneText(zone: ZoneSpec, serial: number, keys: Keys, records: readonly LabRecord[]): string {
  const apex = fqdn(zone.apex);
  const lines = [
    `; generated by test/helpers/dnssec-lab.ts`,
    `$TTL ${DEFAULT_TTL}`,
    `${apex} IN SOA ${LAB_NAMESERVER}. hostmaster.test. ${serial} 3600 600 86400 ${DEFAULT_TTL}`,
    `${apex} IN NS ${LAB_NAMESERVER}.`,
  ];
  if (zone.apex === '') {
    lines.push(`test. IN NS ${LAB_NAMESERVER}.`, `${LAB_NAMESERVER}. IN A ${HOST}`, keys.ds.test);
  }
  if (zone.apex === 'test') {
    lines.push(`${LAB_NAMESERVER}. IN A ${HOST}`);
    lines.push(`insecure.test. IN NS ${LAB_NAMESERVER}.`); // no DS: an insecure delegation
    lines.push(`bogus.test. IN NS ${LAB_NAMESERVER}.`, keys.ds.bogus);
    lines.push(`wrongkey.test. IN NS ${LAB_NAMESERVER}.`, keys.ds.wrongKeyInDs);
  }
  for (const r of records) {
    if (zoneOf(r.name) !== zone) continue;
    lines.push(`${r.name}. ${r.ttl ?? DEFAULT_TTL} IN ${r.type} ${r.data}`);
  }
  return lines.join('\n') + '\n';
}

async function makeKeys(ldnsKeygen: string, keyDir: string): Promise<Keys> {
  // -k: a key-signing key (flag 257), used alone for the whole zone (a "CSK").
  const gen = async (zone: string): Promise<string> => (await mustRun(ldnsKeygen, ['-a', ALGORITHM, '-k', zone], keyDir)).trim();
  const [root, test, bogus, wrongKeyInDs, wrongKeySigner] = await Promise.all([
    gen('.'),
    gen('test.'),
    gen('bogus.test.'),
    gen('wrongkey.test.'),
    gen('wrongkey.test.'),
  ]);
  const ds = async (base: string): Promise<string> => (await fsp.readFile(path.join(keyDir, `${base}.ds`), 'utf8')).trim();
  return {
    root,
    test,
    bogus,
    wrongKeyInDs,
    wrongKeySigner,
    ds: { root: await ds(root), test: await ds(test), bogus: await ds(bogus), wrongKeyInDs: await ds(wrongKeyInDs) },
  };
}

/** ldns-signzone's date format: YYYYMMDDhhmmss (UTC). */
const ldnsDate = (ms: number): string => new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14);

/** Writes (and signs) every zone file for this generation; nsd loads `<file>.signed` or `<file>`. */
async function writeZones(bin: Binaries, nsdDir: string, keyDir: string, keys: Keys, serial: number, records: readonly LabRecord[], mtimeSec: number): Promise<void> {
  const now = Date.now();
  const day = 86_400_000;
  await Promise.all(
    ZONES.map(async (zone) => {
      const unsigned = path.join(nsdDir, zone.file);
      await fsp.writeFile(unsigned, zoneText(zone, serial, keys, records), { mode: 0o644 });
      const served = path.join(nsdDir, servedFile(zone));
      if (zone.key !== null) {
        // Valid zones: from an hour ago (clock skew) for a week. bogus.test: expired 10 days
        // ago, well beyond the skew a validator allows (unbound: 10% of the validity period,
        // at most val-sig-skew-max = 24 h; a signature that expired yesterday still validates).
        const inception = zone.expired ? now - 40 * day : now - 3_600_000;
        const expiration = zone.expired ? now - 10 * day : now + 7 * day;
        await mustRun(bin.ldnsSignzone, ['-i', ldnsDate(inception), '-e', ldnsDate(expiration), '-f', served, '-o', fqdn(zone.apex), unsigned, path.join(keyDir, keys[zone.key])]);
        await fsp.chmod(served, 0o644);
      }
      // nsd re-reads a zone on SIGHUP when its mtime changed: make each generation's differ.
      await fsp.utimes(served, mtimeSec, mtimeSec);
    }),
  );
}

const servedFile = (zone: ZoneSpec): string => (zone.key === null ? zone.file : `${zone.file}.signed`);

function nsdConf(dir: string, port: number, user: string): string {
  return `# generated by test/helpers/dnssec-lab.ts: a private nsd, loopback only
server:
  ip-address: ${HOST}@${port}
  do-ip4: yes
  do-ip6: no
  server-count: 1
  tcp-count: 20
  database: ""
  zonesdir: "${dir}"
  zonelistfile: "${path.join(dir, 'zone.list')}"
  xfrdfile: "${path.join(dir, 'xfrd.state')}"
  xfrdir: "${dir}"
  pidfile: ""
  logfile: "${path.join(dir, 'nsd.log')}"
  username: "${user}"
  chroot: ""
  verbosity: 1
  hide-version: yes
  zonefiles-write: 0
  xfrd-reload-timeout: 0
remote-control:
  control-enable: no
${ZONES.map((z) => `zone:\n  name: "${fqdn(z.apex)}"\n  zonefile: "${servedFile(z)}"\n`).join('')}`;
}

function unboundConf(dir: string, port: number, authPort: number, user: string, validating: boolean): string {
  const stubs = ZONES.map((z) => `stub-zone:\n  name: "${fqdn(z.apex)}"\n  stub-addr: ${HOST}@${authPort}\n`).join('');
  return `# generated by test/helpers/dnssec-lab.ts: a private ${validating ? 'validating' : 'NON-validating'} unbound, loopback only
server:
  interface: ${HOST}@${port}
  port: ${port}
  do-ip4: yes
  do-ip6: no
  do-udp: yes
  do-tcp: yes
  access-control: 127.0.0.0/8 allow
  # Upstream: only the stub zones below (all on loopback), sent from 127.0.0.1 only.
  outgoing-interface: ${HOST}
  do-not-query-localhost: no
  root-hints: ""
  trust-anchor-signaling: no
  root-key-sentinel: no
  # unbound answers "test." from its own default local zones (RFC 6761) unless told not to.
  local-zone: "test." nodefault
${validating ? `  module-config: "validator iterator"\n  trust-anchor-file: "${path.join(dir, 'root.ds')}"\n  val-log-level: 2\n` : '  module-config: "iterator"\n'}  ede: yes
  num-threads: 1
  outgoing-range: 64
  so-reuseport: no
  msg-cache-size: 1m
  rrset-cache-size: 2m
  key-cache-size: 1m
  neg-cache-size: 1m
  infra-cache-numhosts: 64
  username: "${user}"
  chroot: ""
  directory: "${dir}"
  pidfile: ""
  use-syslog: no
  logfile: "${path.join(dir, 'unbound.log')}"
  log-time-ascii: yes
  # verbosity 3 logs every upstream query ("sending to target"): outgoingQueries() reads them.
  verbosity: 3
  do-daemonize: no
remote-control:
  control-enable: yes
  control-interface: "${path.join(dir, 'control.sock')}"
  control-use-cert: no
${stubs}`;
}

// ---------------------------------------------------------------------------------------------

/** Polls until every lab zone's SOA at nsd has this serial. */
async function waitAuthoritative(server: string, serial: number, deadline: number, child: ChildProcess): Promise<string | null> {
  let last = '';
  for (const zone of ZONES) {
    for (;;) {
      if (!alive(child)) return `nsd exited (${child.exitCode ?? child.signalCode})`;
      if (Date.now() > deadline) return `zone ${fqdn(zone.apex)}: ${last || 'not served'}`;
      try {
        const a = await queryLab(server, fqdn(zone.apex), 'SOA', { recursionDesired: false, timeoutMs: 1000 });
        const soa = a.answers.find((x) => x.type === 'SOA');
        const got = soa && typeof soa.data === 'object' && soa.data !== null && 'serial' in soa.data ? Number(soa.data.serial) : undefined;
        if (a.rcode === 'NOERROR' && a.aa && got === serial) break;
        last = `${a.rcode}, serial ${got ?? 'none'} (want ${serial})`;
      } catch (e) {
        last = e instanceof Error ? e.message : String(e);
      }
      await sleep(50);
    }
  }
  return null;
}

/** Polls until the resolver answers the lab root's SOA (with AD=1 when it validates). */
async function waitResolver(server: string, validating: boolean, deadline: number, child: ChildProcess): Promise<string | null> {
  let last = '';
  for (;;) {
    if (!alive(child)) return `unbound exited (${child.exitCode ?? child.signalCode})`;
    if (Date.now() > deadline) return last || 'no answer';
    try {
      const a = await queryLab(server, '.', 'SOA', { timeoutMs: 1000 });
      if (a.rcode === 'NOERROR' && a.answers.some((x) => x.type === 'SOA') && a.ad === validating) return null;
      last = `root SOA: ${a.rcode}, AD=${a.ad ? 1 : 0}`;
    } catch (e) {
      last = e instanceof Error ? e.message : String(e);
    }
    await sleep(50);
  }
}

async function chownTree(dir: string, user: { uid: number; gid: number } | undefined): Promise<void> {
  if (!user) return;
  await fsp.chown(dir, user.uid, user.gid);
  for (const f of await fsp.readdir(dir)) await fsp.chown(path.join(dir, f), user.uid, user.gid);
}

interface Daemon {
  child: ChildProcess;
  port: number;
}

/**
 * Starts a daemon on a fresh port, retrying with another port when the bind loses a race;
 * `ready` says null when it serves, else why not.
 */
async function startOnFreePort(
  what: string,
  logFile: string,
  prepare: (port: number) => Promise<{ cmd: string; args: string[] }>,
  ready: (port: number, child: ChildProcess) => Promise<string | null>,
  children: Set<ChildProcess>,
): Promise<Daemon | string> {
  let reason = '';
  for (let attempt = 1; attempt <= MAX_START_ATTEMPTS; attempt++) {
    const port = await freePort();
    const { cmd, args } = await prepare(port);
    const child = spawnDaemon(cmd, args, logFile);
    children.add(child);
    const notReady = await ready(port, child);
    if (notReady === null) return { child, port };
    await stopDaemon(child);
    children.delete(child);
    const tail = await logTail(logFile);
    reason = `${what} did not start (${notReady})\n--- ${logFile} ---\n${tail}`;
    if (!/address already in use|could not open ports|can't bind/i.test(tail)) break;
  }
  return reason;
}

/**
 * Starts the lab: keys, signed zones, nsd and the two unbounds, each on 127.0.0.1:<free port>.
 * ok:false with a reason when a binary is missing or a daemon does not come up.
 * @example
 * const started = await startDnssecLab({ records: [{ name: 'mx.test', type: 'A', data: '127.0.0.1' }] });
 * if (!started.ok) return t.skip(started.reason);
 * try { … started.lab.resolver … } finally { await started.lab.stop(); }
 */
export async function startDnssecLab(options: StartDnssecLabOptions = {}): Promise<DnssecLabStart> {
  if (process.platform !== 'linux') return { ok: false, reason: `the DNSSEC lab supports Linux only (platform ${process.platform})` };
  const bin = findBinaries();
  if (Array.isArray(bin)) {
    return { ok: false, reason: `the DNSSEC lab needs ${bin.join(', ')} (not installed; run scripts/install-test-deps.sh: nsd, unbound, ldnsutils)` };
  }
  let records: LabRecord[];
  try {
    records = normaliseRecords(options.records ?? []);
  } catch (e) {
    return { ok: false, reason: e instanceof Error ? e.message : String(e) };
  }

  let dir: string;
  try {
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'mxprobe-dnssec-lab-'));
  } catch (e) {
    return { ok: false, reason: `cannot create temp dir: ${e instanceof Error ? e.message : String(e)}` };
  }
  const children = new Set<ChildProcess>();
  liveLabs.set(dir, { children });
  installHooks();
  const cleanup = async (): Promise<void> => {
    await Promise.all([...children].map((c) => stopDaemon(c)));
    liveLabs.delete(dir);
    await fsp.rm(dir, { recursive: true, force: true });
  };

  try {
    const keyDir = path.join(dir, 'keys');
    const nsdDir = path.join(dir, 'nsd');
    const vDir = path.join(dir, 'validating');
    const pDir = path.join(dir, 'plain');
    await fsp.chmod(dir, 0o755); // the daemons' users must traverse it
    await fsp.mkdir(keyDir, { mode: 0o700 });
    for (const d of [nsdDir, vDir, pDir]) await fsp.mkdir(d, { mode: 0o755 });
    const [nsdUser, unboundUser] = await Promise.all([daemonUser('nsd'), daemonUser('unbound')]);

    let mark = performance.now();
    const lap = (): number => {
      const now = performance.now();
      const ms = Math.round(now - mark);
      mark = now;
      return ms;
    };
    const keys = await makeKeys(bin.ldnsKeygen, keyDir);
    const keysMs = lap();
    let serial = 1;
    const mtimeBase = Math.floor(Date.now() / 1000) - 3600;
    await writeZones(bin, nsdDir, keyDir, keys, serial, records, mtimeBase + serial);
    const signMs = lap();
    await fsp.writeFile(path.join(vDir, 'root.ds'), keys.ds.root + '\n', { mode: 0o644 });
    const logFiles = {
      authoritative: path.join(nsdDir, 'nsd.log'),
      resolver: path.join(vDir, 'unbound.log'),
      plainResolver: path.join(pDir, 'unbound.log'),
    };
    for (const f of Object.values(logFiles)) await fsp.writeFile(f, '', { mode: 0o644 });

    const nsdConfFile = path.join(nsdDir, 'nsd.conf');
    const nsd = await startOnFreePort(
      'nsd',
      logFiles.authoritative,
      async (port) => {
        await fsp.writeFile(nsdConfFile, nsdConf(nsdDir, port, nsdUser?.name ?? ''), { mode: 0o644 });
        await chownTree(nsdDir, nsdUser);
        return { cmd: bin.nsd, args: ['-d', '-c', nsdConfFile] };
      },
      (port, child) => waitAuthoritative(`${HOST}:${port}`, serial, Date.now() + READY_TIMEOUT_MS, child),
      children,
    );
    if (typeof nsd === 'string') {
      await cleanup();
      return { ok: false, reason: nsd };
    }
    const authoritative = `${HOST}:${nsd.port}`;
    const nsdMs = lap();

    const startUnbound = (uDir: string, validating: boolean): Promise<Daemon | string> => {
      const conf = path.join(uDir, 'unbound.conf');
      return startOnFreePort(
        `unbound (${validating ? 'validating' : 'plain'})`,
        path.join(uDir, 'unbound.log'),
        async (port) => {
          await fsp.writeFile(conf, unboundConf(uDir, port, nsd.port, unboundUser?.name ?? '', validating), { mode: 0o644 });
          await chownTree(uDir, unboundUser);
          return { cmd: bin.unbound, args: ['-d', '-c', conf] };
        },
        (port, child) => waitResolver(`${HOST}:${port}`, validating, Date.now() + READY_TIMEOUT_MS, child),
        children,
      );
    };
    const [v, p] = await Promise.all([startUnbound(vDir, true), startUnbound(pDir, false)]);
    if (typeof v === 'string' || typeof p === 'string') {
      await cleanup();
      return { ok: false, reason: [v, p].filter((x): x is string => typeof x === 'string').join('\n') };
    }
    const unboundMs = lap();

    const flush = async (uDir: string): Promise<void> => {
      const conf = path.join(uDir, 'unbound.conf');
      // Everything cached: answers, keys, negative answers, bogus marks, server timing.
      for (const args of [['flush_zone', '.'], ['flush_bogus'], ['flush_negative'], ['flush_infra', 'all'], ['flush_requestlist']]) {
        await mustRun(bin.unboundControl, ['-c', conf, ...args]);
      }
    };

    let current: readonly LabRecord[] = records;
    let stopping: Promise<void> | undefined;
    let updating: Promise<void> = Promise.resolve();
    const lab: DnssecLab = {
      resolver: `${HOST}:${v.port}`,
      plainResolver: `${HOST}:${p.port}`,
      authoritative,
      zones: LAB_ZONES,
      trustAnchor: keys.ds.root,
      startTimings: { keysMs, signMs, nsdMs, unboundMs },
      logFiles,
      records: () => current,
      setRecords(next) {
        const run = updating.then(async () => {
          if (stopping) throw new Error('the DNSSEC lab is stopped');
          const normalised = normaliseRecords(next);
          serial += 1;
          await writeZones(bin, nsdDir, keyDir, keys, serial, normalised, mtimeBase + serial);
          await chownTree(nsdDir, nsdUser);
          // nsd (the pid it was started with, as in its pidfile): re-read changed zone files.
          if (nsd.child.pid !== undefined) process.kill(nsd.child.pid, 'SIGHUP');
          const notReady = await waitAuthoritative(authoritative, serial, Date.now() + READY_TIMEOUT_MS, nsd.child);
          if (notReady) throw new Error(`nsd did not serve the new records (${notReady})\n${await logTail(logFiles.authoritative)}`);
          await Promise.all([flush(vDir), flush(pDir)]);
          current = normalised;
        });
        updating = run.catch(() => {});
        return run;
      },
      async outgoingQueries() {
        const out: OutgoingQuery[] = [];
        for (const [resolver, file] of [['validating', logFiles.resolver], ['plain', logFiles.plainResolver]] as const) {
          const text = await fsp.readFile(file, 'utf8').catch(() => '');
          for (const m of text.matchAll(/sending to target: <([^>]*)> (\S+)#(\d+)/g)) {
            out.push({ resolver, zone: m[1] ?? '', host: m[2] ?? '', port: Number(m[3]) });
          }
        }
        return out;
      },
      stop() {
        stopping ??= updating.then(cleanup);
        return stopping;
      },
    };
    return { ok: true, lab };
  } catch (e) {
    await cleanup();
    return { ok: false, reason: `DNSSEC lab: ${e instanceof Error ? e.message : String(e)}` };
  }
}
