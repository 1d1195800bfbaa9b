// HTML reports built from fixed facts for the renderer's unit tests and the real-browser test:
// every kind of result, hostile strings (banner, CN, SAN, input column) and many generated rows.
import type { DomainResult } from '../../src/model/domain.ts';
import { judgeDomain } from '../../src/judge/judge-domain.ts';
import { SummaryAccumulator } from '../../src/judge/batch-summary.ts';
import { htmlRenderer } from '../../src/render/html-report.ts';
import type { ReportTotals } from '../../src/render/report-renderer.ts';
import { addressFacts, certFacts, certInfo, daysFromNow, domainFacts, intermediate, mxHost, NOW, plainAddress, root } from './facts.ts';
import { everyKindOfResult, mixedResult } from './batch.ts';

/** Strings that must stay text in a page: markup, a closing script tag, an event handler, a javascript: URL, a bidi override, quotes. */
export const HOSTILE = {
  script: '<script>alert("xss-script")</script>',
  closeScript: '</script><script>alert("xss-close")</script>',
  img: '<img src=x onerror=alert("xss-img")>',
  link: '<a href="javascript:alert(\'xss-link\')">click</a>',
  bidi: 'evil\u202etxt.exe',
  quote: '" onmouseover="alert(\'xss-attr\')',
} as const;

const POLICY = { required: ['tls-required'] as const, warnDays: 30 };

/** A domain whose banner, certificate names and input column are hostile. */
export function hostileResult(line = 20): DomainResult {
  const facts = domainFacts({
    domain: 'hostile.example',
    input: `hostile.example`,
    mx: [
      mxHost('mx.hostile.example', 10, [
        addressFacts({
          ip: '192.0.2.66',
          host: 'mx.hostile.example',
          banner: { code: 220, lines: [`${HOSTILE.script} ${HOSTILE.img}`] },
          certificate: certFacts(
            [
              certInfo({
                subject: `CN=${HOSTILE.closeScript}`,
                commonNames: [HOSTILE.closeScript],
                san: [`DNS:${HOSTILE.img}`, `DNS:${HOSTILE.link}`],
                issuer: `CN=${HOSTILE.quote}${HOSTILE.bidi}`,
                notAfter: daysFromNow(5),
              }),
              intermediate(),
              root(),
            ],
            null,
          ),
        }),
      ]),
    ],
  });
  return { ...judgeDomain(facts, POLICY, NOW), source: { line, columns: { partner: `${HOSTILE.script}${HOSTILE.link}`, ticket: HOSTILE.quote + HOSTILE.bidi } } };
}

/**
 * `count` results cycling over a few shapes (verify, an expired certificate, plaintext, a DNS
 * failure, …), each a distinct domain `d{i}.example` on its own input line, with a partner column.
 */
export function manyResults(count: number): DomainResult[] {
  const kinds = everyKindOfResult().filter((r) => r.outcome !== 'invalid-input');
  const out: DomainResult[] = [];
  for (let i = 0; i < count; i++) {
    const base = i % 7 === 3 ? mixedResult() : (kinds[i % kinds.length] as DomainResult);
    const domain = `d${i}.example`;
    out.push({ ...base, domain, input: domain, source: { line: i + 2, columns: { partner: `Partner ${i}`, ticket: `T-${i}` } } });
  }
  return out;
}

/** A plain TLS 1.3 result on a second MX with its own certificate (for the renewal calendar). */
export function secondCertificateResult(): DomainResult {
  const facts = domainFacts({
    domain: 'other.example',
    input: 'other.example',
    mx: [mxHost('mx.other.example', 10, [addressFacts({ ip: '192.0.2.80', host: 'mx.other.example', certificate: certFacts([certInfo({ san: ['DNS:mx.other.example'], notAfter: daysFromNow(12), fingerprint256: 'AA:BB' }), intermediate(), root()], null) })])],
  });
  return { ...judgeDomain(facts, POLICY, NOW), source: { line: 30, columns: {} } };
}

/** A plaintext-only result (no TLS). */
export function plaintextResult(): DomainResult {
  const facts = domainFacts({ domain: 'plain.example', input: 'plain.example', mx: [mxHost('mx.plain.example', 10, [plainAddress({ host: 'mx.plain.example' })])] });
  return { ...judgeDomain(facts, POLICY, NOW), source: { line: 31, columns: {} } };
}

/** The fixed time of every test report (no clock in a golden file). */
export const REPORT_TIME = { startedAt: new Date('2026-06-01T12:00:00Z'), durationMs: 61_500 } as const;

/**
 * A whole HTML report of `results`, as the CLI writes it: header, a row each, and (unless
 * `interrupted`) the footer with the summary accumulated over the rows.
 */
export function htmlReport(results: Iterable<DomainResult>, options: { interrupted?: boolean } = {}): string {
  const renderer = htmlRenderer({ layout: 'rows', colorLevel: 0, transcript: false, extraColumns: [] });
  const acc = new SummaryAccumulator();
  const parts = [renderer.header()];
  let rows = 0;
  let fail = 0;
  let undetermined = 0;
  for (const result of results) {
    parts.push(renderer.row(result, rows));
    acc.add(result);
    rows += 1;
    if (result.pass === false) fail += 1;
    else if (result.pass === null) undetermined += 1;
  }
  if (options.interrupted !== true) {
    const totals: ReportTotals = { rows, fail, undetermined, ...REPORT_TIME, summary: acc.summary() };
    parts.push(renderer.footer(totals));
  }
  return parts.join('');
}
