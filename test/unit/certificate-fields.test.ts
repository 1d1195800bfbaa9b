// The DER extension reader (cert/certificate-fields.ts, cert/der.ts): agrees with `openssl x509
// -text` on every certificate of the test PKI, compares names as OpenSSL does, and is total
// (truncated, mutated and random input give a result, never an exception).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { X509Certificate, randomBytes } from 'node:crypto';
import { rootCertificates } from 'node:tls';
import { promisify } from 'node:util';
import { readCertificateFields, subjectKeyOf } from '../../src/cert/certificate-fields.ts';
import { nameKey, readTlv } from '../../src/cert/der.ts';
import { decodeCertificate } from '../../src/cert/parsed-certificate.ts';
import { likelyIssued } from '../../src/cert/describe-chain.ts';
import { makeTestPki } from '../helpers/pki.ts';

const run = promisify(execFile);

/** What `openssl x509 -text` prints for basicConstraints, keyUsage and extendedKeyUsage. */
async function opensslExtensions(pem: string) {
  const child = run('openssl', ['x509', '-noout', '-text']);
  child.child.stdin?.end(pem);
  const { stdout } = await child;
  const after = (title: string) => new RegExp(`${title}:(?: critical)? *\\n\\s+(.+)`).exec(stdout)?.[1]?.trim() ?? null;
  return { bc: after('X509v3 Basic Constraints'), ku: after('X509v3 Key Usage'), eku: after('X509v3 Extended Key Usage') };
}

const KU_TEXT: Record<string, string> = {
  digitalSignature: 'Digital Signature',
  nonRepudiation: 'Non Repudiation',
  keyEncipherment: 'Key Encipherment',
  dataEncipherment: 'Data Encipherment',
  keyAgreement: 'Key Agreement',
  keyCertSign: 'Certificate Sign',
  cRLSign: 'CRL Sign',
};
const EKU_TEXT: Record<string, string> = {
  serverAuth: 'TLS Web Server Authentication',
  clientAuth: 'TLS Web Client Authentication',
  anyExtendedKeyUsage: 'Any Extended Key Usage',
};

test('basicConstraints, keyUsage and extendedKeyUsage as openssl reads them, for every test certificate', async () => {
  const pki = await makeTestPki();
  const pems = new Set<string>([pki.rootPem, pki.intermediatePem, pki.untrustedRootPem]);
  for (const c of Object.values(pki.certs)) pems.add(c.leaf);
  for (const s of Object.values(pki.paths)) for (const pem of [s.leaf, ...s.sent, ...s.anchors]) pems.add(pem);
  assert.ok(pems.size > 30, `${pems.size}`);
  const checked = { pathLength: 0, eku: 0 };
  for (const pem of pems) {
    const f = readCertificateFields(new X509Certificate(pem).raw);
    const o = await opensslExtensions(pem);
    assert.equal(f.malformed, false);
    assert.equal(f.version, 3);
    const bc = f.basicConstraints === null ? null : `CA:${f.basicConstraints.ca ? 'TRUE' : 'FALSE'}${f.basicConstraints.pathLength !== null ? `, pathlen:${f.basicConstraints.pathLength}` : ''}`;
    assert.equal(bc, o.bc, pem);
    if (f.basicConstraints?.pathLength !== null && f.basicConstraints?.pathLength !== undefined) checked.pathLength += 1;
    assert.equal(f.keyUsage === null ? null : f.keyUsage.map((k) => KU_TEXT[k]).join(', '), o.ku);
    assert.equal(f.extendedKeyUsage === null ? null : f.extendedKeyUsage.map((k) => EKU_TEXT[k]).join(', '), o.eku);
    if (f.extendedKeyUsage !== null && !f.extendedKeyUsage.includes('serverAuth')) checked.eku += 1;
    assert.equal(f.subjectKey, subjectKeyOf(new X509Certificate(pem).raw));
  }
  assert.ok(checked.pathLength >= 1 && checked.eku >= 2, JSON.stringify(checked));
  const critical = readCertificateFields(new X509Certificate(pki.paths.criticalUnknownExtension.leaf).raw);
  assert.deepEqual(critical.unhandledCritical, ['1.3.6.1.4.1.55555.1.1']);
  // nameConstraints is critical too, but OpenSSL handles it.
  assert.deepEqual(readCertificateFields(new X509Certificate(pki.paths.nameConstraintsViolated.sent[0] as string).raw).unhandledCritical, []);
});

