/**
 * A bounds-checked reader over one buffer of TLS wire data (RFC 8446 §3: big-endian integers,
 * vectors with a 1-, 2- or 3-byte length prefix), and WireError, the one error the wire
 * readers throw: a message that is malformed, cut short or not what the reader expected,
 * in words. The readers' callers catch it and turn it into a result; nothing else is thrown.
 */

/**
 * Malformed or unexpected TLS bytes, in words ("ServerHello: truncated (needs 2 more bytes, 0 left)").
 *
 * @example try { parseServerHello(body) } catch (err) { if (err instanceof WireError) return { error: err.message } }
 */
export class WireError extends Error {
  override name = 'WireError';
}

/**
 * Throws a WireError: for the readers, and for their callers that reject what they read.
 *
 * @example if (length > MAX_FRAGMENT) wireError(`record ${n}: length ${length} exceeds the TLS maximum`);
 */
export function wireError(message: string): never {
  throw new WireError(message);
}

/**
 * Reads integers and vectors off `buf` in order; any read past its end throws a WireError naming `what`.
 *
 * @example const r = new ByteReader(body, 'ServerHello'); const version = r.u16(); const random = r.bytes(32);
 */
export class ByteReader {
  private pos = 0;

  constructor(
    private readonly buf: Buffer,
    private readonly what: string,
  ) {}

  /** Bytes not read yet. */
  get left(): number {
    return this.buf.length - this.pos;
  }

  private need(n: number): void {
    if (n > this.left) wireError(`${this.what}: truncated (needs ${n} more bytes, ${this.left} left)`);
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

  /** The next `n` bytes (a view, not a copy). */
  bytes(n: number): Buffer {
    this.need(n);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /** A vector with a 1-, 2- or 3-byte length prefix (RFC 8446 §3.4). */
  vector(lengthBytes: 1 | 2 | 3): Buffer {
    const n = lengthBytes === 1 ? this.u8() : lengthBytes === 2 ? this.u16() : this.u24();
    return this.bytes(n);
  }

  /** Throws unless every byte was read. */
  end(): void {
    if (this.left !== 0) wireError(`${this.what}: ${this.left} unexpected trailing bytes`);
  }
}
