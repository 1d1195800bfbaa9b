// Test PKI generated at test time with the openssl CLI: a root, an intermediate and one leaf per
// certificate fault the probe must recognise. Test helper only: nothing here is ever committed.
// Dates are exact (`openssl ca -startdate/-enddate`); one generation per process (memoised).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TestCert {
  key: string; // PEM private key (PKCS#8)
  cert: string; // PEM: leaf first, then the intermediates the server should SEND
  leaf: string; // leaf PEM only
}

export interface TestPki {
  dir: string; // temporary directory holding the files; removed at process exit
  generatedAt: Date; // the "now" all dates are relative to (whole seconds)
  rootPem: string; // root CA (RSA-2048, self-signed, CA:TRUE), not in Node's bundled roots
  caFile: string; // path of a PEM file holding rootPem (what a user passes to --ca-file)
  intermediatePem: string; // intermediate CA signed by root
  untrustedRootPem: string; // the other root, which untrustedRoot chains to; NOT in caFile
  certs: {
    valid: TestCert; // RSA-2048, SAN mx.test + mail.test, CN mx.test, sha256, now-1d..now+300d, leaf+intermediate
    expiresSoon: TestCert; // as valid, notAfter now+10d
    expired: TestCert; // now-400d..now-5d
    notYetValid: TestCert; // now+5d..now+400d
    wrongName: TestCert; // SAN other.test only (CN other.test)
    wildcard: TestCert; // SAN *.test.example (CN *.test.example)
    cnOnly: TestCert; // no SAN extension, CN mx.test
    selfSigned: TestCert; // self-signed leaf, CA:FALSE, SAN mx.test; cert = leaf only
    missingIntermediate: TestCert; // signed by intermediate; cert = leaf only
    ecdsa: TestCert; // EC P-256 key, signed by the (RSA) intermediate: sha256WithRSAEncryption
    ed25519: TestCert; // Ed25519 key, signed by the (RSA) intermediate: sha256WithRSAEncryption
    rsa1024: TestCert; // RSA-1024 key, signed by intermediate
    sha1: TestCert; // RSA-2048, signed by intermediate with sha1WithRSAEncryption
    untrustedRoot: TestCert; // leaf + other intermediate; other root (untrustedRootPem) not in caFile
  };
  /** Chains for certificate path verification, each with the anchors of its own --ca-file. */
  paths: Record<PathScenarioName, PathScenario>;
}

/**
 * One chain a server may serve, and the trust anchors a client is given (`openssl verify -CAfile`,
 * mxprobe --ca-file). Dates relative to `generatedAt`, as everywhere here.
 */
export interface PathScenario {
  key: string; // leaf private key (PEM)
  leaf: string; // leaf PEM
  sent: string[]; // the PEMs the server sends after its leaf, in order
  cert: string; // leaf + sent, the server's chain file
  anchors: string[]; // PEMs of the scenario's --ca-file
  caFile: string; // path of a PEM file holding `anchors`
}

export type PathScenarioName =
  | 'good' // leaf <- intermediate <- root: the plain valid chain
  | 'goodRootSent' // as good, the server also sends the root
  | 'intermediateNotYetValid' // intermediate valid from now+5d (leaf valid now)
  | 'anchorExpired' // root expired at now-2d; the intermediate and leaf are valid
  | 'anchorNotYetValid' // root valid from now+5d
  | 'expiredLeafNonCaIssuer' // expired leaf (now-400d..now-5d) issued by a CA:FALSE server certificate
  | 'caWithoutCertSign' // intermediate CA:TRUE whose keyUsage lacks keyCertSign
  | 'pathLenExceeded' // root <- CA (pathlen:0) <- CA <- leaf
  | 'clientAuthLeaf' // leaf extendedKeyUsage clientAuth only
  | 'anyEkuLeaf' // leaf extendedKeyUsage anyExtendedKeyUsage only
  | 'leafKeyCertSignOnly' // leaf keyUsage keyCertSign only (no TLS key usage)
  | 'badSignature' // the leaf's signature damaged (last byte flipped)
  | 'crossSigned' // leaf <- R <- new root (anchor); also sent: new root cross-signed by an expired old root (also an anchor)
  | 'crossSignedOldStoreOnly' // the same chain, but the client trusts only the expired old root
  | 'criticalUnknownExtension' // leaf with a critical extension OpenSSL does not know
  | 'nameConstraintsViolated'; // intermediate permits DNS allowed.test only; leaf names mx.test (OpenSSL-only check)

