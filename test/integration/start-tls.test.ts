// The permissive handshake (src/tls/start-tls.ts) against a loopback TLS server whose chain the
// trust store accepts: what Node would build and throw away (the peer certificate objects it
// hands to checkServerIdentity) is not built, and nothing of the session is lost for it.
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { before, describe, test } from 'node:test';
import { makeTrustStore } from '../../src/cert/trust-store.ts';
import { startTls } from '../../src/tls/start-tls.ts';
import { makeTestPki, type TestPki } from '../helpers/pki.ts';

let pki: TestPki;
before(async () => {
  pki = await makeTestPki();
});

/** A TLS server on loopback (implicit TLS) serving `chain`; resolves once listening. */
async function tlsServer(chain: { cert: string; key: string }): Promise<tls.Server> {
  const server = tls.createServer({ cert: chain.cert, key: chain.key }, (socket) => {
    socket.on('error', () => {});
    socket.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

describe('startTls', () => {
  test('a trusted chain: Node does not build getPeerCertificate(true) during the handshake; afterwards the socket has the real method', async () => {
    const server = await tlsServer(pki.certs.valid);
    const port = (server.address() as net.AddressInfo).port;
    const original = tls.TLSSocket.prototype.getPeerCertificate;
    let calls = 0;
    tls.TLSSocket.prototype.getPeerCertificate = function (this: tls.TLSSocket, detailed?: boolean) {
      calls += 1;
      return original.call(this, detailed as true);
    } as typeof original;
    try {
      const socket = net.connect(port, '127.0.0.1');
      await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
      const session = await startTls(socket, 'mx.test', makeTrustStore([pki.rootPem]), 10_000);
      assert.equal(calls, 0, 'no peer certificate object was built');
      assert.equal(session.socket.authorized, true, 'OpenSSL verified the chain: the branch where Node would have built the object');
      assert.equal(session.certificate?.chainSource, 'presented');
      assert.equal(session.certificate?.chain.length, 2, 'leaf and intermediate, as sent');
      assert.equal(Object.hasOwn(session.socket, 'getPeerCertificate'), false, 'the stand-in is gone');
      assert.equal(session.socket.getPeerCertificate(true).subject?.CN, 'mx.test');
      assert.equal(calls, 1);
      session.socket.destroy();
    } finally {
      tls.TLSSocket.prototype.getPeerCertificate = original;
      server.close();
    }
  });
});
