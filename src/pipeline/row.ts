/**
 * The one row source of a run: every row the runner probes, whether it came from the
 * command line (domains or e-mail addresses, or `--server`) or from a batch input (a CSV or a
 * list, a file or standard input: batch/batch-rows.ts). A row names what to probe, what it
 * must satisfy, and where it came from; a row that is not a domain is a row too, with its error.
 */
import type { Requirement } from '../model/policy.js';
import type { ServerTarget } from '../probe/probe-domain.js';

/**
 * What a row asks to probe: a mail domain, one server (`--server`, no MX look-up), or nothing
 * (an input row that is not a domain: it becomes an INVALID_INPUT result).
 *
 * @example const target: RowTarget = { kind: 'domain', domain: 'example.com' };
 */
export type RowTarget = { kind: 'domain'; domain: string } | { kind: 'server'; server: ServerTarget } | { kind: 'invalid'; error: string };

/** @example const row: Row = { line: null, input: 'ops@example.com', target: { kind: 'domain', domain: 'example.com' }, warning: null, required: null, columns: {} }; */
export interface Row {
  /** The batch input's physical line where the row starts (results then carry `source`); null for the command line. */
  line: number | null;
  /** As given: the argument, the cell, or `HOST:PORT` for --server. */
  input: string;
  target: RowTarget;
  /** A doubt about a valid input row (more fields than the header): reported as INPUT_EXTRA_FIELDS. */
  warning: string | null;
  /** The row's own requirement (a batch `require` cell); null: the run's (--require). */
  required: Requirement | null;
  /** The input's other columns by header name (none for the command line). */
  columns: Record<string, string>;
  /** `--shard K/N` of a batch row (results carry it in `source.shard`); absent otherwise. */
  shard?: { index: number; count: number };
}

/**
 * Rows for the domains given as arguments, in the order given (already normalised and
 * deduplicated by cli/options.ts).
 *
 * @example argumentRows([{ input: 'ops@example.com', domain: 'example.com' }])[0]?.target // { kind: 'domain', domain: 'example.com' }
 */
export function argumentRows(domains: ReadonlyArray<{ input: string; domain: string }>): Row[] {
  return domains.map(({ input, domain }) => ({ line: null, input, target: { kind: 'domain', domain }, warning: null, required: null, columns: {} }));
}

/**
 * The one row of `--server`: its input is `HOST:PORT`, as the result's `input` says.
 *
 * @example serverRows({ host: '192.0.2.25', port: 25, name: null })[0]?.input // '192.0.2.25:25'
 */
export function serverRows(server: ServerTarget): Row[] {
  return [{ line: null, input: `${server.host}:${server.port}`, target: { kind: 'server', server }, warning: null, required: null, columns: {} }];
}

/**
 * The name a person knows a row by (the spinner names the rows in flight).
 *
 * @example rowName(serverRows({ host: 'mx.example.com', port: 25, name: null })[0]!) // 'mx.example.com'
 */
export function rowName(row: Row): string {
  return row.target.kind === 'domain' ? row.target.domain : row.target.kind === 'server' ? row.target.server.host : row.input;
}
