/**
 * The TLS handshake protocol's framing (RFC 8446 §4, RFC 5246 §7.4): message types and their
 * names, and the reassembly of handshake messages from record fragments (a message may span
 * records, and a record may hold several messages: RFC 5246 §6.2.1).
 */

/** Handshake message types the readers act on (RFC 8446 §4, RFC 5246 §7.4). @example message.type === HANDSHAKE_TYPE.certificate */
export const HANDSHAKE_TYPE = {
  helloRequest: 0,
  clientHello: 1,
  serverHello: 2,
  encryptedExtensions: 8,
  certificate: 11,
  serverKeyExchange: 12,
  certificateRequest: 13,
  serverHelloDone: 14,
  compressedCertificate: 25,
} as const;

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

/** A handshake message type's name. @example handshakeName(11) // 'Certificate' */
export function handshakeName(type: number): string {
  return HANDSHAKE_NAMES[type] ?? `handshake message type ${type}`;
}

/** One handshake message: its type and body (without the 4-byte header). @example if (message.type === HANDSHAKE_TYPE.serverHello) parseServerHello(message.body) */
export interface HandshakeMessage {
  type: number;
  body: Buffer;
}

/**
 * Reassembles handshake messages from record fragments, in order.
 *
 * @example const stream = new HandshakeStream(); stream.push(fragment); for (let m = stream.next(); m !== null; m = stream.next()) use(m);
 */
export class HandshakeStream {
  private parts: Buffer[] = [];
  private length = 0;

  /** Bytes pushed and not yet taken as a message. */
  get pending(): number {
    return this.length;
  }

  push(fragment: Buffer): void {
    if (fragment.length === 0) return;
    this.parts.push(fragment);
    this.length += fragment.length;
  }

  /** The next complete message, or null when more bytes are needed. Never copies more than one message. */
  next(): HandshakeMessage | null {
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
