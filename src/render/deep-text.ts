/**
 * The text report's deep TLS section (`--deep`, issue 10): a grid of protocol versions ×
 * addresses in the colours of their tiers, then per address the weak suites it accepts, its
 * key exchange, a line per certificate per signature algorithm, OCSP, renegotiation,
 * compression, extended master secret, STARTTLS command injection, the connections made and
 * why it stopped early; and the batch row's short tag of the worst tier. Pure: colour and width
 * are parameters; every string from a server passes through sanitize().
 */
import Table from 'cli-table3';
import type { ChalkInstance } from 'chalk';
import type { AddressResult } from '../model/address.js';
import type { DomainResult } from '../model/domain.js';
import type { DeepProtocol, DeepResult, JudgedCertificateBySignature } from '../model/deep.js';
import { GUIDELINE_PROFILES, protocolTier, worstTier, type AddressGrade, type GradedFactKind, type Tier } from '../model/tls-guidelines.js';
import { protocolRank } from '../model/tls-protocols.js';
import { sanitize } from './sanitize.js';
import { displayWidth } from './text-width.js';

/** A protocol version as a column head names it: "TLS 1.0", "TLS 1.3", "SSLv3". */
const versionHead = (version: string) => version.replace(/^TLSv1$/, 'TLS 1.0').replace(/^TLSv/, 'TLS ');

/** The columns of the grid: every version the deep probes of these addresses tried, oldest first (model/tls-protocols.ts ranks them). */
function gridVersions(addresses: ReadonlyArray<AddressResult & { deep: DeepResult }>): Array<{ version: DeepProtocol; head: string }> {
  const tried = [...new Set(addresses.flatMap((a) => a.deep.protocols.map((p) => p.version)))];
  return tried.sort((x, y) => protocolRank(x) - protocolRank(y)).map((version) => ({ version, head: versionHead(version) }));
}

/**
 * Weak suite names listed per tier on an address's line; the rest are counted ("and 12
 * more"). JSON and CSV keep every one.
 *
 * @example WEAK_SUITES_SHOWN // 8
 */
export const WEAK_SUITES_SHOWN = 8;

/** Longest server note shown (a refusal's words, an OCSP error): sanitize() cuts it there. */
const NOTE_CHARS = 120;

/** A piece of a line: sanitised text and the tier (or tone) it is coloured by. */
interface Piece {
  text: string;
  tone: Tier | 'dim' | 'warn' | 'plain';
}

const piece = (text: string, tone: Piece['tone'] = 'plain'): Piece => ({ text, tone });

/** The tier colours: good green, sufficient plain, phase-out yellow, insufficient red. */
function paint(c: ChalkInstance, p: Piece): string {
  switch (p.tone) {
    case 'good':
      return c.green(p.text);
    case 'phase-out':
    case 'warn':
      return c.yellow(p.text);
    case 'insufficient':
      return c.red(p.text);
    case 'dim':
      return c.dim(p.text);
    default:
      return p.text;
  }
}

/**
 * A suite's IANA name shortened for a person: without the `TLS_` (or `SSL_`) prefix and the
 * `_WITH` (the key exchange and the cipher stay apart by their names).
 *
 * @example shortSuiteName('TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA') // 'ECDHE_RSA_AES_128_CBC_SHA'
 */
export function shortSuiteName(name: string): string {
  return name.replace(/^(?:TLS|SSL)_/, '').replace('_WITH_', '_');
}

/** The addresses of a domain that carry deep facts, in MX then address order. */
function deepAddresses(result: DomainResult): Array<AddressResult & { deep: DeepResult }> {
  return result.mx.flatMap((h) => h.addresses).filter((a): a is AddressResult & { deep: DeepResult } => a.deep !== undefined);
}

/** The tier the grade gave a fact, by kind and subject; null when it was not graded. */
function tierOf(grade: AddressGrade | undefined, kind: GradedFactKind, subject: string): Tier | null {
  return grade?.facts.find((f) => f.kind === kind && f.subject === subject)?.tier ?? null;
}

