/**
 * The wire numbers of TLS versions, a view of the one protocol table's `wire` column
 * (model/tls-protocols.ts): the versions a deep probe's hand-built ClientHellos offer, typed as
 * the deep facts name them (DeepProtocol), and the short keys the wire readers compare with
 * (`WIRE_VERSION.tls12`). The numbers themselves are the table's.
 */
import type { DeepProtocol } from './deep.js';
import { TLS_PROTOCOLS } from './tls-protocols.js';

/**
 * Every row of the protocol table whose wire number a TLS record carries, SSLv3 (0x0300, RFC
 * 6101 §5.2.1) and later, oldest first. SSLv2's hello has another format and is not sent.
 *
 * @example DEEP_PROTOCOLS.map((p) => p.name) // ['SSLv3', 'TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3']
 */
export const DEEP_PROTOCOLS: ReadonlyArray<{ readonly name: DeepProtocol; readonly wire: number }> = TLS_PROTOCOLS.flatMap((row) =>
  row.wire !== null && row.wire >= 0x0300 ? [{ name: row.name as DeepProtocol, wire: row.wire }] : [],
);

/**
 * The wire number of a version the deep scans offer.
 *
 * @example wireOf('TLSv1') // 0x0301
 */
export function wireOf(protocol: DeepProtocol): number {
  const row = DEEP_PROTOCOLS.find((p) => p.name === protocol);
  if (row === undefined) throw new RangeError(`unknown protocol ${protocol}`);
  return row.wire;
}

/**
 * The version of a wire number the deep scans offer; null for any other number.
 *
 * @example protocolOfWire(0x0303) // 'TLSv1.2'
 */
export function protocolOfWire(wire: number): DeepProtocol | null {
  return DEEP_PROTOCOLS.find((p) => p.wire === wire)?.name ?? null;
}

/**
 * The wire numbers of the versions a hello offers, by short key, for wire code that compares
 * versions (`hello.version <= WIRE_VERSION.tls12`).
 *
 * @example WIRE_VERSION.tls12 // 0x0303
 */
export const WIRE_VERSION = {
  ssl3: wireOf('SSLv3'),
  tls10: wireOf('TLSv1'),
  tls11: wireOf('TLSv1.1'),
  tls12: wireOf('TLSv1.2'),
  tls13: wireOf('TLSv1.3'),
} as const;
