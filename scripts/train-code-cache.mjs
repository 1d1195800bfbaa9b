// Part of the build (scripts/build.mjs): fills the CLI's V8 code cache (dist/mxprobe.cjs.cache)
// with the functions a probe runs. A cache made from the compiled bundle alone holds only its
// top level: every function a run calls is then compiled on first call (~1,200 of them in a
// probe, ~60 M instructions). So the build runs the CLI a few times, as a user would, against
// an SMTP server with STARTTLS that it starts on loopback for the purpose, and keeps the cache
// of the last run: it holds what each run compiled. Each run starts from the cache the one
// before wrote (V8 takes it), so the runs add up.
//
// The server's certificates are made here (a CA and a leaf for mx.train.test, RSA 2048, with
// Node's crypto and a small DER writer: Node cannot create certificates), so the runs build a
// verification path as a probe of a real server does. Nothing leaves loopback; no mail is sent
// (the CLI says EHLO, STARTTLS, EHLO, QUIT).
import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';

// ---------------------------------------------------------------------------------------------
// DER, as much as two certificates need (X.690)

const length = (n) => (n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff]);
const tlv = (tag, ...parts) => {
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([tag, ...length(body.length)]), body]);
};
const seq = (...parts) => tlv(0x30, ...parts);
const set = (...parts) => tlv(0x31, ...parts);
const explicit = (n, ...parts) => tlv(0xa0 + n, ...parts);
const integer = (bytes) => tlv(0x02, bytes[0] & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes);
const utf8 = (text) => tlv(0x0c, Buffer.from(text, 'utf8'));
const octets = (bytes) => tlv(0x04, bytes);
/** A BIT STRING of whole bytes; `unused` trailing bits of the last one are not part of it. */
const bits = (bytes, unused = 0) => tlv(0x03, Buffer.from([unused]), bytes);
const bool = (value) => tlv(0x01, Buffer.from([value ? 0xff : 0]));
const time = (date) => tlv(0x17, Buffer.from(date.toISOString().replace(/[-:T]|\.\d+/g, '').slice(2), 'latin1')); // UTCTime YYMMDDHHMMSSZ (RFC 5280 §4.1.2.5.1)

function oid(dotted) {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const out = [40 * a + b];
  for (const n of rest) {
    const chunk = [n & 0x7f];
    for (let v = n >> 7; v > 0; v >>= 7) chunk.unshift((v & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

const SHA256_RSA = seq(oid('1.2.840.113549.1.1.11'), Buffer.from([0x05, 0x00]));
const name = (cn) => seq(set(seq(oid('2.5.4.3'), utf8(cn))));
const extension = (id, critical, value) => seq(oid(id), ...(critical ? [bool(true)] : []), octets(value));

/** A positive serial number of 8 bytes, minimal in DER (its first byte neither 0 nor ≥ 0x80). */
function serial() {
  const bytes = randomBytes(8);
  bytes[0] = (bytes[0] & 0x7f) | 0x01;
  return bytes;
}

/** A certificate for `subject`'s key, issued by `issuer` (its name and private key), valid from yesterday for a year. */
function certificate({ subject, publicKey, issuer, issuerKey, ca, dnsName }) {
  const now = Date.now();
  const extensions = [
    extension('2.5.29.19', true, seq(...(ca ? [bool(true)] : []))), // basicConstraints
    extension('2.5.29.15', true, ca ? bits(Buffer.from([0x06]), 1) : bits(Buffer.from([0xa0]), 5)), // keyUsage: keyCertSign+cRLSign, or digitalSignature+keyEncipherment
    ...(dnsName !== undefined ? [extension('2.5.29.17', false, seq(tlv(0x82, Buffer.from(dnsName, 'latin1'))))] : []), // subjectAltName
  ];
  const tbs = seq(
    explicit(0, integer(Buffer.from([2]))),
    integer(serial()),
    SHA256_RSA,
    name(issuer),
    seq(time(new Date(now - 86_400_000)), time(new Date(now + 365 * 86_400_000))),
    name(subject),
    publicKey.export({ type: 'spki', format: 'der' }),
    explicit(3, seq(...extensions)),
  );
  const der = seq(tbs, SHA256_RSA, bits(sign('sha256', tbs, issuerKey)));
  return `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
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
  const caPem = certificate({ subject: 'mxprobe training CA', publicKey: caKey.publicKey, issuer: 'mxprobe training CA', issuerKey: caKey.privateKey, ca: true });
  const leafPem = certificate({ subject: 'mx.train.test', publicKey: leafKey.publicKey, issuer: 'mxprobe training CA', issuerKey: caKey.privateKey, ca: false, dnsName: 'mx.train.test' });
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
