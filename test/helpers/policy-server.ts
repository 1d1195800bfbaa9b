// A loopback HTTPS server that serves MTA-STS policies (or fails to, in each way RFC 8461 §3.3
// cares about), and certificates for it generated at test time: the test PKI's `wildcard` leaf
// (*.test.example) names mta-sts.test.example under the test root; a second, untrusted CA
// issues a leaf for the same name. Test helper only: nothing here is ever committed.
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { PKI_TOOLS, makeTestPki, type TestCert } from './pki.ts';

const run = promisify(execFile);

/** The policy domain the test certificates fit: its policy host is mta-sts.test.example. */
export const POLICY_DOMAIN = 'test.example';

export interface PolicyCerts {
  /** The test PKI's root (PEM): the trust anchor the fetch is given. */
  rootPem: string;
  /** *.test.example under the test root (leaf + intermediate): valid for mta-sts.test.example. */
  valid: TestCert;
  /** mx.test and mail.test under the test root: trusted, but the wrong name. */
  wrongName: TestCert;
  /** mta-sts.test.example under a CA nobody trusts. */
  untrusted: TestCert;
}

let memo: Promise<PolicyCerts> | undefined;

async function openssl(args: string[], cwd: string): Promise<void> {
  await run('/usr/bin/openssl', args, { cwd, timeout: 20_000 });
}

async function generate(): Promise<PolicyCerts> {
  const pki = await makeTestPki();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mxprobe-policy-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  // An untrusted CA (EC P-256: fast) and a leaf for mta-sts.test.example signed by it.
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  await openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '30', '-subj', '/CN=mxprobe Untrusted Policy CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign'], dir);
  await openssl(['req', '-new', ...ec, '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', '/CN=mta-sts.test.example'], dir);
  await writeFile(path.join(dir, 'leaf.ext'), 'subjectAltName=DNS:mta-sts.test.example\nextendedKeyUsage=serverAuth\nbasicConstraints=critical,CA:FALSE\n');
  await openssl(['x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '30', '-extfile', 'leaf.ext', '-out', 'leaf.pem'], dir);
  const [leaf, key, ca] = await Promise.all(['leaf.pem', 'leaf.key', 'ca.pem'].map((f) => readFile(path.join(dir, f), 'utf8')));
  return {
    rootPem: pki.rootPem,
    valid: pki.certs.wildcard,
    wrongName: pki.certs.valid,
    untrusted: { key: key as string, leaf: leaf as string, cert: `${leaf}${ca}` },
  };
}

/** The certificates, generated on first call and shared by the process. */
export function policyCerts(): Promise<PolicyCerts> {
  memo ??= generate();
  return memo;
}

const issued = new Map<string, Promise<TestCert>>();

/**
 * A certificate for `mta-sts.<domain>` under the test PKI's intermediate (so trusted through the
 * test root, `pki.caFile`): leaf + intermediate, an EC P-256 key. For a policy domain other than
 * POLICY_DOMAIN, e.g. one served by the DNSSEC lab under `test.`. Generated once per domain and process.
 * @example const cert = await policyCertFor('d.test'); const server = await startPolicyServer(cert, serve(policy));
 */
export function policyCertFor(domain: string): Promise<TestCert> {
  let p = issued.get(domain);
  if (!p) issued.set(domain, (p = issuePolicyCert(domain)));
  return p;
}

async function issuePolicyCert(domain: string): Promise<TestCert> {
  const pki = await makeTestPki();
  const host = `mta-sts.${domain}`;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mxprobe-policy-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const keyFile = path.join(dir, 'leaf.key');
  await PKI_TOOLS.openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-pkeyopt', 'ec_param_enc:named_curve', '-out', keyFile], dir);
  // makeTestPki's intermediate: DIR/intermediate.pem, its key DIR/intermediate.key.
  const issuer = { certFile: path.join(pki.dir, 'intermediate.pem'), keyFile: path.join(pki.dir, 'intermediate.key') };
  const now = Date.now();
  const { pem } = await PKI_TOOLS.issue(dir, {
    name: 'policy-leaf', subject: `/CN=${host}`, keyFile, issuer,
    notBefore: new Date(now - 86_400_000), notAfter: new Date(now + 30 * 86_400_000), md: 'sha256',
    extensions: PKI_TOOLS.leafExt({ san: [host], keyEncipherment: false }),
  });
  return { key: await readFile(keyFile, 'utf8'), leaf: pem, cert: `${pem}${pki.intermediatePem}` };
}

export type PolicyHandler = (req: IncomingMessage, res: ServerResponse) => void;

export interface PolicyServer {
  host: '127.0.0.1';
  port: number;
  /** The requests received: method, path and Host header. */
  requests: Array<{ method: string; path: string; host: string | undefined }>;
  /** TCP connections accepted: every fetch attempt, also those refused at the certificate (no request then). */
  connections: { count: number };
  /** Bytes the handler managed to write before the client went away (for the size cap). */
  written: { bytes: number; clientGone: boolean };
  close(): Promise<void>;
}

/**
 * Starts an HTTPS server on 127.0.0.1 (an ephemeral port) serving `cert`, answering each request
 * with `handler`.
 */
export async function startPolicyServer(cert: TestCert, handler: PolicyHandler): Promise<PolicyServer> {
  const sockets = new Set<Socket>();
  const requests: PolicyServer['requests'] = [];
  const written = { bytes: 0, clientGone: false };
  const server: Server = createServer({ key: cert.key, cert: cert.cert }, (req, res) => {
    requests.push({ method: req.method ?? '', path: req.url ?? '', host: req.headers.host });
    res.on('close', () => {
      if (!res.writableFinished) written.clientGone = true;
    });
    const write = res.write.bind(res);
    res.write = ((chunk: unknown, ...rest: unknown[]) => {
      if (typeof chunk === 'string' || Buffer.isBuffer(chunk)) written.bytes += Buffer.byteLength(chunk as string);
      return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof res.write;
    handler(req, res);
  });
  const connections = { count: 0 };
  server.on('connection', (s: Socket) => {
    connections.count += 1;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('tlsClientError', () => {}); // a client refusing our certificate is what some tests expect
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    host: '127.0.0.1',
    port: address.port,
    requests,
    connections,
    written,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A handler serving `body` with status 200 and this Content-Type. */
export function serve(body: string, contentType = 'text/plain; charset=utf-8'): PolicyHandler {
  return (_req, res) => {
    res.writeHead(200, { 'Content-Type': contentType });
    res.end(body);
  };
}

/** A handler that writes `chunk` again and again until the client goes away (or `limit` bytes), with no Content-Length. */
export function endless(limit = 16 * 1024 * 1024): PolicyHandler {
  return (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    const chunk = Buffer.alloc(16 * 1024, 'mx: a.example.com\n');
    let sent = 0;
    const pump = () => {
      while (sent < limit && !res.destroyed) {
        sent += chunk.length;
        if (!res.write(chunk)) {
          res.once('drain', pump);
          return;
        }
      }
      if (!res.destroyed) res.end();
    };
    pump();
  };
}