const DAY_MS = 86_400_000;

type KeyKind = 'rsa2048' | 'rsa1024' | 'ec' | 'ed25519';

const KEYGEN_ARGS: Record<KeyKind, string[]> = {
  rsa2048: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'],
  rsa1024: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024'],
  ec: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-pkeyopt', 'ec_param_enc:named_curve'],
  ed25519: ['-algorithm', 'ED25519'],
};

/** ASN.1 UTCTime as `openssl ca -startdate/-enddate` take it: YYMMDDHHMMSSZ (years 1950..2049). */
function utcTime(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return (
    p(d.getUTCFullYear() % 100) + p(d.getUTCMonth() + 1) + p(d.getUTCDate()) +
    p(d.getUTCHours()) + p(d.getUTCMinutes()) + p(d.getUTCSeconds()) + 'Z'
  );
}

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await run('/usr/bin/openssl', args, { cwd, timeout: 20_000 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`openssl ${args[0] ?? ''} failed: ${e.stderr ?? e.message}`);
  }
}

async function genKey(dir: string, name: string, kind: KeyKind): Promise<string> {
  const file = path.join(dir, `${name}.key`);
  await openssl(['genpkey', ...KEYGEN_ARGS[kind], '-out', file], dir);
  return file;
}

interface IssueSpec {
  name: string; // file stem and job directory name
  subject: string; // e.g. '/O=x/CN=y'
  keyFile: string; // subject key
  issuer: { certFile: string; keyFile: string } | 'self';
  notBefore: Date;
  notAfter: Date;
  md: 'sha256' | 'sha1' | 'default'; // default: the key's own (none for Ed25519)
  extensions: string[]; // lines of the x509 extension section
}

/** Issue one certificate with `openssl ca` in its own job directory (own database: jobs run in parallel). */
async function issue(dir: string, spec: IssueSpec): Promise<{ file: string; pem: string }> {
  const job = path.join(dir, `job-${spec.name}`);
  await mkdir(job);
  const cnf = [
    '[ ca ]',
    'default_ca = CA_default',
    '[ CA_default ]',
    `database = ${path.join(job, 'index.txt')}`,
    `new_certs_dir = ${job}`,
    'rand_serial = yes',
    'policy = policy_any',
    'unique_subject = no',
    'email_in_dn = no',
    'copy_extensions = none',
    '[ policy_any ]',
    'organizationName = optional',
    'commonName = supplied',
    '[ req ]',
    'distinguished_name = req_dn',
    '[ req_dn ]',
    '[ ext ]',
    ...spec.extensions,
    '',
  ].join('\n');
  const cnfFile = path.join(job, 'ca.cnf');
  const csrFile = path.join(job, 'req.csr');
  const file = path.join(dir, `${spec.name}.pem`);
  await writeFile(cnfFile, cnf);
  await writeFile(path.join(job, 'index.txt'), '');
  await openssl(['req', '-new', '-config', cnfFile, '-key', spec.keyFile, '-subj', spec.subject, '-out', csrFile], job);
  const signer =
    spec.issuer === 'self'
      ? ['-selfsign', '-keyfile', spec.keyFile]
      : ['-cert', spec.issuer.certFile, '-keyfile', spec.issuer.keyFile];
  await openssl(
    [
      'ca', '-batch', '-config', cnfFile, '-preserveDN', '-notext', ...signer,
      '-in', csrFile, '-out', file,
      '-startdate', utcTime(spec.notBefore), '-enddate', utcTime(spec.notAfter),
      '-md', spec.md, '-extensions', 'ext',
    ],
    job,
  );
  return { file, pem: await readFile(file, 'utf8') };
}

const CA_EXT = [
  'basicConstraints = critical,CA:TRUE',
  'keyUsage = critical,keyCertSign,cRLSign',
  'subjectKeyIdentifier = hash',
  'authorityKeyIdentifier = keyid:always',
];

