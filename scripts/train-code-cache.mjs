// Part of the build (scripts/build.mjs): fills the CLI's V8 code cache (dist/mxprobe.cjs.cache)
// with the functions a probe runs. A cache made from the compiled bundle alone holds only its
// top level: every function a run calls is then compiled on first call (~1,200 of them in a
// probe, ~60 M instructions). So the build runs the CLI a few times, as a user would, against
// an SMTP server with STARTTLS that it starts on loopback for the purpose, and keeps the cache
// of the last run: it holds what each run compiled. Each run starts from the cache the one
// before wrote (V8 takes it), so the runs add up.
//
// The server's certificates are made here (a CA and a leaf for mx.train.test, RSA 2048: Node's
// crypto makes the keys, node-forge signs the certificates, as Node cannot), so the runs build a
// verification path as a probe of a real server does. Nothing leaves loopback; no mail is sent
// (the CLI says EHLO, STARTTLS, EHLO, QUIT).
import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';

// ---------------------------------------------------------------------------------------------
// Two certificates: Node makes the keys, node-forge (loaded here only) signs the certificates

/** A certificate for `subjectKey`'s key, issued by `issuer` (its name and private key), valid from yesterday for a year. */
async function certificate({ subject, subjectKey, issuer, issuerKey, ca, dnsName }) {
  const forgeModule = await import('node-forge');
  const forge = forgeModule.default ?? forgeModule;
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(subjectKey.publicKey.export({ type: 'spki', format: 'pem' }));
  cert.serialNumber = `01${randomBytes(15).toString('hex')}`; // positive, 16 bytes (RFC 5280 §4.1.2.2)
  const now = Date.now();
  cert.validity.notBefore = new Date(now - 86_400_000);
  cert.validity.notAfter = new Date(now + 365 * 86_400_000);
  cert.setSubject([{ name: 'commonName', value: subject }]);
  cert.setIssuer([{ name: 'commonName', value: issuer }]);
  cert.setExtensions([
    { name: 'basicConstraints', cA: ca, critical: true },
    ca ? { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true } : { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    ...(dnsName !== undefined ? [{ name: 'subjectAltName', altNames: [{ type: 2, value: dnsName }] }] : []),
  ]);
  cert.sign(forge.pki.privateKeyFromPem(issuerKey.privateKey.export({ type: 'pkcs8', format: 'pem' })), forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}

// ---------------------------------------------------------------------------------------------
// An SMTP server with STARTTLS (RFC 3207), on loopback

function smtpServer({ key, cert }) {
  const server = net.createServer((socket) => {
    let transport = socket;
    let buffered = '';
    const reply = (line) => transport.write(`${line}\r\n`);
    const onData = (chunk) => {
      buffered += chunk.toString('latin1');
      for (let end = buffered.indexOf('\n'); end >= 0; end = buffered.indexOf('\n')) {
        const verb = buffered.slice(0, end).trim().split(' ')[0].toUpperCase();
        buffered = buffered.slice(end + 1);
        if (verb === 'EHLO') reply(`250-mx.train.test${transport === socket ? '\r\n250-STARTTLS' : ''}\r\n250 8BITMIME`);
        else if (verb === 'STARTTLS' && transport === socket) {
          reply('220 2.0.0 Ready to start TLS');
          socket.removeListener('data', onData);
          transport = new tls.TLSSocket(socket, { isServer: true, key, cert });
          transport.on('data', onData);
          transport.on('error', () => socket.destroy());
        } else if (verb === 'QUIT') {
          reply('221 2.0.0 Bye');
          transport.end();
        } else reply('502 5.5.2 Not here');
      }
    };
    socket.on('data', onData);
    socket.on('error', () => undefined);
    reply('220 mx.train.test ESMTP');
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

// ---------------------------------------------------------------------------------------------

/** Runs the CLI with `args` through bin/cli-script.js and writes its code cache at exit. */
function trainingRun(root, args) {
  const script = `
    const { writeFileSync } = require('node:fs');
    const cli = require(${JSON.stringify(path.join(root, 'bin', 'cli-script.js'))});
    process.argv = [process.argv[0], ${JSON.stringify(path.join(root, 'bin', 'mxprobe.js'))}, ...${JSON.stringify(args)}];
    const compiled = cli.runCli();
    process.on('exit', () => writeFileSync(cli.CACHE, compiled.createCachedData()));`;
  const env = { ...process.env, NO_COLOR: '1' };
  delete env.NODE_OPTIONS; // V8 flags would make a cache that the CLI, started without them, rejects
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script], { cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (c) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      // Exit 0: the probe got the session it was given (verified: the CA is passed with --ca-file).
      if (code === 0) resolve();
      else reject(new Error(`mxprobe ${args.join(' ')} exited ${code}: ${stderr.trim().split('\n')[0] ?? ''}`));
    });
  });
}

/**
 * Trains the CLI's code cache in `root` (the project: bin/ and the built dist/). Rejects when a
 * run fails; the cache is then whatever the last good run (or the build) wrote.
 */
export async function trainCodeCache(root) {
  const caKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const leafKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const caPem = await certificate({ subject: 'mxprobe training CA', subjectKey: caKey, issuer: 'mxprobe training CA', issuerKey: caKey, ca: true });
  const leafPem = await certificate({ subject: 'mx.train.test', subjectKey: leafKey, issuer: 'mxprobe training CA', issuerKey: caKey, ca: false, dnsName: 'mx.train.test' });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mxprobe-train-'));
  const caFile = path.join(dir, 'ca.pem');
  writeFileSync(caFile, caPem);
  const server = await smtpServer({ key: leafKey.privateKey.export({ type: 'pkcs8', format: 'pem' }), cert: leafPem + caPem });
  try {
    const target = `127.0.0.1:${server.address().port}`;
    const probe = ['--server', target, '--name', 'mx.train.test', '--ca-file', caFile];
    // What people run most: the default text report, JSON; and the help.
    for (const args of [[...probe, '--json'], probe, [...probe, '--transcript'], ['--help']]) await trainingRun(root, args);
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