/** The tier of the worst fact of a kind (compression, renegotiation, …); null when not graded. */
function kindTier(grade: AddressGrade | undefined, kind: GradedFactKind): Tier | null {
  return worstTier((grade?.facts ?? []).filter((f) => f.kind === kind).map((f) => f.tier));
}

/** One grid cell: accepted in the colour of the protocol's tier, no, or ? (not told). */
function gridCell(a: AddressResult & { deep: DeepResult }, version: DeepProtocol, profileTier: Tier): Piece {
  const p = a.deep.protocols.find((x) => x.version === version);
  if (p === undefined || p.accepted === null) return piece('?', 'warn');
  return p.accepted ? piece('accepted', profileTier) : piece('no', 'dim');
}

/** The worst tier of an address, and "partial" when its deep probe stopped early. */
function worstPieces(a: AddressResult & { deep: DeepResult }): Piece[] {
  const worst = a.grade?.worst ?? null;
  const pieces = [worst === null ? piece('—', 'dim') : piece(worst, worst)];
  if (a.deep.partial !== null) pieces.push(piece('partial', 'warn'));
  return pieces;
}

/**
 * `pieces` after `start`, each but the last followed by `separator` (its trailing space is where
 * a line may break), in lines of at most `width` columns (a piece wider than a line gets one of
 * its own); the lines after the first begin with `indent`.
 */
function packed(c: ChalkInstance, start: string, pieces: readonly Piece[], width: number, indent: string, separator = ', '): string[] {
  const lines: string[] = [];
  let line = start;
  let used = displayWidth(start);
  let fresh = true; // nothing after `start` or `indent` yet
  const sep = separator.trimEnd();
  pieces.forEach((p, i) => {
    const tail = i < pieces.length - 1 ? sep : '';
    const w = displayWidth(p.text) + displayWidth(tail);
    if (!fresh && used + 1 + w > width) {
      lines.push(line);
      line = indent;
      used = displayWidth(indent);
      fresh = true;
    }
    const gap = fresh && (line === '' || line.endsWith(' ')) ? '' : ' ';
    line += `${gap}${paint(c, p)}${tail}`;
    used += gap.length + w;
    fresh = false;
  });
  if (!fresh || line !== '') lines.push(line);
  return lines;
}

/** A labelled line of an address (`  label: pieces…`), wrapped under a deeper indent. */
function labelled(c: ChalkInstance, label: string, pieces: readonly Piece[], columns: number, separator = ', '): string[] {
  if (pieces.length === 0) return [];
  return packed(c, `  ${label}: `, pieces, Math.max(40, columns), '    ', separator);
}

/** The protocol tiers of the profile in words, best first: "TLS 1.3 good; TLS 1.2 sufficient; SSLv3, TLS 1.0, TLS 1.1 insufficient". */
function tierLegend(profileId: keyof typeof GUIDELINE_PROFILES, grid: ReadonlyArray<{ version: DeepProtocol; head: string }>): Piece[] {
  const profile = GUIDELINE_PROFILES[profileId];
  const byTier = new Map<Tier, string[]>();
  for (const g of grid) {
    const tier = protocolTier(profile, g.version);
    byTier.set(tier, [...(byTier.get(tier) ?? []), g.head]);
  }
  return (['good', 'sufficient', 'phase-out', 'insufficient'] as const).flatMap((t) => (byTier.has(t) ? [piece(`${(byTier.get(t) ?? []).join(', ')} ${t}`, t)] : []));
}