function leafExt(opts: { san: string[] | null; keyEncipherment: boolean; keyUsage?: string; eku?: string; extra?: string[] }): string[] {
  const lines = [
    'basicConstraints = critical,CA:FALSE',
    `keyUsage = critical,${opts.keyUsage ?? `digitalSignature${opts.keyEncipherment ? ',keyEncipherment' : ''}`}`,
    `extendedKeyUsage = ${opts.eku ?? 'serverAuth'}`,
    'subjectKeyIdentifier = hash',
    'authorityKeyIdentifier = keyid:always',
    ...(opts.extra ?? []),
  ];
  if (opts.san) lines.push(`subjectAltName = ${opts.san.map((n) => `DNS:${n}`).join(',')}`);
  return lines;
}

/** A PEM whose signature's last byte is flipped: still parseable, no longer verifiable. */
function damageSignature(pem: string): string {
  const der = Buffer.from(pem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s+/g, ''), 'base64');
  der[der.length - 1] = (der[der.length - 1] as number) ^ 0x01;
  const b64 = der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}

async function generate(): Promise<TestPki> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mxprobe-pki-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));

  const now = new Date(Math.floor(Date.now() / 1000) * 1000);
  const at = (days: number): Date => new Date(now.getTime() + days * DAY_MS);

  // Keys, all at once: the RSA-2048 ones are the cost. One RSA-2048 leaf key is shared by every
  // leaf whose key type does not matter.
  const [rootKey, interKey, otherRootKey, otherInterKey, leafKey, rsa1024Key, ecKey, edKey] = await Promise.all([
    genKey(dir, 'root', 'rsa2048'),
    genKey(dir, 'intermediate', 'rsa2048'),
    genKey(dir, 'other-root', 'rsa2048'),
    genKey(dir, 'other-intermediate', 'rsa2048'),
    genKey(dir, 'leaf', 'rsa2048'),
    genKey(dir, 'rsa1024', 'rsa1024'),
    genKey(dir, 'ecdsa', 'ec'),
    genKey(dir, 'ed25519', 'ed25519'),
  ]);

  const caFrom = at(-800);
  const caTo = at(3650);
  const [root, otherRoot] = await Promise.all([
    issue(dir, {
      name: 'root', subject: '/O=mxprobe tests/CN=mxprobe Test Root CA', keyFile: rootKey, issuer: 'self',
      notBefore: caFrom, notAfter: caTo, md: 'sha256', extensions: CA_EXT,
    }),
    issue(dir, {
      name: 'other-root', subject: '/O=mxprobe untrusted/CN=mxprobe Untrusted Root CA', keyFile: otherRootKey,
      issuer: 'self', notBefore: caFrom, notAfter: caTo, md: 'sha256', extensions: CA_EXT,
    }),
  ]);
  const [inter, otherInter] = await Promise.all([
    issue(dir, {
      name: 'intermediate', subject: '/O=mxprobe tests/CN=mxprobe Test Intermediate CA', keyFile: interKey,
      issuer: { certFile: root.file, keyFile: rootKey }, notBefore: caFrom, notAfter: caTo, md: 'sha256',
      extensions: CA_EXT,
    }),
    issue(dir, {
      name: 'other-intermediate', subject: '/O=mxprobe untrusted/CN=mxprobe Untrusted Intermediate CA',
      keyFile: otherInterKey, issuer: { certFile: otherRoot.file, keyFile: otherRootKey }, notBefore: caFrom,
      notAfter: caTo, md: 'sha256', extensions: CA_EXT,
    }),
  ]);

  const byInter = { certFile: inter.file, keyFile: interKey };
  const MX = ['mx.test', 'mail.test'];
  interface LeafSpec {
    keyFile: string;
    cn?: string;
    san?: string[] | null; // null: no SAN extension
    from?: number; // days relative to now
    to?: number;
    md?: 'sha256' | 'sha1';
    issuer?: IssueSpec['issuer'];
    chain: string[]; // PEMs sent after the leaf
    keyEncipherment?: boolean;
  }
  const leafSpecs: Record<keyof TestPki['certs'], LeafSpec> = {
    valid: { keyFile: leafKey, chain: [inter.pem] },
    expiresSoon: { keyFile: leafKey, to: 10, chain: [inter.pem] },
    expired: { keyFile: leafKey, from: -400, to: -5, chain: [inter.pem] },
    notYetValid: { keyFile: leafKey, from: 5, to: 400, chain: [inter.pem] },
    wrongName: { keyFile: leafKey, cn: 'other.test', san: ['other.test'], chain: [inter.pem] },
    wildcard: { keyFile: leafKey, cn: '*.test.example', san: ['*.test.example'], chain: [inter.pem] },
    cnOnly: { keyFile: leafKey, san: null, chain: [inter.pem] },
    selfSigned: { keyFile: leafKey, san: ['mx.test'], issuer: 'self', chain: [] },
    missingIntermediate: { keyFile: leafKey, chain: [] },
    ecdsa: { keyFile: ecKey, san: ['mx.test'], keyEncipherment: false, chain: [inter.pem] },
    ed25519: { keyFile: edKey, san: ['mx.test'], keyEncipherment: false, chain: [inter.pem] },
    rsa1024: { keyFile: rsa1024Key, san: ['mx.test'], chain: [inter.pem] },
    sha1: { keyFile: leafKey, md: 'sha1', chain: [inter.pem] },
    untrustedRoot: {
      keyFile: leafKey, issuer: { certFile: otherInter.file, keyFile: otherInterKey }, chain: [otherInter.pem],
    },
  };

  const names = Object.keys(leafSpecs) as Array<keyof TestPki['certs']>;
  const keyPem = new Map<string, Promise<string>>();
  const readKey = (f: string): Promise<string> => {
    let p = keyPem.get(f);
    if (!p) keyPem.set(f, (p = readFile(f, 'utf8')));
    return p;
  };
  const built = await Promise.all(
    names.map(async (name): Promise<[string, TestCert]> => {
      const s = leafSpecs[name];
      const { pem } = await issue(dir, {
        name: `leaf-${name}`,
        subject: `/CN=${s.cn ?? 'mx.test'}`,
        keyFile: s.keyFile,
        issuer: s.issuer ?? byInter,
        notBefore: at(s.from ?? -1),
        notAfter: at(s.to ?? 300),
        md: s.md ?? 'sha256',
        extensions: leafExt({ san: s.san === undefined ? MX : s.san, keyEncipherment: s.keyEncipherment ?? true }),
      });
      return [name, { key: await readKey(s.keyFile), cert: [pem, ...s.chain].join(''), leaf: pem }];
    }),
  );

  const caFile = path.join(dir, 'ca.pem');
  await writeFile(caFile, root.pem);
  const paths = await generatePaths(dir, at, { root, rootKey, inter, interKey });
  return {
    dir,
    generatedAt: now,
    rootPem: root.pem,
    caFile,
    intermediatePem: inter.pem,
    untrustedRootPem: otherRoot.pem,
    certs: Object.fromEntries(built) as TestPki['certs'],
    paths,
  };
}

