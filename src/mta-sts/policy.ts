/**
 * The MTA-STS policy text (RFC 8461 §3.2): one `key: value` a line, lines ended by LF or CRLF;
 * `version: STSv1`, `mode` enforce | testing | none, `max_age` 0 … 31557600, an `mx` pattern a
 * line (required unless the mode is none). Unknown keys are ignored by senders, so each is a
 * warning naming it (a misspelt `mx` must not drop an MX host in silence); a field given twice
 * counts by its first value (only `mx` repeats). Pure.
 */
import { quote } from '../render/sanitize.js';
import { mxPatternError } from '../rules/mx-pattern.js';
import type { MtaStsPolicy } from '../model/mta-sts.js';
import { EXTENSION_NAME } from './txt-fields.js';

/** The largest `max_age` (RFC 8461 §3.2: one year of 365.25 days, in seconds). */
export const MAX_AGE_LIMIT = 31_557_600;

/** The keys RFC 8461 §3.2 defines. */
const KEYS = ['version', 'mode', 'mx', 'max_age'] as const;
const MODES = ['enforce', 'testing', 'none'] as const;

/**
 * A key the policy holds that senders do not know, with the line it is on and the key it most
 * likely stands for.
 *
 * @example const w: PolicyKeyWarning = { key: 'nmx', line: 3, suggestion: 'mx' };
 */
export interface PolicyKeyWarning {
  key: string;
  line: number;
  /** The defined key it is closest to (a different case, or one or two letters off), or null. */
  suggestion: string | null;
}

/**
 * What a policy text says: a valid policy, or every reason it is not; in both cases the unknown
 * keys and the fields given twice (the first counts).
 *
 * @example const mode = (r: PolicyReading) => (r.policy === null ? null : r.policy.mode);
 */
export interface PolicyReading {
  /** The policy, or null when the text is not a valid policy. */
  policy: MtaStsPolicy | null;
  /** Why it is not valid, one sentence each (with its line); empty when it is. */
  errors: string[];
  /** Keys senders ignore. */
  unknownKeys: PolicyKeyWarning[];
  /** Fields given again after their first line, which senders ignore: key and line. */
  duplicates: Array<{ key: string; line: number }>;
}

/** Levenshtein distance, for short keys only. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const cur = [i];
    for (let j = 1; j <= b.length; j += 1) {
      cur[j] = Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length] as number;
}

/** The defined key an unknown one most likely stands for. @example suggestKey('Mode') // 'mode' */
function suggestKey(key: string): string | null {
  const lower = key.toLowerCase().trim();
  const exact = KEYS.find((k) => k === lower || k === lower.replace(/[-\s]/g, '_'));
  if (exact !== undefined) return exact;
  if (key.length > 12) return null;
  const near = KEYS.map((k) => ({ k, d: distance(lower, k) })).filter(({ k, d }) => d <= (k.length <= 2 ? 1 : 2));
  near.sort((x, y) => x.d - y.d);
  return near[0]?.k ?? null;
}

/** RFC 8461 §3.2 `sts-policy-ext-value`: visible characters (UTF-8 too), inner white space; no controls. */
const EXT_VALUE = /^[^\x00-\x20\x7f](?:[^\x00-\x08\x0a-\x1f\x7f]*[^\x00-\x20\x7f])?$/u;

/**
 * Reads a policy text (RFC 8461 §3.2). Every line is `key: value` (no space before the colon,
 * any spaces or tabs after it and at the end of the line); blank lines are skipped; keys are
 * case-sensitive.
 *
 * @example parsePolicy('version: STSv1\nmode: enforce\nmx: mail.example.com\nmx: *.example.net\nmax_age: 604800\n').policy?.mx // ['mail.example.com', '*.example.net']
 * @example parsePolicy('version: STSv1\nmode: enforce\nnmx: mail.example.com\nmax_age: 86400').errors // ['the mode is enforce but there is no mx line …']
 */