/** The grid as a table: an address a row, a protocol a column, then the worst tier. */
function gridTable(c: ChalkInstance, addresses: ReadonlyArray<AddressResult & { deep: DeepResult }>, grid: ReadonlyArray<{ version: DeepProtocol; head: string }>, tiers: readonly Tier[]): string {
  const t = new Table({ head: ['Address', ...grid.map((g) => g.head), 'Worst'].map((h) => c.bold(h)), style: { head: [], border: [] } });
  t.push(
    ...addresses.map((a) => [
      [sanitize(a.host), a.port === 25 ? a.ip : `${a.ip} port ${a.port}`].join('\n'),
      ...grid.map((g, i) => paint(c, gridCell(a, g.version, tiers[i] as Tier))),
      worstPieces(a).map((p) => paint(c, p)).join('\n'),
    ]),
  );
  return t.toString();
}

/** The grid for a narrow terminal: per address its name, then its protocols and worst tier on wrapped lines. */
function gridLines(c: ChalkInstance, addresses: ReadonlyArray<AddressResult & { deep: DeepResult }>, grid: ReadonlyArray<{ version: DeepProtocol; head: string }>, tiers: readonly Tier[], columns: number): string[] {
  return addresses.flatMap((a) => [
    c.bold(addressName(a)),
    ...packed(
      c,
      '  ',
      [...grid.map((g, i) => ({ ...gridCell(a, g.version, tiers[i] as Tier), text: `${g.head} ${gridCell(a, g.version, tiers[i] as Tier).text}` })), ...worstPieces(a).map((p, i) => (i === 0 ? { ...p, text: `worst ${p.text}` } : p))],
      Math.max(40, columns),
      '  ',
    ),
  ]);
}

function addressName(a: AddressResult): string {
  return `${sanitize(a.host)} [${a.ip}]${a.port === 25 ? '' : `:${a.port}`}`;
}

/** The weak suites an address accepts, a line per tier (insufficient first), counted, each list cut at WEAK_SUITES_SHOWN names. */
function weakSuiteLines(c: ChalkInstance, a: AddressResult & { deep: DeepResult }, columns: number): string[] {
  const names = [...new Set(a.deep.ciphers.accepted.map((s) => s.name))];
  const lines: string[] = [];
  for (const tier of ['insufficient', 'phase-out'] as const) {
    const weak = names.filter((n) => tierOf(a.grade, 'cipher', n) === tier);
    if (weak.length === 0) continue;
    const shown = weak.slice(0, WEAK_SUITES_SHOWN).map((n) => piece(shortSuiteName(sanitize(n, 80)), tier));
    if (weak.length > WEAK_SUITES_SHOWN) shown.push(piece(`and ${weak.length - WEAK_SUITES_SHOWN} more`));
    lines.push(...labelled(c, `${tier} suites (${weak.length})`, shown, columns));
  }
  return lines;
}

/** Groups accepted (the tier after those below sufficient), and the DH sizes. */
function groupPieces(a: AddressResult & { deep: DeepResult }): Piece[] {
  const mark = (kind: GradedFactKind, subject: string, text: string): Piece => {
    const tier = tierOf(a.grade, kind, subject);
    return piece(tier === 'phase-out' || tier === 'insufficient' ? `${text} (${tier})` : text, tier ?? 'plain');
  };
  return [
    ...a.deep.groups.accepted.map((g) => mark('group', g.toLowerCase(), sanitize(g, 40))),
    ...a.deep.groups.dhBits.map((bits) => mark('dh', `DH ${bits}`, `DH ${bits} bits, ${a.deep.groups.dhGroups.includes(`ffdhe${bits}`) ? `ffdhe${bits}` : 'own prime'}`)),
  ];
}

/** A certificate's key in words: "RSA 2048", "EC secp384r1", "ED25519". */
function keyWords(keyType: string, keyBits: number | null, curve: string | null): string {
  if (keyType === 'ec') return `EC ${curve ?? `${keyBits ?? '?'} bits`}`;
  return keyBits !== null && !keyType.startsWith('ed') ? `${keyType.toUpperCase()} ${keyBits}` : keyType.toUpperCase();
}

