// What a sender with current TLS defaults gets, through the real CLI, against fake servers on
// loopback that only weak senders can talk to, with Postfix's own posttls-finger as the oracle:
// where posttls-finger cannot make a session (-l encrypt) or cannot verify one (-l verify),
// mxprobe must not say more; where mxprobe says less, it must name why.
//
// Measured on Debian 12 (Postfix 3.7, OpenSSL 3.0): Postfix's SMTP client runs at OpenSSL
// security level 0 for `may` and `encrypt` (tls_client.c: "backwards compatible security as a
// base for opportunistic TLS") and level 1 for `verify`, with TLS 1.0 allowed; mxprobe's check
// is a sender with OpenSSL's current defaults (TLS 1.2 or later, level 2), stricter than that.
// Without posttls-finger the oracle parts skip, except in CI (CI=true), where they fail.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { promisify } from 'node:util';
import { startFakeSmtp, type FakeSmtpOptions } from '../helpers/fake-smtp.ts';
import { makeTestPki, type TestPki } from '../helpers/pki.ts';
import { PATIENT, addressesOf, assertNeverSentMail, codesOf, onlyDomain, problemOf, runCli, serverArgs } from '../helpers/run-cli.ts';
import { dh1024Pem } from '../helpers/dh-params.ts';

const POSTTLS_FINGER = '/usr/sbin/posttls-finger';
const run = promisify(execFile);

let pki: TestPki;
let dir: string;
let dh1024: string;

before(async () => {
  pki = await makeTestPki();
  dir = mkdtempSync(path.join(os.tmpdir(), 'mxprobe-modern-'));
  // posttls-finger reads main.cf; an empty one means Postfix's compiled-in defaults.
  writeFileSync(path.join(dir, 'main.cf'), '');
  // A 1024-bit finite-field group (RFC 5114 §2.1), generated here like every test key.
  dh1024 = await dh1024Pem();
  // Node warns once about the small DH group the fake serves on purpose.
  process.removeAllListeners('warning');
});

after(() => {
  rmSync(dir, { recursive: true, force: true });
});

interface Finger {
  /** A TLS session was established (-l encrypt). */
  encrypt: boolean;
  /** The session was verified against the test CA and the name mx.test (-l verify). */
  verify: boolean;
  log: string;
}

/** posttls-finger at -l encrypt and -l verify; it connects, says EHLO, STARTTLS, QUIT, never mail. */
async function finger(port: number, implicit: boolean): Promise<Finger> {
  const common = ['-c', '-t', '10', '-T', '10', ...(implicit ? ['-w'] : [])];
  const env = { ...process.env, MAIL_CONFIG: dir };
  const once = async (args: string[]) => {
    try {
      const { stdout, stderr } = await run(POSTTLS_FINGER, args, { env, timeout: 30_000 });
      return `${stdout}${stderr}`;
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string; message: string };
      return `${e.stdout ?? ''}${e.stderr ?? e.message}`;
    }
  };
  const [enc, ver] = await Promise.all([
    once([...common, '-l', 'encrypt', `[127.0.0.1]:${port}`]),
    once([...common, '-l', 'verify', '-F', pki.caFile, `[127.0.0.1]:${port}`, 'mx.test']),
  ]);
  return {
    encrypt: /(Anonymous|Untrusted|Trusted|Verified) TLS connection established/.test(enc),
    verify: /Verified TLS connection established/.test(ver),
    log: `--- encrypt\n${enc}\n--- verify\n${ver}`,
  };
}

function fingerAvailable(t: TestContext): boolean {
  if (existsSync(POSTTLS_FINGER)) return true;
  if (process.env.CI === 'true') assert.fail(`${POSTTLS_FINGER} is missing in CI (scripts/install-test-deps.sh installs postfix)`);
  t.skip(`${POSTTLS_FINGER} is missing: install postfix to run the oracle`);
  return false;
}

