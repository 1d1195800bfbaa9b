// Certificates for DANE tests, generated at test time with the openssl CLI (test/helpers/pki.ts
// PKI_TOOLS): for each key type (RSA-2048, ECDSA P-256, ECDSA P-384, Ed25519) a root, an
// intermediate and a leaf, each signed with its issuer's own key type; and DANE-TA chain cases
// (EC P-256: fast to make). Test helper only: nothing here is ever committed. Memoised per process.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { PKI_TOOLS, type IssueSpec } from './pki.ts';

const run = promisify(execFile);
const DAY_MS = 86_400_000;

export type DaneKeyKind = 'rsa' | 'p256' | 'p384' | 'ed25519';
export const DANE_KEY_KINDS: readonly DaneKeyKind[] = ['rsa', 'p256', 'p384', 'ed25519'];

const KEYGEN: Record<DaneKeyKind, string[]> = {
  rsa: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'],
  p256: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-pkeyopt', 'ec_param_enc:named_curve'],
  p384: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384', '-pkeyopt', 'ec_param_enc:named_curve'],
  ed25519: ['-algorithm', 'ED25519'],
};

/** One certificate with its file (for openssl) and PEM. */
export interface DaneCert {
  file: string;
  pem: string;
}

/** A chain as a server sends it (leaf first), with the certificates a test names. */
export interface DaneChain {
  sent: DaneCert[];
}

export interface DanePki {
  dir: string;
  generatedAt: Date;
  /** Per key type: root (self-signed) → intermediate → leaf (SAN mx.dane.test), all of that key type; sent: leaf, intermediate, root. */
  kinds: Record<DaneKeyKind, { root: DaneCert; intermediate: DaneCert; leaf: DaneCert; chain: DaneChain }>;
  /** DANE-TA cases, EC P-256; `root` and `intermediate` are the P-256 ones of `kinds`. */
  cases: {
    /** leaf ← inter2 ← inter1 ← root; sent: leaf, inter2, inter1 (the root not sent). */
    deep: DaneChain & { inter1: DaneCert; inter2: DaneCert; root: DaneCert };
    /** The P-256 leaf and intermediate only (root not sent). */
    rootNotSent: DaneChain & { root: DaneCert };
    /** The P-256 leaf and intermediate, plus an unrelated root that issued neither. */
    strayCa: DaneChain & { stray: DaneCert };
    /** The P-256 leaf, then an impostor CA with the intermediate's name and key identifier but another key. */
    impostor: DaneChain & { impostor: DaneCert };
    /** Leaf naming other.dane.test only, under the P-256 intermediate; sent: leaf, intermediate, root. */
    wrongName: DaneChain;
    /** Leaf expired (now-400d..now-5d) under the P-256 intermediate; sent: leaf, intermediate, root. */
    expiredLeaf: DaneChain;
    /** Leaf (valid) under an intermediate that expired at now-2d, under the P-256 root; sent: leaf, expired intermediate, root. */
    expiredIntermediate: DaneChain & { intermediate: DaneCert };
    /** Leaf issued by a certificate that is no CA (basicConstraints CA:FALSE, no keyUsage), itself under the P-256 intermediate; sent: leaf, that issuer, intermediate. */
    nonCaIssuer: DaneChain;
    /** A second leaf key under the P-256 intermediate (the "next key" of a rollover); sent: leaf, intermediate, root. */
    nextKey: DaneChain;
    /** The P-256 leaf's key in a second certificate (a renewal with the same key); sent: leaf, intermediate, root. */
    sameKeyRenewed: DaneChain;
  };
}

async function genKey(dir: string, name: string, kind: DaneKeyKind): Promise<string> {
  const file = path.join(dir, `${name}.key`);
  await PKI_TOOLS.openssl(['genpkey', ...KEYGEN[kind], '-out', file], dir);
  return file;
}

