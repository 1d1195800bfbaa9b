// Hand-built TLS server flights for the unit tests of the TLS wire readers (src/tls/wire/,
// presented-chain.ts, server-signature.ts): records, handshake messages, TLS 1.2 ServerHello and
// Certificate bodies, and whole TLS 1.3 flights encrypted as a server encrypts them (RFC 8446 §5.2)
// with the key log line that opens them. Test helper only.
import { createCipheriv, createHmac, randomBytes } from 'node:crypto';

export interface SynthSuite {
  name: string;
  code: number;
  aead: 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305' | 'aes-128-ccm';
  hash: 'sha256' | 'sha384';
  keyLength: number;
  tagLength: number;
}

export const SUITES: SynthSuite[] = [
  { name: 'TLS_AES_128_GCM_SHA256', code: 0x1301, aead: 'aes-128-gcm', hash: 'sha256', keyLength: 16, tagLength: 16 },
  { name: 'TLS_AES_256_GCM_SHA384', code: 0x1302, aead: 'aes-256-gcm', hash: 'sha384', keyLength: 32, tagLength: 16 },
  { name: 'TLS_CHACHA20_POLY1305_SHA256', code: 0x1303, aead: 'chacha20-poly1305', hash: 'sha256', keyLength: 32, tagLength: 16 },
  { name: 'TLS_AES_128_CCM_8_SHA256', code: 0x1305, aead: 'aes-128-ccm', hash: 'sha256', keyLength: 16, tagLength: 8 },
];

/** A 24-bit big-endian length. */
export function u24(n: number): Buffer {
  return Buffer.from([(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]);
}

/** A handshake message: type, 24-bit length, body. @example hsMsg(11, certificate12([der])) */
export function hsMsg(type: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([type]), u24(body.length), body]);
}

/** One TLS 1.2 record of `type` around `fragment`. @example record(22, hsMsg(2, serverHello12())) */
export function record(type: number, fragment: Buffer): Buffer {
  return Buffer.concat([Buffer.from([type, 3, 3, fragment.length >> 8, fragment.length & 0xff]), fragment]);
}

/** `data` cut into records of `size` bytes. @example records(22, handshakeBytes, 1) */
export function records(type: number, data: Buffer, size: number): Buffer {
  const out: Buffer[] = [];
  for (let i = 0; i < data.length; i += size) out.push(record(type, data.subarray(i, i + size)));
  return Buffer.concat(out);
}

/** A TLS 1.2 ServerHello body (ECDHE-RSA-AES128-GCM-SHA256, no session id, empty extensions). */
export function serverHello12(): Buffer {
  return Buffer.concat([Buffer.from([3, 3]), randomBytes(32), Buffer.from([0, 0xc0, 0x2f, 0, 0, 0])]);
}

/** A TLS 1.2 Certificate message body holding `list`. */
export function certificate12(list: Buffer[]): Buffer {
  const entries = Buffer.concat(list.map((c) => Buffer.concat([u24(c.length), c])));
  return Buffer.concat([u24(entries.length), entries]);
}

/** HKDF-Expand-Label with an empty context, for outputs no longer than one hash block. */
function expandLabel(hash: string, secret: Buffer, label: string, length: number): Buffer {
  const full = Buffer.from(`tls13 ${label}`);
  const info = Buffer.concat([Buffer.from([0, length, full.length]), full, Buffer.from([0, 1])]);
  return createHmac(hash, secret).update(info).digest().subarray(0, length);
}

/**
 * A TLS 1.3 server flight: ServerHello, a CCS, then EncryptedExtensions, CertificateRequest,
 * Certificate (of `list`) and CertificateVerify encrypted under a fresh handshake secret, with the
 * key log line that opens them. `split` cuts the handshake into records of that size, `padding`
 * pads each, `replaceCertificate` and `rawHandshake` replace the Certificate message or the whole
 * encrypted handshake.
 *
 * @example const flight = tls13Flight(SUITES[0], [der]); presentedCertificates(flight.bytes, [flight.keylog], SUITES[0].name)
 */
export function tls13Flight(
  suite: SynthSuite,
  list: Buffer[],
  opts: { split?: number; padding?: number; replaceCertificate?: Buffer; rawHandshake?: Buffer } = {},
): { bytes: Buffer; keylog: string; handshake: Buffer } {
  const secret = randomBytes(suite.hash === 'sha384' ? 48 : 32);
  const key = expandLabel(suite.hash, secret, 'key', suite.keyLength);
  const iv = expandLabel(suite.hash, secret, 'iv', 12);
  const sh = Buffer.concat([
    Buffer.from([3, 3]),
    randomBytes(32),
    Buffer.from([32]),
    randomBytes(32),
    Buffer.from([suite.code >> 8, suite.code & 0xff, 0]),
    Buffer.from([0, 6, 0, 43, 0, 2, 3, 4]),
  ]);
  const entries = Buffer.concat(list.map((c) => Buffer.concat([u24(c.length), c, Buffer.from([0, 0])])));
  const certMsg =
    opts.replaceCertificate ?? hsMsg(11, Buffer.concat([Buffer.from([2, 0xaa, 0xbb]), u24(entries.length), entries]));
  const handshake =
    opts.rawHandshake ??
    Buffer.concat([hsMsg(8, Buffer.from([0, 0])), hsMsg(13, Buffer.from([0, 0, 0])), certMsg, hsMsg(15, Buffer.alloc(8))]);
  const out = [record(22, hsMsg(2, sh)), record(20, Buffer.from([1]))];
  const size = opts.split ?? 16384;
  let seq = 0;
  for (let i = 0; i < handshake.length; i += size) {
    const inner = Buffer.concat([handshake.subarray(i, i + size), Buffer.from([22]), Buffer.alloc(opts.padding ?? 0)]);
    const length = inner.length + suite.tagLength;
    const header = Buffer.from([23, 3, 3, length >> 8, length & 0xff]);
    const nonce = Buffer.from(iv);
    nonce.writeUInt32BE((nonce.readUInt32BE(8) ^ seq++) >>> 0, 8);
    let sealed: Buffer;
    if (suite.aead === 'aes-128-ccm') {
      const c = createCipheriv(suite.aead, key, nonce, { authTagLength: suite.tagLength });
      c.setAAD(header, { plaintextLength: inner.length });
      sealed = Buffer.concat([c.update(inner), c.final(), c.getAuthTag()]);
    } else {
      const c =
        suite.aead === 'chacha20-poly1305'
          ? createCipheriv(suite.aead, key, nonce, { authTagLength: 16 })
          : createCipheriv(suite.aead, key, nonce);
      c.setAAD(header, { plaintextLength: inner.length });
      sealed = Buffer.concat([c.update(inner), c.final(), c.getAuthTag()]);
    }
    out.push(header, sealed);
    if (seq === 1) out.push(record(20, Buffer.from([1]))); // a stray CCS between encrypted records
  }
  const keylog = `SERVER_HANDSHAKE_TRAFFIC_SECRET ${randomBytes(32).toString('hex')} ${secret.toString('hex')}\n`;
  return { bytes: Buffer.concat(out), keylog, handshake };
}
