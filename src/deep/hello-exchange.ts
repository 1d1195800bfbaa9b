/**
 * One hand-built ClientHello and its answer, on a connection of its own: through the deep
 * probe's gate (connection-gate.ts: one at a time, counted, a 421 ends the deep probe), write
 * the hello at the start of TLS, read until the answer is whole (tls/wire/hello-answer.ts:
 * ServerHelloDone for TLS ≤1.2, the ServerHello for TLS 1.3, an alert, a close) within the
 * handshake's cap and a byte cap, then send a fatal alert (RFC 8446 §6.2: the client gives up
 * the handshake) and close. The scans (scan-protocols.ts, scan-ciphers.ts, scan-groups.ts)
 * take a HelloExchanger, so tests can give a fake one.
 */
import type net from 'node:net';
import { StageError } from '../smtp/connection.js';
import { WIRE_VERSION } from '../model/wire-versions.js';
import { alertRecord, buildClientHello, type ClientHelloOptions } from '../tls/wire/client-hello.js';
import { readHelloAnswer, type HelloAnswer, type ReadState } from '../tls/wire/hello-answer.js';
import { ipFamily } from '../input/ip-family.js';
import type { ConnectionGate } from './connection-gate.js';

/**
 * Sends one hello on a new connection and says what the server answered. Rejects only with
 * DeepStopped (the deep probe must stop: a 421, the run stopped) or a bug.
 *
 * @example const answer = await exchange({ version: WIRE_VERSION.tls12, cipherSuites: [0x000a] });
 */
export type HelloExchanger = (hello: ClientHelloOptions) => Promise<HelloAnswer>;

/** Most bytes read in answer to one hello: a ServerHello, a chain of certificates (rarely above 16 KiB), a key exchange. @example received > MAX_ANSWER_BYTES */
export const MAX_ANSWER_BYTES = 128 * 1024;

/** The alert sent before closing: handshake_failure (RFC 8446 §6.2). */
const HANDSHAKE_FAILURE = 40;

/**
 * The exchanger of a deep probe: each hello on a connection of `gate`, with SNI the target's
 * host name (none for an address literal) unless the hello names one.
 *
 * @example const exchange = helloExchanger(new ConnectionGate(run, { delayMs: 0 })); const answer = await exchange(hello);
 */
export function helloExchanger(gate: ConnectionGate, maxBytes = MAX_ANSWER_BYTES): HelloExchanger {
  const { run } = gate;
  const host = run.target.host;
  return async (options) => {
    const hello = buildClientHello({ ...options, serverName: options.serverName === undefined ? (ipFamily(host) === 0 ? host : null) : options.serverName });
    let socket: net.Socket;
    try {
      ({ socket } = await gate.reach());
    } catch (err) {
      if (!(err instanceof StageError)) throw err; // DeepStopped, or a bug
      return { kind: 'unreached', message: err.message };
    }
    // The alert's record version: the one the server chose, else the hello's record's.
    let recordVersion: number = options.version === WIRE_VERSION.ssl3 ? WIRE_VERSION.ssl3 : WIRE_VERSION.tls10;
    try {
      const answer = await run.within('handshake', (ms) => exchangeOn(socket, hello, ms, maxBytes));
      if (answer.kind === 'server-hello') recordVersion = Math.min(answer.hello.version, WIRE_VERSION.tls12);
      return answer;
    } catch (err) {
      if (err instanceof StageError && err.kind === 'aborted') gate.stop({ stage: 'handshake', kind: 'aborted', message: err.message });
      throw err;
    } finally {
      if (!socket.destroyed && socket.writable) socket.write(alertRecord(HANDSHAKE_FAILURE, recordVersion));
      gate.done();
    }
  };
}

/** Writes `hello` and reads the answer within `timeoutMs` and `maxBytes`. Never rejects for the server's doing. */
function exchangeOn(socket: net.Socket, hello: Buffer, timeoutMs: number, maxBytes: number): Promise<HelloAnswer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const finish = (state: ReadState) => {
      const answer = readHelloAnswer(Buffer.concat(chunks, received), state);
      if (answer === null) return;
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onClose);
      socket.off('close', onClose);
      socket.off('error', onClose);
      socket.pause();
      resolve(answer);
    };
    const onData = (chunk: Buffer) => {
      const room = maxBytes - received;
      if (chunk.length > room) {
        chunks.push(chunk.subarray(0, room));
        received += room;
        finish('too-large');
        return;
      }
      chunks.push(chunk);
      received += chunk.length;
      finish('open');
    };
    const onClose = () => finish('closed');
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    socket.on('data', onData);
    socket.once('end', onClose);
    socket.once('close', onClose);
    socket.once('error', onClose);
    socket.write(hello);
    socket.resume();
  });
}

/**
 * An exchanger that sends each distinct hello once: the scans offer some hellos alike (the
 * protocol scan's TLS 1.2 hello is the cipher scan's first), so the deep probe asks once.
 * A hello whose connection failed is asked again.
 *
 * @example const exchange = rememberAnswers(helloExchanger(gate));
 */
export function rememberAnswers(exchange: HelloExchanger): HelloExchanger {
  const seen = new Map<string, HelloAnswer>();
  return async (hello) => {
    const key = JSON.stringify(hello);
    const known = seen.get(key);
    if (known !== undefined) return known;
    const answer = await exchange(hello);
    if (answer.kind !== 'unreached') seen.set(key, answer);
    return answer;
  };
}

/**
 * An answer in words, for the facts' notes (server text is not in it: alert names come from
 * the table).
 *
 * @example describeAnswer({ kind: 'alert', level: 2, description: 40, name: 'handshake_failure' }) // 'alert handshake_failure'
 */
export function describeAnswer(answer: HelloAnswer): string {
  switch (answer.kind) {
    case 'server-hello':
      return `ServerHello 0x${answer.hello.version.toString(16)}`;
    case 'alert':
      return `alert ${answer.name}`;
    case 'closed':
      return 'the server closed the connection';
    case 'timeout':
      return 'no answer in time';
    case 'not-tls':
    case 'unreached':
      return answer.message;
  }
}
