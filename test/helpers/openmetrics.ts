// A strict reader of the OpenMetrics 1.0 text format for tests (the spec's ABNF, "exposition"),
// written from the spec, not from our renderer: every line is a metadata line (`# TYPE`, `# UNIT`,
// `# HELP`) or a sample; `# EOF` once, last; a family's metadata before its samples, each kind at
// most once and in the order TYPE, UNIT, HELP; families never interleaved (a family that ended
// never comes back); a sample's name is its family's as its type wants (a gauge: the name itself;
// a counter: `_total` / `_created`); names and label names as the ABNF says, no reserved `__`
// label, label names unique in a set, label sets unique in a family; values real numbers, +Inf,
// -Inf or NaN; a UNIT the suffix of its family's name; no CR, no BOM. It throws on the first
// breach, naming the line. Test helper only.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

export interface OmSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface OmFamily {
  name: string;
  type: string;
  unit: string | null;
  help: string | null;
  samples: OmSample[];
}

const METRIC_NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL_NAME = '[a-zA-Z_][a-zA-Z0-9_]*';
// escaped-string: any character but LF, `"` and `\`, or `\` before n, `"` or `\` (a single
// backslash before anything else SHOULD NOT be written: refused here).
const ESCAPED = '(?:[^\\n"\\\\]|\\\\[n"\\\\])*';
const REAL = '[+-]?(?:\\d+(?:\\.\\d*)?(?:[eE][+-]?\\d+)?|\\d*\\.\\d+(?:[eE][+-]?\\d+)?)';
const NUMBER = `(?:${REAL}|[+-]?(?:[iI][nN][fF](?:[iI][nN][iI][tT][yY])?)|[nN][aA][nN])`;
const LABEL = `(${LABEL_NAME})="(${ESCAPED})"`;
const SAMPLE = new RegExp(`^(${METRIC_NAME})(\\{(?:${LABEL}(?:,${LABEL})*)?\\})? (${NUMBER})(?: (${REAL}))?$`);
const LABEL_G = new RegExp(LABEL, 'g');
const DESCRIPTOR = new RegExp(`^# (TYPE|UNIT|HELP) (${METRIC_NAME})(?: (.*))?$`);
const TYPES = ['counter', 'gauge', 'histogram', 'gaugehistogram', 'stateset', 'info', 'summary', 'unknown'];
/** The sample names each type allows, from its family's name. */
const SUFFIXES: Record<string, string[]> = {
  counter: ['_total', '_created'],
  gauge: [''],
  stateset: [''],
  unknown: [''],
  info: ['_info'],
  summary: ['', '_count', '_sum', '_created'],
  histogram: ['_count', '_sum', '_bucket', '_created'],
  gaugehistogram: ['_gcount', '_gsum', '_bucket'],
};