/** One certificate per signature algorithm: key, the leaf's name, name match, trust, days left; or why none was shown. */
function certificateLine(c: ChalkInstance, a: AddressResult & { deep: DeepResult }, cert: JudgedCertificateBySignature, columns: number): string[] {
  const label = `certificate (${cert.offered === 'rsa' ? 'RSA' : 'ECDSA'} signatures)`;
  const chain = cert.certificate;
  const leaf = chain?.chain[0];
  if (chain === null || leaf === undefined) {
    return labelled(c, label, [piece('none', 'dim'), ...(cert.note !== null ? [piece(sanitize(cert.note, NOTE_CHARS), 'dim')] : [])], columns);
  }
  const keyTier = tierOf(a.grade, 'cert-key', `${keyWords(leaf.keyType, leaf.keyBits, leaf.curve)} ("${leaf.subject}")`);
  const same = a.certificate?.chain[0]?.fingerprint256 === leaf.fingerprint256;
  return labelled(
    c,
    label,
    [
      piece(keyWords(leaf.keyType, leaf.keyBits, leaf.curve), keyTier ?? 'plain'),
      piece(sanitize(/(?:^|, )CN=([^,]*)/.exec(leaf.subject)?.[1] ?? leaf.subject, 60)),
      chain.nameMatch ? piece('name match', 'good') : piece('name mismatch', 'insufficient'),
      chain.trusted ? piece('trusted', 'good') : piece('untrusted', 'insufficient'),
      piece(`${chain.daysLeft} days left`, chain.expired ? 'insufficient' : 'plain'),
      ...(same ? [piece('the probe\'s own', 'dim')] : []),
    ],
    columns,
  );
}

function ocspPieces(deep: DeepResult): Piece[] {
  const o = deep.ocsp;
  if (o === null) return [piece('not told', 'warn')];
  if (!o.stapled) return [piece('not stapled', 'dim')];
  const pieces = [piece(`stapled, ${o.status ?? 'unreadable'}`, o.status === 'good' ? 'good' : o.status === 'revoked' ? 'insufficient' : 'warn')];
  if (o.nextUpdate !== null) pieces.push(piece(`next update ${sanitize(o.nextUpdate, 40).slice(0, 10)}`));
  if (o.note !== null) pieces.push(piece(sanitize(o.note, NOTE_CHARS), 'dim'));
  return pieces;
}

/** A yes/no/? fact: the words for each, the bad one in the tier the grade gave it. */
function told(value: boolean | null, good: boolean, words: { yes: string; no: string; unknown: string }, badTier: Tier | null): Piece {
  if (value === null) return piece(`${words.unknown} ?`.trimStart(), 'warn');
  const text = value ? words.yes : words.no;
  return value === good ? piece(text, 'good') : piece(text, badTier ?? 'insufficient');
}