/** The chains of `TestPki.paths`: EC P-256 keys (fast to make), each CA with its own key. */
async function generatePaths(
  dir: string,
  at: (days: number) => Date,
  base: { root: { file: string; pem: string }; rootKey: string; inter: { file: string; pem: string }; interKey: string },
): Promise<TestPki['paths']> {
  const keyNames = ['p-leaf', 'p-inter-future', 'p-root-expired', 'p-inter-expired-root', 'p-root-future', 'p-inter-future-root',
    'p-ee-issuer', 'p-inter-nosign', 'p-inter-pathlen0', 'p-inter-low', 'p-root-new', 'p-root-old', 'p-inter-r', 'p-inter-nc'] as const;
  const keys = Object.fromEntries(
    await Promise.all(keyNames.map(async (n) => [n, await genKey(dir, n, 'ec')] as const)),
  ) as Record<(typeof keyNames)[number], string>;
  const ca = (name: string, subject: string, keyFile: string, issuer: IssueSpec['issuer'], from: number, to: number, extensions = CA_EXT) =>
    issue(dir, { name, subject, keyFile, issuer, notBefore: at(from), notAfter: at(to), md: 'sha256', extensions });
  const by = (c: { file: string }, keyFile: string) => ({ certFile: c.file, keyFile });
  const root = by(base.root, base.rootKey);

  const [interFuture, rootExpired, rootFuture, rootNew, rootOld, interPathLen0, interNoSign, interNc] = await Promise.all([
    ca('p-inter-future', '/O=mxprobe paths/CN=Future Intermediate', keys['p-inter-future'], root, 5, 3000),
    ca('p-root-expired', '/O=mxprobe paths/CN=Expired Root', keys['p-root-expired'], 'self', -3000, -2),
    ca('p-root-future', '/O=mxprobe paths/CN=Future Root', keys['p-root-future'], 'self', 5, 3000),
    ca('p-root-new', '/O=mxprobe paths/CN=New Root X1', keys['p-root-new'], 'self', -1000, 3000),
    ca('p-root-old', '/O=mxprobe paths/CN=Old Root X3', keys['p-root-old'], 'self', -5000, -100),
    ca('p-inter-pathlen0', '/O=mxprobe paths/CN=PathLen0 CA', keys['p-inter-pathlen0'], root, -100, 3000,
      ['basicConstraints = critical,CA:TRUE,pathlen:0', ...CA_EXT.slice(1)]),
    ca('p-inter-nosign', '/O=mxprobe paths/CN=No CertSign CA', keys['p-inter-nosign'], root, -100, 3000,
      ['basicConstraints = critical,CA:TRUE', 'keyUsage = critical,digitalSignature,cRLSign', ...CA_EXT.slice(2)]),
    ca('p-inter-nc', '/O=mxprobe paths/CN=Constrained CA', keys['p-inter-nc'], root, -100, 3000,
      [...CA_EXT, 'nameConstraints = critical,permitted;DNS:allowed.test']),
  ]);
  const [interExpiredRoot, interFutureRoot, interLow, interR, crossSign, eeIssuer] = await Promise.all([
    ca('p-inter-expired-root', '/O=mxprobe paths/CN=Intermediate Under Expired Root', keys['p-inter-expired-root'], by(rootExpired, keys['p-root-expired']), -2000, 3000),
    ca('p-inter-future-root', '/O=mxprobe paths/CN=Intermediate Under Future Root', keys['p-inter-future-root'], by(rootFuture, keys['p-root-future']), -100, 3000),
    ca('p-inter-low', '/O=mxprobe paths/CN=Below PathLen0 CA', keys['p-inter-low'], by(interPathLen0, keys['p-inter-pathlen0']), -100, 3000),
    ca('p-inter-r', '/O=mxprobe paths/CN=R3', keys['p-inter-r'], by(rootNew, keys['p-root-new']), -500, 1000),
    // The new root's name and key, signed by the old root: the cross-sign, itself expired.
    ca('p-cross-sign', '/O=mxprobe paths/CN=New Root X1', keys['p-root-new'], by(rootOld, keys['p-root-old']), -1500, -50),
    issue(dir, {
      name: 'p-ee-issuer', subject: '/CN=not-a-ca.test', keyFile: keys['p-ee-issuer'], issuer: by(base.inter, base.interKey),
      notBefore: at(-500), notAfter: at(300), md: 'sha256', extensions: leafExt({ san: ['not-a-ca.test'], keyEncipherment: true }),
    }),
  ]);

  const leafKey = keys['p-leaf'];
  interface Spec {
    issuer: { file: string };
    issuerKey: string;
    sent: string[];
    anchors: string[];
    from?: number;
    to?: number;
    ext?: Partial<Parameters<typeof leafExt>[0]>;
    damage?: boolean;
  }
  const inter = base.inter;
  const specs: Record<PathScenarioName, Spec> = {
    good: { issuer: inter, issuerKey: base.interKey, sent: [inter.pem], anchors: [base.root.pem] },
    goodRootSent: { issuer: inter, issuerKey: base.interKey, sent: [inter.pem, base.root.pem], anchors: [base.root.pem] },
    intermediateNotYetValid: { issuer: interFuture, issuerKey: keys['p-inter-future'], sent: [interFuture.pem], anchors: [base.root.pem] },
    anchorExpired: { issuer: interExpiredRoot, issuerKey: keys['p-inter-expired-root'], sent: [interExpiredRoot.pem], anchors: [rootExpired.pem] },
    anchorNotYetValid: { issuer: interFutureRoot, issuerKey: keys['p-inter-future-root'], sent: [interFutureRoot.pem], anchors: [rootFuture.pem] },
    expiredLeafNonCaIssuer: { issuer: eeIssuer, issuerKey: keys['p-ee-issuer'], sent: [eeIssuer.pem, inter.pem], anchors: [base.root.pem], from: -400, to: -5 },
    caWithoutCertSign: { issuer: interNoSign, issuerKey: keys['p-inter-nosign'], sent: [interNoSign.pem], anchors: [base.root.pem] },
    pathLenExceeded: { issuer: interLow, issuerKey: keys['p-inter-low'], sent: [interLow.pem, interPathLen0.pem], anchors: [base.root.pem] },
    clientAuthLeaf: { issuer: inter, issuerKey: base.interKey, sent: [inter.pem], anchors: [base.root.pem], ext: { eku: 'clientAuth' } },
    anyEkuLeaf: { issuer: inter, issuerKey: base.interKey, sent: [inter.pem], anchors: [base.root.pem], ext: { eku: 'anyExtendedKeyUsage' } },
    leafKeyCertSignOnly: { issuer: inter, issuerKey: base.interKey, sent: [inter.pem], anchors: [base.root.pem], ext: { keyUsage: 'keyCertSign' } },
    badSignature: { issuer: inter, issuerKey: base.interKey, sent: [inter.pem], anchors: [base.root.pem], damage: true },
    crossSigned: { issuer: interR, issuerKey: keys['p-inter-r'], sent: [interR.pem, crossSign.pem], anchors: [rootNew.pem, rootOld.pem] },
    crossSignedOldStoreOnly: { issuer: interR, issuerKey: keys['p-inter-r'], sent: [interR.pem, crossSign.pem], anchors: [rootOld.pem] },
    criticalUnknownExtension: {
      issuer: inter, issuerKey: base.interKey, sent: [inter.pem], anchors: [base.root.pem],
      ext: { extra: ['1.3.6.1.4.1.55555.1.1 = critical,ASN1:UTF8String:mxprobe test'] },
    },
    nameConstraintsViolated: { issuer: interNc, issuerKey: keys['p-inter-nc'], sent: [interNc.pem], anchors: [base.root.pem] },
  };
  const names = Object.keys(specs) as PathScenarioName[];
  const key = await readFile(leafKey, 'utf8');
  const built = await Promise.all(
    names.map(async (name): Promise<[PathScenarioName, PathScenario]> => {
      const s = specs[name];
      const issued = await issue(dir, {
        name: `p-leaf-${name}`, subject: '/CN=mx.test', keyFile: leafKey, issuer: { certFile: s.issuer.file, keyFile: s.issuerKey },
        notBefore: at(s.from ?? -1), notAfter: at(s.to ?? 300), md: 'sha256',
        extensions: leafExt({ san: ['mx.test', 'mail.test'], keyEncipherment: false, ...s.ext }),
      });
      const leaf = s.damage === true ? damageSignature(issued.pem) : issued.pem;
      const caFile = path.join(dir, `p-ca-${name}.pem`);
      await writeFile(caFile, s.anchors.join(''));
      return [name, { key, leaf, sent: s.sent, cert: [leaf, ...s.sent].join(''), anchors: s.anchors, caFile }];
    }),
  );
  return Object.fromEntries(built) as TestPki['paths'];
}

let memo: Promise<TestPki> | undefined;

/**
 * The test PKI, generated on first call (about 1 s) and shared by every later call in the process.
 * @example const pki = await makeTestPki(); startFakeSmtp({ tls: pki.certs.valid });
 */
export async function makeTestPki(): Promise<TestPki> {
  memo ??= generate();
  return memo;
}

/**
 * The building blocks of this PKI, for helpers that need certificates of their own
 * (test/helpers/dane-pki.ts): `openssl ca` with exact dates in its own job directory, key
 * generation, and the CA and leaf extension sections used here.
 * @example const { file, pem } = await PKI_TOOLS.issue(dir, { name: 'x', subject: '/CN=x', keyFile, issuer: 'self', notBefore, notAfter, md: 'default', extensions: PKI_TOOLS.CA_EXT });
 */
export const PKI_TOOLS = { openssl, issue, CA_EXT, leafExt, damageSignature } as const;
export type { IssueSpec };