test('key identifiers: a certificate\'s authority key identifier is its issuer\'s subject key identifier', async () => {
  const pki = await makeTestPki();
  const leaf = readCertificateFields(new X509Certificate(pki.certs.valid.leaf).raw);
  const inter = readCertificateFields(new X509Certificate(pki.intermediatePem).raw);
  assert.match(inter.subjectKeyId ?? '', /^[0-9a-f]{40}$/);
  assert.equal(leaf.authorityKeyId?.keyId, inter.subjectKeyId);
  assert.equal(leaf.issuerKey, inter.subjectKey);
  assert.equal(leaf.tbsSignatureAlgorithm, 'sha256WithRSAEncryption');
});

test('the bundled roots all read, are self-signed CAs as OpenSSL sees them, and their names are distinct keys', () => {
  const keys = new Set<string>();
  for (const pem of rootCertificates) {
    const der = new X509Certificate(pem).raw;
    const f = readCertificateFields(der);
    assert.equal(f.malformed, false);
    assert.ok(f.subjectKey !== null);
    keys.add(f.subjectKey);
    const parsed = decodeCertificate(der, der.toString('base64'), true);
    assert.equal(parsed?.info.selfSigned, true, parsed?.info.subject);
    assert.equal(parsed?.info.basicConstraints?.ca, true, parsed?.info.subject);
  }
  assert.ok(keys.size >= rootCertificates.length - 5, `${keys.size} of ${rootCertificates.length}`);
});

/** DER of a Name with one CN attribute of the given string type. */
function cnName(tag: number, value: Buffer): Buffer {
  const tlv = (t: number, body: Buffer) => Buffer.concat([Buffer.from([t, body.length]), body]);
  const attr = tlv(0x30, Buffer.concat([Buffer.from('0603550403', 'hex'), tlv(tag, value)]));
  return tlv(0x30, tlv(0x31, attr));
}
const key = (der: Buffer) => nameKey(der, readTlv(der, 0, der.length)!);

test('names compare as OpenSSL compares them: string types, case and white space aside', () => {
  const printable = key(cnName(0x13, Buffer.from('Example  CA')));
  assert.equal(key(cnName(0x0c, Buffer.from(' example ca '))), printable);
  assert.equal(key(cnName(0x1e, Buffer.from('\u0000E\u0000x\u0000a\u0000m\u0000p\u0000l\u0000e\u0000 \u0000C\u0000A', 'latin1'))), printable);
  assert.notEqual(key(cnName(0x0c, Buffer.from('Example CA 2'))), printable);
  // A type OpenSSL does not canonicalise is compared byte for byte.
  assert.notEqual(key(cnName(0x12, Buffer.from('123'))), key(cnName(0x13, Buffer.from('123'))));
});

test('never throws: truncated, mutated and random input give fields', async () => {
  const pki = await makeTestPki();
  const der = new X509Certificate(pki.paths.pathLenExceeded.sent[1] as string).raw;
  for (let cut = 0; cut < der.length; cut += 5) {
    assert.equal(readCertificateFields(der.subarray(0, cut)).malformed, true);
    subjectKeyOf(der.subarray(0, cut));
  }
  for (let i = 0; i < 3000; i++) {
    const copy = Buffer.from(der);
    for (let j = 0; j < 4; j++) copy[Math.floor(Math.random() * copy.length)] = Math.floor(Math.random() * 256);
    const f = readCertificateFields(copy);
    assert.equal(typeof f.malformed, 'boolean');
    subjectKeyOf(copy);
    readCertificateFields(randomBytes(i % 200));
  }
});

test('an issuer must fit: name, authority key identifier, key type; an invalid certificate fits nothing', async () => {
  const pki = await makeTestPki();
  const read = (pem: string) => {
    const der = new X509Certificate(pem).raw;
    return decodeCertificate(der, der.toString('base64'), false)!;
  };
  const leaf = read(pki.certs.valid.leaf);
  const inter = read(pki.intermediatePem);
  assert.ok(likelyIssued(inter, leaf));
  assert.ok(!likelyIssued(read(pki.rootPem), leaf), 'another name');
  assert.ok(!likelyIssued({ ...inter, fields: { ...inter.fields, subjectKeyId: '00' } }, leaf), 'another key identifier');
  assert.ok(!likelyIssued({ ...inter, keyType: 'ec' }, leaf), 'a key that cannot make an RSA signature');
  assert.ok(!likelyIssued({ ...inter, fields: { ...inter.fields, malformed: true } }, leaf), 'an invalid issuer');
  assert.ok(!likelyIssued(inter, { ...leaf, fields: { ...leaf.fields, malformed: true } }), 'an invalid subject');
  // The cross-sign and the new root share name and key: both fit R3.
  const r3 = read(pki.paths.crossSigned.sent[0] as string);
  assert.ok(likelyIssued(read(pki.paths.crossSigned.sent[1] as string), r3));
  assert.ok(likelyIssued(read(pki.paths.crossSigned.anchors[0] as string), r3));
});
