// The OCSP response reader (src/cert/ocsp-response.ts) and the staple's facts (src/deep/ocsp.ts)
// against real responses signed by `openssl ocsp` from the test PKI, with `openssl ocsp -resp_text`
// as the oracle for every field read; and hostile input: every truncation, random bytes, bit flips,
// oversized input give a reason, never an exception.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes, X509Certificate } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { before, test } from 'node:test';
import { promisify } from 'node:util';
import { MAX_OCSP_RESPONSE_BYTES, parseOcspResponse } from '../../src/cert/ocsp-response.ts';
import { ocspStaple } from '../../src/deep/ocsp.ts';
import { makeOcspResponse } from '../helpers/ocsp-responder.ts';
import { makeTestPki, type TestPki } from '../helpers/pki.ts';

const run = promisify(execFile);
let pki: TestPki;
const responses: Partial<Record<'good' | 'revoked' | 'unknown', Buffer>> = {};

before(async () => {
  pki = await makeTestPki();
  for (const status of ['good', 'revoked', 'unknown'] as const) {
    responses[status] = await makeOcspResponse(pki, { leafPem: pki.certs.valid.leaf, status, revokedAt: new Date(Date.now() - 7_200_000) });
  }
});

const response = (status: 'good' | 'revoked' | 'unknown'): Buffer => responses[status] ?? assert.fail(`no ${status} response`);
const leafSerial = (): string => new X509Certificate(pki.certs.valid.leaf).serialNumber;

/** What `openssl ocsp -resp_text` reads from a response: status, times (as ISO), serial. */
async function opensslReads(der: Buffer): Promise<Record<string, string>> {
  const file = path.join(pki.dir, `oracle-${randomBytes(4).toString('hex')}.der`);
  await writeFile(file, der);
  const { stdout } = await run('/usr/bin/openssl', ['ocsp', '-respin', file, '-resp_text', '-noverify'], { timeout: 20_000 });
  const field = (name: string): string | undefined => new RegExp(`^\\s*${name}: (.+)$`, 'm').exec(stdout)?.[1]?.trim();
  const iso = (text: string | undefined): string => (text === undefined ? 'absent' : new Date(text.replace(/ GMT$/, ' UTC')).toISOString());
  return {
    responseStatus: (field('OCSP Response Status') ?? '').split(' ')[0] ?? '',
    producedAt: iso(field('Produced At')),
    status: field('Cert Status') ?? '',
    thisUpdate: iso(field('This Update')),
    nextUpdate: iso(field('Next Update')),
    revokedAt: iso(field('Revocation Time')),
    serial: field('Serial Number') ?? '',
  };
}

test('a real response (good, revoked, unknown) is read as openssl ocsp -resp_text reads it', async () => {
  for (const status of ['good', 'revoked', 'unknown'] as const) {
    const der = response(status);
    const parsed = parseOcspResponse(der);
    assert.ok(!('error' in parsed), `${status}: ${JSON.stringify(parsed)}`);
    const oracle = await opensslReads(der);
    assert.equal(parsed.status, oracle.responseStatus, status);
    assert.equal(parsed.producedAt, oracle.producedAt, status);
    assert.equal(parsed.responses.length, 1);
    const single = parsed.responses[0]!;
    assert.equal(single.status, oracle.status, status);
    assert.equal(single.thisUpdate, oracle.thisUpdate, status);
    assert.equal(single.nextUpdate, oracle.nextUpdate, status);
    assert.equal(single.revokedAt ?? 'absent', oracle.revokedAt, status);
    assert.equal(single.serialNumber, (oracle.serial ?? '').toUpperCase(), status);
    assert.equal(single.serialNumber, leafSerial());
  }
});

test('the staple facts: the leaf status and times; a response about another certificate is a note', () => {
  const good = ocspStaple(response('good'), leafSerial());
  assert.equal(good.stapled, true);
  assert.equal(good.status, 'good');
  assert.equal(good.note, null);
  assert.ok(good.producedAt !== null && good.thisUpdate !== null && good.nextUpdate !== null);
  assert.equal(Date.parse(good.nextUpdate) - Date.parse(good.thisUpdate), 7 * 86_400_000, 'openssl -ndays 7');
  const revoked = ocspStaple(response('revoked'), leafSerial());
  assert.equal(revoked.status, 'revoked');
  assert.match(revoked.note ?? '', /^revoked at \d{4}-/);
  assert.equal(ocspStaple(response('unknown'), leafSerial()).status, 'unknown');
  // The serial compared without leading zeros, in any case.
  assert.equal(ocspStaple(response('good'), `00${leafSerial().toLowerCase()}`).status, 'good');
  // Leaf unknown: one SingleResponse is taken as the leaf's.
  assert.equal(ocspStaple(response('good'), null).status, 'good');
  const other = ocspStaple(response('good'), '01');
  assert.deepEqual([other.stapled, other.status], [true, null]);
  assert.match(other.note ?? '', /not about the leaf certificate \(serials in it: [0-9A-F]+\)/);
  assert.deepEqual(ocspStaple(null, leafSerial()), { stapled: false, status: null, producedAt: null, thisUpdate: null, nextUpdate: null, note: null });
});

test('a response without responseBytes says its status (RFC 6960 §4.2.1: tryLater, unauthorized…)', () => {
  // OCSPResponse ::= SEQUENCE { responseStatus ENUMERATED }
  assert.deepEqual(parseOcspResponse(Buffer.from('30030a0103', 'hex')), { status: 'tryLater', producedAt: null, responses: [] });
  assert.deepEqual(parseOcspResponse(Buffer.from('30030a0106', 'hex')), { status: 'unauthorized', producedAt: null, responses: [] });
  const staple = ocspStaple(Buffer.from('30030a0103', 'hex'), '01');
  assert.deepEqual([staple.stapled, staple.status], [true, null]);
  assert.match(staple.note ?? '', /tryLater/);
});

test('hostile input: every truncation, bit flips and random bytes give a reason, never an exception', () => {
  const der = response('revoked');
  for (let n = 0; n < der.length; n++) {
    const result = parseOcspResponse(der.subarray(0, n));
    assert.ok('error' in result, `truncated at ${n}: ${JSON.stringify(result)}`);
    assert.match(result.error, /^malformed OCSP response: /);
    assert.equal(ocspStaple(der.subarray(0, n), leafSerial()).stapled, n > 0);
  }
  for (let i = 0; i < 2000; i++) {
    const flipped = Buffer.from(der);
    const at = i % der.length;
    flipped[at] = (flipped[at] as number) ^ (1 << (i % 8));
    const result = parseOcspResponse(flipped);
    if ('error' in result) assert.doesNotMatch(result.error, /internal error/);
    const staple = ocspStaple(flipped, leafSerial());
    assert.equal(staple.stapled, true);
  }
  for (let i = 0; i < 500; i++) {
    const result = parseOcspResponse(randomBytes(1 + (i % 300)));
    assert.ok('error' in result || result.responses.length >= 0);
  }
  const huge = parseOcspResponse(Buffer.alloc(MAX_OCSP_RESPONSE_BYTES + 1, 0x30));
  assert.ok('error' in huge);
  assert.match(huge.error, /more than/);
});
