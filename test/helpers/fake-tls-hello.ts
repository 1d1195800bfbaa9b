// A fake SMTP server on loopback that answers ClientHellos BY HAND, after STARTTLS (or at once with
// implicit TLS), with a configurable policy: the versions and suites it accepts (in its own order or
// the client's), its ECDHE curves and DHE prime size in a ServerKeyExchange (fake-signed: random
// bytes, as the deep scans never verify it), a Certificate message, ServerHelloDone; an alert for
// what it refuses; a 421 greeting after N connections; garbage, a huge answer or silence. It never
// finishes a handshake: it serves the deep scans (src/deep/scan-*.ts), which read only the answer
// to their hello. Test helper only: binds loopback only.
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { DeepProtocol } from '../../src/model/deep.ts';
import { suiteName } from '../../src/model/cipher-suites.ts';

export const WIRE: Record<DeepProtocol, number> = { SSLv3: 0x0300, TLSv1: 0x0301, 'TLSv1.1': 0x0302, 'TLSv1.2': 0x0303, 'TLSv1.3': 0x0304 };

export interface HelloPolicy {
  versions: DeepProtocol[]; // accepted
  suites: number[]; // accepted, in the server's order of preference
  serverOrder?: boolean; // pick by `suites` order (default true) or by the client's
  curves?: number[]; // ECDHE curves and TLS 1.3 groups accepted, preferred first; default [x25519, secp256r1]
  dhBits?: number; // size of the DHE prime sent; default 2048
  renegotiationInfo?: boolean; // answer renegotiation_info when the client signals it; default true
  extendedMasterSecret?: boolean; // answer extended_master_secret when offered; default true
  compression?: boolean; // pick DEFLATE when offered; default false
  answerNewestVersion?: boolean; // ignore client_version: always answer with the newest accepted version ≤ TLS 1.2
  refuse?: 'alert' | 'close'; // how a refusal is said; default a fatal alert
  greet421After?: number; // connections after the first N get '421 4.7.0 Too many connections'
  answer?: 'policy' | 'garbage' | 'huge' | 'silent'; // default 'policy'
  implicitTls?: boolean; // the hello comes right after connecting
  certificate?: Buffer; // DER of the Certificate message; default 300 random bytes
}

export interface ReceivedHello {
  recordVersion: number;
  version: number; // client_version (legacy_version)
  suites: number[];
  compression: number[];
  extensions: number[]; // types, in order
  supportedVersions: number[];
  groups: number[];
  keyShares: number[];
  sni: string | null;
  length: number; // handshake message length, header included
}

export interface FakeHelloServer {
  host: string;
  port: number;
  connections: number;
  hellos: ReceivedHello[];
  close(): Promise<void>;
}

