/**
 * DNS queries over UDP with TCP fallback on truncation (RFC 7766), encoded with dns-packet.
 * Node's own `dns` module hides the DNSSEC AD flag (NODE-FACTS), and a later DANE check
 * needs both the flag and TLSA records, so mxprobe speaks the wire format itself.
 * Every exchange is bounded: one timeout per attempt, answers capped at 64 KiB.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { randomInt } from 'node:crypto';
import * as dnsPacket from 'dns-packet';
import { formatServer, type DnsServer } from './server-address.js';

export type { DnsServer } from './server-address.js';

export interface WireAnswer {
  rcode: string;
  authenticated: boolean;
  truncated: boolean;
  answers: dnsPacket.Answer[];
  server: string;
}

export class DnsTransportError extends Error {
  constructor(
    readonly kind: 'TIMEOUT' | 'NETWORK_ERROR',
    message: string,
  ) {
    super(message);
  }
}

const MAX_TCP_ANSWER = 65535;

function buildQuery(id: number, name: string, type: dnsPacket.RecordType): Buffer {
  return dnsPacket.encode({
    type: 'query',
    id,
    // AD in a query asks the resolver to report whether it validated the answer (RFC 6840 §5.7).
    flags: dnsPacket.RECURSION_DESIRED | dnsPacket.AUTHENTIC_DATA,
    questions: [{ type, name, class: 'IN' }],
    additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, flags: 0 } as dnsPacket.Answer],
  });
}

function toAnswer(packet: dnsPacket.DecodedPacket, server: DnsServer): WireAnswer {
  return {
    rcode: (packet as { rcode?: string }).rcode ?? 'NOERROR',
    authenticated: packet.flag_ad,
    truncated: packet.flag_tc,
    answers: packet.answers ?? [],
    server: formatServer(server),
  };
}

function matches(packet: dnsPacket.DecodedPacket, id: number, name: string, type: string): boolean {
  const q = packet.questions?.[0];
  return packet.id === id && packet.type === 'response' && q !== undefined && q.type === type && q.name.toLowerCase() === name.toLowerCase();
}

function queryUdp(server: DnsServer, name: string, type: dnsPacket.RecordType, timeoutMs: number): Promise<WireAnswer> {
  return new Promise((resolve, reject) => {
    const id = randomInt(0, 65536);
    const socket = dgram.createSocket(net.isIPv6(server.host) ? 'udp6' : 'udp4');
    let settled = false;
    const done = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.close();
      fn();
    };
    const timer = setTimeout(
      () => done(() => reject(new DnsTransportError('TIMEOUT', `no answer from ${formatServer(server)} within ${timeoutMs} ms`))),
      timeoutMs,
    );
    socket.on('error', (err) => done(() => reject(new DnsTransportError('NETWORK_ERROR', err.message))));
    socket.on('message', (msg, rinfo) => {
      if (rinfo.address !== server.host && !(rinfo.address === '::ffff:' + server.host)) return;
      let packet: dnsPacket.DecodedPacket;
      try {
        packet = dnsPacket.decode(msg);
      } catch {
        return; // not a DNS answer: keep waiting for one
      }
      if (!matches(packet, id, name, type)) return;
      done(() => resolve(toAnswer(packet, server)));
    });
    socket.send(buildQuery(id, name, type), server.port, server.host);
  });
}

function queryTcp(server: DnsServer, name: string, type: dnsPacket.RecordType, timeoutMs: number): Promise<WireAnswer> {
  return new Promise((resolve, reject) => {
    const id = randomInt(0, 65536);
    const query = buildQuery(id, name, type);
    const socket = net.connect({ host: server.host, port: server.port });
    let buffer = Buffer.alloc(0);
    let settled = false;
    const done = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      fn();
    };
    const timer = setTimeout(
      () => done(() => reject(new DnsTransportError('TIMEOUT', `no TCP answer from ${formatServer(server)} within ${timeoutMs} ms`))),
      timeoutMs,
    );
    socket.on('error', (err) => done(() => reject(new DnsTransportError('NETWORK_ERROR', err.message))));
    socket.on('close', () => done(() => reject(new DnsTransportError('NETWORK_ERROR', 'connection closed before an answer'))));
    socket.on('connect', () => {
      const length = Buffer.alloc(2);
      length.writeUInt16BE(query.length);
      socket.write(Buffer.concat([length, query]));
    });
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (buffer.length > MAX_TCP_ANSWER + 2) return done(() => reject(new DnsTransportError('NETWORK_ERROR', 'answer too large')));
      if (buffer.length < 2) return;
      const size = buffer.readUInt16BE(0);
      if (buffer.length < size + 2) return;
      try {
        const packet = dnsPacket.decode(buffer.subarray(2, size + 2));
        if (!matches(packet, id, name, type)) throw new Error('answer does not match the question');
        done(() => resolve(toAnswer(packet, server)));
      } catch (err) {
        done(() => reject(new DnsTransportError('NETWORK_ERROR', `bad answer: ${(err as Error).message}`)));
      }
    });
  });
}

/**
 * Asks each server in turn (two UDP tries each) until one answers; retries over TCP when
 * the UDP answer is truncated. Throws DnsTransportError when no server answers.
 */
export async function queryServers(
  servers: readonly DnsServer[],
  name: string,
  type: dnsPacket.RecordType,
  timeoutMs: number,
): Promise<WireAnswer> {
  let lastError: DnsTransportError = new DnsTransportError('NETWORK_ERROR', 'no DNS server configured');
  for (let attempt = 0; attempt < 2; attempt++) {
    for (const server of servers) {
      try {
        const answer = await queryUdp(server, name, type, timeoutMs);
        return answer.truncated ? await queryTcp(server, name, type, timeoutMs) : answer;
      } catch (err) {
        lastError = err instanceof DnsTransportError ? err : new DnsTransportError('NETWORK_ERROR', String(err));
      }
    }
  }
  throw lastError;
}