async function generate(): Promise<DanePki> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mxprobe-dane-pki-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const now = new Date(Math.floor(Date.now() / 1000) * 1000);
  const at = (days: number) => new Date(now.getTime() + days * DAY_MS);
  const issue = (spec: Omit<IssueSpec, 'md' | 'notBefore' | 'notAfter'> & { from?: number; to?: number }) =>
    PKI_TOOLS.issue(dir, { ...spec, md: 'default', notBefore: at(spec.from ?? -1), notAfter: at(spec.to ?? 300) });
  const by = (c: DaneCert, keyFile: string) => ({ certFile: c.file, keyFile });
  const leafExt = (san: string) => PKI_TOOLS.leafExt({ san: [san], keyEncipherment: false });

  const kinds = {} as DanePki['kinds'];
  const p256Keys: Record<string, string> = {};
  await Promise.all(
    DANE_KEY_KINDS.map(async (kind) => {
      const [rootKey, interKey, leafKey] = await Promise.all(['root', 'inter', 'leaf'].map((n) => genKey(dir, `${kind}-${n}`, kind)));
      const root = await issue({ name: `${kind}-root`, subject: `/O=mxprobe dane/CN=DANE ${kind} Root`, keyFile: rootKey as string, issuer: 'self', from: -800, to: 3650, extensions: PKI_TOOLS.CA_EXT });
      const intermediate = await issue({ name: `${kind}-inter`, subject: `/O=mxprobe dane/CN=DANE ${kind} Intermediate`, keyFile: interKey as string, issuer: by(root, rootKey as string), from: -800, to: 3650, extensions: PKI_TOOLS.CA_EXT });
      const leaf = await issue({ name: `${kind}-leaf`, subject: '/CN=mx.dane.test', keyFile: leafKey as string, issuer: by(intermediate, interKey as string), extensions: leafExt('mx.dane.test') });
      kinds[kind] = { root, intermediate, leaf, chain: { sent: [leaf, intermediate, root] } };
      if (kind === 'p256') Object.assign(p256Keys, { root: rootKey, inter: interKey, leaf: leafKey });
    }),
  );

  const { root, intermediate, leaf } = kinds.p256;
  const rootKey = p256Keys.root as string;
  const interKey = p256Keys.inter as string;
  const [inter1Key, inter2Key, deepLeafKey, strayKey, impostorKey, expInterKey, eeIssuerKey, nextKey] = await Promise.all(
    ['inter1', 'inter2', 'deep-leaf', 'stray', 'impostor', 'exp-inter', 'ee-issuer', 'next'].map((n) => genKey(dir, `case-${n}`, 'p256')),
  ) as string[] as [string, string, string, string, string, string, string, string];

  const skid = (await run('/usr/bin/openssl', ['x509', '-in', intermediate.file, '-noout', '-ext', 'subjectKeyIdentifier'])).stdout
    .split('\n').map((l) => l.trim()).find((l) => /^[0-9A-F:]+$/i.test(l) && l.includes(':'));
  if (skid === undefined) throw new Error('no subjectKeyIdentifier on the P-256 intermediate');

  const [inter1, stray, impostor, expiredInter, wrongName, expiredLeaf, nextLeaf, renewed] = await Promise.all([
    issue({ name: 'case-inter1', subject: '/O=mxprobe dane/CN=Deep Inter 1', keyFile: inter1Key, issuer: by(root, rootKey), from: -500, to: 3000, extensions: PKI_TOOLS.CA_EXT }),
    issue({ name: 'case-stray', subject: '/O=mxprobe stray/CN=Stray Root', keyFile: strayKey, issuer: 'self', from: -500, to: 3000, extensions: PKI_TOOLS.CA_EXT }),
    issue({
      name: 'case-impostor', subject: '/O=mxprobe dane/CN=DANE p256 Intermediate', keyFile: impostorKey, issuer: 'self', from: -500, to: 3000,
      extensions: ['basicConstraints = critical,CA:TRUE', 'keyUsage = critical,keyCertSign,cRLSign', `subjectKeyIdentifier = ${skid.replace(/:/g, '')}`],
    }),
    issue({ name: 'case-exp-inter', subject: '/O=mxprobe dane/CN=Expired Intermediate', keyFile: expInterKey, issuer: by(root, rootKey), from: -500, to: -2, extensions: PKI_TOOLS.CA_EXT }),
    issue({ name: 'case-wrong-name', subject: '/CN=other.dane.test', keyFile: p256Keys.leaf as string, issuer: by(intermediate, interKey), extensions: leafExt('other.dane.test') }),
    issue({ name: 'case-expired-leaf', subject: '/CN=mx.dane.test', keyFile: p256Keys.leaf as string, issuer: by(intermediate, interKey), from: -400, to: -5, extensions: leafExt('mx.dane.test') }),
    issue({ name: 'case-next', subject: '/CN=mx.dane.test', keyFile: nextKey, issuer: by(intermediate, interKey), extensions: leafExt('mx.dane.test') }),
    issue({ name: 'case-renewed', subject: '/CN=mx.dane.test', keyFile: p256Keys.leaf as string, issuer: by(intermediate, interKey), from: -1, to: 400, extensions: leafExt('mx.dane.test') }),
  ]);
  const [inter2, leafUnderExpired, eeIssuer] = await Promise.all([
    issue({ name: 'case-inter2', subject: '/O=mxprobe dane/CN=Deep Inter 2', keyFile: inter2Key, issuer: by(inter1, inter1Key), from: -500, to: 3000, extensions: PKI_TOOLS.CA_EXT }),
    issue({ name: 'case-leaf-exp-inter', subject: '/CN=mx.dane.test', keyFile: p256Keys.leaf as string, issuer: by(expiredInter, expInterKey), extensions: leafExt('mx.dane.test') }),
    issue({
      name: 'case-ee-issuer', subject: '/CN=not-a-ca.dane.test', keyFile: eeIssuerKey, issuer: by(intermediate, interKey), from: -500, to: 3000,
      extensions: ['basicConstraints = critical,CA:FALSE', 'subjectKeyIdentifier = hash', 'authorityKeyIdentifier = keyid:always'],
    }),
  ]);
  const [deepLeaf, leafUnderEe] = await Promise.all([
    issue({ name: 'case-deep-leaf', subject: '/CN=mx.dane.test', keyFile: deepLeafKey, issuer: by(inter2, inter2Key), extensions: leafExt('mx.dane.test') }),
    issue({ name: 'case-leaf-ee', subject: '/CN=mx.dane.test', keyFile: p256Keys.leaf as string, issuer: by(eeIssuer, eeIssuerKey), extensions: leafExt('mx.dane.test') }),
  ]);

  return {
    dir,
    generatedAt: now,
    kinds,
    cases: {
      deep: { sent: [deepLeaf, inter2, inter1], inter1, inter2, root },
      rootNotSent: { sent: [leaf, intermediate], root },
      strayCa: { sent: [leaf, intermediate, stray], stray },
      impostor: { sent: [leaf, impostor], impostor },
      wrongName: { sent: [wrongName, intermediate, root] },
      expiredLeaf: { sent: [expiredLeaf, intermediate, root] },
      expiredIntermediate: { sent: [leafUnderExpired, expiredInter, root], intermediate: expiredInter },
      nonCaIssuer: { sent: [leafUnderEe, eeIssuer, intermediate] },
      nextKey: { sent: [nextLeaf, intermediate, root] },
      sameKeyRenewed: { sent: [renewed, intermediate, root] },
    },
  };
}

