/**
 * The OpenMetrics text format (OpenMetrics 1.0, "Text format"), for Prometheus through
 * node_exporter's textfile collector or a Pushgateway: gauges per domain (pass, verdict per
 * sender policy, level, problems by code) and per MX address (level, TLS version, the leaf
 * certificate's expiry), and the run's time and row counts. Every family is a gauge, so the
 * text is also the Prometheus text format 0.0.4 the textfile collector, the Pushgateway and
 * `promtool check metrics` read (there `# UNIT` and `# EOF` are comments).
 * - A metric family's samples must be together (MetricFamilies MUST NOT be interleaved), so
 *   each family is a section (report-renderer.ts SectionedRenderer): the writer keeps each
 *   row's samples by family until the end and writes the families one after another, `# EOF`
 *   last.
 * - A label set is unique within a family: one domain is one record (the row's key), so a
 *   domain on several input rows is measured by the first of them written (a batch writes rows
 *   as they finish); within a row a repeated label set is written once.
 * - Undetermined is no sample, not NaN (OpenMetrics: NaN is no missing value): `pass` and
 *   `satisfied` are left out then, `mxprobe_domain_undetermined` says so.
 * - Expiry is a Unix time in seconds (base unit; the textfile may be read hours after it was
 *   written): days left are `(mxprobe_certificate_expiry_timestamp_seconds - time()) / 86400`.
 * - Label values are sanitize()d (controls and bidi overrides shown escaped), cut at 256
 *   characters, then escaped as the format says (backslash, double quote, line feed).
 * Pure.
 */
import type { AddressResult } from '../model/address.js';
import type { DomainResult, MxHostFacts } from '../model/domain.js';
import { levelRank, type Level } from '../model/levels.js';
import { allProblems } from '../judge/all-problems.js';
import { sanitize } from './sanitize.js';
import type { ReportTotals, RowParts, SectionedRenderer } from './report-renderer.js';

/** Characters of a label value kept (before escaping): every domain and host name (at most 253) fits. */
const LABEL_MAX = 256;