export function parsePolicy(text: string): PolicyReading {
  const errors: string[] = [];
  const unknownKeys: PolicyKeyWarning[] = [];
  const duplicates: Array<{ key: string; line: number }> = [];
  const first = new Map<string, { value: string; line: number }>();
  const mx: string[] = [];
  let invalidMx = 0;
  // LF or CRLF ends a line (RFC 8461 §3.2 `sts-policy-term`); the last line may lack one.
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  for (const [i, raw] of lines.entries()) {
    const n = i + 1;
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (/^[ \t]*$/.test(line)) continue;
    if (line.includes('\r')) {
      errors.push(`line ${n} holds a carriage return that does not end it (lines end with LF or CRLF)`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon < 0) {
      errors.push(`line ${n} (${quote(line, 40)}) is not "key: value"`);
      continue;
    }
    const key = line.slice(0, colon);
    const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
    if (!EXTENSION_NAME.test(key)) {
      const hint = suggestKey(key);
      errors.push(`line ${n}: ${quote(key, 40)} is not a key (letters, digits, "_", "-", "."; no space before the colon)${hint !== null ? `; did you mean "${hint}"?` : ''}`);
      continue;
    }
    if (!(KEYS as readonly string[]).includes(key)) {
      unknownKeys.push({ key, line: n, suggestion: suggestKey(key) });
      if (!EXT_VALUE.test(value)) errors.push(`line ${n}: the value of ${quote(key, 40)} is empty or holds a control character`);
      continue;
    }
    if (key === 'mx') {
      const problem = mxPatternError(value);
      if (problem === null) mx.push(value);
      else {
        invalidMx += 1;
        errors.push(`line ${n}: the mx pattern ${quote(value, 80)} is not valid: ${problem}`);
      }
      continue;
    }
    if (first.has(key)) {
      duplicates.push({ key, line: n });
      continue;
    }
    first.set(key, { value, line: n });
  }

  const version = first.get('version');
  if (version === undefined) errors.push('there is no version line ("version: STSv1")');
  else if (version.value !== 'STSv1') errors.push(`line ${version.line}: the version is ${quote(version.value, 40)}, not "STSv1"`);
  const mode = first.get('mode');
  if (mode === undefined) errors.push('there is no mode line ("mode: enforce", "testing" or "none")');
  else if (!(MODES as readonly string[]).includes(mode.value)) errors.push(`line ${mode.line}: the mode is ${quote(mode.value, 40)}, not enforce, testing or none (lower case)`);
  const maxAge = first.get('max_age');
  let maxAgeSeconds = NaN;
  if (maxAge === undefined) errors.push('there is no max_age line (seconds senders may keep the policy, up to 31557600)');
  else if (!/^\d{1,10}$/.test(maxAge.value)) errors.push(`line ${maxAge.line}: max_age ${quote(maxAge.value, 40)} is not a whole number of seconds (1 to 10 digits)`);
  else if ((maxAgeSeconds = Number(maxAge.value)) > MAX_AGE_LIMIT) errors.push(`line ${maxAge.line}: max_age ${maxAge.value} is over ${MAX_AGE_LIMIT} seconds (one year, RFC 8461 §3.2)`);
  if (mode !== undefined && mode.value !== 'none' && mx.length === 0 && invalidMx === 0) {
    const misspelt = unknownKeys.filter((u) => u.suggestion === 'mx').map((u) => `${quote(u.key, 20)} on line ${u.line}`);
    errors.push(`the mode is ${mode.value} but there is no mx line${misspelt.length > 0 ? ` (${misspelt.join(', ')} is not "mx")` : ''}: senders discard the policy`);
  }
  if (errors.length > 0) return { policy: null, errors, unknownKeys, duplicates };
  return {
    policy: { version: 'STSv1', mode: (mode as { value: MtaStsPolicy['mode'] }).value, mx, maxAge: maxAgeSeconds },
    errors,
    unknownKeys,
    duplicates,
  };
}
