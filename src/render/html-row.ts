/**
 * The compact projection of a DomainResult that the HTML report carries per domain (one inert
 * `<script type="application/json">` element a row, read by the page's script): what the
 * table, its filters and an opened row show, and nothing else: no PEM, no transcript, no DNS
 * query list, no EHLO lists. Every string from a server, a certificate or the input is
 * sanitize()d (controls, bidi overrides shown escaped; cut); the page sets text through
 * textContent only, and jsonInHtml() keeps the JSON inside its element. Pure.
 *
 * A problem's hint is left out when it is the catalogue's (the page has the catalogue's hints
 * once, in its header); kept when it differs (a result saved by another version).
 */
import type { DomainResult } from '../model/domain.js';
import type { AddressResult } from '../model/address.js';
import type { Problem } from '../model/problem.js';
import { PROBLEMS } from '../judge/problem-catalogue.js';
import { allProblems } from '../judge/all-problems.js';
import { domainDnssec, mtaStsMode } from './mail-tls-summary.js';
import { sanitize } from './sanitize.js';

/** Server and certificate text is cut at this many characters in the page (it is for a person to read). */
const CUT = 300;

/** One certificate of a chain as the page shows it. @example const c: HtmlCertificate = { subject: 'CN=mx.example', issuer: 'CN=CA', notAfter: '2027-01-01T00:00:00.000Z', daysLeft: 30, fingerprint: 'AB:…' }; */
export interface HtmlCertificate {
  subject: string;
  issuer: string;
  /** ISO 8601. */
  notAfter: string;
  daysLeft: number | null;
  /** SHA-256, colon-separated hex. */
  fingerprint: string;
}

/** One probed address. @example const a: HtmlAddress = { ip: '192.0.2.1', level: 'verify', tls: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', chain: [] }; */
export interface HtmlAddress {
  ip: string;
  level: string | null;
  /** The TLS protocol negotiated; null without a TLS session. */
  tls: string | null;
  cipher: string | null;
  /** The server's greeting, its first line (server text: shown as text, cut). */
  banner?: string;
  /** Why the probe stopped, in words; absent when it did not. */
  failure?: string;
  /** The certificate chain as sent, leaf first; [] without one. */
  chain: HtmlCertificate[];
  /** The chain verifies to a trust anchor (at judging time); absent without a certificate. */
  trusted?: boolean;
  /** The leaf names the MX host; absent without a certificate. */
  nameMatch?: boolean;
  /** DANE status of this address, when judged. */
  dane?: string;
}

/** One MX host. @example const h: HtmlHost = { host: 'mx.example', preference: 10, addresses: [] }; */
export interface HtmlHost {
  host: string;
  preference: number;
  addresses: HtmlAddress[];
}

/** One problem: [code, severity, message, where (host [ip]), hint when not the catalogue's]. @example const p: HtmlProblem = ['CERT_EXPIRED', 'error', 'expired', 'mx.example [192.0.2.1]']; */
export type HtmlProblem = [code: string, severity: string, message: string, where: string, hint?: string];

/**
 * What the page knows of one domain.
 *
 * @example const row: HtmlRow = htmlRow(result);
 */
export interface HtmlRow {
  domain: string;
  /** As given, when it differs from `domain`. */
  input?: string;
  /** The batch input's line (absent for a domain given as an argument). */
  line?: number;
  /** The input's carried columns (partner name, ticket, …). */
  columns?: Record<string, string>;
  outcome: string;
  level: string | null;
  pass: boolean | null;
  required: string;
  /** The letters of the sender policies satisfied, e.g. "abc". */
  satisfied: string;
  problems: HtmlProblem[];
  mx: HtmlHost[];
  dnssec?: string;
  mtaSts?: string;
}

const text = (value: string, max = CUT) => sanitize(value, max);

function where(p: Problem): string {
  if (p.host === undefined) return '';
  return p.ip === undefined ? text(p.host) : `${text(p.host)} [${text(p.ip)}]`;
}

function problemOf(p: Problem): HtmlProblem {
  const row: HtmlProblem = [p.code, p.severity, text(p.message, 1000), where(p)];
  const catalogue = (PROBLEMS as Record<string, { hint: string } | undefined>)[p.code]?.hint;
  if (p.hint !== catalogue) row.push(text(p.hint, 1000));
  return row;
}

function addressOf(a: AddressResult): HtmlAddress {
  const cert = a.certificate;
  const out: HtmlAddress = {
    ip: text(a.ip),
    level: a.level,
    tls: a.tls === null ? null : text(a.tls.protocol),
    cipher: a.tls === null ? null : text(a.tls.cipher),
    chain: (cert?.chain ?? []).map((c, i) => ({
      subject: text(c.subject),
      issuer: text(c.issuer),
      notAfter: text(c.notAfter),
      daysLeft: cert?.chainDaysLeft[i] ?? null,
      fingerprint: text(c.fingerprint256),
    })),
  };
  const greeting = a.banner?.lines[0];
  if (greeting !== undefined) out.banner = text(`${a.banner?.code ?? ''} ${greeting}`.trim(), 200);
  if (a.failure !== null) out.failure = text(a.failure.message);
  if (cert !== null) {
    out.trusted = cert.trusted;
    out.nameMatch = cert.nameMatch;
  }
  if (a.dane !== undefined) out.dane = a.dane.status;
  return out;
}

/**
 * The page's projection of a result.
 *
 * @example htmlRow(result).satisfied // 'abc'
 */
export function htmlRow(result: DomainResult): HtmlRow {
  const row: HtmlRow = {
    domain: text(result.domain),
    outcome: result.outcome,
    level: result.level,
    pass: result.pass,
    required: text(result.required),
    satisfied: result.policies
      .filter((p) => p.satisfied === true)
      .map((p) => p.policy)
      .join(''),
    problems: allProblems(result).map(problemOf),
    mx: result.mx.map((h) => ({ host: text(h.host), preference: h.preference, addresses: h.addresses.map(addressOf) })),
  };
  if (result.input !== result.domain) row.input = text(result.input);
  if (result.source !== undefined) {
    row.line = result.source.line;
    if (Object.keys(result.source.columns).length > 0) {
      row.columns = Object.fromEntries(Object.entries(result.source.columns).map(([k, v]) => [text(k), text(v)]));
    }
  }
  const dnssec = domainDnssec(result);
  if (dnssec !== null) row.dnssec = dnssec;
  const mode = result.mtaSts === undefined ? null : mtaStsMode(result);
  if (mode !== null) row.mtaSts = mode;
  return row;
}
