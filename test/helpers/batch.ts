/**
 * Helpers for the batch tests: inputs as streams of chunks, results for every output
 * format (good, mixed, undetermined, invalid input), a strict gc for memory checks.
 */
import { createReadStream } from 'node:fs';
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { openInput, type InputHeader, type InputRow } from '../../src/batch/read-input.ts';
import { judgeDomain } from '../../src/judge/judge-domain.ts';
import { invalidInputResult } from '../../src/judge/invalid-input.ts';
import type { DomainResult } from '../../src/model/domain.ts';
import { addressFacts, certFacts, certInfo, daysFromNow, domainFacts, intermediate, mxHost, NOW, plainAddress, root } from './facts.ts';

/** The chunks as an async iterable, as a file stream would give them. */
export async function* chunks(...parts: Array<string | Buffer>): AsyncGenerator<string | Buffer> {
  for (const part of parts) yield part;
}

/** Every row of an input (or of a CSV output read back), with mxprobe's own reader. */
async function readRows(source: Parameters<typeof openInput>[0]): Promise<{ header: InputHeader; rows: InputRow[] }> {
  const { header, rows } = await openInput(source);
  const all: InputRow[] = [];
  for await (const row of rows) all.push(row);
  return { header, rows: all };
}

/** @example const { header, rows } = await readAll('domain\n', 'a.example\n') */
export function readAll(...parts: Array<string | Buffer>): Promise<{ header: InputHeader; rows: InputRow[] }> {
  return readRows(chunks(...parts));
}

/** The rows of a CSV file, e.g. a batch's output read back. @example (await readCsvFile('audit.csv')).rows.length */
export function readCsvFile(file: string): Promise<{ header: InputHeader; rows: InputRow[] }> {
  return readRows(createReadStream(file));
}

const POLICY = { required: ['tls-required'] as const, warnDays: 30 };

/** verify-grade, one MX, one address, certificate with 60 days left. */
export function goodResult(columns: Record<string, string> = {}, line = 2): DomainResult {
  return { ...judgeDomain(domainFacts(), POLICY, NOW), source: { line, columns } };
}

/** Two MX hosts: mx1 TLSv1.2 with an expired certificate, mx2 plaintext only with a hostile banner. */
export function mixedResult(columns: Record<string, string> = {}): DomainResult {
  const facts = domainFacts({
    domain: 'partner.example',
    input: 'ops@partner.example',
    mx: [
      mxHost('mx2.partner.example', 20, [plainAddress({ ip: '2001:db8::25', family: 6, banner: { code: 220, lines: ['mx2 \u001b[31mEvil\u001b[0m ESMTP \u202eevil'] } })]),
      mxHost('mx1.partner.example', 10, [
        addressFacts({
          ip: '198.51.100.7',
          tls: { protocol: 'TLSv1.2', cipher: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', cipherOpenssl: 'ECDHE-RSA-AES128-GCM-SHA256', keyExchange: null, sni: 'mx1.partner.example' },
          certificate: certFacts([certInfo({ san: ['DNS:mx1.partner.example'], notAfter: daysFromNow(-2.5) }), intermediate(), root()], null),
        }),
        addressFacts({ ip: '198.51.100.8', certificate: certFacts([certInfo({ san: ['DNS:mx1.partner.example'], notAfter: daysFromNow(40) }), intermediate(), root()], null) }),
      ]),
    ],
  });
  return { ...judgeDomain(facts, POLICY, NOW), source: { line: 3, columns } };
}

/** DNS failure: level undetermined, pass null. */
export function undeterminedResult(): DomainResult {
  const facts = domainFacts({
    domain: 'flaky.example',
    input: 'flaky.example',
    outcome: 'dns-failure',
    mx: [],
    dns: [{ name: 'flaky.example', type: 'MX', rcode: 'SERVFAIL', authenticated: false, cnames: [], answers: [], server: '127.0.0.1:53', ms: 3 }],
  });
  return { ...judgeDomain(facts, POLICY, NOW), source: { line: 4, columns: {} } };
}

export function invalidResult(input: string, error: string, line = 5, columns: Record<string, string> = {}): DomainResult {
  return invalidInputResult({ line, input, error, columns }, ['tls-required'], NOW);
}

/** A domain that accepts no mail: NXDOMAIN, a null MX, or MX hosts without an address. */
export function noMailResult(outcome: 'nxdomain' | 'null-mx' | 'no-mail-host', line = 6): DomainResult {
  const domain = `${outcome}.example`;
  const mx = outcome === 'no-mail-host' ? [mxHost(`mx.${domain}`, 10, [])] : [];
  const rcode = outcome === 'nxdomain' ? 'NXDOMAIN' : 'NOERROR';
  const answers = outcome === 'null-mx' ? ['0 .'] : outcome === 'no-mail-host' ? [`10 mx.${domain}`] : [];
  const facts = domainFacts({ domain, input: domain, outcome, mx, dns: [{ name: domain, type: 'MX', rcode, authenticated: false, cnames: [], answers, server: '127.0.0.1:53', ms: 1 }] });
  return { ...judgeDomain(facts, POLICY, NOW), source: { line, columns: {} } };
}

/** One result of every kind a batch writes (each on its own line): for checks over all of them. */
export function everyKindOfResult(): DomainResult[] {
  return [
    goodResult({}, 2),
    mixedResult(),
    undeterminedResult(),
    invalidResult('bad..name', 'not a domain', 5),
    noMailResult('nxdomain', 6),
    noMailResult('null-mx', 7),
    noMailResult('no-mail-host', 8),
    { ...judgeDomain(domainFacts(), { required: ['verify'], warnDays: 30 }, NOW), source: { line: 9, columns: {} } },
    { ...judgeDomain(domainFacts({ mx: [mxHost('mx.example.com', 10, [plainAddress()])] }), { required: ['plain'], warnDays: 30 }, NOW), source: { line: 10, columns: {} } },
  ];
}

let gcFunction: (() => void) | undefined;
/** A full garbage collection (V8's gc, exposed at run time). */
export function gc(): void {
  if (gcFunction === undefined) {
    setFlagsFromString('--expose-gc');
    gcFunction = runInNewContext('gc') as () => void;
  }
  gcFunction();
}