const u16 = (n: number) => Buffer.from([(n >> 8) & 0xff, n & 0xff]);
const u24 = (n: number) => Buffer.from([(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]);
const v1 = (b: Buffer) => Buffer.concat([Buffer.from([b.length]), b]);
const v2 = (b: Buffer) => Buffer.concat([u16(b.length), b]);
const v3 = (b: Buffer) => Buffer.concat([u24(b.length), b]);
const hs = (type: number, body: Buffer) => Buffer.concat([Buffer.from([type]), u24(body.length), body]);
const ext = (type: number, data: Buffer) => Buffer.concat([u16(type), v2(data)]);

/** Records of `type` holding `data`, 16 KiB at most each. */
export function tlsRecords(type: number, version: number, data: Buffer): Buffer {
  const out: Buffer[] = [];
  for (let i = 0; i < data.length; i += 16384) {
    const part = data.subarray(i, i + 16384);
    out.push(Buffer.from([type]), u16(version), u16(part.length), part);
  }
  return Buffer.concat(out);
}

function list16(b: Buffer): number[] {
  const out: number[] = [];
  for (let i = 0; i + 1 < b.length; i += 2) out.push(b.readUInt16BE(i));
  return out;
}

/** Reads a ClientHello record (test code: trusts its own lengths, throws on a short one). */
export function parseClientHello(bytes: Buffer): ReceivedHello {
  const recordVersion = bytes.readUInt16BE(1);
  const body = bytes.subarray(9, 9 + bytes.readUIntBE(6, 3));
  if (bytes[0] !== 22 || bytes[5] !== 1) throw new Error('not a ClientHello');
  let at = 0;
  const version = body.readUInt16BE(at);
  at += 2 + 32;
  at += 1 + (body[at] as number);
  const suitesLength = body.readUInt16BE(at);
  const suites = list16(body.subarray(at + 2, at + 2 + suitesLength));
  at += 2 + suitesLength;
  const compression = [...body.subarray(at + 1, at + 1 + (body[at] as number))];
  at += 1 + (body[at] as number);
  const hello: ReceivedHello = { recordVersion, version, suites, compression, extensions: [], supportedVersions: [], groups: [], keyShares: [], sni: null, length: body.length + 4 };
  if (at >= body.length) return hello;
  const end = at + 2 + body.readUInt16BE(at);
  at += 2;
  while (at < end) {
    const type = body.readUInt16BE(at);
    const data = body.subarray(at + 4, at + 4 + body.readUInt16BE(at + 2));
    at += 4 + data.length;
    hello.extensions.push(type);
    if (type === 43) hello.supportedVersions = list16(data.subarray(1));
    if (type === 10) hello.groups = list16(data.subarray(2));
    if (type === 0) hello.sni = data.subarray(5).toString('latin1');
    if (type === 51) {
      for (let i = 2; i < data.length; ) {
        hello.keyShares.push(data.readUInt16BE(i));
        i += 4 + data.readUInt16BE(i + 2);
      }
    }
  }
  return hello;
}

const HRR_RANDOM = Buffer.from('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c', 'hex');
const isTls13Suite = (s: number) => s >> 8 === 0x13;

/** The server's answer to `hello` under `policy`, as bytes. */
export function answerHello(hello: ReceivedHello, policy: HelloPolicy): Buffer {
  const curves = policy.curves ?? [29, 23];
  const alert = (description: number, version = 0x0301) => (policy.refuse === 'close' ? Buffer.alloc(0) : tlsRecords(21, version, Buffer.from([2, description])));
  const accepted = policy.versions.map((v) => WIRE[v]);
  let version: number | undefined;
  if (hello.supportedVersions.length > 0) version = accepted.filter((v) => hello.supportedVersions.includes(v)).sort((a, b) => b - a)[0];
  if (version === undefined) {
    const classic = accepted.filter((v) => v <= 0x0303).sort((a, b) => b - a);
    version = policy.answerNewestVersion === true ? classic[0] : classic.find((v) => v <= hello.version);
  }
  if (version === undefined) return alert(70); // protocol_version
  const tls13 = version === 0x0304;
  const common = curves.filter((c) => hello.groups.includes(c));
  const usable = (s: number) => isTls13Suite(s) === tls13 && (!/_ECDHE_|_ECDH_anon_/.test(suiteName(s)) || common.length > 0);
  const offered = hello.suites.filter((s) => policy.suites.includes(s) && usable(s));
  const byServer = policy.suites.filter((s) => offered.includes(s));
  const suite = (policy.serverOrder ?? true ? byServer : offered)[0];
  if (suite === undefined) return alert(40, Math.min(version, 0x0303)); // handshake_failure
  if (tls13) {
    const shared = curves.find((c) => hello.keyShares.includes(c));
    const named = common[0];
    if (shared === undefined && named === undefined) return alert(40, 0x0303);
    const keyShare = shared !== undefined ? ext(51, Buffer.concat([u16(shared), v2(randomBytes(shared === 29 ? 32 : 65))])) : ext(51, u16(named as number));
    const sh = Buffer.concat([u16(0x0303), shared !== undefined ? randomBytes(32) : HRR_RANDOM, v1(randomBytes(32)), u16(suite), Buffer.from([0]), v2(Buffer.concat([ext(43, u16(0x0304)), keyShare]))]);
    return tlsRecords(22, 0x0303, hs(2, sh));
  }
  const extensions: Buffer[] = [];
  const signalled = hello.extensions.includes(0xff01) || hello.suites.includes(0x00ff);
  if (signalled && policy.renegotiationInfo !== false) extensions.push(ext(0xff01, Buffer.from([0])));
  if (hello.extensions.includes(23) && policy.extendedMasterSecret !== false) extensions.push(ext(23, Buffer.alloc(0)));
  const compression = policy.compression === true && hello.compression.includes(1) ? 1 : 0;
  const sh = Buffer.concat([u16(version), randomBytes(32), v1(Buffer.alloc(0)), u16(suite), Buffer.from([compression]), ...(extensions.length > 0 ? [v2(Buffer.concat(extensions))] : [])]);
  const cert = policy.certificate ?? randomBytes(300);
  const messages = [hs(2, sh), hs(11, v3(v3(cert)))];
  const name = suiteName(suite);
  const signature = Buffer.concat([version === 0x0303 ? u16(0x0401) : Buffer.alloc(0), v2(randomBytes(256))]);
  if (/_ECDHE_/.test(name)) {
    messages.push(hs(12, Buffer.concat([Buffer.from([3]), u16(common[0] as number), v1(Buffer.concat([Buffer.from([4]), randomBytes(64)])), signature])));
  } else if (/_DHE_/.test(name)) {
    const bits = policy.dhBits ?? 2048;
    const p = randomBytes(bits / 8);
    p[0] = (p[0] as number) | 0x80;
    messages.push(hs(12, Buffer.concat([v2(p), v2(Buffer.from([2])), v2(randomBytes(bits / 8)), signature])));
  }
  messages.push(hs(14, Buffer.alloc(0)));
  return tlsRecords(22, version, Buffer.concat(messages));
}

/**
 * Starts the fake on an ephemeral loopback port.
 * @example const server = await startFakeHelloServer({ versions: ['TLSv1.2'], suites: [0xc02f] }); try { … } finally { await server.close(); }
 */
export async function startFakeHelloServer(policy: HelloPolicy): Promise<FakeHelloServer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer();
  const api: FakeHelloServer = {
    host: '127.0.0.1',
    port: 0,
    connections: 0,
    hellos: [],
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.once('close', () => sockets.delete(socket));
    api.connections += 1;
    if (policy.greet421After !== undefined && api.connections > policy.greet421After) {
      socket.end('421 4.7.0 fake.test Too many connections\r\n');
      return;
    }
    let tls = policy.implicitTls === true;
    let text = '';
    let bytes = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      if (tls) {
        bytes = Buffer.concat([bytes, chunk]);
        if (bytes.length < 5 || bytes.length < 5 + bytes.readUInt16BE(3)) return;
        if (bytes[0] !== 22) return; // our alert after the answer
        const hello = parseClientHello(bytes);
        bytes = Buffer.alloc(0);
        api.hellos.push(hello);
        respond(socket, hello);
        return;
      }
      text += chunk.toString('latin1');
      for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n')) {
        const line = text.slice(0, i).replace(/\r$/, '');
        text = text.slice(i + 1);
        const verb = line.split(' ')[0]?.toUpperCase();
        if (verb === 'EHLO') socket.write('250-fake.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n');
        else if (verb === 'STARTTLS') {
          socket.write('220 2.0.0 Ready to start TLS\r\n');
          tls = true;
          text = '';
          return;
        } else if (verb === 'QUIT') socket.end('221 2.0.0 Bye\r\n');
        else socket.write('500 5.5.2 unknown\r\n');
      }
    });
    if (policy.implicitTls !== true) socket.write('220 fake.test ESMTP hello-fake\r\n');
  });

  function respond(socket: net.Socket, hello: ReceivedHello): void {
    switch (policy.answer ?? 'policy') {
      case 'silent':
        return;
      case 'garbage':
        socket.write(Buffer.concat([Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n'), randomBytes(200)]));
        return;
      case 'huge': {
        // A ServerHello, then a Certificate message announced at 16 MiB, sent as long as the client reads (64 MiB at most).
        const sh = Buffer.concat([u16(0x0303), randomBytes(32), v1(Buffer.alloc(0)), u16(hello.suites[0] ?? 0x002f), Buffer.from([0])]);
        socket.write(tlsRecords(22, 0x0303, Buffer.concat([hs(2, sh), Buffer.from([11]), u24(0xffffff)])));
        const chunk = tlsRecords(22, 0x0303, Buffer.alloc(16384, 0x41));
        let sent = 0;
        const more = (): void => {
          while (!socket.destroyed && sent < 64 * 1024 * 1024) {
            sent += chunk.length;
            if (!socket.write(chunk)) return void socket.once('drain', more);
          }
        };
        more();
        return;
      }
      default: {
        const answer = answerHello(hello, policy);
        if (answer.length === 0) socket.destroy();
        else socket.write(answer);
      }
    }
  }

  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  api.port = (server.address() as AddressInfo).port;
  return api;
}