let memo: Promise<DanePki> | undefined;

/**
 * The DANE test certificates, generated on first call (a few seconds) and shared in the process.
 * @example const pki = await makeDanePki(); pki.kinds.ed25519.leaf.pem
 */
export function makeDanePki(): Promise<DanePki> {
  memo ??= generate();
  return memo;
}

/**
 * The TLSA association data of a certificate computed by the openssl CLI alone (the oracle):
 * selector 0 from `openssl x509 -outform DER`, selector 1 from `openssl x509 -pubkey | openssl
 * pkey -pubin -outform DER`, digested by `openssl dgst -sha256` / `-sha512`. Keys "s m"
 * ('1 1'), lower-case hex; `spkiDer` the selector-1 bytes.
 * @example (await opensslTlsaData(cert.file))['1 1'] // the "3 1 1" data
 */
/** TLSA association data by "selector matchingType", and the SPKI bytes. */
export type OracleData = { [sm in '0 0' | '0 1' | '0 2' | '1 0' | '1 1' | '1 2']: string } & { spkiDer: Buffer };

export async function opensslTlsaData(certFile: string): Promise<OracleData> {
  const script = [
    'set -e',
    'x509der=$(mktemp); spki=$(mktemp)',
    `openssl x509 -in "$1" -outform DER -out "$x509der"`,
    `openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER -out "$spki"`,
    'for f in "$x509der" "$spki"; do',
    '  od -An -v -tx1 "$f" | tr -d " \\n"; echo',
    '  openssl dgst -sha256 -r "$f" | cut -d" " -f1',
    '  openssl dgst -sha512 -r "$f" | cut -d" " -f1',
    'done',
    'rm -f "$x509der" "$spki"',
  ].join('\n');
  const { stdout } = await run('/bin/sh', ['-c', script, 'sh', certFile], { timeout: 20_000, maxBuffer: 1 << 22 });
  const [c0, c1, c2, s0, s1, s2] = stdout.trim().split('\n').map((l) => l.trim().toLowerCase());
  if (s2 === undefined) throw new Error(`openssl gave no TLSA data for ${certFile}`);
  return { '0 0': c0 as string, '0 1': c1 as string, '0 2': c2 as string, '1 0': s0 as string, '1 1': s1 as string, '1 2': s2, spkiDer: Buffer.from(s0 as string, 'hex') };
}

/** Reads a PEM file. @example await pemOf(file) */
export const pemOf = (file: string) => readFile(file, 'utf8');
