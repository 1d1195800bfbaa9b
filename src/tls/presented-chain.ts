/**
 * The certificate chain exactly as the server presented it: the DER certificates of its
 * Certificate handshake message, in the order sent. Node's getPeerCertificate(true) cannot say
 * this: it returns a chain rebuilt by OpenSSL's verifier (sorted by issuer, unrelated certificates
 * dropped, the root added from the trust store).
 *
 * Input: the raw bytes the server sent from its first TLS record on (socket-tap.ts records
 * them), and for TLS 1.3, where everything after the ServerHello is encrypted, the NSS key log
 * lines of the session (tls.TLSSocket 'keylog' events) and the negotiated suite's standard name.
 *
 * TLS 1.0-1.2: the Certificate message (RFC 5246 §7.4.2) is plaintext. TLS 1.3 (RFC 8446): the
 * server handshake traffic secret gives key and IV (HKDF-Expand-Label, §7.1/§7.3); records are
 * decrypted in order (nonce = IV xor sequence number, AAD = record header, §5.2-5.4) until the
 * Certificate message (§4.4.2). A HelloRetryRequest and middlebox-compatibility
 * ChangeCipherSpec records are skipped.
 *
 * Pure (no I/O) and total: any input, however malformed, gives a result, never an exception.
 * Every length is checked against the bytes present; records, certificates and message sizes
 * are capped.
 */
import { createDecipheriv, createHmac } from 'node:crypto';

/** @example const presented: PresentedChain = presentedCertificates(tap.received(), keylog, 'TLS_AES_256_GCM_SHA384'); */
export type PresentedChain = { certificates: Buffer[] } | { error: string };

/** Most TLS records read before giving up (a chain rarely needs more than 10). */
const MAX_RECORDS = 4096;
/** Most certificates accepted in one Certificate message. */
const MAX_CERTIFICATES = 64;
/** Largest record fragment: TLSCiphertext may exceed 2^14 by 2048 (≤1.2) or 256 (1.3). */
const MAX_FRAGMENT = 16384 + 2048;
const MAX_INNER_PLAINTEXT = 16384 + 1;

const CT_CCS = 20;
const CT_ALERT = 21;
const CT_HANDSHAKE = 22;
const CT_APPLICATION_DATA = 23;

const HS_HELLO_REQUEST = 0;
const HS_SERVER_HELLO = 2;
const HS_ENCRYPTED_EXTENSIONS = 8;
const HS_CERTIFICATE = 11;
const HS_CERTIFICATE_REQUEST = 13;
const HS_COMPRESSED_CERTIFICATE = 25;

const EXT_SUPPORTED_VERSIONS = 43;
const TLS13 = 0x0304;

/** ServerHello.random of a HelloRetryRequest (RFC 8446 §4.1.3): SHA-256("HelloRetryRequest"). */
const HRR_RANDOM = Buffer.from('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c', 'hex');

interface Suite {
  name: string;
  aead: 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305' | 'aes-128-ccm';
  hash: 'sha256' | 'sha384';
  hashLength: number;
  keyLength: number;
  tagLength: number;
}

const TLS13_SUITES = new Map<number, Suite>([
  [0x1301, { name: 'TLS_AES_128_GCM_SHA256', aead: 'aes-128-gcm', hash: 'sha256', hashLength: 32, keyLength: 16, tagLength: 16 }],
  [0x1302, { name: 'TLS_AES_256_GCM_SHA384', aead: 'aes-256-gcm', hash: 'sha384', hashLength: 48, keyLength: 32, tagLength: 16 }],
  [0x1303, { name: 'TLS_CHACHA20_POLY1305_SHA256', aead: 'chacha20-poly1305', hash: 'sha256', hashLength: 32, keyLength: 32, tagLength: 16 }],
  [0x1304, { name: 'TLS_AES_128_CCM_SHA256', aead: 'aes-128-ccm', hash: 'sha256', hashLength: 32, keyLength: 16, tagLength: 16 }],
  [0x1305, { name: 'TLS_AES_128_CCM_8_SHA256', aead: 'aes-128-ccm', hash: 'sha256', hashLength: 32, keyLength: 16, tagLength: 8 }],
]);

const HANDSHAKE_NAMES: Record<number, string> = {
  0: 'HelloRequest',
  1: 'ClientHello',
  2: 'ServerHello',
  4: 'NewSessionTicket',
  5: 'EndOfEarlyData',
  8: 'EncryptedExtensions',
  11: 'Certificate',
  12: 'ServerKeyExchange',
  13: 'CertificateRequest',
  14: 'ServerHelloDone',
  15: 'CertificateVerify',
  16: 'ClientKeyExchange',
  20: 'Finished',
  22: 'CertificateStatus',
  24: 'KeyUpdate',
  25: 'CompressedCertificate',
};

