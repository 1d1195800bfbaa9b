/**
 * The trust anchors a probe verifies against: Node's bundled Mozilla roots (and those of
 * NODE_EXTRA_CA_CERTS, which Node adds to them) plus the PEM certificates of --ca-file
 * (private CAs, as some partners use), with an index of them by subject for building
 * verification paths, and the run's certificate cache. The subjects of Node's bundled roots
 * come from a table the build computed (root-subject-table.ts): reading ~144 subjects at
 * every start cost 5-10 ms of a probe's start-up.
 */
import { X509Certificate } from 'node:crypto';
import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { quote } from '../render/sanitize.js';
import { subjectKeyOf } from './certificate-fields.js';
import { CertificateCache, type ParsedCertificate } from './parsed-certificate.js';
import { ROOT_SUBJECT_TABLE } from './root-subject-table.js';

/**
 * The trust anchors of a run, made by makeTrustStore and passed to every probe
 * (ProbeOptions.trust). For a library user it is a handle: the members marked internal are
 * the probe's business and are left out of the published declarations.
 *
 * @example const trust: TrustStore = makeTrustStore(readCaFile('partner-ca.pem'));
 */
export interface TrustStore {
  /**
   * One TLS context for every handshake of a run: these anchors, TLS 1.0 and up, every
   * cipher OpenSSL still has (security level 0), so weak servers yield facts to judge.
   * Built once, on first use: loading ~144 roots into a context costs ~18 ms, too much per address.
   */
  readonly secureContext: SecureContext;
  /** Is this DER certificate one of the anchors? */
  isAnchor(der: Buffer): boolean;
  /**
   * The anchors whose subject has this name key (der.ts nameKey), in store order: Node's roots,
   * NODE_EXTRA_CA_CERTS, then --ca-file. The index is built on first use (each subject from the
   * build's table of Node's roots, else read from the anchor's DER); an anchor is parsed, into
   * `certificates`, only when it is a candidate issuer, and kept only when its own subject has
   * the key (so that a table entry can never make a wrong candidate).
   * @internal
   */
  anchorsNamed(nameKey: string): readonly ParsedCertificate[];
  /**
   * The run's decoded certificates, by DER (anchors included).
   * @internal
   */
  certificates: CertificateCache;
  /**
   * The anchors as PEM, in store order (Node's roots, NODE_EXTRA_CA_CERTS, --ca-file): for a
   * context of full verification at Node's default security level, such as the MTA-STS policy
   * fetch (mta-sts/fetch-policy.ts: its options take the TrustStore, so the PEMs stay the
   * store's business), never `secureContext`. Built on first call, the same array every call.
   * @internal
   */
  anchorPems(): readonly string[];
  /**
   * What the first handshake and the first verification path need (the context, the anchors,
   * their index by subject), which makeTrustStore leaves for first use, as steps of a few ms
   * each: a caller with time to spare, such as a run waiting for its first server, builds them
   * then, one step per turn of the event loop (cli/run.ts). Steps already done do nothing.
   * @internal
   */
  preparation(): Array<() => void>;
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** An unusable --ca-file, in words for the user. @example throw new TrustStoreError('--ca-file ca.pem holds no PEM certificate') */
export class TrustStoreError extends Error {
  override name = 'TrustStoreError';
}

/** Largest certificate file read (--ca-file, NODE_EXTRA_CA_CERTS); a system bundle is about 200 KiB. */
export const MAX_CA_FILE_BYTES = 16 * 1024 * 1024;

/**
 * A local text file read whole, but never more than `maxBytes` of it: a FIFO, a device or a
 * huge file given by mistake costs at most that. Returns null when it is larger; throws the
 * file system's error (ENOENT, EACCES, …) when it cannot be read.
 *
 * @example readBoundedText('cert.pem', 1024 * 1024) // the PEM text, or null when over 1 MiB
 */
export function readBoundedText(path: string, maxBytes: number): string | null {
  const fd = openSync(path, 'r');
  try {
    const stat = fstatSync(fd);
    if (stat.isFile() && stat.size > maxBytes) return null;
    const chunks: Buffer[] = [];
    let size = 0;
    for (;;) {
      // A regular file in one read of its size (and one more to see its end); anything else in pieces.
      const chunk = Buffer.allocUnsafe(stat.isFile() ? Math.min(stat.size, maxBytes) + 1 : 64 * 1024);
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
      size += n;
      if (size > maxBytes) return null;
    }
    return Buffer.concat(chunks, size).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** Reads a PEM file of one or more certificates. Throws TrustStoreError with a one-line reason. @example makeTrustStore(readCaFile('partner-ca.pem')) */
export function readCaFile(path: string): string[] {
  let text: string | null;
  try {
    text = readBoundedText(path, MAX_CA_FILE_BYTES);
  } catch (err) {
    throw new TrustStoreError(`cannot read --ca-file ${quote(path, 200)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (text === null) throw new TrustStoreError(`--ca-file ${quote(path, 200)} is larger than ${MAX_CA_FILE_BYTES / 1024 / 1024} MiB: not a file of CA certificates`);
  const pems = text.match(PEM_BLOCK) ?? [];
  if (pems.length === 0) throw new TrustStoreError(`--ca-file ${quote(path, 200)} holds no PEM certificate`);
  for (const pem of pems) {
    try {
      new X509Certificate(pem);
    } catch {
      throw new TrustStoreError(`--ca-file ${quote(path, 200)} holds a certificate that cannot be parsed`);
    }
  }
  return pems;
}

/**
 * A PEM block's DER as base64, without parsing: an anchor's id, the same as `cert.raw.toString('base64')`.
 *
 * @example anchorId(rootCertificates[0]) === new X509Certificate(rootCertificates[0]).raw.toString('base64') // true
 */
export function anchorId(pem: string): string {
  return pem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s+/g, '');
}

/**
 * A short name for a certificate, from its id: its length and the last 24 characters (18 bytes
 * of its signature), what the build's table of root subjects is keyed by.
 *
 * @example anchorFingerprint(anchorId(pem)) // '1856:…'
 */
export function anchorFingerprint(id: string): string {
  return `${id.length}:${id.slice(-24)}`;
}

/**
 * [fingerprint, subject name key] of each certificate that has both: what the build stores in
 * root-subject-table.ts for Node's bundled roots.
 *
 * @example rootSubjectEntries(rootCertificates).length // 144 (Node 20.20)
 */
export function rootSubjectEntries(pems: readonly string[]): Array<[string, string]> {
  const entries: Array<[string, string]> = [];
  for (const pem of pems) {
    const id = anchorId(pem);
    const key = subjectKeyOf(Buffer.from(id, 'base64'));
    if (key !== null) entries.push([anchorFingerprint(id), key]);
  }
  return entries;
}

let rootSubjects: Map<string, string> | null = null;

let bundledAnchors: string[] | null = null;

/**
 * The certificates of NODE_EXTRA_CA_CERTS, which Node adds to its default trust store at
 * start-up, so the handshake's OpenSSL trusts them: the paths mxprobe builds must reach them
 * too. Unreadable or empty: none (Node only warns about it, too).
 *
 * @example nodeExtraCaCerts({ NODE_EXTRA_CA_CERTS: '/etc/ssl/certs/ca-certificates.crt' }).length // 140
 */
export function nodeExtraCaCerts(env: NodeJS.ProcessEnv = process.env): string[] {
  const path = env.NODE_EXTRA_CA_CERTS;
  if (path === undefined || path === '') return [];
  try {
    return readBoundedText(path, MAX_CA_FILE_BYTES)?.match(PEM_BLOCK) ?? [];
  } catch {
    return [];
  }
}

/**
 * A TLS context with Node's default store plus `extraPems`, TLS 1.0 and up, security level 0.
 * Without `ca` the context uses Node's bundled roots, already parsed (~6 ms). Passing
 * `ca: [...rootCertificates, ...extra]` would parse all ~144 roots again (~18 ms), so the
 * extra anchors are added to the default store instead, through the same addCACert() that
 * `ca` uses; the documented route stays as the fallback.
 */
function permissiveContext(extraPems: readonly string[]): SecureContext {
  const secureContext = createSecureContext({ minVersion: 'TLSv1', ciphers: 'DEFAULT@SECLEVEL=0' });
  if (extraPems.length === 0) return secureContext;
  const native = (secureContext as { context?: { addCACert?: (pem: string) => void } }).context;
  if (typeof native?.addCACert !== 'function') return createSecureContext({ ca: [...rootCertificates, ...extraPems], minVersion: 'TLSv1', ciphers: 'DEFAULT@SECLEVEL=0' });
  for (const pem of extraPems) native.addCACert(pem);
  return secureContext;
}

/**
 * Node's bundled Mozilla roots, the NODE_EXTRA_CA_CERTS Node has already added to the default
 * store (`nodeExtraPems`, read from the file Node names by default), plus `extraPems` (from
 * --ca-file). Nothing is read or built here: each part when first used, or all by prepare().
 *
 * @example makeTrustStore(readCaFile('partner-ca.pem')).isAnchor(der)
 */
export function makeTrustStore(extraPems: readonly string[] = [], nodeExtraPems?: readonly string[]): TrustStore {
  let anchorSet: Set<string> | null = null;
  /** Every anchor's id, in store order (a Set keeps the first place of a certificate given twice). */
  const anchors = (): Set<string> => {
    if (anchorSet !== null) return anchorSet;
    bundledAnchors ??= rootCertificates.map(anchorId);
    const set = new Set(bundledAnchors);
    for (const pem of nodeExtraPems ?? nodeExtraCaCerts()) set.add(anchorId(pem));
    for (const pem of extraPems) set.add(anchorId(pem));
    return (anchorSet = set);
  };
  const certificates = new CertificateCache((id) => anchors().has(id));
  let bySubject: Map<string, string[]> | null = null;
  const index = (): Map<string, string[]> => {
    if (bySubject !== null) return bySubject;
    const map = new Map<string, string[]>();
    rootSubjects ??= new Map(ROOT_SUBJECT_TABLE);
    for (const id of anchors()) {
      const key = rootSubjects.get(anchorFingerprint(id)) ?? subjectKeyOf(Buffer.from(id, 'base64'));
      if (key === null) continue;
      const list = map.get(key);
      if (list === undefined) map.set(key, [id]);
      else list.push(id);
    }
    return (bySubject = map);
  };
  const anchorsNamed = (nameKey: string): ParsedCertificate[] => {
    const out: ParsedCertificate[] = [];
    for (const id of index().get(nameKey) ?? []) {
      const parsed = certificates.parse(Buffer.from(id, 'base64'), id);
      if (parsed !== null && parsed.fields.subjectKey === nameKey) out.push(parsed);
    }
    return out;
  };
  let pems: string[] | null = null;
  const anchorPems = (): readonly string[] =>
    (pems ??= [...anchors()].map((id) => `-----BEGIN CERTIFICATE-----\n${id.replace(/.{64}/g, '$&\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`));
  let context: SecureContext | null = null;
  const store: TrustStore = {
    get secureContext() {
      return (context ??= permissiveContext(extraPems));
    },
    isAnchor: (der: Buffer) => anchors().has(der.toString('base64')),
    anchorsNamed,
    certificates,
    anchorPems,
    preparation: () => [
      () => void (context ??= permissiveContext(extraPems)),
      () => void anchors(),
      () => void index(),
    ],
  };
  return store;
}
