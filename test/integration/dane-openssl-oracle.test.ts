// Oracle test: mxprobe's DANE judgement (judge/dane.ts) against OpenSSL's own DANE verification
// of the same chain and TLSA records: `openssl s_server` on loopback serves each chain, and
// `openssl s_client -dane_tlsa_domain … -dane_tlsa_rrdata … -dane_ee_no_namechecks` (what
// Postfix asks of OpenSSL) says "Verification: OK" or not. mxprobe must say `valid` exactly
// when OpenSSL does, and name the same certificate depth.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { decodeCertificate } from '../../src/cert/parsed-certificate.ts';
import { daneReferenceNames, judgeDane } from '../../src/judge/dane.ts';
import type { TlsaRecord } from '../../src/model/dane.ts';
import { makeDanePki, opensslTlsaData, type DaneCert, type DanePki } from '../helpers/dane-pki.ts';

let pki: DanePki;
const servers: ChildProcess[] = [];
before(async () => {
  pki = await makeDanePki();
});
after(() => {
  for (const s of servers) s.kill();
});

/** Starts `openssl s_server` on a free loopback port for one connection; resolves with the port. */
function serve(name: string, sent: readonly DaneCert[], keyFile: string): Promise<number> {
  const base = path.join(pki.dir, `oracle-${name}`);
  writeFileSync(`${base}.leaf.pem`, (sent[0] as DaneCert).pem);
  writeFileSync(`${base}.chain.pem`, sent.slice(1).map((c) => c.pem).join(''));
  const args = ['s_server', '-accept', '127.0.0.1:0', '-cert', `${base}.leaf.pem`, '-key', keyFile, '-naccept', '1'];
  if (sent.length > 1) args.push('-cert_chain', `${base}.chain.pem`);
  const server = spawn('/usr/bin/openssl', args, { stdio: ['pipe', 'pipe', 'ignore'] });
  servers.push(server);
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`s_server ${name} did not start: ${out}`)), 30_000);
    server.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /ACCEPT 127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    server.once('exit', () => reject(new Error(`s_server ${name} exited: ${out}`)));
  });
}

/** OpenSSL's DANE verdict: verified, and at which depth the record matched or signed. */
async function opensslDane(name: string, sent: readonly DaneCert[], keyFile: string, records: readonly TlsaRecord[]): Promise<{ ok: boolean; depth: number | null; out: string }> {
  const port = await serve(name, sent, keyFile);
  const rr = records.flatMap((r) => ['-dane_tlsa_rrdata', `${r.usage} ${r.selector} ${r.matchingType} ${r.data}`]);
  const res = spawnSync('/usr/bin/openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-dane_tlsa_domain', 'mx.dane.test', ...rr, '-dane_ee_no_namechecks', '-brief'], { input: '', timeout: 30_000 });
  const out = `${String(res.stdout)}${String(res.stderr)}`;
  const depth = /(?:matched (?:TA|EE) certificate|signed the certificate) at depth (\d+)/.exec(out);
  return { ok: /Verification: OK/.test(out), depth: depth ? Number(depth[1]) : null, out };
}

test('for every DANE-TA and DANE-EE case, mxprobe says valid exactly when OpenSSL verifies, at the same depth', async () => {
  const k = pki.kinds.p256;
  const c = pki.cases;
  const key = (n: string) => path.join(pki.dir, `${n}.key`);
  const d = async (cert: DaneCert, sm: '0 1' | '1 0' | '1 1') => (await opensslTlsaData(cert.file))[sm];
  const r = (u: number, s: number, m: number, data: string): TlsaRecord => ({ usage: u, selector: s, matchingType: m, data });
  const cases: Array<[string, readonly DaneCert[], string, TlsaRecord[]]> = [
    ['ee', k.chain.sent, key('p256-leaf'), [r(3, 1, 1, await d(k.leaf, '1 1'))]],
    ['ta-intermediate', k.chain.sent, key('p256-leaf'), [r(2, 1, 1, await d(k.intermediate, '1 1'))]],
    ['ta-root-sent', k.chain.sent, key('p256-leaf'), [r(2, 0, 1, await d(k.root, '0 1'))]],
    ['ta-on-leaf', k.chain.sent, key('p256-leaf'), [r(2, 1, 1, await d(k.leaf, '1 1'))]],
    ['ee-on-intermediate', k.chain.sent, key('p256-leaf'), [r(3, 1, 1, await d(k.intermediate, '1 1'))]],
    ['agility', k.chain.sent, key('p256-leaf'), [r(3, 1, 1, await d(k.leaf, '1 1')), r(3, 1, 2, 'cd'.repeat(64))]],
    ['deep', c.deep.sent, key('case-deep-leaf'), [r(2, 1, 1, await d(c.deep.inter1, '1 1'))]],
    ['root-not-sent-cert', c.rootNotSent.sent, key('p256-leaf'), [r(2, 0, 1, await d(c.rootNotSent.root, '0 1'))]],
    ['root-not-sent-bare-key', c.rootNotSent.sent, key('p256-leaf'), [r(2, 1, 0, await d(c.rootNotSent.root, '1 0'))]],
    ['stray-ca', c.strayCa.sent, key('p256-leaf'), [r(2, 1, 1, await d(c.strayCa.stray, '1 1'))]],
    ['impostor', c.impostor.sent, key('p256-leaf'), [r(2, 1, 1, await d(c.impostor.impostor, '1 1'))]],
    ['wrong-name-ta', c.wrongName.sent, key('p256-leaf'), [r(2, 1, 1, await d(k.intermediate, '1 1'))]],
    ['expired-leaf-ta', c.expiredLeaf.sent, key('p256-leaf'), [r(2, 1, 1, await d(k.intermediate, '1 1'))]],
    ['expired-leaf-ee', c.expiredLeaf.sent, key('p256-leaf'), [r(3, 1, 1, await d(k.leaf, '1 1'))]],
    ['expired-intermediate-as-anchor', c.expiredIntermediate.sent, key('p256-leaf'), [r(2, 1, 1, await d(c.expiredIntermediate.intermediate, '1 1'))]],
    ['expired-intermediate-under-root', c.expiredIntermediate.sent, key('p256-leaf'), [r(2, 1, 1, await d(k.root, '1 1'))]],
    ['non-ca-issuer', c.nonCaIssuer.sent, key('p256-leaf'), [r(2, 1, 1, await d(k.intermediate, '1 1'))]],
  ];
  const now = new Date();
  for (const [name, sent, keyFile, records] of cases) {
    const chain = sent.map((cert) => {
      const der = Buffer.from(cert.pem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s+/g, ''), 'base64');
      return decodeCertificate(der, der.toString('base64'), false)!.info;
    });
    const ours = judgeDane({
      host: 'mx.dane.test', ip: '127.0.0.1', referenceNames: daneReferenceNames('mx.dane.test', []), hostSecure: true,
      tlsa: { name: '_25._tcp.mx.dane.test', baseDomain: 'mx.dane.test', cnames: [], records, dnssec: 'secure', error: null }, chain,
    }, now).outcome;
    const theirs = await opensslDane(name, sent, keyFile, records);
    assert.equal(ours.status === 'valid', theirs.ok, `${name}: mxprobe ${ours.status} (${ours.message}); OpenSSL:\n${theirs.out}`);
    if (theirs.ok) assert.equal(ours.matched?.chainIndex, theirs.depth, name);
  }
});