const ALERT_NAMES: Record<number, string> = {
  0: 'close_notify',
  10: 'unexpected_message',
  20: 'bad_record_mac',
  22: 'record_overflow',
  40: 'handshake_failure',
  42: 'bad_certificate',
  47: 'illegal_parameter',
  50: 'decode_error',
  51: 'decrypt_error',
  70: 'protocol_version',
  71: 'insufficient_security',
  80: 'internal_error',
  86: 'inappropriate_fallback',
  109: 'missing_extension',
  110: 'unsupported_extension',
  112: 'unrecognized_name',
  116: 'certificate_required',
  120: 'no_application_protocol',
};

const handshakeName = (type: number): string => HANDSHAKE_NAMES[type] ?? `handshake message type ${type}`;

/** Thrown only inside this module, always caught by presentedCertificates. */
class ChainError extends Error {}

const fail = (message: string): never => {
  throw new ChainError(message);
};

/**
 * The certificates of the server's Certificate message, in the order sent, or why they cannot
 * be had. `serverBytes`: everything the server sent from its first TLS record on (a tail past
 * the Certificate message may be missing). `keylogLines`: the session's key log lines (TLS 1.3
 * only; the last SERVER_HANDSHAKE_TRAFFIC_SECRET that decrypts is used). `cipherStandardName`:
 * getCipher().standardName, checked against the ServerHello for TLS 1.3.
 *
 * @example presentedCertificates(tap.received(), keylog, 'TLS_AES_256_GCM_SHA384') // { certificates: [leafDer, intermediateDer] }
 */