interface Case {
  name: string;
  server: () => FakeSmtpOptions;
  implicit?: boolean;
  /** mxprobe's expected level and problem codes. */
  level: 'none' | 'encrypt' | 'verify';
  codes: string[];
  /** The check was made (a second connection): its outcome. */
  modern: boolean | 'not made';
  /** In the TLS_MODERN_HANDSHAKE_FAILED message: why. */
  why?: RegExp;
  /** The probe's own handshake, as recorded. */
  protocol: string;
  serverSignature?: string | null;
}

const CASES: Case[] = [
  {
    name: 'a good TLS 1.3 server',
    server: () => ({ tls: pki.certs.valid }),
    level: 'verify',
    codes: [],
    modern: 'not made',
    protocol: 'TLSv1.3',
    serverSignature: null,
  },
  {
    name: 'a TLS 1.0/1.1-only server (ECDHE)',
    server: () => ({ tls: { ...pki.certs.valid, minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' } }),
    level: 'none',
    codes: ['TLS_LEGACY_PROTOCOL', 'TLS_MODERN_HANDSHAKE_FAILED'],
    modern: false,
    why: /the server speaks only TLSv1\.1, and current senders require TLS 1\.2 or later/,
    protocol: 'TLSv1.1',
    serverSignature: 'rsa_pkcs1_md5_sha1',
  },
  {
    name: 'a TLS 1.0-only server with RSA key transport (nothing signed)',
    server: () => ({ tls: { ...pki.certs.valid, minVersion: 'TLSv1', maxVersion: 'TLSv1', ciphers: 'AES128-SHA:AES256-SHA@SECLEVEL=0' } }),
    level: 'none',
    codes: ['TLS_LEGACY_PROTOCOL', 'TLS_MODERN_HANDSHAKE_FAILED'],
    modern: false,
    why: /the server speaks only TLSv1, and current senders require TLS 1\.2 or later/,
    protocol: 'TLSv1',
    serverSignature: null,
  },
  {
    name: 'a TLS 1.2 server with only a 1024-bit DH group',
    server: () => ({
      tls: { ...pki.certs.valid, maxVersion: 'TLSv1.2', ciphers: 'DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384@SECLEVEL=0', dhparam: dh1024 },
    }),
    level: 'none',
    codes: ['TLS_MODERN_HANDSHAKE_FAILED'],
    modern: false,
    why: /its Diffie-Hellman group has 1024 bits, and current senders require 2048; OpenSSL says "dh key too small/,
    protocol: 'TLSv1.2',
    serverSignature: 'rsa_pss_rsae_sha256',
  },
  {
    name: 'a TLS 1.2 server that signs only with SHA-1',
    server: () => ({ tls: { ...pki.certs.valid, maxVersion: 'TLSv1.2', sigalgs: 'RSA+SHA1', ciphers: 'DEFAULT@SECLEVEL=0' } }),
    level: 'none',
    codes: ['TLS_MODERN_HANDSHAKE_FAILED'],
    modern: false,
    why: /accepts none of the cipher suites, groups or signature algorithms current senders offer \(offered SHA-1, it signs with rsa_pkcs1_sha1\)/,
    protocol: 'TLSv1.2',
    serverSignature: 'rsa_pkcs1_sha1',
  },
  {
    name: 'a good TLS 1.2 server (ECDHE, RSA-PSS): nothing in doubt',
    server: () => ({ tls: { ...pki.certs.valid, maxVersion: 'TLSv1.2' } }),
    level: 'verify',
    codes: [],
    modern: 'not made',
    protocol: 'TLSv1.2',
    serverSignature: 'rsa_pss_rsae_sha256',
  },
  {
    name: 'a TLS 1.3 server with an RSA-1024 leaf: stricter than Postfix, and says why (WEAK_KEY)',
    server: () => ({ tls: pki.certs.rsa1024 }),
    level: 'encrypt',
    codes: ['WEAK_KEY'],
    modern: 'not made',
    protocol: 'TLSv1.3',
  },
  {
    name: 'implicit TLS (port 465): a good server',
    server: () => ({ tls: pki.certs.valid, implicitTls: true }),
    implicit: true,
    level: 'verify',
    codes: [],
    modern: 'not made',
    protocol: 'TLSv1.3',
  },
  {
    name: 'implicit TLS (port 465): a TLS 1.0/1.1-only server',
    server: () => ({ tls: { ...pki.certs.valid, minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' }, implicitTls: true }),
    implicit: true,
    level: 'none',
    codes: ['TLS_LEGACY_PROTOCOL', 'TLS_MODERN_HANDSHAKE_FAILED'],
    modern: false,
    why: /the server speaks only TLSv1\.1/,
    protocol: 'TLSv1.1',
  },
];

// Two at a time: each case runs the CLI and two posttls-finger processes.
describe('what a sender with current TLS defaults gets, against posttls-finger', { concurrency: 2 }, () => {
  for (const c of CASES) {
    test(c.name, async (t) => {
      const smtp = await startFakeSmtp(c.server());
      try {
        const cli = await runCli([...serverArgs(smtp), '--ca-file', pki.caFile, ...PATIENT, '--json', ...(c.implicit === true ? ['--tls', 'implicit'] : [])]);
        const domain = onlyDomain(cli);
        const [address] = addressesOf(domain);
        const why = `problems: ${JSON.stringify(domain.problems.map((p: any) => `${p.code}: ${p.message}`))}`;

        // mxprobe's own judgement.
        assert.equal(address.tls.protocol, c.protocol);
        if (c.serverSignature !== undefined) assert.equal(address.tls.serverSignature, c.serverSignature);
        assert.equal(domain.level, c.level, why);
        assert.deepEqual(codesOf(domain), c.codes, why);
        assert.equal(cli.code, c.level === 'none' ? 1 : 0, why);
        if (c.modern === 'not made') {
          assert.equal(address.modernTls, null);
          assert.equal(smtp.sessions.length, 1, 'no second connection when nothing is in doubt');
        } else {
          assert.equal(address.modernTls.ok, c.modern);
          assert.equal(smtp.sessions.length, 2, 'one second connection for the check');
          assert.ok(typeof address.timings['modern-tls'] === 'number');
        }
        if (c.why !== undefined) {
          const p = problemOf(domain, 'TLS_MODERN_HANDSHAKE_FAILED');
          assert.match(p.message, c.why);
          assert.match(p.message, /delivers in plaintext where TLS is optional and does not deliver where TLS is required/);
          assert.deepEqual(domain.policies.slice(0, 4).map((x: any) => [x.policy, x.delivered, x.encrypted]), [
            ['a', 'yes', 'no'],
            ['b', 'yes', 'no'],
            ['c', 'no', 'n/a'],
            ['d', 'no', 'n/a'],
          ]);
        }
        assertNeverSentMail(smtp, { quitLast: true });

        // The oracle: never more lenient than Postfix; stricter only with a named reason.
        if (!fingerAvailable(t)) return;
        const pf = await finger(smtp.port, c.implicit === true);
        const log = `${why}\nposttls-finger:\n${pf.log}`;
        if (!pf.encrypt) assert.equal(domain.level, 'none', `posttls-finger -l encrypt fails, so must mxprobe\n${log}`);
        if (!pf.verify) assert.notEqual(domain.level, 'verify', `posttls-finger -l verify fails, so mxprobe must not verify\n${log}`);
        if (pf.encrypt && domain.level === 'none') assert.ok(codesOf(domain).includes('TLS_MODERN_HANDSHAKE_FAILED'), log);
        if (pf.verify && domain.level !== 'verify') {
          assert.ok(codesOf(domain).some((code: string) => ['TLS_MODERN_HANDSHAKE_FAILED', 'WEAK_KEY', 'WEAK_SIGNATURE'].includes(code)), log);
        }
        // Where both are at their best, they agree outright.
        if (c.level === 'verify') assert.ok(pf.encrypt && pf.verify, log);
        assertNeverSentMail(smtp, { quitLast: true });
      } finally {
        await smtp.close();
      }
    });
  }
});
