/**
 * Decryption of the server's TLS 1.3 handshake (RFC 8446), which is encrypted from the
 * EncryptedExtensions on: the session's server handshake traffic secret (from Node's NSS key
 * log, the TLSSocket 'keylog' event) gives key and IV (HKDF-Expand-Label, §7.1/§7.3); records
 * are opened in order (nonce = IV xor sequence number, additional data = the record header,
 * §5.2–5.4) and stripped of their padding and inner content type.
 */
import { createDecipheriv, createHmac } from 'node:crypto';
import { wireError } from './byte-reader.js';

/** A TLS 1.3 cipher suite (RFC 8446 §B.4): its AEAD and hash (its names are model/cipher-suites.ts's). @example TLS13_SUITES.get(0x1301)?.aead // 'aes-128-gcm' */
export interface Tls13Suite {
  aead: 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305' | 'aes-128-ccm';
  hash: 'sha256' | 'sha384';
  hashLength: number;
  keyLength: number;
  tagLength: number;
}

/** The TLS 1.3 suites by code (RFC 8446 §B.4). @example TLS13_SUITES.get(hello.cipherSuite) */
export const TLS13_SUITES: ReadonlyMap<number, Tls13Suite> = new Map<number, Tls13Suite>([
  [0x1301, { aead: 'aes-128-gcm', hash: 'sha256', hashLength: 32, keyLength: 16, tagLength: 16 }],
  [0x1302, { aead: 'aes-256-gcm', hash: 'sha384', hashLength: 48, keyLength: 32, tagLength: 16 }],
  [0x1303, { aead: 'chacha20-poly1305', hash: 'sha256', hashLength: 32, keyLength: 32, tagLength: 16 }],
  [0x1304, { aead: 'aes-128-ccm', hash: 'sha256', hashLength: 32, keyLength: 16, tagLength: 16 }],
  [0x1305, { aead: 'aes-128-ccm', hash: 'sha256', hashLength: 32, keyLength: 16, tagLength: 8 }],
]);

/** Largest TLSInnerPlaintext (RFC 8446 §5.4): 2^14 bytes and the content type. */
const MAX_INNER_PLAINTEXT = 16384 + 1;

/**
 * The SERVER_HANDSHAKE_TRAFFIC_SECRET values of the right length for `suite` in NSS key log
 * lines (one or several per entry: "LABEL <client_random> <secret>"), most recent first.
 * Anything that is not such a line is skipped.
 *
 * @example handshakeSecrets(keylog, TLS13_SUITES.get(0x1302)!).length // 1
 */
export function handshakeSecrets(lines: readonly (Buffer | string)[], suite: Tls13Suite): Buffer[] {
  const out: Buffer[] = [];
  if (!Array.isArray(lines)) return out;
  for (const line of lines as readonly unknown[]) {
    const text = Buffer.isBuffer(line) ? line.toString('latin1') : typeof line === 'string' ? line : '';
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

/**
 * HKDF-Expand-Label(secret, label, "", length) of RFC 8446 §7.1.
 *
 * @example hkdfExpandLabel('sha256', secret, 'key', 16)
 */
export function hkdfExpandLabel(hash: Tls13Suite['hash'], secret: Buffer, label: string, length: number): Buffer {
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

function aeadOpen(suite: Tls13Suite, key: Buffer, nonce: Buffer, aad: Buffer, ciphertext: Buffer, tag: Buffer): Buffer | null {
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

/**
 * Opens the server's encrypted handshake records in order. The first record picks, among
 * the candidate secrets, the one that authenticates it (a key log may hold other sessions');
 * every later record must open with the same keys.
 *
 * @example const decrypter = new HandshakeDecrypter(suite, handshakeSecrets(keylog, suite)); decrypter.open(record.header, record.fragment, record.index)
 */
export class HandshakeDecrypter {
  private key: Buffer | null = null;
  private iv: Buffer | null = null;
  private seq = 0n;

  constructor(
    readonly suite: Tls13Suite,
    /** Server handshake traffic secrets, most likely first. */
    private readonly candidates: readonly Buffer[],
  ) {}

  /**
   * The content type and content of one encrypted record (RFC 8446 §5.2), or a WireError:
   * too short or long, not authentic, or without a content type. `record` numbers it in messages.
   */
  open(header: Buffer, fragment: Buffer, record: number): { type: number; content: Buffer } {
    const { suite } = this;
    if (fragment.length < suite.tagLength + 1) wireError(`record ${record}: encrypted record too short`);
    if (fragment.length > MAX_INNER_PLAINTEXT + 255) wireError(`record ${record}: encrypted record too long`);
    const ciphertext = fragment.subarray(0, fragment.length - suite.tagLength);
    const tag = fragment.subarray(fragment.length - suite.tagLength);

    let plaintext: Buffer | null = null;
    if (this.key !== null && this.iv !== null) {
      plaintext = aeadOpen(suite, this.key, nonceFor(this.iv, this.seq), header, ciphertext, tag);
      if (plaintext === null) wireError(`record ${record}: decryption failed (corrupted record)`);
    } else {
      for (const secret of this.candidates) {
        const key = hkdfExpandLabel(suite.hash, secret, 'key', suite.keyLength);
        const iv = hkdfExpandLabel(suite.hash, secret, 'iv', 12);
        plaintext = aeadOpen(suite, key, nonceFor(iv, 0n), header, ciphertext, tag);
        if (plaintext !== null) {
          this.key = key;
          this.iv = iv;
          break;
        }
      }
      if (plaintext === null) wireError("the key log's SERVER_HANDSHAKE_TRAFFIC_SECRET does not decrypt the server's handshake");
    }
    this.seq++;
    const inner = plaintext as Buffer;
    let end = inner.length;
    while (end > 0 && inner[end - 1] === 0) end--;
    if (end === 0) wireError(`record ${record}: encrypted record without a content type`);
    if (end - 1 > MAX_INNER_PLAINTEXT - 1) wireError(`record ${record}: decrypted record too long`);
    return { type: inner[end - 1] ?? 0, content: inner.subarray(0, end - 1) };
  }
}