export function presentedCertificates(
  serverBytes: Buffer,
  keylogLines: readonly Buffer[] | readonly string[],
  cipherStandardName: string,
): PresentedChain {
  try {
    return { certificates: parse(serverBytes, keylogLines, cipherStandardName) };
  } catch (err) {
    if (err instanceof ChainError) return { error: err.message };
    // A bug, not bad input: still never thrown at the caller, but marked as such.
    return { error: `internal error: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/** Bounds-checked reader over one buffer; any overrun throws a ChainError naming `what`. */
class Reader {
  private pos = 0;
  constructor(
    private readonly buf: Buffer,
    private readonly what: string,
  ) {}

  get left(): number {
    return this.buf.length - this.pos;
  }

  private need(n: number): void {
    if (n > this.left) fail(`${this.what}: truncated (needs ${n} more bytes, ${this.left} left)`);
  }

  u8(): number {
    this.need(1);
    return this.buf.readUInt8(this.pos++);
  }

  u16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  u24(): number {
    this.need(3);
    const v = this.buf.readUIntBE(this.pos, 3);
    this.pos += 3;
    return v;
  }

  bytes(n: number): Buffer {
    this.need(n);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /** A vector with a 1-, 2- or 3-byte length prefix. */
  vector(lengthBytes: 1 | 2 | 3): Buffer {
    const n = lengthBytes === 1 ? this.u8() : lengthBytes === 2 ? this.u16() : this.u24();
    return this.bytes(n);
  }

  end(): void {
    if (this.left !== 0) fail(`${this.what}: ${this.left} unexpected trailing bytes`);
  }
}

/** Reassembles handshake messages from record fragments (one message may span records). */
class HandshakeStream {
  private parts: Buffer[] = [];
  private length = 0;

  get pending(): number {
    return this.length;
  }

  push(fragment: Buffer): void {
    if (fragment.length === 0) return;
    this.parts.push(fragment);
    this.length += fragment.length;
  }

  /** The next complete message, or null when more bytes are needed. Never copies more than one message. */
  next(): { type: number; body: Buffer } | null {
    if (this.length < 4) return null;
    const head = this.peek(4);
    const type = head.readUInt8(0);
    const bodyLength = head.readUIntBE(1, 3);
    if (this.length < 4 + bodyLength) return null;
    const whole = this.take(4 + bodyLength);
    return { type, body: whole.subarray(4) };
  }

  private peek(n: number): Buffer {
    const first = this.parts[0];
    if (first !== undefined && first.length >= n) return first.subarray(0, n);
    return Buffer.concat(this.parts, this.length).subarray(0, n);
  }

  private take(n: number): Buffer {
    const all = this.parts.length === 1 ? (this.parts[0] ?? Buffer.alloc(0)) : Buffer.concat(this.parts, this.length);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.parts = rest.length > 0 ? [rest] : [];
    this.length = rest.length;
    return out;
  }
}

interface Tls13State {
  suite: Suite;
  candidates: Buffer[]; // server handshake traffic secrets, most recent first
  key: Buffer | null; // fixed once a candidate has decrypted the first record
  iv: Buffer | null;
  seq: bigint;
}

function parse(serverBytes: Buffer, keylogLines: readonly (Buffer | string)[], cipherStandardName: string): Buffer[] {
  if (!Buffer.isBuffer(serverBytes)) fail('server bytes: not a Buffer');
  const handshake = new HandshakeStream();
  let phase: 'hello' | 'tls12' | 'tls13' = 'hello';
  let tls13: Tls13State | null = null;
  let offset = 0;
  let records = 0;

  while (offset < serverBytes.length) {
    if (++records > MAX_RECORDS) fail(`more than ${MAX_RECORDS} records before the Certificate message`);
    const at = offset;
    if (serverBytes.length - at < 5) fail(`record ${records}: truncated header (received data ends)`);
    const header = serverBytes.subarray(at, at + 5);
    const type = header.readUInt8(0);
    const versionMajor = header.readUInt8(1);
    const length = header.readUInt16BE(3);
    if (versionMajor !== 3) fail(`record ${records} at byte ${at}: not a TLS record (version byte ${versionMajor})`);
    if (length > MAX_FRAGMENT) fail(`record ${records}: length ${length} exceeds the TLS maximum`);
    if (serverBytes.length - at - 5 < length) fail(`record ${records}: truncated (received data ends)`);
    const fragment = serverBytes.subarray(at + 5, at + 5 + length);
    offset = at + 5 + length;

    let plaintextType = type;
    let plaintext = fragment;
    if (type === CT_CCS) {
      // Before a Certificate: a TLS 1.3 middlebox-compatibility CCS (ignored, RFC 8446 §5), or a
      // TLS ≤1.2 server switching to encryption without one (an abbreviated, resumed handshake).
      if (phase === 'tls12') fail('the server switched to encryption without sending a Certificate (resumed session?)');
      continue;
    }
    if (type === CT_APPLICATION_DATA) {
      if (phase !== 'tls13' || tls13 === null) fail(`record ${records}: application data before the Certificate message`);
      const inner = decryptRecord(tls13 as Tls13State, header, fragment, records);
      plaintextType = inner.type;
      plaintext = inner.content;
    } else if (type === CT_HANDSHAKE && phase === 'tls13') {
      fail(`record ${records}: plaintext handshake record after the TLS 1.3 ServerHello`);
    }

    if (plaintextType === CT_ALERT) {
      const level = plaintext.length >= 1 ? plaintext.readUInt8(0) : -1;
      const description = plaintext.length >= 2 ? plaintext.readUInt8(1) : -1;
      const name = ALERT_NAMES[description] ?? `alert ${description}`;
      fail(`the server sent a ${level === 2 ? 'fatal ' : ''}alert before its Certificate: ${name}`);
    }
    if (plaintextType === CT_APPLICATION_DATA) fail(`record ${records}: application data before the Certificate message`);
    if (plaintextType !== CT_HANDSHAKE) fail(`record ${records}: unknown content type ${plaintextType}`);
    if (plaintext.length === 0 && phase !== 'tls13') fail(`record ${records}: empty handshake record`);
    handshake.push(plaintext);

    for (let message = handshake.next(); message !== null; message = handshake.next()) {
      const { type: hsType, body } = message;
      if (phase === 'hello') {
        if (hsType === HS_HELLO_REQUEST) continue;
        if (hsType !== HS_SERVER_HELLO) fail(`expected a ServerHello, the server sent ${handshakeName(hsType)}`);
        const hello = parseServerHello(body);
        if (hello.retry) continue; // HelloRetryRequest: the real ServerHello follows
        if (hello.version === TLS13) {
          const suite = TLS13_SUITES.get(hello.cipherSuite);
          if (suite === undefined) fail(`TLS 1.3 ServerHello with unknown cipher suite 0x${hello.cipherSuite.toString(16)}`);
          const known = suite as Suite;
          if (known.name !== cipherStandardName) {
            fail(`the ServerHello selected ${known.name}, the session reports ${cipherStandardName || 'no cipher'}`);
          }
          // The key changes after the ServerHello: nothing may follow it in the same record (§5.1).
          if (handshake.pending !== 0) fail('handshake bytes after the TLS 1.3 ServerHello in the same record');
          tls13 = { suite: known, candidates: handshakeSecrets(keylogLines, known), key: null, iv: null, seq: 0n };
          if (tls13.candidates.length === 0) {
            fail(`TLS 1.3 needs the key log: no SERVER_HANDSHAKE_TRAFFIC_SECRET of ${known.hashLength} bytes in it`);
          }
          phase = 'tls13';
        } else {
          phase = 'tls12';
        }
        continue;
      }
      if (hsType === HS_CERTIFICATE) return parseCertificate(body, phase === 'tls13');
      if (phase === 'tls13') {
        if (hsType === HS_ENCRYPTED_EXTENSIONS || hsType === HS_CERTIFICATE_REQUEST) continue;
        if (hsType === HS_COMPRESSED_CERTIFICATE) fail('the server sent a CompressedCertificate (RFC 8879): not supported');
        fail(`no Certificate message: the server sent ${handshakeName(hsType)} (PSK or resumed session?)`);
      }
      if (hsType === HS_HELLO_REQUEST) continue;
      fail(`no Certificate message: the server sent ${handshakeName(hsType)} (anonymous, PSK or resumed session?)`);
    }
  }
  fail(
    phase === 'hello'
      ? `no ServerHello in the ${serverBytes.length} bytes received`
      : `no complete Certificate message in the ${serverBytes.length} bytes received`,
  );
  return []; // unreachable: fail() throws
}

function parseServerHello(body: Buffer): { version: number; cipherSuite: number; retry: boolean } {
  const r = new Reader(body, 'ServerHello');
  const legacyVersion = r.u16();
  const random = r.bytes(32);
  r.vector(1); // legacy_session_id_echo
  const cipherSuite = r.u16();
  r.u8(); // compression method
  let version = legacyVersion;
  if (r.left > 0) {
    const extensions = new Reader(r.vector(2), 'ServerHello extensions');
    r.end();
    while (extensions.left > 0) {
      const type = extensions.u16();
      const data = extensions.vector(2);
      if (type === EXT_SUPPORTED_VERSIONS) {
        const sv = new Reader(data, 'supported_versions');
        version = sv.u16();
        sv.end();
      }
    }
  }
  if (version > TLS13 || version < 0x0300) fail(`ServerHello with unknown version 0x${version.toString(16)}`);
  if (version !== TLS13 && legacyVersion > 0x0303) fail('ServerHello claims TLS 1.3 without supported_versions');
  return { version, cipherSuite, retry: random.equals(HRR_RANDOM) };
}

/** TLS ≤1.2 (RFC 5246 §7.4.2) or TLS 1.3 (RFC 8446 §4.4.2) Certificate message body. */
function parseCertificate(body: Buffer, tls13: boolean): Buffer[] {
  const r = new Reader(body, 'Certificate message');
  if (tls13) r.vector(1); // certificate_request_context (empty from a server)
  const list = new Reader(r.vector(3), 'certificate list');
  r.end();
  const certificates: Buffer[] = [];
  while (list.left > 0) {
    if (certificates.length >= MAX_CERTIFICATES) fail(`more than ${MAX_CERTIFICATES} certificates`);
    const der = list.vector(3);
    if (der.length === 0) fail(`certificate ${certificates.length + 1}: empty`);
    if (tls13) list.vector(2); // per-certificate extensions (OCSP, SCT): not needed here
    certificates.push(Buffer.from(der)); // a copy, so the result does not pin the whole transcript
  }
  return certificates;
}

/** SERVER_HANDSHAKE_TRAFFIC_SECRET values of the right length, most recent first. */
function handshakeSecrets(lines: readonly (Buffer | string)[], suite: Suite): Buffer[] {
  const out: Buffer[] = [];
  if (!Array.isArray(lines)) return out;
  for (const line of lines as readonly unknown[]) {
    const text = Buffer.isBuffer(line) ? line.toString('latin1') : typeof line === 'string' ? line : '';
    // A 'keylog' event may carry one line or several; each is "LABEL <client_random> <secret>".
    for (const one of text.split(/\r?\n/)) {
      const fields = one.trim().split(/\s+/);
      if (fields.length !== 3 || fields[0] !== 'SERVER_HANDSHAKE_TRAFFIC_SECRET') continue;
      const hex = fields[2] ?? '';
      if (hex.length !== suite.hashLength * 2 || !/^[0-9a-fA-F]+$/.test(hex)) continue;
      out.push(Buffer.from(hex, 'hex'));
    }
  }
  return out.reverse();
}

/** HKDF-Expand-Label(secret, label, "", length) of RFC 8446 §7.1. */
function hkdfExpandLabel(hash: Suite['hash'], secret: Buffer, label: string, length: number): Buffer {
  const fullLabel = Buffer.from(`tls13 ${label}`, 'latin1');
  const info = Buffer.concat([
    Buffer.from([length >> 8, length & 0xff, fullLabel.length]),
    fullLabel,
    Buffer.from([0]), // empty context
  ]);
  // HKDF-Expand (RFC 5869 §2.3): T(i) = HMAC(PRK, T(i-1) | info | i).
  const blocks: Buffer[] = [];
  let previous = Buffer.alloc(0);
  let total = 0;
  for (let i = 1; total < length; i++) {
    previous = createHmac(hash, secret).update(previous).update(info).update(Buffer.from([i])).digest();
    blocks.push(previous);
    total += previous.length;
  }
  return Buffer.concat(blocks).subarray(0, length);
}

function aeadOpen(suite: Suite, key: Buffer, nonce: Buffer, aad: Buffer, ciphertext: Buffer, tag: Buffer): Buffer | null {
  try {
    if (suite.aead === 'aes-128-ccm') {
      const d = createDecipheriv(suite.aead, key, nonce, { authTagLength: suite.tagLength });
      d.setAuthTag(tag);
      d.setAAD(aad, { plaintextLength: ciphertext.length });
      const out = d.update(ciphertext); // CCM authenticates in update(); final() must still be called
      d.final();
      return out;
    }
    // Two calls only because @types/node has one overload per AEAD family.
    const d =
      suite.aead === 'chacha20-poly1305'
        ? createDecipheriv(suite.aead, key, nonce, { authTagLength: 16 })
        : createDecipheriv(suite.aead, key, nonce, { authTagLength: 16 });
    d.setAAD(aad, { plaintextLength: ciphertext.length });
    d.setAuthTag(tag);
    return Buffer.concat([d.update(ciphertext), d.final()]);
  } catch {
    return null; // authentication failed (or, never expected, parameters refused)
  }
}

function nonceFor(iv: Buffer, seq: bigint): Buffer {
  const nonce = Buffer.from(iv);
  const s = Buffer.alloc(8);
  s.writeBigUInt64BE(seq);
  for (let i = 0; i < 8; i++) {
    const at = nonce.length - 8 + i;
    nonce[at] = (nonce[at] ?? 0) ^ (s[i] ?? 0);
  }
  return nonce;
}

/** Decrypts one TLS 1.3 record (RFC 8446 §5.2) and strips the padding and inner content type. */
function decryptRecord(state: Tls13State, header: Buffer, fragment: Buffer, record: number): { type: number; content: Buffer } {
  const { suite } = state;
  if (fragment.length < suite.tagLength + 1) fail(`record ${record}: encrypted record too short`);
  if (fragment.length > MAX_INNER_PLAINTEXT + 255) fail(`record ${record}: encrypted record too long`);
  const ciphertext = fragment.subarray(0, fragment.length - suite.tagLength);
  const tag = fragment.subarray(fragment.length - suite.tagLength);

  let plaintext: Buffer | null = null;
  if (state.key !== null && state.iv !== null) {
    plaintext = aeadOpen(suite, state.key, nonceFor(state.iv, state.seq), header, ciphertext, tag);
    if (plaintext === null) fail(`record ${record}: decryption failed (corrupted record)`);
  } else {
    // First encrypted record: the secret that authenticates it is this session's.
    for (const secret of state.candidates) {
      const key = hkdfExpandLabel(suite.hash, secret, 'key', suite.keyLength);
      const iv = hkdfExpandLabel(suite.hash, secret, 'iv', 12);
      plaintext = aeadOpen(suite, key, nonceFor(iv, 0n), header, ciphertext, tag);
      if (plaintext !== null) {
        state.key = key;
        state.iv = iv;
        break;
      }
    }
    if (plaintext === null) fail("the key log's SERVER_HANDSHAKE_TRAFFIC_SECRET does not decrypt the server's handshake");
  }
  state.seq++;
  const inner = plaintext as Buffer;
  let end = inner.length;
  while (end > 0 && inner[end - 1] === 0) end--;
  if (end === 0) fail(`record ${record}: encrypted record without a content type`);
  if (end - 1 > MAX_INNER_PLAINTEXT - 1) fail(`record ${record}: decrypted record too long`);
  return { type: inner[end - 1] ?? 0, content: inner.subarray(0, end - 1) };
}