/** The details of one address's deep probe. */
function addressDetails(c: ChalkInstance, a: AddressResult & { deep: DeepResult }, columns: number): string[] {
  const d = a.deep;
  const g = a.grade;
  const head = [piece(addressName(a)), piece(`${d.connections} connections`, 'dim')];
  if (d.partial !== null) head.push(piece(`partial: ${sanitize(d.partial.message, NOTE_CHARS)}`, 'warn'));
  const order =
    d.ciphers.serverOrder === null
      ? piece('order not told', 'warn')
      : d.ciphers.serverOrder
        ? piece("the server's order", 'good')
        : piece("the client's order", kindTier(g, 'cipher-order') ?? 'plain');
  const accepted = new Set(d.ciphers.accepted.map((s) => s.name)).size;
  const untested = [...d.ciphers.untested, ...d.groups.untested];
  const weak = weakSuiteLines(c, a, columns);
  const lines = [
    packed(c, '', head, Math.max(40, columns), '  ', ' ·'),
    labelled(c, 'cipher suites', [piece(`${accepted} accepted${weak.length === 0 && accepted > 0 ? ', none weak' : ''}`), order], columns),
    weak,
    labelled(c, 'key exchange', groupPieces(a), columns),
    ...d.certificates.map((cert) => certificateLine(c, a, cert, columns)),
    labelled(c, 'OCSP', ocspPieces(d), columns),
    labelled(
      c,
      'renegotiation',
      [
        told(d.renegotiation.secure, true, { yes: 'secure', no: 'not secure', unknown: 'secure' }, kindTier(g, 'renegotiation')),
        told(d.renegotiation.clientInitiated, false, { yes: 'client-initiated accepted', no: 'client-initiated refused', unknown: 'client-initiated' }, kindTier(g, 'client-renegotiation')),
        ...(d.renegotiation.note !== null ? [piece(sanitize(d.renegotiation.note, NOTE_CHARS), 'dim')] : []),
      ],
      columns,
    ),
    labelled(
      c,
      'session',
      [
        told(d.compression, false, { yes: 'compression on', no: 'no compression', unknown: 'compression' }, kindTier(g, 'compression')),
        told(d.extendedMasterSecret, true, { yes: 'extended master secret', no: 'no extended master secret', unknown: 'extended master secret' }, kindTier(g, 'extended-master-secret')),
      ],
      columns,
    ),
    labelled(
      c,
      'STARTTLS injection',
      [
        told(d.commandInjection.vulnerable, false, { yes: 'vulnerable', no: 'not vulnerable', unknown: '' }, kindTier(g, 'command-injection')),
        ...(d.commandInjection.note !== null ? [piece(sanitize(d.commandInjection.note, NOTE_CHARS), 'dim')] : []),
      ],
      columns,
    ),
    labelled(c, 'not tested', untested.map((u) => piece(sanitize(u, NOTE_CHARS), 'warn')), columns, '; '),
  ];
  return lines.flat();
}

/**
 * The deep TLS section of a domain's text report: a heading with the profile and its protocol
 * tiers, the grid (a table when it fits `columns`, else a wrapped line per address), then each
 * address's details. Empty when no address has deep facts.
 *
 * @example deepSection(result, new Chalk({ level: 0 }), 160)[0] // 'Deep TLS under NCSC-NL TLS guidelines 2025-05, …'
 */
export function deepSection(result: DomainResult, c: ChalkInstance, columns: number): string[] {
  const addresses = deepAddresses(result);
  if (addresses.length === 0) return [];
  const profileId = addresses.find((a) => a.grade !== undefined)?.grade?.profile ?? 'ncsc';
  const profile = GUIDELINE_PROFILES[profileId];
  const grid = gridVersions(addresses);
  const tiers = grid.map((g) => protocolTier(profile, g.version));
  const title = `Deep TLS under ${profile.title} (--profile ${profileId})`.split(' ').map((w) => piece(w));
  const heading = packed(c, '', title, Math.max(40, columns), '  ', ' ').map((l) => c.bold(l));
  const table = gridTable(c, addresses, grid, tiers);
  const fits = Math.max(...table.split('\n').map(displayWidth)) <= columns;
  return [
    ...heading,
    ...labelled(c, 'protocol tiers', tierLegend(profileId, grid), columns, '; '),
    ...(fits ? [table] : gridLines(c, addresses, grid, tiers, columns)),
    ...addresses.flatMap((a) => addressDetails(c, a, columns)),
  ];
}

/**
 * The batch row's tag where deep ran: the worst tier over the addresses probed deep, and
 * "partial" when a deep probe stopped early (" · deep insufficient", " · deep good, partial");
 * empty without deep facts.
 *
 * @example deepTag(result, new Chalk({ level: 0 })) // ' · deep insufficient'
 */
export function deepTag(result: DomainResult, c: ChalkInstance): string {
  const addresses = deepAddresses(result);
  if (addresses.length === 0) return '';
  const worst = worstTier(addresses.flatMap((a) => (a.grade?.worst != null ? [a.grade.worst] : [])));
  const partial = addresses.some((a) => a.deep.partial !== null);
  return ` · ${paint(c, piece(`deep ${worst ?? 'ungraded'}`, worst ?? 'warn'))}${partial ? c.yellow(', partial') : ''}`;
}
