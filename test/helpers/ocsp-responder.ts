// OCSP responses for tests, made by `openssl ocsp` as a responder over a throwaway index (the
// `openssl ca` database format) from the test PKI's intermediate CA: a real, signed response
// (RFC 6960) per call. Test helper only; nothing here is committed.
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { TestPki } from './pki.ts';

const run = promisify(execFile);

/** `openssl ca` database time: YYMMDDHHMMSSZ. */
function dbTime(d: Date): string {
  return d.toISOString().replace(/^\d\d(\d\d)-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d).*$/, '$1$2$3$4$5$6Z');
}

export interface OcspSpec {
  leafPem: string; // the certificate the response is about (issued by the PKI's intermediate)
  status: 'good' | 'revoked' | 'unknown'; // unknown: the serial is left out of the responder's index
  revokedAt?: Date; // for revoked; default an hour ago
  days?: number; // nextUpdate = thisUpdate + days (openssl -ndays); default 7
}

/**
 * A DER OCSP response signed by the PKI's intermediate CA (it issued the leaf, so it may answer, RFC 6960 §4.2.2.2).
 * @example const der = await makeOcspResponse(pki, { leafPem: pki.certs.valid.leaf, status: 'good' });
 */
export async function makeOcspResponse(pki: TestPki, spec: OcspSpec): Promise<Buffer> {
  const dir = await mkdtemp(path.join(pki.dir, 'ocsp-'));
  const leaf = new X509Certificate(spec.leafPem);
  const leafFile = path.join(dir, 'leaf.pem');
  const index = path.join(dir, 'index.txt');
  await writeFile(leafFile, spec.leafPem);
  const expiry = dbTime(new Date(leaf.validTo));
  const subject = `/${leaf.subject.split('\n').join('/')}`;
  const revoked = dbTime(spec.revokedAt ?? new Date(Date.now() - 3_600_000));
  const line =
    spec.status === 'good' ? `V\t${expiry}\t\t${leaf.serialNumber}\tunknown\t${subject}\n`
    : spec.status === 'revoked' ? `R\t${expiry}\t${revoked}\t${leaf.serialNumber}\tunknown\t${subject}\n`
    : '';
  await writeFile(index, line);
  await writeFile(`${index}.attr`, 'unique_subject = no\n');
  const inter = path.join(pki.dir, 'intermediate.pem');
  const interKey = path.join(pki.dir, 'intermediate.key');
  const req = path.join(dir, 'req.der');
  const resp = path.join(dir, 'resp.der');
  await run('/usr/bin/openssl', ['ocsp', '-issuer', inter, '-cert', leafFile, '-no_nonce', '-reqout', req], { timeout: 20_000 });
  await run(
    '/usr/bin/openssl',
    ['ocsp', '-index', index, '-rsigner', inter, '-rkey', interKey, '-CA', inter, '-reqin', req, '-respout', resp, '-ndays', String(spec.days ?? 7)],
    { timeout: 20_000 },
  );
  return readFile(resp);
}
