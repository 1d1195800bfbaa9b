/**
 * A recording pass-through for the TLS upgrade: a Duplex that `tls.connect({ socket })` runs
 * over (Node wraps any non-net stream in its internal JSStreamSocket), forwarding every byte
 * both ways to the real net.Socket and keeping a copy of what the SERVER sent (up to a limit),
 * so that the handshake can be read as it came off the wire (see presented-chain.ts).
 *
 * Propagation: the socket's data, end, error and close reach the Duplex; writing, ending and
 * destroying the Duplex write to, end and destroy the socket. Backpressure both ways: a full
 * Duplex read buffer pauses the socket until TLS reads again; each write completes only when
 * the socket has taken it (its write callback).
 *
 * The socket may be handed over paused and without listeners (SmtpConnection.detach()):
 * bytes still buffered in it are read first, and it is resumed when TLS starts reading.
 * It must be in binary mode (no setEncoding): text chunks cannot be turned back into bytes.
 */
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';

/** @example const tap = tapSocket(socket, 256 * 1024); tls.connect({ socket: tap.stream }); */
export interface SocketTap {
  /** Pass as `tls.connect({ socket: tap.stream })`. */
  stream: Duplex;
  /** The server's bytes recorded so far (a copy; at most maxBytes). */
  received(): Buffer;
  /** Stops recording; what was recorded stays available. Forwarding is unaffected. */
  stopRecording(): void;
  /** True when recording stopped because the server sent more than maxBytes. */
  truncated(): boolean;
}

/**
 * A recording pass-through over `socket`, keeping at most `maxBytes` of what the server sends (0: none).
 *
 * @example const tap = tapSocket(socket, 256 * 1024); const secure = tls.connect({ socket: tap.stream }); tap.received()
 */
export function tapSocket(socket: Socket, maxBytes: number): SocketTap {
  if (socket.readableEncoding !== null) {
    throw new TypeError(`tapSocket needs a binary socket, this one has the encoding ${socket.readableEncoding}`);
  }
  const limit = Number.isFinite(maxBytes) && maxBytes > 0 ? Math.floor(maxBytes) : 0;
  const chunks: Buffer[] = [];
  let recorded = 0;
  let recording = limit > 0;
  let overflow = false;
  let sawEnd = socket.readableEnded; // the 'end' may have been seen by the previous owner
  let started = false;

  const record = (chunk: Buffer): void => {
    if (!recording) return;
    const room = limit - recorded;
    if (chunk.length > room) {
      if (room > 0) chunks.push(Buffer.from(chunk.subarray(0, room)));
      recorded = limit;
      recording = false;
      overflow = true;
      return;
    }
    chunks.push(Buffer.from(chunk)); // a copy: never alias a buffer TLS or the socket may reuse
    recorded += chunk.length;
  };

  const onData = (chunk: Buffer | string): void => {
    if (typeof chunk === 'string') {
      stream.destroy(new TypeError('tapSocket: the socket started emitting text (setEncoding was called)'));
      return;
    }
    record(chunk);
    if (!stream.push(chunk)) socket.pause();
  };
  const onEnd = (): void => {
    sawEnd = true;
    stream.push(null);
  };
  const onError = (err: Error): void => {
    stream.destroy(err);
  };
  const onClose = (): void => {
    if (stream.destroyed) return;
    // After a FIN the reader must still get the Duplex's 'end' (net.Socket closes as soon as both
    // directions are done, which can be before TLS has read the EOF); without one it is a plain
    // destroy, as for a net.Socket that was destroyed.
    if (!sawEnd || stream.readableEnded) stream.destroy();
    else stream.once('end', () => stream.destroy());
  };
  const detach = (): void => {
    socket.off('data', onData);
    socket.off('end', onEnd);
    socket.off('error', onError);
    socket.off('close', onClose);
  };

  const stream = new Duplex({
    allowHalfOpen: true, // TLS decides when to end its side (close_notify, then FIN)
    read(): void {
      if (!started) {
        started = true;
        if (sawEnd) {
          this.push(null);
          return;
        }
        if (socket.destroyed) {
          const err = new Error('the socket was closed before the TLS hand-over') as NodeJS.ErrnoException;
          err.code = 'ERR_SOCKET_CLOSED';
          this.destroy(err);
          return;
        }
      }
      if (socket.isPaused()) socket.resume();
    },
    write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
      socket.write(chunk, (err) => callback(err));
    },
    writev(items: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
      socket.write(items.length === 1 ? (items[0]?.chunk ?? Buffer.alloc(0)) : Buffer.concat(items.map((i) => i.chunk)), (err) =>
        callback(err),
      );
    },
    final(callback: (error?: Error | null) => void): void {
      if (socket.destroyed || socket.writableEnded) {
        callback();
        return;
      }
      // A failure to end shows up as the socket's 'error' (forwarded) or 'close'.
      socket.end(() => callback());
    },
    destroy(err: Error | null, callback: (error: Error | null) => void): void {
      detach();
      // Without the error: it is reported once, on this stream; the socket has no owner left to
      // hear it (a socket 'error' with no listener would crash the process: see the no-op below).
      if (!socket.destroyed) socket.destroy();
      callback(err);
    },
  });

  socket.on('error', () => {}); // late errors after the hand-over must never be unhandled
  socket.on('data', onData);
  socket.on('end', onEnd);
  socket.on('error', onError);
  socket.on('close', onClose);
  socket.pause(); // attaching 'data' may have started the flow: read only when TLS asks

  return {
    stream,
    received: () => Buffer.concat(chunks, recorded),
    stopRecording: () => {
      recording = false;
    },
    truncated: () => overflow,
  };
}
