/**
 * The ServerKeyExchange of TLS 1.0–1.2 (RFC 5246 §7.4.3; ECDHE: RFC 8422 §5.4) up to its
 * signature: the ephemeral DH or ECDH parameters, then in TLS 1.2 the SignatureAndHashAlgorithm
 * that signed them (RFC 5246 §7.4.1.4.1). TLS 1.0/1.1 carry no algorithm (RFC 4346 §7.4.3).
 */
import { createHash } from 'node:crypto';
import { FFDHE_PRIME_SHA256 } from '../../model/named-groups.js';
import { ByteReader, WireError } from './byte-reader.js';

/** @example readServerKeyExchange(body, 'ECDH', true)?.scheme // 0x0804 */
export interface ServerKeyExchange {
  /** ServerECDHParams or ServerDHParams, whole. */
  params: Buffer;
  /** The TLS 1.2 signature scheme code (RFC 8446 §4.2.3 numbering); null before TLS 1.2. */
  scheme: number | null;
}

/**
 * Reads a ServerKeyExchange body for an ECDHE (`ECDH`: named curve only, RFC 8422 §5.4) or DHE
 * (`DH`: p, g, Ys) exchange; `tls12` when the scheme follows the parameters. Null when the body
 * does not hold that layout.
 *
 * @example readServerKeyExchange(event.body, 'DH', false)?.params.length
 */
export function readServerKeyExchange(body: Buffer, kx: 'ECDH' | 'DH', tls12: boolean): ServerKeyExchange | null {
  const r = new ByteReader(body, 'ServerKeyExchange');
  try {
    if (kx === 'ECDH') {
      if (r.u8() !== 3) return null; // curve_type named_curve
      r.u16(); // NamedCurve
      r.vector(1); // the public point
    } else {
      for (let i = 0; i < 3; i++) r.vector(2); // dh_p, dh_g, dh_Ys
    }
    const params = body.subarray(0, body.length - r.left);
    return { params, scheme: tls12 ? r.u16() : null };
  } catch (err) {
    if (err instanceof WireError) return null;
    throw err;
  }
}

/**
 * The ephemeral group of a ServerKeyExchange, where the suite is not known to the reader: the
 * named curve of an ECDHE exchange (RFC 8422 §5.4) or the size in bits of a DHE prime p
 * (RFC 5246 §7.4.3), whichever layout reads the body exactly (signed after TLS 1.2's scheme,
 * signed without one before, or unsigned for anonymous suites). Null when neither does.
 *
 * @example keyExchangeGroup(event.body, true) // { type: 'DH', primeBits: 1024 }
 */
export type KeyExchangeGroup = { type: 'ECDH'; group: number } | { type: 'DH'; primeBits: number; named: string | null };

/** @example keyExchangeGroup(body, true)?.type // 'ECDH' */
export function keyExchangeGroup(body: Buffer, tls12: boolean): KeyExchangeGroup | null {
  for (const kx of ['ECDH', 'DH'] as const) {
    for (const signed of [true, false]) {
      const r = new ByteReader(body, 'ServerKeyExchange');
      try {
        let found: KeyExchangeGroup;
        if (kx === 'ECDH') {
          if (r.u8() !== 3) continue; // curve_type named_curve
          found = { type: 'ECDH', group: r.u16() };
          if (r.vector(1).length === 0) continue;
        } else {
          const p = r.vector(2);
          r.vector(2); // g
          r.vector(2); // Ys
          found = { type: 'DH', primeBits: bitLength(p), named: rfc7919Group(p) };
        }
        if (signed) {
          if (tls12) r.u16(); // SignatureAndHashAlgorithm
          r.vector(2);
        }
        r.end();
        return found;
      } catch (err) {
        if (!(err instanceof WireError)) throw err;
      }
    }
  }
  return null;
}

/** The RFC 7919 group a DH prime is, by its hash (model/named-groups.ts), or null for a prime of the server's own. */
function rfc7919Group(p: Buffer): string | null {
  let i = 0;
  while (i < p.length - 1 && p[i] === 0) i += 1;
  return FFDHE_PRIME_SHA256.get(createHash('sha256').update(p.subarray(i)).digest('hex')) ?? null;
}

/** Bits of an unsigned big-endian integer (leading zero bytes ignored). */
function bitLength(n: Buffer): number {
  let i = 0;
  while (i < n.length && n[i] === 0) i++;
  if (i === n.length) return 0;
  return (n.length - i - 1) * 8 + (32 - Math.clz32(n[i] as number));
}