/** A label value as the text it stands for. */
export function unescapeLabel(raw: string): string {
  return raw.replace(/\\([n"\\])/g, (_, ch: string) => (ch === 'n' ? '\n' : ch));
}

function parseNumber(text: string): number {
  const lower = text.toLowerCase();
  if (lower === 'nan') return Number.NaN;
  if (/^[+]?inf(inity)?$/.test(lower)) return Number.POSITIVE_INFINITY;
  if (/^-inf(inity)?$/.test(lower)) return Number.NEGATIVE_INFINITY;
  return Number(text);
}

/**
 * Reads a whole exposition strictly; throws an Error naming the line on any breach.
 *
 * @example const families = parseOpenMetrics(text); families.get('mxprobe_domain_pass')?.samples
 */
export function parseOpenMetrics(text: string): Map<string, OmFamily> {
  if (text.startsWith('\ufeff')) throw new Error('a BOM');
  if (text.includes('\r')) throw new Error('a carriage return');
  if (!text.endsWith('# EOF\n') && !text.endsWith('# EOF')) throw new Error('does not end with # EOF');
  const lines = text.replace(/\n$/, '').split('\n');
  const families = new Map<string, OmFamily>();
  const ended = new Set<string>();
  let current: OmFamily | null = null;
  /** Metadata kinds seen for the current family, in order. */
  let kinds: string[] = [];
  const seenSets = new Map<string, Set<string>>();

  const open = (name: string, n: number): OmFamily => {
    if (current?.name === name) return current;
    if (ended.has(name) || families.has(name)) throw new Error(`line ${n}: family ${name} again after another one (interleaved)`);
    if (current !== null) ended.add(current.name);
    current = { name, type: 'unknown', unit: null, help: null, samples: [] };
    kinds = [];
    families.set(name, current);
    return current;
  };
  /** The family a sample name belongs to: the current one when its type allows the name, else a new untyped one. */
  const familyOf = (sampleName: string): OmFamily | null => {
    if (current === null) return null;
    const suffix = SUFFIXES[current.type] ?? [''];
    return suffix.some((s) => `${current!.name}${s}` === sampleName) ? current : null;
  };

  lines.forEach((line, i) => {
    const n = i + 1;
    if (i === lines.length - 1) {
      if (line !== '# EOF') throw new Error(`line ${n}: the last line is not # EOF`);
      return;
    }
    if (line === '# EOF') throw new Error(`line ${n}: # EOF before the end`);
    if (line.startsWith('#')) {
      const m = DESCRIPTOR.exec(line);
      if (m === null) throw new Error(`line ${n}: a # line that is no TYPE, UNIT or HELP: ${JSON.stringify(line)}`);
      const [, kind, name, rest] = m as unknown as [string, string, string, string | undefined];
      const family = open(name, n);
      if (family.samples.length > 0) throw new Error(`line ${n}: ${kind} of ${name} after its samples`);
      if (kinds.includes(kind)) throw new Error(`line ${n}: a second ${kind} for ${name}`);
      kinds.push(kind);
      const order = ['TYPE', 'UNIT', 'HELP'];
      if (kinds.map((k) => order.indexOf(k)).some((v, j, all) => j > 0 && v < all[j - 1]!)) throw new Error(`line ${n}: metadata of ${name} not in the order TYPE, UNIT, HELP`);
      if (kind === 'TYPE') {
        if (rest === undefined || !TYPES.includes(rest)) throw new Error(`line ${n}: unknown type ${rest}`);
        family.type = rest;
      } else if (kind === 'UNIT') {
        const unit = rest ?? '';
        if (!new RegExp(`^[a-zA-Z0-9_:]*$`).test(unit)) throw new Error(`line ${n}: unit ${unit} is not made of name characters`);
        if (unit !== '' && !name.endsWith(`_${unit}`)) throw new Error(`line ${n}: unit ${unit} is not the suffix of ${name}`);
        family.unit = unit;
      } else {
        const help = rest ?? '';
        if (!new RegExp(`^${ESCAPED}$`).test(help)) throw new Error(`line ${n}: HELP not an escaped string`);
        family.help = help;
      }
      return;
    }
    const m = SAMPLE.exec(line);
    if (m === null) throw new Error(`line ${n}: not a sample: ${JSON.stringify(line)}`);
    const name = m[1]!;
    const labelsText = m[2] ?? '';
    const valueText = m[7]!;
    let family = familyOf(name);
    if (family === null) {
      if (families.has(name)) throw new Error(`line ${n}: family ${name} again after another one (interleaved)`);
      family = open(name, n);
    }
    if (family.type !== 'unknown' && !kinds.includes('TYPE')) throw new Error(`line ${n}: sample before its family's TYPE`);
    const labels: Record<string, string> = {};
    for (const lm of labelsText.matchAll(LABEL_G)) {
      const [, labelName, raw] = lm as unknown as [string, string, string];
      if (labelName.startsWith('__')) throw new Error(`line ${n}: reserved label name ${labelName}`);
      if (labelName in labels) throw new Error(`line ${n}: label ${labelName} twice`);
      labels[labelName] = unescapeLabel(raw);
    }
    const setId = `${name}${JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)))}`;
    const sets = seenSets.get(family.name) ?? new Set<string>();
    if (sets.has(setId)) throw new Error(`line ${n}: label set ${labelsText} twice in ${family.name}`);
    sets.add(setId);
    seenSets.set(family.name, sets);
    family.samples.push({ name, labels, value: parseNumber(valueText) });
  });
  return families;
}

/**
 * Prometheus naming conventions the lint would also check, for families of our own: snake case
 * under a prefix, a counter's family not already ending `_total`, no gauge named like another
 * type's sample (`_total`, `_count`, `_sum`, `_bucket`, `_created`), seconds rather than other
 * time units. Returns what is wrong, one line each.
 *
 * @example assert.deepEqual(namingBreaches(parseOpenMetrics(text), 'mxprobe_'), [])
 */
export function namingBreaches(families: Map<string, OmFamily>, prefix: string): string[] {
  const breaches: string[] = [];
  for (const f of families.values()) {
    if (!new RegExp(`^${prefix}[a-z0-9_]+$`).test(f.name)) breaches.push(`${f.name}: not snake case under ${prefix}`);
    if (f.type === 'counter' && f.name.endsWith('_total')) breaches.push(`${f.name}: a counter family already ends in _total`);
    if (f.type !== 'counter' && /_(total|count|sum|bucket|created)$/.test(f.name)) breaches.push(`${f.name}: a ${f.type} named like another type's sample`);
    if (/_(milliseconds|minutes|hours|days|ms)(_|$)/.test(f.name)) breaches.push(`${f.name}: a time unit other than seconds`);
    if (f.help === null || f.help === '') breaches.push(`${f.name}: no HELP`);
    if (f.type === 'unknown') breaches.push(`${f.name}: no TYPE`);
  }
  return breaches;
}

const PROMTOOL_CANDIDATES = ['/usr/bin/promtool', '/usr/local/bin/promtool'];

/** Where promtool is, or null. @example const promtool = findPromtool(); */
export function findPromtool(): string | null {
  return PROMTOOL_CANDIDATES.find((p) => existsSync(p)) ?? null;
}

/**
 * `promtool check metrics` over a text (Prometheus' own parser of the text format and its lint):
 * its exit code and what it printed.
 *
 * @example const { code, output } = promtoolCheck('/usr/bin/promtool', text)
 */
export function promtoolCheck(promtool: string, text: string): { code: number | null; output: string } {
  const run = spawnSync(promtool, ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 30_000 });
  return { code: run.status, output: `${run.stdout ?? ''}${run.stderr ?? ''}` };
}