/** A label value: sanitize()d and cut, then `\`, `"` and line feed escaped as OpenMetrics says. */
function labelValue(text: string): string {
  return sanitize(text, LABEL_MAX).replace(/[\\"\n]/g, (ch) => (ch === '\n' ? '\\n' : `\\${ch}`));
}

type Labels = ReadonlyArray<readonly [name: string, value: string]>;

/** `{a="x",b="y"}`; nothing for no labels. */
function labelSet(labels: Labels): string {
  return labels.length === 0 ? '' : `{${labels.map(([name, value]) => `${name}="${labelValue(value)}"`).join(',')}}`;
}

interface Family {
  name: string;
  help: string;
  unit?: string;
}

/** The run's families, in the header: known only at the end (the totals). */
const RUN = {
  timestamp: { name: 'mxprobe_run_timestamp_seconds', unit: 'seconds', help: 'When the run started, as a Unix time.' },
  duration: { name: 'mxprobe_run_duration_seconds', unit: 'seconds', help: 'How long the run took.' },
  rows: { name: 'mxprobe_run_rows', help: 'Rows of the run (input rows, or domains given) by verdict: pass, fail, undetermined.' },
} satisfies Record<string, Family>;

/** The families a row has samples in, in the order they are written: a section each. */
const FAMILIES = [
  { name: 'mxprobe_domain_pass', help: 'The domain satisfies every sender policy it is required to (1) or not (0); no sample when undetermined.' },
  { name: 'mxprobe_domain_undetermined', help: 'Whether the domain could be judged against its requirement: 1 undetermined (DNS failure, nothing reachable), 0 judged.' },
  { name: 'mxprobe_domain_level', help: 'The lowest TLS level over the reachable addresses: 0 none, 1 encrypt, 2 verify; no sample when undetermined or no mail host.' },
  { name: 'mxprobe_policy_satisfied', help: 'The domain satisfies this sender policy (1) or not (0); no sample when undetermined.' },
  { name: 'mxprobe_domain_problems', help: 'Problems found for the domain, its MX hosts and their addresses, by code and severity.' },
  { name: 'mxprobe_address_level', help: 'The TLS level an MX address reached: 0 none, 1 encrypt, 2 verify; no sample when not reached.' },
  { name: 'mxprobe_tls_version_info', help: 'The TLS version an MX address negotiated (value 1).' },
  {
    name: 'mxprobe_certificate_expiry_timestamp_seconds',
    unit: 'seconds',
    help: 'When the leaf certificate an MX address presented expires, as a Unix time.',
  },
] as const satisfies readonly Family[];

type FamilyName = (typeof FAMILIES)[number]['name'];

/** `# TYPE`, `# UNIT` (when it has one), `# HELP`, in the order OpenMetrics recommends. */
function metadata(family: Family): string {
  const unit = family.unit !== undefined ? `# UNIT ${family.name} ${family.unit}\n` : '';
  return `# TYPE ${family.name} gauge\n${unit}# HELP ${family.name} ${family.help}\n`;
}

/** A sample line; its value an integer as is, a float with its point or exponent (JavaScript's shortest form, as the format allows). */
function sample(name: string, labels: Labels, value: number): string {
  return `${name}${labelSet(labels)} ${String(value)}\n`;
}

/** A row's samples by family; a label set already given in a family is not given again, nor a value that is no finite number. */
class RowSamples {
  private readonly lines = new Map<FamilyName, string[]>();
  private readonly seen = new Set<string>();

  add(name: FamilyName, labels: Labels, value: number | null): void {
    if (value === null || !Number.isFinite(value)) return;
    const line = sample(name, labels, value);
    const id = line.slice(0, line.lastIndexOf(' '));
    if (this.seen.has(id)) return;
    this.seen.add(id);
    const list = this.lines.get(name) ?? [];
    list.push(line);
    this.lines.set(name, list);
  }

  parts(): string[] {
    return FAMILIES.map((f) => (this.lines.get(f.name) ?? []).join(''));
  }
}

const bit = (value: boolean | null): number | null => (value === null ? null : value ? 1 : 0);
const rank = (level: Level | null): number | null => (level === null ? null : levelRank(level));

/** The leaf's expiry in Unix seconds, or null when there is no certificate or its date cannot be read. */
function leafExpiry(address: AddressResult): number | null {
  const leaf = address.certificate?.chain[0];
  if (leaf === undefined) return null;
  const ms = Date.parse(leaf.notAfter);
  return Number.isNaN(ms) ? null : ms / 1000;
}

/** The MX hosts in preference order (then by name), so that the same facts give the same text. */
function hostsInOrder(result: DomainResult): Array<MxHostFacts<AddressResult>> {
  return [...result.mx].sort((a, b) => a.preference - b.preference || (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
}

/** One result as samples by family, keyed by its domain (or, for an input row that is not a domain, that input). */
function rowParts(result: DomainResult): RowParts {
  const key = labelValue(result.outcome === 'invalid-input' ? result.input : result.domain);
  const domain: Labels = [['domain', result.outcome === 'invalid-input' ? result.input : result.domain]];
  const out = new RowSamples();
  out.add('mxprobe_domain_pass', domain, bit(result.pass));
  out.add('mxprobe_domain_undetermined', domain, result.pass === null ? 1 : 0);
  out.add('mxprobe_domain_level', domain, rank(result.level));
  for (const p of result.policies) out.add('mxprobe_policy_satisfied', [...domain, ['policy', p.id]], bit(p.satisfied));
  const counts = new Map<string, { code: string; severity: string; count: number }>();
  for (const p of allProblems(result)) {
    const id = `${p.code} ${p.severity}`;
    const entry = counts.get(id) ?? { code: p.code, severity: p.severity, count: 0 };
    entry.count += 1;
    counts.set(id, entry);
  }
  for (const c of counts.values()) out.add('mxprobe_domain_problems', [...domain, ['code', c.code], ['severity', c.severity]], c.count);
  for (const host of hostsInOrder(result)) {
    for (const address of host.addresses) {
      const at: Labels = [...domain, ['mx', host.host], ['ip', address.ip]];
      out.add('mxprobe_address_level', at, rank(address.level));
      if (address.tls !== null) out.add('mxprobe_tls_version_info', [...at, ['version', address.tls.protocol]], 1);
      out.add('mxprobe_certificate_expiry_timestamp_seconds', at, leafExpiry(address));
    }
  }
  return { key, parts: out.parts() };
}

/** The run's families: when it started, how long it took, its rows by verdict. */
function runFamilies(totals: ReportTotals): string {
  const pass = totals.rows - totals.fail - totals.undetermined;
  return [
    metadata(RUN.timestamp),
    sample(RUN.timestamp.name, [], totals.startedAt.getTime() / 1000),
    metadata(RUN.duration),
    sample(RUN.duration.name, [], Math.max(0, totals.durationMs) / 1000),
    metadata(RUN.rows),
    sample(RUN.rows.name, [['verdict', 'pass']], pass),
    sample(RUN.rows.name, [['verdict', 'fail']], totals.fail),
    sample(RUN.rows.name, [['verdict', 'undetermined']], totals.undetermined),
  ].join('');
}

/**
 * OpenMetrics as a renderer: a section per metric family of a row, the run's families first
 * (they need the totals), `# EOF` last. The layout and colours do not apply.
 *
 * @example renderAll(openMetricsRenderer(), results, { startedAt: new Date(), durationMs: 1234 }).endsWith('# EOF\n') // true
 */
export function openMetricsRenderer(): SectionedRenderer {
  return {
    totalsFirst: true,
    sections: FAMILIES.length,
    header: runFamilies,
    section: (index) => {
      const family = FAMILIES[index];
      return family !== undefined ? metadata(family) : '';
    },
    row: (result) => rowParts(result),
    footer: () => '# EOF\n',
  };
}

/**
 * The metric families mxprobe writes, with their units: for the README and the tests.
 *
 * @example OPENMETRICS_FAMILIES.map((f) => f.name).includes('mxprobe_domain_pass') // true
 */
export const OPENMETRICS_FAMILIES: ReadonlyArray<{ name: string; help: string; unit?: string }> = [...Object.values(RUN), ...FAMILIES];
