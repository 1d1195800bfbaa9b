import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { signatureAlgorithm } from '../../src/cert/certificate-fields.ts';
import { isWeakSignature } from '../../src/rules/signature-strength.ts';
import { makeTestPki } from '../helpers/pki.ts';

const run = promisify(execFile);

/** What OpenSSL itself says the signature algorithm is. */
async function opensslSays(pem: string): Promise<string> {
  const child = run('openssl', ['x509', '-noout', '-text']);
  child.child.stdin?.end(pem);
  const { stdout } = await child;
  return /Signature Algorithm: (\S+)/.exec(stdout)?.[1] ?? 'none';
}

test('agrees with openssl on RSA, SHA-1, ECDSA-keyed and Ed25519-keyed certificates and the CAs', async () => {
  const pki = await makeTestPki();
  const pems = [pki.rootPem, pki.intermediatePem, pki.certs.valid.leaf, pki.certs.sha1.leaf, pki.certs.ecdsa.leaf, pki.certs.ed25519.leaf, pki.certs.selfSigned.leaf];
  for (const pem of pems) {
    const ours = signatureAlgorithm(new X509Certificate(pem).raw);
    assert.equal(ours, await opensslSays(pem));
  }
  assert.equal(signatureAlgorithm(new X509Certificate(pki.certs.sha1.leaf).raw), 'sha1WithRSAEncryption');
});

test('ECDSA and Ed25519 signatures, from certificates signed by such keys', async () => {
  const { stdout: ecKey } = await run('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']);
  const { stdout: edKey } = await run('openssl', ['genpkey', '-algorithm', 'ED25519']);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mxprobe-sig-'));
  try {
    for (const [key, expected] of [[ecKey, 'ecdsa-with-SHA256'], [edKey, 'ED25519']] as const) {
      const keyFile = path.join(dir, 'key.pem');
      await writeFile(keyFile, key);
      const { stdout: pem } = await run('openssl', ['req', '-new', '-x509', '-key', keyFile, '-subj', '/CN=t.test', '-days', '1']);
      assert.equal(signatureAlgorithm(new X509Certificate(pem).raw), expected);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('never throws: truncated, mutated and random input give a string', async () => {
  const pki = await makeTestPki();
  const der = new X509Certificate(pki.certs.valid.leaf).raw;
  for (let cut = 0; cut < der.length; cut += 7) assert.equal(typeof signatureAlgorithm(der.subarray(0, cut)), 'string');
  for (let i = 0; i < 3000; i++) {
    const copy = Buffer.from(der);
    for (let j = 0; j < 4; j++) copy[Math.floor(Math.random() * copy.length)] = Math.floor(Math.random() * 256);
    assert.equal(typeof signatureAlgorithm(copy), 'string');
    assert.equal(typeof signatureAlgorithm(randomBytes(i % 64)), 'string');
  }
  assert.equal(signatureAlgorithm(Buffer.alloc(0)), 'unknown');
});

test('weak hashes are recognised, strong ones are not', () => {
  for (const weak of ['md5WithRSAEncryption', 'sha1WithRSAEncryption', 'ecdsa-with-SHA1', 'dsa-with-SHA1', 'md2WithRSAEncryption']) assert.ok(isWeakSignature(weak), weak);
  for (const strong of ['sha256WithRSAEncryption', 'ecdsa-with-SHA384', 'ED25519', 'sha512WithRSAEncryption', 'rsassaPss']) assert.ok(!isWeakSignature(strong), strong);
});
